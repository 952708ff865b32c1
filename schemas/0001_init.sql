-- 0001: every kind of figure Rekkevidde stores. See schemas/README.md for each table's key and why.
-- The engine and on_cluster template calls are filled in by internal/store/ddl.go, the one place
-- that knows single-node versus cluster engines.
-- Columns named `version` hold the collection's time in Unix nanoseconds; the newest version wins.

CREATE TABLE IF NOT EXISTS web_traffic_daily {{ on_cluster }} (
    site_id      String,
    date         Date,
    channel      String,
    device       String,
    visitors     UInt64,
    sessions     UInt64,
    pageviews    UInt64,
    new_visitors UInt64,
    source       String,
    version      UInt64
) ENGINE = {{ engine "web_traffic_daily" "ReplacingMergeTree" "version" }}
PARTITION BY toYYYYMM(date)
ORDER BY (site_id, date, channel, device);

CREATE TABLE IF NOT EXISTS web_visitors_period {{ on_cluster }} (
    site_id            String,
    period             String,
    period_start       Date,
    period_end         Date,
    visitors           Nullable(UInt64),
    new_visitors       Nullable(UInt64),
    returning_visitors Nullable(UInt64),
    source             String,
    version            UInt64
) ENGINE = {{ engine "web_visitors_period" "ReplacingMergeTree" "version" }}
ORDER BY (site_id, period, period_start);

CREATE TABLE IF NOT EXISTS web_top_pages {{ on_cluster }} (
    site_id   String,
    month     Date,
    path      String,
    title     String,
    pageviews UInt64,
    source    String,
    version   UInt64
) ENGINE = {{ engine "web_top_pages" "ReplacingMergeTree" "version" }}
PARTITION BY toYear(month)
ORDER BY (site_id, month, path);

CREATE TABLE IF NOT EXISTS social_followers_daily {{ on_cluster }} (
    platform   String,
    account_id String,
    date       Date,
    followers  UInt64,
    follows    Nullable(UInt64),
    unfollows  Nullable(UInt64),
    source     String,
    version    UInt64
) ENGINE = {{ engine "social_followers_daily" "ReplacingMergeTree" "version" }}
PARTITION BY toYear(date)
ORDER BY (platform, account_id, date);

CREATE TABLE IF NOT EXISTS social_reach {{ on_cluster }} (
    platform     String,
    account_id   String,
    period       String,
    period_start Date,
    period_end   Date,
    reach        UInt64,
    impressions  Nullable(UInt64),
    source       String,
    version      UInt64
) ENGINE = {{ engine "social_reach" "ReplacingMergeTree" "version" }}
ORDER BY (platform, account_id, period, period_start);

CREATE TABLE IF NOT EXISTS newsletter_subscribers_daily {{ on_cluster }} (
    list_id      String,
    date         Date,
    subscribers  UInt64,
    unsubscribed UInt64,
    cleaned      UInt64,
    source       String,
    version      UInt64
) ENGINE = {{ engine "newsletter_subscribers_daily" "ReplacingMergeTree" "version" }}
PARTITION BY toYear(date)
ORDER BY (list_id, date);

CREATE TABLE IF NOT EXISTS newsletter_campaigns {{ on_cluster }} (
    list_id             String,
    campaign_id         String,
    title               String,
    subject             String,
    send_time           DateTime('UTC'),
    emails_sent         UInt64,
    delivered           UInt64,
    unique_opens        UInt64,
    unique_clicks       UInt64,
    unsubscribed        UInt64,
    hard_bounces        UInt64,
    soft_bounces        UInt64,
    provider_open_rate  Nullable(Float64),
    provider_click_rate Nullable(Float64),
    source              String,
    version             UInt64
) ENGINE = {{ engine "newsletter_campaigns" "ReplacingMergeTree" "version" }}
ORDER BY (list_id, campaign_id);

CREATE TABLE IF NOT EXISTS events {{ on_cluster }} (
    account_id       String,
    event_id         String,
    kind             String,
    title            String,
    starts_at        DateTime('UTC'),
    ends_at          Nullable(DateTime('UTC')),
    registered       Nullable(UInt32),
    attended_on_site Nullable(UInt32),
    attended_digital Nullable(UInt32),
    deleted          UInt8,
    source           String,
    version          UInt64
) ENGINE = {{ engine "events" "ReplacingMergeTree" "version" }}
ORDER BY (account_id, event_id);

CREATE TABLE IF NOT EXISTS event_attendance_by_sector {{ on_cluster }} (
    account_id String,
    event_id   String,
    sector     String,
    registered UInt32,
    attended   UInt32,
    source     String,
    version    UInt64
) ENGINE = {{ engine "event_attendance_by_sector" "ReplacingMergeTree" "version" }}
ORDER BY (account_id, event_id, sector);

CREATE TABLE IF NOT EXISTS publications {{ on_cluster }} (
    feed_id      String,
    item_key     String,
    title        String,
    link         String,
    published_at DateTime('UTC'),
    category     String,
    first_seen   DateTime('UTC'),
    source       String,
    version      UInt64
) ENGINE = {{ engine "publications" "ReplacingMergeTree" "version" }}
ORDER BY (feed_id, item_key);

CREATE TABLE IF NOT EXISTS annotations {{ on_cluster }} (
    scope         String,
    annotation_id String,
    date          Date,
    kind          String,
    title         String,
    link          String,
    deleted       UInt8,
    source        String,
    version       UInt64
) ENGINE = {{ engine "annotations" "ReplacingMergeTree" "version" }}
ORDER BY (scope, annotation_id);

CREATE TABLE IF NOT EXISTS collector_runs {{ on_cluster }} (
    run_id       String,
    source       String,
    mode         String,
    window_from  Date,
    window_to    Date,
    started_at   DateTime('UTC'),
    finished_at  Nullable(DateTime('UTC')),
    status       String,
    rows_written UInt64,
    error        String,
    notes        String,
    retry_at     Nullable(DateTime('UTC')),
    version      UInt64
) ENGINE = {{ engine "collector_runs" "ReplacingMergeTree" "version" }}
PARTITION BY toYYYYMM(started_at)
ORDER BY (source, started_at, run_id);

CREATE TABLE IF NOT EXISTS collector_checkpoints {{ on_cluster }} (
    source   String,
    job      String,
    last_day Date,
    done     UInt8,
    version  UInt64
) ENGINE = {{ engine "collector_checkpoints" "ReplacingMergeTree" "version" }}
ORDER BY (source, job);
