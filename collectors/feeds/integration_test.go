package feeds

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

func dumpPublications(t *testing.T, conn driver.Conn) []string {
	t.Helper()
	return collectortest.Lines(t, conn, `
SELECT concat(feed_id, '|', item_key, '|', title, '|', link, '|', toString(published_at), '|', category, '|', toString(first_seen))
FROM publications FINAL ORDER BY feed_id, item_key`)
}

// Three good feeds and a broken one through the runner: the good feeds' items are stored once, the
// run is partial and says why; a later backfill by a restarted process (304 for the feed with an
// ETag) leaves every row as it was, first-seen times included; nothing personal is stored or logged.
func TestIntegrationFeedsThroughTheRunner(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml; charset=utf-8", true)
	f.serveFixture("/feed", "mailchimp_archive.xml", "text/xml; charset=UTF-8", false)
	f.serveFixture("/feed/atom/", "atom.xml", "application/atom+xml", false)
	f.serveFixture("/cut.xml", "truncated.xml", "application/rss+xml", false)
	conf := block(feedEntry("innomed-news", f.url("/rss.xml"), "nettsak"), feedEntry("newsletter-archive", f.url("/feed"), "nyhetsbrev"),
		feedEntry("blog", f.url("/feed/atom/"), ""), feedEntry("broken", f.url("/cut.xml"), ""))
	state := t.TempDir()
	clk := collectortest.NewClock(start)
	logs := &collectortest.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	runner := scheduler.NewRunner(st, collectortest.Oslo, log)
	year := days.Range{From: days.Date(2024, 1, 1), To: days.Date(2024, 12, 31)}

	src := scheduler.Source{ID: "publications", Kind: "feeds", Collector: newTestCollector(t, conf, state, clk, logs), ChunkDays: 31}
	sum, err := runner.Backfill(ctx, src, year, false, nil)
	if err != nil || sum.Status != scheduler.StatusPartial || sum.Done != 12 || sum.Partial != 1 {
		t.Fatalf("backfill: %+v, %v; want 12 chunks, the first partial", sum, err)
	}
	if !strings.Contains(sum.Err.Error(), "feed broken") {
		t.Errorf("run error %v should name the broken feed", sum.Err)
	}
	var fetches int
	for _, r := range f.requestLog() {
		if r.path != "/cut.xml" {
			fetches++
		}
	}
	if fetches != 3 {
		t.Errorf("%d fetches of the good feeds in a 12-chunk backfill, want one each", fetches)
	}
	first := dumpPublications(t, st.Conn())
	if len(first) != 6+3+2 {
		t.Fatalf("%d publications stored, want the 11 items of the good feeds:\n%s", len(first), strings.Join(first, "\n"))
	}
	wantFirstSeen := start.UTC().Format(time.DateTime)
	for _, line := range first {
		if !strings.HasSuffix(line, "|"+wantFirstSeen) {
			t.Errorf("row %s: first seen should be %s", line, wantFirstSeen)
		}
	}

	// Two hours later a restarted process backfills again.
	clk.Advance(2 * time.Hour)
	src.Collector = newTestCollector(t, conf, state, clk, logs)
	if _, err := runner.Backfill(ctx, src, year, true, nil); err != nil {
		t.Fatal(err)
	}
	if again := dumpPublications(t, st.Conn()); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("a second backfill changed the publications:\n%s\nthen\n%s", strings.Join(first, "\n"), strings.Join(again, "\n"))
	}
	var notModified bool
	for _, r := range f.requestLog() {
		if r.path == "/rss.xml" && r.status == 304 {
			notModified = true
		}
	}
	if !notModified {
		t.Error("the news feed was downloaded again despite its ETag")
	}

	stored := collectortest.StoredText(t, st.Conn(), 2)
	if !strings.Contains(stored, "publications\t") || !strings.Contains(stored, "collector_runs\t") {
		t.Fatal("the table scan found no publications or runs")
	}
	addresses := collectortest.FixtureEmailAddresses(t, 3)
	collectortest.NoLeak(t, "ClickHouse", stored, addresses...)
	collectortest.NoLeak(t, "the log", logs.String(), addresses...)
}

// An item without a publication date is stored undated: published_at is the column's zero, so it
// counts in no month, and never in the month it was first seen.
func TestIntegrationUndatedItemsCountInNoMonth(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	f := newFakeFeeds(t)
	f.serveFixture("/kunngjoringer.xml", "missing.xml", "application/rss+xml", false)
	conf := block(feedEntry("notices", f.url("/kunngjoringer.xml"), "kunngjøring"))
	clk := collectortest.NewClock(start)
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	src := scheduler.Source{ID: "publications", Kind: "feeds", Collector: newTestCollector(t, conf, t.TempDir(), clk, &collectortest.LogBuffer{}), ChunkDays: 31}
	if _, err := runner.Backfill(ctx, src, days.Range{From: days.Of(start, collectortest.Oslo), To: days.Of(start, collectortest.Oslo)}, false, nil); err != nil {
		t.Fatal(err)
	}
	got := collectortest.Lines(t, st.Conn(), `
SELECT concat(toString(countIf(published_at = toDateTime(0))), ' undated, ',
              toString(countIf(published_at = first_seen)), ' dated when first seen, dated: ',
              arrayStringConcat(groupArrayIf(toString(published_at), published_at != toDateTime(0)), ','))
FROM publications FINAL`)
	if len(got) != 1 || got[0] != "2 undated, 0 dated when first seen, dated: 2025-01-06 08:00:00" {
		t.Fatalf("stored %v", got)
	}
}
