// Package pdf prints web pages to A4 PDF with headless Chromium, driven through chromedp.
//
// The browser never touches the network. Every request the page makes is paused (the DevTools
// Fetch domain) and answered in process by a Fetcher — the dashboard's own router, called with
// the request as the page made it — so a render needs no listening port, no address of the running
// server and no user's password; a request for any other host is refused. This follows Grafana's
// image renderer (a headless browser loads the page from the server itself), minus the network
// hop and its render-key cookie: here the key, where one is needed, never leaves the process.
//
// Renders are bounded: at most Options.Parallel at a time (others wait, or give up with their
// context), each within Options.Timeout, and each in a fresh browser with a throw-away profile
// that is killed when the render ends.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Defaults for Options.
const (
	DefaultTimeout  = 60 * time.Second
	DefaultParallel = 2
	// maxBody bounds one answer handed to the browser; the dashboard's largest asset (ECharts)
	// is about 1 MB.
	maxBody = 16 << 20
)

// Browsers is what New looks for on PATH when no path is configured, in this order.
var browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"}

// ErrNoChromium is wrapped by every error that says no browser is there to print with.
var ErrNoChromium = errors.New("no Chromium to print PDF with")

// InstallHint says how to provide the browser; the dashboard shows it with ErrNoChromium.
const InstallHint = "install it (Debian/Ubuntu: apt-get install chromium) or set pdf.chromium to its path"

// Options configure a Renderer.
type Options struct {
	// Chromium is the browser's path; empty looks up chromium, chromium-browser or google-chrome
	// on PATH.
	Chromium string
	// Timeout bounds one render, browser start included; 0 is DefaultTimeout.
	Timeout time.Duration
	// Parallel is how many renders may run at once; 0 is DefaultParallel.
	Parallel int
	Log      *slog.Logger
}

// Renderer prints pages. The zero value is not usable; make one with New.
type Renderer struct {
	path    string
	missing error
	timeout time.Duration
	slots   chan struct{}
	log     *slog.Logger
}

// New makes a renderer. It never fails: without a browser, Available and Render return an error
// wrapping ErrNoChromium, so the rest of the program runs without PDF.
func New(o Options) *Renderer {
	r := &Renderer{timeout: o.Timeout, log: o.Log}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	n := o.Parallel
	if n <= 0 {
		n = DefaultParallel
	}
	r.slots = make(chan struct{}, n)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.path, r.missing = lookup(o.Chromium)
	return r
}

func lookup(configured string) (string, error) {
	if configured != "" {
		p, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("%w: pdf.chromium %q is not an executable (%v); %s", ErrNoChromium, configured, err, InstallHint)
		}
		return p, nil
	}
	for _, name := range browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: none of %s is on PATH; %s", ErrNoChromium, strings.Join(browsers, ", "), InstallHint)
}

// Available is nil when there is a browser to print with.
func (r *Renderer) Available() error { return r.missing }

// Path is the browser's path (empty when there is none).
func (r *Renderer) Path() string { return r.path }

// Fetcher answers one request of the page. fiber's App.Test is one.
type Fetcher func(req *http.Request) (*http.Response, error)

// Render loads pageURL, answering every request to its host with fetch, waits until every chart
// has drawn, and prints the page to A4 PDF with the page's own @page rules (print media is
// emulated from the first byte, so charts are drawn at the print width, never scaled).
func (r *Renderer) Render(ctx context.Context, pageURL string, fetch Fetcher) ([]byte, error) {
	if r.missing != nil {
		return nil, r.missing
	}
	target, err := url.Parse(pageURL)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("pdf: page address %q is not an absolute URL", pageURL)
	}
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("pdf: waiting for a free renderer: %w", ctx.Err())
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	out, err := r.render(ctx, target, fetch)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (no PDF within %s)", err, r.timeout)
		}
		return nil, fmt.Errorf("pdf %s: %w", target.Path, err)
	}
	r.log.DebugContext(ctx, "pdf rendered", "path", target.Path, "bytes", len(out), "took", time.Since(started).Round(time.Millisecond))
	return out, nil
}

func (r *Renderer) render(ctx context.Context, target *url.URL, fetcher Fetcher) ([]byte, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(r.path),
		// Root in a container has no user namespaces for the sandbox; the page is our own and
		// has no network (see the package comment).
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	// The listener runs on the tab's reading goroutine: it hands each paused request to its own
	// goroutine, which answers through tabCtx once it is set.
	ready := make(chan context.Context, 1)
	listener := func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			c := <-ready
			ready <- c
			answer(c, target, fetcher, e)
		}()
	}
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(listener))
	defer cancelTab()
	if err := chromedp.Do(tabCtx); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.path, err)
	}
	ready <- tabCtx
	if _, err := chromedp.Call(tabCtx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		return nil, fmt.Errorf("intercept requests: %w", err)
	}
	if _, err := chromedp.Call(tabCtx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		return nil, fmt.Errorf("emulate print: %w", err)
	}
	resp, err := chromedp.Run(tabCtx, chromedp.NavigateResponse(target.String()))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("load: HTTP %d", resp.Status)
	}
	if err := waitDrawn(tabCtx); err != nil {
		return nil, err
	}
	res, err := chromedp.Call(tabCtx, page.PrintToPDF, page.PrintToPDFParams{
		PrintBackground:   ptr(true),
		PreferCSSPageSize: ptr(true),
		// A4 in inches, in case the page names no size.
		PaperWidth: 8.27, PaperHeight: 11.69,
		GenerateTaggedPDF: ptr(true),
	})
	if err != nil {
		return nil, fmt.Errorf("print: %w", err)
	}
	if !bytes.HasPrefix(res.Data, []byte("%PDF-")) {
		return nil, errors.New("print: Chromium answered something that is not a PDF")
	}
	return res.Data, nil
}

// drawnJS is true once every chart container holds ECharts' canvas and the fonts are in.
const drawnJS = `document.fonts.status === 'loaded' && Array.from(document.querySelectorAll('.chart')).every(function (e) { return e.querySelector('canvas, svg') !== null; })`

func waitDrawn(ctx context.Context) error {
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](drawnJS))
		if err != nil {
			return fmt.Errorf("wait for the charts: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the charts: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answer fulfils one paused request from fetcher, or refuses it when it is for another host.
func answer(ctx context.Context, target *url.URL, fetcher Fetcher, e *fetch.EventRequestPaused) {
	fail := func(reason network.ErrorReason) {
		_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: reason})
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil || u.Scheme != target.Scheme || u.Host != target.Host {
		fail(network.ErrorReasonBlockedByClient)
		return
	}
	var body io.Reader
	if e.Request.HasPostData {
		fail(network.ErrorReasonBlockedByClient) // a printed page posts nothing
		return
	}
	req, err := http.NewRequestWithContext(ctx, e.Request.Method, u.String(), body)
	if err != nil {
		fail(network.ErrorReasonFailed)
		return
	}
	for k, v := range e.Request.Headers {
		if s, ok := v.(string); ok {
			req.Header.Set(k, s)
		}
	}
	resp, err := fetcher(req)
	if err != nil {
		fail(network.ErrorReasonFailed)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		fail(network.ErrorReasonFailed)
		return
	}
	var headers []*fetch.HeaderEntry
	for k, vs := range resp.Header {
		for _, v := range vs {
			headers = append(headers, &fetch.HeaderEntry{Name: k, Value: v})
		}
	}
	_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: e.RequestID,
		ResponseCode: int64(resp.StatusCode), ResponseHeaders: headers, Body: data})
}

func ptr[T any](v T) *T { return &v }
