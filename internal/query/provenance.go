package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// Dataset names a figure table as the provenance notes under each figure see it: which rows of
// which table a figure was computed from.
type Dataset string

// The datasets figures are drawn from.
const (
	DatasetWebTraffic   Dataset = "web_traffic_daily"
	DatasetWebVisitors  Dataset = "web_visitors_period"
	DatasetTopPages     Dataset = "web_top_pages"
	DatasetFollowers    Dataset = "social_followers_daily"
	DatasetReach        Dataset = "social_reach"
	DatasetSubscribers  Dataset = "newsletter_subscribers_daily"
	DatasetCampaigns    Dataset = "newsletter_campaigns"
	DatasetEvents       Dataset = "events"
	DatasetSectors      Dataset = "event_attendance_by_sector"
	DatasetPublications Dataset = "publications"
)

// datasetSQL is, per dataset, the key column a page filters on and the expression that puts a row
// on a calendar day; local expressions turn an instant into a day in the organisation's time zone
// (bound as their ?). Only these fixed strings ever reach the SQL text.
var datasetSQL = map[Dataset]struct {
	key, day string
	local    bool
}{
	DatasetWebTraffic:   {"site_id", "date", false},
	DatasetWebVisitors:  {"site_id", "period_start", false},
	DatasetTopPages:     {"site_id", "month", false},
	DatasetFollowers:    {"account_id", "date", false},
	DatasetReach:        {"account_id", "period_start", false},
	DatasetSubscribers:  {"list_id", "date", false},
	DatasetCampaigns:    {"list_id", "toDate(send_time, ?)", true},
	DatasetEvents:       {"account_id", "toDate(starts_at, ?)", true},
	DatasetSectors:      {"account_id", "", false},
	DatasetPublications: {"feed_id", "toDate(published_at, ?)", true},
}

// SourceUse is one source's part in a figure.
type SourceUse struct {
	// Source is the rows' source column: a configured source id, "demo", "form", an import label,
	// or empty when the writer did not say.
	Source string
	Rows   uint64
	// Fetched is when the newest of these rows was collected (their version, the collection time).
	Fetched time.Time
	// LastOK is when the source's newest successful run finished (collector_runs); nil when the
	// rows were not written by a collector run (demo data, imports, the entry form).
	LastOK *time.Time
}

// Provenance lists the sources of a dataset's rows for keys over span s (newest version per key,
// as every figure reads them), largest share first. Keys empty means every key. Figures of one
// request that read the same rows share one query (query.Request).
func (q *Queries) Provenance(ctx context.Context, d Dataset, keys []string, s days.Span, loc *time.Location) ([]SourceUse, error) {
	key := fmt.Sprintf("provenance\x00%s\x00%q\x00%s\x00%s", d, keys, s.Range(), loc)
	return once(ctx, key, func() ([]SourceUse, error) { return q.provenance(ctx, d, keys, s, loc) })
}

func (q *Queries) provenance(ctx context.Context, d Dataset, keys []string, s days.Span, loc *time.Location) ([]SourceUse, error) {
	def, ok := datasetSQL[d]
	if !ok {
		return nil, fmt.Errorf("provenance: unknown dataset %q", d)
	}
	if loc == nil {
		return nil, fmt.Errorf("provenance of %s: nil time zone", d)
	}
	where := "(? = 0 OR has(?, " + def.key + "))"
	args := []any{len(keys), keyList(keys)}
	if def.day != "" {
		where += " AND " + def.day + " >= toDate(?) AND " + def.day + " <= toDate(?)"
		if def.local {
			args = append(args, loc.String(), dateArg(s.From), loc.String(), dateArg(s.To))
		} else {
			args = append(args, dateArg(s.From), dateArg(s.To))
		}
	}
	if d == DatasetSectors {
		// Sector rows carry no date: they belong to events, so take those of the span's events.
		where += " AND (account_id, event_id) IN (SELECT account_id, event_id FROM events FINAL WHERE deleted = 0 AND toDate(starts_at, ?) >= toDate(?) AND toDate(starts_at, ?) <= toDate(?))"
		args = append(args, loc.String(), dateArg(s.From), loc.String(), dateArg(s.To))
	}
	rows, err := q.conn.Query(ctx, `
SELECT p.source, p.n, p.fetched, r.n_ok, r.last_ok
FROM (
    SELECT source, count() AS n, max(version) AS fetched
    FROM `+string(d)+` FINAL
    WHERE `+where+`
    GROUP BY source
) AS p
ANY LEFT JOIN (
    SELECT source, countIf(status IN ('ok', 'partial') AND finished_at IS NOT NULL) AS n_ok,
           maxIf(assumeNotNull(finished_at), status IN ('ok', 'partial') AND finished_at IS NOT NULL) AS last_ok
    FROM collector_runs FINAL
    GROUP BY source
) AS r USING source
ORDER BY p.n DESC, p.source`, args...)
	if err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", d, err)
	}
	defer func() { _ = rows.Close() }()
	var out []SourceUse
	for rows.Next() {
		var u SourceUse
		var version, nOK uint64
		var lastOK time.Time
		if err := rows.Scan(&u.Source, &u.Rows, &version, &nOK, &lastOK); err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", d, err)
		}
		u.Fetched = time.Unix(0, int64(version)).UTC()
		if nOK > 0 {
			t := lastOK.UTC()
			u.LastOK = &t
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", d, err)
	}
	return out, nil
}
