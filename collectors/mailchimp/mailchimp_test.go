package mailchimp

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// num reads a number at a dotted path of a raw fixture object.
func num(t *testing.T, v map[string]any, path string) float64 {
	t.Helper()
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		v = v[p].(map[string]any)
	}
	n, ok := v[parts[len(parts)-1]].(float64)
	if !ok {
		t.Fatalf("fixture has no number at %s", path)
	}
	return n
}

// wantCampaign is what the fixture report r must be stored as, worked out from its raw fields.
type wantCampaign struct {
	sent, delivered, opens, clicks, unsubscribed uint64
	openRate, clickRate                          float64
	sendTime                                     time.Time
}

func want(t *testing.T, r map[string]any) wantCampaign {
	t.Helper()
	sent := uint64(num(t, r, "emails_sent"))
	bounced := uint64(num(t, r, "bounces.hard_bounces") + num(t, r, "bounces.soft_bounces"))
	st, err := time.Parse(time.RFC3339, r["send_time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return wantCampaign{
		sent: sent, delivered: sent - bounced,
		opens:        uint64(num(t, r, "opens.unique_opens")),
		clicks:       uint64(num(t, r, "clicks.unique_subscriber_clicks")),
		unsubscribed: uint64(num(t, r, "unsubscribed")),
		openRate:     num(t, r, "opens.open_rate"),
		clickRate:    num(t, r, "clicks.click_rate"),
		sendTime:     st,
	}
}

// listReportsSentIn returns the fixture reports of the test list sent in [from, to).
func listReportsSentIn(t *testing.T, from, to time.Time) []map[string]any {
	var out []map[string]any
	for _, r := range fixtureReports(t) {
		st, _ := time.Parse(time.RFC3339, r["send_time"].(string))
		if r["list_id"] == testListID && !st.Before(from) && st.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

func campaigns(sink *collectors.Sink) map[string]figures.Campaign {
	out := map[string]figures.Campaign{}
	for _, r := range sink.Records() {
		if c, ok := r.(figures.Campaign); ok {
			out[c.CampaignID] = c
		}
	}
	return out
}

func subscriberDays(sink *collectors.Sink) map[time.Time]figures.SubscribersDay {
	out := map[time.Time]figures.SubscribersDay{}
	for _, r := range sink.Records() {
		if s, ok := r.(figures.SubscribersDay); ok {
			out[s.Date] = s
		}
	}
	return out
}

func collect(t *testing.T, c *collector, from, to time.Time) (*collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	err := c.Collect(context.Background(), days.Range{From: from, To: to}, sink)
	return sink, err
}

func TestSettings(t *testing.T) {
	cases := []struct {
		name, block, wantErr string
	}{
		{"no list", "api_key: k-us21", "list_id is required"},
		{"no key", "list_id: a1b2c3d4e5", "api_key is required"},
		{"key without data centre", "list_id: a1b2c3d4e5\napi_key: 0123456789abcdef", "does not end in a data centre"},
		{"bad base_url", "list_id: a1b2c3d4e5\napi_key: k-us21\nbase_url: us21.api.mailchimp.com", "base_url"},
		{"negative refresh", "list_id: a1b2c3d4e5\napi_key: k-us21\ncampaign_refresh_days: -1", "campaign_refresh_days"},
		{"unknown key", "list_id: a1b2c3d4e5\napi_key: k-us21\naudience: x", "unknown key audience"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(testSettings(t, "newsletter", tc.block, io.Discard))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "mailchimp: ") {
				t.Fatalf("error = %v, want one naming %q", err, tc.wantErr)
			}
		})
	}
	c, err := newCollector(testSettings(t, "newsletter", "list_id: a1b2c3d4e5\napi_key: "+testKey, io.Discard), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://us21.api.mailchimp.com/3.0" || c.refreshDays != 30 {
		t.Errorf("base %q refresh %d, want the key's data centre us21 and 30 days", c.base, c.refreshDays)
	}
}

// A December chunk, run on 10 January: December's campaigns, the ones of the last 30 days, and
// December's month-end list size, over many pages.
func TestCollectsWindowRecentCampaignsAndMonthEnd(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	got := campaigns(sink)
	wantReports := listReportsSentIn(t, days.Start(days.Date(2022, 12, 1), oslo), testNow)
	if len(got) != len(wantReports) || len(wantReports) != 2 {
		t.Fatalf("got campaigns %v, want the %d of the list sent 1 Dec – 10 Jan", keys(got), len(wantReports))
	}
	for _, r := range wantReports {
		w := want(t, r)
		g, ok := got[r["id"].(string)]
		if !ok {
			t.Fatalf("campaign %s missing", r["id"])
		}
		if g.ListID != testListID || g.EmailsSent != w.sent || g.Delivered != w.delivered || g.UniqueOpens != w.opens ||
			g.UniqueClicks != w.clicks || g.Unsubscribed != w.unsubscribed || !g.SendTime.Equal(w.sendTime) {
			t.Errorf("campaign %s = %+v, want %+v", g.CampaignID, g, w)
		}
		// Units: the report's rates are fractions and are stored as such, next to counts that
		// give the same rate; list_stats' percents are not used.
		if g.ProviderClickRate == nil || *g.ProviderClickRate != w.clickRate || *g.ProviderClickRate > 1 ||
			g.ProviderOpenRate == nil || *g.ProviderOpenRate != w.openRate {
			t.Errorf("campaign %s rates open %v click %v, want the report's fractions %v and %v", g.CampaignID, g.ProviderOpenRate, g.ProviderClickRate, w.openRate, w.clickRate)
		}
		if computed := float64(g.UniqueClicks) / float64(g.Delivered); math.Abs(computed-*g.ProviderClickRate) > 0.0001 {
			t.Errorf("campaign %s: unique clicks / delivered = %.4f, Mailchimp's click_rate %.4f: unique_subscriber_clicks must be the count", g.CampaignID, computed, *g.ProviderClickRate)
		}
		if uc := uint64(num(t, r, "clicks.unique_clicks")); g.UniqueClicks == uc {
			t.Errorf("campaign %s stored unique_clicks (%d), not unique_subscriber_clicks", g.CampaignID, uc)
		}
	}
	// Month end 31 December from the growth history; no snapshot of today (the window ends before).
	// 31 December, and 30 November: the day before the window, which December starts from.
	subs := subscriberDays(sink)
	if _, ok := subs[days.Date(2022, 11, 30)]; len(subs) != 2 || !ok {
		t.Fatalf("subscriber days %v, want 30 November and 31 December", subs)
	}
	var history struct {
		History []map[string]any `json:"history"`
	}
	readJSON(t, "growth_history.json", &history)
	var dec map[string]any
	var unsubAfter, cleanedAfter float64
	for _, h := range history.History {
		switch h["month"] {
		case "2022-12":
			dec = h
		case "2023-01":
			unsubAfter, cleanedAfter = num(t, h, "unsubscribed"), num(t, h, "cleaned")
		}
	}
	var list map[string]any
	readJSON(t, "list.json", &list)
	wantDay := figures.SubscribersDay{ListID: testListID, Date: days.Date(2022, 12, 31), Subscribers: uint64(num(t, dec, "subscribed")),
		Unsubscribed: uint64(num(t, list, "stats.unsubscribe_count") - unsubAfter), Cleaned: uint64(num(t, list, "stats.cleaned_count") - cleanedAfter)}
	if subs[days.Date(2022, 12, 31)] != wantDay {
		t.Errorf("31 December = %+v, want %+v", subs[days.Date(2022, 12, 31)], wantDay)
	}
	// The window and the last 30 days overlap: one span, paged 4 at a time.
	var reportRequests int
	for _, u := range f.requestLog() {
		if u.Path == "/3.0/reports" {
			reportRequests++
			if !strings.Contains(u.RawQuery, "%2B00%3A00") || strings.Contains(u.RawQuery, "+00") {
				t.Errorf("send times must carry an encoded +00:00: %s", u.RawQuery)
			}
		}
	}
	if reportRequests != 1 {
		t.Errorf("%d report requests for 2 campaigns at 4 a page, want 1", reportRequests)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A backfill of 2022 in one window pages through many pages; a second span fetches the recent ones.
func TestPagingAcrossManyPages(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	c.pageSize = 2
	sink, err := collect(t, c, days.Date(2022, 1, 1), days.Date(2022, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	got := campaigns(sink)
	wantIDs := map[string]bool{}
	for _, r := range listReportsSentIn(t, days.Start(days.Date(2022, 1, 1), oslo), days.Start(days.Date(2022, 11, 1), oslo)) {
		wantIDs[r["id"].(string)] = true
	}
	for _, r := range listReportsSentIn(t, testNow.AddDate(0, 0, -30), testNow) {
		wantIDs[r["id"].(string)] = true
	}
	if len(got) != len(wantIDs) || len(wantIDs) < 14 {
		t.Fatalf("got %d campaigns %v, want %d", len(got), keys(got), len(wantIDs))
	}
	for id := range wantIDs {
		if _, ok := got[id]; !ok {
			t.Errorf("campaign %s missing", id)
		}
	}
	if _, ok := got["5f5f0a0a11"]; ok {
		t.Error("the other audience's campaign was stored")
	}
	if _, ok := got["9a1f03be77"]; !ok {
		t.Error("the campaign sent 00:30 on New Year's Day in Oslo (23:30 UTC the day before) belongs to 2022")
	}
	var pages int
	for _, u := range f.requestLog() {
		if u.Path == "/3.0/reports" {
			pages++
		}
	}
	if pages < 8 {
		t.Errorf("%d report pages, want the campaigns spread over many pages of 2", pages)
	}
	// Ten month ends, one per completed month in the window, and the one before the window.
	if n := len(subscriberDays(sink)); n != 11 {
		t.Errorf("%d month-end sizes, want 11", n)
	}
}

func TestTodaysSnapshotWhenTheWindowReachesToday(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	today := days.Of(testNow, oslo)
	sink, err := collect(t, c, today.AddDate(0, 0, -2), today)
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	readJSON(t, "list.json", &list)
	wantDay := figures.SubscribersDay{ListID: testListID, Date: today, Subscribers: uint64(num(t, list, "stats.member_count")),
		Unsubscribed: uint64(num(t, list, "stats.unsubscribe_count")), Cleaned: uint64(num(t, list, "stats.cleaned_count"))}
	subs := subscriberDays(sink)
	if len(subs) != 1 || subs[today] != wantDay {
		t.Errorf("subscriber days %+v, want only today %+v", subs, wantDay)
	}
}

// The late-opens window: an incremental run re-fetches campaigns younger than 30 days and leaves
// older ones alone; a campaign whose clicks grew is stored with the new count.
func TestRecentCampaignsAreFetchedAgainOldOnesAreNot(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	today := days.Of(testNow, oslo)
	first, err := collect(t, c, today.AddDate(0, 0, -2), today)
	if err != nil {
		t.Fatal(err)
	}
	const december = "c125e1a9b2"
	before := campaigns(first)[december]
	f.update(func() {
		clicks := f.report(december)["clicks"].(map[string]any)
		clicks["unique_subscriber_clicks"] = clicks["unique_subscriber_clicks"].(float64) + 9
	})
	second, err := collect(t, c, today.AddDate(0, 0, -2), today)
	if err != nil {
		t.Fatal(err)
	}
	if after := campaigns(second)[december]; after.UniqueClicks != before.UniqueClicks+9 {
		t.Errorf("December newsletter clicks %d after %d, want the grown count %d", after.UniqueClicks, before.UniqueClicks, before.UniqueClicks+9)
	}
	for _, id := range f.servedIDs() {
		if id == "c115e1a9b2" {
			t.Error("the November newsletter, older than campaign_refresh_days, was fetched again")
		}
	}
	if _, ok := campaigns(second)["c115e1a9b2"]; ok {
		t.Error("the November newsletter was stored again")
	}
}

func TestEmptyWindow(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	c.now = func() time.Time { return time.Date(2019, 3, 20, 12, 0, 0, 0, oslo) }
	sink, err := collect(t, c, days.Date(2019, 1, 1), days.Date(2019, 2, 28))
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("records %v for months before the audience existed", sink.Records())
	}
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "no figures for 3 month end(s)") {
		t.Errorf("notes %q, want the gap named", notes)
	}
}

func TestRateLimitWithoutRetryAfterBacksOffAndRecovers(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n <= 3 {
			problemAnswer(w, http.StatusTooManyRequests, "error_429.json")
			return true
		}
		return false
	}
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err != nil {
		t.Fatalf("three 429s then answers: %v", err)
	}
	if len(campaigns(sink)) != 2 {
		t.Errorf("got %v", keys(campaigns(sink)))
	}
}

func TestRateLimitWithRetryAfterIsHonoured(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, func(o *collectors.HTTPOptions) {
		fastHTTP(o)
		o.WaitMax = 3 * time.Second
	})
	var retried time.Time
	first := time.Now()
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			problemAnswer(w, http.StatusTooManyRequests, "error_429.json")
			return true
		}
		if n == 2 {
			retried = time.Now()
		}
		return false
	}
	if _, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31)); err != nil {
		t.Fatal(err)
	}
	if wait := retried.Sub(first); wait < 900*time.Millisecond {
		t.Errorf("retried after %v, want the 1 s Retry-After honoured", wait)
	}
}

func TestRateLimitThatPersistsStopsTheRun(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		problemAnswer(w, http.StatusTooManyRequests, "error_429.json")
		return true
	}
	_, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if !errors.Is(err, collectors.ErrRateLimited) {
		t.Fatalf("error %v, want ErrRateLimited", err)
	}
	if !strings.Contains(err.Error(), "10 simultaneous connections") {
		t.Errorf("error %q should explain Mailchimp's limit", err)
	}
	// A long Retry-After is not slept through: the run stops at once and says when to come back.
	f.update(func() {
		f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			w.Header().Set("Retry-After", "3600")
			problemAnswer(w, http.StatusTooManyRequests, "error_429.json")
			return true
		}
	})
	start := time.Now()
	_, err = collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	var apiErr *collectors.APIError
	if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAt.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("error %v, want ErrRateLimited with a retry time an hour ahead", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the client slept through a one-hour Retry-After")
	}
}

func TestWrongKeyOrDataCentre(t *testing.T) {
	f := newFake(t)
	logs := &collectortest.LogBuffer{}
	c := newTestCollector(t, f, logs, nil)
	f.key = "ffffffffffffffffffffffffffffffff-us21"
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	msg := err.Error()
	for _, part := range []string{"mailchimp: list a1b2c3d4e5", "API Key Invalid", "api_key", "REKKEVIDDE_SOURCE_NEWSLETTER_API_KEY", "-us21"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q should name %q", msg, part)
		}
	}
	if strings.Contains(msg, testKey) || strings.Contains(logs.String(), testKey) || strings.Contains(msg, "0123456789abcdef") {
		t.Error("the API key leaked into the error or the log")
	}
	if len(sink.Records()) != 0 {
		t.Error("records added after a refused key")
	}
	if n := len(f.requestLog()); n != 1 {
		t.Errorf("%d requests: a refused key must not be retried", n)
	}
}

func TestUnknownList(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	c.listID = "0000000000"
	_, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "no audience 0000000000") || !strings.Contains(err.Error(), "check list_id") {
		t.Fatalf("error %v, want one naming the list and list_id", err)
	}
}

func TestServerErrorsThatRecover(t *testing.T) {
	gateway, err := os.ReadFile(filepath.Join("testdata", "gateway_502.html"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		switch n {
		case 1, 2:
			problemAnswer(w, http.StatusInternalServerError, "error_500.json")
			return true
		case 3:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write(gateway)
			return true
		}
		return false
	}
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err != nil || len(campaigns(sink)) != 2 {
		t.Fatalf("after a burst of 5xx: %v, %v", err, keys(campaigns(sink)))
	}
}

func TestServerErrorThatPersists(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if r.URL.Path == "/3.0/reports" {
			problemAnswer(w, http.StatusInternalServerError, "error_500.json")
			return true
		}
		return false
	}
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "Internal Server Error") {
		t.Fatalf("error %v, want Mailchimp's 500 named", err)
	}
	if errors.Is(err, collectors.ErrUnauthorized) || errors.Is(err, collectors.ErrRateLimited) {
		t.Error("a 500 is neither a credential nor a rate problem")
	}
	// The month-end sizes do not depend on the reports: kept, so the run is partial.
	if len(subscriberDays(sink)) != 2 {
		t.Error("the month-end size got before the failure was dropped")
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, func(o *collectors.HTTPOptions) {
		fastHTTP(o)
		o.AttemptTimeout = 100 * time.Millisecond
	})
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if n == 1 {
			f.mu.Unlock()
			time.Sleep(300 * time.Millisecond)
			f.mu.Lock()
		}
		return false
	}
	if _, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31)); err != nil {
		t.Fatalf("a slow first answer should be retried: %v", err)
	}
}

func TestMalformedJSON(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if r.URL.Path == "/3.0/reports" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"reports": [{"id": "c125e1a9b2", "emails_sent": 30`))
			return true
		}
		return false
	}
	_, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "malformed JSON") || !strings.HasPrefix(err.Error(), "campaign reports (GET /reports): mailchimp: ") {
		t.Fatalf("error %v, want malformed JSON named", err)
	}
}

// A report missing a count (a misnamed fields path would do that) is an error for that campaign;
// the others are kept. A rate outside 0–1 is not stored.
func TestIncompleteReportAndOddRate(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	f.update(func() {
		delete(f.report("c125e1a9b2")["clicks"].(map[string]any), "unique_subscriber_clicks")
		f.report("6a2b8c4d0e")["clicks"].(map[string]any)["click_rate"] = 21.3
	})
	sink, err := collect(t, c, days.Date(2022, 12, 1), days.Date(2022, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "c125e1a9b2") || !strings.Contains(err.Error(), "clicks.unique_subscriber_clicks") {
		t.Fatalf("error %v, want the campaign and the missing count named", err)
	}
	got := campaigns(sink)
	if _, ok := got["c125e1a9b2"]; ok {
		t.Error("the incomplete report was stored")
	}
	jan, ok := got["6a2b8c4d0e"]
	if !ok || jan.ProviderClickRate != nil || jan.UniqueClicks == 0 {
		t.Errorf("January invitation %+v: want its counts with no provider click rate", jan)
	}
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "not a fraction") {
		t.Errorf("notes %q should say why the rate was left out", notes)
	}
}

func TestNoSecretOrAddressInErrorsOrLogs(t *testing.T) {
	addresses := collectortest.FixtureEmailAddresses(t, 3)
	f := newFake(t)
	logs := &collectortest.LogBuffer{}
	c := newTestCollector(t, f, logs, nil)
	var texts []string
	sink, err := collect(t, c, days.Date(2022, 1, 1), days.Of(testNow, oslo))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sink.Records() {
		for _, v := range r.Values() {
			if s, ok := v.(string); ok {
				texts = append(texts, s)
			}
		}
	}
	texts = append(texts, sink.Notes()...)
	// The list answer holds addresses; a malformed one is quoted in the error.
	f.update(func() {
		f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"campaign_defaults": {"from_email": "nyhetsbrev@innomed.no"`))
			return true
		}
	})
	_, err = collect(t, c, days.Date(2022, 1, 1), days.Date(2022, 1, 31))
	if err == nil {
		t.Fatal("want an error from a malformed answer")
	}
	texts = append(texts, err.Error(), logs.String())
	all := strings.Join(texts, "\n")
	collectortest.NoLeak(t, "records, notes, errors and logs", all, append(addresses, testKey, c.authorization[len("Basic "):])...)
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "[e-mail address]") }) {
		t.Error("the subject with an address should be stored with the address hidden")
	}
}

// A campaign sent exactly at midnight, where one chunk ends and the next begins, is fetched by the
// chunk it belongs to even if Mailchimp's bounds are exclusive.
func TestCampaignOnAChunkBoundary(t *testing.T) {
	f := newFake(t)
	c := newTestCollector(t, f, io.Discard, nil)
	midnight := days.Start(days.Date(2022, 6, 1), oslo)
	f.update(func() { f.report("c065e1a9b2")["send_time"] = mailchimpTime(midnight) })
	sink, err := collect(t, c, days.Date(2022, 6, 1), days.Date(2022, 6, 30))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := campaigns(sink)["c065e1a9b2"]; !ok || !g.SendTime.Equal(midnight) {
		t.Errorf("the campaign sent at %s was not collected by the June chunk: %v", midnight, keys(campaigns(sink)))
	}
}
