package matomo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	testToken  = "0f3c9a1d7e5b42c8a6d1e9f07b3c5a2d"
	testIDSite = 3
	testSite   = "innomed.no"
)

// newTestCollector builds a collector for the fake at baseURL with quick retries and no rate
// limit; tune adjusts the HTTP options further.
func newTestCollector(t testing.TB, baseURL string, now time.Time, tune func(*collectors.HTTPOptions)) (*collector, *collectortest.LogBuffer) {
	t.Helper()
	logs := &collectortest.LogBuffer{}
	s := collectortest.Settings(t, "matomo", fmt.Sprintf("site: %s\nbase_url: %s/\nid_site: %d\ntoken: %s\n", testSite, baseURL, testIDSite, testToken), nil)
	s.Log = logs.Logger()
	s.Now = func() time.Time { return now }
	c, err := newCollector(s, func(o *collectors.HTTPOptions) {
		o.WaitMin, o.WaitMax = time.Millisecond, 50*time.Millisecond
		o.RetryMax = 3
		o.RequestsPerSecond, o.Burst = 1e6, 1000
		o.AttemptTimeout = 5 * time.Second
		if tune != nil {
			tune(o)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// collected is what one Collect call gave.
type collected struct {
	traffic []figures.WebTrafficDay
	periods []figures.WebVisitorsPeriod
	pages   []figures.TopPage
	notes   []string
	err     error
}

func collect(t testing.TB, c *collector, window days.Range) collected {
	t.Helper()
	sink := &collectors.Sink{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := collected{err: c.Collect(ctx, window, sink), notes: sink.Notes()}
	for _, r := range sink.Records() {
		switch r := r.(type) {
		case figures.WebTrafficDay:
			out.traffic = append(out.traffic, r)
		case figures.WebVisitorsPeriod:
			out.periods = append(out.periods, r)
		case figures.TopPage:
			out.pages = append(out.pages, r)
		default:
			t.Fatalf("unexpected record %T", r)
		}
	}
	return out
}

// assertNoSecret fails when the token shows in an error or a log line.
func assertNoSecret(t testing.TB, err error, logs *collectortest.LogBuffer) {
	t.Helper()
	if err != nil {
		collectortest.NoLeak(t, "error", err.Error(), testToken)
	}
	collectortest.NoLeak(t, "logs", logs.String(), testToken)
}

func trafficByKey(t testing.TB, records []figures.WebTrafficDay) map[trafficKey]figures.WebTrafficDay {
	t.Helper()
	out := map[trafficKey]figures.WebTrafficDay{}
	for _, r := range records {
		k := trafficKey{r.Date, r.Channel, r.Device}
		if _, dup := out[k]; dup {
			t.Errorf("two rows for %v", k)
		}
		out[k] = r
	}
	return out
}

func compareTraffic(t testing.TB, got []figures.WebTrafficDay, want map[trafficKey]figures.WebTrafficDay) {
	t.Helper()
	gotByKey := trafficByKey(t, got)
	for k, w := range want {
		if g, ok := gotByKey[k]; !ok {
			t.Errorf("missing row %s %s/%s: want %+v", days.Format(k.day), k.channel, k.device, w)
		} else if g != w {
			t.Errorf("row %s %s/%s:\n got %+v\nwant %+v", days.Format(k.day), k.channel, k.device, g, w)
		}
	}
	for k, g := range gotByKey {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected row %+v", g)
		}
	}
}

func ptr(v uint64) *uint64 { return &v }

func equalPtr(a, b *uint64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func show(p *uint64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// recordedServer answers from testdata/recorded_2025-01.json, answers Matomo sent in its
// documented shapes, and fails the test on any request it holds no answer for.
func recordedServer(t *testing.T) *httptest.Server {
	t.Helper()
	raw := collectortest.Fixture(t, "recorded_2025-01.json")
	var doc struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorised(w, r, testToken, testIDSite, http.StatusUnauthorized) {
			t.Errorf("recorded answers: request refused: %s", r.URL.RawQuery)
			return
		}
		q := r.URL.Query()
		if q.Get("language") != "en" {
			t.Errorf("request without language=en: %s", r.URL.RawQuery)
		}
		key := q.Get("method") + " " + q.Get("period") + " " + q.Get("date")
		if seg := q.Get("segment"); seg != "" {
			key += " segment=" + seg
		}
		if off := q.Get("filter_offset"); off != "" {
			key += " offset=" + off
		}
		answer, ok := doc.Answers[key]
		if !ok {
			t.Errorf("no recorded answer for %q", key)
			writeJSON(w, http.StatusOK, map[string]string{"result": "error", "message": "not recorded"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
}

// TestCollectRecordedAnswers runs one window against answers in Matomo's own shapes: Norwegian
// labels, [] days, zero rows, an Unknown device row without segment, numeric strings, a default
// instance without range or year unique visitors, and "Others" rows in the page reports.
func TestCollectRecordedAnswers(t *testing.T) {
	srv := recordedServer(t)
	now := time.Date(2025, time.February, 10, 14, 0, 0, 0, collectortest.Oslo)
	c, logs := newTestCollector(t, srv.URL, now, nil)
	// The window ends with January, so the month's own figures are due; quarter and year are not.
	got := collect(t, c, days.Range{From: days.Date(2025, 1, 14), To: days.Date(2025, 1, 31)})
	if got.err != nil {
		t.Fatalf("Collect: %v", got.err)
	}
	assertNoSecret(t, got.err, logs)

	// From the fixture, 2025-01-14: search = desktop 35 + smartphone 20 + phablet 2 + Unknown 3
	// visits; its 140 pageviews less desktop 90, smartphone 38 and phablet 4 leave 8 for Unknown.
	// direct = desktop 18 + tablet 7 (sent as strings) + smartphone 5; website = desktop 5.
	// 2025-01-15 has no visits; 2025-01-16 one direct desktop row; the rest of January none.
	d := days.Date(2025, 1, 14)
	row := func(channel, device string, visitors, sessions, pageviews, newVisitors uint64) figures.WebTrafficDay {
		return figures.WebTrafficDay{SiteID: testSite, Date: d, Channel: channel, Device: device,
			Visitors: visitors, Sessions: sessions, Pageviews: pageviews, NewVisitors: newVisitors}
	}
	want := map[trafficKey]figures.WebTrafficDay{}
	for _, r := range []figures.WebTrafficDay{
		row("organic_search", "desktop", 33, 35, 90, 12),
		row("organic_search", "mobile", 19+2, 20+2, 38+4, 9+1),
		row("organic_search", "other", 3, 3, 8, 2),
		row("direct", "desktop", 17, 18, 40, 4),
		row("direct", "tablet", 7, 7, 15, 2),
		row("direct", "mobile", 5, 5, 6, 1),
		row("referral", "desktop", 5, 5, 9, 3),
		{SiteID: testSite, Date: days.Date(2025, 1, 16), Channel: "direct", Device: "desktop", Visitors: 4, Sessions: 4, Pageviews: 7, NewVisitors: 1},
	} {
		want[trafficKey{r.Date, r.Channel, r.Device}] = r
	}
	compareTraffic(t, got.traffic, want)

	wantPeriods := []figures.WebVisitorsPeriod{{SiteID: testSite, Period: "month", PeriodStart: days.Date(2025, 1, 1),
		PeriodEnd: days.Date(2025, 1, 31), Visitors: ptr(2210), NewVisitors: ptr(1702), ReturningVisitors: ptr(640)}}
	comparePeriods(t, got.periods, wantPeriods)

	wantPages := []figures.TopPage{
		{SiteID: testSite, Month: days.Date(2025, 1, 1), Path: "/", Title: "InnoMed – Forside", Pageviews: 900},
		{SiteID: testSite, Month: days.Date(2025, 1, 1), Path: "/verktoy/innovasjonsguiden", Title: "Innovasjonsguiden", Pageviews: 420},
	}
	if !slices.Equal(got.pages, wantPages) {
		t.Errorf("top pages:\n got %+v\nwant %+v", got.pages, wantPages)
	}
	if len(got.notes) != 0 {
		t.Errorf("notes = %q, want none", got.notes)
	}

	// On 10 February the running quarter and year are due; this default instance gives no unique
	// visitors for them.
	got = collect(t, c, days.Range{From: days.Date(2025, 2, 10), To: days.Date(2025, 2, 10)})
	if len(got.periods) != 0 {
		t.Errorf("periods without Matomo's unique visitors stored: %s", describePeriods(got.periods))
	}
	if !slices.ContainsFunc(got.notes, func(n string) bool {
		return strings.Contains(n, "quarters and years are not available") &&
			strings.Contains(n, "enable_processing_unique_visitors_range = 1") && strings.Contains(n, "enable_processing_unique_visitors_year = 1")
	}) {
		t.Errorf("notes = %q, want one saying quarter and year unique visitors need range and year processing", got.notes)
	}
}

func comparePeriods(t testing.TB, got, want []figures.WebVisitorsPeriod) {
	t.Helper()
	key := func(p figures.WebVisitorsPeriod) string { return p.Period + " " + days.Format(p.PeriodStart) }
	sortPeriods := func(ps []figures.WebVisitorsPeriod) {
		slices.SortFunc(ps, func(a, b figures.WebVisitorsPeriod) int { return strings.Compare(key(a), key(b)) })
	}
	sortPeriods(got)
	sortPeriods(want)
	if len(got) != len(want) {
		t.Errorf("got %d period rows, want %d: %s", len(got), len(want), describePeriods(got))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if key(g) != key(w) || !g.PeriodEnd.Equal(w.PeriodEnd) || g.SiteID != w.SiteID ||
			!equalPtr(g.Visitors, w.Visitors) || !equalPtr(g.NewVisitors, w.NewVisitors) || !equalPtr(g.ReturningVisitors, w.ReturningVisitors) {
			t.Errorf("period row %d:\n got %s\nwant %s", i, describePeriods(got[i:i+1]), describePeriods(want[i:i+1]))
		}
	}
}

func describePeriods(ps []figures.WebVisitorsPeriod) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s %s..%s visitors=%s new=%s returning=%s", p.Period, days.Format(p.PeriodStart),
			days.Format(p.PeriodEnd), show(p.Visitors), show(p.NewVisitors), show(p.ReturningVisitors)))
	}
	return strings.Join(parts, "; ")
}

// wantPeriods is what the world's period figures should give for window.
func (w *world) wantPeriods(window days.Range, rangeUniques, yearUniques bool) []figures.WebVisitorsPeriod {
	var out []figures.WebVisitorsPeriod
	// The tests' clocks stand after every window: a period is due when the window holds its end.
	for _, p := range collectors.DuePeriods(window, days.Date(2100, 1, 1)) {
		var truth periodTruth
		has := true
		switch p.Kind {
		case days.Month:
			truth = w.months[p.Start]
		case days.Quarter:
			truth, has = w.quarters[p.Start], rangeUniques
		case days.Year:
			truth, has = w.years[p.Start], yearUniques
		}
		if !has || truth.visits == 0 {
			continue
		}
		out = append(out, figures.WebVisitorsPeriod{SiteID: testSite, Period: p.Kind, PeriodStart: p.Start, PeriodEnd: p.End,
			Visitors: ptr(truth.uniques), NewVisitors: ptr(truth.uniquesNew), ReturningVisitors: ptr(truth.uniquesReturning)})
	}
	return out
}

func startFake(t *testing.T, f *fakeMatomo) *httptest.Server {
	t.Helper()
	return collectortest.Server(t, f)
}

// TestQuarterUniqueVisitors: a quarter's unique visitors are Matomo's range figure when the
// instance processes ranges, and absent, with a note saying why, when it does not; never the sum
// of months or days.
func TestQuarterUniqueVisitors(t *testing.T) {
	w := newWorld(days.Date(2022, 1, 1), days.Date(2022, 6, 30), 1)
	// The window completes March, April, May, June and both quarters; the year is not over in it.
	window := days.Range{From: days.Date(2022, 3, 30), To: days.Date(2022, 6, 30)}
	now := time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo)

	t.Run("range processing enabled", func(t *testing.T) {
		f := newFake(t, w)
		f.rangeUniques, f.yearUniques = true, true
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if got.err != nil {
			t.Fatal(got.err)
		}
		comparePeriods(t, got.periods, w.wantPeriods(window, true, true))
		for _, p := range got.periods {
			if p.Period != days.Quarter {
				continue
			}
			var monthSum uint64
			for m := p.PeriodStart; m.Before(p.PeriodEnd); m = m.AddDate(0, 1, 0) {
				monthSum += w.months[m].uniques
			}
			if p.Visitors == nil || *p.Visitors == monthSum {
				t.Errorf("quarter %s visitors = %s, must be Matomo's range figure, not the months' sum %d", days.Format(p.PeriodStart), show(p.Visitors), monthSum)
			}
		}
		if len(got.notes) != 0 {
			t.Errorf("notes = %q, want none", got.notes)
		}
		if !requested(f, "VisitsSummary.get", "range", "2022-01-01,2022-03-31") || !requested(f, "VisitsSummary.get", "range", "2022-04-01,2022-06-30") {
			t.Errorf("quarters were not asked for as ranges: %v", f.calls())
		}
		if requested(f, "VisitsSummary.get", "year", "2022-01-01") {
			t.Errorf("the year was asked for in a window it does not end in")
		}
	})

	t.Run("range processing disabled", func(t *testing.T) {
		f := newFake(t, w)
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if got.err != nil {
			t.Fatal(got.err)
		}
		comparePeriods(t, got.periods, w.wantPeriods(window, false, false))
		for _, p := range got.periods {
			if p.Period != days.Month {
				t.Errorf("stored a %s row without Matomo's unique visitors: %s", p.Period, describePeriods([]figures.WebVisitorsPeriod{p}))
			}
		}
		want := "matomo: unique visitors for quarters are not available: enable enable_processing_unique_visitors_range = 1 in Matomo's config"
		if len(got.notes) != 1 || !strings.HasPrefix(got.notes[0], want) {
			t.Errorf("notes = %q, want one starting %q", got.notes, want)
		}
	})
}

// requested tells whether the fake got a request for method with this period and date.
func requested(f *fakeMatomo, method, period, date string) bool {
	return slices.ContainsFunc(f.calls(), func(q url.Values) bool {
		return q.Get("method") == method && q.Get("period") == period && q.Get("date") == date
	})
}

// TestDailyTrafficMatchesTruth checks the matrix against the fake's ground truth over a window
// with a day without visits and visits crossing midnight, with numbers and with numeric strings.
func TestDailyTrafficMatchesTruth(t *testing.T) {
	w := newWorld(days.Date(2022, 6, 25), days.Date(2022, 8, 10), 2)
	window := days.Range{From: days.Date(2022, 7, 1), To: days.Date(2022, 7, 31)}
	now := time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo)
	for _, strs := range []bool{false, true} {
		t.Run(fmt.Sprintf("numeric strings %v", strs), func(t *testing.T) {
			f := newFake(t, w)
			f.stringNumbers = strs
			c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
			got := collect(t, c, window)
			if got.err != nil {
				t.Fatal(got.err)
			}
			compareTraffic(t, got.traffic, w.wantTraffic(testSite, window))
			if slices.ContainsFunc(got.traffic, func(r figures.WebTrafficDay) bool { return r.Date.Equal(emptyDay) }) {
				t.Errorf("rows stored for %s, a day without visits", days.Format(emptyDay))
			}
			assertNoSecret(t, nil, logs)
			for _, q := range f.calls() {
				if q.Get("period") == "day" && q.Get("date") != "2022-07-01,2022-08-01" {
					t.Errorf("daily report asked for %s, want the window and the day after it (2022-07-01,2022-08-01)", q.Get("date"))
				}
			}
		})
	}
}

// TestVisitCrossingWindowEnd: pageviews on the window's last day whose visit ended the next day,
// on a device type and channel without any other visit in the window, still land in their cell.
func TestVisitCrossingWindowEnd(t *testing.T) {
	day, next := days.Date(2022, 5, 10), days.Date(2022, 5, 11)
	w := &world{days: map[time.Time][]cell{
		day:  {{referrer: "direct", device: "desktop", visits: 10, uniques: 9, newVisits: 4, newUniques: 4, pageviews: 25}},
		next: {{referrer: "direct", device: "desktop", visits: 6, uniques: 6, newVisits: 2, newUniques: 2, pageviews: 11}},
	}, months: map[time.Time]periodTruth{}, quarters: map[time.Time]periodTruth{}, years: map[time.Time]periodTruth{},
		pages: map[time.Time][]pageRow{}, titles: map[time.Time][]pageRow{}}
	w.crossMidnight(day, "campaign", "tablet", 3)
	f := newFake(t, w)
	c, _ := newTestCollector(t, startFake(t, f).URL, time.Date(2022, 6, 1, 9, 0, 0, 0, collectortest.Oslo), nil)
	window := days.Range{From: day, To: day}
	got := collect(t, c, window)
	if got.err != nil {
		t.Fatal(got.err)
	}
	want := map[trafficKey]figures.WebTrafficDay{
		{day, "direct", "desktop"}: {SiteID: testSite, Date: day, Channel: "direct", Device: "desktop", Visitors: 9, Sessions: 10, Pageviews: 25, NewVisitors: 4},
		{day, "email", "tablet"}:   {SiteID: testSite, Date: day, Channel: "email", Device: "tablet", Pageviews: 3},
	}
	compareTraffic(t, got.traffic, want)
}

// TestPagingAcrossManyPages reads the top pages and their titles over many small pages.
func TestPagingAcrossManyPages(t *testing.T) {
	w := newWorld(days.Date(2022, 1, 1), days.Date(2022, 1, 31), 3)
	f := newFake(t, w)
	c, _ := newTestCollector(t, startFake(t, f).URL, time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo), nil)
	c.pageURLsPerRequest, c.titlesPerRequest = 5, 5
	window := days.Range{From: days.Date(2022, 1, 31), To: days.Date(2022, 1, 31)}
	got := collect(t, c, window)
	if got.err != nil {
		t.Fatal(got.err)
	}

	month := days.Date(2022, 1, 1)
	var want []figures.TopPage
	for _, p := range w.pages[month] {
		if p.url == "" {
			continue
		}
		path := strings.TrimPrefix(p.url, "https://innomed.example")
		want = append(want, figures.TopPage{SiteID: testSite, Month: month, Path: path, Title: wantTitle(p.label), Pageviews: p.hits})
	}
	slices.SortFunc(want, func(a, b figures.TopPage) int {
		return cmp.Or(cmp.Compare(b.Pageviews, a.Pageviews), strings.Compare(a.Path, b.Path))
	})
	want = want[:50]
	if !slices.Equal(got.pages, want) {
		t.Errorf("top pages differ:\n got %+v\nwant %+v", got.pages, want)
	}
	offsets := map[string][]string{}
	for _, q := range f.calls() {
		if m := q.Get("method"); strings.HasPrefix(m, "Actions.getPage") {
			offsets[m] = append(offsets[m], q.Get("filter_offset"))
		}
	}
	if n := len(offsets["Actions.getPageUrls"]); n < 11 {
		t.Errorf("page URLs read in %d requests (%v), want at least 11 pages of 5", n, offsets["Actions.getPageUrls"])
	}
	// Two pages never find a title (a shared title links the other page, an untitled page), so
	// every page of titles is read to the end: a last short page, or an empty one after a full one.
	titleRows := len(w.titles[month])
	if n := len(offsets["Actions.getPageTitles"]); n != titleRows/5+1 {
		t.Errorf("titles read in %d requests (%v), want %d for %d rows in pages of 5", n, offsets["Actions.getPageTitles"], titleRows/5+1, titleRows)
	}
}

// TestEmptyWindow: a site without visits gives no rows, no notes and no error.
func TestEmptyWindow(t *testing.T) {
	w := &world{days: map[time.Time][]cell{}, months: map[time.Time]periodTruth{}, quarters: map[time.Time]periodTruth{},
		years: map[time.Time]periodTruth{}, pages: map[time.Time][]pageRow{}, titles: map[time.Time][]pageRow{}}
	f := newFake(t, w)
	c, _ := newTestCollector(t, startFake(t, f).URL, time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo), nil)
	got := collect(t, c, days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 1, 31)})
	if got.err != nil || len(got.traffic)+len(got.periods)+len(got.pages) > 0 || len(got.notes) > 0 {
		t.Errorf("empty site gave err=%v traffic=%d periods=%d pages=%d notes=%q", got.err, len(got.traffic), len(got.periods), len(got.pages), got.notes)
	}
}

// faultWorld is a small history the fault tests share.
func faultWorld() (*world, days.Range, time.Time) {
	w := newWorld(days.Date(2022, 3, 1), days.Date(2022, 3, 31), 4)
	// The window ends with March (and the first quarter), so their figures are due.
	return w, days.Range{From: days.Date(2022, 3, 29), To: days.Date(2022, 3, 31)}, time.Date(2023, 3, 1, 12, 0, 0, 0, time.UTC)
}

func TestRateLimits(t *testing.T) {
	w, window, now := faultWorld()
	tooMany := func(retryAfter string) func(int, http.ResponseWriter, *http.Request) bool {
		return func(n int, rw http.ResponseWriter, _ *http.Request) bool {
			if n > 2 {
				return false
			}
			if retryAfter != "" {
				rw.Header().Set("Retry-After", retryAfter)
			}
			writeJSON(rw, http.StatusTooManyRequests, map[string]string{"result": "error", "message": "Too many requests"})
			return true
		}
	}
	for _, tc := range []struct{ name, retryAfter string }{{"with Retry-After", "1"}, {"without Retry-After", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, w)
			f.setIntercept(tooMany(tc.retryAfter))
			c, logs := newTestCollector(t, startFake(t, f).URL, now, func(o *collectors.HTTPOptions) { o.WaitMax = 2 * time.Second })
			started := time.Now()
			got := collect(t, c, window)
			if got.err != nil {
				t.Fatalf("Collect after two 429s: %v", got.err)
			}
			if tc.retryAfter != "" && time.Since(started) < 1500*time.Millisecond {
				t.Errorf("two Retry-After: 1 answers were waited out in %v", time.Since(started))
			}
			compareTraffic(t, got.traffic, w.wantTraffic(testSite, window))
			assertNoSecret(t, got.err, logs)
		})
	}

	t.Run("long Retry-After stops the run", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(func(n int, rw http.ResponseWriter, _ *http.Request) bool {
			if n < 4 {
				return false
			}
			rw.Header().Set("Retry-After", "3600")
			writeJSON(rw, http.StatusTooManyRequests, map[string]string{"result": "error", "message": "Too many requests"})
			return true
		})
		c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if !errors.Is(got.err, collectors.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", got.err)
		}
		var apiErr *collectors.APIError
		if !errors.As(got.err, &apiErr) || apiErr.RetryAt.Before(time.Now().Add(50*time.Minute)) {
			t.Errorf("err = %v, want an APIError with RetryAt about an hour ahead", got.err)
		}
		if n := len(f.calls()); n != 4 {
			t.Errorf("%d requests, want the run to stop at the 4th", n)
		}
		if len(got.traffic) > 0 {
			t.Errorf("stored %d traffic rows from an incomplete matrix", len(got.traffic))
		}
		assertNoSecret(t, got.err, logs)
	})
}

func TestServerErrorsRecover(t *testing.T) {
	w, window, now := faultWorld()
	f := newFake(t, w)
	f.setIntercept(func(n int, rw http.ResponseWriter, _ *http.Request) bool {
		status := map[int]int{1: http.StatusBadGateway, 2: http.StatusServiceUnavailable, 3: http.StatusInternalServerError}[n]
		if status == 0 {
			return false
		}
		rw.WriteHeader(status)
		_, _ = rw.Write([]byte("<html><body>Bad gateway</body></html>"))
		return true
	})
	c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
	got := collect(t, c, window)
	if got.err != nil {
		t.Fatalf("Collect after a burst of 5xx: %v", got.err)
	}
	compareTraffic(t, got.traffic, w.wantTraffic(testSite, window))
	comparePeriods(t, got.periods, w.wantPeriods(window, false, false))
	if !strings.Contains(logs.String(), "retrying request") {
		t.Errorf("retries were not logged:\n%s", logs.String())
	}
	assertNoSecret(t, got.err, logs)

	t.Run("persistent 500 fails with the source named", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
			writeJSON(rw, http.StatusInternalServerError, map[string]string{"result": "error", "message": "Mysqli statement execute error"})
			return true
		})
		c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if got.err == nil || !strings.Contains(got.err.Error(), "daily traffic: matomo: id_site 3: Referrers.getReferrerType") || !strings.Contains(got.err.Error(), "HTTP 500") {
			t.Errorf("err = %v", got.err)
		}
		assertNoSecret(t, got.err, logs)
	})
}

func TestTimeouts(t *testing.T) {
	w, window, now := faultWorld()
	slow := func(upTo int) func(int, http.ResponseWriter, *http.Request) bool {
		return func(n int, _ http.ResponseWriter, r *http.Request) bool {
			if n > upTo {
				return false
			}
			// Reading the body lets the server notice the client giving up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return true
		}
	}
	short := func(o *collectors.HTTPOptions) { o.AttemptTimeout = 100 * time.Millisecond; o.RetryMax = 2 }

	t.Run("a slow answer is retried", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(slow(1))
		c, _ := newTestCollector(t, startFake(t, f).URL, now, short)
		got := collect(t, c, window)
		if got.err != nil {
			t.Fatalf("Collect after one timeout: %v", got.err)
		}
		compareTraffic(t, got.traffic, w.wantTraffic(testSite, window))
	})
	t.Run("a server that never answers fails the run", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(slow(1 << 30))
		c, logs := newTestCollector(t, startFake(t, f).URL, now, short)
		started := time.Now()
		got := collect(t, c, window)
		if got.err == nil || !strings.Contains(got.err.Error(), "daily traffic: matomo: id_site 3: Referrers.getReferrerType") {
			t.Errorf("err = %v, want a matomo error naming the request", got.err)
		}
		if errors.Is(got.err, collectors.ErrUnauthorized) || errors.Is(got.err, collectors.ErrRateLimited) {
			t.Errorf("a timeout is classified as %v", got.err)
		}
		if time.Since(started) > 10*time.Second {
			t.Errorf("gave up after %v", time.Since(started))
		}
		assertNoSecret(t, got.err, logs)
	})
}

func TestMalformedAnswers(t *testing.T) {
	w, window, now := faultWorld()
	for _, tc := range []struct{ name, body, want string }{
		{"truncated JSON", `{"2022-03-07": [{"label": "Direkte trafikk", "nb_visits": 3`, "Referrers.getReferrerType answered malformed JSON"},
		{"a web page", "<!DOCTYPE html><html><head><title>Sign in - Matomo</title></head></html>", "answered a web page, not JSON: check that base_url is the Matomo instance"},
		{"a count that is not a number", `{"2022-03-07": [{"label": "Direkte trafikk", "nb_visits": "many", "segment": "referrerType==direct"}]}`, "malformed rows"},
		{"not keyed by day", `[{"label": "Direkte trafikk", "nb_visits": 3, "segment": "referrerType==direct"}]`, "expected an object keyed by date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, w)
			f.setIntercept(func(_ int, rw http.ResponseWriter, r *http.Request) bool {
				if r.URL.Query().Get("method") != "Referrers.getReferrerType" {
					return false
				}
				rw.Header().Set("Content-Type", "application/json")
				_, _ = rw.Write([]byte(tc.body))
				return true
			})
			c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
			got := collect(t, c, window)
			if got.err == nil || !strings.Contains(got.err.Error(), tc.want) || !strings.HasPrefix(got.err.Error(), "daily traffic: matomo: ") {
				t.Errorf("err = %v, want it to contain %q", got.err, tc.want)
			}
			if len(got.traffic) > 0 {
				t.Errorf("stored %d traffic rows from a malformed answer", len(got.traffic))
			}
			// The other parts still run: periods and pages are complete on their own.
			comparePeriods(t, got.periods, w.wantPeriods(window, false, false))
			assertNoSecret(t, got.err, logs)
		})
	}
}

func TestCredentials(t *testing.T) {
	w, window, now := faultWorld()
	for _, tc := range []struct {
		name       string
		authStatus int
		matomo     string
	}{
		{"Matomo 5 answers 401", http.StatusUnauthorized, "Unable to authenticate with the provided token"},
		{"older Matomo answers 200 with an error", http.StatusOK, "You can't access this resource as it requires 'view' access for the website id = 3."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, w)
			f.token, f.authStatus = "a-token-that-was-revoked", tc.authStatus
			c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
			got := collect(t, c, window)
			if !errors.Is(got.err, collectors.ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", got.err)
			}
			msg := got.err.Error()
			for _, part := range []string{"matomo: id_site 3", "check the token setting", "view access to id_site 3", tc.matomo} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q does not say %q", msg, part)
				}
			}
			if n := len(f.calls()); n != 1 {
				t.Errorf("%d requests after the token was refused, want 1", n)
			}
			if got.traffic != nil || got.periods != nil || got.pages != nil {
				t.Errorf("records stored although the token was refused")
			}
			assertNoSecret(t, got.err, logs)
		})
	}

	t.Run("an error echoing the token is redacted", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
			writeJSON(rw, http.StatusOK, map[string]string{"result": "error", "message": "token_auth " + testToken + " is not valid"})
			return true
		})
		c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if !errors.Is(got.err, collectors.ErrUnauthorized) || !strings.Contains(got.err.Error(), "[redacted]") {
			t.Errorf("err = %v, want ErrUnauthorized with the token redacted", got.err)
		}
		assertNoSecret(t, got.err, logs)
	})

	t.Run("other errors in a 200 answer are errors, not credential problems", func(t *testing.T) {
		f := newFake(t, w)
		f.setIntercept(func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
			writeJSON(rw, http.StatusOK, map[string]string{"result": "error", "message": "The method 'getReferrerType' does not exist or is not available in the module 'Referrers'."})
			return true
		})
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		got := collect(t, c, window)
		if got.err == nil || errors.Is(got.err, collectors.ErrUnauthorized) || !strings.Contains(got.err.Error(), "Matomo answered: The method 'getReferrerType' does not exist") {
			t.Errorf("err = %v", got.err)
		}
	})
}

// TestUnprocessedSegments: when Matomo may not process segments (its segmented reports come back
// empty), no day is stored with a wrong split, the error says what to change, and the figures
// that need no segment are still stored.
func TestUnprocessedSegments(t *testing.T) {
	w, window, now := faultWorld()
	f := newFake(t, w)
	f.unprocessedSegments = true
	c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
	got := collect(t, c, window)
	if got.err == nil || !strings.Contains(got.err.Error(), "3 days were not stored") || !strings.Contains(got.err.Error(), "browser_archiving_disabled_enforce = 0") {
		t.Errorf("err = %v, want one naming the days and the setting", got.err)
	}
	if errors.Is(got.err, collectors.ErrUnauthorized) || errors.Is(got.err, collectors.ErrRateLimited) {
		t.Errorf("err = %v is classified as a credential or rate problem", got.err)
	}
	if len(got.traffic) > 0 {
		t.Errorf("stored %d traffic rows", len(got.traffic))
	}
	comparePeriods(t, got.periods, w.wantPeriods(window, false, false))
	if len(got.pages) != 50 {
		t.Errorf("stored %d top pages, want 50", len(got.pages))
	}
	assertNoSecret(t, got.err, logs)
}

// TestFiguresThatDoNotAddUp: a day whose segmented figures disagree with the unsegmented ones is
// not stored: today it is noted (Matomo is still archiving it), an earlier day is an error.
func TestFiguresThatDoNotAddUp(t *testing.T) {
	w := newWorld(days.Date(2022, 3, 1), days.Date(2022, 3, 31), 5)
	yesterday, today := days.Date(2022, 3, 20), days.Date(2022, 3, 21)
	now := time.Date(2022, 3, 21, 15, 0, 0, 0, collectortest.Oslo)
	window := days.Range{From: yesterday, To: today}
	for _, tc := range []struct {
		name    string
		extraOn time.Time
	}{{"today", today}, {"an earlier day", yesterday}} {
		t.Run(tc.name, func(t *testing.T) {
			// The unsegmented report counts one more visit than the segmented ones, as when a visit
			// arrives between two archivings.
			later := &world{days: map[time.Time][]cell{}}
			for d, cells := range w.days {
				later.days[d] = slices.Clone(cells)
			}
			later.days[tc.extraOn][0].visits++
			f := newFake(t, w)
			unsegmented := newFake(t, later)
			f.setIntercept(func(_ int, rw http.ResponseWriter, r *http.Request) bool {
				if r.URL.Query().Get("method") != "Referrers.getReferrerType" {
					return false
				}
				unsegmented.ServeHTTP(rw, r)
				return true
			})
			c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
			got := collect(t, c, window)
			kept := days.Range{From: yesterday, To: today}
			if tc.extraOn.Equal(today) {
				kept.To = yesterday
				if got.err != nil {
					t.Errorf("err = %v, want none: today is collected again next time", got.err)
				}
				if !slices.ContainsFunc(got.notes, func(n string) bool { return strings.Contains(n, "today's figures (2022-03-21) did not add up yet") }) {
					t.Errorf("notes = %q, want one about today", got.notes)
				}
			} else {
				kept.From = today
				if got.err == nil || !strings.Contains(got.err.Error(), "2022-03-20: referrerType==") {
					t.Errorf("err = %v, want one naming 2022-03-20", got.err)
				}
			}
			compareTraffic(t, got.traffic, w.wantTraffic(testSite, kept))
		})
	}
}

func TestSettings(t *testing.T) {
	build := func(text string, env map[string]string) (*collector, error) {
		s := collectortest.Settings(t, "matomo", text, env)
		return newCollector(s, nil)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"no site", "base_url: https://matomo.example/\nid_site: 3\ntoken: x\n", "site is required"},
		{"no base_url", "site: innomed.no\nid_site: 3\ntoken: x\n", "base_url: is required"},
		{"base_url not http", "site: innomed.no\nbase_url: matomo.example\nid_site: 3\ntoken: x\n", "base_url: \"matomo.example\" is not an http(s) address"},
		{"no id_site", "site: innomed.no\nbase_url: https://matomo.example/\ntoken: x\n", "id_site is required"},
		{"no token", "site: innomed.no\nbase_url: https://matomo.example/\nid_site: 3\n", "token is required"},
		{"unknown key", "site: innomed.no\nbase_url: https://matomo.example/\nidsite: 3\ntoken: x\n", "unknown key idsite"},
		{"campaign_channel not a channel", "site: innomed.no\nbase_url: https://matomo.example/\nid_site: 3\ntoken: x\ncampaign_channel: newsletter\n", "campaign_channel \"newsletter\" is not a channel; use one of organic_search"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build(tc.text, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "matomo: ") {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	for base, want := range map[string]string{
		"https://matomo.example":           "https://matomo.example/index.php",
		"https://matomo.example/":          "https://matomo.example/index.php",
		"https://example.org/matomo/":      "https://example.org/matomo/index.php",
		"https://matomo.example/index.php": "https://matomo.example/index.php",
	} {
		c, err := build("site: innomed.no\nbase_url: "+base+"\nid_site: 3\ntoken: x\n", nil)
		if err != nil {
			t.Errorf("base_url %s: %v", base, err)
		} else if c.endpoint != want {
			t.Errorf("base_url %s: endpoint %s, want %s", base, c.endpoint, want)
		}
	}
	c, err := build("site: innomed.no\nbase_url: https://matomo.example/\nid_site: 3\n", map[string]string{"REKKEVIDDE_SOURCE_MATOMO_TOKEN": testToken})
	if err != nil || c.token.Value() != testToken {
		t.Errorf("token from the environment: %v", err)
	}
	k := Kind()
	if k.Name != "matomo" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 || k.New == nil {
		t.Errorf("Kind() = %+v", k)
	}
}

// TestCampaignChannel: Matomo's "Campaigns" are stored as e-mail by default (InnoMed's tagged
// links are newsletter links) and as the configured channel otherwise.
func TestCampaignChannel(t *testing.T) {
	w, window, now := faultWorld()
	for setting, want := range map[string]string{"": figures.ChannelEmail, "campaign_channel: paid\n": figures.ChannelPaid} {
		s := collectortest.Settings(t, "matomo", fmt.Sprintf("site: %s\nbase_url: %s/\nid_site: %d\ntoken: %s\n%s", testSite,
			startFake(t, newFake(t, w)).URL, testIDSite, testToken, setting), nil)
		s.Now = func() time.Time { return now }
		c, err := newCollector(s, func(o *collectors.HTTPOptions) { o.RequestsPerSecond, o.Burst = 1e6, 1000 })
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, c, window)
		if got.err != nil {
			t.Fatal(got.err)
		}
		var campaign, other uint64
		for _, r := range got.traffic {
			switch r.Channel {
			case want:
				campaign += r.Sessions
			case figures.ChannelPaid, figures.ChannelEmail:
				other += r.Sessions
			}
		}
		var truth uint64
		window.Each(func(day time.Time) {
			for _, c := range w.days[day] {
				if c.referrer == "campaign" {
					truth += c.visits
				}
			}
		})
		if truth == 0 || campaign != truth || other != 0 {
			t.Errorf("setting %q: %d campaign visits stored as %s (and %d as the other), want %d", setting, campaign, want, other, truth)
		}
	}
}
