package query

import (
	"context"
	"fmt"
	"time"
)

// SourceRun is one run (or backfill step) of a collector as collector_runs holds it, for the
// dashboard's page of a source's runs.
type SourceRun struct {
	RunID      string
	Mode       string
	WindowFrom time.Time // calendar days
	WindowTo   time.Time
	StartedAt  time.Time  // UTC
	FinishedAt *time.Time // nil while running
	Status     string
	Rows       uint64
	Error      string
	Notes      string
	RetryAt    *time.Time
}

// SourceRunList returns a source's newest runs, newest first, at most limit. Each run is written
// when it starts and again when it ends; FINAL keeps the newest row of each.
func (q *Queries) SourceRunList(ctx context.Context, source string, limit int) ([]SourceRun, error) {
	rows, err := q.conn.Query(ctx, `
SELECT run_id, mode, window_from, window_to, started_at, finished_at, status, rows_written, error, notes, retry_at
FROM collector_runs FINAL
WHERE source = ?
ORDER BY started_at DESC, run_id DESC
LIMIT ?`, source, uint64(max(limit, 1)))
	if err != nil {
		return nil, fmt.Errorf("runs of %s: %w", source, err)
	}
	defer func() { _ = rows.Close() }()
	var out []SourceRun
	for rows.Next() {
		var r SourceRun
		if err := rows.Scan(&r.RunID, &r.Mode, &r.WindowFrom, &r.WindowTo, &r.StartedAt, &r.FinishedAt, &r.Status,
			&r.Rows, &r.Error, &r.Notes, &r.RetryAt); err != nil {
			return nil, fmt.Errorf("runs of %s: %w", source, err)
		}
		r.StartedAt = r.StartedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("runs of %s: %w", source, err)
	}
	return out, nil
}
