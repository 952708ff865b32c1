package query

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// latestTopPages keeps, for one site and the months that overlap from..to, only the newest
// collection's pages, like latestWebTraffic (and bounded like it, with trafficArgs): a page that
// dropped out of a month's top list disappears with it.
const latestTopPages = `(
    SELECT * FROM web_top_pages
    WHERE site_id = ? AND month >= toStartOfMonth(toDate(?)) AND month <= toDate(?) AND (site_id, month, version) IN (
        SELECT site_id, month, max(version) FROM web_top_pages
        WHERE site_id = ? AND month >= toStartOfMonth(toDate(?)) AND month <= toDate(?)
        GROUP BY site_id, month
    )
)`

// dateArg formats a calendar day for toDate(?): only its year, month and day count, so callers may
// pass a time in any zone.
func dateArg(t time.Time) string { return t.Format("2006-01-02") }

// Share is one channel's or device's part of a site's visits.
type Share struct {
	// Key is the canonical value (organic_search, direct, …; desktop, mobile, …).
	Key string
	// Sessions are the visits with this key.
	Sessions uint64
	// Share is Sessions over all sessions of the range, 0–1.
	Share float64
}

// ChannelShares splits the visits (sessions) of from..to (calendar days, both included) by entry
// channel, largest first. Shares are of sessions, not visitors: daily visitors cannot be added up.
func (q *Queries) ChannelShares(ctx context.Context, siteID string, from, to time.Time) ([]Share, error) {
	return q.sessionShares(ctx, true, siteID, from, to)
}

// DeviceShares splits the visits (sessions) of from..to (both included) by device, largest first.
func (q *Queries) DeviceShares(ctx context.Context, siteID string, from, to time.Time) ([]Share, error) {
	return q.sessionShares(ctx, false, siteID, from, to)
}

// sessionShares sums sessions by channel or device (byChannel false) from the request's traffic rows.
func (q *Queries) sessionShares(ctx context.Context, byChannel bool, siteID string, from, to time.Time) ([]Share, error) {
	rows, err := q.traffic(ctx, siteID, from, to, !byChannel)
	if err != nil {
		return nil, fmt.Errorf("shares for %s %s..%s: %w", siteID, dateArg(from), dateArg(to), err)
	}
	sums := map[string]uint64{}
	var total uint64
	for _, t := range rows {
		sums[t.key] += t.sessions
		total += t.sessions
	}
	return sharesOf(sums, total), nil
}

// sharesOf turns sessions by key (summing to total) into shares, largest first, then by key: the
// order the tables and charts show.
func sharesOf(sums map[string]uint64, total uint64) []Share {
	out := make([]Share, 0, len(sums))
	for k, n := range sums {
		s := Share{Key: k, Sessions: n}
		if total > 0 {
			s.Share = float64(n) / float64(total)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sessions != out[j].Sessions {
			return out[i].Sessions > out[j].Sessions
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// PeriodVisitors is one provider row of deduplicated visitors for a whole period.
type PeriodVisitors struct {
	Period days.Kind
	Start  time.Time
	End    time.Time
	// Visitors are unique over the whole period (each person once), so never the sum of shorter
	// periods; nil when the provider could not give the figure, and likewise for the split below.
	Visitors          *uint64
	NewVisitors       *uint64
	ReturningVisitors *uint64
	// Running is true when the newest row was fetched before the period was over (before 00:00
	// UTC after its last day): a figure that would still grow. Its figures are then nil, on every
	// page, report and API alike, until a collection after the period's end gives the final one.
	Running bool
}

// Shares are the new and the returning visitors as shares of new + returning, which add up to
// 100 % (issue 11): providers count a person who was both new and returning in a period in both,
// so shares of Visitors could add up to more. The one definition of "share of new visitors" for
// the dashboard, the reports and the API; nil when either count is missing or both are 0.
func (p *PeriodVisitors) Shares() (newShare, returning *float64) {
	if p == nil || p.NewVisitors == nil || p.ReturningVisitors == nil || *p.NewVisitors+*p.ReturningVisitors == 0 {
		return nil, nil
	}
	all := float64(*p.NewVisitors + *p.ReturningVisitors)
	n, r := float64(*p.NewVisitors)/all, float64(*p.ReturningVisitors)/all
	return &n, &r
}

// TopPage is one page's pageviews over a range of months.
type TopPage struct {
	Path  string
	Title string // the title in the latest month the page appeared in
	// Pageviews is the sum of the page's monthly figures. A page counts only in the months it made
	// the provider's monthly top list, so this is a lower bound for pages near the bottom.
	Pageviews uint64
}

// ErrBadLimit is returned for a non-positive limit.
var ErrBadLimit = errors.New("limit must be positive")

// TopPages returns a site's most viewed pages over the months that overlap from..to (both days
// included; the provider reports whole months), most viewed first, at most limit of them.
func (q *Queries) TopPages(ctx context.Context, siteID string, from, to time.Time, limit int) ([]TopPage, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("top pages for %s: %w (got %d)", siteID, ErrBadLimit, limit)
	}
	query := `
SELECT path, argMax(title, month) AS latest_title, sum(pageviews) AS views
FROM ` + latestTopPages + `
WHERE month >= toStartOfMonth(toDate(?)) AND month <= toDate(?)
GROUP BY path
ORDER BY views DESC, path
LIMIT ?`
	return collect(ctx, q.conn, "top pages for "+siteID+" "+dateArg(from)+".."+dateArg(to), query,
		append(trafficArgs(siteID, from, to), dateArg(from), dateArg(to), limit),
		func(rows driver.Rows) (TopPage, error) {
			var p TopPage
			err := rows.Scan(&p.Path, &p.Title, &p.Pageviews)
			return p, err
		})
}
