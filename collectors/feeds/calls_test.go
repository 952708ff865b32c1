package feeds

import (
	"context"
	"io"
	"testing"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
)

// backfillCalls runs a three-year backfill of three feeds step by step, as the runner does; the
// minimum is one GET per feed, since a feed is one document that holds only its latest items.
func backfillCalls(tb testing.TB) (calls, minimum int) {
	f := newFakeFeeds(tb)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml; charset=utf-8", true)
	f.serveFixture("/feed", "mailchimp_archive.xml", "text/xml; charset=UTF-8", false)
	f.serveFixture("/feed/atom/", "atom.xml", "application/atom+xml", false)
	conf := block(feedEntry("news", f.url("/rss.xml"), ""), feedEntry("newsletter", f.url("/feed"), ""), feedEntry("blog", f.url("/feed/atom/"), ""))
	c := newTestCollector(tb, conf, tb.TempDir(), collectortest.NewClock(start), io.Discard)
	for _, step := range (days.Range{From: days.Date(2023, 1, 1), To: days.Date(2025, 12, 31)}).Chunks(Kind().ChunkDays) {
		if err := c.Collect(context.Background(), step, &collectors.Sink{}); err != nil {
			tb.Fatalf("step %s: %v", step, err)
		}
	}
	return len(f.requestLog()), 3
}

func TestAPICallsOfABackfillAreTheMinimum(t *testing.T) {
	calls, minimum := backfillCalls(t)
	collectortest.ReportCalls(t, "feeds", calls, minimum, 1.1)
}

// BenchmarkAPICalls prints the requests a three-year backfill makes against the fake and the
// fewest the feeds allow (see backfillCalls).
func BenchmarkAPICalls(b *testing.B) {
	var calls, minimum int
	for range b.N {
		calls, minimum = backfillCalls(b)
	}
	collectortest.ReportCalls(b, "feeds", calls, minimum, 1.1)
}
