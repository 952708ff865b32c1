-- Withdrawn report publications (internal/report/guard.go, dashboard "Trekk tilbake").
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
