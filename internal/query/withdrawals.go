package query

import (
	"context"
	"fmt"
	"time"
)

// ReportWithdrawal is one withdrawn publication (schemas/0008_withdrawals_and_notes.sql).
type ReportWithdrawal struct {
	Report, Scope, Period string
	// PublishedAt and Checksum name the publication that was in force when it was withdrawn.
	PublishedAt time.Time
	Checksum    string
	WithdrawnAt time.Time
	WithdrawnBy string
	Reason      string
}

// ReportWithdrawals returns every withdrawal of one report and period, newest first.
func (q *Queries) ReportWithdrawals(ctx context.Context, report, scope, period string) ([]ReportWithdrawal, error) {
	rows, err := q.conn.Query(ctx, `
SELECT report, scope, period, published_at, checksum, withdrawn_at, withdrawn_by, reason
FROM report_withdrawals
WHERE report = ? AND scope = ? AND period = ?
ORDER BY withdrawn_at DESC`, report, scope, period)
	if err != nil {
		return nil, fmt.Errorf("withdrawals of %s report %s for %s: %w", report, period, scope, err)
	}
	defer func() { _ = rows.Close() }()
	var out []ReportWithdrawal
	for rows.Next() {
		var w ReportWithdrawal
		if err := rows.Scan(&w.Report, &w.Scope, &w.Period, &w.PublishedAt, &w.Checksum, &w.WithdrawnAt, &w.WithdrawnBy, &w.Reason); err != nil {
			return nil, fmt.Errorf("withdrawals of %s report %s: %w", report, period, err)
		}
		w.PublishedAt, w.WithdrawnAt = w.PublishedAt.UTC(), w.WithdrawnAt.UTC()
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("withdrawals of %s report %s: %w", report, period, err)
	}
	return out, nil
}
