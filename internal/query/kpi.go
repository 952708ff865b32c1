package query

import (
	"github.com/innomed/rekkevidde/internal/days"

	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/metrics"
	"golang.org/x/sync/errgroup"
)

// Target is a yearly goal for a KPI. Value is in the KPI's own unit: a count, or for a rate a
// fraction 0–1 (metrics.Metric.FromPercent converts the configured percent).
type Target struct {
	KPI   metrics.Name
	Year  int
	Value float64
}

// KPIScope says whose figures the KPIs read.
type KPIScope struct {
	SiteID string
	// Social are the accounts a platform's followers are summed over (usually one per platform).
	Social       []SocialAccount
	ListID       string // empty: newsletter KPIs are unknown
	EventAccount string // empty: event KPIs are unknown
	Feeds        []string
	// Location decides the day of a send, an event or a publication.
	Location *time.Location
	// Today is the day in Location that decides which periods are still running (Partial); zero
	// means today by the clock.
	Today time.Time
}

// today is the day scope's periods are judged running on.
func (s KPIScope) today() time.Time {
	if s.Today.IsZero() {
		return days.Of(time.Now(), s.Location)
	}
	return days.Date(s.Today.Date())
}

// KPIPoint is a KPI's value over one bucket of the span (a sparkline point).
type KPIPoint struct {
	days.Bucket
	Value *float64
	// Partial: Value covers only part of the bucket's days (see Partial).
	Partial bool
}

// KPIValue is one KPI over a span with its comparisons.
type KPIValue struct {
	Def metrics.Metric
	// Span, Previous and YearEarlier are the spans compared (see days.Span.Previous, days.Span.YearEarlier).
	Span, PreviousSpan, YearEarlierSpan days.Span
	// Current, Previous and YearEarlier are the KPI over those spans; nil when unknown (no figures,
	// or a figure that does not exist for the span, such as unique visitors of a custom range).
	Current, Previous, YearEarlier *float64
	// MeasuredOn is, for a level (followers, subscribers, last send's click rate), the day of the
	// measurement Current was read from when that day is before the span's end: the figure is
	// "last measured <day>", not "on <end>". Nil when measured on the end day or unknown. A level
	// measured before the span's first day is no value for the span (Current is nil): carrying
	// it forward would show a stopped source as flat growth. New followers measured up to a day
	// before the span's end carry that day too: the change up to the last measurement.
	MeasuredOn *time.Time
	// PreviousMeasuredOn and YearEarlierMeasuredOn are MeasuredOn for Previous and YearEarlier.
	PreviousMeasuredOn, YearEarlierMeasuredOn *time.Time
	// LastMeasured is, for the KPIs MeasuredOn applies to, the day of the newest measurement on or
	// before the span's end wherever it lies, also before the span (Current is nil then); nil when
	// nothing was ever measured by then. It tells how long a source has been silent.
	LastMeasured *time.Time
	// Partial, PreviousPartial and YearEarlierPartial mark a value that covers only part of its
	// span (the rule is kpiReader.partial; the reports' Figure.Partial means the same).
	Partial, PreviousPartial, YearEarlierPartial bool
	// Running tells that Current's period is not over: the span is still running on today, or
	// the provider's figure for the whole period was fetched before the period ended. A figure
	// given per whole period (unique visitors) is then absent, for that reason.
	Running bool
	// Points are the KPI per bucket of the span, for a sparkline.
	Points []KPIPoint
	// Target is the progress towards the configured target for the year of the span's last day;
	// nil when none is configured.
	Target *TargetProgress
}

// TargetProgress is how far a KPI has come towards its yearly target.
type TargetProgress struct {
	Year   int
	Target float64
	// AsOf is the last day counted: the span's last day.
	AsOf time.Time
	// Value is the KPI over the year up to AsOf (a sum so far, a level on AsOf, a rate so far, or
	// the provider's figure for the year so far); nil when unknown.
	Value *float64
	// Share is Value / Target; nil when Value is.
	Share *float64
	// Expected is, for a sum, the part of the target a steady pace would have reached by AsOf
	// (Target × days elapsed / days in the year); nil for other shapes.
	Expected *float64
}

// KPIValues computes the KPIs defs over span s with points of grain g, and progress towards
// targets. A family's figures are read once over the whole stretch the comparisons need, and every
// value is computed from them the same way.
func (q *Queries) KPIValues(ctx context.Context, defs []metrics.Metric, scope KPIScope, s days.Span, g days.Kind, targets []Target) ([]KPIValue, error) {
	if scope.Location == nil {
		return nil, fmt.Errorf("kpis: nil time zone")
	}
	prev, yoy := s.Previous(), s.YearEarlier()
	lo := minDay(prev.From, yoy.From)
	hi := s.To
	reader := kpiReader{q: q, scope: scope, lo: lo, hi: hi}
	if err := reader.prefetch(ctx, defs); err != nil {
		return nil, fmt.Errorf("kpis: %w", err)
	}
	out := make([]KPIValue, 0, len(defs))
	for _, d := range defs {
		f, err := reader.facts(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("kpi %s: %w", d.Name, err)
		}
		v := KPIValue{Def: d, Span: s, PreviousSpan: prev, YearEarlierSpan: yoy,
			Current: f(s), Previous: f(prev), YearEarlier: f(yoy)}
		today := scope.today()
		v.Partial, v.PreviousPartial = reader.partial(d, s, v.Current, today), reader.partial(d, prev, v.Previous, today)
		v.YearEarlierPartial = reader.partial(d, yoy, v.YearEarlier, today)
		v.Running = s.Running(today) || reader.fetchedEarly[s.From]
		v.MeasuredOn = reader.measuredOn(d.Name, s, v.Current)
		v.PreviousMeasuredOn = reader.measuredOn(d.Name, prev, v.Previous)
		v.YearEarlierMeasuredOn = reader.measuredOn(d.Name, yoy, v.YearEarlier)
		if m := reader.measured[d.Name]; m != nil {
			if on := m(s.To); !on.IsZero() {
				v.LastMeasured = &on
			}
		}
		for _, b := range days.Buckets(s, g) {
			bs := days.Span{Kind: days.Custom, From: b.Start, To: b.End, End: b.End}
			pt := KPIPoint{Bucket: b, Value: f(bs)}
			pt.Partial = reader.partial(d, bs, pt.Value, today)
			v.Points = append(v.Points, pt)
		}
		for _, t := range targets {
			if t.KPI != d.Name || t.Year != s.To.Year() {
				continue
			}
			p, err := reader.progress(ctx, d, f, t, s.To)
			if err != nil {
				return nil, fmt.Errorf("kpi %s target: %w", d.Name, err)
			}
			v.Target = p
		}
		out = append(out, v)
	}
	return out, nil
}

// kpiConcurrency bounds how many KPI families are read at once (prefetch).
const kpiConcurrency = 4

// prefetch reads the families of tables defs need side by side, over lo..hi and the years before
// it where the levels (followerHistory, subscriberHistory, lastCampaignBefore) look for the last
// count or send before lo. The request keeps each read, where facts
// then finds it; without a Request nothing would be kept, so nothing is read ahead.
func (r *kpiReader) prefetch(ctx context.Context, defs []metrics.Metric) error {
	if RequestOf(ctx) == nil {
		return nil
	}
	need := map[string]bool{}
	for _, d := range defs {
		switch d.Reader {
		case metrics.ReadTraffic, metrics.ReadPeriodVisitors:
			need["web"] = true
		case metrics.ReadFollowers, metrics.ReadGrowth:
			need["levels"] = need["levels"] || len(r.scope.Social) > 0
		case metrics.ReadSubscribers:
			need["levels"] = need["levels"] || r.scope.ListID != ""
		case metrics.ReadCampaigns:
			need["campaigns"] = r.scope.ListID != ""
		case metrics.ReadEvents:
			need["events"] = r.scope.EventAccount != ""
		}
	}
	loc := r.scope.Location
	g := new(errgroup.Group)
	g.SetLimit(kpiConcurrency)
	for family, ok := range need {
		if !ok {
			continue
		}
		g.Go(func() (err error) {
			switch family {
			case "web":
				_, err = r.q.web(ctx, r.scope.SiteID, r.lo, r.hi)
			case "levels":
				_, err = r.q.levelYears(ctx, days.Date(r.lo.AddDate(0, 0, -1).Year()-1, time.January, 1), r.hi)
			case "campaigns":
				_, err = r.q.campaignYears(ctx, r.scope.ListID, loc, days.Date(r.lo.AddDate(0, 0, -1).Year()-1, time.January, 1), r.hi)
			case "events":
				_, err = r.q.eventYears(ctx, r.scope.EventAccount, loc, r.lo, r.hi)
			}
			return err
		})
	}
	return g.Wait()
}

func minDay(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// kpiReader loads one KPI family's figures for lo..hi and returns the KPI as a function of a span
// inside that stretch. Families read by several KPIs (followers, campaigns) are loaded once.
type kpiReader struct {
	q      *Queries
	scope  KPIScope
	lo, hi time.Time

	traffic   map[time.Time]trafficDay
	followers map[string][]levels
	subs      *levels
	campaigns []Campaign
	events    []Event
	pubs      []Publication
	loaded    map[string]bool
	// measured holds, per level KPI (and new followers), the day of the measurement read for a
	// given day.
	measured map[metrics.Name]func(day time.Time) time.Time
	// fetchedEarly holds, by first day, the whole periods asked for whose provider figure (unique
	// visitors) was fetched before the period ended (PeriodVisitors.Running).
	fetchedEarly map[time.Time]bool
}

// partial is the one rule for a figure that covers only part of its period, on every surface
// (the overview, the API's series and the reports' Figure.Partial): a sum over a span still
// running on today — more can be added to it — and a traffic figure whose collected days are
// fewer than the span's (a collector that started late, stopped, or has not reached today).
// Levels are a value on a day and rates a ratio, never partial; an unknown value is not either.
func (r *kpiReader) partial(d metrics.Metric, s days.Span, v *float64, today time.Time) bool {
	if v == nil {
		return false
	}
	if d.Shape == metrics.ShapeSum && s.Running(today) {
		return true
	}
	if d.Reader != metrics.ReadTraffic {
		return false
	}
	for day := s.From; !day.After(s.To); day = day.AddDate(0, 0, 1) {
		if _, ok := r.traffic[day]; !ok {
			return true
		}
	}
	return false
}

// measuredOn is the day the value v of KPI k over span s was measured, when that is before s's
// last day; nil for a KPI that is not a level, an unknown value, or one measured on the last day.
func (r *kpiReader) measuredOn(k metrics.Name, s days.Span, v *float64) *time.Time {
	m := r.measured[k]
	if m == nil || v == nil {
		return nil
	}
	if on := m(s.To); !on.IsZero() && on.Before(s.To) {
		return &on
	}
	return nil
}

// track records how KPI k finds the day of the measurement it reads for a day.
func (r *kpiReader) track(k metrics.Name, on func(day time.Time) time.Time) {
	if r.measured == nil {
		r.measured = map[metrics.Name]func(time.Time) time.Time{}
	}
	r.measured[k] = on
}

type kpiFunc func(days.Span) *float64

// levelAt is a level's value on a day (the last measurement on or before it) and that
// measurement's day; nil when nothing was measured by then.
type levelAt func(day time.Time) (*float64, time.Time)

// level turns a levelAt into the KPI over a span: the value on its last day, but only when it was
// measured inside the span. It records the measurement day for KPIValue.MeasuredOn.
func (r *kpiReader) level(k metrics.Name, at levelAt) kpiFunc {
	r.track(k, func(day time.Time) time.Time { _, on := at(day); return on })
	return func(s days.Span) *float64 {
		v, on := at(s.To)
		if v == nil || on.Before(s.From) {
			return nil
		}
		return v
	}
}

func (r *kpiReader) once(family string, load func() error) error {
	if r.loaded == nil {
		r.loaded = map[string]bool{}
	}
	if r.loaded[family] {
		return nil
	}
	if err := load(); err != nil {
		return err
	}
	r.loaded[family] = true
	return nil
}

// loadOnce reads a family's items over the reader's whole stretch into *dst, once (r.once).
func loadOnce[T any](r *kpiReader, family string, dst *[]T, read func() ([]T, error)) error {
	return r.once(family, func() error {
		xs, err := read()
		*dst = xs
		return err
	})
}

// inSpan is the items whose day s contains, in their order.
func inSpan[T any](items []T, s days.Span, day func(T) time.Time) []T {
	var in []T
	for _, it := range items {
		if s.Contains(day(it)) {
			in = append(in, it)
		}
	}
	return in
}

func f64(v uint64) *float64 {
	x := float64(v)
	return &x
}

func (r *kpiReader) facts(ctx context.Context, d metrics.Metric) (kpiFunc, error) {
	loc, name := r.scope.Location, d.Name
	whole := days.Span{Kind: days.Custom, From: r.lo, To: r.hi, End: r.hi}
	// A reader of a list, an event register or feeds has no figure for a scope without one.
	if missing, ok := map[metrics.Reader]bool{
		metrics.ReadSubscribers:  r.scope.ListID == "",
		metrics.ReadCampaigns:    r.scope.ListID == "",
		metrics.ReadEvents:       r.scope.EventAccount == "",
		metrics.ReadPublications: len(r.scope.Feeds) == 0,
	}[d.Reader]; ok && missing {
		return unknownKPI, nil
	}
	switch d.Reader {
	case metrics.ReadTraffic:
		err := r.once("traffic", func() error {
			daily, err := r.q.dailyTraffic(ctx, r.scope.SiteID, r.lo, r.hi)
			r.traffic = map[time.Time]trafficDay{}
			for _, t := range daily {
				r.traffic[t.day] = t
			}
			return err
		})
		return func(s days.Span) *float64 {
			var sum uint64
			found := false
			for d := s.From; !d.After(s.To); d = d.AddDate(0, 0, 1) {
				if v, ok := r.traffic[d]; ok {
					if name == metrics.WebPageviews {
						sum += v.pageviews
					} else {
						sum += v.sessions
					}
					found = true
				}
			}
			if !found {
				return nil
			}
			return f64(sum)
		}, err

	case metrics.ReadPeriodVisitors:
		// Provider rows for whole periods only; the spans compared are few, so read them directly.
		byKind := map[days.Kind][]PeriodVisitors{}
		for _, p := range []days.Kind{days.Month, days.Quarter, days.Year} {
			rows, err := r.q.PeriodVisitorsBetween(ctx, r.scope.SiteID, p, r.lo, r.hi)
			if err != nil {
				return nil, err
			}
			byKind[p] = rows
		}
		return func(s days.Span) *float64 {
			// Only a span that is exactly one calendar period has the provider's figure; a sparkline
			// bucket that is a whole month is such a span too (days.Span.Calendar).
			s, ok := s.Calendar()
			if !ok {
				return nil
			}
			for _, p := range byKind[s.Kind] {
				if !p.Start.Equal(s.From) || !p.End.Equal(s.End) {
					continue
				}
				if p.Running {
					if r.fetchedEarly == nil {
						r.fetchedEarly = map[time.Time]bool{}
					}
					r.fetchedEarly[s.From] = true
				}
				if p.Visitors != nil {
					return f64(*p.Visitors)
				}
			}
			return nil
		}, nil

	case metrics.ReadFollowers:
		err := r.once("followers:"+d.Platform, func() error {
			if r.followers == nil {
				r.followers = map[string][]levels{}
			}
			for _, a := range r.scope.Social {
				if a.Platform != d.Platform {
					continue
				}
				h, err := r.q.followerHistory(ctx, a.Platform, a.AccountID, r.lo, r.hi)
				if err != nil {
					return err
				}
				r.followers[d.Platform] = append(r.followers[d.Platform], h)
			}
			return nil
		})
		histories := r.followers[d.Platform]
		// at sums the accounts' last measurements; its day is the newest of them.
		at := func(day time.Time) (*uint64, time.Time) {
			var sum uint64
			var on time.Time
			found := false
			for _, h := range histories {
				if v, m := h.measuredAt(day); v != nil {
					sum, found = sum+*v, true
					if m.After(on) {
						on = m
					}
				}
			}
			if !found {
				return nil, on
			}
			return &sum, on
		}
		if d.Shape == metrics.ShapeLevel {
			return r.level(d.Name, func(day time.Time) (*float64, time.Time) {
				if v, on := at(day); v != nil {
					return f64(*v), on
				}
				return nil, time.Time{}
			}), err
		}
		// New followers are the change up to the last measurement in the span (MeasuredOn says
		// which day when it is before the span's end); a span with no measurement of its own has
		// none: the count before it carried to its end would read as no growth.
		r.track(d.Name, func(day time.Time) time.Time { _, on := at(day); return on })
		return func(s days.Span) *float64 {
			end, on := at(s.To)
			start, _ := at(s.From.AddDate(0, 0, -1))
			if end == nil || start == nil || on.Before(s.From) {
				return nil
			}
			x := float64(int64(*end) - int64(*start))
			return &x
		}, err

	case metrics.ReadSubscribers:
		err := r.once("subscribers", func() error {
			h, err := r.q.subscriberHistory(ctx, r.scope.ListID, r.lo, r.hi)
			r.subs = &h
			return err
		})
		return r.level(d.Name, func(day time.Time) (*float64, time.Time) {
			if v, on := r.subs.measuredAt(day); v != nil {
				return f64(*v), on
			}
			return nil, time.Time{}
		}), err

	case metrics.ReadCampaigns:
		err := loadOnce(r, "campaigns", &r.campaigns, func() ([]Campaign, error) {
			return r.q.SpanCampaigns(ctx, r.scope.ListID, whole, loc)
		})
		if err != nil {
			return nil, err
		}
		if d.Name == metrics.NewsletterClickRate {
			return func(s days.Span) *float64 {
				return SumCampaigns(inSpan(r.campaigns, s, func(c Campaign) time.Time { return days.Of(c.SendTime, loc) })).ClickRate
			}, nil
		}
		// The newest send may lie before lo: it is no value for a span, but says when the list
		// last sent (KPIValue.LastMeasured).
		before, err := r.q.lastCampaignBefore(ctx, r.scope.ListID, loc, r.lo)
		if err != nil {
			return nil, err
		}
		return r.level(d.Name, func(day time.Time) (*float64, time.Time) {
			last := before
			for i := range r.campaigns {
				if !days.Of(r.campaigns[i].SendTime, loc).After(day) {
					last = &r.campaigns[i]
				}
			}
			if last == nil {
				return nil, time.Time{}
			}
			return last.ClickRate(), days.Of(last.SendTime, loc)
		}), nil

	case metrics.ReadEvents:
		err := loadOnce(r, "events", &r.events, func() ([]Event, error) {
			return r.q.SpanEvents(ctx, r.scope.EventAccount, whole, loc)
		})
		return func(s days.Span) *float64 {
			t := SumEvents(inSpan(r.events, s, func(e Event) time.Time { return days.Of(e.StartsAt, loc) }))
			if d.Name == metrics.EventsHeld {
				return f64(uint64(t.Events))
			}
			if t.Events > 0 && t.WithAttendance == 0 {
				return nil // events held, none counted: unknown, not zero
			}
			return f64(t.Attended)
		}, err

	case metrics.ReadPublications:
		err := loadOnce(r, "publications", &r.pubs, func() ([]Publication, error) {
			return r.q.SpanPublications(ctx, r.scope.Feeds, whole, loc)
		})
		return func(s days.Span) *float64 {
			return f64(uint64(len(inSpan(r.pubs, s, func(p Publication) time.Time { return p.Day }))))
		}, err
	}
	return nil, fmt.Errorf("KPI %q: reader %q computes no overview KPI", d.Name, d.Reader)
}

func unknownKPI(days.Span) *float64 { return nil }

// progress reads a target's progress as of asOf (the span's last day) from the KPI function f,
// which covers the year up to asOf because the reader's stretch starts a year before the span.
func (r *kpiReader) progress(ctx context.Context, d metrics.Metric, f kpiFunc, t Target, asOf time.Time) (*TargetProgress, error) {
	year := days.YearSpan(t.Year)
	ytd := year.Clip(asOf)
	p := &TargetProgress{Year: t.Year, Target: t.Value, AsOf: ytd.To}
	if d.Shape == metrics.ShapePeriod {
		// The provider's row for the year (collectors fetch a running year again until it ends).
		rows, err := r.q.PeriodVisitorsBetween(ctx, r.scope.SiteID, days.Year, year.From, year.From)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if row.Visitors != nil {
				p.Value = f64(*row.Visitors)
			}
		}
	} else {
		p.Value = f(days.Span{Kind: days.Custom, From: ytd.From, To: ytd.To, End: ytd.To})
	}
	if p.Value != nil && t.Value > 0 {
		share := *p.Value / t.Value
		p.Share = &share
	}
	if d.Shape == metrics.ShapeSum {
		e := t.Value * float64(ytd.Days()) / float64(year.Days())
		p.Expected = &e
	}
	return p, nil
}
