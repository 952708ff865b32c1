package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/report"
)

// Attempt is one try at delivering a period's report, as the log holds it.
type Attempt struct {
	ID         string
	Period     string
	Recipients []string
	MessageID  string
	// LastStatus is the newest status recorded: sending, sent or failed.
	LastStatus string
	// Started is when the attempt began; Ended when its last row was written.
	Started, Ended time.Time
	// Error is why a failed attempt failed.
	Error string
}

// Status is the attempt's status at now: a "sending" attempt older than StaleAfter is one whose
// process died, read as interrupted.
func (a Attempt) Status(now time.Time) string {
	if a.LastStatus == StatusSending && now.Sub(a.Started) >= StaleAfter {
		return StatusInterrupted
	}
	return a.LastStatus
}

var logColumns = []string{"report", "scope", "period", "attempt_id", "status", "recorded_at", "recipients",
	"message_id", "error", "version"}

// record appends one row of attempt a to the log.
func (d *Deliverer) record(ctx context.Context, a Attempt, status, errText string) error {
	now := d.now().UTC()
	// The version orders an attempt's rows; the real clock keeps it rising even under a test clock.
	version := uint64(time.Now().UnixNano())
	err := d.opts.DB.Insert(ctx, "report_deliveries", logColumns, [][]any{{
		report.KindQuarterly, d.opts.Site.ID, a.Period, a.ID, status, now.Truncate(time.Second),
		strings.Join(a.Recipients, ", "), a.MessageID, clipError(errText), version,
	}})
	if err != nil {
		return fmt.Errorf("record %s delivery of %s: %w", status, a.Period, err)
	}
	return nil
}

// clipError keeps an SMTP server's error readable and bounded in the log.
func clipError(s string) string {
	const maxLen = 1000
	if len(s) > maxLen {
		return s[:maxLen] + "…"
	}
	return s
}

// Attempts returns the delivery attempts of the quarterly report of period (e.g. "2023-Q1"),
// oldest first, each with its newest status.
func (d *Deliverer) Attempts(ctx context.Context, period string) ([]Attempt, error) {
	rows, err := d.opts.DB.Conn().Query(ctx, `
SELECT attempt_id, argMax(status, version), min(recorded_at), max(recorded_at), argMax(error, version),
       any(recipients), any(message_id), min(version) AS first
FROM report_deliveries
WHERE report = ? AND scope = ? AND period = ?
GROUP BY attempt_id
ORDER BY first`, report.KindQuarterly, d.opts.Site.ID, period)
	if err != nil {
		return nil, fmt.Errorf("read deliveries of %s: %w", period, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Attempt
	for rows.Next() {
		a := Attempt{Period: period}
		var recipients string
		var first uint64
		if err := rows.Scan(&a.ID, &a.LastStatus, &a.Started, &a.Ended, &a.Error, &recipients, &a.MessageID, &first); err != nil {
			return nil, fmt.Errorf("read deliveries of %s: %w", period, err)
		}
		a.Started, a.Ended = a.Started.UTC(), a.Ended.UTC()
		if recipients != "" {
			a.Recipients = strings.Split(recipients, ", ")
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries of %s: %w", period, err)
	}
	return out, nil
}
