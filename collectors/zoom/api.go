package zoom

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
)

// tokenMargin renews the token this long before Zoom says it expires (it lasts an hour).
const tokenMargin = 5 * time.Minute

// accessToken returns the cached token, or fetches a new one when it is missing or about to expire.
// Server-to-server OAuth has no refresh token: a new token is simply requested.
func (c *collector) accessToken(ctx context.Context) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != "" && c.now().Before(c.tokenExpires) {
		return c.token, nil
	}
	q := url.Values{"grant_type": {"account_credentials"}, "account_id": {c.accountID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("zoom: token request: %w", err)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(c.clientID.Value() + ":" + c.clientSecret.Value()))
	req.Header.Set("Authorization", "Basic "+basic)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.tokenError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var answer struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	// The body holds the token: a decoding error must not quote it.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || json.Unmarshal(raw, &answer) != nil || answer.AccessToken == "" {
		return "", fmt.Errorf("zoom: the token endpoint %s answered without an access token (HTTP %d): check token_url", c.tokenURL, resp.StatusCode)
	}
	lifetime := time.Duration(answer.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	c.token = answer.AccessToken
	c.tokenExpires = c.now().Add(max(lifetime-tokenMargin, lifetime/2))
	return c.token, nil
}

// dropToken forgets a token Zoom refused, unless another request already replaced it.
func (c *collector) dropToken(refused string) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token == refused {
		c.token = ""
	}
}

// tokenError explains a failed token request. Zoom answers wrong credentials with HTTP 400 or 401
// {"reason":"Invalid client_id or client_secret","error":"invalid_client"}.
func (c *collector) tokenError(err error) error {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("zoom: get an access token: %w", err)
	}
	switch apiErr.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		var answer struct {
			Reason string `json:"reason"`
			Error  string `json:"error"`
		}
		_ = json.Unmarshal([]byte(apiErr.Body), &answer)
		said := strings.Trim(answer.Error+": "+answer.Reason, ": ")
		if said == "" {
			said = fmt.Sprintf("HTTP %d", apiErr.Status)
		}
		return fmt.Errorf("zoom: Zoom refused the app's credentials (%s): check account_id (%s), client_id and client_secret "+
			"against the Server-to-Server OAuth app in the Zoom App Marketplace, and that the app is activated: %w",
			c.http.Redact(said), c.accountID, collectors.ErrUnauthorized)
	}
	return fmt.Errorf("zoom: get an access token: %w", err)
}

// zoomError is the body of Zoom's error answers.
type zoomError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Zoom error codes this collector acts on.
const (
	codeInvalidToken = 124  // expired or invalid access token
	codeNotFound     = 3001 // meeting or webinar does not exist, or its report has expired
	codeNoPermission = 200
	codeNoScope      = 4711 // the token lacks a scope the endpoint needs
	codeNoScopeAlt   = 4700
	codeUserMissing  = 1001
	codeNoPlan       = 12702 // reports need a paid plan, or data older than a year
	codeBadPageToken = 300   // invalid request parameter, among them an expired next_page_token
)

// apiCode returns the HTTP status and Zoom's error code of a failed request.
func apiCode(err error) (status, code int, msg string) {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return 0, 0, ""
	}
	var ze zoomError
	_ = json.Unmarshal([]byte(apiErr.Body), &ze)
	return apiErr.Status, ze.Code, ze.Message
}

// isGone tells whether Zoom answered that the meeting, webinar or its report does not exist (any
// more): reports are kept for six months.
func isGone(err error) bool {
	status, code, _ := apiCode(err)
	return status == http.StatusNotFound || code == codeNotFound
}

// get fetches path (already escaped) with query q into out. A refused token (HTTP 401) is
// replaced once; Zoom's permission errors are explained.
func (c *collector) get(ctx context.Context, path string, q url.Values, out any) error {
	err := c.getOnce(ctx, path, q, out)
	if status, _, _ := apiCode(err); status == http.StatusUnauthorized {
		c.log.Info("zoom refused the access token; fetching a new one", "source", "zoom", "path", pathForLog(path))
		err = c.getOnce(ctx, path, q, out)
		if status, code, msg := apiCode(err); status == http.StatusUnauthorized {
			return fmt.Errorf("zoom: GET %s: Zoom refused a fresh access token too (code %d, %q): check that the Server-to-Server OAuth app is activated and not deleted, and its account_id: %w",
				pathForLog(path), code, msg, err)
		}
	}
	return explain(path, err)
}

func (c *collector) getOnce(ctx context.Context, path string, q url.Values, out any) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	u := c.baseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
	// Fetch asks again when an answer arrives cut off or malformed.
	err = c.http.Fetch(ctx, build, func(_ *http.Response, raw []byte) error {
		// Answers hold names and e-mail addresses: a decoding error says where, never what.
		if err := json.Unmarshal(raw, out); err != nil {
			return collectors.Explain(fmt.Sprintf("zoom: GET %s answered malformed JSON (%s)", pathForLog(path), jsonProblem(err)), err)
		}
		return nil
	})
	if status, _, _ := apiCode(err); status == http.StatusUnauthorized {
		c.dropToken(token)
	}
	return err
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "syntax error at byte " + strconv.FormatInt(syntax.Offset, 10)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %s is a JSON %s, not a %s", typeErr.Field, typeErr.Value, typeErr.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the answer ends early"
	}
	return "not JSON"
}

// explain adds what to fix to Zoom's permission and configuration errors.
func explain(path string, err error) error {
	if err == nil {
		return nil
	}
	status, code, msg := apiCode(err)
	if status == 0 {
		return err
	}
	p := pathForLog(path)
	switch code {
	case codeNoScope, codeNoScopeAlt:
		return fmt.Errorf("zoom: GET %s: the app lacks a scope (%s): add the scopes listed in collectors/zoom/README.md to the Server-to-Server OAuth app and activate it again: %w (%w)",
			p, msg, collectors.ErrUnauthorized, err)
	case codeNoPermission:
		return fmt.Errorf("zoom: GET %s: no permission (%s): the app needs the admin scopes in collectors/zoom/README.md, and the user a webinar licence: %w (%w)",
			p, msg, collectors.ErrUnauthorized, err)
	case codeUserMissing:
		return fmt.Errorf("zoom: GET %s: Zoom does not know user_id (%s): set user_id to the e-mail or id of the Zoom user who hosts the webinars: %w", p, msg, err)
	case codeNoPlan:
		return fmt.Errorf("zoom: GET %s: Zoom has no report for this (%s): reports need a paid plan, and are kept for six months: %w", p, msg, err)
	}
	return err
}

// pathForLog is a path without the base URL, for messages.
func pathForLog(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// listPage is the paging envelope every Zoom list shares.
type listPage struct {
	NextPageToken string `json:"next_page_token"`
	TotalRecords  int    `json:"total_records"`
}

// fetchAll reads every page of a list. items returns a page's items and its envelope. A
// next_page_token Zoom no longer accepts (they expire after 15 minutes) restarts the list once.
func fetchAll[P any, I any](ctx context.Context, c *collector, path string, q url.Values, items func(*P) ([]I, listPage)) ([]I, error) {
	for restarted := false; ; restarted = true {
		all, expired, err := fetchPages(ctx, c, path, q, items)
		if !expired || restarted {
			return all, err
		}
		c.log.Info("zoom page token expired; reading the list again from the start", "source", "zoom", "path", pathForLog(path))
	}
}

func fetchPages[P any, I any](ctx context.Context, c *collector, path string, q url.Values, items func(*P) ([]I, listPage)) (all []I, expiredToken bool, err error) {
	token := ""
	for {
		query := url.Values{}
		for k, v := range q {
			query[k] = v
		}
		query.Set("page_size", strconv.Itoa(c.pageSize))
		if token != "" {
			query.Set("next_page_token", token)
		}
		var page P
		if err := c.get(ctx, path, query, &page); err != nil {
			status, code, _ := apiCode(err)
			if token != "" && (status == http.StatusBadRequest || status == http.StatusNotFound) && code == codeBadPageToken {
				return nil, true, err
			}
			return nil, false, err
		}
		got, env := items(&page)
		all = append(all, got...)
		if env.NextPageToken == "" {
			return all, false, nil
		}
		if env.NextPageToken == token {
			return nil, false, fmt.Errorf("zoom: GET %s: Zoom returned the same next_page_token twice", pathForLog(path))
		}
		token = env.NextPageToken
	}
}

// escapeID escapes a meeting or webinar id or instance UUID for a path. Zoom wants a UUID that
// starts with "/" or contains "//" encoded twice.
func escapeID(id string) string {
	if strings.HasPrefix(id, "/") || strings.Contains(id, "//") {
		return url.PathEscape(url.PathEscape(id))
	}
	return url.PathEscape(id)
}
