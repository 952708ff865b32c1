package days_test

import (
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

func TestBuckets(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	span := func(from, to string) days.Span {
		s, err := days.CustomSpan(day(from), day(to))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	show := func(bs []days.Bucket) string {
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
		g        days.Kind
		want     string
	}{
		{"2022-01-01", "2022-12-31", days.Quarter, "2022-01-01..2022-03-31 2022-04-01..2022-06-30 2022-07-01..2022-09-30 2022-10-01..2022-12-31 "},
		{"2022-02-15", "2022-07-31", days.Quarter, "2022-02-15..2022-03-31* 2022-04-01..2022-06-30 2022-07-01..2022-07-31* "},
		{"2021-12-31", "2023-01-01", days.Year, "2021-12-31..2021-12-31* 2022-01-01..2022-12-31 2023-01-01..2023-01-01* "},
		{"2022-01-01", "2022-01-16", days.Week, "2022-01-01..2022-01-02* 2022-01-03..2022-01-09 2022-01-10..2022-01-16 "},
		{"2022-02-01", "2022-03-31", days.Month, "2022-02-01..2022-02-28 2022-03-01..2022-03-31 "},
		{"2022-03-01", "2022-03-02", days.Day, "2022-03-01..2022-03-01 2022-03-02..2022-03-02 "},
	}
	for _, c := range cases {
		if got := show(days.Buckets(span(c.from, c.to), c.g)); got != c.want {
			t.Errorf("%s %s..%s:\n got %s\nwant %s", c.g, c.from, c.to, got, c.want)
		}
	}
	// A whole bucket reads as its calendar period, so the provider's figure for it is found.
	if s := (days.Bucket{Start: day("2022-04-01"), End: day("2022-06-30"), Full: true}).Span(days.Quarter); s.Kind != days.Quarter || !s.Whole() {
		t.Errorf("a full quarter bucket is %+v", s)
	}
	if s := (days.Bucket{Start: day("2022-04-05"), End: day("2022-06-30")}).Span(days.Quarter); s.Kind != days.Custom {
		t.Errorf("a partial quarter bucket is %+v", s)
	}
	if _, ok := days.ParseGrain("hour"); ok {
		t.Error("hour is not a grain")
	}
}
