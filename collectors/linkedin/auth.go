package linkedin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
)

// tokenStateName is the state file holding a renewed token (0600, never ClickHouse or logs).
const tokenStateName = "oauth_token"

// refreshAhead renews a token this long before it lapses, so no run starts with one about to expire.
const refreshAhead = 24 * time.Hour

// LinkedIn's 401 codes (api-formats §3).
const (
	codeExpired = "EXPIRED_ACCESS_TOKEN"
	codeRevoked = "REVOKED_ACCESS_TOKEN"
	// serviceErrorRevoked is sent with or without the code.
	serviceErrorRevoked = 65601
)

// tokenState is a token and what is known of its expiry.
type tokenState struct {
	// Grant fingerprints the configured tokens a saved state descends from: once the operator
	// re-authorises and configures new tokens, the saved one no longer applies.
	Grant            string     `json:"grant"`
	AccessToken      string     `json:"access_token"`
	AccessExpiresAt  *time.Time `json:"access_expires_at,omitempty"`
	RefreshToken     string     `json:"refresh_token,omitempty"`
	RefreshExpiresAt *time.Time `json:"refresh_expires_at,omitempty"`
}

func grantFingerprint(access, refresh string) string {
	sum := sha256.Sum256([]byte(access + "\x00" + refresh))
	return hex.EncodeToString(sum[:])
}

// currentToken returns the token in use, loading a saved one on first use.
func (c *Collector) currentToken() (tokenState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != nil {
		return *c.token, nil
	}
	t := c.configured
	var saved tokenState
	ok, err := c.state.Load(tokenStateName, &saved)
	if err != nil {
		return tokenState{}, err
	}
	if ok && saved.Grant == c.configured.Grant && saved.AccessToken != "" {
		t = saved
	}
	c.token = &t
	return t, nil
}

// accessToken returns a token to send, renewing it first when it is missing or about to lapse.
func (c *Collector) accessToken(ctx context.Context) (string, error) {
	t, err := c.currentToken()
	if err != nil {
		return "", err
	}
	due := t.AccessToken == "" || (t.AccessExpiresAt != nil && !c.now().Before(t.AccessExpiresAt.Add(-refreshAhead)))
	if due && t.RefreshToken != "" {
		if t, err = c.refresh(ctx); err != nil {
			return "", err
		}
	}
	return t.AccessToken, nil
}

// refresh exchanges the refresh token for a new access token and keeps it in the state dir.
// LinkedIn answers {"access_token","expires_in","refresh_token","refresh_token_expires_in"}; the
// refresh token's lifetime (365 days) is not extended by refreshing.
func (c *Collector) refresh(ctx context.Context) (tokenState, error) {
	cur, err := c.currentToken()
	if err != nil {
		return tokenState{}, err
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {cur.RefreshToken},
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenState{}, fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return tokenState{}, c.refreshError(err, cur)
	}
	defer func() { _ = resp.Body.Close() }()
	var answer struct {
		AccessToken           string `json:"access_token"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshToken          string `json:"refresh_token"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	}
	// Decoded here rather than with collectors.DecodeJSON, whose error quotes the body: a garbled
	// token answer would put the new token in an error message.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return tokenState{}, fmt.Errorf("renewing the access token: read the token endpoint's answer: %w", err)
	}
	if json.Unmarshal(raw, &answer) != nil || answer.AccessToken == "" {
		return tokenState{}, fmt.Errorf("renewing the access token: the token endpoint %s answered without a usable access_token (HTTP %d, %d bytes); check token_url",
			c.tokenURL, resp.StatusCode, len(raw))
	}
	now := c.now()
	next := cur
	next.AccessToken = answer.AccessToken
	next.AccessExpiresAt = nil
	if answer.ExpiresIn > 0 {
		at := now.Add(time.Duration(answer.ExpiresIn) * time.Second).UTC()
		next.AccessExpiresAt = &at
	}
	if answer.RefreshToken != "" {
		next.RefreshToken = answer.RefreshToken
	}
	if answer.RefreshTokenExpiresIn > 0 {
		at := now.Add(time.Duration(answer.RefreshTokenExpiresIn) * time.Second).UTC()
		next.RefreshExpiresAt = &at
	}
	// Only a token that will survive a restart is used: otherwise every run would renew it and the
	// operator would not learn that state_dir is broken.
	if err := c.state.Save(tokenStateName, next); err != nil {
		return tokenState{}, fmt.Errorf("the access token was renewed but cannot be kept: %w", err)
	}
	c.mu.Lock()
	c.token = &next
	c.mu.Unlock()
	c.log.Info("renewed the LinkedIn access token", "organization", c.orgID, "expires_at", next.AccessExpiresAt,
		"refresh_token_expires_at", next.RefreshExpiresAt)
	return next, nil
}

// refreshError explains a failed renewal. LinkedIn answers a spent or revoked refresh token with
// 400 {"error":"invalid_grant","error_description":"..."} and wrong app credentials with 401
// {"error":"invalid_client",...}.
func (c *Collector) refreshError(err error, cur tokenState) error {
	const prefix = "renewing the access token with refresh_token failed"
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || errors.Is(err, collectors.ErrRateLimited) || apiErr.Status >= 500 {
		return fmt.Errorf("%s: %w", prefix, c.explain(err))
	}
	var answer struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal([]byte(apiErr.Body), &answer)
	said := strings.Trim(answer.Error+": "+answer.Description, ": ")
	if said == "" {
		said = fmt.Sprintf("HTTP %d", apiErr.Status)
	}
	advice := "the refresh token has expired (they last 365 days) or was revoked: re-authorise the app with a page administrator's account " +
		"(Developer Portal → your app → Auth → OAuth 2.0 tools) and configure the new refresh_token and access_token"
	if cur.RefreshExpiresAt != nil {
		advice += fmt.Sprintf(" (the refresh token was due to expire %s)", cur.RefreshExpiresAt.UTC().Format(time.DateOnly))
	}
	if answer.Error == "invalid_client" || apiErr.Status == http.StatusUnauthorized {
		advice = "LinkedIn refused the app's credentials: check client_id and client_secret (Developer Portal → your app → Auth)"
	}
	return fmt.Errorf("%s (LinkedIn said %s): %s: %w", prefix, said, advice, collectors.ErrUnauthorized)
}

// get fetches rawURL as JSON with the LinkedIn headers. A 401 other than a revoked token renews
// the access token once and retries; every failure is explained for the operator.
func (c *Collector) get(ctx context.Context, rawURL string, out any) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	err = c.http.JSON(ctx, http.MethodGet, rawURL, c.headers(token), nil, out)
	var apiErr *collectors.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && !isRevoked(apiErr) {
		if t, _ := c.currentToken(); t.RefreshToken != "" {
			renewed, rerr := c.refresh(ctx)
			if rerr != nil {
				return rerr
			}
			err = c.http.JSON(ctx, http.MethodGet, rawURL, c.headers(renewed.AccessToken), nil, out)
		}
	}
	return c.explain(err)
}

func (c *Collector) headers(token string) http.Header {
	return http.Header{
		"Authorization":             {"Bearer " + token},
		"Linkedin-Version":          {c.apiVersion},
		"X-Restli-Protocol-Version": {"2.0.0"},
	}
}

// linkedInError is LinkedIn's error body: {"status","serviceErrorCode","code","message"}.
type linkedInError struct {
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
}

func parseError(apiErr *collectors.APIError) linkedInError {
	var e linkedInError
	_ = json.Unmarshal([]byte(apiErr.Body), &e)
	return e
}

func isRevoked(apiErr *collectors.APIError) bool {
	e := parseError(apiErr)
	return e.Code == codeRevoked || e.ServiceErrorCode == serviceErrorRevoked
}

// explain adds what to do to LinkedIn's refusals; callers prefix the source and what they fetched. The APIError stays in the chain, so errors.Is
// finds ErrUnauthorized or ErrRateLimited and the runner reads RetryAt.
func (c *Collector) explain(err error) error {
	var apiErr *collectors.APIError
	if err == nil || !errors.As(err, &apiErr) {
		return err
	}
	e := parseError(apiErr)
	var advice string
	switch apiErr.Status {
	case http.StatusUnauthorized:
		t, _ := c.currentToken()
		switch {
		case isRevoked(apiErr):
			advice = "the access token was revoked (the member withdrew the app's access, or LinkedIn did): re-authorise the app with a page administrator's account and configure the new access_token and refresh_token"
		case e.Code == codeExpired && t.RefreshToken == "":
			advice = "the access token has expired (they last 60 days): configure refresh_token, client_id and client_secret so Rekkevidde renews it, or re-authorise and set a new access_token"
		case t.RefreshToken != "":
			advice = "LinkedIn refused even a freshly renewed access token: re-authorise the app and configure the new access_token and refresh_token"
		default:
			advice = "LinkedIn refused the access token: check access_token (mistyped, or issued for another app); re-authorise if it persists"
		}
	case http.StatusForbidden:
		advice = fmt.Sprintf("the member who authorised the token must be an administrator of organization %s, and the token needs the rw_organization_admin scope", c.orgID)
	case http.StatusUpgradeRequired:
		advice = fmt.Sprintf("LinkedIn does not serve API version %s (%s): set settings.api_version to a current YYYYMM; LinkedIn supports each monthly version for about a year "+
			"(https://learn.microsoft.com/linkedin/marketing/versioning)", c.apiVersion, e.Code)
	case http.StatusTooManyRequests:
		// RetryAt is LinkedIn's Retry-After, else the next midnight UTC (nextMidnightUTC).
		advice = "LinkedIn's daily request quota for this app is used up; it resets at midnight UTC (usage: Developer Portal → your app → Analytics)"
	default:
		return err
	}
	return fmt.Errorf("%s: %w", advice, err)
}
