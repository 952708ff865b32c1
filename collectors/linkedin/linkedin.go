// Package linkedin collects a LinkedIn organisation page's followers and monthly reach from the
// LinkedIn Community Management API (versioned REST, Rest.li 2.0). LinkedIn gives only today's
// follower total, so every run takes a snapshot, and days before the first snapshot are
// reconstructed from the daily follower gains LinkedIn still serves (the last 12 months). Reach is
// stored per month where LinkedIn reports a unique count for the whole month.
package linkedin

import (
	"context"
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
	"github.com/innomed/rekkevidde/internal/figures"
)

// Settings is the source's settings block.
type Settings struct {
	// OrganizationID is the page's numeric id (the number in urn:li:organization:…, shown in the
	// page admin URL linkedin.com/company/<id>/admin/).
	OrganizationID string `yaml:"organization_id"`
	// AccessToken is a page administrator's OAuth token with rw_organization_admin.
	AccessToken config.Secret `yaml:"access_token"`
	// AccessTokenExpiresAt is when the configured access token lapses (YYYY-MM-DD or RFC 3339), for
	// the health view until a refresh reports the real expiry.
	AccessTokenExpiresAt string `yaml:"access_token_expires_at"`
	// RefreshToken lets Rekkevidde renew the access token itself (needs client_id, client_secret).
	RefreshToken          config.Secret `yaml:"refresh_token"`
	RefreshTokenExpiresAt string        `yaml:"refresh_token_expires_at"`
	ClientID              string        `yaml:"client_id"`
	ClientSecret          config.Secret `yaml:"client_secret"`
	// APIVersion is the LinkedIn-Version header (YYYYMM). LinkedIn keeps each monthly version for
	// about a year, so this must be moved forward at least once a year.
	APIVersion string `yaml:"api_version"`
	// BaseURL is the REST root; TokenURL the OAuth token endpoint. Tests and proxies point them elsewhere.
	BaseURL  string `yaml:"base_url"`
	TokenURL string `yaml:"token_url"`
}

const (
	defaultBaseURL  = "https://api.linkedin.com/rest"
	defaultTokenURL = "https://www.linkedin.com/oauth/v2/accessToken"
	// defaultAPIVersion is July 2026, the newest version confirmed in LinkedIn's published version
	// table; it is supported until about July 2027.
	defaultAPIVersion = "202607"
	// pageSize is the count asked for per page of statistics; a year of days fits in four.
	pageSize = 100
)

var apiVersionPattern = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])(\.[0-9]{2})?$`)

// Kind registers the source type.
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "linkedin",
		Description:  "LinkedIn organisation page (Community Management API): daily followers, monthly reach",
		New:          New,
		Interval:     6 * time.Hour,
		LookbackDays: 3,
		ChunkDays:    31,
	}
}

// Collector fetches one LinkedIn organisation's figures.
type Collector struct {
	orgID        string
	orgURN       string // percent-encoded, as LinkedIn wants it in paths and queries
	apiVersion   string
	baseURL      string
	tokenURL     string
	clientID     string
	clientSecret string
	configured   tokenState // the tokens and expiries from the settings
	pageSize     int
	state        collectors.StateDir
	http         *collectors.HTTPClient
	loc          *time.Location
	log          *slog.Logger
	now          func() time.Time

	mu    sync.Mutex
	token *tokenState // the token in use: the configured one or a refreshed one from state
	gains gainSpan    // the daily follower gains last read (see allGains)
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
	orgID, err := parseOrganizationID(set.OrganizationID)
	if err != nil {
		return nil, err
	}
	if !set.AccessToken.IsSet() && !set.RefreshToken.IsSet() {
		return nil, errors.New("settings: access_token: missing: give a page administrator's access token " +
			"(LinkedIn Developer Portal → your app → Auth → OAuth 2.0 tools, scope rw_organization_admin), " +
			"or a refresh_token with client_id and client_secret")
	}
	set.ClientID = strings.TrimSpace(set.ClientID)
	if set.RefreshToken.IsSet() {
		if set.ClientID == "" {
			return nil, errors.New("settings: client_id: missing: renewing the access token with refresh_token needs the app's client id (Developer Portal → your app → Auth)")
		}
		if !set.ClientSecret.IsSet() {
			return nil, errors.New("settings: client_secret: missing: renewing the access token with refresh_token needs the app's primary client secret (Developer Portal → your app → Auth)")
		}
	}
	if set.APIVersion == "" {
		set.APIVersion = defaultAPIVersion
	}
	if !apiVersionPattern.MatchString(set.APIVersion) {
		return nil, fmt.Errorf("settings: api_version: %q is not a LinkedIn version in the form YYYYMM (e.g. %s)", set.APIVersion, defaultAPIVersion)
	}
	baseURL, err := parseURL("base_url", set.BaseURL, defaultBaseURL)
	if err != nil {
		return nil, err
	}
	tokenURL, err := parseURL("token_url", set.TokenURL, defaultTokenURL)
	if err != nil {
		return nil, err
	}
	accessExpires, err := parseExpiry("access_token_expires_at", set.AccessTokenExpiresAt)
	if err != nil {
		return nil, err
	}
	refreshExpires, err := parseExpiry("refresh_token_expires_at", set.RefreshTokenExpiresAt)
	if err != nil {
		return nil, err
	}
	if s.State.Dir == "" {
		return nil, errors.New("settings: state_dir is not configured: the LinkedIn source keeps its renewed access token and its first follower snapshot there")
	}
	opts.Source = "linkedin"
	opts.Log = s.Logger()
	opts.Now = s.Clock()
	opts.RetryAt = nextMidnightUTC
	opts.Secrets = []string{set.AccessToken.Value(), set.RefreshToken.Value(), set.ClientSecret.Value()}
	if opts.RetryMax == 0 {
		// A 429 is a daily quota that a short wait does not mend; a few retries cover a brief throttle.
		opts.RetryMax = 3
	}
	return &Collector{
		orgID:        orgID,
		orgURN:       url.QueryEscape("urn:li:organization:" + orgID),
		apiVersion:   set.APIVersion,
		baseURL:      baseURL,
		tokenURL:     tokenURL,
		clientID:     set.ClientID,
		clientSecret: set.ClientSecret.Value(),
		configured: tokenState{
			Grant:            grantFingerprint(set.AccessToken.Value(), set.RefreshToken.Value()),
			AccessToken:      set.AccessToken.Value(),
			AccessExpiresAt:  accessExpires,
			RefreshToken:     set.RefreshToken.Value(),
			RefreshExpiresAt: refreshExpires,
		},
		pageSize: pageSize,
		state:    s.State,
		http:     collectors.NewHTTPClient(opts),
		loc:      s.Zone(),
		log:      s.Logger(),
		now:      s.Clock(),
	}, nil
}

// nextMidnightUTC is the HTTP client's RetryAt hook: LinkedIn's quotas are daily, reset at
// midnight UTC, and its 429s come without Retry-After. It is not sure, since a 429 may also be a
// brief throttle that a few retries cover.
func nextMidnightUTC(status int, _ http.Header, _ []byte, now time.Time) (time.Time, bool) {
	if status != http.StatusTooManyRequests {
		return time.Time{}, false
	}
	return days.Of(now, time.UTC).AddDate(0, 0, 1), false
}

func parseOrganizationID(raw string) (string, error) {
	id := strings.TrimPrefix(strings.TrimSpace(raw), "urn:li:organization:")
	if id == "" {
		return "", errors.New("settings: organization_id: missing: give the page's numeric id (the number in the page admin URL linkedin.com/company/<id>/admin/)")
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("settings: organization_id: %q is not numeric: use the number from the page admin URL, not the page's vanity name", raw)
		}
	}
	return id, nil
}

func parseURL(key, raw, fallback string) (string, error) {
	if raw == "" {
		return fallback, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("settings: %s: %q is not an http(s) URL (default %s)", key, raw, fallback)
	}
	return strings.TrimRight(raw, "/"), nil
}

// parseExpiry reads a known expiry: a day (taken as its start, 00:00 UTC, to err on the early side)
// or an RFC 3339 instant.
func parseExpiry(key, raw string) (*time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	if d, err := time.Parse(time.DateOnly, raw); err == nil {
		return &d, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return &t, nil
	}
	return nil, fmt.Errorf("settings: %s: %q is neither YYYY-MM-DD nor an RFC 3339 time", key, raw)
}

// Collect takes today's follower snapshot when the window reaches today, reconstructs the
// window's days before the first snapshot from LinkedIn's daily gains, and fetches the reach of
// the months the window completes. It stops at a rate limit, a refused token or a retired API
// version, since nothing else can succeed after those.
func (c *Collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	now := c.now()
	today := days.Of(now, c.loc)
	if window.From.After(today) {
		sink.Note("%s lies in the future: nothing to collect yet", window)
		return nil
	}
	var a anchor
	haveAnchor := false
	// A retired API version (HTTP 426) refuses every request: the families after it are not sent.
	var retired error
	guard := func(err error) error {
		var apiErr *collectors.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusUpgradeRequired {
			retired = err
		}
		return err
	}
	defer c.http.NoteRetries(sink)
	err := collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "followers today (networkSizes)", Run: func(ctx context.Context) error {
			var err error
			a, haveAnchor, err = c.snapshot(ctx, window, today, now, sink)
			return guard(err)
		}},
		collectors.Family{Name: "followers per day (organizationalEntityFollowerStatistics)", Run: func(ctx context.Context) error {
			if retired != nil || !haveAnchor {
				return nil // the family before said why
			}
			return guard(c.reconstruct(ctx, window, a, now, sink))
		}},
		collectors.Family{Name: "reach per month (organizationalEntityShareStatistics)", Run: func(ctx context.Context) error {
			if retired != nil {
				return nil
			}
			return guard(c.collectReach(ctx, window, today, now, sink))
		}},
	)
	// The expiry goes with the figures; a run that got nothing must stay a failure (a lone
	// credential row would make it "partial" and let a backfill step past a gap).
	if err == nil || len(sink.Records()) > 0 {
		sink.Add(c.credential(now))
	}
	return err
}

// credentialName is the row the token's expiries are recorded under, the same name as the other
// OAuth sources use.
const credentialName = "access_token"

// credential reports the expiries of the token in use and of its refresh token.
func (c *Collector) credential(now time.Time) figures.Credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.configured
	if c.token != nil {
		t = *c.token
	}
	return figures.Credential{Name: credentialName, ExpiresAt: t.AccessExpiresAt, RefreshExpiresAt: t.RefreshExpiresAt, CheckedAt: now}
}
