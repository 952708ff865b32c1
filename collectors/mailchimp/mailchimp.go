// Package mailchimp collects one Mailchimp audience (list) from the Marketing API v3: the list's
// size as a daily snapshot (month-end sizes from the growth history for past months) and every
// campaign's report, re-fetched while it is young because opens and clicks keep coming in for weeks
// after a send. See README.md for what it cannot give.
package mailchimp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
)

const (
	// defaultRefreshDays is how long after its send a campaign's report is fetched again.
	defaultRefreshDays = 30
	// maxPageSize is the largest count Mailchimp serves per page.
	maxPageSize = 1000
	// Mailchimp allows 10 simultaneous connections per user, shared with every other integration of
	// the account (sign-up forms, CRM syncs). Two leaves them room; requests here are sequential.
	concurrency = 2
	// Mailchimp gives up on a request after 120 s; a large report page can take a while.
	attemptTimeout = 120 * time.Second
)

// Kind registers the source type "mailchimp".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "mailchimp",
		Description:  "Newsletter audience size and campaign reports (sent, delivered, unique opens and clicks, unsubscribes, bounces) from the Mailchimp Marketing API v3",
		New:          New,
		Interval:     6 * time.Hour,
		LookbackDays: 3,
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	// ListID is the audience id (Audience → Settings → Audience name and defaults → Audience ID).
	ListID string `yaml:"list_id"`
	// APIKey is a Mailchimp API key; its suffix after "-" is the account's data centre (us21).
	APIKey config.Secret `yaml:"api_key"`
	// BaseURL overrides https://<dc>.api.mailchimp.com/3.0 (tests, proxies).
	BaseURL string `yaml:"base_url"`
	// CampaignRefreshDays is how many days after its send a campaign is fetched again on every run
	// (default 30).
	CampaignRefreshDays int `yaml:"campaign_refresh_days"`
}

// dataCentre is the form of the key's suffix: letters then digits ("us21").
var dataCentre = regexp.MustCompile(`^[a-z]{2,}[0-9]+$`)

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// collector fetches one audience's figures.
type collector struct {
	listID      string
	base        string
	refreshDays int
	// authorization is the Basic header value; it holds the key.
	authorization string
	// apiKeyEnv names the environment variable that overrides the key, for error messages.
	apiKeyEnv string
	// dc is the data centre named by the key ("" when the key has none and base_url is set).
	dc       string
	http     *collectors.HTTPClient
	pageSize int
	loc      *time.Location
	now      func() time.Time
	log      *slog.Logger

	// Answers that do not depend on the window stand for cacheFor, so the steps of one backfill ask
	// for them once: the audience's totals and its growth history. A scheduled run, hours later,
	// asks again.
	mu      sync.Mutex
	stats   cached[listStats]
	history cached[[]growthMonth]
	reports cached[sentReports]
}

// cacheFor is how long an answer that does not depend on the window stands within a run.
const cacheFor = time.Hour

// cached is an answer and when it was fetched (zero: never).
type cached[T any] struct {
	value   T
	fetched time.Time
}

// fresh tells whether the answer was fetched less than cacheFor before now.
func (a cached[T]) fresh(now time.Time) bool {
	return !a.fetched.IsZero() && now.Sub(a.fetched) < cacheFor && !now.Before(a.fetched)
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits and lift the rate limit).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("mailchimp: %w", err)
	}
	set.ListID = strings.TrimSpace(set.ListID)
	if set.ListID == "" {
		return nil, errors.New("mailchimp: settings: list_id is required: the audience id (Mailchimp → Audience → Settings → Audience name and defaults → Audience ID, e.g. a1b2c3d4e5)")
	}
	apiKeyEnv := collectors.SecretEnvName(s.ID, "api_key")
	key := strings.TrimSpace(set.APIKey.Value())
	if key == "" {
		return nil, fmt.Errorf("mailchimp: settings: api_key is required: a Mailchimp API key (Profile → Extras → API keys) ending in its data centre such as -us21, given as {env: NAME}, {file: PATH} or through %s", apiKeyEnv)
	}
	dc := ""
	if i := strings.LastIndex(key, "-"); i >= 0 && dataCentre.MatchString(key[i+1:]) {
		dc = key[i+1:]
	}
	base := strings.TrimRight(strings.TrimSpace(set.BaseURL), "/")
	if base == "" {
		if dc == "" {
			return nil, fmt.Errorf("mailchimp: settings: api_key does not end in a data centre such as -us21; copy the whole key from Mailchimp (Profile → Extras → API keys), or set base_url to https://<dc>.api.mailchimp.com/3.0")
		}
		base = "https://" + dc + ".api.mailchimp.com/3.0"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mailchimp: settings: base_url %q must be an absolute http(s) URL such as https://us21.api.mailchimp.com/3.0", set.BaseURL)
	}
	switch {
	case set.CampaignRefreshDays == 0:
		set.CampaignRefreshDays = defaultRefreshDays
	case set.CampaignRefreshDays < 0 || set.CampaignRefreshDays > 366:
		return nil, fmt.Errorf("mailchimp: settings: campaign_refresh_days %d must be between 1 and 366 (default %d)", set.CampaignRefreshDays, defaultRefreshDays)
	}
	credentials := base64.StdEncoding.EncodeToString([]byte("rekkevidde:" + key))
	opts := collectors.HTTPOptions{
		Source:         "mailchimp",
		AttemptTimeout: attemptTimeout,
		Burst:          concurrency,
		Concurrency:    concurrency,
		Secrets:        []string{key, credentials},
		Log:            s.Logger(),
	}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		listID:        set.ListID,
		base:          base,
		refreshDays:   set.CampaignRefreshDays,
		authorization: "Basic " + credentials,
		apiKeyEnv:     apiKeyEnv,
		dc:            dc,
		http:          collectors.NewHTTPClient(opts),
		pageSize:      maxPageSize,
		loc:           s.Zone(),
		now:           s.Clock(),
		log:           s.Logger(),
	}, nil
}

// Collect adds the list's size (today's snapshot when the window reaches today, month-end sizes
// for the completed months whose last day is in the window or is the day before it) and the
// reports of the campaigns sent in the window or in the last campaign_refresh_days. Each family is
// fetched on its own (collectors.RunFamilies), the core ones (audience, campaigns) first and the
// growth history after: one that fails is named in a note and the others are stored.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	now := c.now()
	today := days.Of(now, c.loc)
	var stats *listStats
	defer c.http.NoteRetries(sink)
	return collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "audience size today (GET /lists/{id})", Run: func(ctx context.Context) error {
			st, err := c.listStats(ctx)
			if err != nil {
				return err
			}
			stats = &st
			if !window.To.Before(today) {
				sink.Add(st.snapshot(c.listID, today))
			}
			return nil
		}},
		collectors.Family{Name: "campaign reports (GET /reports)", Run: func(ctx context.Context) error {
			return c.collectCampaigns(ctx, window, now, sink)
		}},
		collectors.Family{Name: "month-end audience sizes (GET /lists/{id}/growth-history)", Run: func(ctx context.Context) error {
			// The day before the window too: a period starting on the window's first day (a
			// year from 1 January) starts from the size at the end of the month before.
			growth := days.Range{From: window.From.AddDate(0, 0, -1), To: window.To}
			if !hasCompletedMonthEnd(growth, today) {
				return nil
			}
			if stats == nil {
				return fmt.Errorf("mailchimp: list %s: month-end sizes need the audience's totals today, which could not be read", c.listID)
			}
			return c.collectGrowth(ctx, growth, today, *stats, sink)
		}},
	)
}

// hasCompletedMonthEnd tells whether window holds the last day of a month that ended before today.
func hasCompletedMonthEnd(window days.Range, today time.Time) bool {
	found := false
	window.Each(func(d time.Time) {
		if d.Before(today) && d.AddDate(0, 0, 1).Day() == 1 {
			found = true
		}
	})
	return found
}

// Interface guard.
var _ collectors.Collector = (*collector)(nil)

// header carries the API key; it is built per request so the key lives in one field only.
func (c *collector) header() http.Header {
	return http.Header{"Authorization": []string{c.authorization}}
}
