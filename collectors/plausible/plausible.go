// Package plausible collects one site's website traffic from the Plausible Stats API v2: visitors,
// visits and pageviews per day by channel and device, Plausible's own unique visitors for every
// month, quarter and year, and each month's top pages. See README.md for what it cannot give.
package plausible

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
)

const (
	defaultBaseURL = "https://plausible.io"
	queryPath      = "/api/v2/query"
	// Plausible allows 600 requests per hour per API key. One attempt every 6.5 s with a burst of 5
	// is at most 559 attempts in any hour, retries included, so the limit is never reached by this
	// source alone.
	requestInterval = 6500 * time.Millisecond
	requestBurst    = 5
	// maxPageSize is the largest page Plausible serves.
	maxPageSize = 10000
	// topPagesPerMonth is how long a month's top-page list is.
	topPagesPerMonth = 50
)

// Kind registers the source type "plausible".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "plausible",
		Description:  "Website traffic from the Plausible Stats API v2: visitors, visits and pageviews per day by channel and device, unique visitors per month, quarter and year, top pages per month",
		New:          New,
		Interval:     6 * time.Hour,
		LookbackDays: 3,
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	// Site is the Rekkevidde site id the figures are stored under (one of the configured sites).
	Site string `yaml:"site"`
	// SiteID is the site's domain in Plausible (e.g. innomed.no); it defaults to Site.
	SiteID string `yaml:"site_id"`
	// APIKey is a Plausible Stats API key with access to SiteID.
	APIKey config.Secret `yaml:"api_key"`
	// BaseURL is the Plausible server (https://plausible.io, or a self-hosted instance or proxy).
	BaseURL string `yaml:"base_url"`
	// RequestsPerHour paces requests, retries included (default 550: plausible.io allows 600 per
	// key and hour). A self-hosted instance, which sets its own limit, may allow more.
	RequestsPerHour int `yaml:"requests_per_hour"`
}

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// collector fetches one site's figures.
type collector struct {
	site     string
	siteID   string
	queryURL string
	apiKey   config.Secret
	// apiKeyEnv names the environment variable that overrides the key, for error messages.
	apiKeyEnv string
	http      *collectors.HTTPClient
	pageSize  int
	// first is Plausible's first day of data once found (see firstDay).
	firstMu sync.Mutex
	first   time.Time
	// refused holds, by metrics and dimensions, the queries Plausible rejected for a metric or
	// dimension it does not offer: they are not sent again by this process.
	refusedMu sync.Mutex
	refused   map[string]string
	loc       *time.Location
	now       func() time.Time
	log       *slog.Logger
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits and lift the rate limit).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("plausible: %w", err)
	}
	set.Site = strings.TrimSpace(set.Site)
	set.SiteID = strings.TrimSpace(set.SiteID)
	if set.Site == "" {
		return nil, fmt.Errorf("plausible: settings: site is required: the Rekkevidde site id the figures are stored under (e.g. innomed.no)")
	}
	if set.SiteID == "" {
		set.SiteID = set.Site
	}
	apiKeyEnv := collectors.SecretEnvName(s.ID, "api_key")
	if !set.APIKey.IsSet() {
		return nil, fmt.Errorf("plausible: settings: api_key is required: a Plausible Stats API key (Plausible → Account settings → API keys), given as {env: NAME}, {file: PATH} or through %s", apiKeyEnv)
	}
	base := strings.TrimRight(strings.TrimSpace(set.BaseURL), "/")
	if base == "" {
		base = defaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("plausible: settings: base_url %q must be an absolute http(s) URL such as %s", set.BaseURL, defaultBaseURL)
	}
	if set.RequestsPerHour < 0 {
		return nil, fmt.Errorf("plausible: settings: requests_per_hour must be positive, got %d", set.RequestsPerHour)
	}
	perSecond := float64(time.Second) / float64(requestInterval)
	if set.RequestsPerHour > 0 {
		perSecond = float64(set.RequestsPerHour) / 3600
	}
	opts := collectors.HTTPOptions{
		Source:            "plausible",
		RequestsPerSecond: perSecond,
		Burst:             requestBurst,
		// Requests are made one after another; one slot is all that is ever used.
		Concurrency: 1,
		Secrets:     []string{set.APIKey.Value()},
		RetryAt:     nextHour,
		Now:         s.Clock(),
		Log:         s.Logger(),
	}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		site:      set.Site,
		siteID:    set.SiteID,
		queryURL:  base + queryPath,
		apiKey:    set.APIKey,
		apiKeyEnv: apiKeyEnv,
		http:      collectors.NewHTTPClient(opts),
		pageSize:  maxPageSize,
		loc:       s.Zone(),
		now:       s.Clock(),
		log:       s.Logger(),
	}, nil
}

// nextHour is the HTTP client's RetryAt hook. Plausible counts requests per clock hour and may not
// say when to come back, so a 429 that outlasts the retries is retried at the next full hour. It
// is not sure: a 429 can also be a short burst that a retry mends.
func nextHour(status int, _ http.Header, _ []byte, now time.Time) (time.Time, bool) {
	if status != http.StatusTooManyRequests {
		return time.Time{}, false
	}
	return now.Truncate(time.Hour).Add(time.Hour), false
}

// Collect adds the window's figures in independent families, core first: daily traffic, the
// unique visitors of the months, quarters and years the window completes (or that run today), and
// those months' top pages. A family that fails is a note on the run, which is then partial; the
// others are still stored. A refused key, a rate limit or a cancelled run stops the rest.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	defer c.http.NoteRetries(sink)
	sink.Note("plausible: new vs returning visitors are not available from Plausible: new_visitors is stored as 0 and the new/returning figures of months, quarters and years are left empty")
	first, found, err := c.firstDay(ctx, sink)
	if err != nil {
		return err
	}
	if !found {
		sink.Note("plausible: Plausible holds no visits for site_id %s yet; nothing was written", c.siteID)
		return nil
	}
	if window.From.Before(first) {
		sink.Note("plausible: Plausible's data for site_id %s starts on %s; no figures are written for earlier days and periods, so figures another source holds for them stay", c.siteID, days.Format(first))
	}
	if window.To.Before(first) {
		return nil
	}
	today := days.Of(c.now(), c.loc)
	due := duePeriods(window, first, today)
	return collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "daily traffic", Run: func(ctx context.Context) error {
			return c.collectDays(ctx, window, first, today, sink)
		}},
		collectors.Family{Name: "period unique visitors", Run: func(ctx context.Context) error {
			return eachPeriod(ctx, due, func(p days.Period) error { return c.collectPeriod(ctx, p, sink) })
		}},
		collectors.Family{Name: "top pages", Run: func(ctx context.Context) error {
			return eachPeriod(ctx, due, func(p days.Period) error {
				if p.Kind != days.Month {
					return nil
				}
				return c.collectTopPages(ctx, p, sink)
			})
		}},
	)
}

// duePeriods lists the periods whose figures window fetches: each once, by the window that holds
// its last day, and a period still running by every window that reaches today
// (collectors.DuePeriods). Periods that ended before Plausible's first day of data are left alone.
func duePeriods(window days.Range, first, today time.Time) []days.Period {
	var due []days.Period
	for _, p := range collectors.DuePeriods(window, today) {
		if !p.End.Before(first) {
			due = append(due, p)
		}
	}
	return due
}

// eachPeriod runs fetch for every period, keeping on past a failed one unless the failure ends the
// run, and returns the failures joined.
func eachPeriod(ctx context.Context, periods []days.Period, fetch func(days.Period) error) error {
	var errs []error
	for _, p := range periods {
		if err := fetch(p); err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// Interface guard.
var _ collectors.Collector = (*collector)(nil)

// authHeader carries the API key; it is built per request so the key lives in one field only.
func (c *collector) authHeader() http.Header {
	return http.Header{"Authorization": []string{"Bearer " + c.apiKey.Value()}}
}
