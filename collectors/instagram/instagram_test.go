package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/collectors/meta/metafake"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const igID = "17841400000000001"

func settings(t testing.TB, block string, now func() time.Time, logs *collectortest.LogBuffer, stateDir string) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, "instagram-innomed", block, nil)
	s.Log, s.Now, s.State.Dir = logs.Logger(), now, stateDir
	return s
}

func fastHTTP(o *collectors.HTTPOptions) {
	o.WaitMin, o.WaitMax, o.RetryMax = time.Millisecond, 5*time.Millisecond, 2
	o.RequestsPerSecond, o.Burst = 1000, 100
}

func newTestCollector(t testing.TB, baseURL, token string, now func() time.Time, logs *collectortest.LogBuffer, stateDir string) *collector {
	t.Helper()
	block := fmt.Sprintf("ig_user_id: %q\naccount: innomed\naccess_token: %q\nbase_url: %q\n", igID, token, baseURL)
	c, err := newCollector(settings(t, block, now, logs, stateDir), fastHTTP)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(t testing.TB, c *collector, from, to time.Time) (*collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	err := c.Collect(context.Background(), days.Range{From: from, To: to}, sink)
	return sink, err
}

func followerRows(sink *collectors.Sink) map[time.Time]figures.FollowersDay {
	out := map[time.Time]figures.FollowersDay{}
	for _, r := range sink.Records() {
		if f, ok := r.(figures.FollowersDay); ok {
			out[f.Date] = f
		}
	}
	return out
}

func reachRows(sink *collectors.Sink, period string) map[time.Time]figures.Reach {
	out := map[time.Time]figures.Reach{}
	for _, r := range sink.Records() {
		if f, ok := r.(figures.Reach); ok && f.Period == period {
			out[f.PeriodStart] = f
		}
	}
	return out
}

func ptr(v uint64) *uint64 { return &v }

func eqPtr(a, b *uint64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestFixturesInMetasDocumentedShapes(t *testing.T) {
	file := func(name string) []byte { return collectortest.Fixture(t, name) }
	byDay := map[string]string{}
	for d := days.Date(2025, 9, 1); !d.After(days.Date(2025, 9, 4)); d = d.AddDate(0, 0, 1) {
		start := time.Date(d.Year(), d.Month(), d.Day(), 7, 0, 0, 0, time.UTC) // midnight PDT
		byDay[fmt.Sprint(start.Unix())] = "ig_follows_and_unfollows_" + days.Format(d) + ".json"
	}
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/v25.0/debug_token":
			_, _ = w.Write(file("debug_token.json"))
		case r.URL.Path == "/v25.0/"+igID && q.Get("fields") == "followers_count":
			_, _ = w.Write(file("ig_user.json"))
		case r.URL.Path == "/v25.0/"+igID+"/insights" && q.Get("metric") == "follows_and_unfollows" && q.Get("breakdown") == "follow_type" && byDay[q.Get("since")] != "":
			_, _ = w.Write(file(byDay[q.Get("since")]))
		case r.URL.Path == "/v25.0/"+igID+"/insights" && q.Get("metric") == "reach" && q.Get("metric_type") == "time_series":
			_, _ = w.Write(file("ig_reach_time_series.json"))
		default:
			_, _ = w.Write(file("ig_empty.json"))
		}
	}))
	now := time.Date(2025, 9, 4, 12, 0, 0, 0, time.UTC)
	c := newTestCollector(t, srv.URL, "EAAGfixtureToken", func() time.Time { return now }, &collectortest.LogBuffer{}, t.TempDir())
	sink, err := collect(t, c, days.Date(2025, 9, 1), days.Date(2025, 9, 4))
	if err != nil {
		t.Fatal(err)
	}
	// 512 measured today; each earlier day is the next day's count less its follows plus its
	// unfollows: 512 − (4 − 1) = 509, 509 − (2 − 0) = 507, 507 − (5 − 1) = 503.
	want := map[time.Time]figures.FollowersDay{
		days.Date(2025, 9, 1): {Followers: 503, Follows: ptr(3), Unfollows: ptr(2)},
		days.Date(2025, 9, 2): {Followers: 507, Follows: ptr(5), Unfollows: ptr(1)},
		days.Date(2025, 9, 3): {Followers: 509, Follows: ptr(2), Unfollows: ptr(0)},
		days.Date(2025, 9, 4): {Followers: 512},
	}
	got := followerRows(sink)
	if len(got) != len(want) {
		t.Errorf("%d follower rows, want %d", len(got), len(want))
	}
	for d, w := range want {
		g := got[d]
		if g.Followers != w.Followers || !eqPtr(g.Follows, w.Follows) || !eqPtr(g.Unfollows, w.Unfollows) || g.Platform != figures.PlatformInstagram || g.AccountID != "innomed" {
			t.Errorf("%s: got %+v, want %+v", days.Format(d), g, w)
		}
	}
	reach := reachRows(sink, "day")
	for d, w := range map[time.Time]uint64{days.Date(2025, 9, 1): 840, days.Date(2025, 9, 2): 910, days.Date(2025, 9, 3): 765} {
		if reach[d].Reach != w {
			t.Errorf("reach %s = %d, want %d", days.Format(d), reach[d].Reach, w)
		}
	}
}

type fakeIG struct {
	srv   *metafake.Server
	acct  *metafake.Account
	now   time.Time
	logs  *collectortest.LogBuffer
	state string
}

func newFakeIG(t testing.TB, now time.Time) *fakeIG {
	f := &fakeIG{now: now, logs: &collectortest.LogBuffer{}, state: t.TempDir()}
	f.acct = metafake.Simulate(igID, true, days.Date(2024, 11, 1), days.Date(2026, 1, 31), 48)
	f.acct.FollowHistoryDays = 30
	f.srv = metafake.New(t, func() time.Time { return f.now }, f.acct)
	return f
}

func (f *fakeIG) collector(t testing.TB) *collector {
	return newTestCollector(t, f.srv.URL, f.srv.Token, func() time.Time { return f.now }, f.logs, f.state)
}

func (f *fakeIG) checkRows(t *testing.T, rows map[time.Time]figures.FollowersDay, from, to time.Time) {
	t.Helper()
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		r, ok := rows[d]
		want := f.acct.Insights[d]
		if !ok || r.Followers != f.acct.Followers[d] || !eqPtr(r.Follows, &want.Follows) || !eqPtr(r.Unfollows, &want.Unfollows) {
			t.Errorf("%s: %+v (present %v), want followers %d follows %d unfollows %d", days.Format(d), r, ok, f.acct.Followers[d], want.Follows, want.Unfollows)
		}
	}
}

func TestBackfillWorksBackFromTodaysCount(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	sink, err := collect(t, f.collector(t), days.Date(2025, 8, 20), days.Date(2025, 9, 15))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	if len(rows) != 28 {
		t.Errorf("%d rows, want 28 (the window and the day before it)", len(rows))
	}
	f.checkRows(t, rows, days.Date(2025, 8, 19), days.Date(2025, 9, 14))
	if today := rows[days.Date(2025, 9, 15)]; today.Followers != f.acct.Followers[days.Date(2025, 9, 15)] || today.Follows != nil {
		t.Errorf("today's row = %+v", today)
	}
	reach := reachRows(sink, "day")
	if len(reach) != 26 || reach[days.Date(2025, 8, 25)].Reach != f.acct.Insights[days.Date(2025, 8, 25)].Reach {
		t.Errorf("%d daily reach rows", len(reach))
	}
	// August has 31 days: beyond Instagram's 30 per request, so it is noted, not stored.
	if len(reachRows(sink, "month")) != 0 || !strings.Contains(strings.Join(sink.Notes(), "\n"), "month reach of 2025-08-01..2025-08-31 is not stored") {
		t.Errorf("month rows %v, notes %q", reachRows(sink, "month"), sink.Notes())
	}
}

func TestDaysBeyondInstagramsHistoryAreGaps(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	c := f.collector(t)
	sink, err := collect(t, c, days.Date(2025, 7, 1), days.Date(2025, 7, 31))
	if err != nil {
		t.Fatal(err)
	}
	if rows := followerRows(sink); len(rows) != 0 {
		t.Errorf("%d follower rows for days whose movements Instagram no longer has", len(rows))
	}
	if len(reachRows(sink, "day")) != 31 {
		t.Errorf("daily reach rows: %d, want 31", len(reachRows(sink, "day")))
	}
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "last 30 days only, so none are asked for 2025-06-30..2025-07-31") {
		t.Errorf("notes = %q", notes)
	}
	movements := func() int {
		n := 0
		for _, r := range f.srv.Requests() {
			if strings.Contains(r, "follows_and_unfollows") {
				n++
			}
		}
		return n
	}
	// Days older than Instagram keeps are not asked at all.
	if n := movements(); n != 0 {
		t.Errorf("%d follows_and_unfollows requests for days past Instagram's history", n)
	}
	// The next step asks for each day of the last 30 once (17 August to today, whose movements lead
	// back to 14 September), and the
	// one after that reuses them.
	if _, err := collect(t, c, days.Date(2025, 8, 1), days.Date(2025, 8, 31)); err != nil {
		t.Fatal(err)
	}
	if n := movements(); n != 30 {
		t.Errorf("%d follows_and_unfollows requests, want 30 (17 August to today, 15 September)", n)
	}
	before := len(f.srv.Requests())
	if _, err := collect(t, c, days.Date(2025, 9, 1), days.Date(2025, 9, 15)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.Requests()) - before; n != 0 {
		t.Errorf("the third step sent %d requests, want none: the token, the count, the movements and the reach (asked by the step before, up to yesterday) come from memory", n)
	}
}

func TestMeasuredCountsWin(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 12, 20, 0, 0, 0, time.UTC))
	// A run on 12 September measured a count that differs from what the movements imply.
	measured := f.acct.Followers[days.Date(2025, 9, 12)] + 7
	f.acct.Followers[days.Date(2025, 9, 12)] = measured
	if _, err := collect(t, f.collector(t), days.Date(2025, 9, 12), days.Date(2025, 9, 12)); err != nil {
		t.Fatal(err)
	}
	f.acct.Followers[days.Date(2025, 9, 12)] = measured - 7
	f.now = time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC)
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 10), days.Date(2025, 9, 15))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	if got := rows[days.Date(2025, 9, 12)].Followers; got != measured {
		t.Errorf("12 Sept = %d, want the measured %d", got, measured)
	}
	mv := f.acct.Insights[days.Date(2025, 9, 12)]
	if got, want := rows[days.Date(2025, 9, 11)].Followers, measured-mv.Follows+mv.Unfollows; got != want {
		t.Errorf("11 Sept = %d, want %d (worked back from the measured count)", got, want)
	}
	f.checkRows(t, rows, days.Date(2025, 9, 13), days.Date(2025, 9, 14))
}

func TestEmptyDataBreaksTheChain(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	delete(f.acct.Insights, days.Date(2025, 9, 5))
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 14))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	if len(rows) != 9 {
		t.Errorf("%d rows, want 9 (6–14 September)", len(rows))
	}
	f.checkRows(t, rows, days.Date(2025, 9, 6), days.Date(2025, 9, 14))
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "no follows and unfollows for 2025-09-05") || !strings.Contains(notes, "2025-09-01, 2025-09-02, 2025-09-03, 2025-09-04") {
		t.Errorf("notes = %q", notes)
	}
	if _, ok := reachRows(sink, "day")[days.Date(2025, 9, 5)]; ok {
		t.Error("a reach row for a day Instagram left out")
	}
}

func TestMonthReachWhereInstagramGivesIt(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 10, 5, 12, 0, 0, 0, time.UTC))
	c := f.collector(t)
	sink, err := collect(t, c, days.Date(2025, 9, 1), days.Date(2025, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.acct.RangeReach(days.Date(2025, 9, 1), days.Date(2025, 9, 30))
	if m := reachRows(sink, "month"); len(m) != 1 || m[days.Date(2025, 9, 1)].Reach != want {
		t.Errorf("September reach = %+v, want %d", m, want)
	}
	if q := reachRows(sink, "quarter"); len(q) != 0 || !strings.Contains(strings.Join(sink.Notes(), "\n"), "quarter reach of 2025-07-01..2025-09-30 is not stored") {
		t.Errorf("quarter rows %v, notes %q", q, sink.Notes())
	}
}

func TestWithdrawnMetricFailsLoudlyOthersStored(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.Deprecated["reach"] = true })
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	if err == nil || !strings.Contains(err.Error(), "reach (") || !strings.Contains(err.Error(), "valid insights metric") {
		t.Fatalf("err = %v, want one naming reach", err)
	}
	if len(followerRows(sink)) != 16 || len(reachRows(sink, "day")) != 0 {
		t.Errorf("%d follower rows (want 16), %d reach rows (want 0)", len(followerRows(sink)), len(reachRows(sink, "day")))
	}
	// follows_and_unfollows withdrawn: no past totals can be worked out, today's snapshot stays.
	f = newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.Deprecated["follows_and_unfollows"] = true })
	sink, err = collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	if err == nil || !strings.Contains(err.Error(), "follows_and_unfollows") {
		t.Fatalf("err = %v", err)
	}
	if rows := followerRows(sink); len(rows) != 1 || rows[days.Date(2025, 9, 15)].Followers == 0 {
		t.Errorf("rows = %+v, want today's snapshot only", rows)
	}
}

func TestExpiredToken(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "instagram:") || !strings.Contains(err.Error(), "expired") ||
		!strings.Contains(err.Error(), "REKKEVIDDE_SOURCE_INSTAGRAM_INNOMED_ACCESS_TOKEN") || strings.Contains(err.Error(), f.srv.Token) {
		t.Fatalf("err = %v", err)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("%d records", len(sink.Records()))
	}
}

func TestThrottleStopsCleanly(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n < 8 {
				return false
			}
			metafake.Error(w, http.StatusBadRequest, 80002, 0, "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.")
			return true
		}
	})
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	var apiErr *collectors.APIError
	if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(f.now.Add(time.Hour)) {
		t.Fatalf("err = %v, want ErrRateLimited retrying in an hour", err)
	}
	rows := followerRows(sink)
	for d, r := range rows {
		if r.Followers != f.acct.Followers[d] {
			t.Errorf("%s: %d, want %d", days.Format(d), r.Followers, f.acct.Followers[d])
		}
	}
	// Usage at 95 % stops the run before Meta throttles.
	f = newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) {
		s.Header = http.Header{"X-Business-Use-Case-Usage": {fmt.Sprintf(`{%q:[{"type":"instagram","call_count":95,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":0}]}`, igID)}}
	})
	_, err = collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	if !errors.Is(err, collectors.ErrRateLimited) || len(f.srv.Requests()) != 1 {
		t.Errorf("usage at 95%%: %v after %d requests, want a stop after 1", err, len(f.srv.Requests()))
	}
}

func TestWithoutStateDirTodaysCountStillAnchors(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.state = ""
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	if err != nil {
		t.Fatal(err)
	}
	f.checkRows(t, followerRows(sink), days.Date(2025, 9, 1), days.Date(2025, 9, 14))
	if !strings.Contains(strings.Join(sink.Notes(), "\n"), "set state_dir") {
		t.Errorf("notes = %q", sink.Notes())
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := []struct{ block, key string }{
		{"access_token: x\n", "ig_user_id"},
		{"ig_user_id: innomed_no\naccess_token: x\n", "ig_user_id"},
		{"ig_user_id: \"178\"\n", "access_token"},
		{"ig_user_id: \"178\"\naccess_token: x\naccount: \"a/b\"\n", "account"},
		{"ig_user_id: \"178\"\naccess_token: x\napi_version: latest\n", "api_version"},
		{"ig_user_id: \"178\"\naccess_token: x\nbase_url: \"/graph\"\n", "base_url"},
		{"ig_user_id: \"178\"\naccess_token: x\nreach_metric: reach\n", "reach_metric"},
	}
	for _, tc := range cases {
		_, err := New(settings(t, tc.block, time.Now, &collectortest.LogBuffer{}, t.TempDir()))
		if err == nil || !strings.Contains(err.Error(), tc.key) || !strings.HasPrefix(err.Error(), "instagram:") {
			t.Errorf("%q: err = %v, want one naming %s", tc.block, err, tc.key)
		}
	}
	k := Kind()
	if k.Name != "instagram" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 || k.New == nil {
		t.Errorf("Kind() = %+v", k)
	}
}

func TestNoSecretInErrorsNotesOrLogs(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) {
		s.Deprecated["reach"] = true
		s.Intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
			if r.URL.Path != "/v25.0/debug_token" && strings.Contains(r.URL.RawQuery, s.Token) {
				t.Errorf("the token was sent in the query of %s", r.URL.Path)
			}
			if n%4 == 0 {
				metafake.Error(w, http.StatusServiceUnavailable, 2, 0, "Service temporarily unavailable")
				return true
			}
			return false
		}
	})
	sink, err := collect(t, f.collector(t), days.Date(2025, 8, 1), days.Date(2025, 9, 15))
	texts := append(sink.Notes(), fmt.Sprint(err), f.logs.String())
	state, _ := os.ReadFile(filepath.Join(f.state, "instagram-innomed", "followers.json"))
	texts = append(texts, string(state))
	if !strings.Contains(f.logs.String(), "retrying request") {
		t.Fatal("no retry was logged; the test would prove nothing")
	}
	collectortest.NoLeak(t, "errors, notes, logs and state", strings.Join(texts, "\n"), f.srv.Token)
}

// TestOneFailedReachSpanCostsOnlyItsDays fails one of the 29-day reach series requests (IG User
// Insights, reach with metric_type=time_series and period=day:
// https://developers.facebook.com/docs/graph-api/reference/shadow-ig-user/insights/) with Meta's
// documented server error after every retry. The spans before and after it are still asked for
// and stored, and the run is partial, naming the span left out.
func TestOneFailedReachSpanCostsOnlyItsDays(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 10, 5, 12, 0, 0, 0, time.UTC))
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	broken := fmt.Sprint(time.Date(2025, 7, 30, 0, 0, 0, 0, pacific).Unix())
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			q := r.URL.Query()
			if q.Get("metric") == "reach" && q.Get("metric_type") == "time_series" && q.Get("since") == broken {
				metafake.Error(w, http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later.")
				return true
			}
			return false
		}
	})
	sink, err := collect(t, f.collector(t), days.Date(2025, 7, 1), days.Date(2025, 9, 30))
	if err == nil || collectors.EndsRun(context.Background(), err) || !strings.Contains(err.Error(), "2025-07-30..2025-08-27") {
		t.Fatalf("err = %v, want a partial run naming the failed span", err)
	}
	reach := reachRows(sink, "day")
	for d := days.Date(2025, 7, 1); !d.After(days.Date(2025, 9, 30)); d = d.AddDate(0, 0, 1) {
		_, ok := reach[d]
		lost := !d.Before(days.Date(2025, 7, 30)) && !d.After(days.Date(2025, 8, 27))
		if ok == lost {
			t.Errorf("%s: reach row present %v, want %v", days.Format(d), ok, !lost)
		}
	}
	// Instagram serves 30 days in one figure, so of the three months only September's is asked.
	if _, ok := reachRows(sink, "month")[days.Date(2025, 9, 1)]; !ok {
		t.Errorf("September's reach is missing: %v", reachRows(sink, "month"))
	}
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "reach per day stored in part") {
		t.Errorf("no note says reach per day was stored in part: %q", notes)
	}
}

// TestOddFollowsAnswerCostsOnlyItsDay answers one day's follows_and_unfollows (IG User Insights
// with breakdown=follow_type and metric_type=total_value:
// https://developers.facebook.com/docs/graph-api/reference/shadow-ig-user/insights/) in a shape
// that cannot be read: a result value that is not a count. That day is left out and named; the
// days above it, and the days below it that a measured count anchors, are still written.
func TestOddFollowsAnswerCostsOnlyItsDay(t *testing.T) {
	f := newFakeIG(t, time.Date(2025, 9, 12, 20, 0, 0, 0, time.UTC))
	// A run on 12 September measured that day's count.
	if _, err := collect(t, f.collector(t), days.Date(2025, 9, 12), days.Date(2025, 9, 12)); err != nil {
		t.Fatal(err)
	}
	f.now = time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC)
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	odd := fmt.Sprint(time.Date(2025, 9, 13, 0, 0, 0, 0, pacific).Unix())
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			q := r.URL.Query()
			if q.Get("metric") != "follows_and_unfollows" || q.Get("since") != odd {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":[{"name":"follows_and_unfollows","period":"day","title":"Follows and unfollows","total_value":{"breakdowns":[{"dimension_keys":["follow_type"],"results":[{"dimension_values":["FOLLOWER"],"value":{}},{"dimension_values":["NON_FOLLOWER"],"value":2}]}]},"id":"` + igID + `/insights/follows_and_unfollows/day"}]}`))
			return true
		}
	})
	sink, err := collect(t, f.collector(t), days.Date(2025, 9, 8), days.Date(2025, 9, 14))
	if err == nil || collectors.EndsRun(context.Background(), err) || !strings.Contains(err.Error(), "2025-09-13") {
		t.Fatalf("err = %v, want a partial run naming 13 September", err)
	}
	rows := followerRows(sink)
	if _, ok := rows[days.Date(2025, 9, 13)]; ok {
		t.Errorf("13 September was written from an answer that cannot be read: %+v", rows[days.Date(2025, 9, 13)])
	}
	f.checkRows(t, rows, days.Date(2025, 9, 14), days.Date(2025, 9, 14))
	f.checkRows(t, rows, days.Date(2025, 9, 7), days.Date(2025, 9, 12))
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "stored in part") {
		t.Errorf("no note says the follower days were stored in part: %q", notes)
	}
}
