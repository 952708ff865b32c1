-- 0002: when each source's credential expires, for the health view ("expires in N days").
-- The tokens themselves never enter ClickHouse; refreshed ones live in state_dir, mode 0600.

CREATE TABLE IF NOT EXISTS credentials {{ on_cluster }} (
    credential         String,
    expires_at         Nullable(DateTime('UTC')),
    refresh_expires_at Nullable(DateTime('UTC')),
    checked_at         DateTime('UTC'),
    source             String,
    version            UInt64
) ENGINE = {{ engine "credentials" "ReplacingMergeTree" "version" }}
ORDER BY (source, credential);
