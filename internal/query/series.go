package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
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

// SeriesPoint is a series' value over one bucket; nil when unknown.
type SeriesPoint struct {
	days.Bucket
	Value *float64
	// MeasuredOn is, for a level or new followers, the day Value was measured when that is before
	// the bucket's last day (see KPIValue.MeasuredOn); nil otherwise.
	MeasuredOn *time.Time
	// Partial: Value covers only part of the bucket's period, which is still running on today or
	// has traffic for only some of its days (kpiReader.partial). Independent of Full, which says
	// whether the range cut the bucket.
	Partial bool
}

// Series is one KPI per bucket.
type Series struct {
	// KPI is the figure's name (metrics.APISeries): a KPI or metrics.Reach(platform).
	KPI   string
	Shape metrics.Shape
	// Platform is set for followers and reach; Account for reach, which is per account.
	Platform string
	Account  string
	Points   []SeriesPoint
}

// KPISeries computes defs, and with reach every social account's reach, per bucket of grain g
// over span s.
func (q *Queries) KPISeries(ctx context.Context, defs []metrics.Metric, scope KPIScope, s days.Span, g days.Kind, reach bool) ([]Series, error) {
	if scope.Location == nil {
		return nil, fmt.Errorf("kpi series: nil time zone")
	}
	if _, ok := days.ParseGrain(string(g)); !ok {
		return nil, fmt.Errorf("kpi series: unknown grain %q", g)
	}
	buckets := days.Buckets(s, g)
	today := scope.today()
	reader := kpiReader{q: q, scope: scope, lo: s.From, hi: s.To}
	out := make([]Series, 0, len(defs)+len(scope.Social))
	for _, d := range defs {
		f, err := reader.facts(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("kpi series %s: %w", d.Name, err)
		}
		ser := Series{KPI: string(d.Name), Shape: d.Shape, Platform: d.Platform, Points: make([]SeriesPoint, len(buckets))}
		for i, b := range buckets {
			bs := b.Span(g)
			v := f(bs)
			ser.Points[i] = SeriesPoint{Bucket: b, Value: v, MeasuredOn: reader.measuredOn(d.Name, bs, v),
				Partial: reader.partial(d, bs, v, today)}
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
func (q *Queries) reachSeries(ctx context.Context, a SocialAccount, s days.Span, g days.Kind, buckets []days.Bucket) (Series, error) {
	ser := Series{KPI: string(metrics.Reach(a.Platform)), Shape: metrics.ShapePeriod, Platform: a.Platform, Account: a.AccountID,
		Points: make([]SeriesPoint, len(buckets))}
	byStart := map[time.Time]Reach{}
	if g != days.Week {
		rows, err := q.ReachBetween(ctx, a.Platform, a.AccountID, days.Kind(g), s.From, s.To)
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
	d, err := q.Discover(ctx, siteID, loc)
	if err != nil {
		return KPIScope{}, err
	}
	return d.Scope(siteID, loc), nil
}
