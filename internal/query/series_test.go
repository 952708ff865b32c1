package query

import (
	"testing"
	"time"
)

func TestSeriesBuckets(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	span := func(from, to string) Span {
		s, err := CustomSpan(day(from), day(to))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	show := func(bs []Bucket) string {
		var out string
		for _, b := range bs {
			out += b.Start.Format(time.DateOnly) + ".." + b.End.Format(time.DateOnly)
			if !b.Full {
				out += "*"
			}
			out += " "
		}
		return out
	}
	cases := []struct {
		from, to string
		g        SeriesGrain
		want     string
	}{
		{"2022-01-01", "2022-12-31", SeriesQuarter, "2022-01-01..2022-03-31 2022-04-01..2022-06-30 2022-07-01..2022-09-30 2022-10-01..2022-12-31 "},
		{"2022-02-15", "2022-07-31", SeriesQuarter, "2022-02-15..2022-03-31* 2022-04-01..2022-06-30 2022-07-01..2022-07-31* "},
		{"2021-12-31", "2023-01-01", SeriesYear, "2021-12-31..2021-12-31* 2022-01-01..2022-12-31 2023-01-01..2023-01-01* "},
		{"2022-01-01", "2022-01-16", SeriesWeek, "2022-01-01..2022-01-02* 2022-01-03..2022-01-09 2022-01-10..2022-01-16 "},
		{"2022-02-01", "2022-03-31", SeriesMonth, "2022-02-01..2022-02-28 2022-03-01..2022-03-31 "},
		{"2022-03-01", "2022-03-02", SeriesDay, "2022-03-01..2022-03-01 2022-03-02..2022-03-02 "},
	}
	for _, c := range cases {
		if got := show(SeriesBuckets(span(c.from, c.to), c.g)); got != c.want {
			t.Errorf("%s %s..%s:\n got %s\nwant %s", c.g, c.from, c.to, got, c.want)
		}
	}
	// A whole bucket reads as its calendar period, so the provider's figure for it is found.
	if s := calendarSpan(Bucket{Start: day("2022-04-01"), End: day("2022-06-30"), Full: true}, SeriesQuarter); s.Kind != SpanQuarter || !s.Whole() {
		t.Errorf("a full quarter bucket is %+v", s)
	}
	if s := calendarSpan(Bucket{Start: day("2022-04-05"), End: day("2022-06-30")}, SeriesQuarter); s.Kind != SpanCustom {
		t.Errorf("a partial quarter bucket is %+v", s)
	}
	if _, ok := ParseSeriesGrain("hour"); ok {
		t.Error("hour is not a grain")
	}
}
