package ga4

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
)

// reportRequest is the body of properties/{id}:runReport.
type reportRequest struct {
	DateRanges      []dateRange `json:"dateRanges"`
	Dimensions      []named     `json:"dimensions,omitempty"`
	Metrics         []named     `json:"metrics"`
	DimensionFilter *filter     `json:"dimensionFilter,omitempty"`
	OrderBys        []orderBy   `json:"orderBys,omitempty"`
	Limit           int64       `json:"limit"`
	Offset          int64       `json:"offset,omitempty"`
}

type dateRange struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
}

type named struct {
	Name string `json:"name"`
}

type orderBy struct {
	Dimension *dimensionOrder `json:"dimension,omitempty"`
	Metric    *metricOrder    `json:"metric,omitempty"`
	Desc      bool            `json:"desc,omitempty"`
}

type dimensionOrder struct {
	DimensionName string `json:"dimensionName"`
}

type metricOrder struct {
	MetricName string `json:"metricName"`
}

type filter struct {
	Filter struct {
		FieldName    string `json:"fieldName"`
		InListFilter struct {
			Values        []string `json:"values"`
			CaseSensitive bool     `json:"caseSensitive"`
		} `json:"inListFilter"`
	} `json:"filter"`
}

func newRequest(from, to time.Time, dimensions, metrics []string) reportRequest {
	req := reportRequest{DateRanges: []dateRange{{StartDate: days.Format(from), EndDate: days.Format(to)}}}
	for _, d := range dimensions {
		req.Dimensions = append(req.Dimensions, named{Name: d})
	}
	for _, m := range metrics {
		req.Metrics = append(req.Metrics, named{Name: m})
	}
	return req
}

// reportResponse is the part of a RunReportResponse the collector reads. Metric values are strings;
// rows and rowCount are absent when there is no data.
type reportResponse struct {
	DimensionHeaders []named `json:"dimensionHeaders"`
	MetricHeaders    []named `json:"metricHeaders"`
	Rows             []struct {
		DimensionValues []struct {
			Value string `json:"value"`
		} `json:"dimensionValues"`
		MetricValues []struct {
			Value string `json:"value"`
		} `json:"metricValues"`
	} `json:"rows"`
	RowCount flexInt `json:"rowCount"`
	Metadata struct {
		SubjectToThresholding bool              `json:"subjectToThresholding"`
		DataLossFromOtherRow  bool              `json:"dataLossFromOtherRow"`
		SamplingMetadatas     []json.RawMessage `json:"samplingMetadatas"`
		TimeZone              string            `json:"timeZone"`
		// EmptyReason is GA's own word on why a report has no rows.
		EmptyReason string `json:"emptyReason"`
	} `json:"metadata"`
}

// flexInt reads an integer sent as a JSON number or, as Google does for int64 fields, a string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(raw []byte) error {
	text := string(bytes.Trim(raw, `"`))
	if text == "null" {
		return nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", raw)
	}
	*n = flexInt(v)
	return nil
}

// row is one answer row: dimension values and metric values, in the requested order.
type row struct {
	dims    []string
	metrics []uint64
}

// page is one runReport answer, checked and parsed.
type page struct {
	rows     []row
	rowCount int64
	resp     *reportResponse
}

// runReport sends one request and checks the answer's columns against what was asked, so a
// change on Google's side fails loudly instead of filling the wrong column.
func (c *Collector) runReport(ctx context.Context, what string, req reportRequest) (page, error) {
	kind := reportKind(req)
	if said, ok := c.refusedEarlier(kind); ok {
		return page{}, fmt.Errorf("ga4: property %s: %s not asked again: GA rejected the report's fields earlier in this process: %s", c.propertyID, what, said)
	}
	token, err := c.accessToken(ctx)
	if err != nil {
		return page{}, err
	}
	header := http.Header{"Authorization": {"Bearer " + token}}
	var resp reportResponse
	if err := c.http.JSON(ctx, http.MethodPost, c.reportURL, header, req, &resp); err != nil {
		err = c.explain(what, err)
		if unknownField(err) {
			c.rememberRefused(kind, err.Error())
		}
		return page{}, err
	}
	out := page{rowCount: int64(resp.RowCount), resp: &resp}
	if len(resp.Rows) == 0 {
		return out, nil
	}
	if !slices.Equal(resp.DimensionHeaders, req.Dimensions) || !slices.Equal(resp.MetricHeaders, req.Metrics) {
		return page{}, fmt.Errorf("ga4: property %s: %s: answered columns %v / %v, asked for %v / %v",
			c.propertyID, what, resp.DimensionHeaders, resp.MetricHeaders, req.Dimensions, req.Metrics)
	}
	for i, r := range resp.Rows {
		if len(r.DimensionValues) != len(req.Dimensions) || len(r.MetricValues) != len(req.Metrics) {
			return page{}, fmt.Errorf("ga4: property %s: %s: row %d has %d dimension and %d metric values, want %d and %d",
				c.propertyID, what, int(req.Offset)+i, len(r.DimensionValues), len(r.MetricValues), len(req.Dimensions), len(req.Metrics))
		}
		parsed := row{}
		for _, d := range r.DimensionValues {
			parsed.dims = append(parsed.dims, d.Value)
		}
		for j, m := range r.MetricValues {
			v, err := strconv.ParseUint(strings.TrimSpace(m.Value), 10, 64)
			if err != nil {
				return page{}, fmt.Errorf("ga4: property %s: %s: metric %s = %q is not a whole number",
					c.propertyID, what, req.Metrics[j].Name, m.Value)
			}
			parsed.metrics = append(parsed.metrics, v)
		}
		out.rows = append(out.rows, parsed)
	}
	return out, nil
}

// eachPage pages through a report with offset until rowCount rows were read (a missing rowCount
// means none), handing every page to fn as it arrives. A page holds at most pageSize rows, or
// req.Limit when that is smaller; fn returns errEnough to stop early.
func (c *Collector) eachPage(ctx context.Context, what string, req reportRequest, fn func(page) error) error {
	if req.Limit <= 0 || req.Limit > int64(c.pageSize) {
		req.Limit = int64(c.pageSize)
	}
	for req.Offset = 0; ; {
		p, err := c.runReport(ctx, what, req)
		if err != nil {
			return err
		}
		if err := fn(p); errors.Is(err, errEnough) {
			return nil
		} else if err != nil {
			return err
		}
		// Advance by what came back, not by limit: a short page must not skip rows.
		req.Offset += int64(len(p.rows))
		if req.Offset >= p.rowCount {
			return nil
		}
		if len(p.rows) == 0 {
			return fmt.Errorf("ga4: property %s: %s: answered no rows at offset %d of %d", c.propertyID, what, req.Offset, p.rowCount)
		}
	}
}

// errEnough stops eachPage once the caller has the rows it needs.
var errEnough = errors.New("enough rows")

// firstRows reads the first n rows of a report, in pages of at most pageSize (and at most n).
func (c *Collector) firstRows(ctx context.Context, sink *collectors.Sink, label, what string, req reportRequest, n int) ([]row, error) {
	var rows []row
	req.Limit = int64(n)
	err := c.eachPage(ctx, what, req, func(p page) error {
		c.noteMetadata(sink, label, p.resp)
		rows = append(rows, p.rows...)
		if len(rows) >= n {
			return errEnough
		}
		return nil
	})
	return rows[:min(len(rows), n)], err
}

// reportKind names a report by its dimensions and metrics.
func reportKind(req reportRequest) string {
	var b strings.Builder
	for _, d := range req.Dimensions {
		b.WriteString(d.Name + ",")
	}
	b.WriteString("/")
	for _, m := range req.Metrics {
		b.WriteString(m.Name + ",")
	}
	return b.String()
}

// unknownField recognises GA's 400 for a dimension or metric it does not know ("Field
// newVsReturning is not a valid dimension."): the same report would be refused in every step.
func unknownField(err error) bool {
	var apiErr *collectors.APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest &&
		(strings.Contains(apiErr.Body, "is not a valid dimension") || strings.Contains(apiErr.Body, "is not a valid metric"))
}

func (c *Collector) refusedEarlier(kind string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	said, ok := c.refused[kind]
	return said, ok
}

func (c *Collector) rememberRefused(kind, said string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	if len(said) > 300 {
		said = said[:300] + "…"
	}
	c.refused[kind] = said
}

// googleError is Google's JSON error shape.
type googleError struct {
	Error struct {
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

// explain turns a failed runReport into an error that tells the operator what happened and what
// to do, quoting GA's own message, and keeps the *APIError in the chain for errors.Is / errors.As.
func (c *Collector) explain(what string, err error) error {
	prefix := fmt.Sprintf("ga4: property %s: %s", c.propertyID, what)
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	var g googleError
	_ = json.Unmarshal([]byte(apiErr.Body), &g)
	said := func() string {
		if g.Error.Message == "" {
			return apiErr.Error()
		}
		return fmt.Sprintf("GA4 answered HTTP %d %s: %s", apiErr.Status, g.Error.Status, strings.TrimSpace(g.Error.Message))
	}
	wrap := func(advice string) error {
		return collectors.Explain(prefix+": "+advice+": "+said(), err)
	}
	switch apiErr.Status {
	case http.StatusTooManyRequests:
		// The HTTP client has set RetryAt from Retry-After or quotaRefill.
		return wrap("GA4 quota exhausted; the run stops here and resumes after " + apiErr.RetryAt.UTC().Format(time.RFC3339))
	case http.StatusUnauthorized:
		c.forgetToken()
		return wrap("Google did not accept the access token; the next run fetches a new one, and if this persists check the service-account key")
	case http.StatusForbidden:
		// The reason sits in details as an ErrorInfo; the body may be cut short before them, so
		// look for it in the text rather than in parsed JSON.
		if strings.Contains(apiErr.Body, "SERVICE_DISABLED") {
			return wrap("the Google Analytics Data API is disabled in the service account's Google Cloud project: " +
				"enable it under APIs & Services, wait a few minutes and run again")
		}
		return wrap("the service account may not read this property: add its client_email (from the key file) " +
			"under GA4 Admin → Property access management with the Viewer role, and check property_id")
	}
	if apiErr.Status >= 500 {
		return wrap("GA4 kept failing after retries; the next run tries again")
	}
	return wrap("GA4 rejected the request")
}

// quotaRefill is the HTTP client's RetryAt hook: it tells when an exhausted GA4 quota comes back.
// GA sends no Retry-After; its message names the quota. The daily one returns "in under 24 hours"
// and the hourly ones within the hour, so retrying sooner is refused and only wastes requests:
// those times are sure. The concurrent-requests one returns as soon as other requests finish, so
// a 429 that names neither is retried as usual, and a minute is reported if it persists.
func quotaRefill(status int, _ http.Header, body []byte, now time.Time) (time.Time, bool) {
	if status != http.StatusTooManyRequests {
		return time.Time{}, false
	}
	var g googleError
	_ = json.Unmarshal(body, &g)
	m := strings.ToLower(g.Error.Message)
	switch {
	case strings.Contains(m, "per day"):
		return now.Add(24 * time.Hour), true
	case strings.Contains(m, "per hour"), strings.Contains(m, "thresholded"):
		return now.Add(time.Hour), true
	}
	return now.Add(time.Minute), false
}
