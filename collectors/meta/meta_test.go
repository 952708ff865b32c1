package meta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/collectors/meta/metafake"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const pageID = "104857600123456"

var testNow = time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC)

func secret(v string) (s config.Secret) {
	_ = yaml.Unmarshal([]byte(v), &s)
	return s
}

type fixture struct {
	srv  *metafake.Server
	page *metafake.Account
	c    *Client
	logs *collectortest.LogBuffer
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: testNow, logs: &collectortest.LogBuffer{}}
	f.page = metafake.Simulate(pageID, false, days.Date(2025, 1, 1), days.Date(2025, 12, 31), 266)
	f.srv = metafake.New(t, func() time.Time { return f.now }, f.page)
	f.c = f.client(t, f.srv.Token, "")
	return f
}

func (f *fixture) client(t *testing.T, token, appToken string) *Client {
	t.Helper()
	c, err := NewClient(Config{
		Source: "facebook", BaseURL: f.srv.URL, Token: secret(token), AppToken: secret(appToken),
		TokenHint: "access_token (or REKKEVIDDE_SOURCE_FACEBOOK_ACCESS_TOKEN)", TokenKind: "long-lived Page access token",
		Permissions: "pages_read_engagement and read_insights",
		Now:         func() time.Time { return f.now },
		Log:         f.logs.Logger(),
		HTTP: func(o *collectors.HTTPOptions) {
			o.WaitMin, o.WaitMax, o.RetryMax = time.Millisecond, 5*time.Millisecond, 3
			o.RequestsPerSecond, o.Burst = 1000, 100
			o.AttemptTimeout = 2 * time.Second
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noSecret fails when the token appears in s.
func (f *fixture) noSecret(t *testing.T, what, s string) {
	t.Helper()
	collectortest.NoLeak(t, what, s, f.srv.Token, f.srv.AppToken, "appSecretXYZ")
}

func (f *fixture) dayQuery(metrics []string, from, to time.Time) Query {
	return Query{Metrics: metrics, Period: "day", Since: f.c.DayStart(from), Until: f.c.DayStart(to.AddDate(0, 0, 1))}
}

func TestDayOfPacificEndTimes(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		endTime string
		want    time.Time
	}{
		{"2025-09-02T07:00:00+0000", days.Date(2025, 9, 1)},  // summer time
		{"2025-01-02T08:00:00+0000", days.Date(2025, 1, 1)},  // winter time
		{"2025-03-09T08:00:00+0000", days.Date(2025, 3, 8)},  // the day before summer time starts
		{"2025-03-10T07:00:00+0000", days.Date(2025, 3, 9)},  // the 23-hour day
		{"2025-11-02T07:00:00+0000", days.Date(2025, 11, 1)}, // the day before winter time
		{"2025-11-03T08:00:00+0000", days.Date(2025, 11, 2)}, // the 25-hour day
		{"2026-01-01T08:00:00+0000", days.Date(2025, 12, 31)},
		{"2025-09-02T07:00:00Z", days.Date(2025, 9, 1)},
	}
	for _, tc := range cases {
		got, err := f.c.DayOf(tc.endTime)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("DayOf(%s) = %s, %v; want %s", tc.endTime, days.Format(got), err, days.Format(tc.want))
		}
		// The fake stamps days as Meta does; both directions must agree.
		if stamp := f.srv.EndTime(tc.want); tc.endTime[len(tc.endTime)-1] != 'Z' && stamp != tc.endTime {
			t.Errorf("fake stamps %s as %s, the case says %s", days.Format(tc.want), stamp, tc.endTime)
		}
	}
	if _, err := f.c.DayOf("2025-09-02 07:00"); err == nil {
		t.Error("a malformed end_time was accepted")
	}
	if got := f.c.DayStart(days.Date(2025, 7, 1)).UTC(); !got.Equal(time.Date(2025, 7, 1, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("DayStart(2025-07-01) = %s, want 07:00 UTC", got)
	}
}

func TestInsightsPagesAcrossManyPagesAndStopsAtUntil(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.PageDays = 7
		s.Intercept = func(_ http.ResponseWriter, r *http.Request, _ int) bool {
			if r.URL.Query().Has("access_token") {
				t.Errorf("the token was sent in the query: %s", r.URL.Path)
			}
			return false
		}
	})
	from, to := days.Date(2025, 5, 1), days.Date(2025, 7, 28) // 89 days: 13 pages of 7
	got, err := f.c.Insights(context.Background(), pageID,
		f.dayQuery([]string{"page_follows", "page_daily_follows_unique"}, from, to), "test")
	if err != nil {
		t.Fatal(err)
	}
	followers, err := f.c.Daily(got["page_follows"])
	if err != nil {
		t.Fatal(err)
	}
	follows, _ := f.c.Daily(got["page_daily_follows_unique"])
	if len(followers) != 89 || len(follows) != 89 {
		t.Fatalf("got %d and %d days, want 89", len(followers), len(follows))
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if followers[d] != f.page.Followers[d] || follows[d] != f.page.Insights[d].Follows {
			t.Fatalf("%s: got %d/%d, want %d/%d", days.Format(d), followers[d], follows[d], f.page.Followers[d], f.page.Insights[d].Follows)
		}
	}
	if n := len(f.srv.Requests()); n != 13 {
		t.Errorf("%d requests, want 13 (one per page; the last page's next link runs into the future)", n)
	}
}

func TestInsightsEmptyData(t *testing.T) {
	f := newFixture(t)
	for d := days.Date(2025, 6, 1); d.Before(days.Date(2025, 6, 8)); d = d.AddDate(0, 0, 1) {
		delete(f.page.Insights, d)
	}
	got, err := f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 6, 1), days.Date(2025, 6, 7)), "test")
	if err != nil {
		t.Fatal(err)
	}
	daily, err := f.c.Daily(got["page_follows"])
	if err != nil || len(daily) != 0 {
		t.Fatalf("empty week: %v, %v; want no values and no error", daily, err)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests for an empty answer, want 1", n)
	}
}

func TestDeprecatedMetricFailsLoudlyButOthersAreCollected(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) { s.Deprecated["page_impressions_unique"] = true })
	metrics := []string{"page_follows", "page_daily_follows_unique", "page_impressions_unique", "page_daily_unfollows_unique"}
	from, to := days.Date(2025, 8, 1), days.Date(2025, 8, 31)
	for run := 1; run <= 2; run++ {
		got, err := f.c.Insights(context.Background(), pageID, f.dayQuery(metrics, from, to), "test")
		var rej *MetricsRejectedError
		if !errors.As(err, &rej) {
			t.Fatalf("run %d: err = %v, want a *MetricsRejectedError", run, err)
		}
		if _, ok := rej.Metrics["page_impressions_unique"]; !ok || len(rej.Metrics) != 1 {
			t.Errorf("run %d: rejected %v, want only page_impressions_unique", run, rej.Metrics)
		}
		if !strings.Contains(err.Error(), "page_impressions_unique") || !strings.Contains(err.Error(), "valid insights metric") {
			t.Errorf("run %d: the error does not name the metric and Meta's words: %v", run, err)
		}
		for _, m := range []string{"page_follows", "page_daily_follows_unique", "page_daily_unfollows_unique"} {
			daily, _ := f.c.Daily(got[m])
			if len(daily) != 31 {
				t.Errorf("run %d: %s has %d days, want 31", run, m, len(daily))
			}
		}
	}
	// The first run finds the bad metric by asking one metric at a time; the second leaves it out.
	reqs := f.srv.Requests()
	if len(reqs) != 1+4+1 {
		t.Errorf("%d requests, want 6: %v", len(reqs), reqs)
	}
	if last := metafake.Query(reqs[len(reqs)-1]).Get("metric"); strings.Contains(last, "page_impressions_unique") {
		t.Errorf("the rejected metric was asked for again: %s", last)
	}
}

func TestRangeBeyondMetaLimit(t *testing.T) {
	f := newFixture(t)
	q := Query{Metrics: []string{"page_total_media_view_unique"}, Period: "total_over_range",
		Since: f.c.DayStart(days.Date(2025, 4, 1)), Until: f.c.DayStart(days.Date(2025, 7, 1))}
	_, err := f.c.Insights(context.Background(), pageID, q, "quarter reach")
	var rangeErr *RangeError
	if !errors.As(err, &rangeErr) || !strings.Contains(rangeErr.Said, "90 days") {
		t.Fatalf("err = %v, want a *RangeError quoting Meta", err)
	}
	// The refusal is learnt: that span, and longer ones, are not asked again; shorter ones are.
	if ok, why := f.c.Serves(q.Since, q.Until); ok || !strings.Contains(why, "at most 90 days") {
		t.Errorf("a refused span is still served: %v %q", ok, why)
	}
	if ok, _ := f.c.Serves(f.c.DayStart(days.Date(2025, 1, 1)), f.c.DayStart(days.Date(2025, 4, 1))); !ok {
		t.Error("a 90-day span is no longer served")
	}
	q.Until = f.c.DayStart(days.Date(2025, 5, 1))
	got, err := f.c.Insights(context.Background(), pageID, q, "month reach")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.page.RangeReach(days.Date(2025, 4, 1), days.Date(2025, 4, 30))
	if v := got["page_total_media_view_unique"].Values; len(v) != 1 || string(v[0].Value) != fmt.Sprint(want) {
		t.Errorf("April reach = %v, want %d", v, want)
	}
}

func throttleBody(code int) string {
	msgs := map[int]string{
		4:     "(#4) Application request limit reached",
		17:    "(#17) User request limit reached",
		32:    "(#32) Page request limit reached",
		613:   "(#613) Calls to this api have exceeded the rate limit.",
		341:   "(#341) Application limit reached",
		80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
	}
	return fmt.Sprintf(`{"error":{"message":%q,"type":"OAuthException","code":%d,"is_transient":true,"fbtrace_id":"Axyz"}}`, msgs[code], code)
}

// TestThrottleCodes covers the codes Meta's "Handling Errors" guide
// (https://developers.facebook.com/docs/graph-api/using-graph-api/error-handling/) lists as
// throttling: 4, 17, 32, 613, the business-use-case 80001, and 341 ("Application limit reached":
// wait and retry, or examine the request volume).
func TestThrottleCodes(t *testing.T) {
	for _, code := range []int{4, 17, 32, 341, 613, 80001} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			// A short burst is waited out.
			f := newFixture(t)
			f.srv.Update(func(s *metafake.Server) {
				s.Intercept = func(w http.ResponseWriter, _ *http.Request, n int) bool {
					if n > 2 {
						return false
					}
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(throttleBody(code)))
					return true
				}
			})
			var page struct {
				FollowersCount uint64 `json:"followers_count"`
			}
			if err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers"); err != nil {
				t.Fatalf("a throttle burst that ends was not waited out: %v", err)
			}
			if page.FollowersCount != f.page.Followers[days.Date(2025, 9, 15)] {
				t.Errorf("followers_count = %d", page.FollowersCount)
			}

			// A persistent one stops cleanly with a time to come back: the BUC header's estimate.
			f = newFixture(t)
			f.srv.Update(func(s *metafake.Server) {
				s.Intercept = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
					w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(`{%q:[{"type":"pages","call_count":100,"total_cputime":40,"total_time":41,"estimated_time_to_regain_access":17}]}`, pageID))
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(throttleBody(code)))
					return true
				}
			})
			err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers")
			var apiErr *collectors.APIError
			if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want ErrRateLimited with an *APIError", err)
			}
			if want := f.now.Add(17 * time.Minute); !apiErr.RetryAt.Equal(want) {
				t.Errorf("RetryAt = %s, want %s (17 minutes, from the header)", apiErr.RetryAt, want)
			}
			if errors.Is(err, collectors.ErrUnauthorized) {
				t.Error("a throttle reads as refused credentials")
			}
			sent := len(f.srv.Requests())
			// Until then nothing more is sent.
			err = f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers")
			if !errors.Is(err, collectors.ErrRateLimited) || len(f.srv.Requests()) != sent {
				t.Errorf("a request was sent while paused (%v)", err)
			}
			f.now = f.now.Add(18 * time.Minute)
			f.srv.Update(func(s *metafake.Server) { s.Intercept = nil })
			if err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers"); err != nil {
				t.Errorf("after the pause: %v", err)
			}
		})
	}
}

func TestThrottleWithoutUsageHeaderWaitsAnHour(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(throttleBody(4)))
			return true
		}
	})
	err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "followers")
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(f.now.Add(time.Hour)) {
		t.Fatalf("err = %v, want RetryAt an hour on", err)
	}
	if errors.Is(err, collectors.ErrUnauthorized) {
		t.Error("a throttle sent with HTTP 403 reads as refused credentials")
	}
}

func TestUsageHeadersStopBeforeMetaBlocks(t *testing.T) {
	cases := []struct {
		name, header, value string
		wait                time.Duration
	}{
		{"app", "X-App-Usage", `{"call_count":93,"total_time":25,"total_cputime":25}`, time.Hour},
		{"page", "X-Page-Usage", `{"call_count":12,"total_time":91,"total_cputime":25}`, time.Hour},
		{"buc", "X-Business-Use-Case-Usage", `{"104857600123456":[{"type":"pages","call_count":97,"total_cputime":23,"total_time":23,"estimated_time_to_regain_access":5}]}`, 5 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Update(func(s *metafake.Server) { s.Header = http.Header{tc.header: {tc.value}} })
			var page struct {
				FollowersCount uint64 `json:"followers_count"`
			}
			if err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers"); err != nil || page.FollowersCount == 0 {
				t.Fatalf("the answer that carried the header was not used: %v", err)
			}
			err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &page, "followers")
			var apiErr *collectors.APIError
			if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(f.now.Add(tc.wait)) {
				t.Fatalf("err = %v, want ErrRateLimited with RetryAt in %s", err, tc.wait)
			}
			if n := len(f.srv.Requests()); n != 1 {
				t.Errorf("%d requests sent, want 1", n)
			}
			if !strings.Contains(f.logs.String(), "pausing requests") {
				t.Error("the pause was not logged")
			}
		})
	}
	// Below the limit nothing stops.
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.Header = http.Header{"X-App-Usage": {`{"call_count":89,"total_time":10,"total_cputime":10}`}}
	})
	for range 3 {
		if err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "followers"); err != nil {
			t.Fatalf("usage of 89%% stopped the source: %v", err)
		}
	}
}

func TestExpiredTokenNamesWhatToDo(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "page followers")
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"facebook:", "expired", "463", "long-lived Page access token", "access_token (or REKKEVIDDE_SOURCE_FACEBOOK_ACCESS_TOKEN)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("an expired token was retried: %d requests", n)
	}
	f.noSecret(t, "error", err.Error())

	// A wrong token is refused the same way.
	f = newFixture(t)
	wrong := f.client(t, "EAAGwrongToken999", "")
	err = wrong.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "page followers")
	if !errors.Is(err, collectors.ErrUnauthorized) || strings.Contains(err.Error(), "EAAGwrongToken999") {
		t.Errorf("wrong token: %v", err)
	}
}

func TestPermissionErrorIsUnauthorized(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			metafake.Error(w, http.StatusForbidden, 10, 0, "(#10) This endpoint requires the 'read_insights' permission")
			return true
		}
	})
	err := f.c.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "followers")
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "read_insights") {
		t.Fatalf("err = %v", err)
	}
}

func TestServerErrorBurstRecovers(t *testing.T) {
	f := newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, _ *http.Request, n int) bool {
			if n > 3 {
				return false
			}
			metafake.Error(w, http.StatusInternalServerError, 2, 0, "An unexpected error has occurred. Please retry your request later.")
			return true
		}
	})
	got, err := f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 8, 1), days.Date(2025, 8, 31)), "test")
	if err != nil {
		t.Fatalf("a burst of 500s was not waited out: %v", err)
	}
	if daily, _ := f.c.Daily(got["page_follows"]); len(daily) != 31 {
		t.Errorf("%d days after recovery, want 31", len(daily))
	}
	// A lasting outage fails with Meta's message, neither throttled nor unauthorised.
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			metafake.Error(w, http.StatusInternalServerError, 1, 0, "An unknown error occurred")
			return true
		}
	})
	_, err = f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 8, 1), days.Date(2025, 8, 31)), "test")
	if err == nil || errors.Is(err, collectors.ErrRateLimited) || errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("lasting 500s: %v", err)
	}
}

func TestMalformedJSON(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":   `{"data": [{"name": "page_follows", "values": [`,
		"wrong shape": `{"data": {"name": "page_follows"}}`,
		"html":        `<html><body>Bad gateway</body></html>`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Update(func(s *metafake.Server) {
				s.Intercept = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(body))
					return true
				}
			})
			_, err := f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 8, 1), days.Date(2025, 8, 2)), "page insights")
			if err == nil || !strings.HasPrefix(err.Error(), "facebook: page insights") {
				t.Fatalf("err = %v, want an error naming the source", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	defer close(release)
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(_ http.ResponseWriter, r *http.Request, _ int) bool {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		}
	})
	c, err := NewClient(Config{Source: "facebook", BaseURL: f.srv.URL, Token: secret(f.srv.Token), Now: func() time.Time { return f.now },
		HTTP: func(o *collectors.HTTPOptions) {
			o.AttemptTimeout, o.RetryMax, o.WaitMin, o.WaitMax = 50*time.Millisecond, 1, time.Millisecond, 2*time.Millisecond
		}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Fields(context.Background(), pageID, []string{"followers_count"}, &struct{}{}, "followers")
	if err == nil || !strings.HasPrefix(err.Error(), "facebook: followers") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the timeout took %s", time.Since(start))
	}
}

func TestCheckTokenRecordsExpiry(t *testing.T) {
	f := newFixture(t)
	expires := time.Date(2025, 11, 14, 10, 0, 0, 0, time.UTC)
	f.srv.Update(func(s *metafake.Server) {
		s.TokenExpiresAt = expires
		s.DataAccessExpiresAt = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	})
	sink := &collectors.Sink{}
	if err := f.c.CheckToken(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	creds := credentials(sink)
	if len(creds) != 1 || creds[0].ExpiresAt == nil || !creds[0].ExpiresAt.Equal(expires) || creds[0].Name != CredentialName || !creds[0].CheckedAt.Equal(f.now) {
		t.Fatalf("credentials = %+v", creds)
	}
	if len(sink.Notes()) != 1 || !strings.Contains(sink.Notes()[0], "2025-10-01") {
		t.Errorf("notes = %q, want a warning that data access ends 2025-10-01", sink.Notes())
	}

	// A token that never expires (expires_at 0), inspected with the app token.
	f = newFixture(t)
	c := f.client(t, f.srv.Token, f.srv.AppToken)
	sink = &collectors.Sink{}
	if err := c.CheckToken(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if creds := credentials(sink); len(creds) != 1 || creds[0].ExpiresAt != nil {
		t.Errorf("never-expiring token: %+v", creds)
	}
	for _, n := range sink.Notes() {
		f.noSecret(t, "note", n)
	}

	// A token that may not inspect itself leaves a note, not a failure.
	f = newFixture(t)
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			metafake.Error(w, http.StatusBadRequest, 100, 0, "(#100) You must provide an app access token, or a user access token that is an owner or developer of the app")
			return true
		}
	})
	sink = &collectors.Sink{}
	if err := f.c.CheckToken(context.Background(), sink); err != nil {
		t.Fatalf("a refused inspection stopped the run: %v", err)
	}
	if len(sink.Notes()) != 1 || !strings.Contains(sink.Notes()[0], "app_token") || len(sink.Records()) != 0 {
		t.Errorf("notes = %q, records = %v", sink.Notes(), sink.Records())
	}
	f.noSecret(t, "note", strings.Join(sink.Notes(), "\n"))

	// An expired token stops the run.
	f = newFixture(t)
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	if err := f.c.CheckToken(context.Background(), &collectors.Sink{}); !errors.Is(err, collectors.ErrUnauthorized) {
		t.Errorf("expired token: %v", err)
	}
	// So does one Meta calls invalid.
	f = newFixture(t)
	c = f.client(t, "EAAGsomeOtherToken", f.srv.AppToken)
	if err := c.CheckToken(context.Background(), &collectors.Sink{}); !errors.Is(err, collectors.ErrUnauthorized) || strings.Contains(err.Error(), "EAAGsomeOtherToken") {
		t.Errorf("invalid token: %v", err)
	}
	f.noSecret(t, "logs", f.logs.String())
}

func credentials(sink *collectors.Sink) []figures.Credential {
	var out []figures.Credential
	for _, r := range sink.Records() {
		if c, ok := r.(figures.Credential); ok {
			out = append(out, c)
		}
	}
	return out
}

func TestSettingsValidation(t *testing.T) {
	for _, tc := range []struct{ base, version, key string }{
		{"graph.facebook.com", "", "base_url"},
		{"ftp://graph.facebook.com", "", "base_url"},
		{"", "25.0", "api_version"},
		{"", "v25", "api_version"},
	} {
		_, err := NewClient(Config{Source: "facebook", BaseURL: tc.base, APIVersion: tc.version})
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("base_url %q api_version %q: err = %v, want one naming %s", tc.base, tc.version, err, tc.key)
		}
	}
	c, err := NewClient(Config{Source: "facebook"})
	if err != nil || c.root.String() != "https://graph.facebook.com/v25.0" {
		t.Errorf("defaults: %v, %v", c, err)
	}
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	f := newFixture(t)
	// Retries are logged with their URL; debug_token puts the token in the query.
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, _ *http.Request, n int) bool {
			if n%2 == 1 {
				metafake.Error(w, http.StatusServiceUnavailable, 2, 0, "Service temporarily unavailable")
				return true
			}
			return false
		}
	})
	sink := &collectors.Sink{}
	if err := f.c.CheckToken(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 8, 1), days.Date(2025, 8, 31)), "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.logs.String(), "retrying request") {
		t.Fatal("no retry was logged, so the test proves nothing")
	}
	f.noSecret(t, "logs", f.logs.String())
	f.noSecret(t, "notes", strings.Join(sink.Notes(), "\n"))
	// An error body that echoes the token is redacted.
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			metafake.Error(w, http.StatusBadRequest, 100, 0, "Invalid parameter near "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			return true
		}
	})
	_, err := f.c.Insights(context.Background(), pageID, f.dayQuery([]string{"page_follows"}, days.Date(2025, 8, 1), days.Date(2025, 8, 31)), "test")
	if err == nil {
		t.Fatal("no error")
	}
	f.noSecret(t, "error", err.Error())
}

// TestTokenCheckedOncePerRun: the steps of a backfill share one /debug_token check for an hour;
// a refused token is asked about again.
func TestTokenCheckedOncePerRun(t *testing.T) {
	f := newFixture(t)
	checks := func() int {
		n := 0
		for _, r := range f.srv.Requests() {
			if strings.HasPrefix(r, "/v25.0/debug_token") {
				n++
			}
		}
		return n
	}
	for range 5 {
		if err := f.c.CheckToken(context.Background(), &collectors.Sink{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := checks(); n != 1 {
		t.Errorf("%d token checks in one run, want 1", n)
	}
	f.now = f.now.Add(2 * time.Hour)
	if err := f.c.CheckToken(context.Background(), &collectors.Sink{}); err != nil || checks() != 2 {
		t.Errorf("the next run's check: %v, %d checks", err, checks())
	}
	f.srv.Update(func(s *metafake.Server) { s.TokenExpired = true })
	f.now = f.now.Add(2 * time.Hour)
	for range 2 {
		if err := f.c.CheckToken(context.Background(), &collectors.Sink{}); !errors.Is(err, collectors.ErrUnauthorized) {
			t.Errorf("expired token: %v", err)
		}
	}
	if n := checks(); n != 4 {
		t.Errorf("%d checks, want a refused token asked about again (4)", n)
	}
}
