package plausible

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
)

// queryRequest is the body of POST /api/v2/query.
type queryRequest struct {
	SiteID     string   `json:"site_id"`
	Metrics    []string `json:"metrics"`
	DateRange  any      `json:"date_range"` // [from, to] as YYYY-MM-DD, or a named range such as "all"
	Dimensions []string `json:"dimensions,omitempty"`
	// OrderBy entries are [metric or dimension, "asc" | "desc"].
	OrderBy    [][2]string `json:"order_by,omitempty"`
	Include    include     `json:"include"`
	Pagination *pagination `json:"pagination,omitempty"`
}

// include.Imports is always sent, and false: imported (Google Analytics) data exists only per day
// and per single report, so Plausible cannot split it by channel and device together, and its
// "unique visitors" over a month or more would be sums of daily figures.
type include struct {
	Imports   bool `json:"imports"`
	TotalRows bool `json:"total_rows,omitempty"`
}

type pagination struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// queryResponse is Plausible's answer. Each result's metrics and dimensions follow the order of the
// request's metrics and dimensions.
type queryResponse struct {
	Results []result `json:"results"`
	Meta    struct {
		TotalRows       *int            `json:"total_rows"`
		ImportsIncluded bool            `json:"imports_included"`
		ImportsWarning  string          `json:"imports_warning"`
		MetricWarnings  json.RawMessage `json:"metric_warnings"`
	} `json:"meta"`
	// Query echoes the request; its date_range is in ISO datetimes in the site's time zone.
	Query struct {
		DateRange []string `json:"date_range"`
	} `json:"query"`
	Error string `json:"error"`
}

type result struct {
	Metrics    []json.Number `json:"metrics"`
	Dimensions []string      `json:"dimensions"`
}

// query sends one request; what describes it in errors ("daily traffic 2022-01-01..2022-01-31").
func (c *collector) query(ctx context.Context, req queryRequest, what string, sink *collectors.Sink) (queryResponse, error) {
	req.SiteID = c.siteID
	kind := strings.Join(req.Metrics, ",") + "/" + strings.Join(req.Dimensions, ",")
	if said, ok := c.refusedEarlier(kind); ok {
		return queryResponse{}, fmt.Errorf("plausible: site_id %s: %s not asked again: Plausible rejected its metrics or dimensions earlier in this process: %s", c.siteID, what, said)
	}
	var resp queryResponse
	c.log.Debug("plausible query", "site_id", c.siteID, "what", what, "pagination", req.Pagination)
	if err := c.http.JSON(ctx, http.MethodPost, c.queryURL, c.authHeader(), req, &resp); err != nil {
		err = c.explain(err, what)
		if unknownField(err) {
			c.rememberRefused(kind, err.Error())
		}
		return queryResponse{}, err
	}
	if resp.Error != "" {
		return queryResponse{}, fmt.Errorf("plausible: site_id %s: %s: Plausible answered an error: %s", c.siteID, what, c.http.Redact(resp.Error))
	}
	if resp.Results == nil {
		return queryResponse{}, fmt.Errorf("plausible: site_id %s: %s: the answer has no results list; check that base_url points at a Plausible server", c.siteID, what)
	}
	for _, r := range resp.Results {
		if len(r.Metrics) != len(req.Metrics) || len(r.Dimensions) != len(req.Dimensions) {
			return queryResponse{}, fmt.Errorf("plausible: site_id %s: %s: a result holds %d metrics and %d dimensions where %d and %d were asked for",
				c.siteID, what, len(r.Metrics), len(r.Dimensions), len(req.Metrics), len(req.Dimensions))
		}
	}
	if resp.Meta.ImportsIncluded {
		sink.Note("plausible: Plausible included imported data although Rekkevidde asks without it; figures may mix imported and native data")
	}
	if resp.Meta.ImportsWarning != "" {
		sink.Note("plausible: %s", resp.Meta.ImportsWarning)
	}
	if w := strings.TrimSpace(string(resp.Meta.MetricWarnings)); w != "" && w != "null" && w != "{}" {
		sink.Note("plausible: Plausible warned about metrics: %s", w)
	}
	return resp, nil
}

// queryAll pages through a query with include.total_rows until it holds every row. A row that
// shows up again on a later page (today's rows can shift while paging) comes back twice; callers
// key rows by their dimensions, so it is never counted twice.
func (c *collector) queryAll(ctx context.Context, req queryRequest, what string, sink *collectors.Sink) ([]result, queryResponse, error) {
	req.Include.TotalRows = true
	var all []result
	var last queryResponse
	for offset := 0; ; {
		req.Pagination = &pagination{Limit: c.pageSize, Offset: offset}
		resp, err := c.query(ctx, req, what, sink)
		if err != nil {
			return nil, queryResponse{}, err
		}
		if resp.Meta.TotalRows == nil {
			return nil, queryResponse{}, fmt.Errorf("plausible: site_id %s: %s: the answer has no meta.total_rows, so the rows cannot be paged completely; is base_url a Plausible server with the Stats API v2?", c.siteID, what)
		}
		all = append(all, resp.Results...)
		last = resp
		offset += len(resp.Results)
		total := *resp.Meta.TotalRows
		if offset >= total {
			return all, last, nil
		}
		if len(resp.Results) == 0 {
			return nil, queryResponse{}, fmt.Errorf("plausible: site_id %s: %s: an empty page at offset %d of %d rows", c.siteID, what, offset, total)
		}
	}
}

// unknownField recognises Plausible's 400 for a metric or dimension it does not offer ("Unknown
// metric", "Invalid dimensions", "… is not supported"): the same query would be refused in every
// step.
func unknownField(err error) bool {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		return false
	}
	body := strings.ToLower(apiErr.Body)
	return strings.Contains(body, "unknown metric") || strings.Contains(body, "invalid dimension") || strings.Contains(body, "is not supported")
}

func (c *collector) refusedEarlier(kind string) (string, bool) {
	c.refusedMu.Lock()
	defer c.refusedMu.Unlock()
	said, ok := c.refused[kind]
	return said, ok
}

func (c *collector) rememberRefused(kind, said string) {
	c.refusedMu.Lock()
	defer c.refusedMu.Unlock()
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	if len(said) > 300 {
		said = said[:300] + "…"
	}
	c.refused[kind] = said
}

// explain turns Plausible's error answers into messages that tell an operator what to fix. The
// error chain keeps the *APIError, so ErrUnauthorized and ErrRateLimited still match.
func (c *collector) explain(err error, what string) error {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("plausible: site_id %s: %s: %w", c.siteID, what, err)
	}
	said := plausibleMessage(apiErr.Body)
	prefix := fmt.Sprintf("plausible: site_id %s: %s", c.siteID, what)
	var msg string
	switch apiErr.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg = fmt.Sprintf("%s: Plausible refused the API key or does not know the site (HTTP %d: %s); check api_key (or %s), that site_id is the site's domain as Plausible shows it, and that the key's account can see it",
			prefix, apiErr.Status, said, c.apiKeyEnv)
	case http.StatusBadRequest:
		msg = fmt.Sprintf("%s: Plausible rejected the query (HTTP 400: %s); check site_id (Plausible's domain of the site, e.g. innomed.no); a message about a metric, dimension or date_range means the server at base_url does not take the Stats API v2 query Rekkevidde sends", prefix, said)
	case http.StatusPaymentRequired:
		msg = fmt.Sprintf("%s: Plausible requires a paid plan for this (HTTP 402: %s); use the API key of an account whose subscription includes the Stats API, or renew the site's subscription", prefix, said)
	case http.StatusNotFound:
		msg = fmt.Sprintf("%s: %s answered HTTP 404 (%s); check base_url", prefix, c.queryURL, said)
	case http.StatusTooManyRequests:
		// RetryAt is Plausible's Retry-After, else the next full hour (nextHour).
		msg = fmt.Sprintf("%s: rate limited by Plausible, which counts requests per hour and API key (600 by default), retry after %s: %s",
			prefix, apiErr.RetryAt.UTC().Format(time.RFC3339), said)
	default:
		msg = fmt.Sprintf("%s: Plausible answered HTTP %d: %s", prefix, apiErr.Status, said)
	}
	return collectors.Explain(msg, err)
}

// plausibleMessage reads Plausible's {"error": "..."} body, or returns the start of any other body.
func plausibleMessage(body string) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) == nil && e.Error != "" {
		return e.Error
	}
	if body == "" {
		return "no message"
	}
	if len(body) > 200 {
		return body[:200] + "…"
	}
	return body
}

// count reads a metric that must be a whole, non-negative number.
func count(n json.Number) (uint64, error) {
	if v, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return v, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, fmt.Errorf("%q is not a count", string(n))
	}
	return uint64(f), nil
}
