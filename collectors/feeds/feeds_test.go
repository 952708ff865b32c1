package feeds

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/figures"
)

var start = time.Date(2025, 1, 20, 9, 17, 43, 0, collectortest.Oslo)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func block(feeds ...string) string {
	return "feeds:\n" + strings.Join(feeds, "")
}

func feedEntry(id, url, category string) string {
	s := fmt.Sprintf("  - id: %s\n    url: %s\n", id, url)
	if category != "" {
		s += "    category: " + category + "\n"
	}
	return s
}

func TestSettings(t *testing.T) {
	cases := []struct{ name, block, want string }{
		{"no feeds", "max_bytes: 100", "feeds is required"},
		{"no id", "feeds:\n  - url: https://www.innomed.no/rss.xml", "feeds[0].id is required"},
		{"twice", block(feedEntry("a", "https://x.no/a", ""), feedEntry("a", "https://x.no/b", "")), `feeds[1].id "a" is used twice`},
		{"bad url", block(feedEntry("a", "www.innomed.no/rss.xml", "")), "feeds[0].url"},
		{"negative max", block(feedEntry("a", "https://x.no/a", "")) + "max_bytes: -1", "max_bytes"},
		{"unknown key", block(feedEntry("a", "https://x.no/a", "")) + "window: 3", "unknown key window"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(testSettings(t, tc.block, t.TempDir(), collectortest.NewClock(start), io.Discard))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "feeds: ") {
				t.Fatalf("error = %v, want one naming %q", err, tc.want)
			}
		})
	}
	s := testSettings(t, block(feedEntry("a", "https://x.no/a", "")), "", collectortest.NewClock(start), io.Discard)
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "state_dir") {
		t.Errorf("error = %v, want state_dir required", err)
	}
}

// Drupal's rss.xml, the Mailchimp campaign archive and an Atom feed, each read as the documented
// markup says: GUID, link or Atom id as the key; titles as plain text; dates in UTC; the item's
// categories, else the feed's.
func TestThreeKindsOfFeed(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml; charset=utf-8", true)
	f.serveFixture("/feed", "mailchimp_archive.xml", "text/xml; charset=UTF-8", false)
	f.serveFixture("/feed/atom/", "atom.xml", "application/atom+xml; charset=UTF-8", false)
	clk := collectortest.NewClock(start)
	c := newTestCollector(t, block(
		feedEntry("innomed-news", f.url("/rss.xml"), "nettsak"),
		feedEntry("newsletter-archive", f.url("/feed"), "nyhetsbrev"),
		feedEntry("blog", f.url("/feed/atom/"), ""),
	), t.TempDir(), clk, io.Discard)
	got, sink, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	seen := start.UTC()
	want := []figures.Publication{
		{FeedID: "innomed-news", ItemKey: "412 at https://www.innomed.no", Title: "Ny veileder for tjenesteinnovasjon",
			Link: "https://www.innomed.no/aktuelt/ny-veileder-tjenesteinnovasjon", PublishedAt: utc("2025-01-14T09:30:00Z"), Category: "nettsak"},
		{FeedID: "innomed-news", ItemKey: "409 at https://www.innomed.no", Title: "Innovasjonspris 2024: vinnerne er kåret",
			Link: "https://www.innomed.no/aktuelt/innovasjonspris-2024", PublishedAt: utc("2024-12-20T13:15:00Z"), Category: "Nyheter, Innovasjonspris"},
		{FeedID: "innomed-news", ItemKey: "407 at https://www.innomed.no", Title: "Helse & omsorg: R&D-midler lyst ut",
			Link: "https://www.innomed.no/aktuelt/helse-og-omsorg-midler", PublishedAt: utc("2024-12-10T08:00:00Z"), Category: "nettsak"},
		{FeedID: "innomed-news", ItemKey: "405 at https://www.innomed.no", Title: "Webinar: Kunstig intelligens",
			Link: "https://www.innomed.no/arrangementer/webinar-kunstig-intelligens", PublishedAt: utc("2024-12-02T12:00:00Z"), Category: "nettsak"},
		{FeedID: "innomed-news", ItemKey: "401 at https://www.innomed.no", Title: "Nasjonal møteplass 2025 – påmelding åpen",
			Link: "https://www.innomed.no/arrangementer/nasjonal-moteplass-2025", PublishedAt: utc("2024-11-20T10:00:00Z"), Category: "nettsak"},
		{FeedID: "innomed-news", ItemKey: "398 at https://www.innomed.no", Title: "Spørreundersøkelse: svar til [e-mail address]",
			Link: "https://www.innomed.no/aktuelt/sporreundersokelse", PublishedAt: utc("2024-11-07T07:45:00Z"), Category: "nettsak"},
		{FeedID: "newsletter-archive", ItemKey: "https://mailchi.mp/innomed/webinar-kunstig-intelligens-4821733", Title: "Webinar: Kunstig intelligens",
			Link: "https://mailchi.mp/innomed/webinar-kunstig-intelligens-4821733", PublishedAt: utc("2025-02-03T07:30:00Z"), Category: "nyhetsbrev"},
		{FeedID: "newsletter-archive", ItemKey: "https://mailchi.mp/innomed/nyhetsbrev-januar-2025-4810022", Title: "Nytt fra InnoMed – januar 2025",
			Link: "https://mailchi.mp/innomed/nyhetsbrev-januar-2025-4810022", PublishedAt: utc("2025-01-15T08:00:00Z"), Category: "nyhetsbrev"},
		{FeedID: "newsletter-archive", ItemKey: "https://us21.campaign-archive.com/?u=0123456789abcdef0123456&id=2b7e15c0d4", Title: "Nytt fra InnoMed – desember 2024",
			Link: "https://us21.campaign-archive.com/?u=0123456789abcdef0123456&id=2b7e15c0d4", PublishedAt: utc("2024-12-10T08:00:00Z"), Category: "nyhetsbrev"},
		{FeedID: "blog", ItemKey: "https://blogg.innomed.no/?p=1187", Title: "Tjenestedesign i kommunene & sykehusene",
			Link: "https://blogg.innomed.no/2025/01/tjenestedesign/", PublishedAt: utc("2025-01-17T07:00:00Z"), Category: "Tjenestedesign"},
		// No <published>: the update time stands in.
		{FeedID: "blog", ItemKey: "https://blogg.innomed.no/?p=1154", Title: "Fem år med InnoMed-nettverket",
			Link: "https://blogg.innomed.no/2024/12/fem-ar/", PublishedAt: utc("2024-12-19T14:00:00Z"), Category: ""},
	}
	if len(got) != len(want) {
		t.Errorf("got %d items, want %d", len(got), len(want))
	}
	for _, w := range want {
		w.FirstSeen = seen
		if g := got[w.FeedID+"|"+w.ItemKey]; g != w {
			t.Errorf("item %s|%s\n got %+v\nwant %+v", w.FeedID, w.ItemKey, g, w)
		}
	}
	if len(sink.Notes()) != 0 {
		t.Errorf("notes %v, want none: every item has a date", sink.Notes())
	}
}

func hashKey(title, date string) string {
	sum := sha256.Sum256([]byte(title + "\n" + date))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Items without a GUID fall back to the link, then to a hash of title and date; items without a
// date are stored undated (never as published when first seen), their first-seen time stays put
// on later runs, and a note counts them.
func TestMissingDatesAndGUIDs(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/kunngjoringer.xml", "missing.xml", "application/rss+xml", false)
	clk := collectortest.NewClock(start)
	state := t.TempDir()
	conf := block(feedEntry("notices", f.url("/kunngjoringer.xml"), "kunngjøring"))
	got, sink, err := collect(t, newTestCollector(t, conf, state, clk, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	first := start.UTC()
	want := map[string]figures.Publication{
		"https://www.innomed.no/kunngjoringer/romjul":                                {Title: "Kontoret er stengt i romjulen", Link: "https://www.innomed.no/kunngjoringer/romjul"},
		hashKey("Ny adresse fra 1. mars", "not a date"):                              {Title: "Ny adresse fra 1. mars"},
		hashKey("Utlysning: prosjektmidler 2025", "Mon, 06 Jan 2025 09:00:00 +0100"): {Title: "Utlysning: prosjektmidler 2025", PublishedAt: utc("2025-01-06T08:00:00Z")},
	}
	check := func(got map[string]figures.Publication) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %d items %v, want %d", len(got), got, len(want))
		}
		for key, w := range want {
			w.FeedID, w.ItemKey, w.Category, w.FirstSeen = "notices", key, "kunngjøring", first
			if g := got["notices|"+key]; g != w {
				t.Errorf("item %s\n got %+v\nwant %+v", key, g, w)
			}
			if g := got["notices|"+key]; g.Dated() != !w.PublishedAt.IsZero() {
				t.Errorf("item %s dated %v", key, g.Dated())
			}
		}
	}
	check(got)
	if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "2 item(s) have no readable date") {
		t.Errorf("notes %q, want the two undated items counted", notes)
	}
	// Hours later, from a new process (a new collector on the same state): same first-seen times.
	clk.Advance(3 * time.Hour)
	got, _, err = collect(t, newTestCollector(t, conf, state, clk, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	check(got)
}

func TestLatin1Feed(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/helse.rss", "latin1.xml", "application/rss+xml", false)
	c := newTestCollector(t, block(feedEntry("kommune", f.url("/helse.rss"), "")), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	p := got["kommune|https://www.example-kommune.no/helse/velferdsteknologi"]
	if p.Title != "Blåbær, ærfugl og økt velferdsteknologi" || p.Category != "Velferdsteknologi" || !p.PublishedAt.Equal(utc("2025-01-09T10:00:00Z")) {
		t.Errorf("ISO-8859-1 item read as %+v", p)
	}
}

// A broken feed fails alone: the good ones are stored and the error names each broken feed.
func TestBrokenFeedsAmongGoodOnes(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml; charset=utf-8", true)
	f.serveFixture("/wrong.xml", "wrong_encoding.xml", "application/rss+xml", false)
	f.serveFixture("/cut.xml", "truncated.xml", "application/rss+xml", false)
	f.serveFixture("/page", "not_a_feed.html", "text/html; charset=utf-8", false)
	f.serveFixture("/feed/atom/", "atom.xml", "application/atom+xml", false)
	c := newTestCollector(t, block(
		feedEntry("news", f.url("/rss.xml"), ""),
		feedEntry("wrong", f.url("/wrong.xml"), ""),
		feedEntry("cut", f.url("/cut.xml"), ""),
		feedEntry("page", f.url("/page"), ""),
		feedEntry("gone", f.url("/gone.xml"), ""),
		feedEntry("blog", f.url("/feed/atom/"), ""),
	), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err == nil {
		t.Fatal("want an error for the broken feeds")
	}
	for _, id := range []string{"feed wrong", "feed cut", "feed page", "feed gone"} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q should name %s", err, id)
		}
	}
	if !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("error %q should give the missing feed's 404", err)
	}
	var news, blog int
	for _, p := range got {
		switch p.FeedID {
		case "news":
			news++
		case "blog":
			blog++
		default:
			t.Errorf("item of broken feed %s stored: %+v", p.FeedID, p)
		}
	}
	if news != 6 || blog != 2 {
		t.Errorf("stored %d news items and %d blog items, want 6 and 2", news, blog)
	}
}

func TestOversizeFeed(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			f := newFakeFeeds(t)
			body := collectortest.Fixture(t, "drupal_rss.xml")
			f.intercept = func(r *http.Request, w http.ResponseWriter) bool {
				w.Header().Set("Content-Type", "application/rss+xml")
				if chunked {
					// Two flushed writes: no Content-Length, the size is only known by reading.
					_, _ = w.Write(body[:100])
					w.(http.Flusher).Flush()
					_, _ = w.Write(body[100:])
				} else {
					_, _ = w.Write(body)
				}
				return true
			}
			c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), ""))+"max_bytes: 2048\n", t.TempDir(), collectortest.NewClock(start), io.Discard)
			got, _, err := collect(t, c)
			if err == nil || !strings.Contains(err.Error(), "max_bytes 2048") || !strings.Contains(err.Error(), "feed news") {
				t.Fatalf("error %v, want the feed and max_bytes named", err)
			}
			if len(got) != 0 {
				t.Errorf("items of an oversize feed stored: %v", got)
			}
		})
	}
}

// The connection breaks off before the announced length: an error, nothing stored.
func TestTruncatedTransfer(t *testing.T) {
	f := newFakeFeeds(t)
	body := collectortest.Fixture(t, "drupal_rss.xml")
	f.intercept = func(r *http.Request, w http.ResponseWriter) bool {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body[:len(body)/2])
		return true
	}
	c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), "")), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err == nil || !strings.Contains(err.Error(), "feed news") {
		t.Fatalf("error %v, want the truncated feed named", err)
	}
	if len(got) != 0 {
		t.Errorf("items of a truncated feed stored: %v", got)
	}
}

// The second run sends the ETag, gets 304 and downloads nothing, and stores the same items with the
// same first-seen time; a changed feed is read again and only the new item is first seen then.
func TestConditionalGet(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml; charset=utf-8", true)
	f.update(func() {
		f.feeds["/archive"] = &fakeFeed{body: collectortest.Fixture(t, "mailchimp_archive.xml"), contentType: "text/xml", lastModified: time.Date(2025, 2, 3, 7, 31, 2, 0, time.UTC)}
	})
	clk := collectortest.NewClock(start)
	state := t.TempDir()
	conf := block(feedEntry("news", f.url("/rss.xml"), ""), feedEntry("archive", f.url("/archive"), "nyhetsbrev"))
	first, _, err := collect(t, newTestCollector(t, conf, state, clk, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	second, _, err := collect(t, newTestCollector(t, conf, state, clk, io.Discard))
	if err != nil {
		t.Fatalf("a 304 is not an error: %v", err)
	}
	log := f.requestLog()
	if len(log) != 4 {
		t.Fatalf("%d requests, want 2 per run", len(log))
	}
	for _, r := range log[2:] {
		if r.status != http.StatusNotModified || r.bytes != 0 {
			t.Errorf("second run %s: status %d with %d bytes, want 304 and no body", r.path, r.status, r.bytes)
		}
	}
	if log[2].path != "/rss.xml" || log[2].ifNoneMatch == "" {
		t.Errorf("news feed asked for %+v, want its ETag in If-None-Match", log[2])
	}
	if log[3].path != "/archive" || log[3].ifModifiedSince != "Mon, 03 Feb 2025 07:31:02 GMT" {
		t.Errorf("archive feed asked for %+v, want its Last-Modified in If-Modified-Since", log[3])
	}
	if len(second) != len(first) {
		t.Fatalf("second run %d items, first %d", len(second), len(first))
	}
	for k, p := range first {
		if second[k] != p {
			t.Errorf("item %s changed on a 304: %+v then %+v", k, p, second[k])
		}
	}
	// A new item appears at the top of the news feed.
	clk.Advance(time.Hour)
	f.update(func() {
		news := f.feeds["/rss.xml"]
		news.body = []byte(strings.Replace(string(news.body), "<item>", `<item>
      <title>Nytt prosjekt: hjemmesykehus</title>
      <link>https://www.innomed.no/aktuelt/hjemmesykehus</link>
      <pubDate>Tue, 21 Jan 2025 10:00:00 +0000</pubDate>
      <guid isPermaLink="false">415 at https://www.innomed.no</guid>
    </item>
    <item>`, 1))
	})
	third, _, err := collect(t, newTestCollector(t, conf, state, clk, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if p := third["news|415 at https://www.innomed.no"]; !p.FirstSeen.Equal(clk.Now().UTC().Truncate(time.Second)) {
		t.Errorf("new item first seen %v, want the third run's time", p.FirstSeen)
	}
	if p := third["news|412 at https://www.innomed.no"]; !p.FirstSeen.Equal(start.UTC()) {
		t.Errorf("old item first seen %v on a re-read, want %v kept", p.FirstSeen, start.UTC())
	}
}

// Backfill chunks come in quick succession: the feed is fetched once.
func TestBackfillChunksFetchOnce(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml", false)
	clk := collectortest.NewClock(start)
	c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), "")), t.TempDir(), clk, io.Discard)
	for range 12 {
		if _, _, err := collect(t, c); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if n := len(f.requestLog()); n != 1 {
		t.Errorf("%d fetches for 12 chunks, want 1", n)
	}
}

func TestServerErrorsThatRecover(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml", false)
	var n int
	f.intercept = func(r *http.Request, w http.ResponseWriter) bool {
		n++
		if n <= 2 {
			http.Error(w, "<html><body>503 Service Unavailable</body></html>", http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), "")), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err != nil || len(got) != 6 {
		t.Fatalf("after two 503s: %v, %d items", err, len(got))
	}
}

func TestNoAddressInRecordsOrLogs(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "drupal_rss.xml", "application/rss+xml", true)
	f.serveFixture("/feed", "mailchimp_archive.xml", "text/xml", false)
	f.serveFixture("/feed/atom/", "atom.xml", "application/atom+xml", false)
	logs := &collectortest.LogBuffer{}
	clk := collectortest.NewClock(start)
	c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), ""), feedEntry("archive", f.url("/feed"), ""),
		feedEntry("blog", f.url("/feed/atom/"), "")), t.TempDir(), clk, logs)
	_, sink, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, r := range sink.Records() {
		fmt.Fprintln(&all, r.Values()...)
	}
	all.WriteString(strings.Join(sink.Notes(), "\n") + logs.String())
	collectortest.NoLeak(t, "records, notes and logs", all.String(), collectortest.FixtureEmailAddresses(t, 3)...)
}

// RSS 2.0 wants RFC 822 dates with a zone ("All date-times in RSS conform to the Date and Time
// Specification of RFC 822", https://www.rssboard.org/rss-specification#ltpubdategtSubelementOfLtitemgt).
// Norwegian publishing tools write the day and month names in Norwegian, or leave the zone out
// and mean their own time. gofeed reads the first as no date and the second as UTC, which moves
// an item published at 23:30 on 31 January into February. Both are read in the site's zone here;
// an English date with a zone name stays gofeed's.
func TestNorwegianAndZonelessDates(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/aktuelt.xml", "dates_no.xml", "application/rss+xml", false)
	c := newTestCollector(t, block(feedEntry("news", f.url("/aktuelt.xml"), "")), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, sink, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"no-abbrev":  utc("2025-01-31T22:30:00Z"),
		"no-zone":    utc("2025-01-31T22:30:00Z"), // 23:30 in Oslo (CET), still January
		"no-long":    utc("2025-02-14T08:30:00Z"),
		"iso-summer": utc("2025-06-01T08:00:00Z"), // CEST
		"rfc822-cet": utc("2025-01-14T08:30:00Z"),
		"no-des":     utc("2024-12-17T13:00:00Z"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %v", len(got), len(want), got)
	}
	for key, w := range want {
		g := got["news|"+key]
		if !g.PublishedAt.Equal(w) || !g.Dated() {
			t.Errorf("item %s published %v (dated %v), want %v", key, g.PublishedAt, g.Dated(), w)
		}
	}
	if notes := strings.Join(sink.Notes(), "\n"); strings.Contains(notes, "no readable date") {
		t.Errorf("every date is readable, notes say: %s", notes)
	}
}

// A feed moved behind a redirect (a site that moved /rss.xml to /nyheter/feed.xml answers 301)
// and whose links are relative: they are resolved against the address the feed was read from
// after the redirect (RFC 3986 §5.1.3, "Base URI from the Retrieval URI",
// https://www.rfc-editor.org/rfc/rfc3986#section-5.1.3), or against an xml:base the feed sets
// (https://www.w3.org/TR/xmlbase/), not against the configured address.
func TestRelativeLinksAfterRedirect(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/nyheter/feed.xml", "relative_links.xml", "application/rss+xml", false)
	f.update(func() {
		f.intercept = func(r *http.Request, w http.ResponseWriter) bool {
			if r.URL.Path != "/rss.xml" {
				return false
			}
			http.Redirect(w, r, "/nyheter/feed.xml", http.StatusMovedPermanently)
			return true
		}
	})
	c := newTestCollector(t, block(feedEntry("news", f.url("/rss.xml"), "")), t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"rel-1": f.url("/nyheter/artikkel-1"),
		"rel-2": f.url("/aktuelt/2?utm_source=rss"),
		"rel-3": "https://www.innomed.no/arkiv/gammel-sak",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %v", len(got), len(want), got)
	}
	for key, w := range want {
		if g := got["news|"+key].Link; g != w {
			t.Errorf("item %s link %q, want %q", key, g, w)
		}
	}
}

// The two other formats gofeed reads: RSS 1.0, RDF with dates in dc:date and categories in
// dc:subject (https://web.resource.org/rss/1.0/spec), and JSON Feed 1.1 with id, url,
// date_published (RFC 3339) and tags (https://www.jsonfeed.org/version/1.1/). The JSON Feed is
// served gzip-compressed (Content-Encoding: gzip), as web servers do when the client accepts it.
func TestRSS1AndGzippedJSONFeed(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/helsenytt.rdf", "rss1.rdf", "application/rdf+xml", false)
	gzipped := 0
	f.update(func() {
		f.intercept = func(r *http.Request, w http.ResponseWriter) bool {
			if r.URL.Path != "/podkast/feed.json" {
				return false
			}
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				t.Errorf("the feed is asked for without Accept-Encoding: gzip")
				return false
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(collectortest.Fixture(t, "jsonfeed.json"))
			_ = zw.Close()
			w.Header().Set("Content-Type", "application/feed+json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(buf.Bytes())
			gzipped++
			return true
		}
	})
	conf := block(feedEntry("helse", f.url("/helsenytt.rdf"), "helse"), feedEntry("podcast", f.url("/podkast/feed.json"), "podkast-fallback"))
	c := newTestCollector(t, conf, t.TempDir(), collectortest.NewClock(start), io.Discard)
	got, _, err := collect(t, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]figures.Publication{
		"helse|https://www.helsedirektoratet.example/nytt/1": {Title: "Ny veileder om velferdsteknologi", Link: "https://www.helsedirektoratet.example/nytt/1",
			PublishedAt: utc("2025-01-14T08:30:00Z"), Category: "veileder"},
		"helse|https://www.helsedirektoratet.example/nytt/2": {Title: "Tilskudd & støtte 2025", Link: "https://www.helsedirektoratet.example/nytt/2",
			PublishedAt: utc("2025-01-16T11:00:00Z"), Category: "helse"},
		"podcast|podkast-12": {Title: "Episode 12: Tjenesteinnovasjon i kommunene", Link: "https://www.innomed.no/podkast/12",
			PublishedAt: utc("2025-01-10T06:00:00Z"), Category: "podkast"},
		"podcast|podkast-11": {Title: "Episode 11: Kunstig intelligens", Link: "https://www.innomed.no/podkast/11",
			PublishedAt: utc("2024-12-12T06:00:00Z"), Category: "podkast-fallback"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %v", len(got), len(want), got)
	}
	for key, w := range want {
		g := got[key]
		if g.Title != w.Title || g.Link != w.Link || !g.PublishedAt.Equal(w.PublishedAt) || g.Category != w.Category {
			t.Errorf("item %s\n got %+v\nwant %+v", key, g, w)
		}
	}
	f.update(func() {
		if gzipped != 1 {
			t.Errorf("the JSON Feed was served gzipped %d times, want 1", gzipped)
		}
	})
}

// A guid "uniquely identifies the item" (https://www.rssboard.org/rss-specification#ltguidgtSubelementOfLtitemgt),
// but a CMS may list one node twice (Drupal: promoted and sticky). The item is stored once, on
// this run and the next, and a note counts the repeats instead of dropping them silently.
func TestDuplicateGUIDsStoredOnceWithANote(t *testing.T) {
	f := newFakeFeeds(t)
	f.serveFixture("/rss.xml", "duplicate_guids.xml", "application/rss+xml", false)
	clk := collectortest.NewClock(start)
	state := t.TempDir()
	conf := block(feedEntry("news", f.url("/rss.xml"), ""))
	for run := range 2 {
		got, sink, err := collect(t, newTestCollector(t, conf, state, clk, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["news|412 at https://www.innomed.no"].Title != "Ny veileder for tjenesteinnovasjon" || got["news|405 at https://www.innomed.no"].Title == "" {
			t.Fatalf("run %d: got %v, want the two distinct items", run, got)
		}
		if notes := strings.Join(sink.Notes(), "\n"); !strings.Contains(notes, "1 item(s) repeat the guid") {
			t.Errorf("run %d: notes %q, want the repeat counted", run, notes)
		}
		clk.Advance(time.Hour)
	}
}
