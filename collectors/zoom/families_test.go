package zoom

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

// kinds counts the events of each kind in records.
func kinds(records []figures.Record) map[string]int {
	out := map[string]int{}
	for _, r := range records {
		if e, ok := r.(figures.Event); ok {
			out[e.Kind]++
		}
	}
	return out
}

// TestEachRefusedEndpointFailsItsFamilyOnly refuses each endpoint in turn (404, 400, 500, a
// malformed 200). The other family is always stored and the refusal is never silent: a failure
// makes the run partial with a note naming the family; a 404 where Zoom means "gone" (a report
// past its six months, a registrant list no longer kept) is a note naming the event. A 404 on the
// held instances of a one-time webinar scheduled in the window is a failure, not "not held".
func TestEachRefusedEndpointFailsItsFamilyOnly(t *testing.T) {
	refusals := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"404", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusNotFound, map[string]any{"code": 3001, "message": "Webinar does not exist: 83456789012."})
		}},
		{"400", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 300, "message": "Invalid request."})
		}},
		{"500", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "Internal error."})
		}},
		{"malformed 200", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"page_size": 4, "webinars": [{"id": 8123`))
		}},
	}
	endpoints := []struct {
		name, family string
		meeting      bool
		// gone: a 404 here means Zoom no longer has it, a note rather than a failure.
		gone  bool
		match func(path string) bool
	}{
		{"webinar list", "webinars", false, false, func(p string) bool { return strings.HasSuffix(p, "/webinars") && strings.HasPrefix(p, "/v2/users/") }},
		{"held instances", "webinars", false, false, func(p string) bool { return strings.HasSuffix(p, "/instances") }},
		{"webinar report", "webinars", false, true, func(p string) bool {
			return strings.HasPrefix(p, "/v2/report/webinars/") && !strings.HasSuffix(p, "/participants")
		}},
		{"webinar participants", "webinars", false, true, func(p string) bool {
			return strings.HasPrefix(p, "/v2/report/webinars/") && strings.HasSuffix(p, "/participants")
		}},
		{"registrants", "webinars", false, true, func(p string) bool { return strings.HasSuffix(p, "/registrants") }},
		{"meeting list", "meetings", true, false, func(p string) bool {
			return strings.HasSuffix(p, "/meetings") && strings.HasPrefix(p, "/v2/report/users/")
		}},
		{"meeting participants", "meetings", true, true, func(p string) bool { return strings.HasPrefix(p, "/v2/report/meetings/") }},
	}
	for _, ep := range endpoints {
		for _, ref := range refusals {
			t.Run(ep.name+" "+ref.name, func(t *testing.T) {
				s := setup(t, "", func(o *collectors.HTTPOptions) { o.RetryMax = 1 })
				s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
					if ep.match(r.URL.Path) {
						ref.write(w)
						return true
					}
					return false
				}
				sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
				notes := strings.Join(sink.Notes(), "\n")
				got := kinds(sink.Records())
				if ep.meeting && got[figures.KindWebinar] != 4 {
					t.Errorf("webinars stored: %d, want 4", got[figures.KindWebinar])
				}
				if !ep.meeting && got[figures.KindNetworkMeeting] != 2 {
					t.Errorf("meetings stored: %d, want 2", got[figures.KindNetworkMeeting])
				}
				if ref.name == "404" && ep.gone {
					if !strings.Contains(notes, "no longer") {
						t.Errorf("a 404 left no note: %q", notes)
					}
					return
				}
				if err == nil || len(sink.Records()) == 0 || !strings.Contains(notes, ep.family) {
					t.Errorf("want a partial run naming %q: err %v, %d records, notes %q", ep.family, err, len(sink.Records()), notes)
				}
			})
		}
	}
}

// backfillCalls returns the API requests a three-year backfill makes step by step, and those of
// one request per list page and event with the whole span asked at once: the fewest Zoom's paging
// (page_size 300) and its one-month meeting report allow.
func backfillCalls(t testing.TB) (calls, minimum int) {
	window := days.Range{From: days.Date(2023, 1, 21), To: days.Date(2026, 1, 20)}
	count := func(steps []days.Range) int {
		s := setup(t, "", nil)
		s.c.pageSize = 300
		for _, step := range steps {
			if _, err := collect(t, s.c, step.From, step.To); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		return len(s.fake.requestsTo("/v2/"))
	}
	return count(window.Chunks(Kind().ChunkDays)), count([]days.Range{window})
}

func TestAPICallsOfAThreeYearBackfill(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "zoom", calls, minimum, 1.1)
}

// TestListsPageToTheEnd reads every list five at a time and gets what one page of 300 gives.
func TestListsPageToTheEnd(t *testing.T) {
	var got [2][]figures.Record
	for i, size := range []int{5, 300} {
		s := setup(t, "", nil)
		s.c.pageSize = size
		sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		got[i] = sink.Records()
		if size == 5 && len(s.fake.requestsTo("/v2/webinars/81234567890/registrants")) != 3 {
			t.Errorf("14 registrants in pages of 5: %d pages, want 3", len(s.fake.requestsTo("/v2/webinars/81234567890/registrants")))
		}
	}
	checkEvents(t, got[0], expected2025)
	if len(got[0]) != len(got[1]) {
		t.Errorf("%d records in pages of 5, %d in pages of 300", len(got[0]), len(got[1]))
	}
}

// TestFaultyBackfillThenCleanRerunEqualsCleanRun: a three-year backfill through the runner on
// ClickHouse with 429s (Retry-After), 503s, cut-off and malformed bodies, slow answers and a
// refused token, then the same command again without faults, stores what a clean run stores.
func TestFaultyBackfillThenCleanRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse")
	}
	window := days.Range{From: days.Date(2023, 1, 21), To: days.Date(2026, 1, 20)}
	run := func(t *testing.T, faults bool) string {
		st := chtest.Open(t)
		s := setup(t, "", func(o *collectors.HTTPOptions) { o.RetryMax = 3 })
		db, cutClickHouse := st, func() {}
		if faults { // the runner writes through a proxy, cut once mid-run
			db, cutClickHouse = collectortest.CutClickHouse(t, st)
		}
		runner := scheduler.NewRunner(db, testClock().Location(), slog.New(slog.DiscardHandler))
		runner.SetClock(testClock)
		src := scheduler.Source{ID: "zoom", Kind: "zoom", Collector: s.c, ChunkDays: Kind().ChunkDays}
		if faults {
			s.fake.update(func() {
				s.fake.faults = func(n int, _ *http.Request) collectortest.Fault {
					if n == 12 {
						cutClickHouse()
					}
					if n == 25 {
						s.fake.expireToken() // an hour has passed: the token is refused (code 124)
					}
					return []collectortest.Fault{collectortest.ServerError, collectortest.CutOff, collectortest.NoFault,
						collectortest.Malformed, collectortest.RateLimited, collectortest.Slow, collectortest.NoFault}[n%7]
				}
			})
			sum, err := runner.Backfill(context.Background(), src, window, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if injected := s.fake.faulty.Injected(); len(injected) < 5 {
				t.Errorf("only %v faults injected", injected)
			}
			t.Logf("faulty run: %s after %d of %d steps", sum.Status, sum.Done, sum.Chunks)
			s.fake.update(func() { s.fake.faults = nil })
			c, _, err := build(t, s.block, nil) // the same command again: a new process
			if err != nil {
				t.Fatal(err)
			}
			c.pageSize = 4
			src.Collector = c
		}
		if sum, err := runner.Backfill(context.Background(), src, window, false, nil); err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("backfill: %+v, %v", sum, err)
		}
		return snapshot(t, st)
	}
	var clean, rerun string
	t.Run("clean", func(t *testing.T) { clean = run(t, false) })
	t.Run("faulty", func(t *testing.T) { rerun = run(t, true) })
	if len(clean) < 200 || clean != rerun {
		t.Errorf("the faulty backfill and its re-run differ from a clean run:\nclean  %s\nre-run %s", clean, rerun)
	}
}

func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "zoom", calls, minimum, 1.1)
}
