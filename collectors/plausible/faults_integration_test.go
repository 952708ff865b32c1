package plausible

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

var webTables = []string{"web_traffic_daily", "web_visitors_period", "web_top_pages"}

// fakeThreeYears is 2023-2025 with traffic every day and 70 pages a month.
func fakeThreeYears(t *testing.T, window days.Range) *fakePlausible {
	f := newFake(t)
	f.fill(window.From, window.To, 150)
	for m := window.From; m.Before(window.To); m = m.AddDate(0, 1, 0) {
		f.setPages(m, 9000, 70)
	}
	return f
}

func backfillWith(t *testing.T, st *store.Store, c *collector, window days.Range) (scheduler.Summary, []string) {
	t.Helper()
	var notes []string
	var mu sync.Mutex
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.NewTextHandler(io.Discard, nil)))
	src := scheduler.Source{ID: sourceID, Kind: "plausible", Collector: c, ChunkDays: Kind().ChunkDays, LookbackDays: Kind().LookbackDays}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sum, err := runner.Backfill(ctx, src, window, false, func(res scheduler.ChunkResult) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, res.Notes...)
		if res.Status == scheduler.StatusPartial {
			t.Logf("chunk %s partial: %v", res.Window, res.Err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, notes
}

// TestBackfillWithFaultsThenAgainEqualsACleanRunIntegration backfills three years through the
// scheduler into ClickHouse against a clean fake, and against the same fake with faults injected
// (transient ones throughout, the ClickHouse connection cut once mid-run, then an API key revoked
// between two steps that stops the run), followed by the same command again without faults: both
// databases must hold the same figures.
func TestBackfillWithFaultsThenAgainEqualsACleanRunIntegration(t *testing.T) {
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, collectortest.Oslo)
	tune := func(o *collectors.HTTPOptions) { o.RetryMax = 5; o.AttemptTimeout = time.Second }

	clean := chtest.Open(t)
	f := fakeThreeYears(t, window)
	c := newTestCollector(t, f, f.server().URL, testOpts{now: now, tune: tune})
	if sum, _ := backfillWith(t, clean, c, window); sum.Status != scheduler.StatusOK {
		t.Fatalf("clean backfill: %s, %v", sum.Status, sum.Err)
	}
	want := map[string][]string{}
	for _, table := range webTables {
		want[table] = collectortest.Figures(t, clean.Conn(), table)
	}
	if len(want["web_visitors_period"]) != 36+12+3 || len(want["web_top_pages"]) != 36*topPagesPerMonth {
		t.Fatalf("the clean run stored %d periods and %d pages", len(want["web_visitors_period"]), len(want["web_top_pages"]))
	}

	st := chtest.Open(t)
	via, cutClickHouse := collectortest.CutClickHouse(t, st) // the first run writes through a proxy
	f = fakeThreeYears(t, window)
	var faultsOn atomic.Bool
	faultsOn.Store(true)
	faulty := &collectortest.Faulty{Handler: http.HandlerFunc(f.serve), Slow: 1500 * time.Millisecond,
		Plan: func(n int, r *http.Request) collectortest.Fault {
			if !faultsOn.Load() {
				return collectortest.NoFault
			}
			if n == 60 {
				cutClickHouse()
			}
			return collectortest.SpreadFaults(n, r)
		}}
	// The key is revoked overnight before the 2025 steps; the operator renews it and runs the
	// command again.
	var revoked bool
	f.intercept = func(_ int, req fakeRequest, rw http.ResponseWriter) bool {
		if !faultsOn.Load() {
			return false
		}
		if req.kind() == "daily" && strings.HasPrefix(req.rangeKey(), "2025-01-01") {
			revoked = true
		}
		if revoked {
			plausibleError(rw, http.StatusUnauthorized, "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.")
		}
		return revoked
	}
	c = newTestCollector(t, f, collectortest.Server(t, faulty).URL, testOpts{now: now, tune: tune})
	first, notes := backfillWith(t, via, c, window)
	if first.Status != scheduler.StatusFailed || first.Done == 0 || first.Done >= first.Chunks || first.Partial != 0 {
		t.Fatalf("the faulty backfill should stop part-way at the revoked key, no chunk partial: %+v", first)
	}
	if injected := faulty.Injected(); len(injected) < 6 {
		t.Errorf("faults injected: %v, want every kind", injected)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "transient faults retried") }) {
		t.Errorf("the runs' notes do not count the retries: %q", notes)
	}

	faultsOn.Store(false)
	second, _ := backfillWith(t, st, c, window)
	if second.Status != scheduler.StatusOK || second.Skipped != first.Done {
		t.Fatalf("the same command again should resume where the first stopped: %+v", second)
	}
	for _, table := range webTables {
		collectortest.SameFigures(t, table, collectortest.Figures(t, st.Conn(), table), want[table])
	}
}
