// Package matomo collects one site's website traffic from the Matomo Reporting API: visitors,
// visits, pageviews and new visitors per day by channel and device, Matomo's own unique visitors
// for every month (and for quarters and years where the instance processes them), and each
// month's top pages. See README.md for how the figures are put together and what Matomo cannot give.
package matomo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	// topPagesPerMonth is how long a month's top-page list is.
	topPagesPerMonth = 50
	// pageURLsPerRequest is one page of Actions.getPageUrls; some rows ("Others") are skipped, so
	// it is larger than the list it fills.
	pageURLsPerRequest = 100
	// titlesPerRequest is one page of Actions.getPageTitles.
	titlesPerRequest = 500
	// maxTitleRows bounds the title scan of one month: titles of pages not found by then are left
	// empty rather than reading an unbounded list.
	maxTitleRows = 10000
	// attemptTimeout is long because Matomo archives segmented reports while the request waits.
	attemptTimeout = 3 * time.Minute
)

// Kind registers the source type "matomo".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "matomo",
		Description:  "Website traffic from the Matomo Reporting API: visitors, visits, pageviews and new visitors per day by channel and device, unique visitors per month (quarter and year where Matomo processes them), top pages per month",
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
	// BaseURL is the Matomo instance, e.g. https://matomo.example/ (index.php is appended).
	BaseURL string `yaml:"base_url"`
	// IDSite is the site's numeric id in Matomo (idSite).
	IDSite int `yaml:"id_site"`
	// Token is the token_auth of a Matomo user with at least view access to IDSite.
	Token config.Secret `yaml:"token"`
	// CampaignChannel is the canonical channel of Matomo's "Campaigns" (visits from tagged links)
	// whose medium Matomo does not report or that is not a known one (default email: InnoMed's
	// tagged links are newsletter links). Set paid where tagged links are mostly ads.
	CampaignChannel string `yaml:"campaign_channel"`
}

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// collector fetches one Matomo site's figures.
type collector struct {
	site     string
	idSite   int
	endpoint string
	token    config.Secret
	// campaignChannel is the canonical channel of Matomo's referrer type "campaign".
	campaignChannel string
	http            *collectors.HTTPClient
	loc             *time.Location
	now             func() time.Time
	log             *slog.Logger
	// refused holds the methods Matomo said it does not offer, with its message: they are not
	// asked again by this process (a restart, after enabling the plugin, asks again).
	refusedMu sync.Mutex
	refused   map[string]string
	// Page sizes; tests make them small to page across many requests.
	pageURLsPerRequest int
	titlesPerRequest   int
	maxTitleRows       int
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits and lift the rate limit).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("matomo: %w", err)
	}
	set.Site = strings.TrimSpace(set.Site)
	if set.Site == "" {
		return nil, errors.New("matomo: settings: site is required (the Rekkevidde site id the figures belong to)")
	}
	endpoint, err := endpointURL(set.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("matomo: settings: base_url: %w", err)
	}
	if set.IDSite < 1 {
		return nil, errors.New("matomo: settings: id_site is required (the site's numeric id in Matomo, 1 or more)")
	}
	set.CampaignChannel = strings.TrimSpace(set.CampaignChannel)
	if set.CampaignChannel == "" {
		set.CampaignChannel = figures.ChannelEmail
	}
	if !slices.Contains(figures.Channels(), set.CampaignChannel) {
		return nil, fmt.Errorf("matomo: settings: campaign_channel %q is not a channel; use one of %s", set.CampaignChannel, strings.Join(figures.Channels(), ", "))
	}
	if !set.Token.IsSet() {
		return nil, fmt.Errorf("matomo: settings: token is required (the token_auth of a Matomo user with view access to id_site %d; or set %s)",
			set.IDSite, collectors.SecretEnvName(s.ID, "token"))
	}
	opts := collectors.HTTPOptions{
		Source:         "matomo",
		AttemptTimeout: attemptTimeout,
		// Matomo archives every segmented report on request; one request at a time spares the
		// instance, which also serves the site's visitors.
		Concurrency: 1,
		Secrets:     []string{set.Token.Value()},
		Log:         s.Logger(),
	}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		site:               set.Site,
		idSite:             set.IDSite,
		endpoint:           endpoint,
		token:              set.Token,
		campaignChannel:    set.CampaignChannel,
		http:               collectors.NewHTTPClient(opts),
		loc:                s.Zone(),
		now:                s.Clock(),
		log:                s.Logger(),
		pageURLsPerRequest: pageURLsPerRequest,
		titlesPerRequest:   titlesPerRequest,
		maxTitleRows:       maxTitleRows,
	}, nil
}

// endpointURL turns the configured instance address into the API endpoint (…/index.php).
func endpointURL(base string) (string, error) {
	base = strings.TrimSpace(base)
	if base == "" {
		return "", errors.New("is required (the Matomo instance, e.g. https://matomo.example/)")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) address such as https://matomo.example/", base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not carry a query or fragment", base)
	}
	if !strings.HasSuffix(u.Path, ".php") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/index.php"
	}
	return u.String(), nil
}

// Collect fetches the window's figures in independent families, core first: daily traffic,
// Matomo's unique visitors of the months, quarters and years the window completes (or that are
// running today), their new vs returning split, the top pages of those months and their titles.
// A family that fails is a note on the run, which is then partial; the others are still stored.
// A refused token, a rate limit or a cancelled run stops the families after it.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	defer c.http.NoteRetries(sink)
	today := days.Of(c.now(), c.loc)
	due := collectors.DuePeriods(window, today)
	periods := newPeriodFigures(due)
	pages := map[time.Time]*monthPages{}
	err := collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "daily traffic", Run: func(ctx context.Context) error {
			return c.collectTraffic(ctx, window, sink)
		}},
		collectors.Family{Name: "period unique visitors", Run: func(ctx context.Context) error {
			return c.collectUniques(ctx, periods, today)
		}},
		collectors.Family{Name: "new vs returning visitors", Run: func(ctx context.Context) error {
			return c.collectFrequency(ctx, periods, today)
		}},
		collectors.Family{Name: "top pages", Run: func(ctx context.Context) error {
			return c.collectTopPages(ctx, due, pages)
		}},
		collectors.Family{Name: "page titles", Run: func(ctx context.Context) error {
			return c.collectTitles(ctx, pages)
		}},
	)
	periods.add(c.site, sink)
	for _, p := range due {
		if list := pages[p.Start]; p.Kind == days.Month && list != nil {
			for _, page := range list.pages {
				sink.Add(page)
			}
		}
	}
	return err
}
