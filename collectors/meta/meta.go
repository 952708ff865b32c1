// Package meta is the Graph API client that the facebook and instagram sources share: requests with
// the access token in the Authorization header, Meta's error bodies turned into messages an operator
// can act on, throttling by error code and by usage headers, insights paging that stops at the
// asked-for end, the conversion of Meta's Pacific end_time onto calendar days, and the token check
// that records when the access token expires.
package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	// Meta's days end at midnight US Pacific; embedding the zone data keeps that true on hosts
	// without tzdata.
	_ "time/tzdata"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
)

const (
	// DefaultBaseURL is the Graph API host.
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultAPIVersion is the Graph API version asked for unless api_version says otherwise.
	DefaultAPIVersion = "v25.0"
	// usageLimit is the share of a Meta quota (percent) at which a run stops before Meta blocks
	// the app, page or account.
	usageLimit = 90
	// defaultPause is how long a source waits after throttling that retries did not mend when Meta
	// does not say: app and page quotas are counted over a rolling hour.
	defaultPause = time.Hour
	// Meta counts quotas per hour, not per second; a slow steady pace keeps a backfill well below
	// them and leaves room for other apps using the same page.
	requestsPerSecond = 2
	requestBurst      = 4
)

var (
	apiVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	numericID         = regexp.MustCompile(`^[0-9]+$`)
	accountLabel      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Account checks the two settings every Graph source has: the node's numeric id (idKey names the
// setting, idHint says where to find the id) and the account the figures are stored under as
// account_id, which defaults to the id and must be a short label. Both come back trimmed; an
// error names the source and the setting.
func Account(source, idKey, idHint, id, account string) (string, string, error) {
	id = strings.TrimSpace(id)
	if !numericID.MatchString(id) {
		return "", "", fmt.Errorf("%s: settings: %s %q must be %s", source, idKey, id, idHint)
	}
	account = strings.TrimSpace(account)
	if account == "" {
		account = id
	}
	if !accountLabel.MatchString(account) {
		return "", "", fmt.Errorf("%s: settings: account %q must be a short name of letters, digits, '.', '_' or '-' (e.g. innomed)", source, account)
	}
	return id, account, nil
}

// Config is what one source's Graph client needs.
type Config struct {
	// Source prefixes every error and log line ("facebook", "instagram").
	Source string
	// BaseURL and APIVersion are the settings base_url and api_version (empty: the defaults).
	BaseURL    string
	APIVersion string
	// Token is the access token; AppToken, when set (APP_ID|APP_SECRET), inspects it on
	// /debug_token, otherwise the token inspects itself.
	Token    config.Secret
	AppToken config.Secret
	// TokenHint tells an operator where the token is set, e.g. "access_token (or
	// REKKEVIDDE_SOURCE_FACEBOOK_ACCESS_TOKEN)".
	TokenHint string
	// TokenKind names the token in messages ("long-lived Page access token").
	TokenKind string
	// Permissions lists what the token must be allowed, for messages.
	Permissions string
	Now         func() time.Time
	Log         *slog.Logger
	// HTTP, when set, adjusts the HTTP options (tests shorten the waits).
	HTTP func(*collectors.HTTPOptions)
	// MaxRangeDays is the longest since..until span Meta documents for this node's insights (90
	// days for Pages, 30 for Instagram accounts); 0 means no known limit.
	MaxRangeDays int
}

// Client talks to the Graph API for one source.
type Client struct {
	source      string
	root        *url.URL // base_url + "/" + api_version
	version     string
	token       config.Secret
	appToken    config.Secret
	tokenHint   string
	tokenKind   string
	permissions string
	http        *collectors.HTTPClient
	pacific     *time.Location
	now         func() time.Time
	log         *slog.Logger

	mu sync.Mutex
	// pausedUntil holds requests back after Meta said the quota is (nearly) used up, across runs.
	pausedUntil time.Time
	pauseReason string
	// rejected are metrics Meta refused on this API version; they are not asked for again but
	// still reported on every run until the configuration changes.
	rejected map[string]string
	// tokenChecked is when CheckToken last found the token valid (zero: not yet).
	tokenChecked time.Time
	// maxSpan is the longest since..until span Meta serves in one request: the documented limit,
	// lowered when Meta refuses a shorter one. Longer spans are not asked for (see Serves).
	maxSpan time.Duration
}

// NewClient validates base_url and api_version and builds the client. Errors name the setting.
func NewClient(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("settings: base_url %q must be an absolute http(s) URL such as %s", cfg.BaseURL, DefaultBaseURL)
	}
	version := strings.TrimSpace(cfg.APIVersion)
	if version == "" {
		version = DefaultAPIVersion
	}
	if !apiVersionPattern.MatchString(version) {
		return nil, fmt.Errorf("settings: api_version %q must look like %s", cfg.APIVersion, DefaultAPIVersion)
	}
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, fmt.Errorf("load Meta's time zone: %w", err)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + version
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{
		source: cfg.Source, root: u, version: version, token: cfg.Token, appToken: cfg.AppToken,
		tokenHint: cfg.TokenHint, tokenKind: cfg.TokenKind, permissions: cfg.Permissions,
		pacific: pacific, now: now, log: log, rejected: map[string]string{},
		maxSpan: time.Duration(cfg.MaxRangeDays) * 24 * time.Hour,
	}
	opts := collectors.HTTPOptions{
		Source:            cfg.Source,
		RequestsPerSecond: requestsPerSecond,
		Burst:             requestBurst,
		// Requests are made one after another.
		Concurrency: 1,
		Secrets:     []string{cfg.Token.Value(), cfg.AppToken.Value()},
		Throttled:   throttled,
		RetryAt:     regainAccess,
		Now:         now,
		Log:         log,
	}
	if cfg.HTTP != nil {
		cfg.HTTP(&opts)
	}
	c.http = collectors.NewHTTPClient(opts)
	return c, nil
}

// NoteRetries notes the transient faults retried since the last call (see collectors.HTTPClient).
func (c *Client) NoteRetries(sink *collectors.Sink) { c.http.NoteRetries(sink) }

// APIVersion is the Graph API version in use.
func (c *Client) APIVersion() string { return c.version }

// Redact removes the tokens from s.
func (c *Client) Redact(s string) string { return c.http.Redact(s) }

// Fields reads fields of a node (GET /{node}?fields=…) into out.
func (c *Client) Fields(ctx context.Context, node string, fields []string, out any, what string) error {
	u := c.url(node, url.Values{"fields": {strings.Join(fields, ",")}})
	return c.get(ctx, u, c.token, out, what)
}

func (c *Client) url(path string, q url.Values) *url.URL {
	u := *c.root
	u.Path = c.root.Path + "/" + strings.TrimLeft(path, "/")
	u.RawQuery = q.Encode()
	return &u
}

// get sends one GET with bearer as the token, checks the usage headers and decodes the answer.
func (c *Client) get(ctx context.Context, u *url.URL, bearer config.Secret, out any, what string) error {
	if err := c.checkPause(u.Path, what); err != nil {
		return err
	}
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+bearer.Value())
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
	var raw json.RawMessage
	var status int
	// Fetch asks again when the answer arrives cut off or malformed; each answer's usage headers
	// are read, so a quota nearly used up stops the run after it.
	err := c.http.Fetch(ctx, build, func(resp *http.Response, body []byte) error {
		c.observeUsage(resp.Header)
		status = resp.StatusCode
		return collectors.DecodeJSON(c.source, u.Path, bytes.NewReader(body), &raw)
	})
	var apiErr *collectors.APIError
	if errors.As(err, &apiErr) {
		return c.explain(err, what)
	}
	if err != nil {
		return &metaError{msg: fmt.Sprintf("%s: %s: %s", c.source, what, c.Redact(err.Error())), errs: []error{err}}
	}
	// Meta sends errors with a non-2xx status, but a proxy may not; an error body is never data.
	var probe struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.Error != nil {
		return fmt.Errorf("%s: %s: Meta answered an error with HTTP %d: %s", c.source, what, status, c.Redact(probe.Error.String()))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %s: %s answered JSON of an unexpected shape (%v): %.120q", c.source, what, u.Path, err, c.Redact(string(raw)))
	}
	return nil
}

// checkPause refuses to send while Meta's quota has not recovered, so a throttled source does not
// make it worse; the error carries the time to come back.
func (c *Client) checkPause(path, what string) error {
	c.mu.Lock()
	until, reason := c.pausedUntil, c.pauseReason
	c.mu.Unlock()
	if !c.now().Before(until) {
		return nil
	}
	apiErr := &collectors.APIError{Source: c.source, Method: http.MethodGet, Path: path, Throttled: true, RetryAt: until}
	return &metaError{
		msg: fmt.Sprintf("%s: %s: not sent: %s; requests pause until %s so that Meta does not block the app",
			c.source, what, reason, until.UTC().Format(time.RFC3339)),
		errs: []error{apiErr},
	}
}

func (c *Client) pause(until time.Time, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.pausedUntil) {
		c.pausedUntil, c.pauseReason = until, reason
	}
}

// throttled is the HTTP client's Throttled hook: it recognises Meta's "slow down" answers, which
// come with HTTP 400 or 403 and an error code rather than a 429.
func throttled(_ int, _ http.Header, body []byte) bool {
	e, ok := ParseError(string(body))
	return ok && IsThrottleCode(e.Code)
}

// regainAccess is the HTTP client's RetryAt hook for those answers. The usage header's
// estimated_time_to_regain_access is Meta's own word, so it is sure: retries before then are
// refused. Without it a throttle is often over in seconds, so the answer is retried first and
// defaultPause reported only when the retries do not mend it.
func regainAccess(_ int, header http.Header, body []byte, now time.Time) (time.Time, bool) {
	if !throttled(0, header, body) {
		return time.Time{}, false
	}
	if _, regain, _ := readUsage(header); regain > 0 {
		return now.Add(regain), true
	}
	return now.Add(defaultPause), false
}

// observeUsage stops the source cleanly once a usage header reports a quota at usageLimit percent:
// the answer in hand is used, the next request is not sent.
func (c *Client) observeUsage(header http.Header) {
	pct, regain, which := readUsage(header)
	if pct < usageLimit {
		return
	}
	wait := defaultPause
	if regain > 0 {
		wait = regain
	}
	until := c.now().Add(wait)
	reason := fmt.Sprintf("Meta reports %d%% of a quota used (%s)", pct, which)
	c.log.Warn("Meta quota nearly used up; pausing requests", "source", c.source, "usage_percent", pct,
		"header", which, "until", until.UTC().Format(time.RFC3339))
	c.pause(until, reason)
}

// readUsage returns the highest percentage in Meta's usage headers, the longest
// estimated_time_to_regain_access (minutes in the header) and the header it came from.
func readUsage(header http.Header) (pct int, regain time.Duration, which string) {
	for _, name := range []string{"X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage"} {
		raw := header.Get(name)
		if raw == "" {
			continue
		}
		var usage map[string]float64
		if json.Unmarshal([]byte(raw), &usage) != nil {
			continue
		}
		for _, v := range usage {
			if int(v) > pct {
				pct, which = int(v), name
			}
		}
	}
	for _, name := range []string{"X-Business-Use-Case-Usage", "X-Instagram-Business-Use-Case-Usage"} {
		raw := header.Get(name)
		if raw == "" {
			continue
		}
		var buc map[string][]map[string]any
		if json.Unmarshal([]byte(raw), &buc) != nil {
			continue
		}
		for _, entries := range buc {
			for _, e := range entries {
				for k, v := range e {
					n, ok := v.(float64)
					if !ok {
						continue
					}
					switch k {
					case "estimated_time_to_regain_access":
						regain = max(regain, time.Duration(n)*time.Minute)
					case "call_count", "total_cputime", "total_time":
						if int(n) > pct {
							pct, which = int(n), name
						}
					}
				}
			}
		}
	}
	return pct, regain, which
}

// explain turns a failed request into a message that says what to fix, keeping the *APIError in
// the chain (ErrRateLimited, RetryAt) and adding ErrUnauthorized for Meta's token and permission
// codes, which arrive as HTTP 400.
func (c *Client) explain(err error, what string) error {
	prefix := c.source + ": " + what
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return &metaError{msg: prefix + ": " + c.Redact(err.Error()), errs: []error{err}}
	}
	e, parsed := ParseError(apiErr.Body)
	if !parsed {
		e = Error{Message: apiErr.Body}
	}
	said := c.Redact(e.String())
	switch {
	case apiErr.Throttled:
		// RetryAt is Meta's Retry-After, else what regainAccess made of the answer.
		c.pause(apiErr.RetryAt, fmt.Sprintf("Meta throttled the last request (code %d)", e.Code))
		return &metaError{msg: fmt.Sprintf("%s: Meta throttled the requests (HTTP %d: %s); retry after %s",
			prefix, apiErr.Status, said, apiErr.RetryAt.UTC().Format(time.RFC3339)), errs: []error{err}}
	case e.Code == 190 || apiErr.Status == http.StatusUnauthorized:
		return &metaError{msg: fmt.Sprintf("%s: Meta refused the access token (%s: %s): issue a new %s and set it as %s",
			prefix, tokenProblem(e.Subcode), said, c.tokenKind, c.tokenHint),
			errs: []error{collectors.ErrUnauthorized, err}}
	case e.Code == 10 || (e.Code >= 200 && e.Code < 300) || apiErr.Status == http.StatusForbidden:
		return &metaError{msg: fmt.Sprintf("%s: the access token lacks a permission (HTTP %d: %s): the token must be allowed %s; issue a new %s with them and set it as %s",
			prefix, apiErr.Status, said, c.permissions, c.tokenKind, c.tokenHint),
			errs: []error{collectors.ErrUnauthorized, err}}
	case e.Code == 803 || (e.Code == 100 && e.Subcode == 33):
		return &metaError{msg: fmt.Sprintf("%s: Meta does not know this account or the token cannot see it (HTTP %d: %s); check the account id setting", prefix, apiErr.Status, said),
			errs: []error{err}}
	case apiErr.Status == http.StatusNotFound:
		return &metaError{msg: fmt.Sprintf("%s: %s answered HTTP 404 (%s); check base_url and api_version", prefix, c.root, said), errs: []error{err}}
	}
	return &metaError{msg: fmt.Sprintf("%s: Meta answered HTTP %d: %s", prefix, apiErr.Status, said), errs: []error{err}}
}

// tokenProblem reads code 190's subcode.
func tokenProblem(subcode int) string {
	switch subcode {
	case 463:
		return "the token has expired"
	case 460:
		return "the token was invalidated, e.g. by a password change"
	case 467:
		return "the token is invalid, e.g. the user logged out"
	case 458:
		return "the app is no longer authorised"
	case 464, 459:
		return "the user must log in to Facebook to confirm the account"
	case 492:
		return "the user has no role on the Page any more"
	}
	if subcode != 0 {
		return fmt.Sprintf("token error, subcode %d", subcode)
	}
	return "token error"
}

// metaError is an explained error: its message for operators, its chain for errors.Is and As.
type metaError struct {
	msg  string
	errs []error
}

func (e *metaError) Error() string   { return e.msg }
func (e *metaError) Unwrap() []error { return e.errs }
