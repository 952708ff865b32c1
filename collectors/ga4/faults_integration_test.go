package ga4

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

var webTables = []string{"web_traffic_daily", "web_visitors_period", "web_top_pages"}

func backfillWindow(t *testing.T, st *store.Store, c *Collector, window days.Range) (scheduler.Summary, []string) {
	t.Helper()
	var notes []string
	var mu sync.Mutex
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sum, err := runner.Backfill(ctx, testSource(c), window, false, func(res scheduler.ChunkResult) {
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
// into the Data API's answers (503 bursts, cut-off and malformed bodies, dropped connections,
// 429 with Retry-After, GA's concurrent-requests 429, slow answers), its ClickHouse connection cut
// once mid-run, then access tokens that expire between two steps, followed by the same command again without faults: both databases
// must hold the same figures.
func TestBackfillWithFaultsThenAgainEqualsACleanRunIntegration(t *testing.T) {
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	opts := fastOptions()
	opts.RetryMax, opts.AttemptTimeout = 5, time.Second

	clean := chtest.Open(t)
	c, _ := newTestCollector(t, newFakeGA(t), "", opts)
	if sum, _ := backfillWindow(t, clean, c, window); sum.Status != scheduler.StatusOK {
		t.Fatalf("clean backfill: %s, %v", sum.Status, sum.Err)
	}
	want := map[string][]string{}
	for _, table := range webTables {
		want[table] = collectortest.Figures(t, clean.Conn(), table)
	}
	if len(want["web_visitors_period"]) != 36+12+3 || len(want["web_top_pages"]) == 0 {
		t.Fatalf("the clean run stored %d periods and %d pages", len(want["web_visitors_period"]), len(want["web_top_pages"]))
	}

	st := chtest.Open(t)
	// The runner writes through a proxy, cut once mid-run.
	via, cutClickHouse := collectortest.CutClickHouse(t, st)
	f := newFakeGA(t)
	var faultsOn, expired atomic.Bool
	faultsOn.Store(true)
	var faulty *collectortest.Faulty
	f.setFront(func(ga http.Handler) http.Handler {
		faulty = &collectortest.Faulty{Handler: ga, Slow: 1500 * time.Millisecond,
			Plan: func(n int, r *http.Request) collectortest.Fault {
				if !faultsOn.Load() || !strings.HasSuffix(r.URL.Path, ":runReport") {
					return collectortest.NoFault // the token endpoint's faults are tested elsewhere
				}
				if n == 60 {
					cutClickHouse()
				}
				return collectortest.SpreadFaults(n, r)
			},
			Throttle: func(rw http.ResponseWriter, _ *http.Request) {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(http.StatusTooManyRequests)
				_, _ = rw.Write([]byte(`{"error":{"code":429,"message":"Exhausted concurrent requests quota.","status":"RESOURCE_EXHAUSTED"}}`))
			}}
		return faulty
	})
	c, _ = newTestCollector(t, f, "", opts)
	// The access tokens expire overnight before the 2025 steps, and the key is withdrawn until the
	// operator puts a new one in place and runs the command again.
	f.setTokenFault(func(int) *fakeAnswer {
		if !expired.Load() || !faultsOn.Load() {
			return nil
		}
		return &fakeAnswer{status: http.StatusBadRequest, body: []byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)}
	})
	src := testSource(c)
	runner := scheduler.NewRunner(via, collectortest.Oslo, slog.New(slog.DiscardHandler))
	var notes []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	first, err := runner.Backfill(ctx, src, window, false, func(res scheduler.ChunkResult) {
		notes = append(notes, res.Notes...)
		if res.Window.To.Equal(days.Date(2024, 12, 31)) {
			expired.Store(true)
			f.expireTokens()
		}
		if res.Status == scheduler.StatusPartial {
			t.Logf("chunk %s partial: %v", res.Window, res.Err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != scheduler.StatusFailed || first.Done != 24 || first.Partial != 0 {
		t.Fatalf("the faulty backfill should stop at the expired tokens after 2024, no chunk partial: %+v", first)
	}
	if injected := faulty.Injected(); len(injected) < 6 {
		t.Errorf("faults injected: %v, want every kind", injected)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "transient faults retried") }) {
		t.Errorf("the runs' notes do not count the retries: %q", notes)
	}

	faultsOn.Store(false)
	second, _ := backfillWindow(t, st, c, window)
	if second.Status != scheduler.StatusOK || second.Skipped != first.Done {
		t.Fatalf("the same command again should resume where the first stopped: %+v", second)
	}
	for _, table := range webTables {
		collectortest.SameFigures(t, table, collectortest.Figures(t, st.Conn(), table), want[table])
	}
}
