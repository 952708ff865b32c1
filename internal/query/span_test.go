package query_test

import (
	"errors"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/query"
)

func TestSpanComparisons(t *testing.T) {
	custom := func(from, to time.Time) query.Span {
		s, err := query.CustomSpan(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := map[string]struct {
		span               query.Span
		prevFrom, prevTo   time.Time
		earlyFrom, earlyTo time.Time
	}{
		"January's previous month is December": {query.MonthSpan(2022, time.January),
			day(2021, time.December, 1), day(2021, time.December, 31), day(2021, time.January, 1), day(2021, time.January, 31)},
		"March after a leap February": {query.MonthSpan(2024, time.March),
			day(2024, time.February, 1), day(2024, time.February, 29), day(2023, time.March, 1), day(2023, time.March, 31)},
		"Q1's previous quarter is Q4": {query.QuarterSpan(2022, 1),
			day(2021, time.October, 1), day(2021, time.December, 31), day(2021, time.January, 1), day(2021, time.March, 31)},
		"a year": {query.YearSpan(2022),
			day(2021, time.January, 1), day(2021, time.December, 31), day(2021, time.January, 1), day(2021, time.December, 31)},
		"ten days": {custom(day(2022, time.March, 1), day(2022, time.March, 10)),
			day(2022, time.February, 19), day(2022, time.February, 28), day(2021, time.March, 1), day(2021, time.March, 10)},
		"29 February a year back is the 28th": {custom(day(2024, time.February, 20), day(2024, time.February, 29)),
			day(2024, time.February, 10), day(2024, time.February, 19), day(2023, time.February, 20), day(2023, time.February, 28)},
		// A month still running on the 15th compares with the first 15 days of the others.
		"a running month": {query.MonthSpan(2023, time.March).Clip(day(2023, time.March, 15)),
			day(2023, time.February, 1), day(2023, time.February, 15), day(2022, time.March, 1), day(2022, time.March, 15)},
		// 31 days of a running March: February has only 28, so it is whole.
		"a running month longer than the previous": {query.MonthSpan(2023, time.March).Clip(day(2023, time.March, 31)),
			day(2023, time.February, 1), day(2023, time.February, 28), day(2022, time.March, 1), day(2022, time.March, 31)},
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
			if p.Days() > c.span.Days() && c.span.Kind == query.SpanCustom {
				t.Errorf("custom previous span is longer (%d) than the span (%d)", p.Days(), c.span.Days())
			}
		})
	}

	if _, err := query.CustomSpan(day(2022, time.March, 2), day(2022, time.March, 1)); !errors.Is(err, query.ErrBadSpan) {
		t.Errorf("backwards range: err %v", err)
	}
	if _, err := query.CustomSpan(day(2000, time.January, 1), day(2022, time.March, 1)); !errors.Is(err, query.ErrBadSpan) {
		t.Errorf("22-year range: err %v", err)
	}
	s := query.MonthSpan(2023, time.March).Clip(day(2023, time.March, 15))
	if !s.Clipped() || s.Whole() || s.Days() != 15 || !query.MonthSpan(2023, time.March).Whole() {
		t.Errorf("clipped month: clipped %v whole %v days %d", s.Clipped(), s.Whole(), s.Days())
	}
	if s := query.MonthSpan(2023, time.March).Clip(day(2023, time.February, 1)); s.Clipped() {
		t.Error("clipping at a day before the span changes it")
	}
}

func TestBuckets(t *testing.T) {
	// Q1 2022 starts on a Saturday: the first week has two days (1–2 January), the last ends on
	// Thursday 31 March.
	weeks := query.Buckets(query.QuarterSpan(2022, 1), query.GrainWeek)
	if len(weeks) != 14 {
		t.Fatalf("%d weeks, want 14", len(weeks))
	}
	first, last := weeks[0], weeks[len(weeks)-1]
	if !first.Start.Equal(day(2022, time.January, 1)) || !first.End.Equal(day(2022, time.January, 2)) || first.Full {
		t.Errorf("first week %+v", first)
	}
	if !weeks[1].Start.Equal(day(2022, time.January, 3)) || !weeks[1].Full {
		t.Errorf("second week %+v, want Monday 3 January, full", weeks[1])
	}
	if !last.Start.Equal(day(2022, time.March, 28)) || !last.End.Equal(day(2022, time.March, 31)) || last.Full {
		t.Errorf("last week %+v", last)
	}
	days := 0
	for _, w := range weeks {
		days += int(w.End.Sub(w.Start).Hours()/24) + 1
	}
	if days != 90 {
		t.Errorf("weeks cover %d days, want 90", days)
	}
	if months := query.Buckets(query.YearSpan(2022), query.GrainMonth); len(months) != 12 || !months[11].Full {
		t.Errorf("months of a year: %d", len(months))
	}
	if d := query.Buckets(query.MonthSpan(2022, time.February), query.GrainDay); len(d) != 28 {
		t.Errorf("%d days in February 2022", len(d))
	}
	for s, want := range map[query.Span]query.Grain{
		query.MonthSpan(2022, time.May): query.GrainDay,
		query.QuarterSpan(2022, 2):      query.GrainWeek,
		query.YearSpan(2022):            query.GrainMonth,
	} {
		if g := query.DefaultGrain(s); g != want {
			t.Errorf("default grain of %d days: %s, want %s", s.Days(), g, want)
		}
	}
}
