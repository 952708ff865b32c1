package collectors

import (
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

func TestDuePeriodsFetchesEachPeriodOnceInABackfill(t *testing.T) {
	today := days.Date(2026, time.December, 7)
	window := days.Range{From: days.Date(2023, time.January, 1), To: days.Date(2025, time.December, 31)}
	seen := map[days.Period]int{}
	for _, step := range window.Chunks(31) {
		for _, p := range DuePeriods(step, today) {
			seen[p]++
		}
	}
	months, quarters, years := 0, 0, 0
	for p, n := range seen {
		if n != 1 {
			t.Errorf("%s %s fetched %d times", p.Kind, days.Format(p.Start), n)
		}
		switch p.Kind {
		case days.Month:
			months++
		case days.Quarter:
			quarters++
		case days.Year:
			years++
		}
	}
	if months != 36 || quarters != 12 || years != 3 {
		t.Fatalf("%d months, %d quarters, %d years; want 36, 12, 3", months, quarters, years)
	}
}

func TestDuePeriodsOfAnIncrementalRun(t *testing.T) {
	kinds := func(ps []days.Period) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Kind+" "+days.Format(p.Start))
		}
		return strings.Join(out, ", ")
	}
	// On 2 January the lookback still holds 31 December: the old year is completed, the new one runs.
	today := days.Date(2026, time.January, 2)
	got := kinds(DuePeriods(days.Range{From: days.Date(2025, time.December, 31), To: today}, today))
	want := "month 2025-12-01, month 2026-01-01, quarter 2025-10-01, quarter 2026-01-01, year 2025-01-01, year 2026-01-01"
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// Mid-month: only the running periods.
	today = days.Date(2026, time.May, 20)
	if got := kinds(DuePeriods(days.Range{From: days.Date(2026, time.May, 18), To: today}, today)); got != "month 2026-05-01, quarter 2026-04-01, year 2026-01-01" {
		t.Fatalf("got %s", got)
	}
}
