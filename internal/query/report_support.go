package query

import (
	"context"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// What the reports need: every figure table read once over the stretch a report compares (its
// period, the one before and, for a quarter, the same quarter a year before), each figure derived
// from those rows in Go by the same definitions the pages use (kpiReader); and the reports
// published earlier.

// ReportData holds the rows of one report's stretch lo..hi (calendar days, both included) for one
// scope. Every figure of a report is derived from it; nothing is read again.
type ReportData struct {
	q      *Queries
	scope  KPIScope
	lo, hi time.Time

	// channels and devices are each day's traffic per channel and per device (the same visits
	// split two ways).
	channels, devices []trafficRow
	followers         map[SocialAccount]levels
	reach             map[SocialAccount][]Reach
	campaigns         []Campaign
	events            []Event
	pages             []monthPage // the top-page lists of the months of the pages span asked for
}

// monthPage is one page of one month's top list.
type monthPage struct {
	month       time.Time
	path, title string
	pageviews   uint64
}

// reportReads bounds how many of a report's reads run at once: enough to overlap ClickHouse's
// work with ours, few enough not to crowd out other requests on a small server.
const reportReads = 3

// ReadReport reads every figure table a report shows over lo..hi for scope, each once (the
// request's shared blocks of whole years, Cover), at most reportReads at a time; pages, when not
// nil, is the span whose monthly top-page lists are read too (the annual report's "most visited
// pages"). The figures derived later (KPIValues, SpanVisitors) find their rows read.
func (q *Queries) ReadReport(ctx context.Context, scope KPIScope, lo, hi time.Time, pages *days.Span) (*ReportData, error) {
	if scope.Location == nil {
		return nil, fmt.Errorf("report data: nil time zone")
	}
	Cover(ctx, lo, hi)
	d := &ReportData{q: q, scope: scope, lo: lo, hi: hi, followers: map[SocialAccount]levels{}, reach: map[SocialAccount][]Reach{}}
	whole := days.Span{Kind: days.Custom, From: lo, To: hi, End: hi}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(reportReads)
	// Traffic comes with the unique visitors (web), followers with the subscribers (levelYears).
	g.Go(func() (err error) {
		if d.channels, err = q.traffic(gctx, scope.SiteID, lo, hi, false); err != nil {
			return err
		}
		d.devices, err = q.traffic(gctx, scope.SiteID, lo, hi, true)
		return err
	})
	g.Go(func() error {
		for _, a := range scope.Social {
			h, err := q.followerHistory(gctx, a.Platform, a.AccountID, lo, hi)
			if err != nil {
				return err
			}
			d.followers[a] = h
		}
		if scope.ListID != "" {
			_, err := q.subscriberHistory(gctx, scope.ListID, lo, hi)
			return err
		}
		return nil
	})
	g.Go(func() error {
		all, err := q.reachYears(gctx, lo, hi)
		for y := lo.Year(); y <= hi.Year(); y++ {
			for a, rows := range all[y] {
				d.reach[a] = append(d.reach[a], rows...)
			}
		}
		return err
	})
	if scope.ListID != "" {
		g.Go(func() (err error) {
			d.campaigns, err = q.SpanCampaigns(gctx, scope.ListID, whole, scope.Location)
			return err
		})
	}
	if scope.EventAccount != "" {
		g.Go(func() (err error) {
			d.events, err = q.SpanEvents(gctx, scope.EventAccount, whole, scope.Location)
			return err
		})
	}
	if len(scope.Feeds) > 0 {
		g.Go(func() error { _, err := q.SpanPublications(gctx, scope.Feeds, whole, scope.Location); return err })
	}
	if pages != nil {
		g.Go(func() (err error) { d.pages, err = q.monthPages(gctx, scope.SiteID, pages.From, pages.To); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("report data %s..%s: %w", dateArg(lo), dateArg(hi), err)
	}
	return d, nil
}

// KPIValues computes the KPIs defs over span s (inside the data's stretch), with monthly points
// and target progress: Queries.KPIValues, whose reads the request has already made.
func (d *ReportData) KPIValues(ctx context.Context, defs []metrics.Metric, s days.Span, targets []Target) ([]KPIValue, error) {
	return d.q.KPIValues(ctx, defs, d.scope, s, days.Month, targets)
}

// TrafficDays counts the days of s on which the site has any web traffic row: a period's visits
// or shares cover the whole period only when this equals its length.
func (d *ReportData) TrafficDays(s days.Span) int {
	seen := map[time.Time]bool{}
	for _, t := range d.channels {
		if s.Contains(t.day) {
			seen[t.day] = true
		}
	}
	return len(seen)
}

// Visits are the sessions of s, the report's "Totalt besøkende" (a sum of days); nil when no day
// of s has traffic.
func (d *ReportData) Visits(s days.Span) *uint64 {
	var sum uint64
	found := false
	for _, t := range d.channels {
		if s.Contains(t.day) {
			sum, found = sum+t.sessions, true
		}
	}
	if !found {
		return nil
	}
	return &sum
}

// Shares split the visits (sessions) of s by "channel" or "device", largest first (ChannelShares'
// definition: shares of sessions, never of daily visitors).
func (d *ReportData) Shares(dimension string, s days.Span) []Share {
	by := map[string]uint64{}
	var total uint64
	rows := d.channels
	if dimension == "device" {
		rows = d.devices
	}
	for _, t := range rows {
		if s.Contains(t.day) {
			by[t.key] += t.sessions
			total += t.sessions
		}
	}
	return sharesOf(by, total)
}

// SpanVisitors is Queries.SpanVisitors from the rows already read.
func (d *ReportData) SpanVisitors(ctx context.Context, s days.Span) (*PeriodVisitors, error) {
	return d.q.SpanVisitors(ctx, d.scope.SiteID, s)
}

// MonthlyNewFollowers is Queries.MonthlyNewFollowers of account a for the months of s.
func (d *ReportData) MonthlyNewFollowers(a SocialAccount, s days.Span) []MonthFollowers {
	return monthlyFollowers(d.followers[a], s.From, s.To)
}

// Reach are account a's reach rows of one period length that start on a day of s.
func (d *ReportData) Reach(a SocialAccount, period days.Kind, s days.Span) []Reach {
	var out []Reach
	for _, r := range d.reach[a] {
		if r.Period == period && s.Contains(r.Start) {
			out = append(out, r)
		}
	}
	return out
}

// Campaigns are the list's sends on the days of s, oldest first.
func (d *ReportData) Campaigns(s days.Span) []Campaign {
	return onDays(d.campaigns, s, d.scope.Location, func(c Campaign) time.Time { return c.SendTime })
}

// Events are the register's held events that start on the days of s, oldest first, with their
// sector breakdowns.
func (d *ReportData) Events(s days.Span) []Event {
	return onDays(d.events, s, d.scope.Location, func(e Event) time.Time { return e.StartsAt })
}

// onDays are the items whose instant at falls on a day (in loc) of s, in their order.
func onDays[T any](items []T, s days.Span, loc *time.Location, at func(T) time.Time) []T {
	var out []T
	for _, it := range items {
		if s.Contains(days.Of(at(it), loc)) {
			out = append(out, it)
		}
	}
	return out
}

// TopPages are the most viewed pages of the pages span ReadReport was given (TopPages'
// definition: a page's pageviews summed over the months whose top list holds it, its title from
// the latest of them), at most limit.
func (d *ReportData) TopPages(limit int) []TopPage {
	type agg struct {
		TopPage
		latest time.Time
	}
	by := map[string]*agg{}
	for _, p := range d.pages {
		a := by[p.path]
		if a == nil {
			a = &agg{TopPage: TopPage{Path: p.path, Title: p.title}, latest: p.month}
			by[p.path] = a
		}
		a.Pageviews += p.pageviews
		if p.month.After(a.latest) {
			a.Title, a.latest = p.title, p.month
		}
	}
	out := make([]TopPage, 0, len(by))
	for _, a := range by {
		out = append(out, a.TopPage)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pageviews != out[j].Pageviews {
			return out[i].Pageviews > out[j].Pageviews
		}
		return out[i].Path < out[j].Path
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// TopPageMonths counts the months of the pages span that have a top-pages list.
func (d *ReportData) TopPageMonths() int {
	seen := map[time.Time]bool{}
	for _, p := range d.pages {
		seen[p.month] = true
	}
	return len(seen)
}

// monthPages are the newest top-page lists of the months overlapping from..to.
func (q *Queries) monthPages(ctx context.Context, siteID string, from, to time.Time) ([]monthPage, error) {
	return collect(ctx, q.conn, "top pages for "+siteID+" "+dateArg(from)+".."+dateArg(to), `
SELECT month, path, title, pageviews
FROM `+latestTopPages+`
ORDER BY month, path`, trafficArgs(siteID, from, to),
		func(rows driver.Rows) (monthPage, error) {
			var p monthPage
			err := rows.Scan(&p.month, &p.path, &p.title, &p.pageviews)
			p.month = p.month.UTC()
			return p, err
		})
}

// PublishedReport is one publication of a report: the figures as they were printed, frozen.
type PublishedReport struct {
	// Report is "annual" or "quarterly"; Period "2022" or "2022-Q3"; Scope the site id.
	Report, Scope, Period string
	PublishedAt           time.Time
	PublishedBy           string
	// Body is the report as JSON (internal/report decodes it); Checksum its SHA-256 in hex.
	Body     string
	Checksum string
}
