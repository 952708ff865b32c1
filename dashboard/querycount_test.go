package dashboard

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
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
// cheaper); the targets are ≤ 10 per page and ≤ 15 per uncached annual report. A page's
// figures are built concurrently, so a read two figures share is sometimes one query and sometimes
// two: each bound is the worst case.
func TestQueriesPerPage(t *testing.T) {
	_, _, fetch := demoApp(t)
	cases := []struct {
		path string
		max  int
	}{
		{"/?period=year&year=2022", 22},
		{"/nettsted?period=year&year=2022", 17}, // 16 or 17: figures built at once may split a shared provenance read
		{"/sosiale-medier?period=year&year=2022", 10},
		{"/nyhetsbrev?period=year&year=2022", 8},
		{"/arrangementer?period=year&year=2022", 13},
		{"/rapporter/ar/2022", 37},         // 34 before the publication guard and withdrawals added their reads
		{"/rapporter/kvartal/2022-q3", 26}, // 24 before the designed document read the quarters' events and their sectors (one read each)
	}
	for _, c := range cases {
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
