package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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

// ProvenanceSet is one dataset's rows for some keys (all keys when Keys is empty) over the days
// of Span.
type ProvenanceSet struct {
	Dataset Dataset
	Keys    []string
	Span    days.Span
}

// ProvenanceOf lists, for each set, the sources of its rows (newest version per key, as every
// figure reads them), largest share first: a page's whole "source and definition" notes, in one
// query. Parts of one request share what they both ask for (query.Request): only the sets no
// other part has read are read, together.
func (q *Queries) ProvenanceOf(ctx context.Context, sets []ProvenanceSet, loc *time.Location) ([][]SourceUse, error) {
	keys := make([]string, len(sets))
	for i, set := range sets {
		keys[i] = fmt.Sprintf("provenance\x00%s\x00%q\x00%s\x00%s", set.Dataset, set.Keys, set.Span.Range(), loc)
	}
	return onceEach(ctx, keys, func(missing []int) ([][]SourceUse, error) {
		want := make([]ProvenanceSet, len(missing))
		for j, i := range missing {
			want[j] = sets[i]
		}
		return q.provenance(ctx, want, loc)
	})
}

func (q *Queries) provenance(ctx context.Context, sets []ProvenanceSet, loc *time.Location) ([][]SourceUse, error) {
	if loc == nil {
		return nil, fmt.Errorf("provenance: nil time zone")
	}
	if len(sets) == 0 || len(sets) > 255 {
		return nil, fmt.Errorf("provenance: %d datasets (1 to 255)", len(sets))
	}
	var parts []string
	var args []any
	for i, set := range sets {
		def, ok := datasetSQL[set.Dataset]
		if !ok {
			return nil, fmt.Errorf("provenance: unknown dataset %q", set.Dataset)
		}
		s := set.Span
		// A list of keys as an IN list of bound values, which the sort key can use (has() cannot).
		where := "1"
		if len(set.Keys) > 0 {
			where = def.key + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(set.Keys)), ", ") + ")"
			for _, k := range set.Keys {
				args = append(args, k)
			}
		}
		if def.day != "" {
			where += " AND " + def.day + " >= toDate(?) AND " + def.day + " <= toDate(?)"
			if def.local {
				args = append(args, loc.String(), dateArg(s.From), loc.String(), dateArg(s.To))
			} else {
				args = append(args, dateArg(s.From), dateArg(s.To))
			}
		}
		if set.Dataset == DatasetSectors {
			// Sector rows carry no date: they belong to events, so take those of the span's events.
			where += " AND (account_id, event_id) IN (SELECT account_id, event_id FROM events FINAL WHERE deleted = 0 AND toDate(starts_at, ?) >= toDate(?) AND toDate(starts_at, ?) <= toDate(?))"
			args = append(args, loc.String(), dateArg(s.From), loc.String(), dateArg(s.To))
		}
		// Only the fixed strings of datasetSQL and the dataset's own name reach the SQL text.
		parts = append(parts, fmt.Sprintf("SELECT toUInt8(%d) AS part, source, count() AS n, max(version) AS fetched FROM %s FINAL WHERE %s GROUP BY source",
			i, string(set.Dataset), where))
	}
	out := make([][]SourceUse, len(sets))
	err := eachRow(ctx, q.conn, "provenance", `
SELECT p.part, p.source, p.n, p.fetched, r.n_ok, r.last_ok
FROM (
    `+strings.Join(parts, "\n    UNION ALL\n    ")+`
) AS p
ANY LEFT JOIN (`+lastOKRuns+`
) AS r USING source
ORDER BY p.part, p.n DESC, p.source`, args,
		func(rows driver.Rows) error {
			var u SourceUse
			var part uint8
			var version, nOK uint64
			var lastOK time.Time
			if err := rows.Scan(&part, &u.Source, &u.Rows, &version, &nOK, &lastOK); err != nil {
				return err
			}
			u.Fetched = time.Unix(0, int64(version)).UTC()
			if nOK > 0 {
				t := lastOK.UTC()
				u.LastOK = &t
			}
			out[part] = append(out[part], u)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
