-- 0004: the read API's bearer tokens and the scheduled e-mail delivery of reports.
--
-- api_tokens holds one row per token: the token itself is never stored, only the hex SHA-256 of
-- the whole token string. Creating writes the row, revoking writes it again with revoked_at set
-- under a higher version; reads use FINAL. Nothing else ever rewrites this row, so a revocation
-- cannot be undone by a late write.
--
-- api_token_use keeps when a token was last used. It is a table of its own, not a column of
-- api_tokens, so that recording a use can never race a revocation and bring a revoked row back.
-- The version is the use time itself, so the newest use wins; the API records a token's use at
-- most once per ten minutes per process (internal/apitokens), not once per request, and reads
-- take max(used_at) so they never depend on merges.
--
-- report_deliveries is the log of e-mail deliveries (internal/delivery): one row when an attempt
-- starts (status sending) and one when it ends (sent or failed), both with the attempt's id. It is
-- a plain MergeTree: nothing is replaced, so every failed attempt stays visible. A period with a
-- sent attempt is never sent again, which is what makes the delivery exactly once across restarts.

CREATE TABLE IF NOT EXISTS api_tokens {{ on_cluster }} (
    id         String,
    name       String,
    hash       String,
    created_by String,
    created_at DateTime('UTC'),
    revoked_at Nullable(DateTime('UTC')),
    revoked_by String,
    version    UInt64
) ENGINE = {{ engine "api_tokens" "ReplacingMergeTree" "version" }}
ORDER BY id;

CREATE TABLE IF NOT EXISTS api_token_use {{ on_cluster }} (
    token_id String,
    used_at  DateTime('UTC')
) ENGINE = {{ engine "api_token_use" "ReplacingMergeTree" "used_at" }}
ORDER BY token_id;

CREATE TABLE IF NOT EXISTS report_deliveries {{ on_cluster }} (
    report      String,
    scope       String,
    period      String,
    attempt_id  String,
    status      String,
    recorded_at DateTime('UTC'),
    recipients  String,
    message_id  String,
    error       String,
    version     UInt64
) ENGINE = {{ engine "report_deliveries" "MergeTree" "" }}
ORDER BY (report, scope, period, attempt_id, version);
