-- 0007: who runs a collector run, and leases so that two processes never run one source at once.
--
-- A run row names its owner (host:pid:instance) and carries a heartbeat, renewed while the run is
-- under way, and the ClickHouse writes it had to retry. 18.16 has no ADD COLUMN IF NOT EXISTS, so
-- Migrate treats "column already exists" from an ADD COLUMN as done: one column per statement.
ALTER TABLE collector_runs {{ on_cluster }} ADD COLUMN owner String DEFAULT '';
ALTER TABLE collector_runs {{ on_cluster }} ADD COLUMN heartbeat_at Nullable(DateTime('UTC'));
ALTER TABLE collector_runs {{ on_cluster }} ADD COLUMN retries UInt32 DEFAULT 0;

-- A lease is a claim row per (source, owner); the newest version of each is its state. A claim is
-- live while expires_at, set from the server's clock, is ahead of the server's now(): clocks of
-- different hosts never meet. Release writes expires_at = 1970-01-01. See internal/store/lease.go.
CREATE TABLE IF NOT EXISTS collector_leases {{ on_cluster }} (
    source     String,
    owner      String,
    host       String,
    pid        UInt32,
    since      DateTime('UTC'),
    expires_at DateTime('UTC'),
    version    UInt64
) ENGINE = {{ engine "collector_leases" "ReplacingMergeTree" "version" }}
ORDER BY (source, owner);
