package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/figures"
)

// stateName is the state file holding every feed's feedState, keyed by feed id.
const stateName = "feeds"

// forgetAfter: an item gone from its feed is forgotten once first seen this long ago.
const forgetAfter = 2 * 365 * 24 * time.Hour

// feedState is what a feed's next run needs.
type feedState struct {
	// URL is the one the validators and items came from.
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Items are the publications of the last feed read. A 304 stores them again: the runner writes
	// a run's records after Collect, so a lost write mends itself on the next run.
	Items []storedItem `json:"items,omitempty"`
	// FirstSeen is when each item key was first seen. The table keeps the newest version of a row,
	// so a re-fetch must write the same first-seen time, not the time of the re-fetch.
	FirstSeen map[string]time.Time `json:"first_seen,omitempty"`
}

type storedItem struct {
	Key       string    `json:"key"`
	Title     string    `json:"title"`
	Link      string    `json:"link"`
	Published time.Time `json:"published"`
	// Dated is false when the feed gave no readable date. Such an item is stored undated; state
	// written by earlier versions holds its first-seen time in Published, which is not used.
	Dated    bool   `json:"dated"`
	Category string `json:"category"`
}

func (c *collector) loadStates() (map[string]feedState, error) {
	states := map[string]feedState{}
	if _, err := c.state.Load(stateName, &states); err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	return states, nil
}

// collectFeed fetches one feed (conditionally) and adds its items. It returns the feed's new state.
func (c *collector) collectFeed(ctx context.Context, f Feed, st feedState, now time.Time, sink *collectors.Sink) (feedState, error) {
	if st.URL != f.URL {
		// The validators belong to the old URL; the items' first-seen times stay the feed's.
		st = feedState{URL: f.URL, FirstSeen: st.FirstSeen}
	}
	parsed, base, etag, lastModified, err := c.fetch(ctx, f, st)
	if err != nil {
		return st, err
	}
	if parsed == nil {
		c.log.Debug("feed not modified", "feed", f.ID)
		c.add(f, st, sink)
		return st, nil
	}
	if st.FirstSeen == nil {
		st.FirstSeen = map[string]time.Time{}
	}
	st.Items = nil
	inFeed := map[string]bool{}
	repeated := 0
	for _, it := range parsed.Items {
		key := itemKey(it)
		if inFeed[key] {
			// The same item listed twice, or two items sharing a guid (RSS wants it unique): the
			// key is the row's identity, so only the first is stored, and a note says so.
			repeated++
			continue
		}
		inFeed[key] = true
		if _, ok := st.FirstSeen[key]; !ok {
			st.FirstSeen[key] = now
		}
		published, dated := itemDate(it, c.loc)
		st.Items = append(st.Items, storedItem{Key: key, Title: plainText(it.Title), Link: resolve(base, it.Link),
			Published: published, Dated: dated, Category: category(it.Categories, f.Category)})
	}
	for key, first := range st.FirstSeen {
		if !inFeed[key] && now.Sub(first) > forgetAfter {
			delete(st.FirstSeen, key)
		}
	}
	if repeated > 0 {
		sink.Note("feeds: feed %s: %d item(s) repeat the guid (or, without one, the link) of an earlier item in the feed; only the first of each is stored", f.ID, repeated)
	}
	st.ETag, st.LastModified = etag, lastModified
	c.add(f, st, sink)
	return st, nil
}

// add stores the feed's items as publications.
func (c *collector) add(f Feed, st feedState, sink *collectors.Sink) {
	undated := 0
	for _, it := range st.Items {
		published := it.Published
		if !it.Dated {
			undated++
			published = time.Time{} // undated: counted in no month, never on the day first seen
		}
		sink.Add(figures.Publication{FeedID: f.ID, ItemKey: it.Key, Title: it.Title, Link: it.Link,
			PublishedAt: published, Category: it.Category, FirstSeen: st.FirstSeen[it.Key]})
	}
	if undated > 0 {
		sink.Note("feeds: feed %s: %d item(s) have no readable date; they are stored undated (published_at 1970-01-01) and count in no month", f.ID, undated)
	}
}

// fetch GETs the feed with the stored validators and parses it. A nil feed means 304 Not
// Modified. base is the address the feed came from after redirects, which relative links are
// resolved against (RFC 3986 §5.1.3: the base URI is the one used to retrieve the document). A feed that arrives cut off or does not parse is fetched again (the HTTP client's
// Fetch, as a transient fault) before it counts as broken.
func (c *collector) fetch(ctx context.Context, f Feed, st feedState) (parsed *gofeed.Feed, base, etag, lastModified string, err error) {
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
		if st.ETag != "" {
			req.Header.Set("If-None-Match", st.ETag)
		}
		if st.LastModified != "" {
			req.Header.Set("If-Modified-Since", st.LastModified)
		}
		return req, nil
	}
	err = c.http.Fetch(ctx, build, func(resp *http.Response, body []byte) error {
		if resp.StatusCode == http.StatusNotModified {
			parsed, etag, lastModified = nil, st.ETag, st.LastModified
			return nil
		}
		if int64(len(body)) > c.maxBytes {
			return &feedError{fmt.Errorf("feeds: feed %s (%s) is larger than max_bytes %d; raise max_bytes if the feed is right", f.ID, f.URL, c.maxBytes)}
		}
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			return collectors.Transient(&feedError{fmt.Errorf("feeds: feed %s (%s) is not a readable RSS or Atom feed (broken, truncated or wrongly encoded): %w", f.ID, f.URL, err)})
		}
		parsed, etag, lastModified = feed, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		base = f.URL
		if resp.Request != nil && resp.Request.URL != nil {
			base = resp.Request.URL.String()
		}
		return nil
	})
	if err != nil {
		if errors.As(err, new(*feedError)) { // worded above, naming the feed
			return nil, "", "", "", err
		}
		return nil, "", "", "", fmt.Errorf("feeds: feed %s (%s): %w; check its url", f.ID, f.URL, err)
	}
	return parsed, base, etag, lastModified, nil
}

// feedError is a problem with a feed's content, worded for the operator.
type feedError struct{ err error }

func (e *feedError) Error() string { return e.err.Error() }
func (e *feedError) Unwrap() error { return e.err }

// itemKey is the item's stable identity: its GUID (Atom: id), else its link, else a hash of its
// title and date.
func itemKey(it *gofeed.Item) string {
	if g := strings.TrimSpace(it.GUID); g != "" {
		return g
	}
	if l := strings.TrimSpace(it.Link); l != "" {
		return l
	}
	date := it.Published
	if date == "" {
		date = it.Updated
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(it.Title) + "\n" + strings.TrimSpace(date)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// category joins the item's categories, or gives the feed's configured one.
func category(item []string, fallback string) string {
	var out []string
	for _, c := range item {
		if c = plainText(c); c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return strings.Join(out, ", ")
}

// resolve makes a relative item link absolute against the feed's URL.
func resolve(feedURL, link string) string {
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil || u.IsAbs() || link == "" {
		return link
	}
	base, err := url.Parse(feedURL)
	if err != nil {
		return link
	}
	return base.ResolveReference(u).String()
}
