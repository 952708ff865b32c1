-- 0003: reports. Two tables (documented in internal/report/README.md):
--
-- history_figures holds figures of past periods known only as totals — from old annual reports and
-- spreadsheets — imported with `rekkevidde import history FILE`. They never mix with the collected
-- tables: a report takes one only where no collected figure exists for that KPI and period, and
-- marks it as imported. Key: the KPI, its scope (site, account or list; empty = the only one), the
-- period and the item (a channel, a device, a rank); importing again replaces.
--
-- report_publications keeps every published report as JSON with who published it and when. It is a
-- plain MergeTree (nothing is ever replaced): the newest row of a report and period is in force, the
-- older ones are the record of what was printed before.

CREATE TABLE IF NOT EXISTS history_figures {{ on_cluster }} (
    kpi          String,
    scope        String,
    period       String,
    period_start Date,
    period_end   Date,
    item         String,
    value        Nullable(Float64),
    text         String,
    qualifier    String,
    note         String,
    deleted      UInt8,
    source       String,
    version      UInt64
) ENGINE = {{ engine "history_figures" "ReplacingMergeTree" "version" }}
ORDER BY (kpi, scope, period, period_start, item);

CREATE TABLE IF NOT EXISTS report_publications {{ on_cluster }} (
    report       String,
    scope        String,
    period       String,
    published_at DateTime('UTC'),
    published_by String,
    body         String,
    checksum     String
) ENGINE = {{ engine "report_publications" "MergeTree" "" }}
ORDER BY (report, scope, period, published_at);
