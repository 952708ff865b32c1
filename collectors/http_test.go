package collectors

import (
	"bytes"
	"context"
	"errors"
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
			at := retryAt(resp, now)
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
