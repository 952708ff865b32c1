package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

func apiInsert(t *testing.T, st *store.Store, table string, cols []string, rows ...[]any) {
	t.Helper()
	if err := st.Insert(t.Context(), table, cols, rows); err != nil {
		t.Fatal(err)
	}
}

func TestAPICampaignsGiveEachSendsRates(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	cols := []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent", "delivered", "unique_opens",
		"unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces", "provider_open_rate", "provider_click_rate", "source", "version"}
	pr := func(x float64) *float64 { return &x }
	apiInsert(t, st, "newsletter_campaigns", cols,
		// 23:30 UTC on 31 January is 1 February in Oslo: inside a range that starts in February.
		[]any{"list", "c1", "Februar", "s", time.Date(2022, time.January, 31, 23, 30, 0, 0, time.UTC), uint64(210), uint64(200),
			uint64(90), uint64(30), uint64(1), uint64(6), uint64(4), pr(0.47), pr(0.16), "mailchimp", uint64(1)},
		[]any{"list", "c2", "Mars", "s", time.Date(2022, time.March, 3, 8, 0, 0, 0, time.UTC), uint64(100), uint64(50),
			uint64(10), uint64(20), uint64(0), uint64(50), uint64(0), nil, nil, "mailchimp", uint64(1)},
		[]any{"list", "c3", "Tom", "s", time.Date(2022, time.March, 10, 8, 0, 0, 0, time.UTC), uint64(5), uint64(0),
			uint64(0), uint64(0), uint64(0), uint64(5), uint64(0), nil, nil, "mailchimp", uint64(1)},
		[]any{"list", "c0", "Januar", "s", time.Date(2022, time.January, 10, 8, 0, 0, 0, time.UTC), uint64(10), uint64(10),
			uint64(1), uint64(1), uint64(0), uint64(0), uint64(0), nil, nil, "mailchimp", uint64(1)})

	r := apiGet(t, app, "/api/v1/newsletter/campaigns?from=2022-02-01&to=2022-03-31", token)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q\n%s", r.status, r.header.Get("Cache-Control"), r.body)
	}
	var got api.CampaignsJSON
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if got.List != "list" || len(got.Campaigns) != 3 {
		t.Fatalf("answer %+v", got)
	}
	c1, c2, c3 := got.Campaigns[0], got.Campaigns[1], got.Campaigns[2]
	if c1.ID != "c1" || c1.Day != "2022-02-01" || c1.Sent != 210 || c1.Delivered != 200 || c1.UniqueOpens != 90 || c1.UniqueClicks != 30 ||
		val(c1.OpenRate) != 0.45 || val(c1.ClickRate) != 0.15 || val(c1.ProviderOpenRate) != 0.47 || val(c1.ProviderClickRate) != 0.16 {
		t.Errorf("c1 %+v", c1)
	}
	if c2.ID != "c2" || val(c2.OpenRate) != 0.2 || val(c2.ClickRate) != 0.4 || c2.ProviderOpenRate != nil {
		t.Errorf("c2 %+v", c2)
	}
	// Nothing delivered: no rate, not 0 %.
	if c3.ID != "c3" || c3.OpenRate != nil || c3.ClickRate != nil {
		t.Errorf("c3 %+v", c3)
	}
	// Pooled: (30+20)/(200+50) = 0.2; the mean of the sends' click rates: (0.15+0.4)/2 = 0.275.
	if val(got.PooledClickRate) != 0.2 || val(got.PooledOpenRate) != 0.4 || val(got.MeanClickRate) != 0.275 {
		t.Errorf("pooled %v/%v, mean %v", val(got.PooledOpenRate), val(got.PooledClickRate), val(got.MeanClickRate))
	}

	r = apiGet(t, app, "/api/v1/newsletter/campaigns?from=2022-02-01&to=2022-03-31&format=csv", token)
	if r.status != 200 || !strings.HasPrefix(r.body, "\ufeffid,title,send_time,day,sent,delivered,unique_opens,unique_clicks,open_rate,click_rate,provider_open_rate,provider_click_rate\r\n") ||
		!strings.Contains(r.body, "c1,Februar,2022-01-31T23:30:00Z,2022-02-01,210,200,90,30,0.45,0.15,0.47,0.16\r\n") ||
		!strings.Contains(r.body, "c3,Tom,2022-03-10T08:00:00Z,2022-03-10,5,0,0,0,,,,\r\n") {
		t.Errorf("campaigns CSV %d\n%s", r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
}

func val(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestAPIPublicationsPerFeedAndMonthWithUndatedApart(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	seen := time.Date(2022, time.April, 1, 0, 0, 0, 0, time.UTC)
	at := func(m time.Month, d int) time.Time { return time.Date(2022, m, d, 9, 0, 0, 0, time.UTC) }
	for _, p := range []figures.Publication{
		{FeedID: "a", ItemKey: "1", PublishedAt: at(time.January, 10)}, // before the range
		{FeedID: "a", ItemKey: "2", PublishedAt: at(time.January, 20)},
		{FeedID: "a", ItemKey: "3", PublishedAt: at(time.February, 2)},
		{FeedID: "a", ItemKey: "4", PublishedAt: at(time.February, 28)},
		{FeedID: "a", ItemKey: "5"}, // undated
		{FeedID: "a", ItemKey: "6"}, // undated
		{FeedID: "b", ItemKey: "1", PublishedAt: at(time.March, 31)},
	} {
		p.Title, p.Link, p.FirstSeen = "Sak", "https://example.no/"+p.ItemKey, seen
		apiInsert(t, st, p.Table(), append(p.Columns(), "source", "version"), append(p.Values(), "rss", uint64(1)))
	}
	r := apiGet(t, app, "/api/v1/publications?from=2022-01-15&to=2022-03-31", token)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	var got api.PublicationsJSON
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Feeds) != 2 || got.Feeds[0].Feed != "a" || got.Feeds[1].Feed != "b" {
		t.Fatalf("feeds %+v", got.Feeds)
	}
	a, b := got.Feeds[0], got.Feeds[1]
	months := func(f api.FeedCountsJSON) string {
		var s []string
		for _, m := range f.Months {
			part := ""
			if !m.Full {
				part = " partial"
			}
			s = append(s, m.Start+".."+m.End+part+"="+strings.TrimSpace(strings.Repeat("I", m.Count)))
		}
		return strings.Join(s, " ")
	}
	if want := "2022-01-15..2022-01-31 partial=I 2022-02-01..2022-02-28=II 2022-03-01..2022-03-31="; months(a) != want || a.Total != 3 || a.Undated != 2 {
		t.Errorf("feed a: %s total %d undated %d, want %s total 3 undated 2", months(a), a.Total, a.Undated, want)
	}
	if want := "2022-01-15..2022-01-31 partial= 2022-02-01..2022-02-28= 2022-03-01..2022-03-31=I"; months(b) != want || b.Total != 1 || b.Undated != 0 {
		t.Errorf("feed b: %s total %d undated %d", months(b), b.Total, b.Undated)
	}
	r = apiGet(t, app, "/api/v1/publications?from=2022-01-15&to=2022-03-31", token, "Accept", "text/csv")
	if r.status != 200 || !strings.Contains(r.body, "feed,kind,start,end,full,count\r\n") ||
		!strings.Contains(r.body, "a,month,2022-02-01,2022-02-28,true,2\r\n") || !strings.Contains(r.body, "a,undated,,,,2\r\n") {
		t.Errorf("publications CSV %d\n%s", r.status, r.body)
	}
	// 1970, the stored zero of the undated items, holds nothing.
	r = apiGet(t, app, "/api/v1/publications?from=1970-01-01&to=1970-12-31&format=csv", token)
	if r.status != 200 || strings.Contains(r.body, "a,month,1970-01-01,1970-01-31,true,2") || !strings.Contains(r.body, "a,month,1970-01-01,1970-01-31,true,0\r\n") {
		t.Errorf("1970: %d\n%s", r.status, r.body)
	}
}

func TestAPIListEndpointsRefuseBadParametersAndStrangers(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	for _, path := range []string{"/api/v1/newsletter/campaigns", "/api/v1/publications"} {
		for q, param := range map[string]string{
			"":                               "from",
			"?from=2022-01-01":               "to",
			"?from=2022-02-01&to=2022-01-31": "to",
			"?from=2000-01-01&to=2022-01-31": "from",
			"?from=2022-01-01&to=2022-01-31&format=pdf": "format",
		} {
			msg := apiErrorOf(t, apiGet(t, app, path+q, token), 400)
			if !strings.HasPrefix(msg, "parameter "+param+":") {
				t.Errorf("%s%s: %q does not name %s", path, q, msg, param)
			}
		}
		if msg := apiErrorOf(t, apiGet(t, app, path+"?from=2022-01-01&to=2022-01-31&site=nowhere.no", token), 400); !strings.Contains(msg, "nowhere.no") {
			t.Errorf("%s unknown site: %q", path, msg)
		}
		apiErrorOf(t, apiGet(t, app, path+"?from=2022-01-01&to=2022-01-31", ""), 401)
		apiErrorOf(t, apiGet(t, app, path+"?from=2022-01-01&to=2022-01-31", "rkv_wrong"), 401)
		// Nothing collected: empty lists, not an error.
		if r := apiGet(t, app, path+"?from=2022-01-01&to=2022-01-31", token); r.status != 200 ||
			!(strings.Contains(r.body, `"campaigns": []`) || strings.Contains(r.body, `"feeds": []`)) {
			t.Errorf("%s on an empty database: %d %s", path, r.status, r.body)
		}
	}
}
