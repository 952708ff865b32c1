package linkedin

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	configuredAccess  = "AQVconfigured-access-token"
	configuredRefresh = "AQWconfigured-refresh-token"
	clientSecret      = "WPL_AP1.client-secret"
	sourceID          = "linkedin-innomed"
)

// secrets are every token and secret the tests use; none may appear in an error or a log line.
var secrets = []string{configuredAccess, configuredRefresh, clientSecret,
	"AQVrenewed-access-token-1", "AQVrenewed-access-token-2", "AQXfixture-renewed-access-token"}

// env is one test's collector environment.
type env struct {
	clock    *collectortest.Clock
	stateDir string
	logs     *collectortest.LogBuffer
	opts     collectors.HTTPOptions
}

func newEnv(t testing.TB, now time.Time) *env {
	return &env{
		clock: collectortest.NewClock(now), stateDir: t.TempDir(), logs: &collectortest.LogBuffer{},
		opts: collectors.HTTPOptions{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond,
			AttemptTimeout: 2 * time.Second, RequestsPerSecond: 1000, Burst: 100},
	}
}

// settingsYAML is a full settings block pointing at baseURL; overrides replace keys, and an empty
// override leaves the key out.
func settingsYAML(baseURL string, overrides map[string]string) string {
	keys := []string{"organization_id", "access_token", "refresh_token", "client_id", "client_secret", "base_url", "token_url"}
	values := map[string]string{
		"organization_id": "2414183", "access_token": configuredAccess, "refresh_token": configuredRefresh,
		"client_id": "86abcdefgh", "client_secret": clientSecret,
		"base_url": baseURL + "/rest", "token_url": baseURL + "/oauth/v2/accessToken",
	}
	for k, v := range overrides {
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = v
	}
	var b strings.Builder
	for _, k := range keys {
		if v := values[k]; v != "" {
			b.WriteString(k + ": " + `"` + v + `"` + "\n")
		}
	}
	return b.String()
}

func (e *env) settings(t testing.TB, text string) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, sourceID, text, nil)
	s.State.Dir, s.Log, s.Now = e.stateDir, e.logs.Logger(), e.clock.Now
	return s
}

func (e *env) collector(t testing.TB, baseURL string, overrides map[string]string) *Collector {
	t.Helper()
	c, err := newCollector(e.settings(t, settingsYAML(baseURL, overrides)), e.opts)
	if err != nil {
		t.Fatalf("new collector: %v", err)
	}
	return c
}

// seedAnchor writes the first-snapshot state as an earlier run would have.
func (e *env) seedAnchor(t testing.TB, day string, followers int64) {
	t.Helper()
	st := collectors.StateDir{Dir: e.stateDir, Source: sourceID}
	d, _ := days.Parse(day)
	if err := st.Save(anchorStateName, anchor{OrganizationID: "2414183", Day: day, Followers: followers, TakenAt: d.Add(19 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) assertNoSecrets(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		collectortest.NoLeak(t, "error", err.Error(), secrets...)
	}
	collectortest.NoLeak(t, "log", e.logs.String(), secrets...)
}

func collect(c *Collector, from, to time.Time) (*collectors.Sink, error) {
	sink := &collectors.Sink{}
	err := c.Collect(context.Background(), days.Range{From: from, To: to}, sink)
	return sink, err
}

func followerRows(t testing.TB, sink *collectors.Sink) map[time.Time]uint64 {
	t.Helper()
	out := map[time.Time]uint64{}
	for _, r := range sink.Records() {
		if f, ok := r.(figures.FollowersDay); ok {
			if f.Platform != figures.PlatformLinkedIn || f.AccountID != "2414183" {
				t.Errorf("follower row for %s/%s", f.Platform, f.AccountID)
			}
			if f.Follows != nil || f.Unfollows != nil {
				t.Errorf("%s: follows/unfollows set, but LinkedIn's gains are net", days.Format(f.Date))
			}
			if _, dup := out[f.Date]; dup {
				t.Errorf("%s added twice", days.Format(f.Date))
			}
			out[f.Date] = f.Followers
		}
	}
	return out
}

func reachRows(sink *collectors.Sink) map[string]figures.Reach {
	out := map[string]figures.Reach{}
	for _, r := range sink.Records() {
		if f, ok := r.(figures.Reach); ok {
			out[f.PeriodStart.Format("2006-01")] = f
		}
	}
	return out
}

func credentialRows(sink *collectors.Sink) []figures.Credential {
	var out []figures.Credential
	for _, r := range sink.Records() {
		if f, ok := r.(figures.Credential); ok {
			out = append(out, f)
		}
	}
	return out
}

func hasNote(sink *collectors.Sink, part string) bool {
	return slices.ContainsFunc(sink.Notes(), func(n string) bool { return strings.Contains(n, part) })
}

func day(y int, m time.Month, d int) time.Time { return days.Date(y, m, d) }

// TestFixtures runs a collection against the documented response shapes in testdata: three pages
// of daily follower gains, a month of share statistics, the follower count now.
func TestFixtures(t *testing.T) {
	e := newEnv(t, time.Date(2025, 2, 10, 10, 0, 0, 0, time.UTC))
	e.seedAnchor(t, "2025-02-07", 514) // the first snapshot, taken three days earlier
	var mu sync.Mutex
	var seen []string
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+configuredAccess || r.Header.Get("LinkedIn-Version") != defaultAPIVersion ||
			r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
			t.Errorf("%s: headers %v", r.URL.Path, r.Header)
		}
		var file string
		switch r.URL.EscapedPath() {
		case "/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183":
			file = "network_size.json"
		case "/rest/organizationalEntityFollowerStatistics":
			// Jan 29 00:00 UTC to Feb 8 00:00 UTC: the window's days from its first, to the anchor day.
			want := "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183" +
				"&timeIntervals=(timeRange:(start:1738108800000,end:1738972800000),timeGranularityType:DAY)"
			if !strings.HasPrefix(r.URL.RawQuery, want) {
				t.Errorf("follower statistics query %s, want prefix %s", r.URL.RawQuery, want)
			}
			file = map[string]string{"0": "follower_statistics_daily_page1.json", "4": "follower_statistics_daily_page2.json",
				"8": "follower_statistics_daily_page3.json"}[r.URL.Query().Get("start")]
		case "/rest/organizationalEntityShareStatistics":
			if !strings.Contains(r.URL.RawQuery, "timeIntervals=(timeRange:(start:1735689600000,end:1738368000000),timeGranularityType:MONTH)") {
				t.Errorf("share statistics query %s", r.URL.RawQuery)
			}
			file = "share_statistics_month.json"
		}
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		if file == "" || err != nil {
			t.Errorf("unexpected request %s", r.URL.RequestURI())
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write(raw)
	}))
	c := e.collector(t, srv.URL, map[string]string{"access_token_expires_at": "2025-03-20"})
	c.pageSize = 4

	// From 29 January: 28 January, the day the window starts from, is counted back too.
	sink, err := collect(c, day(2025, 1, 29), day(2025, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	// Counted back from 514 on 7 February with the fixture's daily gains (organic + paid):
	// 29 Jan 2, 30 Jan 1, 31 Jan 0, 1 Feb 3, 2 Feb 1, 3 Feb 4, 4 Feb 0, 5 Feb 2, 6 Feb 1, 7 Feb 3.
	want := map[time.Time]uint64{
		day(2025, 1, 28): 497, day(2025, 1, 29): 499, day(2025, 1, 30): 500, day(2025, 1, 31): 500,
		day(2025, 2, 1): 503, day(2025, 2, 2): 504, day(2025, 2, 3): 508, day(2025, 2, 4): 508,
		day(2025, 2, 5): 510, day(2025, 2, 6): 511,
		day(2025, 2, 10): 516, // today's snapshot (network_size.json)
	}
	got := followerRows(t, sink)
	if len(got) != len(want) {
		t.Errorf("got %d follower days, want %d: %v", len(got), len(want), got)
	}
	for d, n := range want {
		if got[d] != n {
			t.Errorf("%s: %d followers, want %d", days.Format(d), got[d], n)
		}
	}
	reach := reachRows(sink)
	jan, ok := reach["2025-01"]
	if len(reach) != 1 || !ok || jan.Reach != 1830 || jan.Impressions == nil || *jan.Impressions != 5120 ||
		jan.Period != "month" || !jan.PeriodEnd.Equal(day(2025, 1, 31)) {
		t.Errorf("reach rows %+v, want January 2025 with reach 1830 and 5120 impressions", reach)
	}
	creds := credentialRows(sink)
	if len(creds) != 1 || creds[0].ExpiresAt == nil || !creds[0].ExpiresAt.Equal(day(2025, 3, 20)) || creds[0].Name != credentialName {
		t.Errorf("credential rows %+v, want one expiring 2025-03-20", creds)
	}
	if len(seen) != 5 {
		t.Errorf("%d requests, want 5 (count, three pages, one month): %v", len(seen), seen)
	}
	if len(sink.Notes()) != 0 {
		t.Errorf("notes %q", sink.Notes())
	}
}

// gainsFixture fills the fake with a page growing from 200 followers on firstDay.
func gainsFixture(f *fakeLinkedIn, firstDay time.Time, n int) {
	f.firstDay, f.base = firstDay, 200
	for i := range n {
		d := firstDay.AddDate(0, 0, i)
		f.gains[d] = int64((d.YearDay()*7)%5) - 1 // −1 … 3, net gains can be negative
	}
}

func TestPagingAcrossManyPages(t *testing.T) {
	for _, ignoreCount := range []bool{false, true} {
		e := newEnv(t, time.Date(2025, 9, 1, 20, 0, 0, 0, time.UTC))
		f := newFake(t, e.clock)
		f.ignoreCount = ignoreCount
		gainsFixture(f, day(2024, 12, 1), 300)
		srv := f.start()
		e.seedAnchor(t, "2025-08-20", f.followersEndOf(day(2025, 8, 20)))
		c := e.collector(t, srv.URL, nil)
		c.pageSize = 7
		sink, err := collect(c, day(2025, 1, 1), day(2025, 6, 30))
		if err != nil {
			t.Fatal(err)
		}
		got := followerRows(t, sink)
		for d := day(2025, 1, 1); !d.After(day(2025, 6, 30)); d = d.AddDate(0, 0, 1) {
			if want := uint64(f.followersEndOf(d)); got[d] != want {
				t.Fatalf("ignoreCount=%v: %s: %d followers, want %d", ignoreCount, days.Format(d), got[d], want)
			}
		}
		// January to June and 31 December, the day the first half-year starts from.
		if len(got) != 182 || got[day(2024, 12, 31)] != uint64(f.followersEndOf(day(2024, 12, 31))) {
			t.Errorf("ignoreCount=%v: %d days, want 182 with 31 December", ignoreCount, len(got))
		}
		// Gains of 1 Jan … 20 Aug are 232 days: 34 pages of 7 (the last one short shows the end),
		// or one page when count is ignored; then one request per month of reach (January … June).
		wantRequests := 34 + 6
		if ignoreCount {
			wantRequests = 1 + 6
		}
		if n := f.requestCount(); n != wantRequests {
			t.Errorf("ignoreCount=%v: %d requests, want %d", ignoreCount, n, wantRequests)
		}
	}
}

func TestEmptyElements(t *testing.T) {
	e := newEnv(t, time.Date(2025, 3, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	f.firstDay, f.base = day(2025, 1, 1), 321 // no gains, no share statistics
	srv := f.start()
	e.seedAnchor(t, "2025-02-20", 321)
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2025, 2, 1), day(2025, 2, 28))
	if err != nil {
		t.Fatal(err)
	}
	if rows := followerRows(t, sink); len(rows) != 0 {
		t.Errorf("rows %v from empty answers", rows)
	}
	if len(reachRows(sink)) != 0 {
		t.Error("reach row from an empty answer")
	}
	if !hasNote(sink, "no follower gain for 2025-02-20") || !hasNote(sink, "no share statistics for the whole month 2025-02") {
		t.Errorf("notes %q", sink.Notes())
	}
}

func TestFirstRunCannotCountBackYet(t *testing.T) {
	e := newEnv(t, time.Date(2025, 2, 10, 10, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 6, 1), 300)
	srv := f.start()
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2025, 2, 8), day(2025, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(t, sink)
	if want := uint64(f.followersAt(e.clock.Now())); len(rows) != 1 || rows[day(2025, 2, 10)] != want {
		t.Errorf("rows %v, want only today's snapshot %d", rows, want)
	}
	if !hasNote(sink, "run the backfill of 2025-02-08..2025-02-10 again after 2025-02-13 00:00 UTC") {
		t.Errorf("notes %q", sink.Notes())
	}
	var a anchor
	if ok, err := (collectors.StateDir{Dir: e.stateDir, Source: sourceID}).Load(anchorStateName, &a); !ok || err != nil || a.Day != "2025-02-10" {
		t.Errorf("anchor %+v (%v, %v)", a, ok, err)
	}
}

func TestWindowsClampedToLinkedInsLimits(t *testing.T) {
	now := time.Date(2025, 2, 10, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	f := newFake(t, e.clock) // answers 400 "Invalid timeIntervals parameter" to any range beyond the limits
	gainsFixture(f, day(2023, 6, 1), 700)
	for m := day(2023, 6, 1); m.Before(day(2025, 2, 1)); m = m.AddDate(0, 1, 0) {
		u, i := int64(300), int64(900)
		f.months[m] = shareMonth{unique: &u, impressions: &i}
	}
	srv := f.start()
	e.seedAnchor(t, "2024-06-01", f.followersEndOf(day(2024, 6, 1)))
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2023, 12, 1), day(2024, 3, 31))
	if err != nil {
		t.Fatal(err)
	}
	// 12 months before 10 Feb 2025 10:00 is 11 Feb 2024 10:00: gains from 12 Feb on, so totals from the 11th.
	rows := followerRows(t, sink)
	for d := day(2023, 12, 1); !d.After(day(2024, 3, 31)); d = d.AddDate(0, 0, 1) {
		n, ok := rows[d]
		if d.Before(day(2024, 2, 11)) && ok {
			t.Errorf("%s beyond LinkedIn's 12 months has a total", days.Format(d))
		}
		if !d.Before(day(2024, 2, 11)) && (!ok || n != uint64(f.followersEndOf(d))) {
			t.Errorf("%s: %d (%v), want %d", days.Format(d), n, ok, f.followersEndOf(d))
		}
	}
	reach := reachRows(sink)
	if _, ok := reach["2024-03"]; len(reach) != 1 || !ok {
		t.Errorf("reach rows %v, want March 2024 only", reach)
	}
	for _, n := range []string{"no follower totals for 2023-12-01..2024-02-10", "no reach for 2023-12", "no reach for 2024-02", "no quarter reach"} {
		if !hasNote(sink, n) {
			t.Errorf("no note %q in %q", n, sink.Notes())
		}
	}
	// The current month is not yet published whole, and a window in the future holds nothing.
	sink, err = collect(c, day(2025, 2, 1), day(2025, 2, 28))
	if err != nil || !hasNote(sink, "reach of 2025-02 is fetched once LinkedIn has published the whole month, from 2025-03-03 00:00 UTC") {
		t.Errorf("%v, notes %q", err, sink.Notes())
	}
	if _, ok := reachRows(sink)["2025-01"]; !ok {
		t.Error("a run reaching today did not fetch the latest published month, January")
	}
	if sink, err = collect(c, day(2025, 3, 1), day(2025, 3, 31)); err != nil || len(sink.Records()) != 0 {
		t.Errorf("future window: %v, %d records", err, len(sink.Records()))
	}
}

func TestReachNeedsAUniqueCount(t *testing.T) {
	e := newEnv(t, time.Date(2025, 8, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2025, 1, 1), 200)
	n := func(v int64) *int64 { return &v }
	f.months[day(2025, 1, 1)] = shareMonth{unique: n(412), impressions: n(1290)}
	f.months[day(2025, 2, 1)] = shareMonth{unique: n(0), impressions: n(1544)} // 0 with impressions: not a reach
	f.months[day(2025, 3, 1)] = shareMonth{impressions: n(980)}                // absent
	f.months[day(2025, 4, 1)] = shareMonth{unique: n(0), impressions: n(0)}    // nothing posted: reach is 0
	// May: no element at all.
	srv := f.start()
	e.seedAnchor(t, "2025-01-01", 200)
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2025, 1, 1), day(2025, 5, 31))
	if err != nil {
		t.Fatal(err)
	}
	reach := reachRows(sink)
	if len(reach) != 2 || reach["2025-01"].Reach != 412 || *reach["2025-01"].Impressions != 1290 ||
		reach["2025-04"].Reach != 0 || reach["2025-04"].Impressions == nil || *reach["2025-04"].Impressions != 0 {
		t.Errorf("reach rows %+v, want January 412 and April 0", reach)
	}
	for _, n := range []string{"no unique reach for 2025-02 (uniqueImpressionsCount 0 or absent, 1544 impressions)",
		"no unique reach for 2025-03", "no share statistics for the whole month 2025-05"} {
		if !hasNote(sink, n) {
			t.Errorf("no note %q in %q", n, sink.Notes())
		}
	}
}

func TestOmittedDayStaysAGap(t *testing.T) {
	e := newEnv(t, time.Date(2025, 8, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2025, 1, 1), 300)
	f.omitted[day(2025, 3, 10)] = true
	srv := f.start()
	e.seedAnchor(t, "2025-04-01", f.followersEndOf(day(2025, 4, 1)))
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2025, 3, 1), day(2025, 3, 31))
	if err != nil {
		t.Fatal(err)
	}
	rows := followerRows(t, sink)
	for d := day(2025, 3, 1); !d.After(day(2025, 3, 31)); d = d.AddDate(0, 0, 1) {
		n, ok := rows[d]
		switch {
		case d.Before(day(2025, 3, 10)) && ok:
			t.Errorf("%s: total %d, but the gain of 10 March is unknown", days.Format(d), n)
		case !d.Before(day(2025, 3, 10)) && (!ok || n != uint64(f.followersEndOf(d))):
			t.Errorf("%s: %d (%v), want %d", days.Format(d), n, ok, f.followersEndOf(d))
		}
	}
	if !hasNote(sink, "no follower gain for 2025-03-10") {
		t.Errorf("notes %q", sink.Notes())
	}
}

// errorCase runs one collection against a fake set up by prepare and returns its error.
func errorCase(t testing.TB, overrides map[string]string, prepare func(f *fakeLinkedIn)) (*env, *fakeLinkedIn, *collectors.Sink, error) {
	t.Helper()
	e := newEnv(t, time.Date(2025, 2, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 6, 1), 300)
	if prepare != nil {
		prepare(f)
	}
	srv := f.start()
	e.seedAnchor(t, "2025-01-20", f.followersEndOf(day(2025, 1, 20)))
	c := e.collector(t, srv.URL, overrides)
	sink, err := collect(c, day(2025, 1, 1), day(2025, 1, 31))
	e.assertNoSecrets(t, err)
	return e, f, sink, err
}

func TestRateLimitWithoutRetryAfterWaitsForMidnightUTC(t *testing.T) {
	_, f, sink, err := errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(*http.Request, int) (int, string, http.Header, bool) {
			return http.StatusTooManyRequests, "error_429.json", nil, true
		}
	})
	var apiErr *collectors.APIError
	if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) {
		t.Fatalf("err %v, want ErrRateLimited", err)
	}
	if want := time.Date(2025, 2, 11, 0, 0, 0, 0, time.UTC); !apiErr.RetryAt.Equal(want) {
		t.Errorf("RetryAt %s, want %s (LinkedIn's quotas reset at midnight UTC)", apiErr.RetryAt, want)
	}
	if n := f.requestCount(); n != 4 {
		t.Errorf("%d requests, want 4 (3 retries, then stop the run)", n)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("records %v after a rate limit", sink.Records())
	}
	if !strings.Contains(err.Error(), "midnight UTC") {
		t.Errorf("error does not say when the quota resets: %v", err)
	}
}

func TestRateLimitWithRetryAfter(t *testing.T) {
	// A Retry-After the client can wait through is waited for; a long one is kept as RetryAt.
	_, _, _, err := errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(_ *http.Request, n int) (int, string, http.Header, bool) {
			return http.StatusTooManyRequests, "error_429.json", http.Header{"Retry-After": {"0"}}, n == 1
		}
	})
	if err != nil {
		t.Errorf("short Retry-After: %v", err)
	}
	_, _, _, err = errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(*http.Request, int) (int, string, http.Header, bool) {
			return http.StatusTooManyRequests, "error_429.json", http.Header{"Retry-After": {"3600"}}, true
		}
	})
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, collectors.ErrRateLimited) ||
		apiErr.RetryAt.Before(time.Now().Add(50*time.Minute)) || apiErr.RetryAt.After(time.Now().Add(61*time.Minute)) {
		t.Errorf("long Retry-After: %v", err)
	}
}

func TestServerErrorBurstRecovers(t *testing.T) {
	_, f, sink, err := errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(_ *http.Request, n int) (int, string, http.Header, bool) {
			status := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
			if n <= len(status) {
				return status[n-1], `{"status":500,"message":"Internal Server Error"}`, nil, true
			}
			return 0, "", nil, false
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The anchor is 20 January: the 19 days before it, and the day before the window, are
	// counted back.
	if rows := followerRows(t, sink); len(rows) != 20 || rows[day(2025, 1, 5)] != uint64(f.followersEndOf(day(2025, 1, 5))) {
		t.Errorf("rows after the burst: %v", rows)
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, time.Date(2025, 2, 10, 20, 0, 0, 0, time.UTC))
	e.opts.AttemptTimeout = 200 * time.Millisecond
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 6, 1), 300)
	var mu sync.Mutex
	hang := 1 // how many requests hang until the client gives up on them
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stall := hang > 0
		hang--
		mu.Unlock()
		if stall {
			<-r.Context().Done()
			return
		}
		f.ServeHTTP(w, r)
	}))
	e.seedAnchor(t, "2025-01-20", f.followersEndOf(day(2025, 1, 20)))
	c := e.collector(t, srv.URL, nil)
	if _, err := collect(c, day(2025, 1, 1), day(2025, 1, 31)); err != nil {
		t.Errorf("one slow answer: %v", err)
	}
	mu.Lock()
	hang = 1000
	mu.Unlock()
	_, err := collect(c, day(2025, 1, 1), day(2025, 1, 31))
	if err == nil || !strings.Contains(err.Error(), "linkedin") || errors.Is(err, collectors.ErrUnauthorized) {
		t.Errorf("server that never answers: %v", err)
	}
	e.assertNoSecrets(t, err)
}

func TestMalformedJSON(t *testing.T) {
	_, _, _, err := errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(r *http.Request, _ int) (int, string, http.Header, bool) {
			return http.StatusOK, `{"paging":{"start":0,"count":100},"elements":[{"timeRange":`, nil,
				strings.HasSuffix(r.URL.Path, "FollowerStatistics")
		}
	})
	if err == nil || !strings.Contains(err.Error(), "linkedin") || !strings.Contains(err.Error(), "malformed JSON") ||
		!strings.Contains(err.Error(), "organizationalEntityFollowerStatistics") {
		t.Errorf("err %v, want a malformed-JSON error naming the source and the path", err)
	}
}

func TestExpiredTokenIsRenewedKeptAndReused(t *testing.T) {
	e := newEnv(t, time.Date(2025, 2, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 6, 1), 300)
	f.tokens[configuredAccess] = "expired"
	srv := f.start()
	e.seedAnchor(t, "2025-01-20", f.followersEndOf(day(2025, 1, 20)))
	c := e.collector(t, srv.URL, nil)
	sink, err := collect(c, day(2025, 1, 1), day(2025, 1, 31))
	e.assertNoSecrets(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(followerRows(t, sink)) != 20 || f.refreshCalls != 1 {
		t.Errorf("%d rows, %d refreshes after an expired token", len(followerRows(t, sink)), f.refreshCalls)
	}
	creds := credentialRows(sink)
	now := e.clock.Now()
	if len(creds) != 1 || creds[0].ExpiresAt == nil || !creds[0].ExpiresAt.Equal(now.Add(5184000*time.Second)) ||
		creds[0].RefreshExpiresAt == nil || !creds[0].RefreshExpiresAt.Equal(now.Add(26697600*time.Second)) {
		t.Errorf("credential %+v, want expiries from expires_in and refresh_token_expires_in", creds)
	}
	path := filepath.Join(e.stateDir, sourceID, tokenStateName+".json")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file %s: %v, mode %v; want 0600", path, err, info.Mode())
	}
	if raw, _ := os.ReadFile(path); !strings.Contains(string(raw), "AQVrenewed-access-token-1") {
		t.Errorf("state file does not hold the renewed token")
	}

	// A later run (a new process) uses the kept token without renewing it.
	f.mu.Lock()
	f.seen = nil
	f.mu.Unlock()
	later := e.collector(t, srv.URL, nil)
	if _, err := collect(later, day(2025, 1, 1), day(2025, 1, 31)); err != nil {
		t.Fatal(err)
	}
	if f.refreshCalls != 1 {
		t.Errorf("the later run renewed again (%d refreshes)", f.refreshCalls)
	}
	for _, r := range f.seen {
		if got := r.Header.Get("Authorization"); got != "Bearer AQVrenewed-access-token-1" {
			t.Errorf("later run sent %q", strings.TrimPrefix(got, "Bearer ")[:6]+"…")
		}
	}
	// Re-authorising (new tokens in the config) retires the kept token.
	f.tokens["AQVre-authorised-token"] = "ok"
	reauthorised := e.collector(t, srv.URL, map[string]string{"access_token": "AQVre-authorised-token"})
	f.mu.Lock()
	f.seen = nil
	f.mu.Unlock()
	if _, err := collect(reauthorised, day(2025, 1, 1), day(2025, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if got := f.seen[0].Header.Get("Authorization"); got != "Bearer AQVre-authorised-token" {
		t.Error("a newly configured token was shadowed by the kept one")
	}
}

func TestTokenRenewedBeforeItLapses(t *testing.T) {
	_, f, _, err := errorCase(t, map[string]string{"access_token_expires_at": "2025-02-11T08:00:00Z"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.refreshCalls != 1 || f.seen[0].Header.Get("Authorization") != "Bearer AQVrenewed-access-token-1" {
		t.Errorf("%d refreshes; first request not sent with the renewed token", f.refreshCalls)
	}
}

func TestRenewalRefused(t *testing.T) {
	_, f, sink, err := errorCase(t, map[string]string{"refresh_token_expires_at": "2025-02-01"}, func(f *fakeLinkedIn) {
		f.tokens[configuredAccess] = "expired"
		f.refreshFails = "token_error_invalid_grant.json"
	})
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err %v, want ErrUnauthorized", err)
	}
	for _, part := range []string{"linkedin: organization 2414183", "invalid_grant", "re-authorise", "refresh_token", "2025-02-01"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error lacks %q: %v", part, err)
		}
	}
	if f.refreshCalls != 1 || len(sink.Records()) != 0 {
		t.Errorf("%d refreshes, %d records", f.refreshCalls, len(sink.Records()))
	}

	_, _, _, err = errorCase(t, map[string]string{"client_secret": "WPL_AP1.wrong"}, func(f *fakeLinkedIn) {
		f.tokens[configuredAccess] = "expired"
	})
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "client_secret") {
		t.Errorf("wrong client secret: %v", err)
	}
}

func TestRevokedTokenIsNotRenewed(t *testing.T) {
	_, f, _, err := errorCase(t, nil, func(f *fakeLinkedIn) { f.tokens[configuredAccess] = "revoked" })
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), "re-authorise") {
		t.Errorf("err %v", err)
	}
	if f.refreshCalls != 0 {
		t.Errorf("a revoked token was renewed (%d refreshes)", f.refreshCalls)
	}
}

func TestRefusedTokenWithoutRefreshToken(t *testing.T) {
	cases := map[string]string{"invalid": "check access_token", "expired": "configure refresh_token"}
	for state, advice := range cases {
		_, f, _, err := errorCase(t, map[string]string{"refresh_token": "", "client_id": "", "client_secret": ""},
			func(f *fakeLinkedIn) { f.tokens[configuredAccess] = state })
		if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), advice) || f.refreshCalls != 0 {
			t.Errorf("%s token: %v", state, err)
		}
	}
}

func TestAccessDenied(t *testing.T) {
	_, _, _, err := errorCase(t, nil, func(f *fakeLinkedIn) {
		f.fault = func(*http.Request, int) (int, string, http.Header, bool) {
			return http.StatusForbidden, "error_403_access_denied.json", nil, true
		}
	})
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "administrator of organization 2414183") {
		t.Errorf("err %v", err)
	}
}

func TestRetiredAPIVersion(t *testing.T) {
	_, f, _, err := errorCase(t, map[string]string{"api_version": "202401"}, nil)
	var apiErr *collectors.APIError
	if err == nil || !errors.As(err, &apiErr) || apiErr.Status != http.StatusUpgradeRequired ||
		!strings.Contains(err.Error(), "settings.api_version") || !strings.Contains(err.Error(), "NONEXISTENT_VERSION") {
		t.Errorf("err %v", err)
	}
	if n := f.requestCount(); n != 1 {
		t.Errorf("%d requests after a 426, want 1: the run stops", n)
	}
}

func TestSettingsAreValidated(t *testing.T) {
	e := newEnv(t, time.Now())
	cases := []struct {
		overrides map[string]string
		want      string
	}{
		{map[string]string{"organization_id": ""}, "organization_id: missing"},
		{map[string]string{"organization_id": "innomed"}, "organization_id: \"innomed\" is not numeric"},
		{map[string]string{"access_token": "", "refresh_token": ""}, "access_token: missing"},
		{map[string]string{"client_id": ""}, "client_id: missing"},
		{map[string]string{"client_secret": ""}, "client_secret: missing"},
		{map[string]string{"api_version": "2025-09"}, "api_version: \"2025-09\" is not"},
		{map[string]string{"base_url": "api.linkedin.com"}, "base_url: \"api.linkedin.com\" is not an http(s) URL"},
		{map[string]string{"token_url": "ftp://x"}, "token_url"},
		{map[string]string{"access_token_expires_at": "soon"}, "access_token_expires_at"},
		{map[string]string{"colour": "blue"}, "unknown key colour"},
	}
	for _, tc := range cases {
		_, err := newCollector(e.settings(t, settingsYAML("https://api.example", tc.overrides)), e.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.overrides, err, tc.want)
		}
		e.assertNoSecrets(t, err)
	}
	s := e.settings(t, settingsYAML("https://api.example", map[string]string{"organization_id": "urn:li:organization:2414183"}))
	c, err := newCollector(s, e.opts)
	if err != nil || c.orgID != "2414183" || c.apiVersion != defaultAPIVersion {
		t.Errorf("urn organization id: %v", err)
	}
	s.State = collectors.StateDir{}
	if _, err := newCollector(s, e.opts); err == nil || !strings.Contains(err.Error(), "state_dir") {
		t.Errorf("no state dir: %v", err)
	}
	if k := Kind(); k.Name != "linkedin" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 {
		t.Errorf("kind %+v", k)
	}
}

func TestGarbledTokenAnswerDoesNotLeakTheToken(t *testing.T) {
	e := newEnv(t, time.Date(2025, 2, 10, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	gainsFixture(f, day(2024, 6, 1), 300)
	f.tokens[configuredAccess] = "expired"
	srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/v2/accessToken" {
			_, _ = w.Write([]byte(`{"access_token":"AQVrenewed-access-token-1","expires_in":51`))
			return
		}
		f.ServeHTTP(w, r)
	}))
	e.seedAnchor(t, "2025-01-20", f.followersEndOf(day(2025, 1, 20)))
	_, err := collect(e.collector(t, srv.URL, nil), day(2025, 1, 1), day(2025, 1, 31))
	if err == nil || !strings.Contains(err.Error(), "token_url") {
		t.Errorf("err %v", err)
	}
	e.assertNoSecrets(t, err)
}
