package collectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func fastClient(t *testing.T, opts HTTPOptions) *HTTPClient {
	t.Helper()
	if opts.Source == "" {
		opts.Source = "test"
	}
	if opts.WaitMin == 0 {
		opts.WaitMin = time.Millisecond
	}
	if opts.WaitMax == 0 {
		opts.WaitMax = 50 * time.Millisecond
	}
	if opts.RequestsPerSecond == 0 {
		opts.RequestsPerSecond = 1000
	}
	return NewHTTPClient(opts)
}

func TestRetriesServerErrorsThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	defer srv.Close()
	var out struct{ OK bool }
	if err := fastClient(t, HTTPOptions{}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !out.OK || calls.Load() != 4 {
		t.Fatalf("ok=%v after %d calls, want true after 4", out.OK, calls.Load())
	}
}

func TestRetryAfterIsHonouredInEveryForm(t *testing.T) {
	now := time.Now()
	cases := map[string]string{
		"seconds":   "1",
		"http date": now.Add(time.Second).UTC().Format(http.TimeFormat),
		"iso 8601":  now.Add(time.Second).UTC().Format(time.RFC3339), // Zoom's daily limit
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{"Retry-After": []string{header}}}
			at := retryAfter(resp.Header, now)
			if at.IsZero() || at.Sub(now) > 2*time.Second || at.Sub(now) < -time.Second {
				t.Fatalf("Retry-After %q read as %v from now", header, at.Sub(now))
			}
		})
	}
}

func TestLongRetryAfterStopsWithRateLimitedInsteadOfSleeping(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"code":429,"message":"You have reached the maximum daily rate limit for this API."}`))
	}))
	defer srv.Close()
	start := time.Now()
	err := fastClient(t, HTTPOptions{WaitMax: time.Second}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || time.Until(apiErr.RetryAt) < 59*time.Minute {
		t.Fatalf("want RetryAt about an hour ahead, got %+v", apiErr)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second || calls.Load() != 1 {
		t.Fatalf("waited %s over %d calls; a long Retry-After must not be slept through", elapsed, calls.Load())
	}
	if !strings.Contains(err.Error(), "daily rate limit") {
		t.Fatalf("error lost the provider's message: %v", err)
	}
}

func TestShortRetryAfterIsWaitedOut(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	start := time.Now()
	if err := fastClient(t, HTTPOptions{WaitMax: 5 * time.Second}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Fatalf("retried after %s, before the 1 s the server asked for", elapsed)
	}
}

func TestPersistent429WithoutRetryAfterEndsAsRateLimited(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"title":"Too Many Requests","status":429,"detail":"You have exceeded the limit of 10 simultaneous connections."}`))
	}))
	defer srv.Close()
	err := fastClient(t, HTTPOptions{RetryMax: 2}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) || calls.Load() != 3 {
		t.Fatalf("got %v after %d calls, want ErrRateLimited after 3", err, calls.Load())
	}
}

func TestProviderThrottleSignalIsRetriedAndClassified(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true}}`))
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{RetryMax: 2, Throttled: func(status int, _ http.Header, body []byte) bool {
		return status == http.StatusBadRequest && bytes.Contains(body, []byte(`"code":4`))
	}})
	err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) || calls.Load() != 3 {
		t.Fatalf("got %v after %d calls, want ErrRateLimited after 3", err, calls.Load())
	}
	if !strings.Contains(err.Error(), "Application request limit reached") {
		t.Fatalf("the provider's message was lost: %v", err)
	}
}

func TestCredentialErrorsAreClassifiedAndNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error": "Invalid API key or site ID."}`))
	}))
	defer srv.Close()
	err := fastClient(t, HTTPOptions{Source: "plausible"}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrUnauthorized) || calls.Load() != 1 {
		t.Fatalf("got %v after %d calls, want ErrUnauthorized after 1", err, calls.Load())
	}
	if !strings.HasPrefix(err.Error(), "plausible:") || !strings.Contains(err.Error(), "Invalid API key") {
		t.Fatalf("error should name the source and keep the message: %v", err)
	}
}

func TestMalformedJSONIsAnErrorNamingThePath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"rows": [ {"dimensionValues": `))
	}))
	defer srv.Close()
	err := fastClient(t, HTTPOptions{Source: "ga4"}).JSON(context.Background(), http.MethodGet, srv.URL+"/v1beta/properties/1:runReport", nil, nil, &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "malformed JSON") || !strings.Contains(err.Error(), "runReport") {
		t.Fatalf("got %v", err)
	}
}

func TestAttemptTimeoutIsRetriedThenReported(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	err := fastClient(t, HTTPOptions{AttemptTimeout: 100 * time.Millisecond, RetryMax: 1}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if err == nil || calls.Load() != 2 {
		t.Fatalf("got %v after %d calls, want an error after 2", err, calls.Load())
	}
}

func TestSecretsNeverAppearInErrorsOrLogs(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef-us21"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"detail": "bad key ` + secret + `"}`))
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := fastClient(t, HTTPOptions{RetryMax: 1, Secrets: []string{secret}, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	err := c.JSON(context.Background(), http.MethodGet, srv.URL+"/x?token_auth="+secret, nil, nil, &struct{}{})
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
		t.Fatalf("secret leaked:\nerror: %v\nlogs: %s", err, logs.String())
	}
	// Unreachable host: net/http quotes the whole URL, token included.
	err = c.JSON(context.Background(), http.MethodGet, "http://127.0.0.1:1/x?token_auth="+secret, nil, nil, &struct{}{})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("secret leaked from a transport error: %v", err)
	}
}

func TestConcurrencyLimitIsKept(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{Concurrency: 2})
	done := make(chan error, 8)
	for range 8 {
		go func() { done <- c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}) }()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() > 2 {
		t.Fatalf("%d requests in flight at once, limit 2", peak.Load())
	}
}

// quotaHook answers like a source's RetryAt hook and records what it was asked.
type quotaHook struct {
	calls  atomic.Int32
	at     func(now time.Time) time.Time
	sure   bool
	status atomic.Int32
	body   atomic.Value
}

func (h *quotaHook) retryAt(status int, _ http.Header, body []byte, now time.Time) (time.Time, bool) {
	h.calls.Add(1)
	h.status.Store(int32(status))
	h.body.Store(string(body))
	return h.at(now), h.sure
}

func TestRetryAtHookThatIsSureOfADistantTimeStopsAtOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"message":"Exhausted property tokens per day"}}`))
	}))
	defer srv.Close()
	clock := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC) // the source's clock, not the real one
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(24 * time.Hour) }, sure: true}
	start := time.Now()
	err := fastClient(t, HTTPOptions{RetryAt: hook.retryAt, Now: func() time.Time { return clock }}).
		JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(clock.Add(24*time.Hour)) {
		t.Fatalf("RetryAt %v, want the hook's time on the source's clock, %v", apiErr, clock.Add(24*time.Hour))
	}
	if calls.Load() != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("%d calls in %s: a sure time beyond WaitMax must not be retried", calls.Load(), time.Since(start))
	}
	if hook.status.Load() != http.StatusTooManyRequests || !strings.Contains(hook.body.Load().(string), "per day") {
		t.Errorf("the hook was given status %d and body %q", hook.status.Load(), hook.body.Load())
	}
	if !strings.Contains(err.Error(), "retry after 2026-03-11T09:30:00Z") {
		t.Errorf("the error should say when to come back: %v", err)
	}
}

func TestRetryAtHookThatIsSureOfANearTimeIsWaitedFor(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(time.Second) }, sure: true}
	start := time.Now()
	if err := fastClient(t, HTTPOptions{WaitMax: 5 * time.Second, RetryAt: hook.retryAt}).
		JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond || calls.Load() != 2 {
		t.Errorf("retried after %s with %d calls; want one retry after the second the hook named", elapsed, calls.Load())
	}
}

func TestRetryAtHookThatIsNotSureIsRetriedThenReported(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	clock := time.Date(2026, 3, 15, 12, 17, 5, 0, time.UTC)
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Truncate(time.Hour).Add(time.Hour) }}
	err := fastClient(t, HTTPOptions{RetryMax: 2, RetryAt: hook.retryAt, Now: func() time.Time { return clock }}).
		JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) || calls.Load() != 3 {
		t.Fatalf("got %v after %d calls, want ErrRateLimited after 1 + 2 retries", err, calls.Load())
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(time.Date(2026, 3, 15, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("RetryAt %v, want the hook's rule, 13:00", apiErr)
	}
}

func TestRetryAfterIsReadBeforeTheRetryAtHook(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(10 * time.Minute) }, sure: true}
	err := fastClient(t, HTTPOptions{RetryAt: hook.retryAt}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || time.Until(apiErr.RetryAt) < 59*time.Minute {
		t.Fatalf("RetryAt %v, want the Retry-After of an hour", apiErr)
	}
	if n := hook.calls.Load(); n != 0 {
		t.Errorf("the hook was asked %d times although the answer said when", n)
	}
}

func TestRetryAtHookPastTheDeadlineStopsAtOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(3 * time.Second) }, sure: true}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := fastClient(t, HTTPOptions{WaitMax: 10 * time.Second, RetryAt: hook.retryAt}).JSON(ctx, http.MethodGet, srv.URL, nil, nil, &struct{}{})
	if !errors.Is(err, ErrRateLimited) || calls.Load() != 1 {
		t.Fatalf("got %v after %d calls, want ErrRateLimited at once: the wait outlasts the run", err, calls.Load())
	}
}

func TestRetryAtHookWorksWithThrottled(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"(#80001) There have been too many calls to this Page account.","code":80001}}`))
	}))
	defer srv.Close()
	clock := time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC)
	throttled := func(status int, _ http.Header, body []byte) bool {
		return status == http.StatusBadRequest && bytes.Contains(body, []byte(`"code":80001`))
	}
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(17 * time.Minute) }, sure: true}
	err := fastClient(t, HTTPOptions{Throttled: throttled, RetryAt: hook.retryAt, Now: func() time.Time { return clock }}).
		JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	var apiErr *APIError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(clock.Add(17*time.Minute)) {
		t.Fatalf("got %v, want ErrRateLimited with RetryAt 17 minutes on", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
}

func TestRetryAtHookIsAskedAboutThrottlesOnly(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			w.WriteHeader(http.StatusNotFound)
		default:
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	hook := &quotaHook{at: func(now time.Time) time.Time { return now.Add(time.Hour) }, sure: true}
	c := fastClient(t, HTTPOptions{RetryAt: hook.retryAt})
	err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || !apiErr.RetryAt.IsZero() {
		t.Fatalf("got %v, want the 404 after a retried 500, with no RetryAt", err)
	}
	if err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	if n := hook.calls.Load(); n != 0 {
		t.Errorf("the hook was asked %d times about answers that are not throttles", n)
	}
}

func TestNotModifiedPassesThroughOnlyForConditionalRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{})
	for _, header := range []string{"If-None-Match", "If-Modified-Since"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
		req.Header.Set(header, `"v1"`)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: a 304 to a conditional request is an answer, not an error: %v", header, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != `"v1"` {
			t.Errorf("%s: got %d %v", header, resp.StatusCode, resp.Header)
		}
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	_, err := c.Do(req)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotModified {
		t.Errorf("an unasked-for 304: got %v, want an *APIError", err)
	}
}

func TestExplainKeepsTheCause(t *testing.T) {
	cause := &APIError{Source: "x", Status: http.StatusTooManyRequests, RetryAt: time.Now().Add(time.Hour)}
	err := Explain("x: quota used up; the run resumes later", fmt.Errorf("wrapped: %w", cause))
	var apiErr *APIError
	if err.Error() != "x: quota used up; the run resumes later" || !errors.Is(err, ErrRateLimited) || !errors.As(err, &apiErr) || apiErr != cause {
		t.Errorf("Explain lost the message or the chain: %v", err)
	}
}

func TestEndsRun(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{live, &APIError{Status: http.StatusTooManyRequests}, true},
		{live, fmt.Errorf("x: %w", &APIError{Status: http.StatusUnauthorized}), true},
		{live, &APIError{Status: http.StatusBadRequest, Throttled: true}, true},
		{live, &APIError{Status: http.StatusInternalServerError}, false},
		{live, errors.New("malformed JSON"), false},
		{done, errors.New("malformed JSON"), true},
	}
	for _, tc := range cases {
		if got := EndsRun(tc.ctx, tc.err); got != tc.want {
			t.Errorf("EndsRun(%v, %v) = %v, want %v", tc.ctx.Err(), tc.err, got, tc.want)
		}
	}
}

// cutOff answers a 200 that promises body but sends only its first half, then drops the
// connection: what a client sees when a connection is cut mid-body.
func cutOff(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body[:len(body)/2]))
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func TestCutOffAnswerIsFetchedAgainAndCounted(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			cutOff(w, `{"rows": [1, 2, 3], "rowCount": 3}`)
			return
		}
		_, _ = w.Write([]byte(`{"rows": [1, 2, 3], "rowCount": 3}`))
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{})
	var out struct{ Rows []int }
	if err := c.JSON(context.Background(), http.MethodPost, srv.URL, nil, map[string]int{"limit": 5}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Rows) != 3 || calls.Load() != 3 {
		t.Fatalf("rows %v after %d calls, want 3 rows after 3", out.Rows, calls.Load())
	}
	if got := c.Retries(); got["answer cut off"] != 2 {
		t.Fatalf("retries counted %v, want 2 × answer cut off", got)
	}
	sink := &Sink{}
	c.NoteRetries(sink)
	if notes := sink.Notes(); len(notes) != 1 || notes[0] != "2 transient faults retried: 2 × answer cut off" {
		t.Fatalf("notes %q", notes)
	}
	if c.NoteRetries(sink); len(c.Retries()) != 0 || len(sink.Notes()) != 1 {
		t.Fatalf("NoteRetries should start counting afresh: %v, %q", c.Retries(), sink.Notes())
	}
}

func TestMalformedAnswerIsFetchedAgainThenFailsWithItsCause(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`{"rows": [1, 2`))
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{Source: "ga4", RetryMax: 2})
	err := c.JSON(context.Background(), http.MethodGet, srv.URL+"/v1beta/properties/1:runReport", nil, nil, &struct{}{})
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) || calls.Load() != 3 {
		t.Fatalf("got %v after %d calls, want a JSON syntax error after 3", err, calls.Load())
	}
	if !strings.Contains(err.Error(), "runReport") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error should name the path and the attempts: %v", err)
	}
	if EndsRun(context.Background(), err) {
		t.Fatalf("a malformed answer must fail its family only, not end the run: %v", err)
	}
}

func TestWrongShapeIsNotFetchedAgain(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`{"rows": "none"}`))
	}))
	defer srv.Close()
	var out struct{ Rows []int }
	err := fastClient(t, HTTPOptions{}).JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &out)
	if err == nil || calls.Load() != 1 {
		t.Fatalf("got %v after %d calls: well-formed JSON of the wrong shape is the same the next time", err, calls.Load())
	}
}

func TestProviderTryAgainWithHTTP200IsFetchedAgain(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			_, _ = w.Write([]byte(`{"result":"error","message":"Too many requests, try again later."}`))
			return
		}
		_, _ = w.Write([]byte(`{"nb_visits": 12}`))
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{})
	var visits int
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("token_auth=x"))
	}
	err := c.Fetch(context.Background(), build, func(_ *http.Response, body []byte) error {
		var answer struct {
			Result  string `json:"result"`
			Message string `json:"message"`
			Visits  int    `json:"nb_visits"`
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			return err
		}
		if answer.Result == "error" {
			return Transient(errors.New(answer.Message))
		}
		visits = answer.Visits
		return nil
	})
	if err != nil || visits != 12 || calls.Load() != 2 {
		t.Fatalf("got %v, visits %d after %d calls", err, visits, calls.Load())
	}
	if got := c.Retries(); got["provider asked to try again"] != 1 {
		t.Fatalf("retries counted %v", got)
	}
}

func TestPersistentTryAgainKeepsTheSourcesClassification(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"result":"error","message":"rate limit"}`))
	}))
	defer srv.Close()
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}
	err := fastClient(t, HTTPOptions{RetryMax: 1}).Fetch(context.Background(), build, func(*http.Response, []byte) error {
		return Transient(fmt.Errorf("matomo: rate limit: %w", ErrRateLimited))
	})
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, ErrTransient) {
		t.Fatalf("got %v, want it to stay ErrRateLimited", err)
	}
}

func TestConnectionResetsAndServerErrorsAreCounted(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{})
	if err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	if got := c.Retries(); got["connection reset"] != 1 || got["HTTP 503"] != 1 || len(got) != 2 {
		t.Fatalf("retries counted %v, want 1 connection reset and 1 HTTP 503", got)
	}
}

func TestFailedRetriesAreCountedOnlyWhenRetried(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := fastClient(t, HTTPOptions{RetryMax: 2})
	if err := c.JSON(context.Background(), http.MethodGet, srv.URL, nil, nil, &struct{}{}); err == nil {
		t.Fatal("want an error")
	}
	if got := c.Retries(); got["HTTP 502"] != 2 {
		t.Fatalf("retries counted %v, want 2 (three attempts)", got)
	}
}
