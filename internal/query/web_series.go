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
	rows, err := q.conn.Query(ctx, `
SELECT date, sum(sessions), sum(pageviews)
FROM `+latestWebTraffic+`
WHERE date >= toDate(?) AND date <= toDate(?)
GROUP BY date
ORDER BY date`, append(trafficArgs(siteID, from, to), dateArg(from), dateArg(to))...)
	if err != nil {
		return nil, fmt.Errorf("daily traffic for %s %s..%s: %w", siteID, dateArg(from), dateArg(to), err)
	}
	defer func() { _ = rows.Close() }()
	var out []trafficDay
	for rows.Next() {
		var d trafficDay
		if err := rows.Scan(&d.day, &d.sessions, &d.pageviews); err != nil {
			return nil, fmt.Errorf("daily traffic for %s: %w", siteID, err)
		}
		d.day = d.day.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily traffic for %s: %w", siteID, err)
	}
	return out, nil
}

// PeriodVisitorsBetween returns a site's unique-visitor rows of one period length that start
// from..to (both included), in date order — e.g. the provider's monthly figures for a chart. It
// reads whole years of rows (visitorYear), which the parts of one request share.
func (q *Queries) PeriodVisitorsBetween(ctx context.Context, siteID string, period days.Kind, from, to time.Time) ([]PeriodVisitors, error) {
	read := func(y int) ([]PeriodVisitors, error) { return q.visitorYear(ctx, siteID, y) }
	return inYears(from, to, read, func(r PeriodVisitors) bool {
		return r.Period == period && !r.Start.Before(from) && !r.Start.After(to)
	})
}

// visitorYear is every unique-visitor row of a site whose period starts in year (months, quarters
// and the year), by period start; read once per request (query.Request).
func (q *Queries) visitorYear(ctx context.Context, siteID string, year int) ([]PeriodVisitors, error) {
	return once(ctx, fmt.Sprintf("visitors\x00%s\x00%d", siteID, year), func() ([]PeriodVisitors, error) {
		y := days.YearSpan(year)
		rows, err := q.conn.Query(ctx, `
SELECT period, period_start, period_end, visitors, new_visitors, returning_visitors,
       version < toUInt64(toUnixTimestamp(toDateTime(period_end + 1, 'UTC'))) * 1000000000 AS running
FROM web_visitors_period FINAL
WHERE site_id = ? AND period_start >= toDate(?) AND period_start <= toDate(?)
ORDER BY period_start, period`, siteID, dateArg(y.From), dateArg(y.To))
		if err != nil {
			return nil, fmt.Errorf("visitors for %s %d: %w", siteID, year, err)
		}
		defer func() { _ = rows.Close() }()
		var out []PeriodVisitors
		for rows.Next() {
			var p PeriodVisitors
			var kind string
			var running uint8
			if err := rows.Scan(&kind, &p.Start, &p.End, &p.Visitors, &p.NewVisitors, &p.ReturningVisitors, &running); err != nil {
				return nil, fmt.Errorf("visitors for %s %d: %w", siteID, year, err)
			}
			p.Period, p.Start, p.End = days.Kind(kind), p.Start.UTC(), p.End.UTC()
			if running == 1 {
				p.Running, p.Visitors, p.NewVisitors, p.ReturningVisitors = true, nil, nil, nil
			}
			out = append(out, p)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("visitors for %s %d: %w", siteID, year, err)
		}
		return out, nil
	})
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
