package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/innomed/rekkevidde/collectors"
)

// tokenMargin renews the token this long before Entra ID says it expires (it lasts about an hour).
const tokenMargin = 5 * time.Minute

// accessToken returns the cached app-only token, or requests a new one (client credentials grant)
// when it is missing or about to expire. The token lives in this process's memory only.
func (c *collector) accessToken(ctx context.Context) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != nil && c.now().Add(tokenMargin).Before(c.tokenExpires) {
		return c.token.AccessToken, nil
	}
	token, err := c.credentials.Token(context.WithValue(ctx, oauth2.HTTPClient, c.http.Standard()))
	if err != nil {
		return "", c.tokenError(ctx, err)
	}
	// The lifetime is counted on the source's clock, like every other time it compares.
	lifetime := time.Hour
	switch {
	case token.ExpiresIn > 0:
		lifetime = time.Duration(token.ExpiresIn) * time.Second
	case !token.Expiry.IsZero():
		lifetime = time.Until(token.Expiry)
	}
	c.token, c.tokenExpires = token, c.now().Add(lifetime)
	return token.AccessToken, nil
}

// dropToken forgets a token Graph refused, unless another request already replaced it.
func (c *collector) dropToken(refused string) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != nil && c.token.AccessToken == refused {
		c.token = nil
	}
}

// tokenError explains a failed token request. Entra ID answers with HTTP 400 or 401
// {"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. …"}.
func (c *collector) tokenError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("teams: get an access token: %w", ctxErr)
	}
	var retrieve *oauth2.RetrieveError
	if !errors.As(err, &retrieve) || retrieve.Response == nil {
		return fmt.Errorf("teams: get an access token from %s: %s", c.credentials.TokenURL, c.http.Redact(err.Error()))
	}
	said := retrieve.ErrorCode
	if d := firstLine(retrieve.ErrorDescription); d != "" {
		said += ": " + d
	}
	if said == "" {
		said = fmt.Sprintf("HTTP %d", retrieve.Response.StatusCode)
	}
	said = c.http.Redact(said)
	switch status := retrieve.Response.StatusCode; {
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("teams: Entra ID's token endpoint is rate limiting (%s): %w", said, collectors.ErrRateLimited)
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		advice := "check tenant_id, client_id and client_secret against the app registration (Entra admin center → App registrations)"
		switch {
		case strings.Contains(said, "AADSTS7000222"):
			advice = "the client secret has expired: add a new one under Certificates & secrets, update client_secret and client_secret_expires"
		case strings.Contains(said, "AADSTS7000215"):
			advice = "the client secret is wrong: give the secret's Value (not its Secret ID)"
		case strings.Contains(said, "AADSTS90002"), strings.Contains(said, "AADSTS900023"):
			advice = "Entra ID does not know tenant_id " + c.tenantID
		case strings.Contains(said, "AADSTS700016"):
			advice = "Entra ID does not know client_id in this tenant"
		}
		return fmt.Errorf("teams: Entra ID refused the app's credentials (%s): %s: %w", said, advice, collectors.ErrUnauthorized)
	}
	return fmt.Errorf("teams: the token endpoint answered %s", said)
}

// firstLine is an Entra ID error description without its trace and correlation ids.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " Trace ID:"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// graphError is the body of Graph's error answers: {"error":{"code":"…","message":"…"}}.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// apiCode returns the HTTP status and Graph's error code and message of a failed request.
func apiCode(err error) (status int, code, msg string) {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return 0, "", ""
	}
	var ge graphError
	_ = json.Unmarshal([]byte(apiErr.Body), &ge)
	return apiErr.Status, ge.Error.Code, ge.Error.Message
}

// isNotFound tells whether Graph answered that the thing (a report, a meeting) does not exist.
func isNotFound(err error) bool {
	status, _, _ := apiCode(err)
	return status == http.StatusNotFound
}

// get fetches rawURL (a path under base_url with query q, or a whole @odata.nextLink) into out.
// A refused token (401 InvalidAuthenticationToken: expired or revoked) is replaced once.
func (c *collector) get(ctx context.Context, rawURL string, q url.Values, header http.Header, out any) error {
	err := c.getOnce(ctx, rawURL, q, header, out)
	if status, _, _ := apiCode(err); status == http.StatusUnauthorized {
		c.log.Info("graph refused the access token; fetching a new one", "source", "teams", "path", pathForLog(rawURL))
		err = c.getOnce(ctx, rawURL, q, header, out)
		if status, code, msg := apiCode(err); status == http.StatusUnauthorized {
			return collectors.Explain(fmt.Sprintf("teams: GET %s: Graph refused a fresh access token too (%s: %s): check that the app registration still exists and its admin consent was not revoked",
				pathForLog(rawURL), code, collectors.HideEmailAddresses(msg)), err)
		}
	}
	return c.explain(rawURL, err)
}

func (c *collector) getOnce(ctx context.Context, rawURL string, q url.Values, header http.Header, out any) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	u := rawURL
	if strings.HasPrefix(u, "/") {
		u = c.baseURL + u
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("teams: build request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if status, _, _ := apiCode(err); status == http.StatusUnauthorized {
			c.dropToken(token)
		}
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("teams: read %s: %w", pathForLog(rawURL), err)
	}
	// Answers hold names and e-mail addresses: a decoding error says where, never what.
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("teams: GET %s answered malformed JSON (%s)", pathForLog(rawURL), jsonProblem(err))
	}
	return nil
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

// explain adds what to fix to Graph's permission errors. A missing application access policy and
// a missing permission both come as 403; they already match collectors.ErrUnauthorized.
func (c *collector) explain(rawURL string, err error) error {
	if err == nil {
		return nil
	}
	status, code, msg := apiCode(err)
	if status != http.StatusForbidden {
		return err
	}
	p := pathForLog(rawURL)
	msg = collectors.HideEmailAddresses(msg)
	if strings.Contains(strings.ToLower(msg), "access policy") {
		return collectors.Explain(fmt.Sprintf("teams: GET %s: no application access policy lets the app read this organiser's meetings (%s: %s): "+
			"a Teams administrator must run New-CsApplicationAccessPolicy and Grant-CsApplicationAccessPolicy for the organisers "+
			"(collectors/teams/README.md); it can take up to 30 minutes to apply", p, code, msg), err)
	}
	return collectors.Explain(fmt.Sprintf("teams: GET %s: the app lacks a permission (%s: %s): grant the application permissions "+
		"OnlineMeetingArtifact.Read.All, OnlineMeetings.Read.All, Calendars.Read and VirtualEvent.Read.All with admin consent",
		p, code, msg), err)
}

// pathForLog is a URL's path under the API, without host or query, for messages. Paths hold
// meeting ids, which encode the organiser's user id: those segments are shortened.
func pathForLog(rawURL string) string {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.Path
	}
	if i := strings.Index(p, "/v1.0/"); i >= 0 {
		p = p[i+len("/v1.0"):]
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) > 24 {
			segs[i] = s[:8] + "…"
		}
	}
	return collectors.HideEmailAddresses(strings.Join(segs, "/"))
}

// page is Graph's collection envelope.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// getAll reads a collection to its end, following @odata.nextLink. A next link that leaves
// base_url is refused: the access token must never be sent elsewhere.
func getAll[T any](ctx context.Context, c *collector, path string, q url.Values, header http.Header) ([]T, error) {
	var all []T
	next, query := path, q
	seen := map[string]bool{}
	for {
		var p page[T]
		if err := c.get(ctx, next, query, header, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		if p.NextLink == "" {
			return all, nil
		}
		if !strings.HasPrefix(p.NextLink, c.baseURL+"/") {
			return nil, fmt.Errorf("teams: GET %s: @odata.nextLink points outside base_url %s", pathForLog(path), c.baseURL)
		}
		if seen[p.NextLink] {
			return nil, fmt.Errorf("teams: GET %s: Graph returned the same @odata.nextLink twice", pathForLog(path))
		}
		seen[p.NextLink] = true
		next, query = p.NextLink, nil
	}
}
