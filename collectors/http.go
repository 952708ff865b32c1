package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// HTTPOptions tunes the HTTP client one source uses. Zero values take the defaults below.
type HTTPOptions struct {
	// Source names the source in errors and logs.
	Source string
	// AttemptTimeout bounds one request attempt (default 60 s).
	AttemptTimeout time.Duration
	// RetryMax is how many times a failed request is retried (default 5).
	RetryMax int
	// WaitMin and WaitMax bound the pause between attempts (defaults 1 s and 60 s). A Retry-After
	// longer than WaitMax is not slept through: the request fails with ErrRateLimited and a RetryAt,
	// so the run stops cleanly and the scheduler or the next backfill resumes later.
	WaitMin, WaitMax time.Duration
	// RequestsPerSecond limits the rate of attempts (default 5); Burst allows short bursts (default 1).
	RequestsPerSecond float64
	Burst             int
	// Concurrency caps simultaneous requests (default 4; Mailchimp allows 10 per user).
	Concurrency int
	// Secrets are scrubbed from every error message and logged URL.
	Secrets []string
	// Throttled lets a source recognise its provider's own "slow down" answers that are not 429
	// (Meta's error codes 4, 17, 32, 613, 80001, sent with HTTP 400). Such answers are retried like
	// a 429, and if they persist the error matches ErrRateLimited. Throttled only says whether an
	// answer is a throttle; RetryAt says when to come back. They stay two hooks because a throttle
	// need not say when (Meta's code 4 without a usage header is often over in seconds).
	Throttled func(status int, header http.Header, body []byte) bool
	// RetryAt lets a source say when its provider serves again after a throttle answer (a 429, a
	// 503 or one Throttled recognises) that carries no Retry-After; with a Retry-After it is not
	// asked. It is given the answer and the source's clock (Now) and returns the zero time when it
	// cannot tell.
	//
	// sure means the answer itself says when: GA4 names the daily or hourly quota it exhausted,
	// Zoom sends X-RateLimit-Type: Daily-limit, Meta's usage header estimates the time to regain
	// access. A sure time counts like a Retry-After: beyond WaitMax or the run's deadline the
	// request ends at once, since every retry before then would be refused and count against the
	// quota, and a nearer one is waited for. A time that is not sure is the provider's general
	// rule for an answer that may as well be a short burst (Plausible counts requests per clock
	// hour, LinkedIn's quotas reset at midnight UTC): the request is retried with backoff as
	// usual, and the time is reported in APIError.RetryAt only when the retries do not mend it.
	RetryAt func(status int, header http.Header, body []byte, now time.Time) (at time.Time, sure bool)
	// Now is the clock RetryAt is given (default time.Now). Sources pass their Settings' clock, so
	// a "midnight UTC" is counted from the same now as their days. Retry-After is always read
	// against the real clock: it counts from the moment the answer arrived.
	Now func() time.Time
	Log *slog.Logger
}

func (o *HTTPOptions) defaults() {
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 60 * time.Second
	}
	if o.RetryMax == 0 {
		o.RetryMax = 5
	}
	if o.WaitMin <= 0 {
		o.WaitMin = time.Second
	}
	if o.WaitMax <= 0 {
		o.WaitMax = 60 * time.Second
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 5
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// UserAgent identifies Rekkevidde to providers.
const UserAgent = "Rekkevidde/1 (+https://github.com/innomed/rekkevidde)"

// HTTPClient is the one HTTP client every collector uses: retries with backoff and jitter on
// network errors, 429 and 5xx; Retry-After honoured up to WaitMax; a per-source rate and
// concurrency limit; and errors that keep the provider's message but never a secret.
type HTTPClient struct {
	opts  HTTPOptions
	retry *retryablehttp.Client

	mu      sync.Mutex
	retried map[string]int // transient faults retried since the last NoteRetries, by kind
}

// NewHTTPClient builds a client for one source.
func NewHTTPClient(opts HTTPOptions) *HTTPClient {
	opts.defaults()
	c := &HTTPClient{opts: opts}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{
		Timeout: opts.AttemptTimeout,
		Transport: &limitedTransport{
			base:    http.DefaultTransport,
			limiter: rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), opts.Burst),
			slots:   make(chan struct{}, opts.Concurrency),
		},
	}
	rc.RetryMax = opts.RetryMax
	rc.RetryWaitMin = opts.WaitMin
	rc.RetryWaitMax = opts.WaitMax
	rc.Logger = nil // its log lines carry full URLs, which can hold tokens; we log redacted ones below
	rc.CheckRetry = c.checkRetry
	rc.Backoff = c.backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.RequestLogHook = func(_ retryablehttp.Logger, req *http.Request, attempt int) {
		if attempt > 0 {
			// checkRetry left the reason of the fault being retried in the request's state.
			kind := "fault"
			if st, ok := req.Context().Value(attemptKey{}).(*attemptState); ok && st.reason != "" {
				kind = st.reason
			}
			c.count(kind)
			opts.Log.Info("retrying request", "source", opts.Source, "attempt", attempt+1, "reason", kind, "url", c.Redact(req.URL.String()))
		}
	}
	c.retry = rc
	return c
}

// Standard returns a *http.Client with the same retries and limits, for libraries that take one
// (oauth2 token sources, gofeed).
func (c *HTTPClient) Standard() *http.Client { return c.retry.StandardClient() }

// Redact removes every configured secret from s.
func (c *HTTPClient) Redact(s string) string {
	for _, secret := range c.opts.Secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
			if esc := url.QueryEscape(secret); esc != secret {
				s = strings.ReplaceAll(s, esc, "[redacted]")
			}
		}
	}
	return s
}

// Do sends req with retries. A non-2xx final answer becomes an *APIError (the body is consumed),
// except 304 Not Modified to a conditional request (If-None-Match or If-Modified-Since): that is
// the answer the caller asked for, and comes back as a response with an empty body.
func (c *HTTPClient) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	req = req.WithContext(context.WithValue(req.Context(), attemptKey{}, &attemptState{}))
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, c.wrap(fmt.Errorf("%s: build request: %w", c.opts.Source, err))
	}
	resp, err := c.retry.Do(rreq)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, c.wrap(fmt.Errorf("%s: %s %s: %w", c.opts.Source, req.Method, req.URL.Path, ctxErr))
		}
		return nil, c.wrap(fmt.Errorf("%s: %s %s: %w", c.opts.Source, req.Method, req.URL.Path, err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	if resp.StatusCode == http.StatusNotModified && (req.Header.Get("If-None-Match") != "" || req.Header.Get("If-Modified-Since") != "") {
		return resp, nil
	}
	defer func() { _ = resp.Body.Close() }()
	body := bufferBody(resp)
	apiErr := &APIError{
		Source: c.opts.Source,
		Method: req.Method,
		Path:   req.URL.Path,
		Status: resp.StatusCode,
		Body:   c.Redact(strings.TrimSpace(string(body[:min(len(body), 4096)]))),
	}
	if c.opts.Throttled != nil && c.opts.Throttled(resp.StatusCode, resp.Header, body) {
		apiErr.Throttled = true
	}
	if apiErr.Throttled || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		apiErr.RetryAt, _, _ = c.comeBack(resp, true)
	}
	return nil, apiErr
}

// JSON sends a request with an optional JSON body and decodes a JSON answer into out. Malformed
// JSON is an error naming the source and path, never a silent zero; a 2xx answer that arrives cut
// off or malformed is fetched again (see Fetch).
func (c *HTTPClient) JSON(ctx context.Context, method, rawURL string, header http.Header, body, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode request: %w", c.opts.Source, err)
		}
	}
	build := func(ctx context.Context) (*http.Request, error) {
		var reader io.Reader
		if raw != nil {
			reader = bytes.NewReader(raw)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
		if err != nil {
			return nil, err
		}
		for k, vs := range header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		if raw != nil && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
	return c.Fetch(ctx, build, func(resp *http.Response, answer []byte) error {
		return c.wrap(DecodeJSON(c.opts.Source, resp.Request.URL.Path, bytes.NewReader(answer), out))
	})
}

// maxAnswerBytes bounds one answer read by Fetch.
const maxAnswerBytes = 64 << 20

// Fetch sends the request build makes and hands the whole 2xx answer to accept. build is called
// again for every fetch, since a request body can be sent only once.
//
// Besides what Do retries (network errors, timeouts, 429, 5xx), Fetch fetches the answer again,
// with the same backoff and up to RetryMax times, when its body is a transient fault: the
// connection was cut or timed out mid-body, the body is not well-formed JSON (accept's error
// wraps a *json.SyntaxError or io.ErrUnexpectedEOF, as encoding/json's errors do), or accept
// recognised the provider's own "try again" answer sent with HTTP 200 and returned it wrapped by
// Transient. Any other error from accept (a well-formed answer of the wrong shape, a refusal) is
// returned at once: fetching again would get the same. A fault that outlasts the retries is
// returned with its cause, so it fails only the figures that needed the answer.
func (c *HTTPClient) Fetch(ctx context.Context, build func(context.Context) (*http.Request, error), accept func(resp *http.Response, body []byte) error) error {
	for attempt := 0; ; attempt++ {
		req, err := build(ctx)
		if err != nil {
			return c.wrap(fmt.Errorf("%s: build request: %w", c.opts.Source, err))
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		_ = resp.Body.Close()
		var kind string
		if readErr != nil {
			if ctx.Err() != nil {
				return c.wrap(fmt.Errorf("%s: %s %s: %w", c.opts.Source, req.Method, req.URL.Path, ctx.Err()))
			}
			err = c.wrap(fmt.Errorf("%s: %s %s: answer cut off: %w", c.opts.Source, req.Method, req.URL.Path, readErr))
			kind = "answer cut off"
		} else {
			if resp.Request == nil {
				// net/http sets the request that was answered, after any redirect (feeds resolve
				// relative links against it); a bare transport may not.
				resp.Request = req
			}
			if err = accept(resp, body); err == nil {
				return nil
			}
			if kind = transientKind(err); kind == "" {
				return err
			}
		}
		if attempt >= c.opts.RetryMax {
			return Explain(fmt.Sprintf("%s (still so after %d attempts)", err.Error(), attempt+1), err)
		}
		c.count(kind)
		c.opts.Log.Info("fetching again", "source", c.opts.Source, "attempt", attempt+2, "reason", kind, "url", c.Redact(req.URL.String()))
		timer := time.NewTimer(c.backoff(c.opts.WaitMin, c.opts.WaitMax, attempt, nil))
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.wrap(fmt.Errorf("%s: %s %s: %w", c.opts.Source, req.Method, req.URL.Path, ctx.Err()))
		case <-timer.C:
		}
	}
}

// ErrTransient marks a provider's answer that says to try again although it came with HTTP 200
// (Matomo's {"result":"error"} for a rate limit or a temporary failure). See Transient.
var ErrTransient = errors.New("transient fault")

// Transient marks err, returned by a Fetch accept function, as a "try again" answer: Fetch fetches
// it again. err's chain is kept, so a source may wrap ErrRateLimited in it for a throttle that
// outlasts the retries.
func Transient(err error) error { return &transientError{err: err} }

type transientError struct{ err error }

func (e *transientError) Error() string   { return e.err.Error() }
func (e *transientError) Unwrap() []error { return []error{e.err, ErrTransient} }

// transientKind names the transient fault err is, or returns "" for an error fetching again
// would not mend.
func transientKind(err error) string {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, ErrTransient):
		return "provider asked to try again"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "answer cut off"
	case errors.As(err, &syntax):
		return "malformed answer"
	}
	return ""
}

// attemptKey carries an *attemptState in a request's context from checkRetry to the hook that
// counts the retry, so that only faults actually retried are counted.
type attemptKey struct{}

type attemptState struct{ reason string }

func (c *HTTPClient) count(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retried == nil {
		c.retried = map[string]int{}
	}
	c.retried[kind]++
}

// Retries returns the transient faults retried since the last NoteRetries, by kind ("HTTP 503",
// "answer cut off", "timeout", …).
func (c *HTTPClient) Retries() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.retried)
}

// NoteRetries adds to sink a note counting the transient faults retried since the last call
// ("3 transient faults retried: 2 × HTTP 503, 1 × answer cut off"), so the run records them, and
// starts counting afresh. A source calls it once at the end of Collect; nothing retried, no note.
func (c *HTTPClient) NoteRetries(sink *Sink) {
	c.mu.Lock()
	counts := c.retried
	c.retried = nil
	c.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	kinds := slices.Sorted(maps.Keys(counts))
	total := 0
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		total += counts[k]
		parts = append(parts, fmt.Sprintf("%d × %s", counts[k], k))
	}
	noun := "faults"
	if total == 1 {
		noun = "fault"
	}
	sink.Note("%d transient %s retried: %s", total, noun, strings.Join(parts, ", "))
}

// faultKind names a fault go-retryablehttp is about to retry.
func faultKind(resp *http.Response, err error) string {
	if err != nil {
		var netErr net.Error
		switch {
		case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return "connection reset"
		case errors.As(err, &netErr) && netErr.Timeout():
			return "timeout"
		}
		return "network error"
	}
	if resp != nil {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return "fault"
}

// DecodeJSON decodes a provider's JSON answer, naming the source on failure.
func DecodeJSON(source, path string, r io.Reader, out any) error {
	raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", source, path, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %s answered malformed JSON (%w): %.120q", source, path, err, raw)
	}
	return nil
}

func (c *HTTPClient) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, checkErr := c.shouldRetry(ctx, resp, err)
	if st, ok := ctx.Value(attemptKey{}).(*attemptState); ok && retry {
		st.reason = faultKind(resp, err)
	}
	return retry, checkErr
}

func (c *HTTPClient) shouldRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err == nil && resp != nil {
		throttled := resp.StatusCode == http.StatusTooManyRequests || c.providerThrottled(resp)
		if throttled || resp.StatusCode == http.StatusServiceUnavailable {
			// A wait longer than this client will sleep, or past the run's deadline, ends the
			// attempt now: retries before then would only be refused. The caller reports when to
			// come back.
			if _, wait, sure := c.comeBack(resp, true); sure {
				if deadline, ok := ctx.Deadline(); wait > c.opts.WaitMax || (ok && time.Now().Add(wait).After(deadline)) {
					return false, nil
				}
			}
			if throttled {
				return true, nil
			}
		}
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// providerThrottled asks the source's Throttled hook, leaving the body readable for the caller.
func (c *HTTPClient) providerThrottled(resp *http.Response) bool {
	if c.opts.Throttled == nil || resp.StatusCode < 400 {
		return false
	}
	return c.opts.Throttled(resp.StatusCode, resp.Header, bufferBody(resp))
}

// backoff honours Retry-After (seconds, HTTP date or ISO 8601, as Zoom sends), or a time the
// source's RetryAt hook is sure of, up to hi; else it doubles from lo with full jitter so that
// parallel clients do not retry in step.
func (c *HTTPClient) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		throttle := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable || c.providerThrottled(resp)
		if _, wait, sure := c.comeBack(resp, throttle); sure {
			return min(max(wait, 0), hi)
		}
	}
	ceiling := min(lo*time.Duration(1<<min(attempt, 20)), hi)
	return lo/2 + rand.N(ceiling-lo/2+1)
}

// comeBack is when the answer says to come back and how long that is from now: its Retry-After,
// else, for a throttle answer, what the source's RetryAt hook makes of it. sure is false for a
// hook's general rule (see HTTPOptions.RetryAt) and when nothing tells.
func (c *HTTPClient) comeBack(resp *http.Response, throttle bool) (at time.Time, wait time.Duration, sure bool) {
	now := time.Now()
	if at := retryAfter(resp.Header, now); !at.IsZero() {
		return at, at.Sub(now), true
	}
	if !throttle || c.opts.RetryAt == nil {
		return time.Time{}, 0, false
	}
	// The hook counts on the source's clock, so the wait is counted on it too.
	clock := c.opts.Now()
	at, sure = c.opts.RetryAt(resp.StatusCode, resp.Header, bufferBody(resp), clock)
	if at.IsZero() {
		return time.Time{}, 0, false
	}
	return at, at.Sub(clock), sure
}

// bufferBody reads a failed answer's body once (up to 64 KiB) and leaves it readable from the
// start, so that the source's hooks, the backoff and the APIError all see the same bytes. The
// backoff runs after go-retryablehttp has drained the body, hence the copy kept beside the reader.
func bufferBody(resp *http.Response) []byte {
	if b, ok := resp.Body.(*bufferedBody); ok {
		return b.raw
	}
	if resp.Body == nil {
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close() // frees the concurrency slot; the copy needs no connection
	resp.Body = &bufferedBody{Reader: bytes.NewReader(raw), raw: raw}
	return raw
}

type bufferedBody struct {
	*bytes.Reader
	raw []byte
}

func (*bufferedBody) Close() error { return nil }

// retryAfter reads Retry-After as delta seconds, an HTTP date or an RFC 3339 time.
func retryAfter(header http.Header, now time.Time) time.Time {
	v := strings.TrimSpace(header.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	return time.Time{}
}

// wrap keeps secrets out of error text (net/http errors quote the whole URL) while keeping the
// error chain intact for errors.Is.
func (c *HTTPClient) wrap(err error) error {
	if err == nil {
		return nil
	}
	return Explain(c.Redact(err.Error()), err)
}

// Explain returns an error that reads msg and unwraps to err. Sources use it to word a failure
// for the operator (what happened, what to fix, the provider's own message) while errors.Is and
// errors.As still find ErrUnauthorized, ErrRateLimited and the *APIError with its RetryAt.
func Explain(msg string, err error) error { return &explainedError{msg: msg, err: err} }

type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

// limitedTransport waits for the rate limiter and a concurrency slot before every attempt.
type limitedTransport struct {
	base    http.RoundTripper
	limiter *rate.Limiter
	slots   chan struct{}
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(req.Context()); err != nil {
		return nil, err
	}
	select {
	case t.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		<-t.slots
		return nil, err
	}
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: func() { <-t.slots }}
	return resp, nil
}

type releaseOnClose struct {
	io.ReadCloser
	release func()
	done    bool
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	if !r.done {
		r.done = true
		r.release()
	}
	return err
}

// ErrUnauthorized means the provider refused the credentials (401/403, expired token, bad key).
var ErrUnauthorized = errors.New("credentials refused")

// ErrRateLimited means the provider asked us to slow down beyond what one run waits for.
var ErrRateLimited = errors.New("rate limited")

// EndsRun tells whether err makes every further request of the run pointless: the run was
// cancelled or ran out of time, the provider refused the credentials, or it throttles. A source
// stops there and returns what was complete; it may add reasons of its own (GA4 also stops on
// server errors that outlasted the retries, since each counts against an hourly budget).
func EndsRun(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrRateLimited)
}

// APIError is a provider's non-2xx answer. Body is the start of the provider's message, with
// secrets removed, so an operator sees what the provider said.
type APIError struct {
	Source  string
	Method  string
	Path    string
	Status  int
	Body    string
	RetryAt time.Time
	// Throttled marks a provider-specific "slow down" answer that is not a 429.
	Throttled bool
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: HTTP %d", e.Source, e.Method, e.Path, e.Status)
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += " (credentials refused: check the source's token or key and its access rights)"
	}
	if e.Status == http.StatusTooManyRequests || e.Throttled {
		msg += " (rate limited"
		if !e.RetryAt.IsZero() {
			msg += ", retry after " + e.RetryAt.UTC().Format(time.RFC3339)
		}
		msg += ")"
	}
	if e.Body != "" {
		msg += ": " + truncate(e.Body, 512)
	}
	return msg
}

// Unwrap classifies the answer so callers can use errors.Is(err, ErrUnauthorized / ErrRateLimited).
func (e *APIError) Unwrap() error {
	if e.Throttled {
		return ErrRateLimited
	}
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	case http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
