-- 0005: the audit trail of events entered by hand (dashboard/event_form.go, internal/events).
--
-- event_changes gets one row per change made through the entry form: created, updated or deleted,
-- who did it and when, and the event's figures before and after as JSON (internal/events
-- Snapshot; before is empty for a new event). It is a plain MergeTree on purpose: nothing is ever
-- replaced or merged away, so every change stays on record, including two changes within the same
-- second. version (the write time in Unix nanoseconds) orders changes of the same second.
CREATE TABLE IF NOT EXISTS event_changes {{ on_cluster }} (
    account_id String,
    event_id   String,
    changed_at DateTime('UTC'),
    changed_by String,
    action     String,
    before     String,
    after      String,
    version    UInt64
) ENGINE = {{ engine "event_changes" "MergeTree" "" }}
ORDER BY (account_id, event_id, changed_at, version);
