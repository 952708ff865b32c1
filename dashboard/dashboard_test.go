package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// quarterFigures is one quarter of test data: visits spread over days and channels, and the
// provider's unique figure for the whole quarter (nil: the provider gave none).
type quarterFigures struct {
	quarter int
	visits  uint64
	unique  *uint64
}

func ptr(v uint64) *uint64 { return &v }

// report2022 are the annual report's figures (innomed-communication.md).
var report2022 = []quarterFigures{
	{1, 10234, ptr(8001)},
	{2, 9068, ptr(7157)},
	{3, 9634, ptr(7435)},
	{4, 9709, ptr(8059)},
}

// insertQuarters writes web_traffic_daily rows whose sessions add up to each quarter's visits
// (split over two days and two channels, as the collectors write them) and one
// web_visitors_period row per quarter that has a unique figure.
func insertQuarters(t *testing.T, st *store.Store, site string, year int, quarters []quarterFigures) {
	t.Helper()
	ctx := context.Background()
	version := store.NewVersion()
	var daily, period [][]any
	for _, q := range quarters {
		start := time.Date(year, time.Month(3*(q.quarter-1)+1), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 3, -1)
		first := q.visits / 3
		daily = append(daily,
			[]any{site, start.AddDate(0, 0, 4), "organic", "desktop", first, first, first * 2, uint64(0), "test", version},
			[]any{site, start.AddDate(0, 1, 9), "direct", "mobile", q.visits - first, q.visits - first, q.visits, uint64(0), "test", version},
		)
		if q.unique != nil {
			period = append(period, []any{site, "quarter", start, end, q.unique, (*uint64)(nil), (*uint64)(nil), "test", version})
		}
	}
	err := st.Insert(ctx, "web_traffic_daily",
		[]string{"site_id", "date", "channel", "device", "visitors", "sessions", "pageviews", "new_visitors", "source", "version"}, daily)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Insert(ctx, "web_visitors_period",
		[]string{"site_id", "period", "period_start", "period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"}, period)
	if err != nil {
		t.Fatal(err)
	}
}

func testConfig() config.Config {
	cfg := config.Defaults()
	cfg.Sites = []config.Site{{ID: "innomed.no", Name: "innomed.no"}}
	withTestUsers(&cfg) // auth_test.go: a session key and users, so get() can sign in
	return cfg
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newApp(t *testing.T, st *store.Store, cfg config.Config) *fiber.App {
	t.Helper()
	return New(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: cfg, Log: quietLog()})
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, app *fiber.App, target string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.AddCookie(testSessionCookie(t, "admin")) // auth_test.go: signed in as testConfig's admin
	return exchange(t, app, req)
}

// exchange sends req to app and reads the whole answer.
func exchange(t testing.TB, app *fiber.App, req *http.Request) response {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

var tableRow = regexp.MustCompile(`<tr>\s*<th scope="row">([^<]*)</th>\s*<td class="num">([^<]*)</td>\s*<td class="num[^"]*">(.*?)</td>`)

// tableRows returns the quarterly figures table of /nettsted as [quarter, total, unique] per row,
// text as shown.
func tableRows(body string) [][3]string {
	var rows [][3]string
	for _, m := range tableRow.FindAllStringSubmatch(figureHTML(body, "kvartal"), -1) {
		rows = append(rows, [3]string{m[1], m[2], m[3]})
	}
	return rows
}

func TestVisitorsPageShowsTheReportFigures(t *testing.T) {
	st := chtest.Open(t)
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	insertQuarters(t, st, "innomed.no", 2021, []quarterFigures{{4, 1500, nil}})
	insertQuarters(t, st, "other.example", 2023, []quarterFigures{{1, 99999, ptr(1)}})
	app := newApp(t, st, testConfig())

	r := get(t, app, "/nettsted")
	if r.status != http.StatusOK {
		t.Fatalf("GET /nettsted: status %d\n%s", r.status, r.body)
	}
	for _, want := range []string{
		`<html lang="nb">`,
		`<h2 id="kvartal-title">Besøkende per kvartal på innomed.no i 2022</h2>`,
		`<caption>Besøkende per kvartal på innomed.no i 2022</caption>`,
		`<th scope="col">Kvartal</th>`,
		`<th scope="col" class="num">Totalt besøkende</th>`,
		`<th scope="col" class="num">Unike besøkende</th>`,
		`<option value="2022" selected>2022</option>`, // newest year by default
		`<option value="2021">2021</option>`,
		`<form class="picker" method="get" action="/nettsted"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<option value=\"2023\"") {
		t.Error("year select lists a year that only another site has")
	}
	want := [][3]string{
		{"1. kvartal", "10 234", "8 001"},
		{"2. kvartal", "9 068", "7 157"},
		{"3. kvartal", "9 634", "7 435"},
		{"4. kvartal", "9 709", "8 059"},
	}
	if got := tableRows(r.body); !equalRows(got, want) {
		t.Errorf("table rows:\n got %q\nwant %q", got, want)
	}
	if strings.Contains(figureHTML(r.body, "kvartal"), "ikke oppgitt") {
		t.Error("page marks a unique figure as missing although all four are there")
	}
	if !strings.Contains(r.body, `id="visitors_per_quarter"`) || !strings.Contains(r.body, `"Totalt besøkende"`) {
		t.Error("page lacks the chart container or its series")
	}
}

func TestVisitorsPageMarksAMissingUniqueFigure(t *testing.T) {
	st := chtest.Open(t)
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	insertQuarters(t, st, "innomed.no", 2021, []quarterFigures{{3, 1234567, ptr(0)}, {4, 1500, nil}})
	app := newApp(t, st, testConfig())

	r := get(t, app, "/nettsted?year=2021&site=innomed.no")
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	rows := tableRows(r.body)
	if len(rows) != 2 {
		t.Fatalf("want rows for Q3 and Q4 only, got %q", rows)
	}
	if rows[0] != [3]string{"3. kvartal", "1 234 567", "0"} {
		t.Errorf("Q3 row = %q (a real zero must show as 0, not as missing)", rows[0])
	}
	if rows[1][0] != "4. kvartal" || rows[1][1] != "1 500" ||
		!strings.Contains(rows[1][2], `<span aria-hidden="true">–</span>`) ||
		!strings.Contains(rows[1][2], "ikke oppgitt av analyseverktøyet") {
		t.Errorf("Q4 row = %q, want visits 1 500 and the missing-figure mark", rows[1])
	}
	for _, want := range []string{"– betyr at analyseverktøyet ikke har oppgitt", "Kvartaler uten tall er utelatt.", `<option value="2021" selected>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// In the chart the missing unique figure is ECharts' empty value, not a zero bar.
	if !strings.Contains(r.body, `{"value":0},{"value":"-"}`) {
		t.Errorf("chart data for unique visitors should be [0, \"-\"]; script: %s", scriptOf(r.body))
	}
}

func TestVisitorsPageRejectsBadParameters(t *testing.T) {
	app := report2022App(t)

	cases := map[string]struct {
		target string
		want   string
	}{
		"year not a number": {"/nettsted?year=abc", "«abc» er ikke et gyldig årstall."},
		"year out of range": {"/nettsted?year=20222", "«20222» er ikke et gyldig årstall."},
		"year without data": {"/nettsted?year=2019", "Det finnes ingen tall for 2019. År med tall: 2022."},
		"unknown site":      {"/nettsted?site=evil.example", "Ukjent nettsted «evil.example». Velg et av disse: innomed.no."},
		"markup in site":    {"/nettsted?site=%3Cb%3Ex", "Ukjent nettsted «&lt;b&gt;x»."},
		"english message":   {"/nettsted?year=abc&lang=en", "“abc” is not a valid year."},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := get(t, app, c.target)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", r.status, r.body)
			}
			if !strings.Contains(r.body, c.want) {
				t.Errorf("body lacks %q:\n%s", c.want, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestVisitorsPageEmptyDatabase(t *testing.T) {
	st := chtest.Open(t)
	app := newApp(t, st, testConfig())
	for _, target := range []string{"/nettsted", "/nettsted?year=2022"} {
		r := get(t, app, target)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200\n%s", target, r.status, r.body)
		}
		for _, want := range []string{"Rekkevidde har ikke hentet besøkstall for innomed.no ennå."} {
			if !strings.Contains(r.body, want) {
				t.Errorf("GET %s: empty state lacks %q", target, want)
			}
		}
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, "<table") || strings.Contains(r.body, `<form class="filters"`) {
			t.Errorf("GET %s: empty state should load no chart and show no table or form", target)
		}
	}

	// With several sites, an empty one still offers the way to the others.
	cfg := testConfig()
	cfg.Sites = append(cfg.Sites, config.Site{ID: "dho", Name: "Møteplass DHO"})
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	r := get(t, newApp(t, st, cfg), "/nettsted?site=dho")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Rekkevidde har ikke hentet besøkstall for Møteplass DHO ennå.") ||
		!strings.Contains(r.body, `<option value="dho" selected>Møteplass DHO</option>`) || strings.Contains(r.body, `id="year"`) {
		t.Errorf("empty site among several: status %d\n%s", r.status, r.body)
	}
}

// offlineHandler and offlineApp are the dashboard without a database, for what must answer before
// anything needs one (routes, sign-in, CSRF, static files).
func offlineHandler() *handler { return newHandler(Deps{Config: testConfig(), Log: quietLog()}) }

func offlineApp() *fiber.App { return offlineHandler().app() }

// report2022App is the dashboard over innomed.no's visitors of 2022 as the annual report gives them.
func report2022App(t *testing.T) *fiber.App {
	st := chtest.Open(t)
	insertQuarters(t, st, "innomed.no", 2022, report2022)
	return newApp(t, st, testConfig())
}

func TestLanguageSwitchIsRemembered(t *testing.T) {
	app := report2022App(t)

	r := get(t, app, "/nettsted?lang=en&year=2022")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, "lang=en;") || !strings.Contains(strings.ToLower(cookie), "httponly") {
		t.Errorf("Set-Cookie = %q, want lang=en, HttpOnly", cookie)
	}
	check := func(r response) {
		t.Helper()
		for _, want := range []string{`<html lang="en">`, ">Visitors per quarter on innomed.no in 2022</h2>", ">Total visitors<", ">Unique visitors<"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("English page lacks %q", want)
			}
		}
		if rows := tableRows(r.body); len(rows) != 4 || rows[0] != [3]string{"Q1", "10,234", "8,001"} {
			t.Errorf("English rows = %q", rows)
		}
		if !strings.Contains(r.body, ".join(',')") {
			t.Error("chart formatter does not group with commas in English")
		}
	}
	check(r)
	// The form does not carry lang; the cookie does.
	check(get(t, app, "/nettsted?year=2022", "Cookie", "lang=en"))
	// The switch back keeps year and site.
	if !strings.Contains(r.body, `href="/nettsted?lang=nb&amp;year=2022"`) {
		t.Errorf("language link does not keep the query; links: %q", regexp.MustCompile(`href="/\?[^"]*"`).FindAllString(r.body, -1))
	}
	if r := get(t, app, "/?lang=xx"); !strings.Contains(r.body, `<html lang="nb">`) || r.header.Get("Set-Cookie") != "" {
		t.Error("an unsupported ?lang= should fall back to bokmål and set no cookie")
	}
}

var (
	nonceInCSP = regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9_-]+)'`)
	scriptTag  = regexp.MustCompile(`<script[^>]*>`)
	scriptSrc  = regexp.MustCompile(`<script src="([^"]+)"`)
	// Any attribute that would make the browser fetch or navigate somewhere.
	urlAttr = regexp.MustCompile(`(?i)\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]*)`)
)

func scriptOf(body string) string {
	i := strings.LastIndex(body, "<script nonce=")
	if i < 0 {
		return ""
	}
	return body[i:]
}

func TestPageIsSelfContainedAndScriptsCarryTheNonce(t *testing.T) {
	app := report2022App(t)
	r := get(t, app, "/nettsted")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}

	for _, m := range urlAttr.FindAllStringSubmatch(r.body, -1) {
		u := m[1]
		if strings.Contains(u, "//") || !(strings.HasPrefix(u, "/") || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#")) {
			t.Errorf("page refers to %q, which is not on this host", m[0])
		}
	}
	if strings.Contains(r.body, "go-echarts.github.io") || strings.Contains(r.body, "http://") || strings.Contains(r.body, "https://") {
		t.Error("page mentions an absolute URL (go-echarts' CDN?)")
	}

	csp := r.header.Get("Content-Security-Policy")
	m := nonceInCSP.FindStringSubmatch(csp)
	if m == nil || !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("CSP = %q", csp)
	}
	// ECharts once, then one inline script per chart, then print.js (charts sized for paper).
	tags := scriptTag.FindAllString(r.body, -1)
	if len(tags) < 2 || len(scriptSrc.FindAllString(r.body, -1)) != 2 || strings.Count(r.body, "echarts.min.js") != 1 {
		t.Errorf("want ECharts once and the charts' scripts, got %q", tags)
	}
	for _, tag := range tags {
		if !strings.Contains(tag, `nonce="`+m[1]+`"`) {
			t.Errorf("script tag %q lacks this response's nonce %q", tag, m[1])
		}
	}
	if other := get(t, app, "/nettsted"); strings.Contains(other.header.Get("Content-Security-Policy"), m[1]) {
		t.Error("nonce repeats across requests")
	}
	for header, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
		"Cache-Control":          "no-store",
	} {
		if got := r.header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}

	// The ECharts the page asks for comes out of the binary.
	src := scriptSrc.FindStringSubmatch(r.body)
	if src == nil || !strings.HasSuffix(src[1], "/echarts/echarts.min.js") {
		t.Fatalf("no ECharts script tag; tags %q", tags)
	}
	embedded, err := kit.StaticFile("echarts/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	js := get(t, app, src[1])
	if js.status != http.StatusOK || js.body != string(embedded) {
		t.Fatalf("GET %s: status %d, %d bytes; want 200 and the %d embedded bytes", src[1], js.status, len(js.body), len(embedded))
	}
	if ct := js.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("ECharts Content-Type %q", ct)
	}
	if cc := js.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("ECharts Cache-Control %q, want a year", cc)
	}
}

func TestHealthzNeedsNoClickHouseAndReadyzReportsTheProblem(t *testing.T) {
	// A password that must never appear in a probe's answer.
	cfg, err := config.Load("", func(k string) string {
		if k == "REKKEVIDDE_CLICKHOUSE_PASSWORD" {
			return "hunter2-secret"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	app := New(Deps{
		Queries: nil, // no ClickHouse at all
		Ready: func(ctx context.Context) error {
			calls++
			if _, ok := ctx.Deadline(); !ok {
				t.Error("Ready got a context without deadline")
			}
			return errors.New("clickhouse ping: dial tcp 127.0.0.1:1: connect: connection refused (password hunter2-secret)")
		},
		Config: cfg,
		Log:    quietLog(),
	})

	r := get(t, app, "/healthz")
	if r.status != http.StatusOK || r.body != "ok" || calls != 0 {
		t.Fatalf("/healthz: status %d body %q, Ready called %d times; want 200 \"ok\" without Ready", r.status, r.body, calls)
	}
	r = get(t, app, "/readyz")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz: status %d, want 503", r.status)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
		!strings.Contains(r.body, `"status":"unavailable"`) || !strings.Contains(r.body, "connection refused") {
		t.Errorf("/readyz body %q (%s)", r.body, r.header.Get("Content-Type"))
	}
	if strings.Contains(r.body, "hunter2") {
		t.Errorf("/readyz leaks the password: %s", r.body)
	}

	ok := New(Deps{Ready: func(context.Context) error { return nil }, Config: cfg, Log: quietLog()})
	if r := get(t, ok, "/readyz"); r.status != http.StatusOK || r.body != `{"status":"ready"}` {
		t.Errorf("/readyz when ready: %d %q", r.status, r.body)
	}
}

func TestReadyzAgainstClickHouse(t *testing.T) {
	st := chtest.Open(t)
	if r := get(t, newApp(t, st, testConfig()), "/readyz"); r.status != http.StatusOK {
		t.Fatalf("/readyz with a live ClickHouse: %d %s", r.status, r.body)
	}
}

func TestNotFoundAndMissingQueryLayer(t *testing.T) {
	app := offlineApp()
	r := get(t, app, "/nope")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "Fant ikke siden") || r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET /nope: %d, X-Frame-Options %q\n%s", r.status, r.header.Get("X-Frame-Options"), r.body)
	}
	r = get(t, app, "/static/0000/echarts/nope.js")
	if r.status != http.StatusNotFound {
		t.Errorf("unknown static file: %d", r.status)
	}
	r = get(t, app, "/")
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "Det oppstod en feil på serveren") {
		t.Errorf("page without query layer: %d\n%s", r.status, r.body)
	}
}

func equalRows(a, b [][3]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPanicsBecomeA500Page(t *testing.T) {
	var logged strings.Builder
	app := New(Deps{Config: testConfig(), Log: slog.New(slog.NewTextHandler(&logged, nil))})
	// go-echarts panics on template errors; the recover middleware must turn that into our error page.
	app.Get("/boom", func(*fiber.Ctx) error { panic("template: chart: boom") })
	r := get(t, app, "/boom")
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "Det oppstod en feil på serveren") {
		t.Errorf("panic: status %d\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, "template: chart") {
		t.Error("the panic's text reaches the user")
	}
	if !strings.Contains(logged.String(), "panic in handler") || !strings.Contains(logged.String(), "template: chart: boom") {
		t.Errorf("panic not logged: %s", logged.String())
	}
}
