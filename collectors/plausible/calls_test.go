package plausible

import (
	"context"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
)

// backfillCalls runs a backfill of window against the fake step by step, as the runner does, and
// returns the requests made and the fewest Plausible's paging allows: the first day of data once,
// per step one page of daily rows per 10 000 (at least one), per month, quarter and year one
// query, and per month one page of top pages (50 fit in one).
func backfillCalls(t testing.TB, window days.Range) (calls, minimum int) {
	f := newFake(t)
	f.fill(window.From, window.To, 120)
	for m := window.From; m.Before(window.To); m = m.AddDate(0, 1, 0) {
		f.setPages(m, 9000, 70)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, collectortest.Oslo)
	c := newTestCollector(t, f, f.server().URL, testOpts{now: now})
	today := days.Of(now, collectortest.Oslo)
	first, _ := f.firstDataDay()
	minimum = 1
	for _, step := range window.Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			t.Fatalf("step %s: %v", step, err)
		}
		rows := 0
		step.Each(func(d time.Time) { rows += len(f.rows[d]) })
		minimum += max(1, (rows+maxPageSize-1)/maxPageSize)
		for _, p := range duePeriods(step, first, today) {
			minimum++
			if p.Kind == days.Month {
				minimum++
			}
		}
	}
	return f.requestCount(), minimum
}

func TestAPICallsOfABackfillAreTheMinimum(t *testing.T) {
	calls, minimum := backfillCalls(t, days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)})
	collectortest.ReportCalls(t, "plausible", calls, minimum, 1.1)
}

// BenchmarkAPICalls prints the requests a three-year backfill makes against the fake and the
// fewest Plausible allows (see backfillCalls).
func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b, days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)})
	}
	collectortest.ReportCalls(b, "plausible", calls, minimum, 1.1)
}
