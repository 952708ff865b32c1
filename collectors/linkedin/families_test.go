package linkedin

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
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

// TestEachRefusedEndpointFailsItsFamilyOnly refuses each endpoint in turn (404, 400, 500, a
// malformed 200): the other families are stored, the run is partial, and a note names the family.
func TestEachRefusedEndpointFailsItsFamilyOnly(t *testing.T) {
	refusals := []struct {
		name, body string
		status     int
	}{
		{"404", `{"status":404,"serviceErrorCode":0,"code":"RESOURCE_NOT_FOUND","message":"Not Found"}`, http.StatusNotFound},
		{"400", "error_400_time_intervals.json", http.StatusBadRequest},
		{"500", `{"status":500,"message":"Internal Server Error"}`, http.StatusInternalServerError},
		{"malformed 200", `{"paging":{"start":0,"count":100},"elements":[{"timeRange":{"start":17`, http.StatusOK},
	}
	endpoints := []struct{ name, path, family string }{
		{"networkSizes", "/rest/networkSizes/", "followers today"},
		{"follower statistics", "/rest/organizationalEntityFollowerStatistics", "followers per day"},
		{"share statistics", "/rest/organizationalEntityShareStatistics", "reach per month"},
	}
	for _, ep := range endpoints {
		for _, ref := range refusals {
			t.Run(ep.name+" "+ref.name, func(t *testing.T) {
				e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
				e.opts.RetryMax = 1
				f := newFake(t, e.clock)
				gainsFixture(f, day(2024, 12, 1), 300)
				f.months[day(2025, 7, 1)] = integrationMonth(day(2025, 7, 1))
				f.fault = func(r *http.Request, _ int) (int, string, http.Header, bool) {
					return ref.status, ref.body, nil, strings.HasPrefix(r.URL.Path, ep.path)
				}
				srv := f.start()
				e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
				c := e.collector(t, srv.URL, nil)
				sink, err := collect(c, day(2025, 7, 1), day(2025, 9, 1))
				if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, ep.family) {
					t.Errorf("no note names %q: %q", ep.family, notes)
				}
				if err == nil || len(sink.Records()) == 0 {
					t.Fatalf("want a partial run (an error and records), got %v with %d records", err, len(sink.Records()))
				}
				rows := followerRows(t, sink)
				if _, ok := rows[day(2025, 9, 1)]; ok == (ep.name == "networkSizes") {
					t.Errorf("today's count present = %v", ok)
				}
				if _, ok := rows[day(2025, 7, 15)]; ok == (ep.name == "follower statistics") {
					t.Errorf("15 July's count present = %v", ok)
				}
				if _, ok := reachRows(sink)["2025-07"]; ok == (ep.name == "share statistics") {
					t.Errorf("July's reach present = %v", ok)
				}
			})
		}
	}
}

// TestGainsPageByFive reads the daily gains five at a time and counts back the same totals.
func TestGainsPageByFive(t *testing.T) {
	e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 12, 1), 300)
	srv := f.start()
	e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
	c := e.collector(t, srv.URL, nil)
	c.pageSize = 5
	sink, err := collect(c, day(2025, 6, 1), day(2025, 6, 30))
	if err != nil {
		t.Fatal(err)
	}
	got := followerRows(t, sink)
	for d := day(2025, 5, 31); !d.After(day(2025, 6, 30)); d = d.AddDate(0, 0, 1) {
		if want := uint64(f.followersEndOf(d)); got[d] != want {
			t.Errorf("%s: %d, want %d", days.Format(d), got[d], want)
		}
	}
	// Gains of 1 June to 20 August: 81 days in 17 pages of 5; one request for June's reach.
	if n := f.requestCount(); n != 17+1 {
		t.Errorf("%d requests, want 18", n)
	}
}

// TestQuarterBackfillShowsNewFollowers: a plain backfill of a quarter LinkedIn still serves has the
// count it starts from, so its new followers show, equal to the fake's. (A calendar year never
// fits LinkedIn's 12 months of statistics together with the day before it.)
func TestQuarterBackfillShowsNewFollowers(t *testing.T) {
	st := chtest.Open(t)
	e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 12, 1), 300)
	srv := f.start()
	e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	runner.SetClock(e.clock.Now)
	src := scheduler.Source{ID: sourceID, Kind: "linkedin", Collector: e.collector(t, srv.URL, nil), ChunkDays: Kind().ChunkDays}
	q2 := days.Range{From: day(2025, 4, 1), To: day(2025, 6, 30)}
	if sum, err := runner.Backfill(context.Background(), src, q2, false, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	g, err := query.New(st.Conn()).FollowerGrowthBetween(context.Background(), "linkedin", "2414183", q2.From, q2.To)
	if err != nil {
		t.Fatal(err)
	}
	start, end := f.followersEndOf(day(2025, 3, 31)), f.followersEndOf(day(2025, 6, 30))
	if g.NewFollowers == nil || *g.NewFollowers != end-start || g.GrowthRate == nil {
		t.Errorf("new followers %v, growth %v; want %d", g.NewFollowers, g.GrowthRate, end-start)
	}
}

// backfillCalls counts the requests of a three-year backfill, step by step, and those of the whole
// span asked at once (the fewest LinkedIn's paging and 12-month window allow: the gains in pages of
// 100, one request per month of reach LinkedIn still serves).
func backfillCalls(t testing.TB) (calls, minimum int) {
	window := days.Range{From: day(2022, 9, 1), To: day(2025, 8, 31)}
	count := func(steps []days.Range) int {
		e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
		f := newFake(t, e.clock)
		gainsFixture(f, day(2024, 6, 1), 500)
		srv := f.start()
		e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
		c := e.collector(t, srv.URL, nil)
		for _, step := range steps {
			if _, err := collect(c, step.From, step.To); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		return f.requestCount()
	}
	return count(window.Chunks(Kind().ChunkDays)), count([]days.Range{window})
}

func TestAPICallsOfAThreeYearBackfill(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "linkedin", calls, minimum, 1.1)
}

func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "linkedin", calls, minimum, 1.1)
}

// TestFaultyBackfillThenCleanRerunEqualsCleanRun: a three-year backfill through the runner on
// ClickHouse with 429s (Retry-After 0), 503s, cut-off and malformed bodies, slow answers and an
// expired access token (renewed), then the same command again without faults, stores what a clean
// run stores.
func TestFaultyBackfillThenCleanRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse")
	}
	window := days.Range{From: day(2022, 9, 1), To: day(2025, 8, 31)}
	run := func(t *testing.T, faults bool) []string {
		st := chtest.Open(t)
		e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
		e.opts.RetryMax = 3
		f := newFake(t, e.clock)
		gainsFixture(f, day(2024, 6, 1), 500)
		for m := day(2024, 6, 1); m.Before(day(2025, 9, 1)); m = m.AddDate(0, 1, 0) {
			f.months[m] = integrationMonth(m)
		}
		srv := f.start()
		e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
		db, cutClickHouse := st, func() {}
		if faults { // the runner writes through a proxy, cut once mid-run
			db, cutClickHouse = collectortest.CutClickHouse(t, st)
		}
		runner := scheduler.NewRunner(db, collectortest.Oslo, slog.New(slog.DiscardHandler))
		runner.SetClock(e.clock.Now)
		src := scheduler.Source{ID: sourceID, Kind: "linkedin", Collector: e.collector(t, srv.URL, nil), ChunkDays: Kind().ChunkDays}
		if faults {
			f.mu.Lock()
			f.faults = func(n int, _ *http.Request) collectortest.Fault {
				if n == 15 {
					cutClickHouse()
				}
				return []collectortest.Fault{collectortest.ServerError, collectortest.CutOff, collectortest.NoFault,
					collectortest.Malformed, collectortest.RateLimited, collectortest.Slow, collectortest.NoFault}[n%7]
			}
			f.tokens[configuredAccess] = "expired"
			f.mu.Unlock()
			sum, err := runner.Backfill(context.Background(), src, window, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if injected := f.faulty.Injected(); len(injected) < 5 {
				t.Errorf("only %v faults injected", injected)
			}
			t.Logf("faulty run: %s after %d of %d steps", sum.Status, sum.Done, sum.Chunks)
			f.mu.Lock()
			f.faults = nil
			f.mu.Unlock()
			src.Collector = e.collector(t, srv.URL, nil) // the same command again: a new process
		}
		if sum, err := runner.Backfill(context.Background(), src, window, false, nil); err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("backfill: %+v, %v", sum, err)
		}
		lines := collectortest.Lines(t, st.Conn(), `SELECT concat(toString(date), ' ', toString(followers)) FROM social_followers_daily FINAL WHERE platform = 'linkedin' ORDER BY date`)
		return append(lines, collectortest.Lines(t, st.Conn(), `SELECT concat(toString(period_start), ' ', toString(reach), ' ', ifNull(toString(impressions), '-')) FROM social_reach FINAL WHERE platform = 'linkedin' ORDER BY period_start`)...)
	}
	var clean, rerun []string
	t.Run("clean", func(t *testing.T) { clean = run(t, false) })
	t.Run("faulty", func(t *testing.T) { rerun = run(t, true) })
	if len(clean) < 300 || strings.Join(clean, "\n") != strings.Join(rerun, "\n") {
		t.Errorf("the faulty backfill and its re-run differ from a clean run: %d lines vs %d", len(rerun), len(clean))
	}
}

// TestOneFailedMonthOfReachCostsOnlyThatMonth fails the time-bound share statistics of one month
// (Organization Share Statistics, timeIntervals with timeGranularityType MONTH:
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics)
// with LinkedIn's 500 after every retry. The months before and after it are still fetched and
// stored; the run is partial and names the month left out.
func TestOneFailedMonthOfReachCostsOnlyThatMonth(t *testing.T) {
	e := newEnv(t, time.Date(2025, 9, 5, 20, 0, 0, 0, time.UTC))
	e.opts.RetryMax = 1
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 12, 1), 300)
	for _, m := range []time.Time{day(2025, 6, 1), day(2025, 7, 1), day(2025, 8, 1)} {
		f.months[m] = integrationMonth(m)
	}
	july := fmt.Sprint(day(2025, 7, 1).UnixMilli())
	f.fault = func(r *http.Request, _ int) (int, string, http.Header, bool) {
		bad := strings.HasPrefix(r.URL.Path, "/rest/organizationalEntityShareStatistics") && strings.Contains(r.URL.RawQuery, "start:"+july)
		return http.StatusInternalServerError, `{"status":500,"message":"Internal Server Error"}`, nil, bad
	}
	srv := f.start()
	e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
	sink, err := collect(e.collector(t, srv.URL, nil), day(2025, 6, 1), day(2025, 8, 31))
	if err == nil || collectors.EndsRun(context.Background(), err) || !strings.Contains(err.Error(), "2025-07") {
		t.Fatalf("err = %v, want a partial run naming July", err)
	}
	reach := reachRows(sink)
	for label, want := range map[string]bool{"2025-06": true, "2025-07": false, "2025-08": true} {
		if _, ok := reach[label]; ok != want {
			t.Errorf("reach of %s present = %v, want %v", label, ok, want)
		}
	}
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "stored in part: linkedin: organization 2414183: share statistics 2025-07") {
		t.Errorf("no note says the months were stored in part: %q", notes)
	}
}
