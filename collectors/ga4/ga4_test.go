package ga4

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// Expected canonical names, written out here rather than read from collectors/channels.go, so a
// change to that table shows up as a failing test.
var (
	wantChannel = map[string]string{
		"Organic Search": "organic_search", "Organic Shopping": "organic_search", "Direct": "direct",
		"Organic Social": "social", "Referral": "referral", "Affiliates": "referral", "Email": "email",
		"Paid Search": "paid", "Paid Social": "paid", "Unassigned": "other", "(not set)": "other",
	}
	wantDevice = map[string]string{"desktop": "desktop", "mobile": "mobile", "tablet": "tablet", "smart tv": "other"}
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func window(from, to string) days.Range { return days.Range{From: day(from), To: day(to)} }

type trafficKey struct {
	date            string
	channel, device string
}

type trafficCounts struct{ visitors, sessions, pageviews, newVisitors uint64 }

func trafficOf(records []figures.Record) map[trafficKey]trafficCounts {
	out := map[trafficKey]trafficCounts{}
	for _, r := range records {
		if t, ok := r.(figures.WebTrafficDay); ok {
			k := trafficKey{days.Format(t.Date), t.Channel, t.Device}
			if _, dup := out[k]; dup {
				panic(fmt.Sprintf("two records for %v", k))
			}
			out[k] = trafficCounts{t.Visitors, t.Sessions, t.Pageviews, t.NewVisitors}
		}
	}
	return out
}

// expectedTraffic sums the dataset's GA rows onto canonical channel × device per day. A day
// without traffic between two days with traffic is one all-zero "other"/"other" row; days without
// traffic at the window's edges get nothing.
func expectedTraffic(d dataset, w days.Range) map[trafficKey]trafficCounts {
	out := map[trafficKey]trafficCounts{}
	var withTraffic []time.Time
	w.Each(func(day time.Time) {
		if len(d.traffic(day)) > 0 {
			withTraffic = append(withTraffic, day)
		}
	})
	if len(withTraffic) == 0 {
		return out
	}
	days.Range{From: withTraffic[0], To: withTraffic[len(withTraffic)-1]}.Each(func(day time.Time) {
		cells := d.traffic(day)
		if len(cells) == 0 {
			out[trafficKey{days.Format(day), "other", "other"}] = trafficCounts{}
		}
		for _, c := range cells {
			k := trafficKey{days.Format(day), wantChannel[c.channel], wantDevice[c.device]}
			v := out[k]
			out[k] = trafficCounts{v.visitors + c.users, v.sessions + c.sessions, v.pageviews + c.views, v.newVisitors + c.newUsers}
		}
	})
	return out
}

func periodsOf(records []figures.Record) map[string]figures.WebVisitorsPeriod {
	out := map[string]figures.WebVisitorsPeriod{}
	for _, r := range records {
		if p, ok := r.(figures.WebVisitorsPeriod); ok {
			out[p.Period+" "+days.Format(p.PeriodStart)] = p
		}
	}
	return out
}

func topPagesOf(records []figures.Record) []figures.TopPage {
	var out []figures.TopPage
	for _, r := range records {
		if p, ok := r.(figures.TopPage); ok {
			out = append(out, p)
		}
	}
	return out
}

func collect(t *testing.T, c *Collector, w days.Range) (*collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return sink, c.Collect(ctx, w, sink)
}

func mustCollect(t *testing.T, c *Collector, w days.Range) *collectors.Sink {
	t.Helper()
	sink, err := collect(t, c, w)
	if err != nil {
		t.Fatalf("collect %s: %v", w, err)
	}
	return sink
}

// answerDims serves a fixture for the requests with the given dimensions, the dataset otherwise.
func answerDims(f *fakeGA, byDims map[string]string) func(fakeRequest) *fakeAnswer {
	return func(req fakeRequest) *fakeAnswer {
		if name, ok := byDims[req.dims()]; ok {
			return f.fixtureAnswer(http.StatusOK, name)
		}
		return nil
	}
}

const trafficDims = "date,sessionDefaultChannelGroup,deviceCategory"

func TestKind(t *testing.T) {
	k := Kind()
	if k.Name != "ga4" || k.Interval != 6*time.Hour || k.LookbackDays != 3 || k.ChunkDays != 31 || k.New == nil {
		t.Fatalf("Kind() = %+v", k)
	}
}

func TestDailyTrafficFromFixture(t *testing.T) {
	f := newFakeGA(t)
	f.setAnswer(answerDims(f, map[string]string{trafficDims: "traffic_2024-01-01_2024-01-03.json"}))
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2024-01-01", "2024-01-03"))

	want := map[trafficKey]trafficCounts{
		{"2024-01-01", "organic_search", "desktop"}: {63, 71, 188, 44},
		{"2024-01-01", "organic_search", "mobile"}:  {35, 38, 77, 29},
		{"2024-01-01", "organic_search", "other"}:   {1, 1, 1, 1}, // smart tv
		{"2024-01-01", "direct", "desktop"}:         {41, 46, 97, 30},
		{"2024-01-01", "direct", "mobile"}:          {22, 24, 40, 19},
		{"2024-01-01", "paid", "desktop"}:           {5 + 3, 5 + 4, 9 + 6, 5 + 3}, // Paid Search + Paid Social
		{"2024-01-01", "paid", "mobile"}:            {7, 7, 8, 7},
		{"2024-01-01", "other", "desktop"}:          {1 + 2, 1 + 2, 1 + 2, 0 + 2}, // (not set) + Unassigned
		// GA had no row for 2 January while it had rows for the days around it: nobody came.
		{"2024-01-02", "other", "other"}:           {},
		{"2024-01-03", "organic_search", "mobile"}: {40 + 1, 44 + 1, 90 + 2, 31 + 1}, // + Organic Shopping
		{"2024-01-03", "direct", "desktop"}:        {58, 64, 150, 37},
		{"2024-01-03", "social", "mobile"}:         {9, 10, 12, 8},
		{"2024-01-03", "referral", "desktop"}:      {11 + 1, 12 + 1, 29 + 3, 7 + 1}, // + Affiliates
		{"2024-01-03", "email", "desktop"}:         {12, 14, 31, 6},
		{"2024-01-03", "email", "tablet"}:          {2, 2, 5, 1},
	}
	if got := trafficOf(sink.Records()); !equalMaps(got, want) {
		t.Errorf("traffic:\n got %v\nwant %v", got, want)
	}
	for _, r := range sink.Records() {
		if tr, ok := r.(figures.WebTrafficDay); !ok || tr.SiteID != testSite {
			t.Errorf("unexpected record %#v", r)
		}
	}
	reqs := f.requestsFor(trafficDims)
	if len(reqs) != 1 {
		t.Fatalf("%d traffic requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.DateRanges[0].StartDate != "2024-01-01" || r.DateRanges[0].EndDate != "2024-01-03" {
		t.Errorf("date range %+v", r.DateRanges)
	}
	if len(r.OrderBys) == 0 || r.OrderBys[0].Dimension == nil || r.OrderBys[0].Dimension.DimensionName != "date" {
		t.Errorf("traffic request is not ordered by date first: %+v", r.OrderBys)
	}
	var metrics []string
	for _, m := range r.Metrics {
		metrics = append(metrics, m.Name)
	}
	if !slices.Equal(metrics, []string{"totalUsers", "sessions", "screenPageViews", "newUsers"}) {
		t.Errorf("metrics %v", metrics)
	}
	if n := f.requestCount(); n != 1 {
		t.Errorf("%d requests for a window that completes no period, want 1", n)
	}
}

func equalMaps[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// 14 July 2022 had no traffic in the dataset: between days with traffic it is written as zero,
// at the window's edge it is left alone.
func TestDaysWithoutTraffic(t *testing.T) {
	noTraffic := trafficKey{"2022-07-14", "other", "other"}
	cases := map[string]struct {
		window days.Range
		zero   bool
	}{
		"between days with traffic": {window("2022-07-13", "2022-07-15"), true},
		"first day of the window":   {window("2022-07-14", "2022-07-16"), false},
		"last day of the window":    {window("2022-07-12", "2022-07-14"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			c, _ := newTestCollector(t, f, "", fastOptions())
			got := trafficOf(mustCollect(t, c, tc.window).Records())
			counts, written := got[noTraffic]
			if written != tc.zero || counts != (trafficCounts{}) {
				t.Errorf("14 July written %v (%v), want %v", written, counts, tc.zero)
			}
			for k := range got {
				if k.date == "2022-07-14" && k != noTraffic {
					t.Errorf("unexpected row %v", k)
				}
			}
			if want := expectedTraffic(f.data, tc.window); !equalMaps(got, want) {
				t.Errorf("traffic:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestPagingAcrossManyPages(t *testing.T) {
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	c.pageSize = 7
	w := window("2022-03-01", "2022-03-31")
	sink := mustCollect(t, c, w)

	if got, want := trafficOf(sink.Records()), expectedTraffic(f.data, w); !equalMaps(got, want) {
		t.Errorf("traffic over %d pages differs from the dataset:\n got %v\nwant %v", len(f.requestsFor(trafficDims)), got, want)
	}
	rows := 0
	w.Each(func(d time.Time) { rows += len(f.data.traffic(d)) })
	reqs := f.requestsFor(trafficDims)
	if want := (rows + 6) / 7; len(reqs) != want || want < 50 {
		t.Fatalf("%d traffic pages for %d rows, want %d (≥ 50)", len(reqs), rows, want)
	}
	for i, r := range reqs {
		if r.Limit != 7 || int(r.Offset) != 7*i {
			t.Errorf("page %d asked limit %d offset %d, want 7 and %d", i, r.Limit, r.Offset, 7*i)
		}
	}
}

// The requirement: the quarter's unique visitors are GA's figure for the whole quarter,
// which is smaller than the sum of the days' users, and not a sum of the months either.
func TestQuarterUniquesAreGAsOwnNotSumOfDays(t *testing.T) {
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2022-01-01", "2022-03-31"))

	periods := periodsOf(sink.Records())
	q1 := periods["quarter 2022-01-01"]
	if q1.Visitors == nil {
		t.Fatalf("no Q1 figure; periods: %v", periods)
	}
	wantQ1 := f.data.uniques(day("2022-01-01"), day("2022-03-31"))
	var summedDays, summedMonths uint64
	for _, tr := range trafficOf(sink.Records()) {
		summedDays += tr.visitors
	}
	for _, m := range []string{"2022-01-01", "2022-02-01", "2022-03-01"} {
		p := periods["month "+m]
		if p.Visitors == nil {
			t.Fatalf("no figure for month %s", m)
		}
		summedMonths += *p.Visitors
	}
	if *q1.Visitors != wantQ1 {
		t.Errorf("Q1 visitors %d, want GA's quarter figure %d", *q1.Visitors, wantQ1)
	}
	if wantQ1 >= summedDays || wantQ1 >= summedMonths {
		t.Fatalf("fixture broken: the quarter's figure %d should be below the days' sum %d and the months' sum %d", wantQ1, summedDays, summedMonths)
	}
	wantNew, wantReturning := wantQ1*2/5, wantQ1*7/10
	if q1.NewVisitors == nil || *q1.NewVisitors != wantNew || q1.ReturningVisitors == nil || *q1.ReturningVisitors != wantReturning {
		t.Errorf("Q1 new/returning %v/%v, want %d/%d", q1.NewVisitors, q1.ReturningVisitors, wantNew, wantReturning)
	}
	if !q1.PeriodEnd.Equal(day("2022-03-31")) || q1.SiteID != testSite {
		t.Errorf("Q1 record %+v", q1)
	}
	if _, ok := periods["year 2022-01-01"]; ok || len(periods) != 4 {
		t.Errorf("periods %v: want January–March and Q1 only (the year does not end in the window)", periods)
	}
	for _, r := range f.requestsFor("") {
		from, to := r.from(), r.to()
		if p, _ := days.PeriodOf(days.Month, from); !(p.Start.Equal(from) && p.End.Equal(to)) {
			if q, _ := days.PeriodOf(days.Quarter, from); !(q.Start.Equal(from) && q.End.Equal(to)) {
				t.Errorf("unique-visitor request for %s..%s is not a whole month or quarter", days.Format(from), days.Format(to))
			}
		}
	}
}

func TestRunningPeriodsAreAskedUpToToday(t *testing.T) {
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	today := days.Of(testNow, collectortest.Oslo) // 2026-03-10
	sink := mustCollect(t, c, window("2026-03-08", "2026-03-10"))

	periods := periodsOf(sink.Records())
	for key, start := range map[string]string{"month 2026-03-01": "2026-03-01", "quarter 2026-01-01": "2026-01-01", "year 2026-01-01": "2026-01-01"} {
		p, ok := periods[key]
		want := f.data.uniques(day(start), today)
		if !ok || p.Visitors == nil || *p.Visitors != want {
			t.Errorf("%s: %+v, want visitors %d (up to today)", key, p, want)
		}
	}
	if len(periods) != 3 {
		t.Errorf("periods %v, want the running month, quarter and year", periods)
	}
	for _, r := range f.requestsFor("") {
		if !r.to().Equal(today) {
			t.Errorf("running period asked up to %s, want today %s", days.Format(r.to()), days.Format(today))
		}
	}
	if n := len(topPagesOf(sink.Records())); n != defaultTopPages {
		t.Errorf("%d top pages for the running month, want %d", n, defaultTopPages)
	}
}

func TestPeriodsToFetch(t *testing.T) {
	today := day("2026-03-10")
	names := func(ps []days.Period) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Kind+" "+days.Format(p.Start))
		}
		return out
	}
	t.Run("a backfill in chunks fetches each period once", func(t *testing.T) {
		seen := map[string]int{}
		for _, chunk := range window("2022-01-01", "2022-12-31").Chunks(31) {
			for _, n := range names(periodsToFetch(chunk, today)) {
				seen[n]++
			}
		}
		if len(seen) != 12+4+1 {
			t.Errorf("fetched %d periods, want 17: %v", len(seen), seen)
		}
		for n, times := range seen {
			if times != 1 || !strings.Contains(n, " 2022-") {
				t.Errorf("%s fetched %d times", n, times)
			}
		}
	})
	cases := map[string]struct {
		window days.Range
		today  time.Time
		want   []string
	}{
		"running periods when the window reaches today": {window("2026-03-08", "2026-03-10"), today,
			[]string{"month 2026-03-01", "quarter 2026-01-01", "year 2026-01-01"}},
		"a month that ended in the lookback, and the running ones": {window("2026-02-27", "2026-03-02"), day("2026-03-02"),
			[]string{"month 2026-02-01", "month 2026-03-01", "quarter 2026-01-01", "year 2026-01-01"}},
		"a past window inside a month": {window("2022-01-10", "2022-01-20"), today, nil},
		"periods not started are skipped": {window("2026-03-01", "2026-12-31"), today,
			[]string{"month 2026-03-01", "quarter 2026-01-01", "year 2026-01-01"}},
		"the end of a year completes month, quarter and year": {window("2025-12-29", "2025-12-31"), today,
			[]string{"month 2025-12-01", "quarter 2025-10-01", "year 2025-01-01"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := names(periodsToFetch(tc.window, tc.today)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// expectedTopPages ranks the dataset's paths by their views over a month, whatever their titles,
// and names each with its most viewed title (ties: the alphabetically first).
func expectedTopPages(d dataset, from, to time.Time, n int) []figures.TopPage {
	views := d.pageViews(from, to)
	perPath := map[string]uint64{}
	bestTitle := map[string]string{}
	for k, v := range views {
		perPath[k.path] += v
		best := bestTitle[k.path]
		if cur := views[pageKey{k.path, best}]; best == "" || v > cur || (v == cur && k.title < best) {
			bestTitle[k.path] = k.title
		}
	}
	paths := slices.SortedFunc(maps.Keys(perPath), func(a, b string) int {
		return cmp.Or(cmp.Compare(perPath[b], perPath[a]), strings.Compare(a, b))
	})
	var out []figures.TopPage
	for _, p := range paths[:min(n, len(paths))] {
		out = append(out, figures.TopPage{SiteID: testSite, Month: from, Path: p, Title: bestTitle[p], Pageviews: perPath[p]})
	}
	return out
}

func TestTopPagesRankedByPathWithMostViewedTitle(t *testing.T) {
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2022-03-29", "2022-03-31"))

	views := f.data.pageViews(day("2022-03-01"), day("2022-03-31"))
	want := expectedTopPages(f.data, day("2022-03-01"), day("2022-03-31"), defaultTopPages)
	if got := topPagesOf(sink.Records()); !slices.Equal(got, want) {
		t.Fatalf("top pages:\n got %+v\nwant %+v", got, want)
	}
	// Ranking (path, title) pairs instead would undercount retitled pages: the fixture must hold
	// a case where that changes the list, or this test could not tell the two apart.
	pairs := slices.SortedFunc(maps.Keys(views), func(a, b pageKey) int {
		return cmp.Or(cmp.Compare(views[b], views[a]), strings.Compare(a.path, b.path))
	})
	naive := 0
	for _, k := range pairs[:defaultTopPages] {
		naive += int(views[k])
	}
	exact := 0
	for _, p := range want {
		exact += int(p.Pageviews)
	}
	if naive >= exact {
		t.Fatalf("fixture broken: ranking by path and title gives %d views in the top list, by path %d", naive, exact)
	}
}

// Several fixtures in their documented shapes: an empty traffic answer, a whole period's total
// and its newVsReturning split with thresholding, and a top list with GA's "(other)" row.
func TestFixtureAnswers(t *testing.T) {
	f := newFakeGA(t)
	f.setAnswer(answerDims(f, map[string]string{
		trafficDims:          "traffic_empty.json",
		"":                   "visitors_total.json",
		"newVsReturning":     "visitors_new_vs_returning.json",
		"pagePath":           "top_pages_ranked.json",
		"pagePath,pageTitle": "top_pages_titles.json",
	}))
	c, _ := newTestCollector(t, f, "top_pages: 5\n", fastOptions())
	sink := mustCollect(t, c, window("2024-01-29", "2024-01-31"))

	if n := len(trafficOf(sink.Records())); n != 0 {
		t.Errorf("%d traffic records from an empty answer, want none", n)
	}
	jan := periodsOf(sink.Records())["month 2024-01-01"]
	if jan.Visitors == nil || jan.NewVisitors == nil || jan.ReturningVisitors == nil || *jan.Visitors != 8001 || *jan.NewVisitors != 5390 || *jan.ReturningVisitors != 3102 || !jan.PeriodEnd.Equal(day("2024-01-31")) {
		t.Errorf("January: %+v", jan)
	}
	want := []figures.TopPage{
		{SiteID: testSite, Month: day("2024-01-01"), Path: "/", Title: "Forside - InnoMed", Pageviews: 4210},
		{SiteID: testSite, Month: day("2024-01-01"), Path: "/verktoy/innovasjonsguiden", Title: "Innovasjonsguiden - InnoMed", Pageviews: 1873},
		{SiteID: testSite, Month: day("2024-01-01"), Path: "/om-oss", Title: "Om oss - InnoMed", Pageviews: 1202},
		{SiteID: testSite, Month: day("2024-01-01"), Path: "/arrangementer", Title: "Arrangementer - InnoMed", Pageviews: 988},
		{SiteID: testSite, Month: day("2024-01-01"), Path: "/nyheter/velferdsteknologi-2024", Title: "Velferdsteknologi i 2024 - InnoMed", Pageviews: 640},
	}
	if got := topPagesOf(sink.Records()); !slices.Equal(got, want) {
		t.Errorf("top pages:\n got %+v\nwant %+v", got, want)
	}
	ranked := f.requestsFor("pagePath")
	if len(ranked) != 1 || ranked[0].Limit != 6 || ranked[0].OrderBys[0].Metric == nil || !ranked[0].OrderBys[0].Desc {
		t.Errorf("ranking request %+v: want limit 6 ordered by views, descending", ranked)
	}
	titles := f.requestsFor("pagePath,pageTitle")
	if len(titles) != 1 || titles[0].DimensionFilter == nil || len(titles[0].DimensionFilter.Filter.InListFilter.Values) != 5 {
		t.Errorf("titles request %+v: want a filter on the 5 listed paths", titles)
	}
	notes := strings.Join(sink.Notes(), "\n")
	for _, want := range []string{"no traffic for 2024-01-29..2024-01-31", "thresholding", `"(other)"`} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestEmptyPeriodWritesNothing(t *testing.T) {
	f := newFakeGA(t)
	f.setAnswer(func(req fakeRequest) *fakeAnswer {
		if req.dims() == trafficDims {
			return f.fixtureAnswer(http.StatusOK, "traffic_empty.json")
		}
		return f.fixtureAnswer(http.StatusOK, "visitors_empty.json")
	})
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2024-01-29", "2024-01-31"))
	if n := len(sink.Records()); n != 0 {
		t.Errorf("%d records from empty answers, want none: %v", n, sink.Records())
	}
	if len(f.requestsFor("newVsReturning")) != 0 {
		t.Error("asked for new/returning of a period without visitors")
	}
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "no visitors for the month starting 2024-01-01") {
		t.Errorf("notes: %s", notes)
	}
}

func TestNotesOnThresholdingAndTimeZone(t *testing.T) {
	f := newFakeGA(t)
	f.setAnswer(answerDims(f, map[string]string{trafficDims: "traffic_other_timezone.json"}))
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2024-01-01", "2024-01-01"))
	notes := strings.Join(sink.Notes(), "\n")
	for _, want := range []string{"America/Los_Angeles", "Europe/Oslo", "thresholding"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestMalformedAnswers(t *testing.T) {
	cases := map[string]struct {
		answer *fakeAnswer
		want   string
	}{
		"truncated JSON":     {&fakeAnswer{body: []byte(`{"dimensionHeaders":[{"name":"date"}],"rows":[{"dimensionValues":`)}, "malformed JSON"},
		"html error page":    {&fakeAnswer{body: []byte(`<html><body>Bad gateway</body></html>`)}, "malformed JSON"},
		"fractional count":   {nil, `metric sessions = "24.5" is not a whole number`},
		"rows out of order":  {nil, "rows are not in date order"},
		"rowCount as string": {&fakeAnswer{body: []byte(`{"rows":[],"rowCount":"x"}`)}, "malformed JSON"},
	}
	fixtures := map[string]string{"fractional count": "traffic_fractional_metric.json", "rows out of order": "traffic_unordered.json"}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			f.setAnswer(func(fakeRequest) *fakeAnswer {
				if tc.answer != nil {
					return tc.answer
				}
				return f.fixtureAnswer(http.StatusOK, fixtures[name])
			})
			c, _ := newTestCollector(t, f, "", fastOptions())
			sink, err := collect(t, c, window("2024-01-01", "2024-01-03"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "daily traffic: ga4: ") {
				t.Fatalf("err = %v, want one naming the family, starting ga4: and saying %q", err, tc.want)
			}
			if errors.Is(err, collectors.ErrRateLimited) || errors.Is(err, collectors.ErrUnauthorized) {
				t.Errorf("a malformed answer is neither a rate limit nor refused credentials: %v", err)
			}
			if n := len(sink.Records()); n != 0 {
				t.Errorf("%d records from a malformed answer", n)
			}
		})
	}
}

// A failure on a later page keeps the days the earlier pages held whole, and only those.
func TestFailedPageKeepsCompleteDays(t *testing.T) {
	f := newFakeGA(t)
	f.setFault(func(n int, req fakeRequest) *fakeAnswer {
		if req.dims() == trafficDims && req.Offset == 50 {
			return f.fixtureAnswer(http.StatusBadRequest, "error_400_invalid_argument.json")
		}
		return nil
	})
	c, _ := newTestCollector(t, f, "", fastOptions())
	c.pageSize = 10
	w := window("2022-03-01", "2022-03-10")
	sink, err := collect(t, c, w)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "not a valid dimension") {
		t.Fatalf("err = %v, want GA's 400 message", err)
	}
	// The first 50 rows in GA's order end on some day; the days before it are whole.
	var seen []time.Time
	w.Each(func(d time.Time) {
		for range f.data.traffic(d) {
			seen = append(seen, d)
		}
	})
	lastSeen := seen[49]
	want := expectedTraffic(f.data, days.Range{From: w.From, To: lastSeen.AddDate(0, 0, -1)})
	if len(want) == 0 {
		t.Fatal("fixture broken: the first two pages hold no whole day")
	}
	if got := trafficOf(sink.Records()); !equalMaps(got, want) {
		t.Errorf("kept:\n got %v\nwant %v", got, want)
	}
}

func TestRateLimits(t *testing.T) {
	cases := map[string]struct {
		fixture    string
		retryAfter string
		// wantHits is 1 when the client must not retry, 1+RetryMax when it retries and gives up.
		wantHits    int
		wantRetryAt func(sent time.Time) time.Time
	}{
		// GA names the exhausted quota: a retry before it refills would only be refused.
		"daily quota, no Retry-After": {"error_429_tokens_per_day.json", "", 1,
			func(time.Time) time.Time { return testNow.Add(24 * time.Hour) }},
		"hourly quota, no Retry-After": {"error_429_tokens_per_hour.json", "", 1,
			func(time.Time) time.Time { return testNow.Add(time.Hour) }},
		"long Retry-After stops at once": {"error_429_tokens_per_hour.json", "3600", 1,
			func(sent time.Time) time.Time { return sent.Add(time.Hour) }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			f.setFault(func(int, fakeRequest) *fakeAnswer {
				a := f.fixtureAnswer(http.StatusTooManyRequests, tc.fixture)
				if tc.retryAfter != "" {
					a.header = http.Header{"Retry-After": {tc.retryAfter}}
				}
				return a
			})
			c, _ := newTestCollector(t, f, "", fastOptions())
			sent := time.Now()
			sink, err := collect(t, c, window("2022-03-29", "2022-03-31"))
			if !errors.Is(err, collectors.ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			if !strings.Contains(err.Error(), "quota exhausted") || !strings.Contains(err.Error(), "Exhausted property tokens") {
				t.Errorf("err = %v: want it to say the quota is exhausted, with GA's message", err)
			}
			var apiErr *collectors.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v carries no *APIError for the runner's RetryAt", err)
			}
			if want := tc.wantRetryAt(sent); apiErr.RetryAt.Sub(want).Abs() > 5*time.Second {
				t.Errorf("RetryAt %s, want about %s", apiErr.RetryAt, want)
			}
			if hits := f.hitCount(); hits != tc.wantHits {
				t.Errorf("%d requests, want %d: a quota stop must not burn retries or go on to other reports", hits, tc.wantHits)
			}
			if n := len(sink.Records()); n != 0 {
				t.Errorf("%d records", n)
			}
		})
	}
}

func TestTransientFailuresRecover(t *testing.T) {
	cases := map[string]func(f *fakeGA, n int) *fakeAnswer{
		"concurrent-requests 429s": func(f *fakeGA, n int) *fakeAnswer {
			if n <= 2 {
				return f.fixtureAnswer(http.StatusTooManyRequests, "error_429_concurrent.json")
			}
			return nil
		},
		"5xx burst": func(f *fakeGA, n int) *fakeAnswer {
			switch n {
			case 1:
				return f.fixtureAnswer(http.StatusInternalServerError, "error_500_internal.json")
			case 2:
				return &fakeAnswer{status: http.StatusServiceUnavailable, body: []byte(`{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`)}
			case 3:
				return &fakeAnswer{status: http.StatusBadGateway, body: []byte(`<html>502</html>`)}
			}
			return nil
		},
		"a slow answer times out and is retried": func(f *fakeGA, n int) *fakeAnswer {
			if n == 1 {
				return &fakeAnswer{delay: 2 * time.Second, body: collectortest.Fixture(f.t, "traffic_empty.json")}
			}
			return nil
		},
	}
	for name, fault := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			f.setFault(func(n int, _ fakeRequest) *fakeAnswer { return fault(f, n) })
			opts := fastOptions()
			opts.AttemptTimeout = 300 * time.Millisecond
			c, _ := newTestCollector(t, f, "", opts)
			w := window("2022-03-01", "2022-03-03")
			sink := mustCollect(t, c, w)
			if got, want := trafficOf(sink.Records()), expectedTraffic(f.data, w); !equalMaps(got, want) {
				t.Errorf("traffic after recovery differs:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// GA failing after retries ends each family at its first report: every 5xx counts against GA's
// hourly budget of server errors, so the other periods of a family are not asked; the next family
// is still tried once, since its report may work.
func TestPersistentServerErrorsStopTheRun(t *testing.T) {
	f := newFakeGA(t)
	f.setFault(func(int, fakeRequest) *fakeAnswer {
		return f.fixtureAnswer(http.StatusInternalServerError, "error_500_internal.json")
	})
	c, _ := newTestCollector(t, f, "", fastOptions())
	_, err := collect(t, c, window("2022-03-29", "2022-03-31"))
	if err == nil || !strings.Contains(err.Error(), "GA4 kept failing after retries") || !strings.Contains(err.Error(), "Internal error encountered") {
		t.Fatalf("err = %v", err)
	}
	// Daily traffic, March's unique visitors (not Q1's), March's split, March's top pages.
	if hits := f.hitCount(); hits != 4*4 {
		t.Errorf("%d requests, want 16: one report per family with its 3 retries", hits)
	}
}

func TestTimeoutGivesUp(t *testing.T) {
	f := newFakeGA(t)
	f.setFault(func(int, fakeRequest) *fakeAnswer { return &fakeAnswer{delay: time.Minute} })
	t.Run("every attempt too slow", func(t *testing.T) {
		opts := fastOptions()
		opts.AttemptTimeout = 100 * time.Millisecond
		c, _ := newTestCollector(t, f, "", opts)
		hits := f.hitCount()
		_, err := collect(t, c, window("2022-03-29", "2022-03-31"))
		if err == nil || !strings.Contains(err.Error(), "ga4: property "+testProperty+": daily traffic") {
			t.Fatalf("err = %v, want a ga4 error naming the report", err)
		}
		if n := f.hitCount() - hits; n != 4 {
			t.Errorf("%d requests, want 4: one report with its 3 retries, then stop", n)
		}
	})
	t.Run("the run's deadline", func(t *testing.T) {
		c, _ := newTestCollector(t, f, "", fastOptions())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		started := time.Now()
		err := c.Collect(ctx, window("2022-03-01", "2022-03-03"), &collectors.Sink{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if took := time.Since(started); took > 5*time.Second {
			t.Errorf("took %s to notice the deadline", took)
		}
	})
}

func TestCredentialsRefused(t *testing.T) {
	t.Run("a key Google does not know", func(t *testing.T) {
		f := newFakeGA(t)
		c, _ := newCollectorWithKey(t, f, unknownKey(), "", fastOptions())
		_, err := collect(t, c, window("2022-03-01", "2022-03-03"))
		checkKeyRefused(t, f, c, err)
	})
	t.Run("a deleted key", func(t *testing.T) {
		f := newFakeGA(t)
		f.setRefuseKey(true)
		c, _ := newTestCollector(t, f, "", fastOptions())
		_, err := collect(t, c, window("2022-03-01", "2022-03-03"))
		checkKeyRefused(t, f, c, err)
	})
}

func checkKeyRefused(t *testing.T, f *fakeGA, c *Collector, err error) {
	t.Helper()
	if !errors.Is(err, collectors.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"ga4: property " + testProperty, "service-account key (" + c.keyOrigin + ")", "Invalid JWT Signature", "create a new JSON key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nlacks %q", err, want)
		}
	}
	if hits := f.hitCount(); hits != 0 {
		t.Errorf("%d report requests without a token", hits)
	}
}

// Token calls go through the shared client: retried on 5xx, and ended with the run's context.
func TestTokenEndpointRetriedAndCancelled(t *testing.T) {
	t.Run("5xx then a token", func(t *testing.T) {
		f := newFakeGA(t)
		f.setTokenFault(func(n int) *fakeAnswer {
			if n <= 2 {
				return &fakeAnswer{status: http.StatusServiceUnavailable, body: []byte(`{"error":"temporarily_unavailable"}`)}
			}
			return nil
		})
		c, _ := newTestCollector(t, f, "", fastOptions())
		mustCollect(t, c, window("2022-03-01", "2022-03-03"))
		if n := f.tokenRequests(); n != 3 {
			t.Errorf("%d token requests, want 3", n)
		}
	})
	t.Run("a token endpoint that hangs", func(t *testing.T) {
		f := newFakeGA(t)
		f.setTokenFault(func(int) *fakeAnswer { return &fakeAnswer{delay: time.Minute} })
		c, _ := newTestCollector(t, f, "", fastOptions())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		started := time.Now()
		err := c.Collect(ctx, window("2022-03-01", "2022-03-03"), &collectors.Sink{})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "access token") {
			t.Fatalf("err = %v, want context.DeadlineExceeded while getting the access token", err)
		}
		if took := time.Since(started); took > 5*time.Second {
			t.Errorf("took %s to notice the deadline", took)
		}
	})
}

func TestAccessTokenReusedAndRenewedAfter401(t *testing.T) {
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	w := window("2022-03-01", "2022-03-03")
	mustCollect(t, c, w)
	mustCollect(t, c, w)
	if n := f.tokenRequests(); n != 1 {
		t.Fatalf("%d token requests for two runs, want 1 (the token lasts an hour)", n)
	}
	// Google revokes the token: the run fails clearly, and the next one signs in again.
	f.mu.Lock()
	clear(f.tokens)
	f.mu.Unlock()
	_, err := collect(t, c, w)
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "did not accept the access token") {
		t.Fatalf("err = %v, want ErrUnauthorized about the access token", err)
	}
	mustCollect(t, c, w)
	if n := f.tokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestPermissionDenied(t *testing.T) {
	cases := map[string]struct{ fixture, want string }{
		"no access to the property": {"error_403_permission_denied.json", "Property access management"},
		"API disabled":              {"error_403_service_disabled.json", "Google Analytics Data API is disabled"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			f.setFault(func(int, fakeRequest) *fakeAnswer { return f.fixtureAnswer(http.StatusForbidden, tc.fixture) })
			c, _ := newTestCollector(t, f, "", fastOptions())
			_, err := collect(t, c, window("2022-03-29", "2022-03-31"))
			if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrUnauthorized saying %q", err, tc.want)
			}
			if hits := f.hitCount(); hits != 1 {
				t.Errorf("%d requests after a 403, want 1", hits)
			}
		})
	}
}

// No error, note or log line may hold the private key, an access token or the signed assertion.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	der, err := x509.MarshalPKCS8PrivateKey(googleKnownKey())
	if err != nil {
		t.Fatal(err)
	}
	keyText := base64.StdEncoding.EncodeToString(der)
	secrets := []string{keyText[100:140], keyText[600:640], keyText[len(keyText)-60 : len(keyText)-20], "ya29.", "eyJ"}

	scenarios := map[string]func(f *fakeGA){
		"ok":      func(*fakeGA) {},
		"refused": func(f *fakeGA) { f.setRefuseKey(true) },
		"403": func(f *fakeGA) {
			f.setFault(func(int, fakeRequest) *fakeAnswer { return f.fixtureAnswer(403, "error_403_service_disabled.json") })
		},
		"429": func(f *fakeGA) {
			f.setFault(func(int, fakeRequest) *fakeAnswer { return f.fixtureAnswer(429, "error_429_tokens_per_day.json") })
		},
		"malformed": func(f *fakeGA) {
			f.setFault(func(int, fakeRequest) *fakeAnswer { return &fakeAnswer{body: []byte("{")} })
		},
		"revoked": func(f *fakeGA) {
			f.setFault(func(n int, _ fakeRequest) *fakeAnswer {
				if n > 1 {
					return f.fixtureAnswer(401, "error_401_unauthenticated.json")
				}
				return nil
			})
		},
	}
	for name, setup := range scenarios {
		t.Run(name, func(t *testing.T) {
			f := newFakeGA(t)
			setup(f)
			c, logs := newTestCollector(t, f, "", fastOptions())
			sink, err := collect(t, c, window("2022-03-29", "2022-03-31"))
			text := fmt.Sprint(err) + "\n" + strings.Join(sink.Notes(), "\n") + "\n" + logs.String()
			f.mu.Lock()
			tokens := slices.Collect(func(yield func(string) bool) {
				for tok := range f.tokens {
					if !yield(tok) {
						return
					}
				}
			})
			f.mu.Unlock()
			collectortest.NoLeak(t, "errors, notes and logs", text, append(secrets, tokens...)...)
		})
	}
}

func TestSettings(t *testing.T) {
	f := newFakeGA(t)
	keyPath := f.keyFile(t, googleKnownKey())
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecJSON, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": testEmail, "token_uri": f.srv.URL + "/token",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))})
	secretLooking := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"

	valid := fmt.Sprintf("site: innomed.no\nproperty_id: \"312345678\"\ncredentials: {file: %s}\n", keyPath)
	cases := map[string]struct {
		block string
		env   map[string]string
		want  string // "" means valid
	}{
		"valid":                      {valid, nil, ""},
		"properties/ prefix":         {strings.Replace(valid, `"312345678"`, "properties/312345678", 1), nil, ""},
		"key from the environment":   {"site: innomed.no\nproperty_id: 312345678\n", map[string]string{"REKKEVIDDE_SOURCE_GA4_CREDENTIALS_FILE": keyPath}, ""},
		"missing site":               {strings.Replace(valid, "site: innomed.no\n", "", 1), nil, "site: missing"},
		"missing property":           {strings.Replace(valid, "property_id: \"312345678\"\n", "", 1), nil, "property_id: missing"},
		"measurement id":             {strings.Replace(valid, `"312345678"`, "G-8KX2M1QZ3B", 1), nil, "measurement id"},
		"bad base_url":               {valid + "base_url: analyticsdata.googleapis.com\n", nil, "base_url"},
		"top_pages out of range":     {valid + "top_pages: 500\n", nil, "top_pages"},
		"unknown key":                {valid + "view_id: 1234\n", nil, "view_id"},
		"missing credentials":        {"site: innomed.no\nproperty_id: 312345678\n", nil, "credentials: missing"},
		"credentials not JSON":       {fmt.Sprintf("site: a\nproperty_id: 1\ncredentials: {file: %s}\n", write("k.pem", secretLooking)), nil, "not a JSON key file"},
		"user credentials":           {fmt.Sprintf("site: a\nproperty_id: 1\ncredentials: {file: %s}\n", write("user.json", `{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`)), nil, `type is "authorized_user"`},
		"key without private_key":    {fmt.Sprintf("site: a\nproperty_id: 1\ncredentials: {file: %s}\n", write("nokey.json", `{"type":"service_account","client_email":"a@b"}`)), nil, "no client_email or private_key"},
		"private key not PEM":        {fmt.Sprintf("site: a\nproperty_id: 1\ncredentials: {file: %s}\n", write("notpem.json", `{"type":"service_account","client_email":"a@b","private_key":"abc"}`)), nil, "not a PEM block"},
		"EC key instead of RSA":      {fmt.Sprintf("site: a\nproperty_id: 1\ncredentials: {file: %s}\n", write("ec.json", string(ecJSON))), nil, "not an RSA key"},
		"credentials file not found": {"site: a\nproperty_id: 1\ncredentials: {file: /nonexistent/ga4.json}\n", nil, "read secret file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := New(testSettings(t, tc.block, tc.env, slog.New(slog.DiscardHandler)))
			if tc.want == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "MIIEvQ") {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
}

// GA rolls the rare rows of a high-cardinality report into one "(other)" row whose dimensions,
// date included, are all "(other)", and says so with metadata.dataLossFromOtherRow ("If true,
// indicates some buckets of dimension combinations are rolled into "(other)" row. This can happen
// for high cardinality reports." — ResponseMetaData,
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/ResponseMetaData).
// That row names no day: the days GA did split are stored as a clean answer stores them, and the
// run is partial with a note saying what was left out, instead of the whole window failing on a
// date that is not YYYYMMDD.
func TestOtherRowInDailyTrafficKeepsTheDays(t *testing.T) {
	w := window("2024-01-01", "2024-01-03")
	clean := newFakeGA(t)
	clean.setAnswer(answerDims(clean, map[string]string{trafficDims: "traffic_2024-01-01_2024-01-03.json"}))
	c, _ := newTestCollector(t, clean, "", fastOptions())
	want := trafficOf(mustCollect(t, c, w).Records())

	f := newFakeGA(t)
	f.setAnswer(answerDims(f, map[string]string{trafficDims: "traffic_other_row.json"}))
	c, _ = newTestCollector(t, f, "", fastOptions())
	sink, err := collect(t, c, w)
	if err == nil || !strings.Contains(err.Error(), `"(other)"`) {
		t.Fatalf("err = %v, want the run partial, naming the (other) row", err)
	}
	if collectors.EndsRun(context.Background(), err) {
		t.Errorf("an (other) row must not end the run: %v", err)
	}
	if got := trafficOf(sink.Records()); !equalMaps(got, want) {
		t.Errorf("traffic with an (other) row:\n got %v\nwant %v (the days of a clean answer)", got, want)
	}
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "daily traffic stored in part") || !strings.Contains(notes, "5 sessions and 9 page views") {
		t.Errorf("notes do not say what the (other) row held:\n%s", notes)
	}
}

// An empty report carries no rows and no rowCount, and may say why in metadata.emptyReason ("If
// empty reason is specified, the report is empty for this reason." — ResponseMetaData,
// https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/ResponseMetaData):
// the run's note passes GA's reason on, and nothing is written.
func TestEmptyReasonIsNoted(t *testing.T) {
	f := newFakeGA(t)
	f.setAnswer(answerDims(f, map[string]string{trafficDims: "traffic_empty_reason.json"}))
	c, _ := newTestCollector(t, f, "", fastOptions())
	sink := mustCollect(t, c, window("2024-01-01", "2024-01-03"))
	if n := len(trafficOf(sink.Records())); n != 0 {
		t.Errorf("%d traffic records from an empty report", n)
	}
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "why the daily traffic report is empty: The property has not collected any data") {
		t.Errorf("notes lack GA's empty reason:\n%s", notes)
	}
}
