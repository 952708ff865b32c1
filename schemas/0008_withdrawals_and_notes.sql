-- Withdrawn report publications and the audit trail of manual notes (internal/report/guard.go,
-- internal/annotations).
--
-- report_withdrawals:
--
-- An admin can withdraw a published report, with a reason. Nothing is deleted: the publication
-- stays in report_publications, and the withdrawal is a row of its own here, saying which
-- publication was in force (published_at, checksum), who withdrew it, when and why. A withdrawal
-- ends every publication of that report and period made before it; publishing again afterwards
-- makes a new publication that is in force. Plain MergeTree: every row is kept.
CREATE TABLE IF NOT EXISTS report_withdrawals {{ on_cluster }} (
    report       String,
    scope        String,
    period       String,
    published_at DateTime('UTC'),
    checksum     String,
    withdrawn_at DateTime('UTC'),
    withdrawn_by String,
    reason       String
) ENGINE = {{ engine "report_withdrawals" "MergeTree" "" }}
ORDER BY (report, scope, period, withdrawn_at);

-- The audit trail of manual notes (annotations) added, changed or deleted on the dashboard
-- (internal/annotations): one row per change, who and when, the note before and after as JSON.
-- The note itself lives in annotations (schemas/0001), where a deletion is a newer version flagged
-- deleted. Plain MergeTree: nothing is replaced; version orders changes within one second.
CREATE TABLE IF NOT EXISTS annotation_changes {{ on_cluster }} (
    scope         String,
    annotation_id String,
    changed_at    DateTime('UTC'),
    changed_by    String,
    action        String,
    before        String,
    after         String,
    version       UInt64
) ENGINE = {{ engine "annotation_changes" "MergeTree" "" }}
ORDER BY (scope, annotation_id, changed_at, version);
