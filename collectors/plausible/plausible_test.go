package plausible

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const sourceID = "plausible-innomed"

// settings builds a source's settings from a YAML block, as the config loader hands them over.
func settings(t testing.TB, block string, env map[string]string, log *slog.Logger, now time.Time) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, sourceID, block, env)
	if log != nil {
		s.Log = log
	}
	s.Now = func() time.Time { return now }
	return s
}

// fast makes retries quick and lifts the rate limit, so tests do not wait 6.5 s per request.
func fast(o *collectors.HTTPOptions) {
	o.WaitMin = time.Millisecond
	o.WaitMax = 50 * time.Millisecond
	o.RequestsPerSecond = 1e6
	o.RetryMax = 3
	o.AttemptTimeout = 5 * time.Second
}

type testOpts struct {
	now  time.Time
	log  *slog.Logger
	tune func(*collectors.HTTPOptions)
}

func newTestCollector(t testing.TB, f *fakePlausible, baseURL string, o testOpts) *collector {
	t.Helper()
	if o.now.IsZero() {
		o.now = time.Date(2026, 3, 15, 12, 0, 0, 0, collectortest.Oslo)
	}
	block := fmt.Sprintf("site: innomed.no\nsite_id: %s\napi_key: %s\nbase_url: %s\n", f.siteID, f.key, baseURL)
	c, err := newCollector(settings(t, block, nil, o.log, o.now), func(opts *collectors.HTTPOptions) {
		fast(opts)
		if o.tune != nil {
			o.tune(opts)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func window(t *testing.T, from, to string) days.Range {
	t.Helper()
	a, err := days.Parse(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := days.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	return days.Range{From: a, To: b}
}

func collect(t *testing.T, c *collector, w days.Range) (*collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	err := c.Collect(context.Background(), w, sink)
	return sink, err
}

// Records are compared as sorted lines, so a failure shows which rows differ.
func recordLines[T figures.Record](records []figures.Record, line func(T) string) []string {
	var out []string
	for _, r := range records {
		if v, ok := r.(T); ok {
			out = append(out, line(v))
		}
	}
	slices.Sort(out)
	return out
}

func dayLine(r figures.WebTrafficDay) string {
	return fmt.Sprintf("%s %s %s %s visitors=%d visits=%d pageviews=%d new=%d", r.SiteID, days.Format(r.Date), r.Channel, r.Device, r.Visitors, r.Sessions, r.Pageviews, r.NewVisitors)
}

func periodLine(r figures.WebVisitorsPeriod) string {
	ptr := func(p *uint64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s %s %s..%s visitors=%s new=%s returning=%s", r.SiteID, r.Period, days.Format(r.PeriodStart), days.Format(r.PeriodEnd), ptr(r.Visitors), ptr(r.NewVisitors), ptr(r.ReturningVisitors))
}

func pageLine(r figures.TopPage) string {
	return fmt.Sprintf("%s %s %s %q %d", r.SiteID, r.Month.Format("2006-01"), r.Path, r.Title, r.Pageviews)
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %d:\n  %s\nwant %d:\n  %s", what, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
	}
}

// expectedDays computes what the collector must store for w from the fake's own rows: canonical
// pairs summed, one zero row for a day without visits from the first day of data up to today.
func expectedDays(f *fakePlausible, w days.Range, today time.Time) []string {
	first, _ := f.firstDataDay()
	var out []string
	w.Each(func(day time.Time) {
		rows := f.rows[day]
		if len(rows) == 0 {
			if !day.Before(first) && !day.After(today) {
				out = append(out, dayLine(figures.WebTrafficDay{SiteID: "innomed.no", Date: day, Channel: figures.ChannelOther, Device: figures.DeviceOther}))
			}
			return
		}
		sums := map[[2]string]*figures.WebTrafficDay{}
		for _, r := range rows {
			c := comboOf(r.channel, r.device)
			k := [2]string{c.wantChannel, c.wantDevice}
			if sums[k] == nil {
				sums[k] = &figures.WebTrafficDay{SiteID: "innomed.no", Date: day, Channel: c.wantChannel, Device: c.wantDevice}
			}
			sums[k].Visitors += r.visitors
			sums[k].Sessions += r.visits
			sums[k].Pageviews += r.pageviews
		}
		for _, s := range sums {
			out = append(out, dayLine(*s))
		}
	})
	slices.Sort(out)
	return out
}

// expectedPages is the month's top 50 by pageviews, ties by path, without pages lacking views.
func expectedPages(f *fakePlausible, month time.Time) []string {
	type page struct {
		path  string
		views uint64
	}
	var pages []page
	for p, v := range f.pages[month] {
		pages = append(pages, page{p, v})
	}
	slices.SortFunc(pages, func(a, b page) int { return cmp.Or(cmp.Compare(b.views, a.views), cmp.Compare(a.path, b.path)) })
	var out []string
	for _, p := range pages[:min(50, len(pages))] {
		if p.views > 0 {
			out = append(out, pageLine(figures.TopPage{SiteID: "innomed.no", Month: month, Path: p.path, Pageviews: p.views}))
		}
	}
	slices.Sort(out)
	return out
}

func TestKindDefaults(t *testing.T) {
	k := Kind()
	if k.Name != "plausible" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 || k.New == nil {
		t.Fatalf("unexpected kind %+v", k)
	}
}

func TestNewValidatesSettings(t *testing.T) {
	const key = "plausible-secret-key-93b1"
	cases := map[string]struct {
		block   string
		env     map[string]string
		wantErr []string
		check   func(t *testing.T, c *collector)
	}{
		"site missing": {block: "api_key: " + key, wantErr: []string{"site is required"}},
		"api_key missing": {block: "site: innomed.no",
			wantErr: []string{"api_key is required", "REKKEVIDDE_SOURCE_PLAUSIBLE_INNOMED_API_KEY"}},
		"base_url not absolute": {block: "site: innomed.no\napi_key: " + key + "\nbase_url: plausible.io",
			wantErr: []string{"base_url", `"plausible.io"`}},
		"unknown key": {block: "site: innomed.no\napi_key: " + key + "\nsiteid: innomed.no",
			wantErr: []string{"plausible: settings:", "siteid"}},
		"defaults": {block: "site: innomed.no\napi_key: " + key, check: func(t *testing.T, c *collector) {
			if c.siteID != "innomed.no" || c.queryURL != "https://plausible.io/api/v2/query" {
				t.Fatalf("site_id %q, url %q", c.siteID, c.queryURL)
			}
		}},
		"self-hosted with trailing slash and own site_id": {
			block: "site: innomed.no\nsite_id: www.innomed.no\napi_key: " + key + "\nbase_url: https://stats.example.no/",
			check: func(t *testing.T, c *collector) {
				if c.site != "innomed.no" || c.siteID != "www.innomed.no" || c.queryURL != "https://stats.example.no/api/v2/query" {
					t.Fatalf("site %q, site_id %q, url %q", c.site, c.siteID, c.queryURL)
				}
			}},
		"api_key from the environment": {block: "site: innomed.no",
			env: map[string]string{"REKKEVIDDE_SOURCE_PLAUSIBLE_INNOMED_API_KEY": key},
			check: func(t *testing.T, c *collector) {
				if c.apiKey.Value() != key {
					t.Fatal("the environment's api_key was not used")
				}
			}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := newCollector(settings(t, tc.block, tc.env, nil, time.Now()), nil)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("want an error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error shows the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// fixtureServer answers each query with the testdata file for it, after checking that the request
// asks for exactly the metrics and dimensions, in the order, that the file's echoed query holds.
func fixtureServer(t *testing.T, key string) *httptest.Server {
	t.Helper()
	return collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req fakeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("request body: %v", err)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+key {
			t.Errorf("Authorization %q", got)
		}
		if req.SiteID != "innomed.no" || req.Include.Imports == nil || *req.Include.Imports {
			t.Errorf("request must name site_id and ask without imports: %+v", req)
		}
		var file string
		switch req.kind() {
		case "first":
			file = "first_day.json"
		case "daily":
			file = "daily_" + strings.ReplaceAll(req.rangeKey(), "..", "_") + ".json"
			if !req.Include.TotalRows {
				t.Error("daily request without include.total_rows")
			}
		case "period":
			file = "visitors_" + strings.ReplaceAll(req.rangeKey(), "..", "_") + ".json"
		case "pages":
			file = "top_pages_" + req.rangeKey()[:7] + ".json"
		}
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Errorf("no fixture for %s request %s: %v", req.kind(), req.rangeKey(), err)
			plausibleError(w, http.StatusBadRequest, "no fixture")
			return
		}
		var echo struct {
			Query struct {
				Metrics    []string `json:"metrics"`
				Dimensions []string `json:"dimensions"`
			} `json:"query"`
		}
		if err := json.Unmarshal(raw, &echo); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !slices.Equal(req.Metrics, echo.Query.Metrics) || !slices.Equal(req.Dimensions, echo.Query.Dimensions) {
			t.Errorf("%s answers metrics %v and dimensions %v, the request asked for %v and %v", file, echo.Query.Metrics, echo.Query.Dimensions, req.Metrics, req.Dimensions)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
}

// The documented answer shapes, read from testdata: a run on 1 April fetches the running month,
// quarter and year as well as March, which ends inside the window.
func TestCollectReadsDocumentedAnswers(t *testing.T) {
	const key = "fixture-key-1e2d"
	srv := fixtureServer(t, key)
	now := time.Date(2025, 4, 1, 9, 30, 0, 0, collectortest.Oslo)
	block := "site: innomed.no\napi_key: " + key + "\nbase_url: " + srv.URL
	c, err := newCollector(settings(t, block, nil, nil, now), fast)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := collect(t, c, window(t, "2025-03-30", "2025-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	recs := sink.Records()
	sameLines(t, "daily traffic", recordLines(recs, dayLine), []string{
		// 30 March: Desktop + Laptop are both desktop; Paid Search and Cross-network both paid.
		"innomed.no 2025-03-30 direct desktop visitors=95 visits=118 pageviews=301 new=0",
		"innomed.no 2025-03-30 direct other visitors=2 visits=2 pageviews=3 new=0",
		"innomed.no 2025-03-30 email desktop visitors=9 visits=10 pageviews=26 new=0",
		"innomed.no 2025-03-30 organic_search desktop visitors=134 visits=156 pageviews=428 new=0",
		"innomed.no 2025-03-30 organic_search mobile visitors=38 visits=42 pageviews=97 new=0",
		"innomed.no 2025-03-30 paid desktop visitors=3 visits=3 pageviews=7 new=0",
		"innomed.no 2025-03-30 paid mobile visitors=1 visits=1 pageviews=2 new=0",
		"innomed.no 2025-03-30 referral tablet visitors=4 visits=5 pageviews=11 new=0",
		"innomed.no 2025-03-30 social mobile visitors=21 visits=23 pageviews=41 new=0",
		// 31 March is not in Plausible's answer: nobody visited.
		"innomed.no 2025-03-31 other other visitors=0 visits=0 pageviews=0 new=0",
		// 1 April: Affiliates and Referral are both referral.
		"innomed.no 2025-04-01 direct desktop visitors=88 visits=104 pageviews=277 new=0",
		"innomed.no 2025-04-01 direct mobile visitors=19 visits=21 pageviews=44 new=0",
		"innomed.no 2025-04-01 organic_search desktop visitors=131 visits=150 pageviews=402 new=0",
		"innomed.no 2025-04-01 referral desktop visitors=9 visits=10 pageviews=24 new=0",
	})
	sameLines(t, "period visitors", recordLines(recs, periodLine), []string{
		"innomed.no month 2025-03-01..2025-03-31 visitors=3890 new=nil returning=nil",
		"innomed.no month 2025-04-01..2025-04-30 visitors=512 new=nil returning=nil",
		"innomed.no quarter 2025-01-01..2025-03-31 visitors=10127 new=nil returning=nil",
		"innomed.no quarter 2025-04-01..2025-06-30 visitors=512 new=nil returning=nil",
		"innomed.no year 2025-01-01..2025-12-31 visitors=10498 new=nil returning=nil",
	})
	sameLines(t, "top pages", recordLines(recs, pageLine), []string{
		`innomed.no 2025-03 / "" 1630`,
		`innomed.no 2025-03 /om-innomed "" 201`,
		`innomed.no 2025-03 /prosessveiledning/soknadsskjema "" 377`,
		`innomed.no 2025-03 /verktoy/mal-for-fremdriftsplan "" 412`,
		`innomed.no 2025-03 /webinarer "" 201`,
		`innomed.no 2025-04 / "" 402`,
		`innomed.no 2025-04 /nyheter/kunstig-intelligens-i-kommunene "" 96`,
		`innomed.no 2025-04 /om-innomed "" 55`,
	})
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "new vs returning visitors are not available") {
		t.Errorf("no note about new vs returning visitors: %q", notes)
	}
	if strings.Contains(notes, "time zone") {
		t.Errorf("the fixture's site counts days in Europe/Oslo, yet: %q", notes)
	}
}

// The fake answers metrics in whatever order the request names them, with distinct values per
// metric, so reading a metric from a fixed position instead of the requested one fails here.
func TestCollectWindowMatchesFake(t *testing.T) {
	f := newFake(t)
	for d := days.Date(2024, 12, 20); !d.After(days.Date(2025, 2, 10)); d = d.AddDate(0, 0, 1) {
		f.setDay(d, 40+uint64(d.YearDay()%17)*3)
	}
	f.setDay(days.Date(2025, 1, 5), 0)
	f.setPages(days.Date(2025, 1, 1), 9000, 70)
	srv := f.server()
	now := time.Date(2025, 2, 10, 15, 0, 0, 0, collectortest.Oslo)
	c := newTestCollector(t, f, srv.URL, testOpts{now: now})
	w := window(t, "2025-01-01", "2025-01-31")
	sink, err := collect(t, c, w)
	if err != nil {
		t.Fatal(err)
	}
	recs := sink.Records()
	sameLines(t, "daily traffic", recordLines(recs, dayLine), expectedDays(f, w, days.Date(2025, 2, 10)))
	jan := f.totals(days.Date(2025, 1, 1), days.Date(2025, 1, 31))
	// January ends inside the window; Q1 and 2025 end later and today is past the window, so a
	// later window fetches them.
	sameLines(t, "period visitors", recordLines(recs, periodLine), []string{
		fmt.Sprintf("innomed.no month 2025-01-01..2025-01-31 visitors=%d new=nil returning=nil", jan.visitors),
	})
	sameLines(t, "top pages", recordLines(recs, pageLine), expectedPages(f, days.Date(2025, 1, 1)))
	if n := len(recordLines(recs, pageLine)); n != 50 {
		t.Errorf("%d top pages, want the top 50 of 71", n)
	}
	for _, r := range f.requestsOf("daily") {
		if !slices.Equal(r.OrderBy, [][2]string{{"time:day", "asc"}, {"visit:channel", "asc"}, {"visit:device", "asc"}}) {
			t.Errorf("daily request order_by %v does not order every dimension", r.OrderBy)
		}
	}
}

func TestFetchesPeriodRule(t *testing.T) {
	first := days.Date(2023, 5, 2)
	month := func(y int, m time.Month) days.Period { p, _ := days.PeriodOf(days.Month, days.Date(y, m, 1)); return p }
	year := func(y int) days.Period { p, _ := days.PeriodOf(days.Year, days.Date(y, 1, 1)); return p }
	cases := []struct {
		name   string
		p      days.Period
		w      days.Range
		today  time.Time
		expect bool
	}{
		{"ends inside the window", month(2024, 1), days.Range{From: days.Date(2024, 1, 1), To: days.Date(2024, 1, 31)}, days.Date(2026, 1, 1), true},
		{"ends after a past window", year(2024), days.Range{From: days.Date(2024, 1, 1), To: days.Date(2024, 1, 31)}, days.Date(2026, 1, 1), false},
		{"running period, window reaches today", year(2026), days.Range{From: days.Date(2026, 3, 13), To: days.Date(2026, 3, 15)}, days.Date(2026, 3, 15), true},
		{"ended before the first day of data", month(2023, 4), days.Range{From: days.Date(2023, 4, 1), To: days.Date(2023, 5, 31)}, days.Date(2026, 1, 1), false},
		{"holds the first day of data", month(2023, 5), days.Range{From: days.Date(2023, 4, 1), To: days.Date(2023, 5, 31)}, days.Date(2026, 1, 1), true},
	}
	for _, tc := range cases {
		if got := slices.Contains(duePeriods(tc.w, first, tc.today), tc.p); got != tc.expect {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestPagingAcrossManyPages(t *testing.T) {
	f := newFake(t)
	f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 200)
	srv := f.server()
	c := newTestCollector(t, f, srv.URL, testOpts{now: time.Date(2025, 3, 1, 8, 0, 0, 0, collectortest.Oslo)})
	c.pageSize = 7
	w := window(t, "2025-01-10", "2025-01-19")
	sink, err := collect(t, c, w)
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2025, 3, 1)))
	rows := 0
	w.Each(func(d time.Time) { rows += len(f.rows[d]) })
	daily := f.requestsOf("daily")
	if want := (rows + 6) / 7; len(daily) != want || rows < 100 {
		t.Fatalf("%d daily requests for %d rows, want %d pages of 7", len(daily), rows, want)
	}
	for i, r := range daily {
		if r.Pagination == nil || r.Pagination.Limit != 7 || r.Pagination.Offset != 7*i {
			t.Errorf("page %d asked %+v", i, r.Pagination)
		}
	}
}

// A new row of today that sorts before the current page shifts the later pages by one, so one row
// arrives twice; it must be stored once.
func TestRowRepeatedAcrossPagesIsCountedOnce(t *testing.T) {
	f := newFake(t)
	f.fill(days.Date(2025, 3, 1), days.Date(2025, 3, 3), 200)
	srv := f.server()
	c := newTestCollector(t, f, srv.URL, testOpts{now: time.Date(2025, 3, 3, 8, 0, 0, 0, collectortest.Oslo)})
	c.pageSize = 20
	w := window(t, "2025-03-01", "2025-03-03")
	want := expectedDays(f, w, days.Date(2025, 3, 3))
	served := 0
	f.intercept = func(_ int, req fakeRequest, _ http.ResponseWriter) bool {
		if req.kind() == "daily" {
			served++
			if served == 3 { // before the third page: a new visit on 3 March, first in order
				day := days.Date(2025, 3, 3)
				f.rows[day] = append([]fakeRow{{channel: "Affiliates", device: "(not set)", visitors: 1, visits: 1, pageviews: 1}}, f.rows[day]...)
			}
		}
		return false
	}
	sink, err := collect(t, c, w)
	if err != nil {
		t.Fatal(err)
	}
	if served < 3 {
		t.Fatalf("only %d pages; the test needs at least 3", served)
	}
	// The late row itself may be missed (today is fetched again on the next run); nothing may be
	// counted twice.
	sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), want)
}

func TestDaysWithoutData(t *testing.T) {
	t.Run("site without any data", func(t *testing.T) {
		f := newFake(t)
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sink.Records()) != 0 || f.requestCount() != 1 {
			t.Fatalf("%d records after %d requests; want none after the one asking for the first day", len(sink.Records()), f.requestCount())
		}
		if !strings.Contains(strings.Join(sink.Notes(), "\n"), "holds no visits") {
			t.Errorf("notes %q", sink.Notes())
		}
	})
	t.Run("window before the first day of data", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 2, 1), days.Date(2025, 2, 10), 50)
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sink.Records()) != 0 || f.requestCount() != 1 {
			t.Fatalf("%d records after %d requests", len(sink.Records()), f.requestCount())
		}
	})
	t.Run("data starts inside the window", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 20), days.Date(2025, 3, 1), 50)
		f.setDay(days.Date(2025, 1, 25), 0)
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		w := window(t, "2024-12-01", "2025-01-31")
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		got := recordLines(sink.Records(), dayLine)
		sameLines(t, "daily traffic", got, expectedDays(f, w, days.Date(2026, 3, 15)))
		if !slices.Contains(got, "innomed.no 2025-01-25 other other visitors=0 visits=0 pageviews=0 new=0") || strings.Contains(strings.Join(got, "\n"), "2024-12-") {
			t.Errorf("want a zero row for 25 January and nothing before 20 January:\n%s", strings.Join(got, "\n"))
		}
		// December 2024 was not measured: no figure for it, so another source's figure stays.
		sameLines(t, "period visitors", recordLines(sink.Records(), periodLine), []string{
			fmt.Sprintf("innomed.no month 2025-01-01..2025-01-31 visitors=%d new=nil returning=nil", f.totals(days.Date(2025, 1, 1), days.Date(2025, 1, 31)).visitors),
		})
		if !strings.Contains(strings.Join(sink.Notes(), "\n"), "starts on 2025-01-20") {
			t.Errorf("notes %q", sink.Notes())
		}
	})
	t.Run("today without visits yet, future days untouched", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 3, 1), days.Date(2025, 3, 14), 50)
		srv := f.server()
		now := time.Date(2025, 3, 15, 0, 20, 0, 0, collectortest.Oslo)
		c := newTestCollector(t, f, srv.URL, testOpts{now: now})
		w := window(t, "2025-03-13", "2025-03-17")
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		got := recordLines(sink.Records(), dayLine)
		sameLines(t, "daily traffic", got, expectedDays(f, w, days.Date(2025, 3, 15)))
		if !slices.Contains(got, "innomed.no 2025-03-15 other other visitors=0 visits=0 pageviews=0 new=0") || strings.Contains(strings.Join(got, "\n"), "2025-03-16") {
			t.Errorf("want a zero row for today and none for later days:\n%s", strings.Join(got, "\n"))
		}
	})
}

func TestRateLimits(t *testing.T) {
	rateLimited := func(retryAfter string, times int) func(int, fakeRequest, http.ResponseWriter) bool {
		served := 0
		return func(_ int, req fakeRequest, w http.ResponseWriter) bool {
			if req.kind() != "daily" || served >= times {
				return false
			}
			served++
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			plausibleError(w, http.StatusTooManyRequests, "Too many API requests. Your API key is limited to 600 requests per hour. Please contact us to request more capacity.")
			return true
		}
	}
	setup := func(t *testing.T) (*fakePlausible, string, days.Range) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		return f, f.server().URL, window(t, "2025-01-01", "2025-01-31")
	}
	t.Run("short Retry-After is waited out", func(t *testing.T) {
		f, url, w := setup(t)
		f.intercept = rateLimited("1", 1)
		c := newTestCollector(t, f, url, testOpts{tune: func(o *collectors.HTTPOptions) { o.WaitMax = 5 * time.Second }})
		start := time.Now()
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) < 900*time.Millisecond {
			t.Errorf("retried before the second Plausible asked for")
		}
		sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2026, 3, 15)))
	})
	t.Run("long Retry-After stops the run", func(t *testing.T) {
		f, url, w := setup(t)
		f.intercept = rateLimited("3600", 100)
		c := newTestCollector(t, f, url, testOpts{})
		start := time.Now()
		sink, err := collect(t, c, w)
		if !errors.Is(err, collectors.ErrRateLimited) {
			t.Fatalf("got %v, want ErrRateLimited", err)
		}
		var apiErr *collectors.APIError
		if !errors.As(err, &apiErr) || time.Until(apiErr.RetryAt) < 59*time.Minute {
			t.Fatalf("RetryAt should be about an hour ahead: %+v", apiErr)
		}
		if time.Since(start) > 5*time.Second || len(f.requestsOf("daily")) != 1 {
			t.Errorf("a long Retry-After must not be slept through or retried")
		}
		if !strings.Contains(err.Error(), "600 requests per hour") || !strings.HasPrefix(err.Error(), "daily traffic: plausible: ") {
			t.Errorf("error should name the source and keep Plausible's message: %v", err)
		}
		if len(sink.Records()) != 0 {
			t.Errorf("nothing was complete, yet %d records", len(sink.Records()))
		}
	})
	t.Run("429 without Retry-After waits for the next hour", func(t *testing.T) {
		f, url, w := setup(t)
		f.intercept = rateLimited("", 100)
		now := time.Date(2026, 3, 15, 12, 17, 5, 0, time.UTC)
		c := newTestCollector(t, f, url, testOpts{now: now})
		_, err := collect(t, c, w)
		if !errors.Is(err, collectors.ErrRateLimited) {
			t.Fatalf("got %v, want ErrRateLimited", err)
		}
		var apiErr *collectors.APIError
		if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(time.Date(2026, 3, 15, 13, 0, 0, 0, time.UTC)) {
			t.Fatalf("RetryAt should be the next full hour: %+v", apiErr)
		}
		if n := len(f.requestsOf("daily")); n != 4 {
			t.Errorf("%d daily attempts, want 1 + 3 retries with backoff", n)
		}
		if !strings.Contains(err.Error(), "2026-03-15T13:00:00Z") {
			t.Errorf("error should say when to retry: %v", err)
		}
	})
	t.Run("one 429 without Retry-After is retried", func(t *testing.T) {
		f, url, w := setup(t)
		f.intercept = rateLimited("", 1)
		c := newTestCollector(t, f, url, testOpts{})
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2026, 3, 15)))
	})
}

func TestServerErrors(t *testing.T) {
	t.Run("a burst of 5xx recovers", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		statuses := []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError}
		f.intercept = func(n int, _ fakeRequest, w http.ResponseWriter) bool {
			if n > len(statuses) {
				return false
			}
			w.WriteHeader(statuses[n-1])
			_, _ = w.Write([]byte("<html><body>Bad gateway</body></html>"))
			return true
		}
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		w := window(t, "2025-01-01", "2025-01-31")
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2026, 3, 15)))
	})
	t.Run("persistent failure keeps what was complete", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		f.intercept = func(_ int, req fakeRequest, w http.ResponseWriter) bool {
			if req.kind() != "period" {
				return false
			}
			plausibleError(w, http.StatusInternalServerError, "Internal server error")
			return true
		}
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		w := window(t, "2025-01-01", "2025-01-31")
		sink, err := collect(t, c, w)
		if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "unique visitors of month 2025-01-01..2025-01-31") {
			t.Fatalf("want an error naming the failed query, got %v", err)
		}
		sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2026, 3, 15)))
		if n := len(recordLines(sink.Records(), periodLine)); n != 0 {
			t.Errorf("%d period records from failed queries", n)
		}
	})
}

func TestTimeouts(t *testing.T) {
	hanging := func(t *testing.T, f *fakePlausible, hang func(n int64) bool) string {
		var n atomic.Int64
		srv := collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hang(n.Add(1)) {
				select {
				case <-time.After(time.Second):
				case <-r.Context().Done():
				}
				return
			}
			f.serve(w, r)
		}))
		return srv.URL
	}
	short := func(o *collectors.HTTPOptions) { o.AttemptTimeout = 150 * time.Millisecond; o.RetryMax = 1 }
	t.Run("a slow attempt is retried", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		url := hanging(t, f, func(n int64) bool { return n == 2 })
		c := newTestCollector(t, f, url, testOpts{tune: short})
		w := window(t, "2025-01-01", "2025-01-31")
		sink, err := collect(t, c, w)
		if err != nil {
			t.Fatal(err)
		}
		sameLines(t, "daily traffic", recordLines(sink.Records(), dayLine), expectedDays(f, w, days.Date(2026, 3, 15)))
	})
	t.Run("a server that never answers is an error", func(t *testing.T) {
		f := newFake(t)
		url := hanging(t, f, func(int64) bool { return true })
		c := newTestCollector(t, f, url, testOpts{tune: short})
		_, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
		if err == nil || !strings.HasPrefix(err.Error(), "plausible: site_id innomed.no: first day of data:") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestMalformedAnswers(t *testing.T) {
	cases := map[string]struct {
		body    string
		wantErr string
	}{
		"truncated JSON":         {`{"results": [{"metrics": [12, 14`, "malformed JSON"},
		"HTML from a proxy":      {`<!DOCTYPE html><html><body>Sign in</body></html>`, "malformed JSON"},
		"no results":             {`{"meta": {"total_rows": 0}}`, "no results list"},
		"a metric missing":       {`{"results": [{"metrics": [12, 14], "dimensions": ["2025-01-02", "Direct", "Desktop"]}], "meta": {"total_rows": 1}}`, "2 metrics and 3 dimensions where 3 and 3"},
		"a count that is text":   {`{"results": [{"metrics": [12, "many", 30], "dimensions": ["2025-01-02", "Direct", "Desktop"]}], "meta": {"total_rows": 1}}`, "malformed JSON"},
		"a null count":           {`{"results": [{"metrics": [12, null, 30], "dimensions": ["2025-01-02", "Direct", "Desktop"]}], "meta": {"total_rows": 1}}`, "visits on 2025-01-02"},
		"a negative count":       {`{"results": [{"metrics": [12, -1, 30], "dimensions": ["2025-01-02", "Direct", "Desktop"]}], "meta": {"total_rows": 1}}`, "visits on 2025-01-02"},
		"a day outside":          {`{"results": [{"metrics": [12, 14, 30], "dimensions": ["2024-12-31", "Direct", "Desktop"]}], "meta": {"total_rows": 1}}`, "outside the window"},
		"no total_rows":          {`{"results": [{"metrics": [12, 14, 30], "dimensions": ["2025-01-02", "Direct", "Desktop"]}], "meta": {}}`, "meta.total_rows"},
		"an error with HTTP 200": {`{"error": "Something went wrong"}`, "Something went wrong"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
			f.intercept = func(_ int, req fakeRequest, w http.ResponseWriter) bool {
				if req.kind() != "daily" {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
				return true
			}
			srv := f.server()
			c := newTestCollector(t, f, srv.URL, testOpts{})
			sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "daily traffic: plausible: ") {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
			if days := recordLines(sink.Records(), dayLine); len(days) != 0 {
				t.Errorf("%d daily records from a malformed answer", len(days))
			}
			// The other families are fetched and stored on their own.
			if len(recordLines(sink.Records(), periodLine)) != 1 {
				t.Errorf("the month's unique visitors should still be stored: %v", sink.Notes())
			}
		})
	}
}

func TestCountsMayComeAsWholeFloats(t *testing.T) {
	for in, want := range map[string]uint64{"12": 12, "12.0": 12, "1e3": 1000} {
		if got, err := count(json.Number(in)); err != nil || got != want {
			t.Errorf("count(%s) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"1.5", "-3", ""} {
		if _, err := count(json.Number(in)); err == nil {
			t.Errorf("count(%q) accepted", in)
		}
	}
}

func TestRefusedAnswers(t *testing.T) {
	fixture := func(t *testing.T, name string) string { return string(collectortest.Fixture(t, name)) }
	cases := map[string]struct {
		change       func(f *fakePlausible, c *collector)
		status       int
		body         string
		unauthorized bool
		want         []string
	}{
		"wrong key": {
			change:       func(_ *fakePlausible, c *collector) { c.apiKey = mustSecret("an-old-revoked-key") },
			unauthorized: true,
			want:         []string{"Invalid API key or site ID", "check api_key", "REKKEVIDDE_SOURCE_PLAUSIBLE_INNOMED_API_KEY", "site_id"},
		},
		"unknown site_id": {
			change:       func(_ *fakePlausible, c *collector) { c.siteID = "innomed.com" },
			unauthorized: true,
			want:         []string{"site_id innomed.com", "Invalid API key or site ID", "site's domain as Plausible shows it"},
		},
		"key stripped by a proxy": {status: http.StatusUnauthorized, body: "error_missing_key.json", unauthorized: true,
			want: []string{"Missing API key"}},
		"plan without Stats API": {status: http.StatusPaymentRequired, body: "error_plan.json",
			want: []string{"HTTP 402", "does not have access to Stats API", "subscription includes the Stats API"}},
		"validation error": {status: http.StatusBadRequest, body: "error_invalid_metric.json",
			want: []string{"HTTP 400", "Unknown metric", "check site_id"}},
		"wrong base_url": {status: http.StatusNotFound, body: "",
			want: []string{"HTTP 404", "check base_url"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
			if tc.status != 0 {
				body := ""
				if tc.body != "" {
					body = fixture(t, tc.body)
				}
				f.intercept = func(_ int, _ fakeRequest, w http.ResponseWriter) bool {
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(body))
					return true
				}
			}
			srv := f.server()
			c := newTestCollector(t, f, srv.URL, testOpts{})
			if tc.change != nil {
				tc.change(f, c)
			}
			_, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, collectors.ErrUnauthorized) != tc.unauthorized {
				t.Errorf("errors.Is(ErrUnauthorized) = %v: %v", !tc.unauthorized, err)
			}
			if !strings.HasPrefix(err.Error(), "plausible: ") {
				t.Errorf("error does not name the source: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
			if f.requestCount() != 1 {
				t.Errorf("%d requests: a refused request is not retried", f.requestCount())
			}
		})
	}
}

func mustSecret(v string) (s config.Secret) {
	_ = yaml.Unmarshal([]byte(v), &s)
	return s
}

func TestSecretNeverInErrorsNotesOrLogs(t *testing.T) {
	f := newFake(t)
	f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
	logs := &collectortest.LogBuffer{}
	log := logs.Logger()
	// A server that repeats the key it was sent, as some proxies and error pages do.
	f.intercept = func(_ int, req fakeRequest, w http.ResponseWriter) bool {
		if req.kind() != "daily" {
			return false
		}
		plausibleError(w, http.StatusInternalServerError, "could not check "+req.Auth)
		return true
	}
	srv := f.server()
	c := newTestCollector(t, f, srv.URL, testOpts{log: log})
	sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
	if err == nil {
		t.Fatal("want an error")
	}
	texts := []string{err.Error(), logs.String(), strings.Join(sink.Notes(), "\n")}
	// An unreachable server: net/http errors quote the URL.
	unreachable := newTestCollector(t, f, "http://127.0.0.1:1", testOpts{log: log})
	_, err = collect(t, unreachable, window(t, "2025-01-01", "2025-01-31"))
	if err == nil {
		t.Fatal("want an error from an unreachable server")
	}
	texts = append(texts, err.Error(), logs.String(), fmt.Sprintf("%+v %#v", c.apiKey, c.apiKey))
	collectortest.NoLeak(t, "errors, notes and logs", strings.Join(texts, "\n"), f.key)
	if !strings.Contains(texts[0], "could not check Bearer [redacted]") {
		t.Errorf("the server's message should stay, with the key redacted: %s", texts[0])
	}
}

func TestNotes(t *testing.T) {
	t.Run("site counting days in another time zone", func(t *testing.T) {
		f := newFake(t)
		f.tz = time.UTC
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(sink.Notes(), "\n")
		if !strings.Contains(notes, "UTC+00:00 on 2025-01-01") || !strings.Contains(notes, "Europe/Oslo (UTC+01:00)") {
			t.Errorf("no time zone note: %q", notes)
		}
	})
	t.Run("Plausible's import warnings", func(t *testing.T) {
		f := newFake(t)
		f.fill(days.Date(2025, 1, 1), days.Date(2025, 1, 31), 80)
		f.intercept = func(_ int, req fakeRequest, w http.ResponseWriter) bool {
			if req.kind() != "period" {
				return false
			}
			writeJSON(w, http.StatusOK, map[string]any{
				"results": []map[string]any{{"metrics": []int{2100}, "dimensions": []string{}}},
				"meta": map[string]any{"imports_included": true, "imports_skip_reason": "unsupported_query",
					"imports_warning": "Imported stats are not included in the results because query parameters are not supported."},
			})
			return true
		}
		srv := f.server()
		c := newTestCollector(t, f, srv.URL, testOpts{})
		sink, err := collect(t, c, window(t, "2025-01-01", "2025-01-31"))
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(sink.Notes(), "\n")
		if !strings.Contains(notes, "Imported stats are not included") || !strings.Contains(notes, "included imported data") {
			t.Errorf("notes %q", notes)
		}
	})
}
