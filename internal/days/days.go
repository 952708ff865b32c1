// Package days handles calendar days. A figure belongs to a calendar day in the configured time
// zone (Europe/Oslo for InnoMed); inside the program that day is a time.Time at 00:00 UTC, which
// ClickHouse stores as that Date whatever the server's or the process's zone.
package days

import (
	"fmt"
	"strings"
	"time"
)

// Of returns the calendar day that instant t falls on in loc.
func Of(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Date returns the day y-m-d.
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Parse reads YYYY-MM-DD.
func Parse(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return d, nil
}

// ParseDay reads a day as people type it: ISO 2006-01-02, as every address and export writes it,
// or 2.1.2006 / 02.01.2006, as bokmål readers and Norwegian spreadsheets (Excel) write it. Spaces
// around it are ignored. Anything else (07/05/2022 reads as May in one country and July in the
// next) is refused, and so are years outside 1900–2099, which are typing mistakes here.
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layout := time.DateOnly
	if strings.Contains(s, ".") {
		layout = "2.1.2006"
	}
	d, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD or DD.MM.YYYY", s)
	}
	if d.Year() < 1900 || d.Year() > 2099 {
		return time.Time{}, fmt.Errorf("%q: the year %d looks mistyped (1900–2099)", s, d.Year())
	}
	return d, nil
}

// Format writes YYYY-MM-DD.
func Format(d time.Time) string { return d.Format(time.DateOnly) }

// Earlier returns the earlier of two days, as when a window is cut off at today.
func Earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Start returns the instant day begins in loc (DST-safe).
func Start(day time.Time, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
}

// Range is an inclusive span of days.
type Range struct {
	From, To time.Time
}

// NewRange checks that from is not after to.
func NewRange(from, to time.Time) (Range, error) {
	if from.After(to) {
		return Range{}, fmt.Errorf("range starts %s, after its end %s", Format(from), Format(to))
	}
	return Range{From: from, To: to}, nil
}

// Days counts the days in r.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours()/24) + 1 }

func (r Range) String() string { return Format(r.From) + ".." + Format(r.To) }

// Each calls fn for every day of r in order.
func (r Range) Each(fn func(day time.Time)) {
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		fn(d)
	}
}

// Chunks splits r into consecutive ranges of at most n days that never cross a month boundary, so
// a backfill step holds whole months where it can and a month's figures are fetched in one step.
func (r Range) Chunks(n int) []Range {
	if n < 1 {
		n = 1
	}
	var out []Range
	for from := r.From; !from.After(r.To); {
		to := from.AddDate(0, 0, n-1)
		if monthEnd := Date(from.Year(), from.Month()+1, 1).AddDate(0, 0, -1); to.After(monthEnd) {
			to = monthEnd
		}
		if to.After(r.To) {
			to = r.To
		}
		out = append(out, Range{From: from, To: to})
		from = to.AddDate(0, 0, 1)
	}
	return out
}

// Period is a calendar month, quarter or year, the grains for which providers report deduplicated
// figures (unique visitors, reach).
type Period struct {
	Kind  string // "month", "quarter" or "year"
	Start time.Time
	End   time.Time // inclusive
}

// Period kinds.
const (
	Month   = "month"
	Quarter = "quarter"
	Year    = "year"
)

// PeriodOf returns the period of the given kind that contains day.
func PeriodOf(kind string, day time.Time) (Period, error) {
	y, m := day.Year(), day.Month()
	var start time.Time
	var months int
	switch kind {
	case Month:
		start, months = Date(y, m, 1), 1
	case Quarter:
		start, months = Date(y, time.Month((int(m)-1)/3*3+1), 1), 3
	case Year:
		start, months = Date(y, time.January, 1), 12
	default:
		return Period{}, fmt.Errorf("unknown period kind %q (month, quarter or year)", kind)
	}
	return Period{Kind: kind, Start: start, End: start.AddDate(0, months, -1)}, nil
}

// CompletePeriods lists the months, quarters and years that overlap r, in that order. A collector
// fetches each whole period's deduplicated figure; one still running is fetched again next time.
func CompletePeriods(r Range) []Period {
	var out []Period
	for _, kind := range []string{Month, Quarter, Year} {
		p, _ := PeriodOf(kind, r.From)
		for !p.Start.After(r.To) {
			out = append(out, p)
			p, _ = PeriodOf(kind, p.End.AddDate(0, 0, 1))
		}
	}
	return out
}
