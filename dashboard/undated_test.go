package dashboard

import (
	"context"
	"net/http"
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
