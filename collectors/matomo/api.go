package matomo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
)

// call sends one Reporting API request and returns its JSON answer. token_auth goes in the POST
// body (Matomo 5 refuses "secure only" tokens anywhere else, and it keeps the token out of URLs);
// everything else goes in the query string. language=en keeps Matomo's error messages in the
// English that authMessage and tryAgainMessage recognise; figures are never read from labels.
//
// The answer is read through the HTTP client's Fetch, so a body cut off or malformed, and Matomo's
// own "try again" answers sent with HTTP 200 (rate limits, a busy database), are fetched again.
func (c *collector) call(ctx context.Context, method string, params url.Values) (json.RawMessage, error) {
	if said, refused := c.refusedEarlier(method); refused {
		// Matomo said the method does not exist (a plugin switched off): asking again in every
		// step of a backfill would only be refused again.
		return nil, fmt.Errorf("matomo: id_site %d: %s not asked again: Matomo refused it earlier in this process: %s", c.idSite, method, said)
	}
	query := url.Values{
		"module":   {"API"},
		"method":   {method},
		"idSite":   {strconv.Itoa(c.idSite)},
		"format":   {"JSON"},
		"language": {"en"},
	}
	for k, v := range params {
		query[k] = v
	}
	form := url.Values{"token_auth": {c.token.Value()}}.Encode()
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"?"+query.Encode(), strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
	var raw json.RawMessage
	err := c.http.Fetch(ctx, build, func(_ *http.Response, body []byte) error {
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '<' {
			// A web page instead of JSON: usually a login page or a site that is not Matomo.
			return fmt.Errorf("answered a web page, not JSON: check that base_url is the Matomo instance (%s)", c.endpoint)
		}
		var answer json.RawMessage
		if err := collectors.DecodeJSON("matomo", method, bytes.NewReader(body), &answer); err != nil {
			return collectors.Explain(c.http.Redact(err.Error()), err)
		}
		if msg, ok := errorMessage(answer); ok {
			reported := &reportedError{message: c.http.Redact(msg)}
			if tryAgainMessage(msg) {
				return collectors.Transient(reported)
			}
			return reported
		}
		raw = answer
		return nil
	})
	if err != nil {
		if unknownMethod(err.Error()) {
			c.rememberRefused(method, err.Error())
		}
		return nil, c.explain(method, err)
	}
	return raw, nil
}

// unknownMethod recognises Matomo's answer for a method it does not offer ("The method
// 'VisitFrequency.get' does not exist or is not available in the module 'API'.").
func unknownMethod(msg string) bool {
	return strings.Contains(msg, "does not exist or is not available")
}

func (c *collector) refusedEarlier(method string) (string, bool) {
	c.refusedMu.Lock()
	defer c.refusedMu.Unlock()
	said, ok := c.refused[method]
	return said, ok
}

func (c *collector) rememberRefused(method, said string) {
	c.refusedMu.Lock()
	defer c.refusedMu.Unlock()
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	c.refused[method] = truncate(said, 300)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// explain adds what an operator should check to a failed request's error.
func (c *collector) explain(method string, err error) error {
	if errors.Is(err, collectors.ErrUnauthorized) {
		return fmt.Errorf("matomo: id_site %d: Matomo refused the token for %s; check the token setting (token_auth) and that its user has at least view access to id_site %d: %w",
			c.idSite, method, c.idSite, err)
	}
	return fmt.Errorf("matomo: id_site %d: %s: %w", c.idSite, method, err)
}

// errorMessage recognises Matomo's error answer {"result":"error","message":"…"}, which older
// versions send with HTTP 200.
func errorMessage(raw json.RawMessage) (string, bool) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", false
	}
	var answer struct {
		Result  string `json:"result"`
		Message string `json:"message"`
	}
	if json.Unmarshal(trimmed, &answer) != nil || answer.Result != "error" {
		return "", false
	}
	return answer.Message, true
}

// reportedError is an error Matomo reported in the body of an HTTP 200 answer.
type reportedError struct {
	message string
}

func (e *reportedError) Error() string { return "Matomo answered: " + e.message }

// Unwrap classifies token and access problems as ErrUnauthorized and Matomo's "too many
// requests" as ErrRateLimited.
func (e *reportedError) Unwrap() error {
	switch {
	case authMessage(e.message):
		return collectors.ErrUnauthorized
	case rateLimitMessage(e.message):
		return collectors.ErrRateLimited
	}
	return nil
}

// authFragments are parts of Matomo's messages for a refused token or missing access
// (core/Access.php and lang/en.json: "Unable to authenticate with the provided token…",
// "You can't access this resource as it requires 'view' access for the website id = 3.").
var authFragments = []string{
	"unable to authenticate",
	"token_auth",
	"you can't access this resource",
	"requires 'view' access",
	"requires view access",
	"you must be logged in",
}

// rateLimitFragments are parts of the answers of a Matomo that limits API requests (Matomo Cloud's
// "Oops… too many requests", rate-limiting plugins and proxies in front of Matomo).
var rateLimitFragments = []string{"too many requests", "rate limit", "request limit"}

// tryAgainFragments are parts of Matomo's answers to a request that may work a moment later: its
// "Maybe the server had a temporary issue … Please try again", a busy or restarting database
// (MySQL's lock wait timeout, deadlock, "server has gone away"), an archiving run holding a lock.
var tryAgainFragments = []string{
	"try again", "temporary", "temporarily", "lock wait timeout", "deadlock", "server has gone away",
	"too many connections", "archiving is in progress",
}

func rateLimitMessage(msg string) bool {
	msg = strings.ToLower(msg)
	return slices.ContainsFunc(rateLimitFragments, func(f string) bool { return strings.Contains(msg, f) })
}

// tryAgainMessage tells a "try again" answer, which is fetched again, from a refusal.
func tryAgainMessage(msg string) bool {
	if rateLimitMessage(msg) {
		return true
	}
	msg = strings.ToLower(msg)
	return slices.ContainsFunc(tryAgainFragments, func(f string) bool { return strings.Contains(msg, f) })
}

func authMessage(msg string) bool {
	msg = strings.ToLower(msg)
	return slices.ContainsFunc(authFragments, func(f string) bool { return strings.Contains(msg, f) })
}

// count is one Matomo figure. Archives send JSON numbers or numeric strings ("12"); set tells a
// figure Matomo left out (unique visitors of an unprocessed range) from a zero.
type count struct {
	value uint64
	set   bool
}

func (c *count) UnmarshalJSON(raw []byte) error {
	text := string(bytes.TrimSpace(raw))
	switch text {
	case "null", "false", `""`:
		*c = count{}
		return nil
	}
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return err
		}
	}
	if n, err := strconv.ParseUint(text, 10, 64); err == nil {
		*c = count{value: n, set: true}
		return nil
	}
	// Some archives write whole numbers as 12.0.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return fmt.Errorf("%s is not a count", raw)
	}
	*c = count{value: uint64(f), set: true}
	return nil
}

// row is one row of a report (Referrers.getReferrerType, DevicesDetection.getType,
// Actions.getPageUrls …); a report holds only some of these columns.
type row struct {
	Label   string `json:"label"`
	Segment string `json:"segment"`
	URL     string `json:"url"`
	Visits  count  `json:"nb_visits"`
	Uniques count  `json:"nb_uniq_visitors"`
	Hits    count  `json:"nb_hits"`
}

// metrics is the answer of a report without rows (VisitsSummary.get, Actions.get,
// VisitFrequency.get) for one period; every field is left unset when the period had no data.
type metrics struct {
	Visits           count `json:"nb_visits"`
	Uniques          count `json:"nb_uniq_visitors"`
	Pageviews        count `json:"nb_pageviews"`
	UniquesNew       count `json:"nb_uniq_visitors_new"`
	UniquesReturning count `json:"nb_uniq_visitors_returning"`
}

// emptyValue tells Matomo's "no data" answers: [] for a period without data ({} and null are
// accepted too).
func emptyValue(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "[]", "{}", "null", "":
		return true
	}
	return false
}

func decodeRows(raw json.RawMessage) ([]row, error) {
	if emptyValue(raw) {
		return nil, nil
	}
	var rows []row
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

func decodeMetrics(raw json.RawMessage) (metrics, error) {
	var m metrics
	if emptyValue(raw) {
		return m, nil
	}
	err := json.Unmarshal(raw, &m)
	return m, err
}

// byDay splits a multi-date answer (period=day&date=A,B), an object keyed by YYYY-MM-DD.
func byDay(method string, raw json.RawMessage) (map[time.Time]json.RawMessage, error) {
	var keyed map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keyed); err != nil {
		return nil, fmt.Errorf("matomo: %s: expected an object keyed by date, got %.80s", method, raw)
	}
	out := make(map[time.Time]json.RawMessage, len(keyed))
	for key, value := range keyed {
		day, err := days.Parse(key)
		if err != nil {
			return nil, fmt.Errorf("matomo: %s: answer keyed by %q, not by day", method, key)
		}
		out[day] = value
	}
	return out, nil
}

// dailyParams asks for every day of window in one answer, with every row of each day
// (filter_limit=-1: Matomo's default of 100 rows would cut a long list, such as many campaign
// mediums, short without saying so).
func dailyParams(window days.Range, segment string) url.Values {
	params := url.Values{"period": {"day"}, "date": {days.Format(window.From) + "," + days.Format(window.To)}, "filter_limit": {"-1"}}
	if segment != "" {
		params.Set("segment", segment)
	}
	return params
}

// dailyRows fetches a report with rows for every day of window.
func (c *collector) dailyRows(ctx context.Context, method string, window days.Range, segment string) (map[time.Time][]row, error) {
	raw, err := c.call(ctx, method, dailyParams(window, segment))
	if err != nil {
		return nil, err
	}
	keyed, err := byDay(method, raw)
	if err != nil {
		return nil, err
	}
	out := make(map[time.Time][]row, len(keyed))
	for day, value := range keyed {
		rows, err := decodeRows(value)
		if err != nil {
			return nil, fmt.Errorf("matomo: %s %s (segment %q): malformed rows: %w", method, days.Format(day), segment, err)
		}
		out[day] = rows
	}
	return out, nil
}

// dailyMetrics fetches a report without rows for every day of window.
func (c *collector) dailyMetrics(ctx context.Context, method string, window days.Range, segment string) (map[time.Time]metrics, error) {
	raw, err := c.call(ctx, method, dailyParams(window, segment))
	if err != nil {
		return nil, err
	}
	keyed, err := byDay(method, raw)
	if err != nil {
		return nil, err
	}
	out := make(map[time.Time]metrics, len(keyed))
	for day, value := range keyed {
		m, err := decodeMetrics(value)
		if err != nil {
			return nil, fmt.Errorf("matomo: %s %s (segment %q): malformed figures: %w", method, days.Format(day), segment, err)
		}
		out[day] = m
	}
	return out, nil
}

// segmentValue returns the value of a one-condition segment such as "deviceType==feature+phone"
// ("feature phone"), as Matomo encodes it in a row's segment column.
func segmentValue(segment, dimension string) (string, bool) {
	encoded, ok := strings.CutPrefix(segment, dimension+"==")
	if !ok {
		return "", false
	}
	value, err := url.QueryUnescape(encoded)
	if err != nil {
		return "", false
	}
	return value, true
}
