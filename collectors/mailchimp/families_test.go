package mailchimp

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

// TestEachRefusedEndpointFailsItsFamilyOnly refuses each endpoint in turn (404, 400, 500, a
// malformed 200): every other family is stored, the run is partial, and a note names the family.
// The growth history needs today's totals, so a refused audience costs it too, and says so.
func TestEachRefusedEndpointFailsItsFamilyOnly(t *testing.T) {
	refusals := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"404", func(w http.ResponseWriter) { problemAnswer(w, http.StatusNotFound, "error_404.json") }},
		{"400", func(w http.ResponseWriter) { problemAnswer(w, http.StatusBadRequest, "error_400_invalid_param.json") }},
		{"500", func(w http.ResponseWriter) { problemAnswer(w, http.StatusInternalServerError, "error_500.json") }},
		{"malformed 200", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"reports": [{"id": "c125e1a9b2", "emails_sent": 30`))
		}},
	}
	endpoints := []struct{ name, path, family string }{
		{"audience", "/3.0/lists/" + testListID, "audience size today"},
		{"reports", "/3.0/reports", "campaign reports"},
		{"growth history", "/3.0/lists/" + testListID + "/growth-history", "growth-history"},
	}
	for _, ep := range endpoints {
		for _, ref := range refusals {
			t.Run(ep.name+" "+ref.name, func(t *testing.T) {
				f := newFake(t)
				c := newTestCollector(t, f, io.Discard, nil)
				f.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
					if r.URL.Path == ep.path {
						ref.write(w)
						return true
					}
					return false
				}
				sink, err := collect(t, c, days.Date(2022, 12, 1), days.Of(testNow, oslo))
				if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, ep.family) {
					t.Errorf("no note names %q: %q", ep.family, notes)
				}
				if err == nil || len(sink.Records()) == 0 {
					t.Fatalf("want a partial run (an error and records), got %v with %d records", err, len(sink.Records()))
				}
				subs := subscriberDays(sink)
				if _, ok := subs[days.Of(testNow, oslo)]; ok == (ep.name == "audience") {
					t.Errorf("today's size present = %v", ok)
				}
				if _, ok := subs[days.Date(2022, 12, 31)]; ok == (ep.name != "reports") {
					t.Errorf("31 December's size present = %v", ok)
				}
				if n := len(campaigns(sink)); (n == 0) != (ep.name == "reports") {
					t.Errorf("%d campaigns", n)
				}
			})
		}
	}
}

// TestListsPageToTheEnd pages reports and the growth history five at a time and gets the same
// figures as one page of 1000.
func TestListsPageToTheEnd(t *testing.T) {
	got := map[int]*collectors.Sink{}
	for _, size := range []int{5, maxPageSize} {
		f := newFake(t)
		c := newTestCollector(t, f, io.Discard, nil)
		c.pageSize = size
		sink, err := collect(t, c, days.Date(2021, 1, 1), days.Date(2022, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		got[size] = sink
	}
	if a, b := len(campaigns(got[5])), len(campaigns(got[maxPageSize])); a != b || a < 10 {
		t.Errorf("%d campaigns in pages of 5, %d in one page", a, b)
	}
	if a, b := len(subscriberDays(got[5])), len(subscriberDays(got[maxPageSize])); a != b || a < 20 {
		t.Errorf("%d month ends in pages of 5, %d in one page", a, b)
	}
}

// TestYearBackfillHasTheSizeItStartsFrom: a plain backfill of 2022 stores the size at the end of
// 2021, so the year's growth shows.
func TestYearBackfillHasTheSizeItStartsFrom(t *testing.T) {
	st := chtest.Open(t)
	f := newFake(t)
	runner := scheduler.NewRunner(st, oslo, collectortest.Settings(t, "x", "", nil).Logger())
	src := scheduler.Source{ID: "newsletter", Kind: "mailchimp", Collector: newTestCollector(t, f, io.Discard, nil), ChunkDays: Kind().ChunkDays}
	if sum, err := runner.Backfill(context.Background(), src, year2022, false, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	// The count 2022 starts with: the last snapshot of 2021, as the dashboard reads snapshots.
	snaps, err := query.New(st.Conn()).Subscribers(context.Background(), testListID, days.YearSpan(2021).From, days.YearSpan(2021).To)
	if err != nil {
		t.Fatal(err)
	}
	var history struct {
		History []map[string]any `json:"history"`
	}
	readJSON(t, "growth_history.json", &history)
	var start uint64
	for _, h := range history.History {
		if h["month"] == "2021-12" {
			start = uint64(num(t, h, "subscribed"))
		}
	}
	if len(snaps) == 0 || snaps[len(snaps)-1].Subscribers != start || start == 0 {
		t.Errorf("subscribers at the start of 2022 = %+v, want %d last", snaps, start)
	}
}

// backfillCalls runs a three-year backfill step by step and returns the requests it made and the
// fewest Mailchimp's paging allows: the audience's totals, the growth history and the reports
// (1000 a page) once each.
func backfillCalls(tb testing.TB) (calls, minimum int) {
	f := newFake(tb)
	c := newTestCollector(tb, f, io.Discard, nil)
	c.pageSize = maxPageSize
	window := days.Range{From: days.Date(2020, 1, 10), To: days.Of(testNow, oslo)}
	for _, step := range window.Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			tb.Fatalf("%s: %v", step, err)
		}
	}
	return len(f.requestLog()), 3
}

func TestAPICallsOfAThreeYearBackfill(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "mailchimp", calls, minimum, 1.1)
}

// TestFaultyBackfillThenCleanRerunEqualsCleanRun: a three-year backfill through the runner on
// ClickHouse with 429s (Retry-After), 503s, cut-off and malformed bodies, slow answers and a
// refused key, then the same command again without faults, stores what a clean run stores.
func TestFaultyBackfillThenCleanRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse")
	}
	window := days.Range{From: days.Date(2020, 1, 10), To: days.Of(testNow, oslo)}
	run := func(t *testing.T, faults bool) string {
		st := chtest.Open(t)
		f := newFake(t)
		db, cutClickHouse := st, func() {}
		if faults { // the runner writes through a proxy, cut once mid-run
			db, cutClickHouse = collectortest.CutClickHouse(t, st)
		}
		runner := scheduler.NewRunner(db, oslo, collectortest.Settings(t, "x", "", nil).Logger())
		runner.SetClock(func() time.Time { return testNow })
		src := scheduler.Source{ID: "newsletter", Kind: "mailchimp", Collector: newTestCollector(t, f, io.Discard, nil), ChunkDays: Kind().ChunkDays}
		if faults {
			f.update(func() {
				f.faults = func(n int, _ *http.Request) collectortest.Fault {
					if n == 5 {
						cutClickHouse()
					}
					return []collectortest.Fault{collectortest.ServerError, collectortest.CutOff, collectortest.NoFault,
						collectortest.Malformed, collectortest.RateLimited, collectortest.Slow, collectortest.NoFault}[n%7]
				}
				f.intercept = func(n int, _ *http.Request, w http.ResponseWriter) bool {
					if n == 9 {
						problemAnswer(w, http.StatusUnauthorized, "error_401.json")
						return true
					}
					return false
				}
			})
			sum, err := runner.Backfill(context.Background(), src, window, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if injected := f.faulty.Injected(); len(injected) < 5 {
				t.Errorf("only %v faults injected", injected)
			}
			t.Logf("faulty run: %s after %d of %d steps: %v", sum.Status, sum.Done, sum.Chunks, sum.Err)
			f.update(func() { f.faults, f.intercept = nil, nil })
			src.Collector = newTestCollector(t, f, io.Discard, nil) // the same command again
		}
		if sum, err := runner.Backfill(context.Background(), src, window, false, nil); err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("backfill: %+v, %v", sum, err)
		}
		return dump(t, st.Conn())
	}
	var clean, rerun string
	t.Run("clean", func(t *testing.T) { clean = run(t, false) })
	t.Run("faulty", func(t *testing.T) { rerun = run(t, true) })
	if strings.Count(clean, "\n") < 40 || clean != rerun {
		t.Errorf("the faulty backfill and its re-run differ from a clean run:\nclean\n%s\nre-run\n%s", clean, rerun)
	}
}

func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "mailchimp", calls, minimum, 1.1)
}
