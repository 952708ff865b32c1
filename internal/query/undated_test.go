package query_test

import (
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
)

// A feed item without a publication date is stored at the column's zero (1970-01-01 UTC, which is
// 01:00 on 1 January 1970 in Oslo). It must count in no month, start no data extent, mark no chart,
// and be counted only as undated.
func TestUndatedPublicationsCountInNoMonth(t *testing.T) {
	st, q, ctx, loc := fresh(t)
	seen := time.Date(2022, time.June, 21, 10, 0, 0, 0, time.UTC)
	items := []figures.Publication{
		{FeedID: "feed", ItemKey: "dated", Title: "Ny rapport", Link: "https://example.no/r",
			PublishedAt: time.Date(2022, time.June, 20, 9, 0, 0, 0, time.UTC), FirstSeen: seen},
		{FeedID: "feed", ItemKey: "undated", Title: "Uten dato", Link: "https://example.no/u", FirstSeen: seen},
		{FeedID: "other", ItemKey: "undated", Title: "Uten dato", Link: "https://example.no/o", FirstSeen: seen},
	}
	for _, p := range items {
		if p.Dated() != (p.ItemKey == "dated") {
			t.Fatalf("%s: Dated() = %v", p.ItemKey, p.Dated())
		}
		insert(t, st, p.Table(), append(p.Columns(), "source", "version"), append(p.Values(), "rss", uint64(1)))
	}
	if n := scalar(t, st, `SELECT count() FROM publications WHERE toYear(published_at) = 1970`); n != 2 {
		t.Fatalf("fixture: %v rows at the column's zero, want 2", n)
	}

	d, err := q.Discover(ctx, "site", loc)
	if err != nil {
		t.Fatal(err)
	}
	if d.Extent.Empty || !d.Extent.First.Equal(day(2022, time.June, 20)) || !d.Extent.Last.Equal(day(2022, time.June, 20)) {
		t.Errorf("extent = %+v, want 2022-06-20..2022-06-20 (the undated items start nothing)", d.Extent)
	}
	for _, y := range d.Extent.Years() {
		if y == 1970 {
			t.Errorf("years offered %v include 1970", d.Extent.Years())
		}
	}

	for _, s := range []days.Span{days.YearSpan(1970), days.MonthSpan(1970, time.January), days.YearSpan(2022)} {
		months, undated, err := q.PublicationsPerMonth(ctx, nil, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		if undated != 2 {
			t.Errorf("%s: %d undated, want 2", s.Range(), undated)
		}
		total := 0
		for _, m := range months {
			total += m.Count
			if m.Count > 0 && !m.Month.Equal(day(2022, time.June, 1)) {
				t.Errorf("%s: %d items counted in %s", s.Range(), m.Count, m.Month.Format("2006-01"))
			}
		}
		want := 0
		if s.From.Year() == 2022 {
			want = 1
		}
		if total != want {
			t.Errorf("%s: %d items over the months, want %d", s.Range(), total, want)
		}
		anns, err := q.Annotations(ctx, query.AnnotationScope{Feeds: []string{"feed", "other"}, Location: loc}, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(anns) != want {
			t.Errorf("%s: markers %+v, want %d", s.Range(), anns, want)
		}
	}

	undated, err := q.UndatedPublications(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(undated) != 2 || undated["feed"] != 1 || undated["other"] != 1 {
		t.Errorf("undated = %v, want feed:1 other:1", undated)
	}
	if undated, err = q.UndatedPublications(ctx, []string{"feed"}); err != nil || len(undated) != 1 || undated["feed"] != 1 {
		t.Errorf("undated for feed = %v, %v; want feed:1", undated, err)
	}
}
