package days

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the length of a period or of one point of a time chart: a day, an ISO week (Monday to
// Sunday), a calendar month, quarter or year, or for a span any range of days (Custom). The
// constants are untyped so the write side (Period.Kind, a string) and the read side share them.
type Kind string

// The kinds, shortest first. Day, Week and Custom never have a provider's deduplicated figure.
const (
	Day    = "day"
	Week   = "week"
	Custom = "custom"
)

// Grains lists the kinds a time series can be cut into, shortest first.
func Grains() []Kind { return []Kind{Day, Week, Month, Quarter, Year} }

// ParseGrain reads a grain's name.
func ParseGrain(s string) (Kind, bool) {
	for _, g := range Grains() {
		if string(g) == s {
			return g, true
		}
	}
	return "", false
}

// QuarterOf is the quarter (1–4) day falls in. The one place the quarter formula is written.
func QuarterOf(day time.Time) int { return (int(day.Month())-1)/3 + 1 }

// QuarterStart is the first day of quarter q (1–4) of year y.
func QuarterStart(y, q int) time.Time { return Date(y, time.Month(3*(q-1)+1), 1) }

// Span is the stretch of calendar days a page, report or series shows, From..To with both days
// included, and the definition of what it is compared with. Days are time.Time at 00:00 UTC.
//
// A calendar span that is still running (it holds today) is clipped at today: To is today and End
// stays the period's last day. Its comparisons are clipped to the same number of days, so "this
// month so far" is compared with the same first days of the previous month and of the same month a
// year earlier — like with like.
type Span struct {
	Kind Kind
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

// MonthSpan is calendar month m of year y.
func MonthSpan(y int, m time.Month) Span { return whole(Month, Date(y, m, 1), 1) }

// QuarterSpan is quarter q (1–4) of year y.
func QuarterSpan(y, q int) Span { return whole(Quarter, QuarterStart(y, q), 3) }

// YearSpan is calendar year y.
func YearSpan(y int) Span { return whole(Year, Date(y, time.January, 1), 12) }

func whole(k Kind, from time.Time, months int) Span {
	end := from.AddDate(0, months, -1)
	return Span{Kind: k, From: from, To: end, End: end}
}

// SpanOf is the whole calendar period of kind k (month, quarter or year) that holds day.
func SpanOf(k Kind, day time.Time) (Span, error) {
	p, err := PeriodOf(string(k), day)
	if err != nil {
		return Span{}, err
	}
	return p.Span(), nil
}

// Span is the whole calendar period as a span.
func (p Period) Span() Span { return Span{Kind: Kind(p.Kind), From: p.Start, To: p.End, End: p.End} }

// CustomSpan is from..to, both included; it must not run backwards or exceed MaxCustomDays.
func CustomSpan(from, to time.Time) (Span, error) {
	from, to = Date(from.Date()), Date(to.Date())
	if to.Before(from) {
		return Span{}, fmt.Errorf("%w: %s is after %s", ErrBadSpan, Format(from), Format(to))
	}
	s := Span{Kind: Custom, From: from, To: to, End: to}
	if s.Days() > MaxCustomDays {
		return Span{}, fmt.Errorf("%w: %d days is longer than %d", ErrBadSpan, s.Days(), MaxCustomDays)
	}
	return s, nil
}

// Days counts the days From..To.
func (s Span) Days() int { return int(s.To.Sub(s.From).Hours()/24+0.5) + 1 }

// Range is the span's days as a Range.
func (s Span) Range() Range { return Range{From: s.From, To: s.To} }

// Clipped tells whether the span stops before its calendar period ends: a period still running.
func (s Span) Clipped() bool { return s.To.Before(s.End) }

// Calendar is the whole calendar month, quarter or year whose days are exactly the span's, if
// there is one. It is how a figure that exists only per calendar period (unique visitors, reach)
// is found: for a month, quarter or year picked as such, for a custom range that happens to be
// exactly one (1–31 March), and never for a running period, whose figure is not final.
func (s Span) Calendar() (Span, bool) {
	if s.Clipped() {
		return Span{}, false
	}
	for _, k := range []Kind{Month, Quarter, Year} {
		if c, err := SpanOf(k, s.From); err == nil && c.From.Equal(s.From) && c.To.Equal(s.To) {
			return c, true
		}
	}
	return Span{}, false
}

// Whole tells whether the span is exactly one whole calendar month, quarter or year (Calendar).
func (s Span) Whole() bool { _, ok := s.Calendar(); return ok }

// Running tells whether the period is not over on day today: its figures can still change.
func (s Span) Running(today time.Time) bool { return !s.End.Before(Date(today.Date())) }

// Quarter is the quarter (1–4) the span starts in.
func (s Span) Quarter() int { return QuarterOf(s.From) }

// Clip cuts the span at last (typically today): days after it have no figures yet.
func (s Span) Clip(last time.Time) Span {
	last = Date(last.Date())
	if s.To.After(last) && !last.Before(s.From) {
		s.To = last
	}
	return s
}

// Contains tells whether day lies in the span.
func (s Span) Contains(day time.Time) bool { return !day.Before(s.From) && !day.After(s.To) }

// Instants are the instants at which the span's first day starts and the day after its last day
// starts in loc: instants t with from <= t < to fall on the span's days (DST-safe).
func (s Span) Instants(loc *time.Location) (from, to time.Time) {
	return Start(s.From, loc), Start(s.To.AddDate(0, 0, 1), loc)
}

// Previous is the span just before: the previous month, quarter or year, or for a custom range the
// same number of days ending the day before it starts. A clipped span's previous span is clipped
// to the same length.
func (s Span) Previous() Span {
	switch s.Kind {
	case Month, Quarter, Year:
		p, _ := SpanOf(s.Kind, s.From.AddDate(0, 0, -1))
		return p.sameLength(s)
	}
	to := s.From.AddDate(0, 0, -1)
	return Span{Kind: Custom, From: to.AddDate(0, 0, -(s.Days() - 1)), To: to, End: to}
}

// Next is the whole calendar period after s's (s a month, quarter or year), as when walking
// periods in order.
func (s Span) Next() Span {
	n, _ := SpanOf(s.Kind, s.End.AddDate(0, 0, 1))
	return n
}

// YearEarlier is the same calendar span one year before. A custom range is shifted by a year
// (29 February becomes 28 February); a clipped span stays as long as s.
func (s Span) YearEarlier() Span {
	switch s.Kind {
	case Month, Quarter, Year:
		p, _ := SpanOf(s.Kind, s.From.AddDate(-1, 0, 0))
		return p.sameLength(s)
	}
	from, to := yearBack(s.From), yearBack(s.To)
	return Span{Kind: Custom, From: from, To: to, End: to}
}

// yearBack is the same date a year before; 29 February becomes 28 February rather than 1 March.
func yearBack(d time.Time) time.Time {
	y, m, day := d.Date()
	if m == time.February && day == 29 {
		day = 28
	}
	return Date(y-1, m, day)
}

// sameLength clips p (a whole calendar period) to as many days as clipped span s has.
func (p Span) sameLength(s Span) Span {
	if !s.Clipped() {
		return p
	}
	if to := p.From.AddDate(0, 0, s.Days()-1); to.Before(p.To) {
		p.To = to
	}
	return p
}

// DefaultGrain picks a grain that gives a readable number of points: days up to two months,
// weeks up to half a year, months beyond.
func DefaultGrain(s Span) Kind {
	switch n := s.Days(); {
	case n <= 62:
		return Day
	case n <= 190:
		return Week
	default:
		return Month
	}
}

// Bucket is one point of a time chart or series: the days Start..End of one grain that lie inside
// the span. Buckets at the span's edges may be partial (a quarter starting on a Wednesday begins
// with a five-day week); Full says whether the bucket holds its whole day, week, month, quarter
// or year.
type Bucket struct {
	Start, End time.Time
	Full       bool
}

// BucketStart is the first day of the grain that holds day.
func BucketStart(g Kind, day time.Time) time.Time {
	day = Date(day.Date())
	switch g {
	case Week:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case Month, Quarter, Year:
		p, _ := PeriodOf(string(g), day)
		return p.Start
	}
	return day
}

// next is the first day of the grain after the one starting on start.
func next(g Kind, start time.Time) time.Time {
	switch g {
	case Week:
		return start.AddDate(0, 0, 7)
	case Month:
		return start.AddDate(0, 1, 0)
	case Quarter:
		return start.AddDate(0, 3, 0)
	case Year:
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 0, 1)
}

// Buckets lists the span's buckets of grain g in order.
func Buckets(s Span, g Kind) []Bucket {
	var out []Bucket
	for start := BucketStart(g, s.From); !start.After(s.To); start = next(g, start) {
		b := Bucket{Start: start, End: next(g, start).AddDate(0, 0, -1), Full: true}
		if b.Start.Before(s.From) {
			b.Start, b.Full = s.From, false
		}
		if b.End.After(s.To) {
			b.End, b.Full = s.To, false
		}
		out = append(out, b)
	}
	return out
}

// Span is the span a bucket of grain g covers: the calendar month, quarter or year itself when the
// bucket is one whole such period, so that figures given per calendar period (unique visitors) are
// found; otherwise a range of days, for which no such figure exists.
func (b Bucket) Span(g Kind) Span {
	if b.Full {
		if s, err := SpanOf(g, b.Start); err == nil {
			return s
		}
	}
	return Span{Kind: Custom, From: b.Start, To: b.End, End: b.End}
}
