package dashboard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdpnetwork "github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// The browser test: the real app on a real port over the demo data, driven by headless Chromium.
// Handler tests read HTML; only a browser shows whether ECharts actually drew, whether a script
// failed, whether the page asked anything of another host, and what a phone makes of the layout.
//
// One browser and one tab serve every page (starting Chromium costs more than all the pages
// together). Expected figures come from the query layer, formatted with internal/i18n's rules,
// never from what the page printed.

const (
	// envChromium is the browser to drive; `make test` sets it from scripts/chromium.sh.
	envChromium = "REKKEVIDDE_CHROMIUM"
	// envScreenshots is a directory for a PNG of every page at desktop and phone width, to be
	// looked at by a person; unset, nothing is written.
	envScreenshots = "REKKEVIDDE_SCREENSHOTS"
)

// browserSource is the configured source whose page the test opens.
const browserSource = "plausible"

// hostileTitle is a campaign title that would run as script if any page wrote it unescaped.
const hostileTitle = "<script>alert(1)</script>"

// The two widths every page is looked at: a laptop, and an iPhone 12–15 in portrait.
const (
	desktopWidth, desktopHeight = 1366, 800
	phoneWidth, phoneHeight     = 390, 844
)

// chromiumPath finds the browser. A missing browser fails the test rather than skipping it: a
// skipped browser test looks green in CI while nothing was checked.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const hint = "run scripts/chromium.sh (it installs Debian's chromium and prints its path) and set " +
		envChromium + " to that path; `make test` does both"
	if p := os.Getenv(envChromium); p != "" {
		if !isExecutable(p) {
			t.Fatalf("%s=%q is not an executable file: %s", envChromium, p, hint)
		}
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if isExecutable(p) {
			return p
		}
	}
	t.Fatalf("no Chromium for the browser test: %s", hint)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// liveApp is the dashboard listening on a loopback port.
type liveApp struct {
	base     string // http://127.0.0.1:port
	host     string // 127.0.0.1:port: the only host a page may talk to
	user     string
	password string
	routes   []string // GET routes registered, as fiber lists them
}

// serveDashboard starts the real app (New, with store and query layer) on 127.0.0.1:0 with one
// local admin whose password and bcrypt hash are made here.
func serveDashboard(t *testing.T, st *store.Store) liveApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	password := "nettleser-" + hex.EncodeToString(secret)
	// MinCost: the hash is made and checked once per run; the cost being tested is not bcrypt's.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Sites = []config.Site{{ID: "innomed.no", Name: "innomed.no"}}
	cfg.HTTP.Listen = ln.Addr().String() // loopback: cookies without Secure work over plain HTTP
	// Admin, so the admin pages and the editor's publish form are part of what is looked at.
	cfg.Auth.Users = []config.User{{Name: "nettleser", PasswordHash: string(hash), Role: config.RoleAdmin}}
	// One configured source, off the schedule, so its runs page (/admin/kilder/:id) exists.
	cfg.Sources = []config.Source{{ID: browserSource, Type: "plausible", Disabled: true}}
	key := make([]byte, auth.MinKeyBytes)
	_, _ = rand.Read(key)
	app := dashboard.New(dashboard.Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Store: st, Config: cfg, SessionKey: key, Log: slog.New(slog.DiscardHandler)})
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })

	var routes []string
	for _, r := range app.GetRoutes(true) {
		if r.Method == http.MethodGet {
			routes = append(routes, r.Path)
		}
	}
	return liveApp{base: "http://" + ln.Addr().String(), host: ln.Addr().String(), user: "nettleser", password: password, routes: routes}
}

// insertHostileTitle adds one June 2022 send titled hostileTitle to the demo's list. It counts in
// the newsletter figures like any send; the expected figures are read after it is in.
func insertHostileTitle(t *testing.T, st *store.Store) {
	t.Helper()
	cols := []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent", "delivered", "unique_opens",
		"unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces", "provider_open_rate", "provider_click_rate", "source", "version"}
	openRate, clickRate := 0.45, 0.1
	row := []any{demo.ListID, "browser-test-hostile", hostileTitle, "Juni", time.Date(2022, time.June, 21, 8, 0, 0, 0, time.UTC),
		uint64(300), uint64(298), uint64(134), uint64(30), uint64(1), uint64(1), uint64(1), &openRate, &clickRate, "test", store.NewVersion()}
	if err := st.Insert(context.Background(), "newsletter_campaigns", cols, [][]any{row}); err != nil {
		t.Fatal(err)
	}
}

// recorder keeps what the tab reports: problems (uncaught exceptions, console.error and
// console.assert calls, error entries of the browser log such as CSP violations and failed
// loads), every request the page makes, and dialogs. It is filled from chromedp's listener,
// which runs on the tab's reading goroutine and must return at once.
type recorder struct {
	mu       sync.Mutex
	problems []string
	warnings []string
	requests []string
	dialogs  []string
	// dismiss closes a dialog, which otherwise blocks the page and every action after it.
	dismiss func()
}

func (r *recorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *cdpruntime.EventExceptionThrown:
		r.problems = append(r.problems, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
	case *cdpruntime.EventConsoleAPICalled:
		switch ev.Type {
		case cdpruntime.ConsoleAPICalledTypeError, cdpruntime.ConsoleAPICalledTypeAssert:
			r.problems = append(r.problems, "console."+string(ev.Type)+": "+argsText(ev.Args))
		case cdpruntime.ConsoleAPICalledTypeWarning:
			r.warnings = append(r.warnings, "console.warn: "+argsText(ev.Args))
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		msg := fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL)
		switch e.Level {
		case cdplog.EntryLevelError:
			r.problems = append(r.problems, msg)
		case cdplog.EntryLevelWarning:
			r.warnings = append(r.warnings, msg)
		}
	case *cdpnetwork.EventRequestWillBeSent:
		r.requests = append(r.requests, ev.Request.URL)
	case *cdppage.EventJavascriptDialogOpening:
		r.dialogs = append(r.dialogs, string(ev.Type)+": "+ev.Message)
		if r.dismiss != nil {
			go r.dismiss()
		}
	}
}

// take returns what was recorded since the last take and starts afresh.
func (r *recorder) take() (problems, warnings, requests, dialogs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	problems, warnings, requests, dialogs = r.problems, r.warnings, r.requests, r.dialogs
	r.problems, r.warnings, r.requests, r.dialogs = nil, nil, nil, nil
	return
}

func exceptionText(d *cdpruntime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s at %s:%d:%d", s, d.URL, d.LineNumber+1, d.ColumnNumber+1)
}

func argsText(args []*cdpruntime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// chromeTab is one tab of the test's browser, with what it records.
type chromeTab struct {
	ctx context.Context
	rec *recorder
	app liveApp
}

// startChromium starts one headless Chromium with a fresh profile and opens a tab in it. newTab
// opens further tabs in the same browser, each in a browser context of its own (no cookies shared).
func startChromium(t *testing.T, app liveApp) (first *chromeTab, newTab func(t *testing.T) *chromeTab) {
	t.Helper()
	// Made before the browser's cleanup is registered, so it is removed after the browser has
	// stopped writing to it.
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(profile),
		// Root in a container has no user namespaces for the sandbox.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// No component updates, sync, field trials or other calls home: the only traffic is the
		// page's, which the test checks.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(desktopWidth, desktopHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// open takes the (sub)test whose life the tab shares: it closes when that test ends.
	open := func(t *testing.T, newContext bool) *chromeTab {
		rec := &recorder{}
		var copts []chromedp.ContextOption
		parent := allocCtx
		if first != nil {
			parent = first.ctx
		}
		if newContext {
			copts = append(copts, chromedp.WithNewBrowserContext())
		}
		// From the tab's first message, so nothing the first page does is missed.
		copts = append(copts, chromedp.WithListener(rec.listen))
		ctx, cancel := chromedp.NewContext(parent, copts...)
		rec.dismiss = func() {
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
		// The first Do starts the browser (or the tab) and binds it to ctx, which has no timeout;
		// single actions get their own deadlines from children of ctx.
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			t.Fatalf("start Chromium: %v", err)
		}
		t.Cleanup(cancel)
		return &chromeTab{ctx: ctx, rec: rec, app: app}
	}
	t.Cleanup(cancelAlloc)
	first = open(t, false)
	return first, func(t *testing.T) *chromeTab { return open(t, true) }
}

// within gives one action a deadline, so a page that never finishes fails the test instead of
// hanging it. The tab's own context has none: a deadline there would close the browser.
func (b *chromeTab) within(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

// open navigates to path and fails unless the page answered 200 and stayed at path (no redirect
// to the sign-in form).
func (b *chromeTab) open(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := b.within(30 * time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.app.base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("open %s: HTTP %d", path, resp.Status)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != b.app.base+path {
		t.Fatalf("open %s: ended at %s", path, loc)
	}
}

// eval runs a JavaScript expression in the page and decodes its JSON value into T.
func eval[T any](t *testing.T, b *chromeTab, expr string) T {
	t.Helper()
	ctx, cancel := b.within(20 * time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// jsCall is a call of a JavaScript function with JSON-encoded arguments.
func jsCall(fn string, args ...any) string {
	enc := make([]string, len(args))
	for i, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			panic(err)
		}
		enc[i] = string(b)
	}
	return "(" + fn + ")(" + strings.Join(enc, ", ") + ")"
}

// chartState is one chart container as the browser has it.
type chartState struct {
	ID       string  `json:"id"`
	Canvas   bool    `json:"canvas"`
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	Instance bool    `json:"instance"`
	Done     bool    `json:"done"`
	// Plot is the size of the plotting area of a chart with axes (nil for a donut): labels or
	// options that ECharts misreads can squeeze it to nothing while the canvas looks fine.
	Plot *struct {
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	} `json:"plot"`
	// Repeated are labels a value axis shows more than once: ticks at 1 and 1,5 both written
	// "1" tell the reader two heights are the same number.
	Repeated []string `json:"repeated"`
}

// jsCharts describes every chart container (div.chart, role=img: the figures' and the reports'):
// whether ECharts drew a canvas into it, its size and plotting area, the labels its value axes
// repeat, and whether its animation has ended. Plotting area and labels come from ECharts' model
// (getModel and getViewLabels are not documented API, hence the try).
const jsCharts = `() => Array.from(document.querySelectorAll('div.chart[role=img]')).map(el => {
  const c = el.querySelector('canvas');
  const r = c ? c.getBoundingClientRect() : null;
  const inst = typeof echarts === 'undefined' ? null : echarts.getInstanceByDom(el);
  let plot = null;
  try {
    const grid = inst && inst.getModel().getComponent('grid', 0);
    if (grid && grid.coordinateSystem) {
      const g = grid.coordinateSystem.getRect();
      plot = {width: g.width, height: g.height};
    }
  } catch (e) { plot = {width: -1, height: -1}; }
  const repeated = [];
  try {
    for (const kind of ['xAxis', 'yAxis']) {
      for (let i = 0; inst && inst.getModel().getComponent(kind, i); i++) {
        const axis = inst.getModel().getComponent(kind, i).axis;
        if (!axis || axis.type !== 'value') continue; // categories may repeat (two sends on one day)
        const seen = new Set();
        for (const l of axis.getViewLabels()) {
          if (seen.has(l.formattedLabel)) repeated.push(kind + ' ' + l.formattedLabel);
          seen.add(l.formattedLabel);
        }
      }
    }
  } catch (e) { repeated.push('(axes unreadable: ' + e.message + ')'); }
  return {id: el.id, canvas: !!c, width: r ? r.width : 0, height: r ? r.height : 0,
    instance: !!inst, done: !!inst && inst.getZr().animation.isFinished(), plot: plot, repeated: repeated};
})`

// jsShowTips opens each chart's tooltip on a data point in the middle of its first series, as
// hovering does, and returns the ids of charts that drew none.
const jsShowTips = `() => Array.from(document.querySelectorAll('div.chart[role=img]')).map(el => {
  const inst = echarts.getInstanceByDom(el);
  const series = (inst && inst.getOption().series) || [];
  const data = (series[0] && series[0].data) || [];
  if (!data.length) return null;
  inst.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: Math.floor(data.length / 2)});
  return el.id;
}).filter(id => id !== null)`

// showTooltips opens every chart's tooltip: what ECharts writes for one must pass the CSP too
// (assertClean reports a violation, which the browser logs as an error).
func (b *chromeTab) showTooltips(t *testing.T, what string) {
	t.Helper()
	shown := eval[[]string](t, b, jsCall(jsShowTips))
	ctx, cancel := b.within(5 * time.Second)
	defer cancel()
	// The tooltip is drawn on a later frame; two frames are plenty.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`,
		chromedp.EvalAwaitPromise)); err != nil {
		t.Errorf("%s: waiting for tooltips: %v", what, err)
	}
	t.Logf("%s: tooltips shown on %d charts", what, len(shown))
}

// waitForCharts waits until every chart has been drawn, then checks that there are at least min
// charts, each a canvas of some size whose plotting area has room and whose value axes never
// repeat a label. With settle it also waits for the charts' animations to end:
// a screenshot taken earlier shows bars half grown. Without, it saves a second per page, and loses
// nothing a test can see: ECharts runs the options and formatters on the first frame.
func (b *chromeTab) waitForCharts(t *testing.T, what string, min int, settle bool) []chartState {
	t.Helper()
	ctx, cancel := b.within(20 * time.Second)
	defer cancel()
	ready := `document.readyState === 'complete' && ` + jsCall(jsCharts) + `.every(c => c.canvas && c.instance)`
	if settle {
		ready = `document.readyState === 'complete' && ` + jsCall(jsCharts) + `.every(c => c.done)`
	}
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingInterval(50*time.Millisecond)))
	charts := eval[[]chartState](t, b, jsCall(jsCharts))
	if err != nil {
		t.Errorf("%s: charts not drawn (settle %v) within 20 s: %v; charts %+v", what, settle, err, charts)
	}
	if len(charts) < min {
		t.Errorf("%s: %d charts, want at least %d: %+v", what, len(charts), min, charts)
	}
	for _, c := range charts {
		if !c.Canvas || !c.Instance || c.Width < 100 || c.Height < 100 {
			t.Errorf("%s: chart %s was not drawn: canvas %v (%.0f×%.0f px), ECharts instance %v", what, c.ID, c.Canvas, c.Width, c.Height, c.Instance)
			continue
		}
		// A quarter of the canvas is far less than any of our charts plots in; a collapsed
		// layout leaves a few pixels or a negative height.
		if p := c.Plot; p != nil && (p.Width < c.Width/4 || p.Height < c.Height/4) {
			t.Errorf("%s: chart %s: the plotting area is %.0f×%.0f px of a %.0f×%.0f px chart; the layout collapsed (axis labels?)",
				what, c.ID, p.Width, p.Height, c.Width, c.Height)
		}
		if len(c.Repeated) > 0 {
			t.Errorf("%s: chart %s: a value axis writes the same label for different values: %q", what, c.ID, c.Repeated)
		}
	}
	return charts
}

// assertClean fails for every problem the tab recorded since the last call: a script error, an
// error in the browser log, a dialog, or a request to any host but the app's.
func (b *chromeTab) assertClean(t *testing.T, what string) (requests []string) {
	t.Helper()
	problems, warnings, requests, dialogs := b.rec.take()
	for _, p := range problems {
		t.Errorf("%s: %s", what, p)
	}
	for _, w := range warnings {
		t.Logf("%s: warning: %s", what, w)
	}
	for _, d := range dialogs {
		t.Errorf("%s: a dialog opened (%s)", what, d)
	}
	for _, u := range requests {
		if err := b.app.ownRequest(u); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	return requests
}

// ownRequest accepts a request to the app itself and data: URLs (the layout's empty favicon);
// anything else means the page tried to reach another host (a CDN, fonts, analytics).
func (a liveApp) ownRequest(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("request to an unreadable URL %q: %v", raw, err)
	}
	switch {
	case u.Scheme == "data":
		return nil
	case u.Scheme == "http" && u.Host == a.host:
		return nil
	}
	return fmt.Errorf("request to %q, which is not the app (%s)", raw, a.host)
}

// screenshot writes the whole page as dir/<name>.png when REKKEVIDDE_SCREENSHOTS is set.
func (b *chromeTab) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv(envScreenshots)
	if dir == "" {
		return
	}
	ctx, cancel := b.within(30 * time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// viewport sets the desktop or the phone viewport. The phone is emulated as a mobile device, so
// the layout's viewport meta tag applies as on a real phone.
func (b *chromeTab) viewport(t *testing.T, phone bool) {
	t.Helper()
	ctx, cancel := b.within(10 * time.Second)
	defer cancel()
	a := chromedp.EmulateViewport(desktopWidth, desktopHeight)
	if phone {
		a = chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, a); err != nil {
		t.Fatal(err)
	}
}

// overflow is what sticks out to the right of a phone's screen, making the whole page scroll
// sideways (a wide table inside its own scrolling box is fine).
type overflow struct {
	ScrollWidth float64  `json:"scrollWidth"`
	ClientWidth float64  `json:"clientWidth"`
	Culprits    []string `json:"culprits"`
}

const jsOverflow = `() => {
  const root = document.documentElement, w = root.clientWidth;
  const clips = el => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right <= w + 1 || r.width === 0) continue;
    // A box that scrolls or clips contains what sticks out of it, but an absolutely positioned
    // element only if the box is (or holds) its containing block.
    const pos = getComputedStyle(el).position;
    let p = pos === 'absolute' ? el.offsetParent : pos === 'fixed' ? null : el.parentElement;
    let inner = false;
    for (; p && p !== document.body; p = p.parentElement) {
      if (clips(p)) { inner = true; break; }
    }
    if (!inner) culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
      ' right=' + Math.round(r.right));
  }
  return {scrollWidth: root.scrollWidth, clientWidth: w, culprits: culprits.slice(0, 8)};
}`

// shownRow is one table row as the reader sees it: the text of its cells, and whether the row is
// rendered at all (a row in a closed <details> is not).
type shownRow struct {
	Cells   []string `json:"cells"`
	Visible bool     `json:"visible"`
}

// jsRows reads the rows of the tables matching a selector, body and foot, text as the eye reads
// it: innerText without the .visually-hidden texts for screen readers ("–", not "–ikke målt"),
// runs of blanks made one. No-break spaces are kept, so they would show as a difference.
const jsRows = `(sel) => Array.from(document.querySelectorAll(sel + ' tbody tr, ' + sel + ' tfoot tr')).map(tr => ({
  cells: Array.from(tr.children).map(c => {
    let text = c.innerText;
    for (const h of c.querySelectorAll('.visually-hidden')) text = text.replace(h.innerText, '');
    return text.replace(/[ \t\r\n]+/g, ' ').trim();
  }),
  visible: tr.getClientRects().length > 0,
}))`

// rows returns the rows of the table(s) under sel, keyed by their first cell (the row header).
func (b *chromeTab) rows(t *testing.T, sel string) map[string]shownRow {
	t.Helper()
	list := eval[[]shownRow](t, b, jsCall(jsRows, sel))
	if len(list) == 0 {
		t.Fatalf("no table rows under %s", sel)
	}
	out := map[string]shownRow{}
	for _, r := range list {
		if len(r.Cells) > 0 {
			out[r.Cells[0]] = r
		}
	}
	return out
}

// expectRow checks that the row headed header shows want in its following cells, in order; an
// empty want skips a cell. The row must be rendered: figures in the DOM that nobody can see
// prove nothing.
func expectRow(t *testing.T, table string, rows map[string]shownRow, header string, want ...string) {
	t.Helper()
	r, ok := rows[header]
	if !ok {
		heads := make([]string, 0, len(rows))
		for h := range rows {
			heads = append(heads, h)
		}
		sort.Strings(heads)
		t.Errorf("%s: no row %q (rows: %q)", table, header, heads)
		return
	}
	if !r.Visible {
		t.Errorf("%s: row %q is not shown", table, header)
	}
	for i, w := range want {
		if w == "" {
			continue
		}
		if 1+i >= len(r.Cells) {
			t.Errorf("%s, row %q: %d cells, want column %d = %q", table, header, len(r.Cells), 1+i, w)
			continue
		}
		if got := r.Cells[1+i]; got != w {
			t.Errorf("%s, row %q, column %d: screen shows %q, the query layer says %q", table, header, 1+i, got, w)
		}
	}
}

// openCollapsed opens a figure's collapsed table the way a reader does, by clicking its summary.
func (b *chromeTab) openCollapsed(t *testing.T, figureID string) {
	t.Helper()
	if !eval[bool](t, b, jsCall(`(id) => !!document.querySelector('#' + id + ' details:not([open]) summary')`, figureID)) {
		return
	}
	ctx, cancel := b.within(10 * time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#"+figureID+" details summary"))); err != nil {
		t.Fatalf("open the table of %s: %v", figureID, err)
	}
}

// Formatting of expected figures, as bokmål writes them (internal/i18n): counts grouped with a
// space, whole percentages with " %", and the one-decimal percentages of rates with a decimal comma.
var nb = i18n.NB

func count64(v uint64) string { return nb.Count(v) }
func countF(v float64) string { return nb.Number(int64(math.Round(v))) }

func optCount(v *uint64) string {
	if v == nil {
		return "–"
	}
	return nb.Count(*v)
}

func percent1(frac float64) string {
	return strings.Replace(strconv.FormatFloat(frac*100, 'f', 1, 64), ".", ",", 1) + " %"
}

// kpiShown is a KPI value in its unit: a count, or a rate with one decimal.
func kpiShown(def metrics.Metric, v *float64) string {
	switch {
	case v == nil:
		return "–"
	case def.Percent():
		return percent1(*v)
	}
	return countF(*v)
}

// publicPath matches the routes that need no session: probes, static files, sign-in, and the read
// API, which takes bearer tokens (README, Sign-in).
var publicPath = regexp.MustCompile(`^(/healthz|/readyz|/static/.*|/login|/logout|/auth/.*|/api/v1(/.*)?)$`)

// browserPage is one page the browser test opens, with what it must show.
type browserPage struct {
	name   string // screenshot name
	path   string // with the period parameters that give the demo's full 2022
	charts int    // at least this many charts
	check  func(t *testing.T, b *chromeTab)
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: needs ClickHouse and Chromium (run without -short, via make test)")
	}
	started := time.Now()
	chromium := chromiumPath(t) // before the slow setup: a missing browser fails at once
	t.Logf("browser: %s", chromium)

	oslo, err := time.LoadLocation("Europe/Oslo") // the demo's and the default config's zone
	if err != nil {
		t.Fatal(err)
	}
	st := chtest.Open(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: "innomed.no", Location: oslo}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	insertHostileTitle(t, st)
	q := query.New(st.Conn())
	app := serveDashboard(t, st)
	year := days.YearSpan(2022)
	q3 := days.QuarterSpan(2022, 3)
	d, err := q.Discover(ctx, "innomed.no", oslo)
	social := d.Social
	if err != nil || len(social) == 0 {
		t.Fatalf("social accounts %v: %v", social, err)
	}
	scope := query.KPIScope{SiteID: "innomed.no", Social: social, ListID: demo.ListID, EventAccount: demo.AccountID,
		Feeds: []string{demo.FeedID}, Location: oslo}
	// must stops the (sub)test t on an error of the query layer.
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	held, err := q.SpanEvents(ctx, demo.AccountID, year, oslo)
	if err != nil || len(held) == 0 {
		t.Fatalf("2022 events %d: %v", len(held), err)
	}
	edited := held[len(held)-1] // the event whose edit page is opened

	b, newTab := startChromium(t, app)
	t.Logf("setup (database, demo, server, browser): %v", time.Since(started).Round(time.Millisecond))

	// Sign in through the form, as a person does.
	b.viewport(t, false)
	b.open(t, "/login")
	b.screenshot(t, "login-desktop")
	b.viewport(t, true)
	b.open(t, "/login")
	b.screenshot(t, "login-phone")
	b.viewport(t, false)
	b.open(t, "/login")
	{
		ctx, cancel := b.within(20 * time.Second)
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("username"), app.user),
			chromedp.SendKeys(chromedp.ID("password"), app.password))
		if err == nil {
			_, err = chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`))))
		}
		cancel()
		if err != nil {
			t.Fatalf("sign in: %v", err)
		}
		if loc := eval[string](t, b, `location.href`); loc != app.base+"/" {
			t.Fatalf("after signing in the browser is at %s, want %s/", loc, app.base)
		}
		if who := eval[string](t, b, `document.querySelector('.account strong').innerText`); who != app.user {
			t.Fatalf("signed in as %q", who)
		}
	}
	b.assertClean(t, "sign-in")

	pages := []browserPage{
		{name: "oversikt", path: "/?period=year&year=2022", check: func(t *testing.T, b *chromeTab) {
			values, err := q.KPIValues(ctx, metrics.OverviewKPIs(), scope, year, days.DefaultGrain(year), nil)
			must(t, err)
			type card struct{ Title, Value string }
			cards := eval[[]card](t, b, `Array.from(document.querySelectorAll('.card')).map(c => ({
				Title: c.querySelector('h3').innerText.trim(), Value: c.querySelector('.card-value').innerText.trim()}))`)
			shown := map[string]string{}
			for _, c := range cards {
				shown[c.Title] = c.Value
			}
			checked := 0
			for _, v := range values {
				name := nb.T("kpi." + string(v.Def.Name))
				got, ok := shown[name]
				if !ok {
					continue // not every KPI is a card
				}
				checked++
				if want := kpiShown(v.Def, v.Current); got != want {
					t.Errorf("card %q shows %q, the query layer says %q", name, got, want)
				}
			}
			if checked < 8 {
				t.Errorf("only %d of the cards %q matched a KPI", checked, shown)
			}
			if n := eval[int](t, b, `document.querySelectorAll('.card svg.spark').length`); n == 0 {
				t.Error("no sparklines on the cards")
			}
			// The table of every KPI fits the laptop's width: nothing scrolls sideways.
			type box struct{ ScrollWidth, ClientWidth int }
			w := eval[box](t, b, `(() => { const w = document.querySelector('#nokkeltall .table-wrap');
				return {ScrollWidth: w.scrollWidth, ClientWidth: w.clientWidth}; })()`)
			if w.ClientWidth == 0 || w.ScrollWidth > w.ClientWidth {
				t.Errorf("at %d px the table of every KPI is %d px wide in a box of %d px: it scrolls sideways", desktopWidth, w.ScrollWidth, w.ClientWidth)
			}
		}},
		{name: "oversikt-egendefinert", path: "/?period=custom&from=2022-07-05&to=2022-09-20", check: func(t *testing.T, b *chromeTab) {
			// The custom period's fields take days as a bokmål reader writes them (and ISO); the
			// browser's own check (pattern) lets both through and stops anything else.
			type validity struct{ From, ISO, US bool }
			v := eval[validity](t, b, `(() => { const f = document.getElementById('p-from'), ok = s => { f.value = s; return f.validity.valid; };
				const shown = f.value === '05.07.2022'; const r = {From: shown, ISO: ok('2022-07-05'), US: ok('07/05/2022')}; f.value = '05.07.2022'; return r; })()`)
			if !v.From || !v.ISO || v.US {
				t.Errorf("custom period fields: shows 05.07.2022 %v, takes 2022-07-05 %v, takes 07/05/2022 %v", v.From, v.ISO, v.US)
			}
			ctx, cancel := b.within(20 * time.Second)
			eval[bool](t, b, `(() => { document.getElementById('p-from').value = '1.8.2022'; document.getElementById('p-to').value = '15.08.2022'; return true; })()`)
			_, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil,
				chromedp.Click(chromedp.CSS(`form.picker button[type=submit]`))))
			cancel()
			if err != nil {
				t.Fatalf("submit the custom period: %v", err)
			}
			if got := eval[string](t, b, `document.querySelector('.showing strong').innerText`); !strings.Contains(got, "01.08.2022–15.08.2022") {
				t.Errorf("after typing 1.8.2022–15.08.2022 the page shows %q", got)
			}
		}},
		{name: "nettsted", path: "/nettsted?period=year&year=2022", charts: 6, check: func(t *testing.T, b *chromeTab) {
			quarters, err := q.QuarterlyVisitors(ctx, "innomed.no", 2022)
			must(t, err)
			if len(quarters) != 4 {
				t.Fatalf("query layer: %d quarters of 2022", len(quarters))
			}
			rows := b.rows(t, "#kvartal table")
			for _, qv := range quarters {
				expectRow(t, "visitors per quarter", rows, nb.Quarter(qv.Quarter), count64(qv.Visits), optCount(qv.UniqueVisitors))
			}
			shares, err := q.ChannelShares(ctx, "innomed.no", year.From, year.To)
			must(t, err)
			rows = b.rows(t, "#kanaler table")
			var total uint64
			for _, s := range shares {
				expectRow(t, "channels", rows, nb.T("channel."+s.Key), count64(s.Sessions), nb.Percent(s.Share))
				total += s.Sessions
			}
			expectRow(t, "channels", rows, nb.T("table.total"), count64(total), nb.Percent(1))
		}},
		{name: "sosiale-medier", path: "/sosiale-medier?period=year&year=2022", charts: 4, check: func(t *testing.T, b *chromeTab) {
			rows := b.rows(t, "#vekst table")
			for _, a := range social {
				g, err := q.FollowerGrowthBetween(ctx, a.Platform, a.AccountID, days.YearSpan(2022).From, days.YearSpan(2022).To)
				must(t, err)
				if g.FollowersAtEnd == nil || g.NewFollowers == nil || g.GrowthRate == nil {
					t.Fatalf("query layer: %s growth 2022 incomplete: %+v", a.Platform, g)
				}
				expectRow(t, "follower growth", rows, nb.T("platform."+a.Platform),
					optCount(g.FollowersAtStart), optCount(g.FollowersAtEnd), nb.Number(*g.NewFollowers), nb.Percent(*g.GrowthRate))
			}
			// The year's ~25 markers on the daily followers chart: a legend entry of their own
			// that hides and shows them, at most 12 lines, each labelled.
			type markers struct {
				Lines, Labelled    int
				Hidden, ShownAgain bool
			}
			m := eval[markers](t, b, `(() => {
  const c = echarts.getInstanceByDom(document.getElementById('fig_folgere'));
  const s = c.getOption().series.find(s => s.name === 'Markeringer');
  const data = s && s.markLine ? s.markLine.data : [];
  const selected = () => c.getOption().legend[0].selected || {};
  c.dispatchAction({type: 'legendToggleSelect', name: 'Markeringer'});
  const hidden = selected()['Markeringer'] === false;
  c.dispatchAction({type: 'legendToggleSelect', name: 'Markeringer'});
  return {Lines: data.length, Labelled: data.filter(d => d.label && d.label.show && d.label.formatter).length,
    Hidden: hidden, ShownAgain: selected()['Markeringer'] !== false};
})()`)
			if m.Lines == 0 || m.Lines > 12 || m.Labelled != m.Lines || !m.Hidden || !m.ShownAgain {
				t.Errorf("followers chart markers: %+v, want 1–12 labelled lines that the legend hides and shows", m)
			}
		}},
		{name: "nyhetsbrev", path: "/nyhetsbrev?period=year&year=2022", charts: 3, check: func(t *testing.T, b *chromeTab) {
			campaigns, err := q.SpanCampaigns(ctx, demo.ListID, year, oslo)
			must(t, err)
			sum := query.SumCampaigns(campaigns)
			if sum.ClickRate == nil || sum.OpenRate == nil {
				t.Fatalf("query layer: no rates for 2022: %+v", sum)
			}
			rows := b.rows(t, "#oppsummering table")
			expectRow(t, "newsletter summary", rows, nb.T("newsletter.sends"), nb.Number(int64(sum.Campaigns)))
			expectRow(t, "newsletter summary", rows, nb.T("newsletter.delivered"), count64(sum.Delivered))
			expectRow(t, "newsletter summary", rows, nb.T("newsletter.clicks"), count64(sum.UniqueClicks))
			expectRow(t, "newsletter summary", rows, nb.T("newsletter.open_rate"), percent1(*sum.OpenRate))
			expectRow(t, "newsletter summary", rows, nb.T("newsletter.click_rate"), percent1(*sum.ClickRate))

			// Every send, the hostile title among them, keyed by title (two sends never share one).
			b.openCollapsed(t, "utsendelser")
			sends := map[string]shownRow{}
			for _, r := range eval[[]shownRow](t, b, jsCall(jsRows, "#utsendelser table")) {
				if len(r.Cells) > 1 {
					sends[r.Cells[1]] = shownRow{Cells: r.Cells[1:], Visible: r.Visible}
				}
			}
			for _, c := range campaigns {
				click := "–"
				if rate := c.ClickRate(); rate != nil {
					click = percent1(*rate)
				}
				expectRow(t, "sends", sends, c.Title, count64(c.Delivered), "", "", "", count64(c.UniqueClicks), click)
			}
			if r, ok := sends[hostileTitle]; !ok || !r.Visible {
				t.Errorf("the title %q is not shown as text in the sends table", hostileTitle)
			}

			// Subscribers: the collapsed daily table, opened as a reader would.
			snaps, err := q.Subscribers(ctx, demo.ListID, year.From, year.To)
			must(t, err)
			if len(snaps) == 0 {
				t.Fatal("query layer: no subscriber snapshots in 2022")
			}
			b.openCollapsed(t, "abonnenter")
			rows = b.rows(t, "#abonnenter table")
			for _, s := range snaps {
				expectRow(t, "subscribers", rows, s.Date.Format("02.01.2006"), count64(s.Subscribers), count64(s.Unsubscribed))
			}
		}},
		{name: "arrangementer", path: "/arrangementer?period=year&year=2022", charts: 4, check: func(t *testing.T, b *chromeTab) {
			rows := b.rows(t, "#typer table")
			national := false
			for _, k := range query.SumByKind(held, nil) {
				attended := "–"
				if k.WithAttendance > 0 {
					attended = count64(k.Attended)
				}
				expectRow(t, "events by kind", rows, nb.T("kind."+k.Kind), nb.Number(int64(k.Events)), "", "", "", attended)
				national = national || k.Kind == "national_meeting_place"
			}
			if !national {
				t.Error("query layer: no national meeting place in 2022; the demo should hold InnoMed's")
			}
			rows = b.rows(t, "#kvartaler table")
			for _, qe := range query.EventsByQuarter(held, year.From, year.To, oslo) {
				expectRow(t, "events per quarter", rows, nb.Quarter(qe.Quarter), nb.Number(int64(qe.Events)))
			}
		}},
		{name: "arrangement-ny", path: "/arrangementer/ny", check: func(t *testing.T, b *chromeTab) {
			if n := eval[int](t, b, `document.querySelectorAll('main form[method=post] input[name=csrf]').length`); n == 0 {
				t.Error("the entry form carries no CSRF field")
			}
			if !eval[bool](t, b, jsCall(`(name) => !!document.querySelector('main form input[name="' + name + '"]')`, events.FieldTitle)) {
				t.Error("the entry form has no title field")
			}
			// The days are text in the reader's notation, as the period picker's: the browser's own
			// check (pattern) lets dd.mm.åååå and ISO through and stops 02/14/2023.
			type validity struct {
				Placeholder         string
				Typed, ISO, US, Bad bool
			}
			v := eval[validity](t, b, `(() => { const f = document.getElementById('ev-date'), ok = s => { f.value = s; return f.validity.valid; };
				const r = {Placeholder: f.placeholder, Typed: ok('14.2.2023'), ISO: ok('2023-02-14'), US: ok('02/14/2023'), Bad: ok('14.02.23')}; f.value = ''; return r; })()`)
			if v.Placeholder != "dd.mm.åååå" || !v.Typed || !v.ISO || v.US || v.Bad {
				t.Errorf("entry form's date field: %+v, want placeholder dd.mm.åååå taking 14.2.2023 and 2023-02-14 only", v)
			}
		}},
		{name: "arrangement-endre", path: "/arrangementer/" + url.PathEscape(edited.ID) + "/endre", check: func(t *testing.T, b *chromeTab) {
			// The form is filled from the stored event: title and counts as the query layer has them.
			field := func(name string) string {
				return eval[string](t, b, jsCall(`(name) => { const f = document.querySelector('main form [name="' + name + '"]'); return f ? f.value : '(no field)'; }`, name))
			}
			count := func(v *uint32) string {
				if v == nil {
					return ""
				}
				return strconv.FormatUint(uint64(*v), 10)
			}
			for name, want := range map[string]string{
				events.FieldTitle: edited.Title, events.FieldKind: edited.Kind, events.FieldDate: edited.StartsAt.In(oslo).Format("02.01.2006"), // as a bokmål reader writes it
				events.FieldRegistered: count(edited.Registered), events.FieldAttendedOnSite: count(edited.AttendedOnSite),
				events.FieldAttendedDigital: count(edited.AttendedDigital),
			} {
				if got := field(name); got != want {
					t.Errorf("edit form of %s: %s is %q, the query layer says %q", edited.ID, name, got, want)
				}
			}
		}},
		{name: "rapporter", path: "/rapporter", check: func(t *testing.T, b *chromeTab) {
			d, err := q.Discover(ctx, "innomed.no", oslo)
			must(t, err)
			extent := d.Extent
			history, err := q.HistoryYears(ctx)
			must(t, err)
			rows := b.rows(t, "table.report-index")
			for _, y := range append(extent.Years(), history...) {
				expectRow(t, "reports", rows, strconv.Itoa(y), nb.T("report.annual_title", y))
			}
		}},
		{name: "arsrapport-2022", path: "/rapporter/ar/2022", charts: 3, check: func(t *testing.T, b *chromeTab) {
			cur, err := q.QuarterlyVisitors(ctx, "innomed.no", 2022)
			must(t, err)
			prev, err := q.QuarterlyVisitors(ctx, "innomed.no", 2021)
			must(t, err)
			rows := b.rows(t, "#table-visitors table")
			var sum uint64
			for i, qv := range cur {
				want := []string{count64(qv.Visits), optCount(qv.UniqueVisitors)}
				if i < len(prev) && prev[i].Quarter == qv.Quarter {
					want = append(want, count64(prev[i].Visits), optCount(prev[i].UniqueVisitors))
				}
				expectRow(t, "annual report visitors", rows, nb.Quarter(qv.Quarter), want...)
				sum += qv.Visits
			}
			expectRow(t, "annual report visitors", rows, nb.T("report.whole_year"), count64(sum))
			if status := eval[string](t, b, `document.querySelector('.report-status').innerText.trim()`); status != nb.T("report.not_published") {
				t.Errorf("report status %q, want %q", status, nb.T("report.not_published"))
			}
		}},
		{name: "kvartalsrapport-2022-q3", path: "/rapporter/kvartal/2022-Q3", charts: 1, check: func(t *testing.T, b *chromeTab) {
			values, err := q.KPIValues(ctx, metrics.OverviewKPIs(), scope, q3, days.DefaultGrain(q3), nil)
			must(t, err)
			rows := b.rows(t, "table.kpi-figures") // the channels' sections (report_doc.go)
			checked := 0
			for _, v := range values {
				label := report.KPILabel(nb, string(v.Def.Name))
				if _, ok := rows[label]; !ok || v.Def.Percent() || v.Current == nil {
					continue // the report's rates are its own (whole points); counts are the query layer's
				}
				checked++
				expectRow(t, "quarterly KPIs", rows, label, countF(*v.Current))
			}
			if checked < 5 {
				t.Errorf("only %d KPI rows of the quarterly report matched the query layer's KPIs", checked)
			}
		}},
		{name: "admin-kilde", path: "/admin/kilder/" + browserSource, check: func(t *testing.T, b *chromeTab) {
			if h := eval[string](t, b, `document.querySelector('main h1').innerText.trim()`); h != nb.T("sources.title", browserSource) {
				t.Errorf("source page heading %q, want %q", h, nb.T("sources.title", browserSource))
			}
		}},
		// Notes, the sources index (branch reports: notes.go, admin_nav.go).
		{name: "markeringer", path: "/markeringer", check: func(t *testing.T, b *chromeTab) {
			if n := eval[int](t, b, `document.querySelectorAll('.notes-table tbody tr').length`); n == 0 {
				t.Error("the notes page lists none of the demo's notes")
			}
		}},
		{name: "markering", path: "/markeringer/innomed.no/demo-2022-09-01-linkedin-kampanje"},
		{name: "admin-kilder", path: "/admin/kilder"},
		{name: "admin-api-nokler", path: "/admin/api-tokens", check: func(t *testing.T, b *chromeTab) {
			if n := eval[int](t, b, `document.querySelectorAll('form[action="/admin/api-tokens"] input[name=csrf]').length`); n != 1 {
				t.Errorf("the token form has %d CSRF fields, want 1", n)
			}
			if eval[bool](t, b, `!!document.querySelector('.notice-warning')`) {
				t.Error("the token page says tokens are unavailable although the app has a store")
			}
		}},
	}

	// Every page the app registers is in the list above: a page added later is looked at too, or
	// this fails.
	param := regexp.MustCompile(`:[^/]+`)
	for _, r := range app.routes {
		if publicPath.MatchString(r) || strings.Contains(r, ".") || strings.Contains(r, ":format") || strings.HasSuffix(r, "/pdf") {
			continue // public, or a download (the PDFs: pdf_test.go, print_browser_test.go)
		}
		route := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(r), "[^/]+") + "$")
		if !slices.ContainsFunc(pages, func(p browserPage) bool { return route.MatchString(strings.SplitN(p.path, "?", 2)[0]) }) {
			t.Errorf("no page of route %s is opened by the browser test; add one to the list", r)
		}
	}

	shots := os.Getenv(envScreenshots) != ""
	var seen []string // every request of the pages, for the check that recording works
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			// Whatever a visit that stopped early left in the recorder is this page's, not the next.
			defer b.assertClean(t, p.path+" (rest)")
			start := time.Now()
			b.viewport(t, false)
			b.open(t, p.path)
			b.waitForCharts(t, p.path+" at desktop width", p.charts, shots)
			b.screenshot(t, p.name+"-desktop")
			b.showTooltips(t, p.path)
			if p.check != nil {
				p.check(t, b)
			}
			seen = append(seen, b.assertClean(t, p.path+" at desktop width")...)

			b.viewport(t, true)
			b.open(t, p.path)
			b.waitForCharts(t, p.path+" at phone width", p.charts, shots)
			b.screenshot(t, p.name+"-phone")
			if o := eval[overflow](t, b, jsCall(jsOverflow)); o.ScrollWidth > o.ClientWidth+1 {
				t.Errorf("at %d px the page is %.0f px wide and scrolls sideways; sticking out: %q", phoneWidth, o.ScrollWidth, o.Culprits)
			}
			b.assertClean(t, p.path+" at phone width")
			t.Logf("%s: %v", p.path, time.Since(start).Round(time.Millisecond))
		})
	}
	b.viewport(t, false)

	// The hostile title opened no dialog anywhere (assertClean would have said so) and never
	// became markup: no element the page did not write itself.
	t.Run("hostile title", func(t *testing.T) {
		b.open(t, "/nyhetsbrev?period=month&year=2022&month=6")
		b.waitForCharts(t, "June 2022 newsletter", 1, false)
		cells := eval[[]string](t, b, jsCall(`(title) => Array.from(document.querySelectorAll('td'))
			.filter(td => td.innerText.trim() === title && td.getClientRects().length > 0).map(td => td.innerHTML)`, hostileTitle))
		if len(cells) == 0 {
			t.Errorf("June 2022 does not show %q as text", hostileTitle)
		}
		for _, html := range cells {
			if html != "&lt;script&gt;alert(1)&lt;/script&gt;" {
				t.Errorf("the title's cell holds %q, want the escaped text only", html)
			}
		}
		b.assertClean(t, "June 2022 newsletter")
	})

	// A form posted without its CSRF token is refused, and changes nothing: the publish form
	// of the annual report, with the token field taken out.
	t.Run("form without CSRF token", func(t *testing.T) {
		b.open(t, "/rapporter/ar/2022")
		if !eval[bool](t, b, `(() => { const f = document.querySelector('form.report-publish input[name=csrf]');
			if (!f) return false; f.remove(); return true; })()`) {
			t.Fatal("no publish form with a CSRF field on the annual report")
		}
		ctx, cancel := b.within(20 * time.Second)
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.report-publish button[type=submit]`)))
		cancel()
		if err != nil {
			t.Fatalf("post the form: %v", err)
		}
		if resp.Status != http.StatusForbidden {
			t.Errorf("publish without a CSRF token: HTTP %d, want 403", resp.Status)
		}
		if h := eval[string](t, b, `document.querySelector('main h1').innerText`); h != nb.T("auth.csrf_title") {
			t.Errorf("refusal page heading %q, want %q", h, nb.T("auth.csrf_title"))
		}
		// The browser logs the 403 as a failed load; that one is expected, anything else is not.
		problems, _, requests, dialogs := b.rec.take()
		for _, p := range problems {
			if !strings.Contains(p, "403") {
				t.Errorf("after the refused post: %s", p)
			}
		}
		for _, u := range requests {
			if err := app.ownRequest(u); err != nil {
				t.Error(err)
			}
		}
		if len(dialogs) > 0 {
			t.Errorf("dialogs: %q", dialogs)
		}
		b.open(t, "/rapporter/ar/2022")
		if status := eval[string](t, b, `document.querySelector('.report-status').innerText.trim()`); status != nb.T("report.not_published") {
			t.Errorf("after the refused post the report says %q", status)
		}
		b.assertClean(t, "annual report after the refused post")
	})

	// Without a session, in a browser context of its own: pages go to the sign-in form, CSV
	// downloads are refused.
	t.Run("no session", func(t *testing.T) {
		anon := newTab(t)
		// Pages, and the report downloads, whose addresses have no file extension: a browser
		// asking for them is sent to the sign-in form (dashboard/signin, wantsPage) and nothing is served.
		for _, path := range []string{"/nettsted?period=year&year=2022", "/rapporter/ar/2022", "/admin/api-tokens",
			"/rapporter/ar/2022/csv", "/rapporter/kvartal/2022-Q3/xlsx"} {
			ctx, cancel := anon.within(20 * time.Second)
			_, err := chromedp.Run(ctx, chromedp.NavigateResponse(app.base+path))
			loc, lerr := chromedp.Run(ctx, chromedp.Location())
			cancel()
			if err != nil || lerr != nil {
				t.Fatalf("open %s: %v %v", path, err, lerr)
			}
			if want := app.base + "/login?next=" + url.QueryEscape(path); loc != want {
				t.Errorf("%s without a session ended at %s, want %s", path, loc, want)
			}
		}
		// The .csv downloads get a bare 401.
		for _, path := range []string{"/nettsted/kvartal.csv?period=year&year=2022", "/nyhetsbrev/utsendelser.csv", "/oversikt.csv"} {
			ctx, cancel := anon.within(20 * time.Second)
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(app.base+path))
			cancel()
			switch {
			case err != nil:
				t.Errorf("open %s: %v", path, err)
			case resp.Status != http.StatusUnauthorized:
				t.Errorf("%s without a session: HTTP %d, want 401", path, resp.Status)
			}
		}
		_, _, requests, dialogs := anon.rec.take() // the 401s are logged as failed loads, as they should be
		for _, u := range requests {
			if err := app.ownRequest(u); err != nil {
				t.Error(err)
			}
		}
		if len(dialogs) > 0 {
			t.Errorf("dialogs: %q", dialogs)
		}
	})

	// The recorder must have seen the pages' own requests, or "no foreign request" proves nothing.
	if !slices.ContainsFunc(seen, regexp.MustCompile(`^`+regexp.QuoteMeta(app.base)+`/static/[^/]+/echarts/echarts\.min\.js$`).MatchString) ||
		!slices.ContainsFunc(seen, regexp.MustCompile(`^`+regexp.QuoteMeta(app.base)+`/static/[^/]+/style\.css$`).MatchString) {
		t.Errorf("the recorder missed the pages' script and style sheet: %d requests", len(seen))
	}

	if d := time.Since(started); d > 60*time.Second {
		t.Logf("the browser test took %v; keep it under a minute", d.Round(time.Second))
	} else {
		t.Logf("the browser test took %v", d.Round(time.Millisecond))
	}
}
