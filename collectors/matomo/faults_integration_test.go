package matomo

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

// webTables are the tables a web source writes.
var webTables = []string{"web_traffic_daily", "web_visitors_period", "web_top_pages"}

// runBackfill runs `rekkevidde collect matomo --from --to` through the scheduler and returns the
// summary and every note of its chunks.
func runBackfill(t *testing.T, runner *scheduler.Runner, c *collector, window days.Range) (scheduler.Summary, []string) {
	t.Helper()
	var notes []string
	var mu sync.Mutex
	src := scheduler.Source{ID: "matomo-innomed", Kind: "matomo", Collector: c, ChunkDays: Kind().ChunkDays, LookbackDays: Kind().LookbackDays}
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

func figuresOf(t *testing.T, st *store.Store) map[string][]string {
	out := map[string][]string{}
	for _, table := range webTables {
		out[table] = collectortest.Figures(t, st.Conn(), table)
	}
	return out
}

// TestBackfillWithFaultsThenAgainEqualsACleanRunIntegration backfills three years through the
// scheduler into ClickHouse twice: once against a clean fake, once against the same fake with
// faults injected (transient ones throughout, the ClickHouse connection cut once mid-run, then a
// token revoked between two steps, which stops the run), followed by the same command again
// without faults. Both databases must hold the same figures: nothing lost, nothing doubled.
func TestBackfillWithFaultsThenAgainEqualsACleanRunIntegration(t *testing.T) {
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	w := newWorld(window.From, window.To.AddDate(0, 0, 1), 33)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, collectortest.Oslo)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tune := func(o *collectors.HTTPOptions) { o.RetryMax = 5; o.AttemptTimeout = time.Second }

	clean := chtest.Open(t)
	f := newFake(t, w)
	f.rangeUniques, f.yearUniques = true, true
	c, _ := newTestCollector(t, startFake(t, f).URL, now, tune)
	started := time.Now()
	if sum, _ := runBackfill(t, scheduler.NewRunner(clean, collectortest.Oslo, quiet), c, window); sum.Status != scheduler.StatusOK {
		t.Fatalf("clean backfill: %s, %v", sum.Status, sum.Err)
	}
	t.Logf("clean backfill: %v", time.Since(started))
	want := figuresOf(t, clean)
	if len(want["web_traffic_daily"]) < 1000 || len(want["web_visitors_period"]) != 36+12+3 || len(want["web_top_pages"]) != 36*topPagesPerMonth {
		t.Fatalf("the clean run stored %d days, %d periods, %d pages", len(want["web_traffic_daily"]), len(want["web_visitors_period"]), len(want["web_top_pages"]))
	}

	st := chtest.Open(t)
	via, cutClickHouse := collectortest.CutClickHouse(t, st) // the runner writes through a proxy
	f = newFake(t, w)
	f.rangeUniques, f.yearUniques = true, true
	var faultsOn atomic.Bool
	faultsOn.Store(true)
	faulty := &collectortest.Faulty{Handler: f, Slow: 1500 * time.Millisecond,
		Plan: func(n int, r *http.Request) collectortest.Fault {
			if !faultsOn.Load() {
				return collectortest.NoFault
			}
			if n == 60 {
				cutClickHouse()
			}
			return collectortest.SpreadFaults(n, r)
		},
		Throttle: func(rw http.ResponseWriter, _ *http.Request) {
			writeJSON(rw, http.StatusOK, map[string]string{"result": "error", "message": "Oops… too many requests. This happens when you exceed the number of allowed requests to the API for a certain time period."})
		}}
	// The token is revoked overnight before the 2025 steps; the operator renews it and runs the
	// command again.
	var revoked atomic.Bool
	expired := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if faultsOn.Load() && q.Get("method") == "Referrers.getReferrerType" && strings.HasPrefix(q.Get("date"), "2025-01-01") {
			revoked.Store(true)
		}
		if faultsOn.Load() && revoked.Load() {
			writeJSON(rw, http.StatusUnauthorized, map[string]string{"result": "error",
				"message": "Unable to authenticate with the provided token. It is either invalid, expired or is required to be sent as a POST parameter."})
			return
		}
		faulty.ServeHTTP(rw, r)
	})
	c, _ = newTestCollector(t, collectortest.Server(t, expired).URL, now, tune)
	runner := scheduler.NewRunner(via, collectortest.Oslo, quiet)
	started = time.Now()
	first, notes := runBackfill(t, runner, c, window)
	t.Logf("faulty backfill: %v, %v", time.Since(started), faulty.Injected())
	if first.Status != scheduler.StatusFailed || first.Done == 0 || first.Done >= first.Chunks {
		t.Fatalf("the faulty backfill should stop part-way at the expired token: %+v", first)
	}
	if first.Partial != 0 {
		t.Errorf("%d chunks partial: transient faults must be mended by the retries", first.Partial)
	}
	injected := faulty.Injected()
	for _, kind := range []collectortest.Fault{collectortest.ServerError, collectortest.CutOff, collectortest.Malformed,
		collectortest.Reset, collectortest.RateLimited, collectortest.Throttle, collectortest.Slow} {
		if injected[kind] == 0 {
			t.Errorf("no %s fault was injected: %v", kind, injected)
		}
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "transient faults retried") }) {
		t.Errorf("the runs' notes do not count the retries: %q", notes)
	}

	faultsOn.Store(false)
	second, _ := runBackfill(t, runner, c, window)
	if second.Status != scheduler.StatusOK || second.Skipped != first.Done {
		t.Fatalf("the same command again should resume where the first stopped: %+v", second)
	}
	got := figuresOf(t, st)
	for _, table := range webTables {
		collectortest.SameFigures(t, table, got[table], want[table])
	}
}
