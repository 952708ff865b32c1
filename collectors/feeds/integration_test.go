package feeds

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

func dumpPublications(t *testing.T, conn driver.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
SELECT concat(feed_id, '|', item_key, '|', title, '|', link, '|', toString(published_at), '|', category, '|', toString(first_seen))
FROM publications FINAL ORDER BY feed_id, item_key`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		out = append(out, line)
	}
	return out
}

// storedTexts returns every value of every table in the test database as text.
func storedTexts(t *testing.T, conn driver.Conn) string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT table, groupArray(name) FROM system.columns WHERE database = currentDatabase() GROUP BY table`)
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][]string{}
	for rows.Next() {
		var table string
		var columns []string
		if err := rows.Scan(&table, &columns); err != nil {
			t.Fatal(err)
		}
		tables[table] = columns
	}
	_ = rows.Close()
	var b strings.Builder
	for table, columns := range tables {
		parts := make([]string, len(columns))
		for i, c := range columns {
			parts[i] = fmt.Sprintf("ifNull(toString(`%s`), '')", c)
		}
		rows, err := conn.Query(ctx, fmt.Sprintf("SELECT arrayStringConcat([%s], '\t') FROM `%s`", strings.Join(parts, ", "), table))
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(table + "\t" + line + "\n")
		}
		_ = rows.Close()
	}
	return b.String()
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
	clk := &clock{now: start}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	runner := scheduler.NewRunner(st, oslo, log)
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
	clk.advance(2 * time.Hour)
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

	stored := storedTexts(t, st.Conn())
	if !strings.Contains(stored, "publications\t") || !strings.Contains(stored, "collector_runs\t") {
		t.Fatal("the table scan found no publications or runs")
	}
	for _, a := range fixtureAddresses(t) {
		if strings.Contains(stored, a) {
			t.Errorf("%s is stored in ClickHouse", a)
		}
		if strings.Contains(logs.String(), a) {
			t.Errorf("%s is in the log", a)
		}
	}
}
