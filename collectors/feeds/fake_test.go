package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// fakeFeed is one feed the fake serves.
type fakeFeed struct {
	body        []byte
	contentType string
	// etag makes the fake send an ETag and honour If-None-Match, as Drupal does.
	etag bool
	// lastModified, when set, is sent and honoured through If-Modified-Since.
	lastModified time.Time
}

// fakeFeeds serves feeds by path with conditional GET, and records what each request asked for
// and how many body bytes went out.
type fakeFeeds struct {
	t  testing.TB
	mu sync.Mutex
	// feeds by path ("/rss.xml").
	feeds    map[string]*fakeFeed
	requests []fakeRequest
	// intercept, when set, may answer a request itself. It runs with mu held.
	intercept func(r *http.Request, w http.ResponseWriter) bool
	server    *httptest.Server
}

type fakeRequest struct {
	path, ifNoneMatch, ifModifiedSince string
	status, bytes                      int
}

func newFakeFeeds(t testing.TB) *fakeFeeds {
	f := &fakeFeeds{t: t, feeds: map[string]*fakeFeed{}}
	f.server = collectortest.Server(t, http.HandlerFunc(f.serve))
	return f
}

// serveFixture serves testdata/name at path.
func (f *fakeFeeds) serveFixture(path, name, contentType string, etag bool) {
	f.t.Helper()
	f.update(func() {
		f.feeds[path] = &fakeFeed{body: collectortest.Fixture(f.t, name), contentType: contentType, etag: etag}
	})
}

func (f *fakeFeeds) url(path string) string { return f.server.URL + path }

func (f *fakeFeeds) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func (f *fakeFeeds) requestLog() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeFeeds) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := fakeRequest{path: r.URL.Path, ifNoneMatch: r.Header.Get("If-None-Match"), ifModifiedSince: r.Header.Get("If-Modified-Since")}
	rec := &countingWriter{ResponseWriter: w}
	defer func() {
		req.status, req.bytes = rec.status, rec.n
		f.requests = append(f.requests, req)
	}()
	if f.intercept != nil && f.intercept(r, rec) {
		return
	}
	feed, ok := f.feeds[r.URL.Path]
	if !ok {
		http.NotFound(rec, r)
		return
	}
	if feed.etag {
		sum := sha256.Sum256(feed.body)
		tag := `"` + hex.EncodeToString(sum[:8]) + `"`
		rec.Header().Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			rec.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if !feed.lastModified.IsZero() {
		rec.Header().Set("Last-Modified", feed.lastModified.UTC().Format(http.TimeFormat))
		if since, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !feed.lastModified.Truncate(time.Second).After(since) {
			rec.WriteHeader(http.StatusNotModified)
			return
		}
	}
	rec.Header().Set("Content-Type", feed.contentType)
	_, _ = rec.Write(feed.body)
}

type countingWriter struct {
	http.ResponseWriter
	status, n int
}

func (c *countingWriter) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += n
	return n, err
}

// Flush lets a test send part of a body before breaking off.
func (c *countingWriter) Flush() {
	if fl, ok := c.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// testSettings builds the settings of source id from a YAML block, keeping state in stateDir.
func testSettings(t testing.TB, block, stateDir string, clk *collectortest.Clock, log io.Writer) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, "publications", block, nil)
	s.State.Dir = stateDir
	s.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.Now = clk.Now
	return s
}

func fastHTTP(o *collectors.HTTPOptions) {
	o.RequestsPerSecond = 10000
	o.Burst = 100
	o.WaitMin = time.Millisecond
	o.WaitMax = 20 * time.Millisecond
	o.AttemptTimeout = 2 * time.Second
}

func newTestCollector(t testing.TB, block, stateDir string, clk *collectortest.Clock, log io.Writer) *collector {
	t.Helper()
	c, err := newCollector(testSettings(t, block, stateDir, clk, log), fastHTTP)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(t *testing.T, c *collector) (map[string]figures.Publication, *collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	day := days.Date(2025, 1, 20)
	err := c.Collect(t.Context(), days.Range{From: day, To: day}, sink)
	out := map[string]figures.Publication{}
	for _, r := range sink.Records() {
		p := r.(figures.Publication)
		if _, dup := out[p.FeedID+"|"+p.ItemKey]; dup {
			t.Errorf("item %s|%s added twice in one run", p.FeedID, p.ItemKey)
		}
		out[p.FeedID+"|"+p.ItemKey] = p
	}
	return out, sink, err
}
