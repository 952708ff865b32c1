package collectortest

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Calls counts the requests a fake answers, in total and by a key the test chooses (the path,
// Matomo's method, GA4's report), for the checks and benchmarks of how many calls a run makes.
// Safe for concurrent use.
type Calls struct {
	key   func(*http.Request) string
	mu    sync.Mutex
	total int
	by    map[string]int
}

// CountCalls wraps h so that every request it is sent is counted; key (nil: the URL path) names
// what a request asks for.
func CountCalls(h http.Handler, key func(*http.Request) string) (http.Handler, *Calls) {
	if key == nil {
		key = func(r *http.Request) string { return r.URL.Path }
	}
	c := &Calls{key: key, by: map[string]int{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := c.key(r)
		c.mu.Lock()
		c.total++
		c.by[k]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	}), c
}

// Total is the number of requests counted.
func (c *Calls) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// By returns the counts by key.
func (c *Calls) By() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.by)
}

// Reset starts counting afresh.
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.by = 0, map[string]int{}
}

// ReportCalls prints the line `make bench` shows for a source's API calls,
// "source X: N calls, minimum M, ratio R", reports the ratio as a benchmark metric when tb is a
// benchmark, and fails tb when the ratio is above limit.
func ReportCalls(tb testing.TB, source string, calls, minimum int, limit float64) {
	tb.Helper()
	if minimum <= 0 {
		tb.Fatalf("source %s: a minimum of %d calls proves nothing", source, minimum)
	}
	ratio := float64(calls) / float64(minimum)
	fmt.Printf("source %s: %d calls, minimum %d, ratio %.2f\n", source, calls, minimum, ratio)
	if b, ok := tb.(*testing.B); ok {
		b.ReportMetric(float64(calls), "calls")
		b.ReportMetric(float64(minimum), "min-calls")
		b.ReportMetric(ratio, "call-ratio")
	}
	if ratio > limit {
		tb.Errorf("source %s: %d calls where %d would do (ratio %.2f, limit %.2f)", source, calls, minimum, ratio, limit)
	}
}

// Fault is one way a provider's answer goes wrong in a fake (see Faulty).
type Fault string

const (
	// NoFault lets the fake answer.
	NoFault Fault = ""
	// RateLimited answers 429 with Faulty.RetryAfter.
	RateLimited Fault = "429"
	// ServerError answers 503.
	ServerError Fault = "503"
	// CutOff sends the fake's answer with its full Content-Length but only its first half, then
	// drops the connection: a connection cut mid-body.
	CutOff Fault = "cut off"
	// Malformed sends the first half of the fake's answer as a complete 200 body.
	Malformed Fault = "malformed"
	// Reset drops the connection without an answer.
	Reset Fault = "reset"
	// Slow waits Faulty.Slow before letting the fake answer.
	Slow Fault = "slow"
	// Throttle answers with Faulty.Throttle, the provider's own "slow down" answer.
	Throttle Fault = "throttle"
)

// Faulty wraps a fake and answers the requests Plan picks with a fault instead. It counts the
// faults it injected, so a test can show that they happened. Safe for concurrent use.
type Faulty struct {
	Handler http.Handler
	// Plan picks the fault for the n-th request (1-based) the fake is sent; nil: none.
	Plan func(n int, r *http.Request) Fault
	// RetryAfter is the Retry-After of a RateLimited answer (default "0").
	RetryAfter string
	// Slow is how long a Slow answer waits (default 50 ms).
	Slow time.Duration
	// Throttle writes the provider's own throttle answer (Matomo's HTTP 200 with result "error",
	// Meta's code 4 with HTTP 400); nil: a 429.
	Throttle func(w http.ResponseWriter, r *http.Request)

	mu       sync.Mutex
	n        int
	injected map[Fault]int
}

// Injected returns how many faults of each kind were injected.
func (f *Faulty) Injected() map[Fault]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.injected)
}

func (f *Faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	fault := NoFault
	if f.Plan != nil {
		fault = f.Plan(n, r)
	}
	if fault != NoFault {
		f.mu.Lock()
		if f.injected == nil {
			f.injected = map[Fault]int{}
		}
		f.injected[fault]++
		f.mu.Unlock()
	}
	switch fault {
	case RateLimited:
		after := f.RetryAfter
		if after == "" {
			after = "0"
		}
		w.Header().Set("Retry-After", after)
		http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
	case ServerError:
		http.Error(w, `{"error":"temporarily unavailable"}`, http.StatusServiceUnavailable)
	case Reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case Slow:
		wait := f.Slow
		if wait <= 0 {
			wait = 50 * time.Millisecond
		}
		select {
		case <-time.After(wait):
			f.Handler.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case Throttle:
		if f.Throttle == nil {
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
			return
		}
		f.Throttle(w, r)
	case CutOff, Malformed:
		rec := httptest.NewRecorder()
		f.Handler.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		if rec.Code != http.StatusOK || len(body) < 2 {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
			return
		}
		half := body[:len(body)/2]
		if fault == Malformed {
			w.Header().Set("Content-Length", strconv.Itoa(len(half)))
			_, _ = w.Write(half)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(half)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // the server drops the connection: the body ends short
	default:
		f.Handler.ServeHTTP(w, r)
	}
}

// Figures is every row of table as the read side sees it after merges (FINAL: the newest version
// of each key), one line per row, its columns but version joined by "|", sorted. Comparing the
// Figures of a run with faults against a clean run shows a figure lost, doubled or left behind.
func Figures(t testing.TB, conn driver.Conn, table string) []string {
	t.Helper()
	cols := Lines(t, conn, `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ? AND name != 'version' ORDER BY name`, table)
	if len(cols) == 0 {
		t.Fatalf("table %s has no columns", table)
	}
	values := make([]string, len(cols))
	for i, c := range cols {
		values[i] = fmt.Sprintf("ifNull(toString(`%s`), 'NULL')", c)
	}
	lines := Lines(t, conn, fmt.Sprintf("SELECT arrayStringConcat([%s], '|') FROM `%s` FINAL", strings.Join(values, ", "), table))
	slices.Sort(lines)
	return lines
}

// SameFigures fails t for every line of want missing from got and every line of got not in want,
// naming table; a few of each are shown.
func SameFigures(t testing.TB, table string, got, want []string) {
	t.Helper()
	missing, extra := diff(want, got), diff(got, want)
	if len(missing)+len(extra) == 0 {
		return
	}
	show := func(lines []string) string { return strings.Join(lines[:min(len(lines), 5)], "\n    ") }
	t.Errorf("%s: %d rows, want %d; %d lost, e.g.\n    %s\n%d extra or doubled, e.g.\n    %s",
		table, len(got), len(want), len(missing), show(missing), len(extra), show(extra))
}

// diff lists the lines of a that b lacks, counting repeats.
func diff(a, b []string) []string {
	left := map[string]int{}
	for _, l := range b {
		left[l]++
	}
	var out []string
	for _, l := range a {
		if left[l] > 0 {
			left[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}

// SpreadFaults is a Faulty.Plan for a backfill: among the requests it injects every kind of
// fault (503 bursts of two, bodies cut off, malformed bodies, dropped connections, 429, the
// provider's throttle answer, and now and then a slow answer), spread so that no request meets
// more faults in a row than a client that retries five times mends.
func SpreadFaults(n int, _ *http.Request) Fault {
	switch {
	case n%29 == 0 || n%29 == 1:
		return ServerError
	case n%31 == 0:
		return CutOff
	case n%37 == 0:
		return Malformed
	case n%41 == 0:
		return Reset
	case n%43 == 0:
		return RateLimited
	case n%47 == 0:
		return Throttle
	case n%211 == 0:
		return Slow
	}
	return NoFault
}
