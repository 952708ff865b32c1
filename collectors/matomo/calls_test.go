package matomo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
)

// threeYears is the backfill the API-call count is measured on.
var threeYears = days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}

// backfillCalls runs a backfill of window against the fake step by step, as the runner does, and
// returns the requests made and the fewest Matomo's reports allow: per step, the two unsegmented
// daily reports and, per channel with visits, its device split, its new visitors' split, its
// pageviews and one pageview report per device type with visits (Matomo has no channel × device
// report, and one request covers a step's days); per month, quarter and year one VisitsSummary.get
// and one VisitFrequency.get; per month one page of Actions.getPageUrls and of
// Actions.getPageTitles (100 and 500 rows, more than a month's 132); and once per process the
// question whether the instance reports campaign mediums (it does not here). Each figure asked for
// once, without API.getBulkRequest, which would only pack the same requests into fewer HTTP calls.
func backfillCalls(tb testing.TB, window days.Range) (calls, minimum int) {
	tb.Helper()
	w := newWorld(window.From, window.To.AddDate(0, 0, 1), 11)
	h, counted := collectortest.CountCalls(newFake(tb, w), func(r *http.Request) string { return r.URL.Query().Get("method") })
	srv := collectortest.Server(tb, h)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, collectortest.Oslo)
	c, _ := newTestCollector(tb, srv.URL, now, nil)
	today := days.Of(now, collectortest.Oslo)
	minimum = 1 // MarketingCampaignsReporting.getMedium, refused once
	for _, step := range window.Chunks(Kind().ChunkDays) {
		sink := &collectors.Sink{}
		if err := c.Collect(context.Background(), step, sink); err != nil {
			tb.Fatalf("step %s: %v", step, err)
		}
		fetch := days.Range{From: step.From, To: step.To.AddDate(0, 0, 1)}
		channels := map[string]map[string]bool{}
		fetch.Each(func(day time.Time) {
			for _, cell := range w.days[day] {
				if cell.visits == 0 {
					continue
				}
				if channels[cell.referrer] == nil {
					channels[cell.referrer] = map[string]bool{}
				}
				if cell.device != "" {
					channels[cell.referrer][cell.device] = true
				}
			}
		})
		minimum += 2
		for _, devices := range channels {
			minimum += 3 + len(devices)
		}
		for _, p := range collectors.DuePeriods(step, today) {
			minimum += 2
			if p.Kind == days.Month {
				minimum += 2
			}
		}
	}
	return counted.Total(), minimum
}

func TestAPICallsOfABackfillAreTheMinimum(t *testing.T) {
	if testing.Short() {
		t.Skip("a year's backfill against the fake")
	}
	calls, minimum := backfillCalls(t, days.Range{From: days.Date(2024, 1, 1), To: days.Date(2024, 12, 31)})
	collectortest.ReportCalls(t, "matomo (one year)", calls, minimum, 1.1)
}

// BenchmarkAPICalls prints the requests a three-year backfill makes against the fake and the
// fewest Matomo allows (see backfillCalls).
func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b, threeYears)
	}
	collectortest.ReportCalls(b, "matomo", calls, minimum, 1.1)
}
