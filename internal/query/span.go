package query

import (
	"errors"
	"fmt"
	"time"
)

// SpanKind is what a reader picked: a calendar month, quarter or year, or any range of days.
type SpanKind string

// The span kinds of the dashboard's period picker.
const (
	SpanMonth   SpanKind = "month"
	SpanQuarter SpanKind = "quarter"
	SpanYear    SpanKind = "year"
	SpanCustom  SpanKind = "custom"
)

// Span is the stretch of calendar days a page shows, From..To with both days included, and the
// definition of what it is compared with. Days are time.Time at 00:00 UTC (see internal/days).
//
// A calendar span that is still running (it holds today) is clipped at today: To is today and End
// stays the period's last day. Its comparisons are clipped to the same number of days, so "this
// month so far" is compared with the same first days of the previous month and of the same month a
// year earlier — like with like.
type Span struct {
	Kind SpanKind
	From time.Time
	To   time.Time
	// End is the last day of the whole calendar period; equal to To unless the span is clipped.
	End time.Time
}

// MaxCustomDays bounds a custom range: ten years of daily points is already more than any chart
// or table here can show.
const MaxCustomDays = 3700

// ErrBadSpan is wrapped by every span constructor's error.
var ErrBadSpan = errors.New("bad period")

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// MonthSpan is calendar month m of year y.
func MonthSpan(y int, m time.Month) Span {
	from := utcDay(y, m, 1)
	end := from.AddDate(0, 1, -1)
	return Span{Kind: SpanMonth, From: from, To: end, End: end}
}

// QuarterSpan is quarter q (1–4) of year y.
func QuarterSpan(y, q int) Span {
	from := utcDay(y, time.Month(3*(q-1)+1), 1)
	end := from.AddDate(0, 3, -1)
	return Span{Kind: SpanQuarter, From: from, To: end, End: end}
}

// YearSpan is calendar year y.
func YearSpan(y int) Span {
	from, end := yearBounds(y)
	return Span{Kind: SpanYear, From: from, To: end, End: end}
}

// CustomSpan is from..to, both included; it must not run backwards or exceed MaxCustomDays.
func CustomSpan(from, to time.Time) (Span, error) {
	from, to = utcDay(from.Date()), utcDay(to.Date())
	if to.Before(from) {
		return Span{}, fmt.Errorf("%w: %s is after %s", ErrBadSpan, dateArg(from), dateArg(to))
	}
	s := Span{Kind: SpanCustom, From: from, To: to, End: to}
	if s.Days() > MaxCustomDays {
		return Span{}, fmt.Errorf("%w: %d days is longer than %d", ErrBadSpan, s.Days(), MaxCustomDays)
	}
	return s, nil
}

// Days counts the days From..To.
func (s Span) Days() int { return int(s.To.Sub(s.From).Hours()/24+0.5) + 1 }

// Clipped tells whether the span stops before its calendar period ends (a period still running).
func (s Span) Clipped() bool { return s.To.Before(s.End) }

// Whole tells whether the span is exactly one whole calendar month, quarter or year: the only
// spans for which providers give a deduplicated figure (unique visitors, reach).
func (s Span) Whole() bool { return s.Kind != SpanCustom && !s.Clipped() }

// Clip cuts the span at last (typically today): days after it have no figures yet.
func (s Span) Clip(last time.Time) Span {
	last = utcDay(last.Date())
	if s.To.After(last) && !last.Before(s.From) {
		s.To = last
	}
	return s
}

// Contains tells whether day lies in the span.
func (s Span) Contains(day time.Time) bool { return !day.Before(s.From) && !day.After(s.To) }

// Previous is the span just before: the previous month, quarter or year, or for a custom range the
// same number of days ending the day before it starts. A clipped span's previous span is clipped
// to the same length.
func (s Span) Previous() Span {
	var p Span
	switch s.Kind {
	case SpanMonth:
		p = MonthSpan(s.From.AddDate(0, -1, 0).Year(), s.From.AddDate(0, -1, 0).Month())
	case SpanQuarter:
		prev := s.From.AddDate(0, -3, 0)
		p = QuarterSpan(prev.Year(), (int(prev.Month())-1)/3+1)
	case SpanYear:
		p = YearSpan(s.From.Year() - 1)
	default:
		to := s.From.AddDate(0, 0, -1)
		return Span{Kind: SpanCustom, From: to.AddDate(0, 0, -(s.Days() - 1)), To: to, End: to}
	}
	return p.sameLength(s)
}

// YearEarlier is the same calendar span one year before. A custom range is shifted by a year
// (29 February becomes 28 February); a clipped span stays as long as s.
func (s Span) YearEarlier() Span {
	switch s.Kind {
	case SpanMonth:
		return MonthSpan(s.From.Year()-1, s.From.Month()).sameLength(s)
	case SpanQuarter:
		return QuarterSpan(s.From.Year()-1, (int(s.From.Month())-1)/3+1).sameLength(s)
	case SpanYear:
		return YearSpan(s.From.Year() - 1).sameLength(s)
	}
	from, to := yearBack(s.From), yearBack(s.To)
	return Span{Kind: SpanCustom, From: from, To: to, End: to}
}

// yearBack is the same date a year before; 29 February becomes 28 February rather than 1 March.
func yearBack(d time.Time) time.Time {
	y, m, day := d.Date()
	if m == time.February && day == 29 {
		day = 28
	}
	return utcDay(y-1, m, day)
}

// sameLength clips p (a whole calendar period) to as many days as clipped span s has.
func (p Span) sameLength(s Span) Span {
	if !s.Clipped() {
		return p
	}
	to := p.From.AddDate(0, 0, s.Days()-1)
	if to.Before(p.To) {
		p.To = to
	}
	return p
}

// Grain is the length of one point on a time chart.
type Grain string

// Grains of time charts. A week is an ISO week, Monday to Sunday.
const (
	GrainDay   Grain = "day"
	GrainWeek  Grain = "week"
	GrainMonth Grain = "month"
)

// DefaultGrain picks a grain that gives a readable number of points: days up to two months,
// weeks up to half a year, months beyond.
func DefaultGrain(s Span) Grain {
	switch n := s.Days(); {
	case n <= 62:
		return GrainDay
	case n <= 190:
		return GrainWeek
	default:
		return GrainMonth
	}
}

// Bucket is one point of a time chart: the days Start..End of one grain that lie inside the span.
// Buckets at the span's edges may be partial (a quarter starting on a Wednesday begins with a
// five-day week); Full says whether the bucket holds its whole day, week or month.
type Bucket struct {
	Start, End time.Time
	Full       bool
}

// BucketStart is the first day of the grain that holds day.
func BucketStart(g Grain, day time.Time) time.Time {
	day = utcDay(day.Date())
	switch g {
	case GrainWeek:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case GrainMonth:
		return utcDay(day.Year(), day.Month(), 1)
	}
	return day
}

// Buckets lists the span's buckets of grain g in order.
func Buckets(s Span, g Grain) []Bucket {
	var out []Bucket
	for start := BucketStart(g, s.From); !start.After(s.To); {
		var next time.Time
		switch g {
		case GrainWeek:
			next = start.AddDate(0, 0, 7)
		case GrainMonth:
			next = start.AddDate(0, 1, 0)
		default:
			next = start.AddDate(0, 0, 1)
		}
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

// localBounds are the instants at which the span's first day starts and the day after its last
// day starts in loc: instants t with from <= t < to fall on the span's days.
func localBounds(s Span, loc *time.Location) (from, to time.Time) {
	return time.Date(s.From.Year(), s.From.Month(), s.From.Day(), 0, 0, 0, 0, loc),
		time.Date(s.To.Year(), s.To.Month(), s.To.Day()+1, 0, 0, 0, 0, loc)
}

// localDay is the calendar day on which instant t falls in loc.
func localDay(t time.Time, loc *time.Location) time.Time { return utcDay(t.In(loc).Date()) }
