-- 0006: the data version, which every dashboard instance's cache is keyed by (internal/cache).
--
-- internal/store adds one row here after every write that can change what a page shows (figures,
-- imports, the entry form, published reports, collector runs). Readers poll count() and
-- max(version): count() only ever grows, because nothing deletes from this plain MergeTree, so a
-- write by any process is noticed even if its clock runs behind. The rows are tiny (a few per
-- collector run); keeping them is cheaper than any clean-up that could make count() go backwards.
CREATE TABLE IF NOT EXISTS data_version {{ on_cluster }} (
    version    UInt64,
    written_at DateTime('UTC'),
    tbl        String
) ENGINE = {{ engine "data_version" "MergeTree" "" }}
ORDER BY version;
