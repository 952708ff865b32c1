package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/figures"
)

// An item without a publication date is shown as undated beside the months, outside the total,
// and does not put 1970 in the year picker.
func TestPublicationsShowUndatedApart(t *testing.T) {
	st, _, fetch := demoApp(t)
	p := figures.Publication{FeedID: demo.FeedID, ItemKey: "uten-dato", Title: "Uten dato", Link: "https://example.no/u",
		FirstSeen: time.Date(2022, time.June, 21, 10, 0, 0, 0, time.UTC)}
	if err := st.Insert(context.Background(), p.Table(), append(p.Columns(), "source", "version"),
		[][]any{append(p.Values(), "rss", uint64(1))}); err != nil {
		t.Fatal(err)
	}
	r := fetch("/nettsted?period=year&year=2022")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	pubs := figureHTML(r.body, "publiseringer")
	if !strings.Contains(pubs, `<th scope="row">Udatert</th><td class="num">1</td>`) {
		t.Errorf("no undated row in %s", pubs)
	}
	if !strings.Contains(pubs, "1 saker i nyhetsstrømmen har ingen publiseringsdato") {
		t.Error("no note on the undated item")
	}
	if !strings.Contains(r.body, `value="2021"`) {
		t.Fatal("the year picker is not where this test looks")
	}
	if strings.Contains(r.body, `value="1970"`) || strings.Contains(r.body, ">1970<") {
		t.Error("the page offers 1970")
	}
}

// The visits table carries each month's pageviews: the sum of its days, adding up to the year.
func TestVisitsTableShowsPageviewsPerMonth(t *testing.T) {
	st, _, fetch := demoApp(t)
	rows := csvRows(t, fetch("/nettsted/besok.csv?period=year&year=2022"), ';')
	col := -1
	for i, h := range rows[0] {
		if h == "Sidevisninger" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no pageviews column in %q", rows[0])
	}
	var sum int64
	for _, row := range rows[1:] {
		n, err := strconv.ParseInt(strings.ReplaceAll(row[col], " ", ""), 10, 64)
		if err != nil {
			t.Fatalf("pageviews cell %q: %v", row[col], err)
		}
		sum += n
	}
	var want uint64
	if err := st.Conn().QueryRow(context.Background(), `SELECT sum(pageviews) FROM web_traffic_daily FINAL
		WHERE site_id = 'innomed.no' AND toYear(date) = 2022`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 || want == 0 || sum != int64(want) {
		t.Errorf("%d months of pageviews add up to %d, want 12 months and %d", len(rows)-1, sum, want)
	}
}
