// Package feeds collects the items of configured RSS and Atom feeds (the website's news, the
// newsletter archive) as publications, so the dashboard can show what was published when. Feeds are
// fetched with conditional GETs and parsed with gofeed; see README.md for what a feed cannot give.
package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
)

const (
	defaultMaxBytes = 5 << 20
	// refetchAfter: a feed fetched this recently is not fetched again, so the month-long chunks of
	// a backfill fetch it once (a feed holds only its latest items, whatever the window).
	refetchAfter = 10 * time.Minute
	// attemptTimeout bounds one fetch; a feed is small.
	attemptTimeout = 30 * time.Second
)

// Kind registers the source type "feeds".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "feeds",
		Description:  "Publications from RSS and Atom feeds (website news, newsletter archive): one row per item with its title, link, date and category",
		New:          New,
		Interval:     time.Hour,
		LookbackDays: 1,
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	Feeds []Feed `yaml:"feeds"`
	// MaxBytes caps a feed's size (default 5 MiB); a larger feed is an error for that feed.
	MaxBytes int64 `yaml:"max_bytes"`
}

// Feed is one configured feed.
type Feed struct {
	// ID names the feed in the publications table (feed_id), e.g. "innomed-news".
	ID  string `yaml:"id"`
	URL string `yaml:"url"`
	// Category is stored for items that carry no category of their own.
	Category string `yaml:"category"`
}

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

type collector struct {
	feeds    []Feed
	maxBytes int64
	http     *collectors.HTTPClient
	state    collectors.StateDir
	now      func() time.Time
	log      *slog.Logger
	// loc is the site's zone, in which a feed's dates without a zone are read.
	loc *time.Location

	mu sync.Mutex
	// fetched is when this process last fetched each feed.
	fetched map[string]time.Time
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	if len(set.Feeds) == 0 {
		return nil, errors.New("feeds: settings: feeds is required: a list of {id, url, category} entries, e.g. {id: innomed-news, url: https://www.innomed.no/rss.xml}")
	}
	ids := map[string]bool{}
	for i := range set.Feeds {
		f := &set.Feeds[i]
		f.ID, f.URL, f.Category = strings.TrimSpace(f.ID), strings.TrimSpace(f.URL), strings.TrimSpace(f.Category)
		if f.ID == "" {
			return nil, fmt.Errorf("feeds: settings: feeds[%d].id is required: the name the feed's items are stored under", i)
		}
		if ids[f.ID] {
			return nil, fmt.Errorf("feeds: settings: feeds[%d].id %q is used twice", i, f.ID)
		}
		ids[f.ID] = true
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("feeds: settings: feeds[%d].url %q (feed %s) must be an absolute http(s) URL", i, f.URL, f.ID)
		}
	}
	switch {
	case set.MaxBytes == 0:
		set.MaxBytes = defaultMaxBytes
	case set.MaxBytes < 0:
		return nil, fmt.Errorf("feeds: settings: max_bytes %d must be positive (default %d, 5 MiB)", set.MaxBytes, defaultMaxBytes)
	}
	if s.State.Dir == "" {
		return nil, errors.New("feeds: state_dir must be set: it keeps each feed's ETag and when each item was first seen")
	}
	opts := collectors.HTTPOptions{Source: "feeds", AttemptTimeout: attemptTimeout, Concurrency: 1, Log: s.Logger()}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		feeds:    set.Feeds,
		maxBytes: set.MaxBytes,
		http:     collectors.NewHTTPClient(opts),
		state:    s.State,
		now:      s.Clock(),
		loc:      s.Zone(),
		log:      s.Logger(),
		fetched:  map[string]time.Time{},
	}, nil
}

// Collect stores every item the feeds hold now. The window does not apply: a feed holds only its
// latest items, so there is nothing to ask for by date. Each feed is a figure family of its own
// (collectors.RunFamilies): a feed that fails is a note and an error for that feed only, the others
// are still collected and the run is partial.
func (c *collector) Collect(ctx context.Context, _ days.Range, sink *collectors.Sink) error {
	defer c.http.NoteRetries(sink)
	now := c.now().UTC().Truncate(time.Second)
	states, err := c.loadStates()
	if err != nil {
		return err
	}
	families := make([]collectors.Family, 0, len(c.feeds))
	for _, f := range c.feeds {
		families = append(families, collectors.Family{Name: "feed " + f.ID, Run: func(ctx context.Context) error {
			if c.fetchedSince(f.ID, now.Add(-refetchAfter)) {
				sink.Note("feeds: feed %s was fetched less than %v ago (by an earlier chunk of this backfill) and is not fetched again", f.ID, refetchAfter)
				return nil
			}
			// A failed fetch counts too: a backfill reports a broken feed once, not in every chunk.
			c.markFetched(f.ID, now)
			st, err := c.collectFeed(ctx, f, states[f.ID], now, sink)
			if err != nil {
				return err
			}
			states[f.ID] = st
			return nil
		}})
	}
	// Feeds live on different servers: a refused or throttled feed says nothing about the next.
	onlyCancelled := func(ctx context.Context, _ error) bool { return ctx.Err() != nil }
	errs := []error{collectors.RunFamiliesUntil(ctx, sink, onlyCancelled, families...)}
	if err := c.state.Save(stateName, states); err != nil {
		errs = append(errs, fmt.Errorf("feeds: %w", err))
	}
	return errors.Join(errs...)
}

func (c *collector) fetchedSince(id string, since time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.fetched[id]
	return ok && at.After(since)
}

func (c *collector) markFetched(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetched[id] = at
}

// Interface guard.
var _ collectors.Collector = (*collector)(nil)
