package query

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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
	// Owner is the process that ran it (host:pid:instance); empty for runs recorded before 0007.
	Owner string
	// HeartbeatAt is when the owner last said it was alive (UTC); nil for runs before 0007.
	HeartbeatAt *time.Time
	// Retries counts the ClickHouse writes of the run that had to be tried again (the provider's
	// transient faults retried are counted in Notes, by kind).
	Retries uint32
}

// SourceRunList returns a source's newest runs, newest first, at most limit. Each run is written
// when it starts, at its heartbeats and when it ends; FINAL keeps the newest row of each. FINAL over
// a source's whole history would read every run it ever had, so it is bounded by the sort key to
// the newest limit start times (every version of a run shares its start), found first without
// FINAL from the narrow started_at column.
func (q *Queries) SourceRunList(ctx context.Context, source string, limit int) ([]SourceRun, error) {
	return collect(ctx, q.conn, "runs of "+source, `
SELECT run_id, mode, window_from, window_to, started_at, finished_at, status, rows_written, error, notes, retry_at,
       owner, heartbeat_at, retries
FROM collector_runs FINAL
WHERE source = ? AND started_at >= (
    SELECT min(started_at) FROM (
        SELECT DISTINCT started_at FROM collector_runs WHERE source = ? ORDER BY started_at DESC LIMIT ?
    )
)
ORDER BY started_at DESC, run_id DESC
LIMIT ?`, []any{source, source, uint64(max(limit, 1)), uint64(max(limit, 1))},
		func(rows driver.Rows) (SourceRun, error) {
			var r SourceRun
			err := rows.Scan(&r.RunID, &r.Mode, &r.WindowFrom, &r.WindowTo, &r.StartedAt, &r.FinishedAt, &r.Status,
				&r.Rows, &r.Error, &r.Notes, &r.RetryAt, &r.Owner, &r.HeartbeatAt, &r.Retries)
			r.StartedAt = r.StartedAt.UTC()
			if r.HeartbeatAt != nil {
				h := r.HeartbeatAt.UTC()
				r.HeartbeatAt = &h
			}
			return r, err
		})
}
