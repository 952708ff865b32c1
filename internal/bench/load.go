package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult is one load run: requests answered 200, failures, wall time and every latency.
type loadResult struct {
	ok, failed int
	elapsed    time.Duration
	latencies  []time.Duration
}

func (r loadResult) perSecond() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// percentile returns the p-th percentile (0–100) of the latencies.
func (r loadResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	i := int(float64(len(l)-1) * p / 100)
	return l[i]
}

// newClient keeps up to conns connections open to the server under test.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true, IdleConnTimeout: time.Minute},
	}
}

// fetch sends one GET with a session cookie and reads the whole answer.
func fetch(ctx context.Context, client *http.Client, url, cookie string) (int, []byte, error) {
	var body bytes.Buffer
	status, err := send(ctx, client, url, cookie, &body)
	return status, body.Bytes(), err
}

// send sends one GET with a session cookie and copies the answer to w (io.Discard under load).
func send(ctx context.Context, client *http.Client, url, cookie string, w io.Writer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, err = io.Copy(w, resp.Body)
	return resp.StatusCode, err
}

// drive runs conns workers that each send requests back to back, for at most d and at most max
// requests in all. Worker i uses cookies[i % len(cookies)] and urls in turn.
func drive(ctx context.Context, client *http.Client, urls []string, cookies []string, conns int, d time.Duration, max int) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var res loadResult
	var sent int
	var wg sync.WaitGroup
	began := time.Now()
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cookie := ""
			if len(cookies) > 0 {
				cookie = cookies[w%len(cookies)]
			}
			var lat []time.Duration
			ok, failed := 0, 0
			for i := w; ; i++ {
				mu.Lock()
				if sent >= max {
					mu.Unlock()
					break
				}
				sent++
				mu.Unlock()
				t := time.Now()
				status, err := send(ctx, client, urls[i%len(urls)], cookie, io.Discard)
				if ctx.Err() != nil {
					break // the run's time is up: this request does not count
				}
				if err != nil || status != http.StatusOK {
					failed++
					continue
				}
				ok++
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.ok += ok
			res.failed += failed
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(began)
	return res
}

// burst sends one request per user at the same moment and returns their latencies.
func burst(ctx context.Context, client *http.Client, url string, cookies []string, users int) (loadResult, error) {
	urls := make([]string, users)
	for i := range urls {
		urls[i] = url
	}
	return burstAll(ctx, client, urls, cookies)
}

// burstAll sends one request per address at the same moment, user i asking for urls[i].
func burstAll(ctx context.Context, client *http.Client, urls []string, cookies []string) (loadResult, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var res loadResult
	var firstErr error
	start := make(chan struct{})
	for u, url := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t := time.Now()
			status, err := send(ctx, client, url, cookies[u%len(cookies)], io.Discard)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("GET %s: status %d", url, status)
			}
			if err != nil {
				res.failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			res.ok++
			res.latencies = append(res.latencies, time.Since(t))
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	res.elapsed = time.Since(began)
	return res, firstErr
}

// add folds another run of the same kind into r.
func (r *loadResult) add(o loadResult) {
	r.ok += o.ok
	r.failed += o.failed
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
}
