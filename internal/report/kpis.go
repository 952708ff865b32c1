package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// KPI is one key figure over a report's period, beside the periods it is compared with.
type KPI struct {
	// Name is the KPI's name (metrics.ReportKPIs): the overview's KPIs plus the report's own,
	// the share of new visitors and per platform growth and reach per month.
	Name     string        `json:"kpi"`
	Shape    metrics.Shape `json:"shape"`
	Platform string        `json:"platform,omitempty"`
	Compared
	// ChangePrevious and ChangeYearEarlier are Current against Previous and YearEarlier; nil
	// when either is unknown. A rate's change is in percentage points (Delta 0.02 = 2 points),
	// taken between the rates rounded to one decimal as shown.
	ChangePrevious    *Change `json:"change_previous,omitempty"`
	ChangeYearEarlier *Change `json:"change_year_earlier,omitempty"`
	Target            *Target `json:"target,omitempty"`
}

// Percent tells whether the KPI is a share or rate shown in percent.
func (k KPI) Percent() bool { return k.Shape == metrics.ShapeRate }

// Change is how a KPI moved.
type Change struct {
	Delta    float64  `json:"delta"`
	Relative *float64 `json:"relative,omitempty"`
}

// Target statuses.
const (
	StatusMet        = "met"         // the target is reached
	StatusOnTrack    = "on_track"    // a sum ahead of a steady pace towards the target
	StatusBehind     = "behind"      // a sum behind a steady pace, or a rate below the target
	StatusInProgress = "in_progress" // a level not reached yet while the year runs
	StatusMissed     = "missed"      // the year is over and the target was not reached
	StatusUnknown    = "unknown"     // no figure to compare
)

// Target is a KPI's yearly target and how far the year has come towards it.
type Target struct {
	Year int `json:"year"`
	// Value is the target in the KPI's unit (a rate as a fraction).
	Value float64 `json:"value"`
	// Progress is the KPI over the year up to the report period's last day; nil when unknown.
	Progress *float64 `json:"progress"`
	// Share is Progress / Value.
	Share *float64 `json:"share,omitempty"`
	// Expected is, for a sum, where a steady pace would stand by the period's last day.
	Expected *float64 `json:"expected,omitempty"`
	Status   string   `json:"status"`
}

// queryTargets converts the configured targets (rates in percent) into the query layer's.
func (b *Builder) queryTargets() []query.Target {
	var out []query.Target
	for _, t := range b.targets {
		if m, ok := metrics.Lookup(t.KPI); ok && m.On(metrics.Target) {
			out = append(out, query.Target{KPI: m.Name, Year: t.Year, Value: m.FromPercent(t.Value)})
		}
	}
	return out
}

// periods are the spans a report compares: its own, the one before, and (quarterly) a year before.
type periods struct {
	current, previous, yearEarlier days.Span
	quarterly                      bool
}

func (p periods) spans() []days.Span {
	if p.quarterly {
		return []days.Span{p.current, p.previous, p.yearEarlier}
	}
	return []days.Span{p.current, p.previous}
}

// stretch is the first and last day of the spans p compares: what a report reads.
func (p periods) stretch() (lo, hi time.Time) {
	lo = p.previous.From
	if p.quarterly && p.yearEarlier.From.Before(lo) {
		lo = p.yearEarlier.From
	}
	return lo, p.current.To
}

// compared builds a Compared from one figure per span of p.
func (p periods) compared(f func(days.Span) Figure) Compared {
	c := Compared{Current: f(p.current), Previous: f(p.previous)}
	if p.quarterly {
		y := f(p.yearEarlier)
		c.YearEarlier = &y
	}
	return c
}

// of picks the figure of span s out of c.
func (p periods) of(c Compared, s days.Span) Figure {
	switch {
	case s == p.current:
		return c.Current
	case s == p.previous:
		return c.Previous
	case c.YearEarlier != nil:
		return *c.YearEarlier
	}
	return Figure{}
}

// kpiRows computes every KPI over r.p with the precedence of resolve.go.
func (b *Builder) kpiRows(ctx context.Context, r *reading) ([]KPI, error) {
	p, h := r.p, r.h
	values, err := r.data.KPIValues(ctx, metrics.OverviewKPIs(), p.current, b.queryTargets())
	if err != nil {
		return nil, fmt.Errorf("report kpis: %w", err)
	}
	visitDays := map[time.Time]int{}
	for _, s := range p.spans() {
		visitDays[s.From] = r.data.TrafficDays(s)
	}
	var out []KPI
	byName := map[string]int{}
	for _, v := range values {
		d := v.Def
		name := string(d.Name)
		scopeKey := ""
		switch {
		case strings.HasPrefix(name, "web."):
			scopeKey = b.site.ID
		case strings.HasPrefix(name, "newsletter."):
			scopeKey = r.scope.ListID
		}
		collected := map[time.Time]*float64{p.current.From: v.Current, p.previous.From: v.Previous, p.yearEarlier.From: v.YearEarlier}
		k := KPI{Name: name, Shape: d.Shape, Platform: d.Platform}
		k.Compared = p.compared(func(s days.Span) Figure {
			c := collected[s.From]
			imp := h.figure(name, s, "", scopeKey)
			switch d.Reader {
			case metrics.ReadTraffic:
				return pick(c, coverageOf(visitDays[s.From], s.Days()), imp)
			case metrics.ReadEvents, metrics.ReadPublications:
				// No event in the register yields to an imported count for years entered as totals.
				if c != nil && *c == 0 && imp.Known() {
					return imp
				}
			}
			return pick(c, whole(c), imp)
		})
		measuredOn(&k.Compared, v)
		markPartial(&k.Compared, v)
		k.Target = b.target(d, v.Target, k.Current, p)
		byName[name] = len(out)
		out = append(out, k)
	}
	extras, err := b.extraKPIs(ctx, r, out, byName)
	if err != nil {
		return nil, err
	}
	out = append(out, extras...)
	for i := range out {
		d := metrics.MustLookup(metrics.Name(out[i].Name))
		out[i].ChangePrevious = change(d, out[i].Current, out[i].Previous)
		if out[i].YearEarlier != nil {
			out[i].ChangeYearEarlier = change(d, out[i].Current, *out[i].YearEarlier)
		}
	}
	return out, nil
}

// measuredOn marks the collected figures of c with the day their level was last measured, when
// that is before their period's end (query.KPIValue.MeasuredOn); imported figures are whole.
func measuredOn(c *Compared, v query.KPIValue) {
	set := func(f *Figure, on *time.Time) {
		if f != nil && f.Origin == Collected {
			f.MeasuredOn = isoDay(on)
		}
	}
	set(&c.Current, v.MeasuredOn)
	set(&c.Previous, v.PreviousMeasuredOn)
	set(c.YearEarlier, v.YearEarlierMeasuredOn)
}

// markPartial marks the collected figures of c that the query layer's rule finds partial
// (query.KPIValue.Partial): besides the coverage of pick, a sum of a period still running.
func markPartial(c *Compared, v query.KPIValue) {
	set := func(f *Figure, partial bool) {
		if f != nil && f.Origin == Collected && partial {
			f.Partial = true
		}
	}
	set(&c.Current, v.Partial)
	set(&c.Previous, v.PreviousPartial)
	set(c.YearEarlier, v.YearEarlierPartial)
}

func change(d metrics.Metric, current, earlier Figure) *Change {
	c := d.Compare(current.Value, earlier.Value)
	if c == nil {
		return nil
	}
	out := &Change{Delta: c.Delta, Relative: c.Relative}
	if d.Percent() && current.Value != nil && earlier.Value != nil {
		// The change of a rate is taken between the rates as shown (one decimal), so that
		// "20,4 % | 16,8 % | +3,6 prosentpoeng" adds up on the page.
		out.Delta = (shownTenths(*current.Value) - shownTenths(*earlier.Value)) / 1000
	}
	return out
}

// shownTenths is a rate (a fraction) in tenths of a percent, rounded as reports show it.
func shownTenths(x float64) float64 { return math.Round(x * 1000) }

// extraKPIs are the report's own KPIs (metrics.ReportKPIs that the overview does not show): the
// share of new visitors, and per platform the growth and the reach per month.
func (b *Builder) extraKPIs(ctx context.Context, rd *reading, base []KPI, byName map[string]int) ([]KPI, error) {
	p, h := rd.p, rd.h
	var out []KPI
	for _, m := range metrics.ReportKPIs() {
		if m.On(metrics.Overview) {
			continue // computed with the overview's KPIs (kpiRows)
		}
		k := KPI{Name: string(m.Name), Shape: m.Shape, Platform: m.Platform}
		var err error
		switch m.Reader {
		case metrics.ReadPeriodVisitors: // the share of new visitors
			k.Compared = p.compared(func(s days.Span) Figure {
				if err != nil {
					return Figure{}
				}
				var pv *query.PeriodVisitors
				pv, err = rd.data.SpanVisitors(ctx, s)
				c, _ := pv.Shares()
				return pick(c, whole(c), h.figure(k.Name, s, "", b.site.ID))
			})
		case metrics.ReadGrowth:
			followers, fok := byName[string(metrics.Followers(m.Platform))]
			newFollowers, nok := byName[string(metrics.NewFollowers(m.Platform))]
			if !fok || !nok {
				continue
			}
			k.Compared = p.compared(func(s days.Span) Figure {
				return growth(p.of(base[followers].Compared, s), p.of(base[newFollowers].Compared, s), h.figure(k.Name, s, "", ""))
			})
		case metrics.ReadReach:
			var mine []query.SocialAccount
			for _, a := range rd.scope.Social {
				if a.Platform == m.Platform {
					mine = append(mine, a)
				}
			}
			k.Compared = p.compared(func(s days.Span) Figure {
				c, cov := reachPerMonth(rd.data, mine, s)
				return pick(c, cov, h.figure(k.Name, s, "", ""))
			})
			if err == nil && len(mine) == 0 && !k.Current.Known() && !k.Previous.Known() {
				continue
			}
		default:
			return nil, fmt.Errorf("report kpi %s: the report has no reader %q", m.Name, m.Reader)
		}
		if err != nil {
			return nil, fmt.Errorf("report kpis: %w", err)
		}
		k.Target = b.target(m, nil, k.Current, p)
		out = append(out, k)
	}
	return out, nil
}

// growth is the report's "Vekst" for one period: computed from collected followers and new
// followers; else the imported growth as printed, with the computed one beside it where they
// differ once rounded; else computed from imported followers and new followers.
func growth(followers, newFollowers, imported Figure) Figure {
	computed := metrics.GrowthRate(followers.Value, newFollowers.Value)
	if followers.Origin == Collected && newFollowers.Origin == Collected && computed != nil {
		return Figure{Value: computed, Marks: Marks{Origin: Collected, Partial: followers.Partial || newFollowers.Partial,
			MeasuredOn: followers.MeasuredOn}}
	}
	if imported.Known() {
		if computed != nil && roundedDiffers(*imported.Value, *computed) {
			imported.Computed = computed
		}
		return imported
	}
	if computed == nil {
		return Figure{}
	}
	return Figure{Value: computed, Marks: Marks{Origin: Imported}}
}

// reachPerMonth is the report's "Rekkevidde per måned" over span s: the mean of the months that
// have a month row (query.AverageReachOf, the one definition), summed over the platform's accounts.
// It covers s when every account has every month.
func reachPerMonth(data *query.ReportData, accounts []query.SocialAccount, s days.Span) (*float64, coverage) {
	months := 0
	for m := s.From; !m.After(s.To); m = m.AddDate(0, 1, 0) {
		months++
	}
	var sum float64
	found, cov := false, coverWhole
	for _, a := range accounts {
		avg := query.AverageReachOf(data.Reach(a, days.Month, s))
		if avg.Average == nil {
			continue
		}
		sum += *avg.Average
		found = true
		if avg.Months < months {
			cov = coverPartial
		}
	}
	if !found {
		return nil, coverNone
	}
	return &sum, cov
}

// target reads a KPI's progress towards its target for the year of the period's last day. The
// query layer's progress on collected figures comes first; without one, the report's own figure
// for the period stands in where it means the same thing: a level or a rate at the period's end,
// or a sum or a period figure when the period is the whole year or its first quarter.
func (b *Builder) target(d metrics.Metric, collected *query.TargetProgress, current Figure, p periods) *Target {
	year := p.current.To.Year()
	var t *Target
	for _, ct := range b.targets {
		if ct.KPI != string(d.Name) || ct.Year != year {
			continue
		}
		t = &Target{Year: year, Value: d.FromPercent(ct.Value)}
	}
	if t == nil {
		return nil
	}
	if collected != nil && collected.Value != nil {
		t.Progress, t.Expected = collected.Value, collected.Expected
	} else {
		firstQuarter := p.quarterly && p.current.From.Month() == time.January
		if d.Shape == metrics.ShapeLevel || d.Shape == metrics.ShapeRate || !p.quarterly || firstQuarter {
			t.Progress = current.Value
		}
		if d.Shape == metrics.ShapeSum {
			yearSpan := days.YearSpan(year)
			e := t.Value * float64(p.current.To.Sub(yearSpan.From).Hours()/24+1) / float64(yearSpan.Days())
			t.Expected = &e
		}
	}
	yearOver := p.current.To.Equal(days.YearSpan(year).End)
	t.Status = status(d.Shape, t, yearOver)
	if t.Progress != nil && t.Value > 0 {
		t.Share = f64(*t.Progress / t.Value)
	}
	return t
}

func status(shape metrics.Shape, t *Target, yearOver bool) string {
	switch {
	case t.Progress == nil:
		return StatusUnknown
	case *t.Progress >= t.Value:
		return StatusMet
	case yearOver:
		return StatusMissed
	case shape == metrics.ShapeSum && t.Expected != nil && *t.Progress >= *t.Expected:
		return StatusOnTrack
	case shape == metrics.ShapeSum || shape == metrics.ShapeRate:
		return StatusBehind
	}
	return StatusInProgress
}
