package days

import (
	"strings"
	"testing"
	"time"
)

func TestOfUsesTheConfiguredZone(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 31 Dec is already New Year's Day in Oslo.
	got := Of(time.Date(2022, 12, 31, 23, 30, 0, 0, time.UTC), oslo)
	if want := Date(2023, 1, 1); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestChunksCoverTheRangeExactlyOnce(t *testing.T) {
	r, _ := NewRange(Date(2022, 1, 1), Date(2022, 12, 31))
	chunks := r.Chunks(31)
	total := 0
	next := r.From
	for _, c := range chunks {
		if !c.From.Equal(next) {
			t.Fatalf("chunk %s does not start at %s", c, Format(next))
		}
		total += c.Days()
		next = c.To.AddDate(0, 0, 1)
	}
	if total != 365 || !chunks[len(chunks)-1].To.Equal(r.To) {
		t.Fatalf("chunks cover %d days ending %s", total, chunks[len(chunks)-1].To)
	}
	if len(chunks) != 12 || !chunks[1].To.Equal(Date(2022, 2, 28)) {
		t.Fatalf("31-day chunks of 2022 should be its 12 months, got %v", chunks)
	}
	weeks := Range{From: Date(2022, 1, 25), To: Date(2022, 2, 10)}.Chunks(7)
	if len(weeks) != 3 || !weeks[0].To.Equal(Date(2022, 1, 31)) || !weeks[1].To.Equal(Date(2022, 2, 7)) {
		t.Fatalf("7-day chunks across a month end: %v", weeks)
	}
}

func TestPeriods(t *testing.T) {
	q, err := PeriodOf(Quarter, Date(2022, 8, 24))
	if err != nil {
		t.Fatal(err)
	}
	if !q.Start.Equal(Date(2022, 7, 1)) || !q.End.Equal(Date(2022, 9, 30)) {
		t.Fatalf("Q3 2022 = %s..%s", Format(q.Start), Format(q.End))
	}
	r, _ := NewRange(Date(2022, 1, 1), Date(2022, 12, 31))
	ps := CompletePeriods(r)
	counts := map[string]int{}
	for _, p := range ps {
		counts[p.Kind]++
	}
	if counts[Month] != 12 || counts[Quarter] != 4 || counts[Year] != 1 {
		t.Fatalf("periods of 2022: %v", counts)
	}
	if _, err := PeriodOf("week", r.From); err == nil {
		t.Fatal("want an error for an unknown kind")
	}
	if _, err := NewRange(Date(2022, 2, 1), Date(2022, 1, 1)); err == nil {
		t.Fatal("want an error for a reversed range")
	}
}

func TestEarlier(t *testing.T) {
	a, b := Date(2025, 3, 14), Date(2025, 3, 15)
	if Earlier(a, b) != a || Earlier(b, a) != a || Earlier(a, a) != a {
		t.Errorf("Earlier(%s, %s) = %s, Earlier(%s, %s) = %s", Format(a), Format(b), Format(Earlier(a, b)), Format(b), Format(a), Format(Earlier(b, a)))
	}
}

func TestParseDay(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time // zero: refused
	}{
		{"2023-02-14", Date(2023, 2, 14)},
		{"14.02.2023", Date(2023, 2, 14)},
		{"14.2.2023", Date(2023, 2, 14)},
		{"4.2.2023", Date(2023, 2, 4)},
		{" 04.02.2023 ", Date(2023, 2, 4)},
		{"1900-01-01", Date(1900, 1, 1)},
		{"31.12.2099", Date(2099, 12, 31)},
		{"29.02.2024", Date(2024, 2, 29)},
		{"", time.Time{}},
		{"31.02.2023", time.Time{}},
		{"2023-02-30", time.Time{}},
		{"29.02.2023", time.Time{}},
		{"2023-2-14", time.Time{}},
		{"02/14/2023", time.Time{}},
		{"14/02/2023", time.Time{}},
		{"14.02.23", time.Time{}},
		{"14-02-2023", time.Time{}},
		{"2023.02.14", time.Time{}},
		{"14.02.2023.", time.Time{}},
		{"14. 02.2023", time.Time{}},
		{"14.02.2023 10:00", time.Time{}},
		{"1899-12-31", time.Time{}},
		{"01.01.2100", time.Time{}},
		{"0014.02.2023", time.Time{}},
		{"14.13.2023", time.Time{}},
	} {
		got, err := ParseDay(c.in)
		switch {
		case c.want.IsZero() && err == nil:
			t.Errorf("ParseDay(%q) = %s, want an error", c.in, Format(got))
		case !c.want.IsZero() && err != nil:
			t.Errorf("ParseDay(%q): %v", c.in, err)
		case !c.want.IsZero() && (!got.Equal(c.want) || got.Location() != time.UTC):
			t.Errorf("ParseDay(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if _, err := ParseDay("31.02.2023"); err == nil || !strings.Contains(err.Error(), "DD.MM.YYYY") {
		t.Errorf("the error for 31.02.2023 does not name the notation: %v", err)
	}
}
