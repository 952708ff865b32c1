package dashboard

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/innomed/rekkevidde/dashboard/api"
)

var serverTimingQueries = regexp.MustCompile(`db;desc="(\d+) queries"`)

// queriesOf is the query count a response reports in its Server-Timing header.
func queriesOf(t *testing.T, r response) int {
	t.Helper()
	m := serverTimingQueries.FindStringSubmatch(r.header.Get("Server-Timing"))
	if m == nil {
		t.Fatalf("no query count in Server-Timing %q", r.header.Get("Server-Timing"))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestQueriesPerPage counts the ClickHouse queries of every dashboard page and of the reports on
// the demo data. The bounds are what each page costs today (a ratchet: lower them as pages get
// cheaper); the targets are ≤ 10 per page and ≤ 15 per uncached annual report. A page
// reads each table once over the whole stretch it shows (query.Cover), so its count is the same
// for every period and however its figures, built side by side, happen to interleave: each page
// is asked for several periods, twice, and must stay within its bound every time.
func TestQueriesPerPage(t *testing.T) {
	_, _, fetch := demoApp(t)
	periods := []string{"", "?period=year&year=2022", "?period=month&year=2022&month=6&grain=week",
		"?period=custom&from=2021-12-20&to=2022-01-10", "?period=quarter&year=2022&quarter=2&compare=year"}
	pages := []struct {
		path string
		max  int
	}{
		// Discovery, the freshness strip (2), web, followers and subscribers, campaigns, events
		// (with the upcoming ones), publications and the sources note.
		{"/", 9},
		// Discovery, web (traffic and unique visitors), top pages, publications, markers, sources.
		{"/nettsted", 6},
		// Discovery, followers (with subscribers), reach, markers, sources.
		{"/sosiale-medier", 5},
		// Discovery, subscribers (with followers), campaigns, markers, sources.
		{"/nyhetsbrev", 5},
		// Discovery, events with their sectors, sources.
		{"/arrangementer", 3},
	}
	for _, pg := range pages {
		for _, period := range periods {
			for range 2 {
				r := fetch(pg.path + period)
				if r.status != http.StatusOK {
					t.Errorf("GET %s%s: %d", pg.path, period, r.status)
					continue
				}
				n := queriesOf(t, r)
				t.Logf("%s%s: %d queries", pg.path, period, n)
				if n > pg.max {
					t.Errorf("GET %s%s made %d queries, more than %d", pg.path, period, n, pg.max)
				}
			}
		}
	}
	reports := []struct {
		path string
		max  int
	}{
		// A report reads each figure table once over its stretch (query.ReadReport: web, levels,
		// reach, campaigns, events, publications, top pages), plus history, discovery, provenance
		// and its publication record, whatever form it leaves in (the designed quarterly
		// document's events per quarter are the stretch's).
		{"/rapporter/ar/2022", 12},
		{"/rapporter/ar/2022/csv", 12},
		{"/rapporter/ar/2022/xlsx", 12},
		{"/rapporter/ar/2022/json", 12},
		{"/rapporter/kvartal/2022-q3", 11},
		{"/rapporter/kvartal/2022-q3/csv", 11},
		{"/rapporter/kvartal/2022-q3/xlsx", 11},
		{"/rapporter/kvartal/2022-q3/json", 11},
	}
	for _, c := range reports {
		r := fetch(c.path)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", c.path, r.status)
			continue
		}
		n := queriesOf(t, r)
		t.Logf("%s: %d queries", c.path, n)
		if n > c.max {
			t.Errorf("GET %s made %d queries, more than %d", c.path, n, c.max)
		}
	}
}

// TestQueriesPerAPIReport counts the read API's report forms, built by the same report builder as
// the pages (internal/report), so they cost the same.
func TestQueriesPerAPIReport(t *testing.T) {
	st := demoStore(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	for _, path := range []string{"/api/v1/reports/annual/2022", "/api/v1/reports/quarterly/2022-Q3"} {
		r := apiGet(t, app, path, token)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d %.200s", path, r.status, r.body)
			continue
		}
		n := queriesOf(t, r)
		t.Logf("%s: %d queries", path, n)
		if n > 12 {
			t.Errorf("GET %s made %d queries, more than 12", path, n)
		}
	}
}
