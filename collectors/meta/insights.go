package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
)

// maxPages bounds the paging of one insights request; a day series of 90 days never comes near it,
// so reaching it means the paging links do not end.
const maxPages = 400

// Query is one insights request.
type Query struct {
	Metrics []string
	// Period is "day" for a series of daily values or "total_over_range" for one figure over
	// Since..Until (Facebook Page Insights).
	Period string
	// MetricType is "time_series" or "total_value" (Instagram); empty leaves Meta's default.
	MetricType string
	// Breakdown asks for a breakdown, e.g. "follow_type" for Instagram's follows_and_unfollows.
	Breakdown string
	// Since and Until are the instants the request covers (Meta's days start at DayStart).
	Since, Until time.Time
}

// series tells whether the answer is a list of dated values that paging continues.
func (q Query) series() bool { return q.MetricType != "total_value" && q.Period != "total_over_range" }

// Metric is one metric of an insights answer.
type Metric struct {
	Name       string      `json:"name"`
	Period     string      `json:"period"`
	Values     []Value     `json:"values"`
	TotalValue *TotalValue `json:"total_value"`
}

// Value is one dated value; Value is a number for count metrics, an object for breakdowns.
type Value struct {
	Value   json.RawMessage `json:"value"`
	EndTime string          `json:"end_time"`
}

// TotalValue is Instagram's aggregate over the whole since..until range.
type TotalValue struct {
	Value      json.RawMessage `json:"value"`
	Breakdowns []Breakdown     `json:"breakdowns"`
}

// Breakdown splits a total by dimensions.
type Breakdown struct {
	DimensionKeys []string          `json:"dimension_keys"`
	Results       []BreakdownResult `json:"results"`
}

// BreakdownResult is one combination of dimension values.
type BreakdownResult struct {
	DimensionValues []string        `json:"dimension_values"`
	Value           json.RawMessage `json:"value"`
}

type insightsPage struct {
	Data   []Metric `json:"data"`
	Paging struct {
		Next     string `json:"next"`
		Previous string `json:"previous"`
	} `json:"paging"`
}

// Insights is an answer by metric name. A metric absent from it had no data: Meta leaves such
// metrics out (or sends no values) rather than reporting 0.
type Insights map[string]Metric

// Insights fetches q's metrics of node. One withdrawn metric fails Meta's whole request, so when
// that happens the metrics are asked for one at a time: the others are returned, and the error is a
// *MetricsRejectedError naming the refused ones. Metrics refused once are not sent again by this
// client but are reported on every call. A span Meta will not serve in one request gives a
// *RangeError.
func (c *Client) Insights(ctx context.Context, node string, q Query, what string) (Insights, error) {
	rejected := map[string]string{}
	var asked []string
	c.mu.Lock()
	for _, m := range q.Metrics {
		if said, ok := c.rejected[m]; ok {
			rejected[m] = said
		} else {
			asked = append(asked, m)
		}
	}
	c.mu.Unlock()
	out := Insights{}
	if len(asked) > 0 {
		one := q
		one.Metrics = asked
		got, err := c.insights(ctx, node, one, what)
		var rej *metricRejection
		var rangeErr *RangeError
		switch {
		case err == nil:
			out = got
		case errors.As(err, &rej) && len(asked) == 1:
			rejected[asked[0]] = rej.said
		case len(asked) == 1, collectors.EndsRun(ctx, err), errors.As(err, &rangeErr):
			return nil, c.withRejected(node, rejected, err)
		default:
			// A refused metric, or an answer that failed for another reason (a 500, a body cut off
			// after the retries), could be one metric's doing: each is asked alone, so the others
			// are not lost with it. This costs requests only when something already failed.
			var failed []error
			for _, m := range asked {
				one.Metrics = []string{m}
				got, err := c.insights(ctx, node, one, what)
				if errors.As(err, &rej) {
					rejected[m] = rej.said
					continue
				}
				if err != nil {
					failed = append(failed, fmt.Errorf("metric %s: %w", m, err))
					if collectors.EndsRun(ctx, err) {
						break
					}
					continue
				}
				for name, metric := range got {
					out[name] = metric
				}
			}
			return out, c.withRejected(node, rejected, errors.Join(failed...))
		}
	}
	return out, c.withRejected(node, rejected, nil)
}

// Serves tells whether Meta gives one figure for since..until in one request: the span is within
// the documented limit and no shorter span was refused earlier. A span it does not serve is not
// asked for (each such request would only be refused and count against the quota); the reason is
// for the run's note.
func (c *Client) Serves(since, until time.Time) (bool, string) {
	c.mu.Lock()
	limit := c.maxSpan
	c.mu.Unlock()
	if limit <= 0 || until.Sub(since) <= limit {
		return true, ""
	}
	return false, fmt.Sprintf("Meta serves one figure for at most %d days (%d s) between since and until, and this span is longer",
		int(limit/(24*time.Hour)), int64(limit/time.Second))
}

// learnSpan lowers the longest span asked for after Meta refused one of this length.
func (c *Client) learnSpan(span time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxSpan <= 0 || span-time.Second < c.maxSpan {
		c.maxSpan = span - time.Second
	}
}

// withRejected remembers rejected metrics and adds their report to err.
func (c *Client) withRejected(node string, rejected map[string]string, err error) error {
	if len(rejected) == 0 {
		return err
	}
	c.mu.Lock()
	for m, said := range rejected {
		c.rejected[m] = said
	}
	c.mu.Unlock()
	rejErr := &MetricsRejectedError{Source: c.source, Node: node, Version: c.version, Metrics: rejected}
	if err == nil {
		return rejErr
	}
	return errors.Join(err, rejErr)
}

// insights sends one request and follows paging.next while it stays before q.Until. Meta's next
// link keeps going into the future, so the end is decided here, never by the link.
func (c *Client) insights(ctx context.Context, node string, q Query, what string) (Insights, error) {
	v := url.Values{
		"metric": {strings.Join(q.Metrics, ",")},
		"period": {q.Period},
		"since":  {strconv.FormatInt(q.Since.Unix(), 10)},
		"until":  {strconv.FormatInt(q.Until.Unix(), 10)},
	}
	if q.MetricType != "" {
		v.Set("metric_type", q.MetricType)
	}
	if q.Breakdown != "" {
		v.Set("breakdown", q.Breakdown)
	}
	u := c.url(node+"/insights", v)
	out := Insights{}
	seen := map[string]map[string]bool{} // metric → end_time already held
	for page := 1; ; page++ {
		var resp insightsPage
		if err := c.get(ctx, u, c.token, &resp, what); err != nil {
			err = c.classifyInsightsError(err, what)
			var rangeErr *RangeError
			if page == 1 && errors.As(err, &rangeErr) {
				c.learnSpan(q.Until.Sub(q.Since))
			}
			return nil, err
		}
		fresh := 0
		var lastEnd time.Time
		for _, m := range resp.Data {
			held, ok := out[m.Name]
			if !ok {
				held = Metric{Name: m.Name, Period: m.Period, TotalValue: m.TotalValue}
				seen[m.Name] = map[string]bool{}
			}
			for _, val := range m.Values {
				if seen[m.Name][val.EndTime] {
					continue
				}
				seen[m.Name][val.EndTime] = true
				held.Values = append(held.Values, val)
				fresh++
				if t, err := parseEndTime(val.EndTime); err == nil && t.After(lastEnd) {
					lastEnd = t
				}
			}
			out[m.Name] = held
		}
		if !q.series() || resp.Paging.Next == "" {
			return out, nil
		}
		next, ok, err := nextPage(u, resp.Paging.Next, q.Until, fresh > 0, lastEnd)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %s", c.source, what, c.Redact(err.Error()))
		}
		if !ok {
			return out, nil
		}
		if page >= maxPages {
			return nil, fmt.Errorf("%s: %s: Meta's paging did not end after %d pages", c.source, what, maxPages)
		}
		u = next
	}
}

// nextPage decides whether to follow Meta's paging.next and builds the request for it on this
// client's own URL (the link names graph.facebook.com even behind a proxy, and may hold the token,
// which is sent in the header instead). A time-paged link is followed while its since lies before
// until; a cursor link while pages bring new values that end before until.
func nextPage(cur *url.URL, next string, until time.Time, fresh bool, lastEnd time.Time) (*url.URL, bool, error) {
	link, err := url.Parse(next)
	if err != nil {
		return nil, false, fmt.Errorf("paging.next is not a URL: %w", err)
	}
	q := link.Query()
	q.Del("access_token")
	if s := q.Get("since"); s != "" {
		since, err := parseSince(s)
		if err != nil {
			return nil, false, fmt.Errorf("paging.next has since=%q: %w", s, err)
		}
		if !since.Before(until) {
			return nil, false, nil
		}
	} else if !fresh || !lastEnd.Before(until) {
		return nil, false, nil
	}
	u := *cur
	u.RawQuery = q.Encode()
	if u.String() == cur.String() {
		return nil, false, nil
	}
	return &u, true, nil
}

// parseSince reads a since parameter: unix seconds or a date.
func parseSince(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Parse(time.DateOnly, s)
}

// Count reads a value that must be a whole, non-negative number.
func Count(raw json.RawMessage) (uint64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, errors.New("no value")
	}
	s = strings.Trim(s, `"`)
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, fmt.Errorf("%.40q is not a count", string(raw))
	}
	return uint64(f), nil
}

// Daily maps a day-period metric's values onto the calendar days they belong to (see DayOf). A
// value that is not a count ({} or null for a day without data, say) or whose end_time cannot be
// read costs only its own day: the other days are returned, together with a *BadValuesError that
// names what was left out.
func (c *Client) Daily(m Metric) (map[time.Time]uint64, error) {
	out := make(map[time.Time]uint64, len(m.Values))
	var bad BadValuesError
	for _, v := range m.Values {
		day, err := c.DayOf(v.EndTime)
		if err != nil {
			bad.Said = append(bad.Said, c.Redact(err.Error()))
			continue
		}
		n, err := Count(v.Value)
		if err != nil {
			bad.Days = append(bad.Days, day)
			bad.Said = append(bad.Said, days.Format(day)+": "+c.Redact(err.Error()))
			continue
		}
		out[day] = n
	}
	if len(bad.Said) > 0 {
		bad.Metric = m.Name
		return out, &bad
	}
	return out, nil
}

// BadValuesError names the values of a day series that were left out as unreadable.
type BadValuesError struct {
	Metric string
	// Days are the days whose value was not a count (an unreadable end_time names no day).
	Days []time.Time
	Said []string
}

func (e *BadValuesError) Error() string {
	return fmt.Sprintf("%s: %d value(s) Meta sent could not be read and were left out (%s); the other days were kept",
		e.Metric, len(e.Said), Summarise(e.Said))
}

// Left tells whether day d's value was left out.
func (e *BadValuesError) Left(d time.Time) bool {
	return e != nil && slices.ContainsFunc(e.Days, d.Equal)
}
