package query

import (
	"github.com/innomed/rekkevidde/internal/days"

	"context"
	"fmt"
	"time"
)

// VisitsPoint is one bucket of a site's traffic.
type VisitsPoint struct {
	days.Bucket
	// HasData is false when no day of the bucket has any traffic row: the collector holds nothing
	// for those days, which is a gap, not zero visits.
	HasData bool
	// Visits are sessions, summed over the bucket's days ("Totalt besøkende"); additive.
	Visits    uint64
	Pageviews uint64
}

// VisitsSeries returns a site's visits (sessions) and pageviews per bucket of grain g over span s,
// one point per bucket in order, gaps included (HasData false). There is deliberately no visitors
// series: a week's or a month's unique visitors are not the sum of its days; the provider's own
// monthly figure comes from PeriodVisitorsBetween.
func (q *Queries) VisitsSeries(ctx context.Context, siteID string, s days.Span, g days.Kind) ([]VisitsPoint, error) {
	daily, err := q.dailyTraffic(ctx, siteID, s.From, s.To)
	if err != nil {
		return nil, err
	}
	buckets := days.Buckets(s, g)
	out := make([]VisitsPoint, len(buckets))
	index := map[time.Time]int{}
	for i, b := range buckets {
		out[i].Bucket = b
		index[days.BucketStart(g, b.Start)] = i
	}
	for _, d := range daily {
		i, ok := index[days.BucketStart(g, d.day)]
		if !ok {
			continue
		}
		out[i].HasData = true
		out[i].Visits += d.sessions
		out[i].Pageviews += d.pageviews
	}
	return out, nil
}

type trafficDay struct {
	day                 time.Time
	sessions, pageviews uint64
}

// dailyTraffic sums a site's newest rows per day from..to; days without rows are absent.
func (q *Queries) dailyTraffic(ctx context.Context, siteID string, from, to time.Time) ([]trafficDay, error) {
	rows, err := q.traffic(ctx, siteID, from, to, false)
	if err != nil {
		return nil, fmt.Errorf("daily traffic for %s %s..%s: %w", siteID, dateArg(from), dateArg(to), err)
	}
	var out []trafficDay
	for _, t := range rows {
		if n := len(out); n > 0 && out[n-1].day.Equal(t.day) {
			out[n-1].sessions += t.sessions
			out[n-1].pageviews += t.pageviews
			continue
		}
		out = append(out, trafficDay{day: t.day, sessions: t.sessions, pageviews: t.pageviews})
	}
	return out, nil
}

// PeriodVisitorsBetween returns a site's unique-visitor rows of one period length that start
// from..to (both included), in date order — e.g. the provider's monthly figures for a chart. It
// reads whole years of rows (web), which the parts of one request share.
func (q *Queries) PeriodVisitorsBetween(ctx context.Context, siteID string, period days.Kind, from, to time.Time) ([]PeriodVisitors, error) {
	all, err := q.web(ctx, siteID, from, to)
	if err != nil {
		return nil, err
	}
	var out []PeriodVisitors
	for y := from.Year(); y <= to.Year(); y++ {
		for _, r := range all[y].visitors {
			if r.Period == period && !r.Start.Before(from) && !r.Start.After(to) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// SpanVisitors returns the provider's unique visitors (with new and returning) for span s when s
// is exactly one whole calendar month, quarter or year (days.Span.Calendar: also a custom range
// that is one) and the provider gave that period's row; otherwise
// nil. It is never derived from shorter periods: a custom range has no unique-visitor figure.
func (q *Queries) SpanVisitors(ctx context.Context, siteID string, s days.Span) (*PeriodVisitors, error) {
	s, ok := s.Calendar()
	if !ok {
		return nil, nil
	}
	rows, err := q.PeriodVisitorsBetween(ctx, siteID, s.Kind, s.From, s.From)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if rows[i].Start.Equal(s.From) && rows[i].End.Equal(s.End) {
			return &rows[i], nil
		}
	}
	return nil, nil
}
