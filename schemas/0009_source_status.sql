-- 0009: source_status, what collector_runs says about each source, kept small by the writer.
--
-- The freshness strip and every page's provenance note need, per source, its newest run and its
-- newest successful one. Read from collector_runs that is a scan of every run ever recorded (a
-- source's last success may be years old, so no time bound is safe), and collector_runs grows by a
-- row or more an hour per source for ever. Here each source is one row once merged.
--
-- Every column is an aggregate state of a function that is commutative and idempotent (max,
-- argMax over a unique key), so the table holds exactly the aggregate of every run row ever folded
-- into it, whatever the order, whoever wrote it, and however often the same row was folded (a
-- retried write, a re-run of this migration, two processes): no merge and no race can make it
-- disagree with the same aggregate over collector_runs. internal/store/runsummary.go folds each
-- run row the scheduler records (start, end, interrupted marking); internal/query reads it. The
-- rule is written out in schemas/README.md.
CREATE TABLE IF NOT EXISTS source_status {{ on_cluster }} (
    source           String,
    -- The newest run: greatest (started_at, version), as collector_runs FINAL and then the latest
    -- start give it. Value: (started_at, run_id, mode, status, error, rows_written, finished_at or 0).
    newest_run       AggregateFunction(argMax, Tuple(DateTime('UTC'), String, String, String, String, UInt64, DateTime('UTC')), Tuple(DateTime('UTC'), UInt64)),
    -- The newest success (ok or partial, finished): greatest (finished_at, version).
    -- Value: (finished_at, window_to, run_id).
    last_ok_run      AggregateFunction(argMax, Tuple(DateTime('UTC'), Date, String), Tuple(DateTime('UTC'), UInt64)),
    -- 1 once any run of the source has succeeded.
    any_ok           AggregateFunction(max, UInt8),
    -- The latest start of an incremental run, which the schedule counts its interval from.
    last_incremental AggregateFunction(max, DateTime('UTC'))
) ENGINE = {{ engine "source_status" "AggregatingMergeTree" "" }}
ORDER BY source;

-- Fill from the runs already recorded, so an upgraded install shows the same strip at once. The
-- aggregates are those of internal/store/runsummary.go (runSummary), which a test holds equal.
INSERT INTO source_status (source, newest_run, last_ok_run, any_ok, last_incremental)
SELECT source,
       argMaxState((started_at, run_id, mode, status, error, rows_written, ifNull(finished_at, toDateTime(0, 'UTC'))), (started_at, version)),
       argMaxStateIf((ifNull(finished_at, toDateTime(0, 'UTC')), window_to, run_id), (ifNull(finished_at, toDateTime(0, 'UTC')), version), status IN ('ok', 'partial') AND finished_at IS NOT NULL),
       maxState(toUInt8(status IN ('ok', 'partial') AND finished_at IS NOT NULL)),
       maxStateIf(started_at, mode = 'incremental')
FROM collector_runs
GROUP BY source;
