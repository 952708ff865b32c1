package instagram

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

var refusals = []struct {
	name  string
	write func(w http.ResponseWriter)
}{
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
		_, _ = w.Write([]byte(`{"data": [{"name": "reach", "values": [{"value": 12`))
	}},
}

// TestEachRefusedEndpointFailsItsFamilyOnly refuses each endpoint in turn, in each way: every other
// family is stored, the run is partial, and a note names the family. A refused token check is a
// note only (the expiry is a health aid, not a figure).
func TestEachRefusedEndpointFailsItsFamilyOnly(t *testing.T) {
	isMetric := func(metric, metricType string) func(r *http.Request) bool {
		return func(r *http.Request) bool {
			q := r.URL.Query()
			return q.Get("metric") == metric && (metricType == "" || q.Get("metric_type") == metricType)
		}
	}
	endpoints := []struct {
		name, family string
		match        func(r *http.Request) bool
	}{
		{"debug_token", "expiry could not be read", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/debug_token") }},
		{"followers_count", "followers today", func(r *http.Request) bool { return r.URL.Query().Get("fields") != "" }},
		{"follows_and_unfollows", "follows/unfollows per day", isMetric("follows_and_unfollows", "")},
		{"reach series", "reach per day", isMetric("reach", "time_series")},
		{"month reach", "reach per month", isMetric("reach", "total_value")},
	}
	for _, ep := range endpoints {
		for _, ref := range refusals {
			t.Run(ep.name+" "+ref.name, func(t *testing.T) {
				f := newFakeIG(t, time.Date(2025, 10, 5, 12, 0, 0, 0, time.UTC))
				f.srv.Update(func(s *metafake.Server) {
					s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
						if ep.match(r) {
							ref.write(w)
							return true
						}
						return false
					}
				})
				sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 10, 5))
				if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, ep.family) {
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
				// The days Instagram still has movements for: 6 September (30 days back) on.
				if ep.name != "followers_count" && ep.name != "follows_and_unfollows" {
					f.checkRows(t, rows, days.Date(2025, 9, 6), days.Date(2025, 10, 4))
				}
				if ep.name != "reach series" && len(reachRows(sink, "day")) != 34 {
					t.Errorf("%d daily reach rows, want 34", len(reachRows(sink, "day")))
				}
				if ep.name != "month reach" && len(reachRows(sink, "month")) != 1 {
					t.Errorf("September's reach is missing: %v", reachRows(sink, "month"))
				}
			})
		}
	}
}

// TestReachSeriesPagesToTheEnd pages the reach series five days at a time and gets every day.
func TestReachSeriesPagesToTheEnd(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 10, 5, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.PageDays = 5 })
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	reach := reachRows(sink, "day")
	for d := days.Date(2025, 9, 1); d.Month() == time.September; d = d.AddDate(0, 0, 1) {
		if reach[d].Reach != f.acct.Insights[d].Reach {
			t.Errorf("%s reach %d, want %d", days.Format(d), reach[d].Reach, f.acct.Insights[d].Reach)
		}
	}
	pages := 0
	for _, r := range f.srv.Requests() {
		if q := metafake.Query(r); q.Get("metric") == "reach" && q.Get("metric_type") == "time_series" {
			pages++
		}
	}
	// 1–29 September in pages of 5, then 30 September to yesterday (4 October) in one.
	if pages != 7 {
		t.Errorf("%d reach pages, want 7", pages)
	}
}

// TestMonthBackfillShowsNewFollowersAndGrowth: a plain backfill of the last whole month through the
// runner has the month's starting count (the day before it), so its new followers and growth
// show, equal to the fake's. Instagram keeps 30 days of movements, so a month is what it serves;
// a year's start comes from the count each day's run measured (TestInstagramYearIntegration).
func TestMonthBackfillShowsNewFollowersAndGrowth(t *testing.T) {
	st := chtest.Open(t)
	f := newFakeIG(t, time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC))
	src := scheduler.Source{ID: "instagram-innomed", Kind: "instagram", Collector: f.collector(t), ChunkDays: Kind().ChunkDays}
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	sum, err := runner.Backfill(context.Background(), src, days.Range{From: days.Date(2025, 9, 3), To: days.Date(2025, 9, 30)}, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	g, err := query.New(st.Conn()).FollowerGrowthBetween(context.Background(), "instagram", "innomed", days.Date(2025, 9, 3), days.Date(2025, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	start, end := f.acct.Followers[days.Date(2025, 9, 2)], f.acct.Followers[days.Date(2025, 9, 30)]
	if g.NewFollowers == nil || *g.NewFollowers != int64(end)-int64(start) || g.FollowersAtStart == nil || *g.FollowersAtStart != start {
		t.Errorf("new followers %v from %v; want %d from %d", g.NewFollowers, g.FollowersAtStart, int64(end)-int64(start), start)
	}
}

// backfillCalls runs a three-year backfill step by step against the fake and returns the requests
// made and the fewest Instagram's limits allow: one token check, one count, one follows_and_unfollows
// per day of the 30 Instagram keeps, one reach series per 29 days, and one reach per month that
// fits Instagram's 30 days (February, April, June, September). Older movements, longer months,
// quarters and years cannot be had, so are not asked.
func backfillCalls(tb testing.TB) (calls, minimum int) {
	f := newFakeIG(tb, time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	f.acct = metafake.Simulate(igID, true, days.Date(2022, 12, 1), days.Date(2026, 1, 31), 48)
	f.acct.FollowHistoryDays = 30
	f.srv = metafake.New(tb, func() time.Time { return f.now }, f.acct)
	c := f.collector(tb)
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	for _, step := range window.Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			tb.Fatalf("%s: %v", step, err)
		}
	}
	reachSeries := (window.Days() + seriesDays - 1) / seriesDays
	return len(f.srv.Requests()), 1 + 1 + movementDays + reachSeries + 4*3
}

func TestAPICallsOfAThreeYearBackfill(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "instagram", calls, minimum, 1.1)
}

func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "instagram", calls, minimum, 1.1)
}

func socialRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	lines := collectortest.Lines(t, st.Conn(), `SELECT concat(toString(date), ' followers ', toString(followers), ' ', ifNull(toString(follows), '-'), ' ', ifNull(toString(unfollows), '-'))
FROM social_followers_daily FINAL WHERE platform = 'instagram' ORDER BY date`)
	return append(lines, collectortest.Lines(t, st.Conn(), `SELECT concat(period, ' ', toString(period_start), ' reach ', toString(reach))
FROM social_reach FINAL WHERE platform = 'instagram' ORDER BY period, period_start`)...)
}

// TestFaultyBackfillThenCleanRerunEqualsCleanRun: a three-year backfill through the runner on
// ClickHouse with 429s, Meta's throttle, 503s, cut-off and malformed bodies, slow answers and an
// expired token, then the same command without faults, stores what a clean run stores.
func TestFaultyBackfillThenCleanRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse")
	}
	window := days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}
	run := func(t *testing.T, faults bool) []string {
		st := chtest.Open(t)
		f := newFakeIG(t, time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC))
		f.acct = metafake.Simulate(igID, true, days.Date(2022, 12, 1), days.Date(2026, 1, 31), 48)
		f.acct.FollowHistoryDays = 30
		f.srv = metafake.New(t, func() time.Time { return f.now }, f.acct)
		db, cutClickHouse := st, func() {}
		if faults { // the runner writes through a proxy, cut once mid-run
			db, cutClickHouse = collectortest.CutClickHouse(t, st)
		}
		runner := scheduler.NewRunner(db, collectortest.Oslo, slog.New(slog.DiscardHandler))
		runner.SetClock(func() time.Time { return f.now })
		src := scheduler.Source{ID: "instagram-innomed", Kind: "instagram", Collector: f.collector(t), ChunkDays: Kind().ChunkDays}
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
				s.Intercept = func(w http.ResponseWriter, _ *http.Request, n int) bool {
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
			if injected := f.srv.Injected(); len(injected) < 5 {
				t.Errorf("only %v faults injected", injected)
			}
			t.Logf("faulty run: %s after %d of %d steps", sum.Status, sum.Done, sum.Chunks)
			f.srv.Update(func(s *metafake.Server) { s.Faults, s.Intercept = nil, nil })
			src.Collector = f.collector(t) // the same command again: a new process
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
