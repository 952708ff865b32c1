package mailchimp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/innomed/rekkevidde/collectors"
)

// get fetches path (below the base URL) with query into out; what describes the request in errors
// ("campaign reports 2022-01-01..2022-01-31").
func (c *collector) get(ctx context.Context, path string, query url.Values, what string, out any) error {
	u := c.base + path
	if len(query) > 0 {
		// Encode escapes the "+" of "+00:00" offsets, which Mailchimp would otherwise read as a space.
		u += "?" + query.Encode()
	}
	c.log.Debug("mailchimp request", "list_id", c.listID, "what", what, "url", c.http.Redact(u))
	if err := c.http.JSON(ctx, http.MethodGet, u, c.header(), nil, out); err != nil {
		return c.explain(err, path, what)
	}
	return nil
}

// getAll pages through a collection with count and offset until it holds total_items entries (or
// a page comes back empty). key names the collection's array ("reports", "history").
func getAll[T any](ctx context.Context, c *collector, path string, query url.Values, key, what string) ([]T, error) {
	var all []T
	for offset := 0; ; {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("count", strconv.Itoa(c.pageSize))
		q.Set("offset", strconv.Itoa(offset))
		var page map[string]json.RawMessage
		if err := c.get(ctx, path, q, what, &page); err != nil {
			return nil, err
		}
		var items []T
		rawItems, ok := page[key]
		if !ok {
			return nil, fmt.Errorf("mailchimp: list %s: %s: the answer has no %q list; check that base_url points at the Mailchimp Marketing API (https://<dc>.api.mailchimp.com/3.0)", c.listID, what, key)
		}
		if err := json.Unmarshal(rawItems, &items); err != nil {
			return nil, fmt.Errorf("mailchimp: list %s: %s: malformed %q list at offset %d: %w", c.listID, what, key, offset, err)
		}
		var total int
		if err := json.Unmarshal(page["total_items"], &total); err != nil {
			return nil, fmt.Errorf("mailchimp: list %s: %s: the answer has no valid total_items, so the list cannot be paged completely: %w", c.listID, what, err)
		}
		all = append(all, items...)
		offset += len(items)
		if len(items) == 0 || offset >= total {
			return all, nil
		}
	}
}

// problem is Mailchimp's error body (application/problem+json).
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

// said is what Mailchimp said: "title: detail" from a problem body, else the start of the body
// (a gateway's HTML page, say).
func said(body string) string {
	var p problem
	if json.Unmarshal([]byte(body), &p) == nil && (p.Title != "" || p.Detail != "") {
		return strings.TrimSuffix(strings.TrimSpace(p.Title+": "+p.Detail), ":")
	}
	if body == "" {
		return "no message"
	}
	if len(body) > 200 {
		return body[:200] + "…"
	}
	return body
}

// explain turns Mailchimp's error answers into messages that tell an operator what to fix. The
// error chain keeps the *APIError, so ErrUnauthorized and ErrRateLimited still match.
func (c *collector) explain(err error, path, what string) error {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		// A malformed answer's error quotes its start, which could hold an address.
		return collectors.Explain(collectors.HideEmailAddresses(fmt.Sprintf("mailchimp: list %s: %s: %v", c.listID, what, err)), err)
	}
	msg := said(apiErr.Body)
	prefix := fmt.Sprintf("mailchimp: list %s: %s", c.listID, what)
	var text string
	switch apiErr.Status {
	case http.StatusUnauthorized:
		text = fmt.Sprintf("%s: Mailchimp refused the API key (HTTP 401: %s); check api_key (or %s) and that %s",
			prefix, msg, c.apiKeyEnv, c.dataCentreHint())
	case http.StatusForbidden:
		text = fmt.Sprintf("%s: Mailchimp denied access (HTTP 403: %s); the API key's user may be disabled or lack access to the audience: check api_key (or %s)",
			prefix, msg, c.apiKeyEnv)
	case http.StatusNotFound:
		if path == c.listPath() {
			text = fmt.Sprintf("%s: Mailchimp has no audience %s in this account (HTTP 404: %s); check list_id (Audience → Settings → Audience name and defaults → Audience ID) and that the API key belongs to the account that owns it",
				prefix, c.listID, msg)
		} else {
			text = fmt.Sprintf("%s: %s%s answered HTTP 404 (%s); check base_url", prefix, c.base, path, msg)
		}
	case http.StatusTooManyRequests:
		text = fmt.Sprintf("%s: Mailchimp still refused after backing off (HTTP 429: %s); it allows 10 simultaneous connections per user, shared with the account's other integrations, so one of them may be holding them",
			prefix, msg)
	default:
		text = fmt.Sprintf("%s: Mailchimp answered HTTP %d: %s", prefix, apiErr.Status, msg)
	}
	return collectors.Explain(collectors.HideEmailAddresses(text), err)
}

// dataCentreHint tells where the key's data centre sends requests.
func (c *collector) dataCentreHint() string {
	if c.dc == "" {
		return fmt.Sprintf("base_url %s is the API server of the key's account", c.base)
	}
	return fmt.Sprintf("the key's data centre suffix -%s matches the account (requests go to %s)", c.dc, c.base)
}
