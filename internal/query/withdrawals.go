package query

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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

// PublicationRecord is everything on record for one report and period: every publication and every
// withdrawal, each newest first. The first publication is the newest; whether it is in force is
// the report's rule (internal/report/guard.go).
type PublicationRecord struct {
	Publications []PublishedReport
	Withdrawals  []ReportWithdrawal
}

// PublicationRecord reads one report and period's publications and withdrawals, in one query.
func (q *Queries) PublicationRecord(ctx context.Context, report, scope, period string) (PublicationRecord, error) {
	var out PublicationRecord
	err := eachRow(ctx, q.conn, fmt.Sprintf("publications of %s report %s for %s", report, period, scope), `
SELECT 0 AS withdrawal, published_at, published_by AS who, body, checksum, toDateTime(0, 'UTC') AS withdrawn_at, '' AS reason
FROM report_publications
WHERE report = ? AND scope = ? AND period = ?
UNION ALL
SELECT 1 AS withdrawal, published_at, withdrawn_by AS who, '' AS body, checksum, withdrawn_at, reason
FROM report_withdrawals
WHERE report = ? AND scope = ? AND period = ?`, []any{report, scope, period, report, scope, period},
		func(rows driver.Rows) error {
			var withdrawal uint8
			var publishedAt, withdrawnAt time.Time
			var who, body, checksum, reason string
			if err := rows.Scan(&withdrawal, &publishedAt, &who, &body, &checksum, &withdrawnAt, &reason); err != nil {
				return err
			}
			if withdrawal == 1 {
				out.Withdrawals = append(out.Withdrawals, ReportWithdrawal{Report: report, Scope: scope, Period: period,
					PublishedAt: publishedAt.UTC(), Checksum: checksum, WithdrawnAt: withdrawnAt.UTC(), WithdrawnBy: who, Reason: reason})
			} else {
				out.Publications = append(out.Publications, PublishedReport{Report: report, Scope: scope, Period: period,
					PublishedAt: publishedAt.UTC(), PublishedBy: who, Body: body, Checksum: checksum})
			}
			return nil
		})
	if err != nil {
		return PublicationRecord{}, err
	}
	slices.SortStableFunc(out.Publications, func(a, b PublishedReport) int { return b.PublishedAt.Compare(a.PublishedAt) })
	slices.SortStableFunc(out.Withdrawals, func(a, b ReportWithdrawal) int { return b.WithdrawnAt.Compare(a.WithdrawnAt) })
	return out, nil
}
