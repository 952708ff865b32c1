package meta

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/innomed/rekkevidde/collectors"
)

// Error is the body Meta sends with a failed request. Its HTTP status is usually 400 whatever the
// cause, so callers decide on Code.
type Error struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	UserTitle   string `json:"error_user_title"`
	UserMsg     string `json:"error_user_msg"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
}

func (e Error) String() string {
	s := e.Message
	if e.Code != 0 {
		s = fmt.Sprintf("code %d", e.Code)
		if e.Subcode != 0 {
			s += fmt.Sprintf(", subcode %d", e.Subcode)
		}
		s += ": " + e.Message
	}
	if e.UserMsg != "" {
		s += " (" + e.UserMsg + ")"
	}
	if e.FBTraceID != "" {
		s += " [fbtrace_id " + e.FBTraceID + "]"
	}
	return s
}

// ParseError reads Meta's {"error": {...}} body.
func ParseError(body string) (Error, bool) {
	var wrapper struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &wrapper); err != nil || wrapper.Error == nil {
		return Error{}, false
	}
	return *wrapper.Error, true
}

// IsThrottleCode tells Meta's rate-limit error codes: 4 (app), 17 (user), 32 (page, user token),
// 341 (application limit reached), 613 (per endpoint) and the business-use-case codes
// 80000–80014 (80001 pages, 80002 Instagram).
func IsThrottleCode(code int) bool {
	switch {
	case code == 4, code == 17, code == 32, code == 341, code == 613:
		return true
	case code >= 80000 && code <= 80014:
		return true
	}
	return false
}

// isMetricRejection tells the answer to an insights metric Meta no longer (or never) knew, which
// fails the whole request: "(#100) The value must be a valid insights metric".
func isMetricRejection(e Error) bool {
	return e.Code == 100 && strings.Contains(strings.ToLower(e.Message), "metric")
}

// isRangeRejection tells the answer to a since..until span longer than Meta serves in one request,
// e.g. "(#100) There cannot be more than 90 days (7776000 s) between since and until".
func isRangeRejection(e Error) bool {
	msg := strings.ToLower(e.Message)
	return e.Code == 100 && strings.Contains(msg, "since") && strings.Contains(msg, "until")
}

// MetricsRejectedError reports insights metrics Meta refused (withdrawn or misspelled). The other
// metrics of the request were still collected, so a run with this error is partial.
type MetricsRejectedError struct {
	Source  string
	Node    string
	Version string
	// Metrics maps each rejected metric to what Meta said.
	Metrics map[string]string
}

func (e *MetricsRejectedError) Error() string {
	names := make([]string, 0, len(e.Metrics))
	for name := range e.Metrics {
		names = append(names, name)
	}
	// Stable order for stable run rows.
	slices.Sort(names)
	var said []string
	for _, n := range names {
		said = append(said, fmt.Sprintf("%s (%s)", n, e.Metrics[n]))
	}
	return fmt.Sprintf("%s: %s: Meta rejected the insights metric(s) %s on Graph API %s: withdrawn or renamed; the other metrics were collected. Check Meta's changelog for the replacement and set it in the source's settings",
		e.Source, e.Node, strings.Join(said, ", "), e.Version)
}

// RangeError reports that Meta would not give a figure for a span this long in one request, so a
// period's reach cannot be had (reach is not additive, so it is never summed from shorter spans).
type RangeError struct {
	What string
	Said string
	err  error
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("%s: Meta does not give one figure for so long a span (%s)", e.What, e.Said)
}

func (e *RangeError) Unwrap() error { return e.err }

// metricRejection is an internal marker for a rejected request, before the metrics are sorted out.
type metricRejection struct {
	said string
	err  error
}

func (e *metricRejection) Error() string { return e.said }
func (e *metricRejection) Unwrap() error { return e.err }

// classifyInsightsError sorts out the code-100 answers of an insights request; other errors pass.
func (c *Client) classifyInsightsError(err error, what string) error {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	e, ok := ParseError(apiErr.Body)
	if !ok {
		return err
	}
	switch {
	case isRangeRejection(e):
		return &RangeError{What: c.source + ": " + what, Said: c.Redact(e.Message), err: err}
	case isMetricRejection(e):
		return &metricRejection{said: c.Redact(e.Message), err: err}
	}
	return err
}
