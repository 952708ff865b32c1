package facebook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/collectors/meta/metafake"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const pageID = "104857600123456"

// settings builds the source's settings from a YAML block, with env as the environment.
func settings(t testing.TB, block string, now func() time.Time, logs *collectortest.LogBuffer, env map[string]string) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, "facebook-innomed", block, env)
	s.Log, s.Now = logs.Logger(), now
	return s
}

func fastHTTP(o *collectors.HTTPOptions) {
	o.WaitMin, o.WaitMax, o.RetryMax = time.Millisecond, 5*time.Millisecond, 2
	o.RequestsPerSecond, o.Burst = 1000, 100
}

func newTestCollector(t testing.TB, baseURL, token, extra string, now func() time.Time, logs *collectortest.LogBuffer) *collector {
	t.Helper()
	block := fmt.Sprintf("page_id: %q\naccount: innomed\naccess_token: %q\nbase_url: %q\n%s", pageID, token, baseURL, extra)
	c, err := newCollector(settings(t, block, now, logs, nil), fastHTTP)
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

// TestFixturesInMetasDocumentedShapes reads the recorded-shape answers in testdata.
func TestFixturesInMetasDocumentedShapes(t *testing.T) {
	file := func(name string) []byte { return collectortest.Fixture(t, name) }
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer EAAGfixtureToken" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(file("error_token_expired.json"))
			return
		}
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/v25.0/debug_token":
			_, _ = w.Write(file("debug_token.json"))
		case r.URL.Path == "/v25.0/"+pageID && q.Get("fields") == "followers_count":
			_, _ = w.Write(file("page.json"))
		case r.URL.Path == "/v25.0/"+pageID+"/insights" && q.Get("period") == "day":
			_, _ = w.Write(file("page_insights_day.json"))
		case r.URL.Path == "/v25.0/"+pageID+"/insights" && q.Get("period") == "total_over_range" && q.Get("since") == "1754031600" && q.Get("until") == "1756710000":
			_, _ = w.Write(file("page_reach_month.json"))
		default:
			t.Errorf("unexpected request %s?%s", r.URL.Path, r.URL.RawQuery)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(file("error_invalid_metric.json"))
		}
	}))
	now := time.Date(2025, 9, 4, 12, 0, 0, 0, time.UTC)
	c := newTestCollector(t, srv.URL, "EAAGfixtureToken", "", func() time.Time { return now }, &collectortest.LogBuffer{})
	sink, err := collect(t, c, days.Date(2025, 8, 31), days.Date(2025, 9, 4))
	if err != nil {
		t.Fatal(err)
	}
	want := map[time.Time]figures.FollowersDay{
		days.Date(2025, 9, 1): {Followers: 1526, Follows: ptr(3), Unfollows: ptr(0)},
		days.Date(2025, 9, 2): {Followers: 1529, Follows: ptr(4), Unfollows: ptr(1)},
		days.Date(2025, 9, 3): {Followers: 1534, Follows: ptr(5), Unfollows: ptr(0)},
		days.Date(2025, 9, 4): {Followers: 1534}, // today's snapshot from followers_count
	}
	got := followerRows(sink)
	if len(got) != len(want) {
		t.Errorf("follower rows for %d days, want %d", len(got), len(want))
	}
	for d, w := range want {
		g, ok := got[d]
		if !ok || g.Followers != w.Followers || !eqPtr(g.Follows, w.Follows) || !eqPtr(g.Unfollows, w.Unfollows) ||
			g.Platform != figures.PlatformFacebook || g.AccountID != "innomed" {
			t.Errorf("%s: got %+v, want %+v", days.Format(d), g, w)
		}
	}
	reach := reachRows(sink, "day")
	for d, w := range map[time.Time]uint64{days.Date(2025, 9, 1): 212, days.Date(2025, 9, 2): 187, days.Date(2025, 9, 3): 240} {
		if reach[d].Reach != w || !reach[d].PeriodEnd.Equal(d) {
			t.Errorf("reach %s = %+v, want %d", days.Format(d), reach[d], w)
		}
	}
	month := reachRows(sink, "month")
	if m := month[days.Date(2025, 8, 1)]; len(month) != 1 || m.Reach != 3180 || !m.PeriodEnd.Equal(days.Date(2025, 8, 31)) {
		t.Errorf("month reach = %+v, want August 3180", month)
	}
	var creds int
	for _, r := range sink.Records() {
		if c, ok := r.(figures.Credential); ok {
			creds++
			if c.ExpiresAt != nil {
				t.Errorf("a never-expiring token recorded expiry %s", c.ExpiresAt)
			}
		}
	}
	if creds != 1 {
		t.Errorf("%d credential records, want 1", creds)
	}
	// Meta's answer had no value for 31 August (it lies before the fixture's first day).
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "2025-08-31") {
		t.Errorf("notes = %q, want the missing day named", notes)
	}
}

type fakePage struct {
	srv  *metafake.Server
	page *metafake.Account
	now  time.Time
	logs *collectortest.LogBuffer
}

func newFakePage(t testing.TB, now time.Time) *fakePage {
	f := &fakePage{now: now, logs: &collectortest.LogBuffer{}}
	f.page = metafake.Simulate(pageID, false, days.Date(2024, 11, 1), days.Date(2026, 1, 31), 180)
	f.srv = metafake.New(t, func() time.Time { return f.now }, f.page)
	return f
}

func (f *fakePage) collector(t testing.TB, extra string) *collector {
	return newTestCollector(t, f.srv.URL, f.srv.Token, extra, func() time.Time { return f.now }, f.logs)
}

func TestCollectMonthFromInsights(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.PageDays = 10 })
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	// August and the day before it, which a period starting on 1 August starts from.
	if len(rows) != 32 || rows[days.Date(2025, 7, 31)].Followers != f.page.Followers[days.Date(2025, 7, 31)] {
		t.Fatalf("%d follower rows, want 32 with 31 July", len(rows))
	}
	for d := days.Date(2025, 8, 1); d.Month() == time.August; d = d.AddDate(0, 0, 1) {
		want := f.page.Insights[d]
		if r := rows[d]; r.Followers != f.page.Followers[d] || !eqPtr(r.Follows, &want.Follows) || !eqPtr(r.Unfollows, &want.Unfollows) {
			t.Errorf("%s: %+v, want followers %d follows %d unfollows %d", days.Format(d), r, f.page.Followers[d], want.Follows, want.Unfollows)
		}
		if r := reachRows(sink, "day")[d]; r.Reach != want.Reach {
			t.Errorf("%s reach %d, want %d", days.Format(d), r.Reach, want.Reach)
		}
	}
	wantMonth, _ := f.page.RangeReach(days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if m := reachRows(sink, "month"); len(m) != 1 || m[days.Date(2025, 8, 1)].Reach != wantMonth {
		t.Errorf("month reach %+v, want %d", m, wantMonth)
	}
	if q := reachRows(sink, "quarter"); len(q) != 0 {
		t.Errorf("a quarter still running in the window was stored: %+v", q)
	}
	// Every insights request stayed inside Meta's 90 days and asked for no day from today on (the
	// day series reaches on past the window, for the next steps of a backfill).
	for _, r := range f.srv.Requests() {
		if !strings.Contains(r, "/insights") {
			continue
		}
		q := metafake.Query(r)
		if q.Get("until") > fmt.Sprint(time.Date(2025, 9, 15, 7, 0, 0, 0, time.UTC).Unix()) {
			t.Errorf("a request reached today: %s", r)
		}
	}
}

func TestTodaysSnapshotAndRecentDays(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 21, 30, 0, 0, time.UTC)) // 23:30 in Oslo
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 9, 12), days.Date(2025, 9, 15))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	today := rows[days.Date(2025, 9, 15)]
	if today.Followers != f.page.Followers[days.Date(2025, 9, 15)] || today.Follows != nil || today.Unfollows != nil {
		t.Errorf("today's snapshot = %+v", today)
	}
	if len(rows) != 5 {
		t.Errorf("%d rows, want 5 (the window and the day before it)", len(rows))
	}
	// A run after midnight in Oslo counts the new day, whatever the hour in California.
	f.now = time.Date(2025, 9, 15, 22, 30, 0, 0, time.UTC)
	sink, err = collect(t, f.collector(t, ""), days.Date(2025, 9, 16), days.Date(2025, 9, 16))
	if err != nil {
		t.Fatal(err)
	}
	if rows := followerRows(sink); len(rows) != 1 || rows[days.Date(2025, 9, 16)].Followers == 0 {
		t.Errorf("after midnight in Oslo: %+v", rows)
	}
}

func TestQuarterAndYearReachOnlyWhereMetaGivesThem(t *testing.T) {
	f := newFakePage(t, time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	c := f.collector(t, "")
	// Q1 2025 has 90 days: within Meta's limit.
	sink, err := collect(t, c, days.Date(2025, 3, 1), days.Date(2025, 3, 31))
	if err != nil {
		t.Fatal(err)
	}
	wantQ1, _ := f.page.RangeReach(days.Date(2025, 1, 1), days.Date(2025, 3, 31))
	if q := reachRows(sink, "quarter"); len(q) != 1 || q[days.Date(2025, 1, 1)].Reach != wantQ1 || !q[days.Date(2025, 1, 1)].PeriodEnd.Equal(days.Date(2025, 3, 31)) {
		t.Errorf("Q1 reach = %+v, want %d", q, wantQ1)
	}
	// Q2 has 91 days and the year 365: not given, noted, never summed.
	for _, tc := range []struct {
		from, to time.Time
		kind     string
	}{{days.Date(2025, 6, 1), days.Date(2025, 6, 30), "quarter"}, {days.Date(2025, 12, 1), days.Date(2025, 12, 31), "year"}} {
		sink, err := collect(t, c, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if rows := reachRows(sink, tc.kind); len(rows) != 0 {
			t.Errorf("%s reach stored beyond Meta's limit: %+v", tc.kind, rows)
		}
		if len(reachRows(sink, "month")) != 1 {
			t.Errorf("%s: the month's reach is missing", tc.kind)
		}
		notes := strings.Join(sink.Notes(), "\n")
		if !strings.Contains(notes, tc.kind+" reach of") || !strings.Contains(notes, "90 days") || !strings.Contains(notes, "never summed") {
			t.Errorf("%s: notes = %q", tc.kind, notes)
		}
	}
}

func TestGapStaysGap(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	gap := days.Date(2025, 8, 10)
	delete(f.page.Insights, gap)
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(sink)
	if _, ok := rows[gap]; ok || len(rows) != 31 {
		t.Errorf("the gap day got a row (%d rows)", len(rows))
	}
	if _, ok := reachRows(sink, "day")[gap]; ok {
		t.Error("the gap day got a reach row")
	}
	if !strings.Contains(strings.Join(sink.Notes(), "\n"), "2025-08-10") {
		t.Errorf("notes = %q", sink.Notes())
	}
}

func TestWithdrawnReachMetricLeavesFollowersAndFailsLoudly(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.Deprecated["page_impressions_unique"] = true })
	c := f.collector(t, "reach_metric: page_impressions_unique\n")
	sink, err := collect(t, c, days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if err == nil || !strings.Contains(err.Error(), "page_impressions_unique") || !strings.Contains(err.Error(), "valid insights metric") {
		t.Fatalf("err = %v, want one naming the withdrawn metric", err)
	}
	// Once by each family that asks for it (daily and period reach), not once per request.
	if strings.Count(err.Error(), "rejected the insights metric") != 2 {
		t.Errorf("the metric is not reported once per family: %v", err)
	}
	if errors.Is(err, collectors.ErrUnauthorized) || errors.Is(err, collectors.ErrRateLimited) {
		t.Errorf("a withdrawn metric reads as a credentials or rate problem: %v", err)
	}
	if rows := followerRows(sink); len(rows) != 32 || rows[days.Date(2025, 8, 20)].Follows == nil {
		t.Errorf("%d follower rows, want 32 with follows", len(rows))
	}
	if n := len(reachRows(sink, "day")) + len(reachRows(sink, "month")); n != 0 {
		t.Errorf("%d reach rows from a withdrawn metric", n)
	}
	// The default metric works on the same server.
	sink, err = collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if err != nil || len(reachRows(sink, "day")) != 32 {
		t.Errorf("default reach metric: %v, %d rows", err, len(reachRows(sink, "day")))
	}
}

func TestExpiredTokenStopsWithClearError(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 9, 15))
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"facebook:", "expired", "long-lived Page access token", "REKKEVIDDE_SOURCE_FACEBOOK_INNOMED_ACCESS_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if len(sink.Records()) != 0 || len(f.srv.Requests()) != 1 {
		t.Errorf("%d records, %d requests after an expired token", len(sink.Records()), len(f.srv.Requests()))
	}
}

func TestThrottledMidRunKeepsCompleteFigures(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if r.URL.Query().Get("period") != "total_over_range" {
				return false
			}
			w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(`{%q:[{"type":"pages","call_count":100,"total_cputime":12,"total_time":14,"estimated_time_to_regain_access":25}]}`, pageID))
			metafake.Error(w, http.StatusBadRequest, 80001, 0, "(#80001) There have been too many calls to this Page account. Wait a bit and try again.")
			return true
		}
	})
	sink, err := collect(t, f.collector(t, ""), days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	var apiErr *collectors.APIError
	if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(f.now.Add(25*time.Minute)) {
		t.Fatalf("err = %v, want ErrRateLimited retrying in 25 minutes", err)
	}
	if len(followerRows(sink)) != 32 || len(reachRows(sink, "month")) != 0 {
		t.Errorf("the complete days were not kept: %d rows", len(followerRows(sink)))
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := []struct{ block, key string }{
		{"access_token: x\n", "page_id"},
		{"page_id: innomed\naccess_token: x\n", "page_id"},
		{"page_id: \"123\"\n", "access_token"},
		{"page_id: \"123\"\naccess_token: x\naccount: \"inno med\"\n", "account"},
		{"page_id: \"123\"\naccess_token: x\nreach_metric: \"page reach\"\n", "reach_metric"},
		{"page_id: \"123\"\naccess_token: x\napi_version: \"25\"\n", "api_version"},
		{"page_id: \"123\"\naccess_token: x\nbase_url: \"graph.facebook.com\"\n", "base_url"},
		{"page_id: \"123\"\naccess_token: x\npage_token: y\n", "page_token"},
	}
	for _, tc := range cases {
		_, err := New(settings(t, tc.block, time.Now, &collectortest.LogBuffer{}, nil))
		if err == nil || !strings.Contains(err.Error(), tc.key) || !strings.HasPrefix(err.Error(), "facebook:") {
			t.Errorf("%q: err = %v, want one naming %s", tc.block, err, tc.key)
		}
	}
	// The token can come from the environment alone.
	s := settings(t, "page_id: \"123\"\n", time.Now, &collectortest.LogBuffer{}, map[string]string{"REKKEVIDDE_SOURCE_FACEBOOK_INNOMED_ACCESS_TOKEN": "EAAGfromEnv"})
	c, err := newCollector(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.account != "123" || c.reachMetric != DefaultReachMetric || c.meta.APIVersion() != "v25.0" {
		t.Errorf("defaults: account %q reach %q version %q", c.account, c.reachMetric, c.meta.APIVersion())
	}
	k := Kind()
	if k.Name != "facebook" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 || k.New == nil {
		t.Errorf("Kind() = %+v", k)
	}
}

func TestNoSecretInErrorsNotesOrLogs(t *testing.T) {
	f := newFakePage(t, time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC))
	f.srv.Update(func(s *metafake.Server) {
		s.Deprecated["page_daily_unfollows_unique"] = true
		s.Intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
			// Meta's paging links carry the token; it must never be sent back in a query (only
			// /debug_token takes it there, as the token to inspect).
			if r.URL.Path != "/v25.0/debug_token" && strings.Contains(r.URL.RawQuery, s.Token) {
				t.Errorf("the token was sent in the query of %s", r.URL.Path)
			}
			if n%3 == 0 {
				metafake.Error(w, http.StatusInternalServerError, 2, 0, "Service temporarily unavailable")
				return true
			}
			return false
		}
	})
	var texts []string
	for _, tc := range []struct{ from, to time.Time }{
		{days.Date(2025, 8, 1), days.Date(2025, 8, 31)},
		{days.Date(2025, 9, 1), days.Date(2025, 9, 15)},
	} {
		sink, err := collect(t, f.collector(t, ""), tc.from, tc.to)
		if err != nil {
			texts = append(texts, err.Error())
		}
		texts = append(texts, sink.Notes()...)
	}
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	_, err := collect(t, f.collector(t, ""), days.Date(2025, 9, 1), days.Date(2025, 9, 15))
	texts = append(texts, err.Error(), f.logs.String())
	if !strings.Contains(f.logs.String(), "retrying request") {
		t.Fatal("no retry was logged; the test would prove nothing")
	}
	collectortest.NoLeak(t, "errors, notes and logs", strings.Join(texts, "\n"), f.srv.Token)
}

// TestOddInsightsValueCostsOnlyItsDay serves Meta's documented day series (Insights Value:
// https://developers.facebook.com/docs/graph-api/reference/insights-value/, "the value for one
// insights metric given a timestamp") with one value that is no count ({} where a day has no data)
// and one null. Only those two day-metric pairs are left out: every other day and metric is
// stored, the month's reach too, and the run is partial with a note naming the metric and day.
func TestOddInsightsValueCostsOnlyItsDay(t *testing.T) {
	day := string(collectortest.Fixture(t, "page_insights_day.json"))
	for _, swap := range [][2]string{
		{`{"value": 1529, "end_time": "2025-09-03T07:00:00+0000"}`, `{"value": {}, "end_time": "2025-09-03T07:00:00+0000"}`},
		{`{"value": 212, "end_time": "2025-09-02T07:00:00+0000"}`, `{"value": null, "end_time": "2025-09-02T07:00:00+0000"}`},
	} {
		if !strings.Contains(day, swap[0]) {
			t.Fatalf("the fixture lacks %s", swap[0])
		}
		day = strings.Replace(day, swap[0], swap[1], 1)
	}
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/v25.0/debug_token":
			_, _ = w.Write(collectortest.Fixture(t, "debug_token.json"))
		case q.Get("fields") == "followers_count":
			_, _ = w.Write(collectortest.Fixture(t, "page.json"))
		case q.Get("period") == "day":
			_, _ = w.Write([]byte(day))
		case q.Get("period") == "total_over_range":
			_, _ = w.Write(collectortest.Fixture(t, "page_reach_month.json"))
		default:
			t.Errorf("unexpected request %s?%s", r.URL.Path, r.URL.RawQuery)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	now := time.Date(2025, 9, 4, 12, 0, 0, 0, time.UTC)
	c := newTestCollector(t, srv.URL, "EAAGfixtureToken", "", func() time.Time { return now }, &collectortest.LogBuffer{})
	sink, err := collect(t, c, days.Date(2025, 8, 31), days.Date(2025, 9, 4))
	if err == nil || collectors.EndsRun(context.Background(), err) {
		t.Fatalf("err = %v, want a partial run", err)
	}
	for _, want := range []string{"page_follows", "2025-09-02", DefaultReachMetric, "2025-09-01", "left out"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	rows := followerRows(sink)
	if _, ok := rows[days.Date(2025, 9, 2)]; ok {
		t.Errorf("a follower row for 2 September, whose page_follows was {}: %+v", rows[days.Date(2025, 9, 2)])
	}
	for d, want := range map[time.Time]uint64{days.Date(2025, 9, 1): 1526, days.Date(2025, 9, 3): 1534, days.Date(2025, 9, 4): 1534} {
		if rows[d].Followers != want {
			t.Errorf("followers %s = %+v, want %d", days.Format(d), rows[d], want)
		}
	}
	if f := rows[days.Date(2025, 9, 3)]; !eqPtr(f.Follows, ptr(5)) || !eqPtr(f.Unfollows, ptr(0)) {
		t.Errorf("3 September lost its follows: %+v", f)
	}
	reach := reachRows(sink, "day")
	if _, ok := reach[days.Date(2025, 9, 1)]; ok || reach[days.Date(2025, 9, 2)].Reach != 187 || reach[days.Date(2025, 9, 3)].Reach != 240 {
		t.Errorf("day reach = %+v, want 2 and 3 September only", reach)
	}
	if len(reachRows(sink, "month")) != 1 {
		t.Error("August's reach is missing")
	}
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "stored in part") || !strings.Contains(notes, "page_follows") {
		t.Errorf("no note says the days were stored in part: %q", notes)
	}
}
