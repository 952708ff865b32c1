// Package ga4 collects one website's traffic from the Google Analytics 4 Data API v1beta: daily
// traffic by channel and device, GA's own deduplicated visitors per month, quarter and year, and
// each month's top pages. It signs in as a Google Cloud service account (JWT bearer flow).
package ga4

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
)

// Settings is the source's settings block.
type Settings struct {
	// Site is the Rekkevidde site id the figures belong to (e.g. innomed.no).
	Site string `yaml:"site"`
	// PropertyID is the numeric GA4 property id (Admin → Property details), not the G-… measurement id.
	PropertyID string `yaml:"property_id"`
	// Credentials is the service-account key JSON, given as {file: PATH} or {env: NAME}.
	Credentials config.Secret `yaml:"credentials"`
	// BaseURL is the Data API's root; tests and proxies point it elsewhere.
	BaseURL string `yaml:"base_url"`
	// TopPages is how many pages each month's top list holds.
	TopPages int `yaml:"top_pages"`
}

const (
	defaultBaseURL  = "https://analyticsdata.googleapis.com"
	defaultTopPages = 50
	maxTopPages     = 200
	// pageSize is the rows asked for per runReport page; GA allows up to 250 000, and a month of
	// date × channel × device rows is well under this.
	pageSize = 10000
)

// Kind registers the source type.
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "ga4",
		Description:  "Google Analytics 4 (Data API v1beta): daily traffic by channel and device, unique visitors per month/quarter/year, top pages",
		New:          New,
		Interval:     6 * time.Hour,
		LookbackDays: 3, // GA4 keeps processing a day's hits for up to 48 hours
		ChunkDays:    31,
	}
}

// Collector fetches one GA4 property's figures.
type Collector struct {
	site       string
	propertyID string
	reportURL  string
	topPages   int
	pageSize   int
	jwt        *jwt.Config
	keyOrigin  string
	http       *collectors.HTTPClient
	loc        *time.Location
	log        *slog.Logger
	now        func() time.Time

	mu    sync.Mutex
	token *oauth2.Token // reused across runs until it expires
	// refused holds, by dimensions and metrics, the reports GA rejected as asking for a field it
	// does not know (a withdrawn dimension): they are not sent again by this process.
	refused map[string]string
}

var _ collectors.Collector = (*Collector)(nil)

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, collectors.HTTPOptions{})
}

// newCollector lets tests shorten the HTTP client's waits; production uses New.
func newCollector(s collectors.Settings, opts collectors.HTTPOptions) (*Collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, err
	}
	set.Site = strings.TrimSpace(set.Site)
	if set.Site == "" {
		return nil, errors.New("settings: site: missing: give the Rekkevidde site id the traffic belongs to (e.g. innomed.no)")
	}
	propertyID, err := parsePropertyID(set.PropertyID)
	if err != nil {
		return nil, err
	}
	if set.BaseURL == "" {
		set.BaseURL = defaultBaseURL
	}
	base, err := url.Parse(set.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("settings: base_url: %q is not an http(s) URL (default %s)", set.BaseURL, defaultBaseURL)
	}
	switch {
	case set.TopPages == 0:
		set.TopPages = defaultTopPages
	case set.TopPages < 1 || set.TopPages > maxTopPages:
		return nil, fmt.Errorf("settings: top_pages: %d is out of range 1–%d", set.TopPages, maxTopPages)
	}
	jwtConfig, err := parseKey(set.Credentials)
	if err != nil {
		return nil, err
	}
	opts.Source = "ga4"
	opts.Log = s.Logger()
	opts.Now = s.Clock()
	opts.RetryAt = quotaRefill
	if opts.RetryMax == 0 {
		// GA counts every 5xx against a budget of 10 server errors per project per hour, and its
		// 429s (no Retry-After) are hourly or daily quotas that a short wait does not mend.
		opts.RetryMax = 3
	}
	return &Collector{
		site:       set.Site,
		propertyID: propertyID,
		reportURL:  strings.TrimRight(set.BaseURL, "/") + "/v1beta/properties/" + propertyID + ":runReport",
		topPages:   set.TopPages,
		pageSize:   pageSize,
		jwt:        jwtConfig,
		keyOrigin:  set.Credentials.Origin(),
		http:       collectors.NewHTTPClient(opts),
		loc:        s.Zone(),
		log:        s.Logger(),
		now:        s.Clock(),
	}, nil
}

func parsePropertyID(raw string) (string, error) {
	id := strings.TrimPrefix(strings.TrimSpace(raw), "properties/")
	if id == "" {
		return "", errors.New("settings: property_id: missing: give the numeric GA4 property id (GA4 Admin → Property details, e.g. 312345678)")
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			hint := ""
			if strings.HasPrefix(strings.ToUpper(id), "G-") {
				hint = " (that is a measurement id; the property id is the number under GA4 Admin → Property details)"
			}
			return "", fmt.Errorf("settings: property_id: %q is not a numeric GA4 property id%s", raw, hint)
		}
	}
	return id, nil
}

// Collect fetches the window's figures in independent families, core first: daily traffic, GA's
// own unique visitors of the periods the window completes (or that are still running, when the
// window reaches today), their new vs returning split, and those months' top pages. A family that
// fails is a note on the run, which is then partial; the others are still fetched and stored. A
// failure that would hit every request (see stopsRun) stops the families after it.
func (c *Collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	defer c.http.NoteRetries(sink)
	// Every report needs a token: without one there is nothing to try.
	if _, err := c.accessToken(ctx); err != nil {
		return err
	}
	today := days.Of(c.now(), c.loc)
	periods := periodsToFetch(window, today)
	figures := newPeriodFigures()
	err := collectors.RunFamiliesUntil(ctx, sink, familiesStop,
		collectors.Family{Name: "daily traffic", Run: func(ctx context.Context) error {
			return c.collectDays(ctx, window, today, sink)
		}},
		collectors.Family{Name: "period unique visitors", Run: func(ctx context.Context) error {
			return eachPeriod(ctx, periods, func(p days.Period) error { return c.collectUniques(ctx, p, today, figures, sink) })
		}},
		collectors.Family{Name: "new vs returning visitors", Run: func(ctx context.Context) error {
			return eachPeriod(ctx, periods, func(p days.Period) error { return c.collectNewReturning(ctx, p, today, figures, sink) })
		}},
		collectors.Family{Name: "top pages", Run: func(ctx context.Context) error {
			return eachPeriod(ctx, periods, func(p days.Period) error {
				if p.Kind != days.Month {
					return nil
				}
				return c.collectTopPages(ctx, p, today, sink)
			})
		}},
	)
	figures.add(c.site, periods, sink)
	return err
}

// eachPeriod runs fetch for every period, keeping on past a failed one unless the failure would
// hit every request, and returns the failures joined.
func eachPeriod(ctx context.Context, periods []days.Period, fetch func(days.Period) error) error {
	var errs []error
	for _, p := range periods {
		if err := fetch(p); err != nil {
			errs = append(errs, err)
			if stopsRun(ctx, err) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// familiesStop tells whether err means no further family can be fetched: a quota, refused
// credentials, the run's end, or a network that does not answer. A server error that outlasted
// the retries stops its own family (see stopsRun) but not the next, whose report may work.
func familiesStop(ctx context.Context, err error) bool {
	var netErr net.Error
	return collectors.EndsRun(ctx, err) || errors.As(err, &netErr)
}

// stopsRun tells whether err means the next request would fail too: a quota, refused credentials,
// the run's end, GA failing after retries (each 5xx counts against GA's budget of 10 server
// errors per project per hour) or a network that does not answer.
func stopsRun(ctx context.Context, err error) bool {
	var apiErr *collectors.APIError
	var netErr net.Error
	return collectors.EndsRun(ctx, err) || (errors.As(err, &apiErr) && apiErr.Status >= 500) || errors.As(err, &netErr)
}

// periodsToFetch picks, among the months, quarters and years that overlap window, those whose
// last day lies in the window (complete, or at least as complete as the window's last day), plus
// those still running today when the window reaches today. A backfill in chunks thus fetches each
// period once, in the chunk holding its last day, rather than once per chunk it overlaps; a
// running period is fetched on every run until a run's window holds its last day. A period that
// has not started is never fetched.
func periodsToFetch(window days.Range, today time.Time) []days.Period {
	var out []days.Period
	for _, p := range days.CompletePeriods(window) {
		if p.Start.After(today) {
			continue
		}
		endsInWindow := !p.End.Before(window.From) && !p.End.After(window.To)
		running := !window.To.Before(today) && !today.After(p.End)
		if endsInWindow || running {
			out = append(out, p)
		}
	}
	return out
}
