package facebook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/collectors/meta/metafake"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// refusal answers a request the way a provider refuses or mangles it.
type refusal struct {
	name  string
	write func(w http.ResponseWriter)
}

var refusals = []refusal{
	{"404", func(w http.ResponseWriter) {
		metafake.Error(w, http.StatusNotFound, 803, 0, "(#803) Some of the aliases you requested do not exist")
	}},
	{"400", func(w http.ResponseWriter) {
		metafake.Error(w, http.StatusBadRequest, 100, 0, "(#100) Unsupported get request. Please read the Graph API documentation")
	}},
	{"500", func(w http.ResponseWriter) {
		metafake.Error(w, http.StatusInternalServerError, 1, 0, "An unknown error occurred")
	}},
	{"malformed 200", func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data": [{"name": "page_follows", "values": [{"value": 12`))
	}},
}

// TestEachRefusedEndpointFailsItsFamilyOnly refuses each endpoint in turn, in each way, and checks
// that every other family is stored, the run is partial (an error with records), and a note names
// what failed. The token check is the exception by design: a refused /debug_token leaves a note
// (the expiry is a health aid, not a figure) and the run is ok.
func TestEachRefusedEndpointFailsItsFamilyOnly(t *testing.T) {
	endpoints := []struct {
		name, family string
		match        func(r *http.Request) bool
	}{
		{"debug_token", "expiry could not be read", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/debug_token") }},
		{"followers_count", "followers today", func(r *http.Request) bool { return r.URL.Query().Get("fields") != "" }},
		{"day insights", "per day", func(r *http.Request) bool { return r.URL.Query().Get("period") == "day" }},
		{"period insights", "reach per month", func(r *http.Request) bool {
			return r.URL.Query().Get("period") == "total_over_range"
		}},
	}
	for _, ep := range endpoints {
		for _, ref := range refusals {
			t.Run(ep.name+" "+ref.name, func(t *testing.T) {
				f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
				f.srv.Update(func(s *metafake.Server) {
					s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
						if ep.match(r) {
							ref.write(w)
							return true
						}
						return false
					}
				})
				sink, err := collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 9, 15))
				notes := strings.Join(sink.Notes(), "\n")
				if !strings.Contains(notes, ep.family) {
					t.Errorf("no note names %q: %q", ep.family, notes)
				}
				if ep.name == "debug_token" {
					if err != nil {
						t.Errorf("a refused token check failed the run: %v", err)
					}
				} else if err == nil || len(sink.Records()) == 0 {
					t.Errorf("want a partial run (an error and records), got %v with %d records", err, len(sink.Records()))
				}
				rows := followerRows(sink)
				_, today := rows[days.Date(2025, 9, 15)]
				if ep.name != "followers_count" && !today {
					t.Error("today's follower snapshot is missing")
				}
				if ep.name != "day insights" && (len(rows) < 40 || len(reachRows(sink, "day")) != 46) {
					t.Errorf("the daily figures are missing: %d follower rows, %d reach rows", len(rows), len(reachRows(sink, "day")))
				}
				if ep.name != "period insights" && len(reachRows(sink, "month")) != 1 {
					t.Errorf("August's reach is missing: %v", reachRows(sink, "month"))
				}
			})
		}
	}
}

// TestInsightsPageToTheEnd pages day series five days at a time, as Meta may, and gets every day.
func TestInsightsPageToTheEnd(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.PageDays = 5 })
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 6, 1), days.Date(2025, 8, 27))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	for d := days.Date(2025, 5, 31); !d.After(days.Date(2025, 8, 27)); d = d.AddDate(0, 0, 1) {
		if rows[d].Followers != f.page.Followers[d] || reachRows(sink, "day")[d].Reach != f.page.Insights[d].Reach && !d.Equal(days.Date(2025, 5, 31)) {
			t.Fatalf("%s: %+v", days.Format(d), rows[d])
		}
	}
	if len(rows) != 89 {
		t.Errorf("%d follower rows, want 89", len(rows))
	}
	pages := 0
	for _, r := range f.srv.Requests() {
		if metafake.Query(r).Get("period") == "day" {
			pages++
		}
	}
	if pages != 18 { // 89 days in pages of 5
		t.Errorf("%d pages, want 18", pages)
	}
}

// TestYearBackfillShowsNewFollowersAndGrowth is a plain one-year backfill through the runner with
// the source's own step: the year's new followers and growth must be there, equal to the fake's.
func TestYearBackfillShowsNewFollowersAndGrowth(t *testing.T) {
	st := chtest.Open(t)
	f := newFakePage(t, time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC))
	f.page = metafake.Simulate(pageID, false, days.Date(2023, 6, 1), days.Date(2025, 1, 31), 180)
	f.srv = metafake.New(t, func() time.Time { return f.now }, f.page)
	src := scheduler.Source{ID: "facebook-innomed", Kind: "facebook", Collector: f.collector(t, ""), ChunkDays: Kind().ChunkDays}
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	sum, err := runner.Backfill(context.Background(), src, days.Range{From: days.Date(2024, 1, 1), To: days.Date(2024, 12, 31)}, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	g, err := query.New(st.Conn()).FollowerGrowthBetween(context.Background(), "facebook", "innomed", days.YearSpan(2024).From, days.YearSpan(2024).To)
	if err != nil {
		t.Fatal(err)
	}
	start, end := f.page.Followers[days.Date(2023, 12, 31)], f.page.Followers[days.Date(2024, 12, 31)]
	if g.NewFollowers == nil || *g.NewFollowers != int64(end)-int64(start) || g.GrowthRate == nil ||
		*g.GrowthRate != float64(end-start)/float64(start) {
		t.Errorf("new followers %v, growth %v; want %d and %.4f", deref(g.NewFollowers), deref(g.GrowthRate),
			int64(end)-int64(start), float64(end-start)/float64(start))
	}
}

// backfillCalls runs a three-year backfill, step by step as the runner does, against the fake and
// returns the requests it made and the fewest Meta's paging and limits allow: one token check, one
// day series per 89 days (the window and the day before it), one request per month, and one per
// quarter that fits Meta's 90 days. Years and longer quarters cannot be had, so are not asked.
func backfillCalls(tb testing.TB) (calls, minimum int) {
	f := newFakePage(tb, time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	f.page = metafake.Simulate(pageID, false, days.Date(2022, 12, 1), days.Date(2026, 1, 31), 180)
	f.srv = metafake.New(tb, func() time.Time { return f.now }, f.page)
	c := f.collector(tb, "")
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	for _, step := range window.Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			tb.Fatalf("%s: %v", step, err)
		}
	}
	quarters := 0
	for _, p := range days.CompletePeriods(window) {
		if p.Kind == days.Quarter && !c.meta.DayStart(p.End.AddDate(0, 0, 1)).After(c.meta.DayStart(p.Start).Add(90*24*time.Hour)) {
			quarters++
		}
	}
	dayRequests := (window.Days() + 1 + seriesDays - 1) / seriesDays
	return len(f.srv.Requests()), 1 + dayRequests + 36 + quarters
}

func TestAPICallsOfAThreeYearBackfill(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "facebook", calls, minimum, 1.1)
}

func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "facebook", calls, minimum, 1.1)
}

// socialRows is every stored follower and reach figure of the account, a line each, for comparing
// two databases: a figure lost or doubled shows as a differing line or count.
func socialRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	lines := collectortest.Lines(t, st.Conn(), `SELECT concat(toString(date), ' followers ', toString(followers), ' ', ifNull(toString(follows), '-'), ' ', ifNull(toString(unfollows), '-'))
FROM social_followers_daily FINAL WHERE platform = 'facebook' ORDER BY date`)
	return append(lines, collectortest.Lines(t, st.Conn(), `SELECT concat(period, ' ', toString(period_start), ' reach ', toString(reach))
FROM social_reach FINAL WHERE platform = 'facebook' ORDER BY period, period_start`)...)
}

// TestFaultyBackfillThenCleanRerunEqualsCleanRun backfills three years through the runner on
// ClickHouse while the fake throttles (429 with Retry-After, Meta's code 4), fails (503 bursts),
// cuts and mangles answers, answers slowly and refuses the token once; then the same command runs
// again without faults. The figures must equal those of a clean run: nothing lost, nothing doubled.
func TestFaultyBackfillThenCleanRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse")
	}
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	run := func(t *testing.T, faults bool) []string {
		st := chtest.Open(t)
		f := newFakePage(t, now)
		f.page = metafake.Simulate(pageID, false, days.Date(2022, 12, 1), days.Date(2026, 1, 31), 180)
		f.srv = metafake.New(t, func() time.Time { return f.now }, f.page)
		db, cutClickHouse := st, func() {}
		if faults { // the runner writes through a proxy, cut once mid-run
			db, cutClickHouse = collectortest.CutClickHouse(t, st)
		}
		runner := scheduler.NewRunner(db, collectortest.Oslo, slog.New(slog.DiscardHandler))
		runner.SetClock(func() time.Time { return f.now })
		src := scheduler.Source{ID: "facebook-innomed", Kind: "facebook", Collector: f.collector(t, ""), ChunkDays: Kind().ChunkDays}
		if faults {
			f.srv.Update(func(s *metafake.Server) {
				s.Faults = func(n int, _ *http.Request) collectortest.Fault {
					if n == 15 {
						cutClickHouse()
					}
					switch {
					case n%7 == 0:
						return collectortest.ServerError
					case n%11 == 0:
						return collectortest.CutOff
					case n%13 == 0:
						return collectortest.Malformed
					case n%17 == 0:
						return collectortest.RateLimited
					case n%19 == 0:
						return collectortest.Throttle
					case n%23 == 0:
						return collectortest.Slow
					}
					return collectortest.NoFault
				}
				s.Intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
					if n == 30 {
						metafake.Error(w, http.StatusBadRequest, 190, 463, "Error validating access token: Session has expired")
						return true
					}
					return false
				}
			})
			sum, err := runner.Backfill(context.Background(), src, window, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			injected := f.srv.Injected()
			if len(injected) < 5 {
				t.Errorf("only %v faults injected", injected)
			}
			t.Logf("faulty run: %s after %d of %d steps, faults %v", sum.Status, sum.Done, sum.Chunks, injected)
			// The same command again, without faults, in a new process.
			f.srv.Update(func(s *metafake.Server) { s.Faults, s.Intercept = nil, nil })
			src.Collector = f.collector(t, "")
			f.now = f.now.Add(2 * time.Hour)
		}
		sum, err := runner.Backfill(context.Background(), src, window, false, nil)
		if err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("backfill: %+v, %v", sum, err)
		}
		return socialRows(t, st)
	}
	var clean, rerun []string
	t.Run("clean", func(t *testing.T) { clean = run(t, false) })
	t.Run("faulty", func(t *testing.T) { rerun = run(t, true) })
	if len(clean) < 1000 || strings.Join(clean, "\n") != strings.Join(rerun, "\n") {
		t.Errorf("the faulty backfill and its re-run differ from a clean run: %d lines vs %d\n%s", len(rerun), len(clean), firstDifference(clean, rerun))
	}
}

func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("line %d: clean %q, re-run %q", i, a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}
