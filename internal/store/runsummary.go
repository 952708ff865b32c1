package store

import (
	"context"
	"fmt"
	"time"
)

// RunRow is one collector_runs row as the scheduler writes it, for folding into source_status.
type RunRow struct {
	RunID, Source, Mode, Status, Error string
	Started                            time.Time
	Finished                           *time.Time
	WindowTo                           time.Time // a calendar day
	Rows                               uint64
	Version                            uint64
}

// runSummary is how run rows become source_status states (schemas/0009_source_status.sql, whose
// fill is the same text over collector_runs; TestRunSummaryMigrationFillIsTheFold holds them equal).
// Every function is commutative and idempotent (max, argMax over a key no two rows share: a row's
// version is unique per run), so folding a row twice, or two processes folding in any order, leaves
// the same states as aggregating every run row at once.
const runSummary = `source,
       argMaxState((started_at, run_id, mode, status, error, rows_written, ifNull(finished_at, toDateTime(0, 'UTC'))), (started_at, version)),
       argMaxStateIf((ifNull(finished_at, toDateTime(0, 'UTC')), window_to, run_id), (ifNull(finished_at, toDateTime(0, 'UTC')), version), status IN ('ok', 'partial') AND finished_at IS NOT NULL),
       maxState(toUInt8(status IN ('ok', 'partial') AND finished_at IS NOT NULL)),
       maxStateIf(started_at, mode = 'incremental')`

// foldRun is runSummary over one row given as bound values, typed as collector_runs types them.
const foldRun = `INSERT INTO source_status (source, newest_run, last_ok_run, any_ok, last_incremental)
SELECT ` + runSummary + `
FROM (
    SELECT toString(?) AS source, toString(?) AS run_id, toString(?) AS mode, toString(?) AS status,
           toString(?) AS error, toUInt64(?) AS rows_written, toDateTime(?, 'UTC') AS started_at,
           nullIf(toDateTime(?, 'UTC'), toDateTime(0, 'UTC')) AS finished_at, toDate(?) AS window_to,
           toUInt64(?) AS version
)
GROUP BY source`

// FoldRun adds r to its source's row of source_status and bumps the data version (the freshness
// strip and the provenance notes read it). The scheduler calls it after every run row it records
// except heartbeats, which re-state the running row: the newest run's fields are the same either
// way. Retried like Insert; folding a row again changes nothing.
func (s *Store) FoldRun(ctx context.Context, r RunRow) error {
	var finished int64
	if r.Finished != nil {
		finished = r.Finished.Unix()
	}
	args := []any{r.Source, r.RunID, r.Mode, r.Status, r.Error, r.Rows, r.Started.Unix(), finished,
		r.WindowTo.Format(time.DateOnly), r.Version}
	err := s.withRetry(ctx, "fold run into source_status", func(ctx context.Context) error {
		return s.conn.Exec(ctx, foldRun, args...)
	})
	if err != nil {
		return fmt.Errorf("fold run %s of %s into source_status: %w", r.RunID, r.Source, err)
	}
	return s.bumpVersion(ctx, "source_status")
}

// summarizeRuns folds every collector_runs row into source_status: the fill of
// schemas/0009_source_status.sql.
const summarizeRuns = `INSERT INTO source_status (source, newest_run, last_ok_run, any_ok, last_incremental)
SELECT ` + runSummary + `
FROM collector_runs
GROUP BY source`

// SummarizeRuns folds every collector_runs row into source_status again, as the migration that made
// the table did. Folding is idempotent, so it only ever adds what is missing: runs written by a
// process that predates source_status (an instance not yet upgraded), or rows written straight
// into collector_runs, as tests do. It reads the whole of collector_runs, once.
func (s *Store) SummarizeRuns(ctx context.Context) error {
	err := s.withRetry(ctx, "summarize collector_runs", func(ctx context.Context) error {
		return s.conn.Exec(ctx, summarizeRuns)
	})
	if err != nil {
		return fmt.Errorf("summarize collector_runs into source_status: %w", err)
	}
	return s.bumpVersion(ctx, "source_status")
}
