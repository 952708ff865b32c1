package days_test

import (
	"errors"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

func TestSpanComparisons(t *testing.T) {
	custom := func(from, to time.Time) days.Span {
		s, err := days.CustomSpan(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := map[string]struct {
		span               days.Span
		prevFrom, prevTo   time.Time
		earlyFrom, earlyTo time.Time
	}{
		"January's previous month is December": {days.MonthSpan(2022, time.January),
			days.Date(2021, time.December, 1), days.Date(2021, time.December, 31), days.Date(2021, time.January, 1), days.Date(2021, time.January, 31)},
		"March after a leap February": {days.MonthSpan(2024, time.March),
			days.Date(2024, time.February, 1), days.Date(2024, time.February, 29), days.Date(2023, time.March, 1), days.Date(2023, time.March, 31)},
		"Q1's previous quarter is Q4": {days.QuarterSpan(2022, 1),
			days.Date(2021, time.October, 1), days.Date(2021, time.December, 31), days.Date(2021, time.January, 1), days.Date(2021, time.March, 31)},
		"a year": {days.YearSpan(2022),
			days.Date(2021, time.January, 1), days.Date(2021, time.December, 31), days.Date(2021, time.January, 1), days.Date(2021, time.December, 31)},
		"ten days": {custom(days.Date(2022, time.March, 1), days.Date(2022, time.March, 10)),
			days.Date(2022, time.February, 19), days.Date(2022, time.February, 28), days.Date(2021, time.March, 1), days.Date(2021, time.March, 10)},
		"29 February a year back is the 28th": {custom(days.Date(2024, time.February, 20), days.Date(2024, time.February, 29)),
			days.Date(2024, time.February, 10), days.Date(2024, time.February, 19), days.Date(2023, time.February, 20), days.Date(2023, time.February, 28)},
		// A month still running on the 15th compares with the first 15 days of the others.
		"a running month": {days.MonthSpan(2023, time.March).Clip(days.Date(2023, time.March, 15)),
			days.Date(2023, time.February, 1), days.Date(2023, time.February, 15), days.Date(2022, time.March, 1), days.Date(2022, time.March, 15)},
		// 31 days of a running March: February has only 28, so it is whole.
		"a running month longer than the previous": {days.MonthSpan(2023, time.March).Clip(days.Date(2023, time.March, 31)),
			days.Date(2023, time.February, 1), days.Date(2023, time.February, 28), days.Date(2022, time.March, 1), days.Date(2022, time.March, 31)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, y := c.span.Previous(), c.span.YearEarlier()
			if !p.From.Equal(c.prevFrom) || !p.To.Equal(c.prevTo) {
				t.Errorf("previous %s..%s, want %s..%s", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly),
					c.prevFrom.Format(time.DateOnly), c.prevTo.Format(time.DateOnly))
			}
			if !y.From.Equal(c.earlyFrom) || !y.To.Equal(c.earlyTo) {
				t.Errorf("year earlier %s..%s, want %s..%s", y.From.Format(time.DateOnly), y.To.Format(time.DateOnly),
					c.earlyFrom.Format(time.DateOnly), c.earlyTo.Format(time.DateOnly))
			}
			if p.Days() > c.span.Days() && c.span.Kind == days.Custom {
				t.Errorf("custom previous span is longer (%d) than the span (%d)", p.Days(), c.span.Days())
			}
		})
	}

	if _, err := days.CustomSpan(days.Date(2022, time.March, 2), days.Date(2022, time.March, 1)); !errors.Is(err, days.ErrBadSpan) {
		t.Errorf("backwards range: err %v", err)
	}
	if _, err := days.CustomSpan(days.Date(2000, time.January, 1), days.Date(2022, time.March, 1)); !errors.Is(err, days.ErrBadSpan) {
		t.Errorf("22-year range: err %v", err)
	}
	s := days.MonthSpan(2023, time.March).Clip(days.Date(2023, time.March, 15))
	if !s.Clipped() || s.Whole() || s.Days() != 15 || !days.MonthSpan(2023, time.March).Whole() {
		t.Errorf("clipped month: clipped %v whole %v days %d", s.Clipped(), s.Whole(), s.Days())
	}
	// A custom range that is exactly a calendar period has that period's figures; a running one not.
	for _, want := range []days.Span{days.MonthSpan(2023, time.March), days.QuarterSpan(2023, 2), days.YearSpan(2023)} {
		c, _ := days.CustomSpan(want.From, want.To)
		if got, ok := c.Calendar(); !ok || got != want {
			t.Errorf("custom %s..%s is calendar %+v %v, want %+v", days.Format(want.From), days.Format(want.To), got, ok, want)
		}
	}
	if _, ok := days.MonthSpan(2023, time.March).Clip(days.Date(2023, time.March, 15)).Calendar(); ok {
		t.Error("a running month has a calendar figure")
	}
	if s := days.MonthSpan(2023, time.March).Clip(days.Date(2023, time.February, 1)); s.Clipped() {
		t.Error("clipping at a day before the span changes it")
	}
}

func TestWeekAndMonthBuckets(t *testing.T) {
	// Q1 2022 starts on a Saturday: the first week has two days (1–2 January), the last ends on
	// Thursday 31 March.
	weeks := days.Buckets(days.QuarterSpan(2022, 1), days.Week)
	if len(weeks) != 14 {
		t.Fatalf("%d weeks, want 14", len(weeks))
	}
	first, last := weeks[0], weeks[len(weeks)-1]
	if !first.Start.Equal(days.Date(2022, time.January, 1)) || !first.End.Equal(days.Date(2022, time.January, 2)) || first.Full {
		t.Errorf("first week %+v", first)
	}
	if !weeks[1].Start.Equal(days.Date(2022, time.January, 3)) || !weeks[1].Full {
		t.Errorf("second week %+v, want Monday 3 January, full", weeks[1])
	}
	if !last.Start.Equal(days.Date(2022, time.March, 28)) || !last.End.Equal(days.Date(2022, time.March, 31)) || last.Full {
		t.Errorf("last week %+v", last)
	}
	n := 0
	for _, w := range weeks {
		n += int(w.End.Sub(w.Start).Hours()/24) + 1
	}
	if n != 90 {
		t.Errorf("weeks cover %d days, want 90", n)
	}
	if months := days.Buckets(days.YearSpan(2022), days.Month); len(months) != 12 || !months[11].Full {
		t.Errorf("months of a year: %d", len(months))
	}
	if d := days.Buckets(days.MonthSpan(2022, time.February), days.Day); len(d) != 28 {
		t.Errorf("%d days in February 2022", len(d))
	}
	for s, want := range map[days.Span]days.Kind{
		days.MonthSpan(2022, time.May): days.Day,
		days.QuarterSpan(2022, 2):      days.Week,
		days.YearSpan(2022):            days.Month,
	} {
		if g := days.DefaultGrain(s); g != want {
			t.Errorf("default grain of %d days: %s, want %s", s.Days(), g, want)
		}
	}
}
