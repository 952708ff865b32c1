package query

import (
	"context"
	"fmt"
	"time"
)

// The read API's raw series (GET /api/v1/kpis): every KPI of the overview, and each social
// account's reach, per bucket of a day, ISO week, month, quarter or year over a range of days.
// Each value is the same definition the overview and the reports use (kpiReader.facts), so the API
// can never disagree with the dashboard.
//
// Figures that count people — unique visitors and reach — are the provider's own figure for a
// whole calendar period, never a sum: a quarter's unique visitors are not the sum of its months,
// and a week has no provider figure at all. Unique visitors appear for a bucket whose days are
// exactly one calendar month, quarter or year (kpiReader's definition, so a partial quarter bucket
// that is a whole month shows that month's figure); reach for a whole bucket of the grain asked
// for (a day, month, quarter or year). Everything else is null.

// SeriesGrain is the length of one point of an API series.
type SeriesGrain string

// Series grains. A week is an ISO week, Monday to Sunday.
const (
	SeriesDay     SeriesGrain = "day"
	SeriesWeek    SeriesGrain = "week"
	SeriesMonth   SeriesGrain = "month"
	SeriesQuarter SeriesGrain = "quarter"
	SeriesYear    SeriesGrain = "year"
)

// SeriesGrains lists the grains in order.
func SeriesGrains() []SeriesGrain {
	return []SeriesGrain{SeriesDay, SeriesWeek, SeriesMonth, SeriesQuarter, SeriesYear}
}

// ParseSeriesGrain reads a grain's name.
func ParseSeriesGrain(s string) (SeriesGrain, bool) {
	for _, g := range SeriesGrains() {
		if string(g) == s {
			return g, true
		}
	}
	return "", false
}

// KPIReachPrefix names an account's reach series: "social.reach.facebook". Reach is read per
// account, never summed over accounts or periods, because it counts people.
const KPIReachPrefix = "social.reach."

// SeriesBuckets lists the buckets of grain g over span s, in order. Buckets at the edges may be
// partial (Full false) when s does not start or end on the grain's boundaries.
func SeriesBuckets(s Span, g SeriesGrain) []Bucket {
	switch g {
	case SeriesDay, SeriesWeek, SeriesMonth:
		return Buckets(s, Grain(g))
	}
	var out []Bucket
	start := utcDay(s.From.Year(), time.January, 1)
	step := 12
	if g == SeriesQuarter {
		start = utcDay(s.From.Year(), time.Month(3*((int(s.From.Month())-1)/3)+1), 1)
		step = 3
	}
	for !start.After(s.To) {
		next := start.AddDate(0, step, 0)
		b := Bucket{Start: start, End: next.AddDate(0, 0, -1), Full: true}
		if b.Start.Before(s.From) {
			b.Start, b.Full = s.From, false
		}
		if b.End.After(s.To) {
			b.End, b.Full = s.To, false
		}
		out = append(out, b)
		start = next
	}
	return out
}

// calendarSpan is the span a bucket covers: the calendar month, quarter or year itself when the
// bucket is one whole such period, so that figures given per calendar period (unique visitors)
// are found; otherwise a range of days, for which no such figure exists.
func calendarSpan(b Bucket, g SeriesGrain) Span {
	if b.Full {
		switch g {
		case SeriesMonth:
			return MonthSpan(b.Start.Year(), b.Start.Month())
		case SeriesQuarter:
			return QuarterSpan(b.Start.Year(), (int(b.Start.Month())-1)/3+1)
		case SeriesYear:
			return YearSpan(b.Start.Year())
		}
	}
	return Span{Kind: SpanCustom, From: b.Start, To: b.End, End: b.End}
}

// SeriesPoint is a series' value over one bucket; nil when unknown.
type SeriesPoint struct {
	Bucket
	Value *float64
}

// Series is one KPI per bucket.
type Series struct {
	// KPI is the KPI's name (KPIs) or KPIReachPrefix + platform.
	KPI   string
	Shape KPIShape
	// Platform is set for followers and reach; Account for reach, which is per account.
	Platform string
	Account  string
	Points   []SeriesPoint
}

// KPISeries computes defs, and with reach every social account's reach, per bucket of grain g
// over span s.
func (q *Queries) KPISeries(ctx context.Context, defs []KPIDef, scope KPIScope, s Span, g SeriesGrain, reach bool) ([]Series, error) {
	if scope.Location == nil {
		return nil, fmt.Errorf("kpi series: nil time zone")
	}
	if _, ok := ParseSeriesGrain(string(g)); !ok {
		return nil, fmt.Errorf("kpi series: unknown grain %q", g)
	}
	buckets := SeriesBuckets(s, g)
	reader := kpiReader{q: q, scope: scope, lo: s.From, hi: s.To}
	out := make([]Series, 0, len(defs)+len(scope.Social))
	for _, d := range defs {
		f, err := reader.facts(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("kpi series %s: %w", d.Name, err)
		}
		ser := Series{KPI: string(d.Name), Shape: d.Shape, Platform: d.Platform, Points: make([]SeriesPoint, len(buckets))}
		for i, b := range buckets {
			ser.Points[i] = SeriesPoint{Bucket: b, Value: f(calendarSpan(b, g))}
		}
		out = append(out, ser)
	}
	if !reach {
		return out, nil
	}
	for _, a := range scope.Social {
		ser, err := q.reachSeries(ctx, a, s, g, buckets)
		if err != nil {
			return nil, err
		}
		out = append(out, ser)
	}
	return out, nil
}

// reachSeries is an account's reach per bucket: the platform's row for exactly that day, month,
// quarter or year; nil for weeks and partial buckets.
func (q *Queries) reachSeries(ctx context.Context, a SocialAccount, s Span, g SeriesGrain, buckets []Bucket) (Series, error) {
	ser := Series{KPI: KPIReachPrefix + a.Platform, Shape: ShapePeriod, Platform: a.Platform, Account: a.AccountID,
		Points: make([]SeriesPoint, len(buckets))}
	byStart := map[time.Time]Reach{}
	if g != SeriesWeek {
		rows, err := q.ReachBetween(ctx, a.Platform, a.AccountID, Period(g), s.From, s.To)
		if err != nil {
			return ser, fmt.Errorf("kpi series: %w", err)
		}
		for _, r := range rows {
			byStart[r.Start.UTC()] = r
		}
	}
	for i, b := range buckets {
		ser.Points[i].Bucket = b
		if r, ok := byStart[b.Start]; ok && b.Full && r.End.UTC().Equal(b.End) {
			ser.Points[i].Value = f64(r.Reach)
		}
	}
	return ser, nil
}

// DefaultKPIScope is whose figures the KPIs read when nothing narrower is asked for: the site,
// every social account, the first newsletter list and events register, and every feed — the
// scope the reports use (internal/report), found from what the database holds.
func (q *Queries) DefaultKPIScope(ctx context.Context, siteID string, loc *time.Location) (KPIScope, error) {
	s := KPIScope{SiteID: siteID, Location: loc}
	var err error
	if s.Social, err = q.SocialAccounts(ctx); err != nil {
		return s, err
	}
	lists, err := q.NewsletterLists(ctx)
	if err != nil {
		return s, err
	}
	if len(lists) > 0 {
		s.ListID = lists[0]
	}
	accounts, err := q.EventAccounts(ctx)
	if err != nil {
		return s, err
	}
	if len(accounts) > 0 {
		s.EventAccount = accounts[0]
	}
	if s.Feeds, err = q.Feeds(ctx); err != nil {
		return s, err
	}
	return s, nil
}
