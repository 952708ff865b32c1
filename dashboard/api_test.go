package dashboard

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// tokensPath is the admin page for API tokens, as people reach it (dashboard/admin).
const tokensPath = "/admin/api-tokens"

// apiApp is the whole dashboard over st (its tokens too), with a per-token budget of perMinute
// API requests.
func apiApp(t *testing.T, st *store.Store, cfg config.Config, perMinute int) *fiber.App {
	t.Helper()
	h := newHandler(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: cfg, Log: quietLog(), Store: st})
	h.apiPerMinute = perMinute
	return h.app()
}

func demoStore(t *testing.T) *store.Store {
	t.Helper()
	st := chtest.Open(t)
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(context.Background(), st, demo.Options{SiteID: "innomed.no", Location: loc}); err != nil {
		t.Fatal(err)
	}
	return st
}

// apiGet asks the API with a bearer token (none when token is empty) and no cookie.
func apiGet(t *testing.T, app *fiber.App, target, token string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return exchange(t, app, req)
}

// apiErrorOf checks that r is a JSON error with status and returns its message.
func apiErrorOf(t *testing.T, r response, status int) string {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	if r.status != status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
		json.Unmarshal([]byte(r.body), &body) != nil || body.Error == "" {
		t.Fatalf("got %d %s %q, want a JSON error with status %d", r.status, r.header.Get("Content-Type"), r.body, status)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("error without Cache-Control: no-store")
	}
	return body.Error
}

func createToken(t *testing.T, st *store.Store) string {
	t.Helper()
	_, secret, err := apitokens.New(st, nil, nil).Create(context.Background(), "test", "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

var newTokenOnPage = regexp.MustCompile(`<code id="new-token">(rkv_[A-Za-z0-9_-]+)</code>`)

func TestAPITokenLifecycleThroughTheAdminPage(t *testing.T) {
	st := demoStore(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	admin := newBrowser(t, app)
	admin.cookies[signin.SessionCookie] = testSessionCookie(t, "admin")

	page := admin.get(tokensPath)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Ingen nøkler ennå") {
		t.Fatalf("token page: %d\n%s", page.status, page.body)
	}
	// Without the CSRF token the form is refused, and nothing is created.
	if r := admin.do(http.MethodPost, tokensPath, url.Values{"name": {"Power BI"}}); r.status != http.StatusForbidden {
		t.Fatalf("create without CSRF: %d", r.status)
	}
	created := admin.do(http.MethodPost, tokensPath, url.Values{"csrf": {csrfIn(t, page.body)}, "name": {"Power BI"}})
	m := newTokenOnPage.FindStringSubmatch(created.body)
	if created.status != http.StatusOK || m == nil || created.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, cache %q\n%s", created.status, created.header.Get("Cache-Control"), created.body)
	}
	token := m[1]
	// Shown once: the list afterwards names it but never shows it.
	again := admin.get(tokensPath)
	if strings.Contains(again.body, token) || !strings.Contains(again.body, "Power BI") || !strings.Contains(again.body, "test-admin") {
		t.Fatalf("token list shows the secret or lacks the token:\n%s", again.body)
	}

	r := apiGet(t, app, "/api/v1/reports/annual/2022", token)
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("annual report with a fresh token: %d %q\n%.300s", r.status, r.header.Get("Cache-Control"), r.body)
	}

	// Wrong, malformed and missing tokens: 401, JSON, with the Bearer challenge.
	wrong := token[:len(token)-2] + "AA"
	if wrong == token {
		wrong = token[:len(token)-2] + "BB"
	}
	for _, bad := range []string{wrong, "rkv_nonsense", "not even close"} {
		if msg := apiErrorOf(t, apiGet(t, app, "/api/v1/reports/annual/2022", bad), 401); msg != "invalid token" {
			t.Errorf("token %q: %q", bad, msg)
		}
	}
	missing := apiGet(t, app, "/api/v1/reports/annual/2022", "")
	if msg := apiErrorOf(t, missing, 401); !strings.Contains(msg, "missing bearer token") ||
		!strings.HasPrefix(missing.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("missing token: %q, WWW-Authenticate %q", msg, missing.header.Get("WWW-Authenticate"))
	}
	if msg := apiErrorOf(t, apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-01-31", "", "Authorization", "Basic dXNlcjpwdw=="), 401); !strings.Contains(msg, "Bearer") {
		t.Errorf("basic auth: %q", msg)
	}

	// Revoking through the page: a viewer may not, the admin may, and the token stops working.
	id := regexp.MustCompile(`action="/admin/api-tokens/([0-9a-f]{12})/revoke"`).FindStringSubmatch(again.body)
	if id == nil || !strings.HasPrefix(token, "rkv_"+id[1]+"_") {
		t.Fatalf("no revoke form for the token in:\n%s", again.body)
	}
	viewer := newBrowser(t, app)
	viewer.cookies[signin.SessionCookie] = testSessionCookie(t, "viewer")
	if r := viewer.get(tokensPath); r.status != http.StatusForbidden {
		t.Fatalf("viewer on the token page: %d", r.status)
	}
	revoked := admin.do(http.MethodPost, tokensPath+"/"+id[1]+"/revoke", url.Values{"csrf": {csrfIn(t, again.body)}})
	if revoked.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", revoked.status, revoked.body)
	}
	// A revoked token is answered exactly as an unknown one: the answer must not confirm to
	// whoever holds a leaked token that it was ever real.
	gone, unknown := apiGet(t, app, "/api/v1/reports/annual/2022", token), apiGet(t, app, "/api/v1/reports/annual/2022", wrong)
	if gone.status != 401 || gone.status != unknown.status || gone.body != unknown.body ||
		gone.header.Get("WWW-Authenticate") != unknown.header.Get("WWW-Authenticate") {
		t.Fatalf("revoked token: %d %q %q; unknown token: %d %q %q", gone.status, gone.body, gone.header.Get("WWW-Authenticate"),
			unknown.status, unknown.body, unknown.header.Get("WWW-Authenticate"))
	}
	after := admin.get(revoked.header.Get("Location"))
	if !strings.Contains(after.body, "trukket tilbake") || strings.Contains(after.body, `action="/admin/api-tokens/`+id[1]+`/revoke"`) {
		t.Fatalf("list after revoking:\n%s", after.body)
	}
	if r := admin.do(http.MethodPost, tokensPath+"/"+id[1]+"/revoke", url.Values{"csrf": {csrfIn(t, after.body)}}); r.status != http.StatusConflict {
		t.Fatalf("revoking twice: %d", r.status)
	}
	if r := admin.do(http.MethodPost, tokensPath, url.Values{"csrf": {csrfIn(t, after.body)}, "name": {"  "}}); r.status != http.StatusBadRequest {
		t.Fatalf("empty name: %d", r.status)
	}
}

func TestAPIDoesNotTakeSessionCookies(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/kpis?from=2022-01-01&to=2022-01-31", nil)
	req.AddCookie(testSessionCookie(t, "admin"))
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	apiErrorOf(t, response{status: resp.StatusCode, header: resp.Header, body: string(body)}, 401)

	// Anything under /api/v1 answers in JSON, never with the sign-in page.
	apiErrorOf(t, apiGet(t, app, "/api/v1/no-such-thing", ""), 404)
	req = httptest.NewRequest(http.MethodPost, "/api/v1/kpis", nil)
	resp, err = app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	apiErrorOf(t, response{status: resp.StatusCode, header: resp.Header, body: string(body)}, 405)
}

// TestTheRealAppRoutesTheAPIBeforeSignIn checks routes()' order in the app serve runs: no
// redirect to the sign-in form, no plain-text 401 from requireSession, but the API's own JSON.
func TestTheRealAppRoutesTheAPIBeforeSignIn(t *testing.T) {
	app := offlineApp()
	r := apiGet(t, app, "/api/v1/reports/quarterly/2022-Q1", "", "Accept", "text/html")
	if msg := apiErrorOf(t, r, 401); !strings.Contains(msg, "bearer") {
		t.Fatalf("unauthenticated API request on the real app: %q", msg)
	}
	apiErrorOf(t, apiGet(t, app, "/api/v1/nope", "", "Accept", "text/html"), 404)
	spec := apiGet(t, app, "/api/v1/openapi.yaml", "")
	if spec.status != http.StatusOK || !strings.HasPrefix(spec.body, "openapi: 3.1.0") {
		t.Fatalf("openapi.yaml: %d %.100s", spec.status, spec.body)
	}
}

func TestAPIRefusesBadParameters(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	cases := []struct{ target, param string }{
		{"/api/v1/reports/annual/abc", "year"},
		{"/api/v1/reports/annual/22", "year"},
		{"/api/v1/reports/annual/1999", "year"},
		{"/api/v1/reports/annual/2022-Q1", "year"},
		{"/api/v1/reports/quarterly/2022", "period"},
		{"/api/v1/reports/quarterly/2022-Q5", "period"},
		{"/api/v1/reports/quarterly/Q1-2022", "period"},
		{"/api/v1/reports/annual/2022?format=xml", "format"},
		{"/api/v1/reports/annual/2022?lang=de", "lang"},
		{"/api/v1/kpis", "from"},
		{"/api/v1/kpis?from=2022-01-01", "to"},
		{"/api/v1/kpis?from=01.01.2022&to=2022-01-31", "from"},
		{"/api/v1/kpis?from=2022-01-01&to=2022-02-30", "to"},
		{"/api/v1/kpis?from=2022-02-01&to=2022-01-31", "to"},
		{"/api/v1/kpis?from=2000-01-01&to=2022-01-31", "from"},
		{"/api/v1/kpis?from=2022-01-01&to=2022-01-31&granularity=hour", "granularity"},
		{"/api/v1/kpis?from=2022-01-01&to=2022-01-31&kpi=web.visits,nope", "kpi"},
		{"/api/v1/kpis?from=2022-01-01&to=2022-01-31&format=pdf", "format"},
	}
	for _, c := range cases {
		msg := apiErrorOf(t, apiGet(t, app, c.target, token), 400)
		if !strings.HasPrefix(msg, "parameter "+c.param+":") {
			t.Errorf("%s: %q does not name %s", c.target, msg, c.param)
		}
	}
	if msg := apiErrorOf(t, apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-01-31&site=nowhere.no", token), 400); !strings.Contains(msg, "nowhere.no") {
		t.Errorf("unknown site: %q", msg)
	}
	// A year with nothing collected or imported is not a report of blanks.
	if msg := apiErrorOf(t, apiGet(t, app, "/api/v1/reports/annual/2030", token), 404); !strings.Contains(msg, "2030") {
		t.Errorf("year without data: %q", msg)
	}
	apiErrorOf(t, apiGet(t, app, "/api/v1/reports/quarterly/2030-Q1", token), 404)
}

func TestAPIReportsServeTheReportBuilderAndPublishedFigures(t *testing.T) {
	st := demoStore(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	ctx := context.Background()

	var annual struct {
		Kind, Period, Site, Status string
		Publication                *report.Publication
		Report                     report.Annual
	}
	r := apiGet(t, app, "/api/v1/reports/annual/2022", token)
	if r.status != 200 || json.Unmarshal([]byte(r.body), &annual) != nil {
		t.Fatalf("annual 2022: %d %.300s", r.status, r.body)
	}
	if annual.Kind != "annual" || annual.Period != "2022" || annual.Site != "innomed.no" || annual.Status != "provisional" || annual.Publication != nil {
		t.Fatalf("annual 2022 head: %+v", annual)
	}
	var visits []float64
	for _, q := range annual.Report.Visitors.Quarters {
		visits = append(visits, *q.Visits.Current.Value)
	}
	if len(visits) != 4 || visits[0] != 10234 || visits[1] != 9068 || visits[2] != 9634 || visits[3] != 9709 {
		t.Fatalf("2022 visits per quarter %v, want the annual report's 10234, 9068, 9634, 9709", visits)
	}

	// Publish Q1 2022, then let the data change: the API keeps serving the published figure and
	// lists the difference, like the dashboard.
	loc, _ := time.LoadLocation("Europe/Oslo")
	b, err := report.New(query.New(st.Conn()), report.Options{Site: config.Site{ID: "innomed.no", Name: "innomed.no"}, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.PublishQuarterly(ctx, st, 2022, 1, "test-editor"); err != nil {
		t.Fatal(err)
	}
	err = st.Insert(ctx, "web_visitors_period",
		[]string{"site_id", "period", "period_start", "period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"},
		[][]any{{"innomed.no", "quarter", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 3, 31, 0, 0, 0, 0, time.UTC),
			ptr(9000), (*uint64)(nil), (*uint64)(nil), "test", store.NewVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	var quarterly struct {
		Status      string
		Publication *report.Publication
		Report      report.Quarterly
		Differences []report.Difference
	}
	r = apiGet(t, app, "/api/v1/reports/quarterly/2022-q1", token)
	if r.status != 200 || json.Unmarshal([]byte(r.body), &quarterly) != nil {
		t.Fatalf("quarterly 2022-Q1: %d %.300s", r.status, r.body)
	}
	if quarterly.Status != "published" || quarterly.Publication == nil || quarterly.Publication.PublishedBy != "test-editor" {
		t.Fatalf("quarterly status %q publication %+v", quarterly.Status, quarterly.Publication)
	}
	unique := -1.0
	for _, k := range quarterly.Report.KPIs {
		if k.Name == string(metrics.WebUniqueVisitors) && k.Current.Value != nil {
			unique = *k.Current.Value
		}
	}
	if unique != 8001 {
		t.Fatalf("published unique visitors %v, want 8001 as published (today's data says 9000)", unique)
	}
	found := false
	for _, d := range quarterly.Differences {
		found = found || (d.Published == "8 001" && d.Today == "9 000")
	}
	if !found {
		t.Fatalf("differences %+v lack 8 001 → 9 000", quarterly.Differences)
	}

	// CSV by parameter and by Accept header: the same bytes, the published figure, today's beside it.
	byParam := apiGet(t, app, "/api/v1/reports/quarterly/2022-Q1?format=csv", token)
	byAccept := apiGet(t, app, "/api/v1/reports/quarterly/2022-Q1", token, "Accept", "text/csv")
	if byParam.status != 200 || byParam.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(byParam.header.Get("Content-Disposition"), "kvartalsrapport-2022-q1-innomed.no.csv") {
		t.Fatalf("csv: %d %q %q", byParam.status, byParam.header.Get("Content-Type"), byParam.header.Get("Content-Disposition"))
	}
	if byParam.body != byAccept.body {
		t.Fatalf("CSV by ?format and by Accept differ")
	}
	if !strings.Contains(byParam.body, ";8001;") || !strings.Contains(byParam.body, "9000") || !strings.Contains(byParam.body, ";10234;") {
		t.Fatalf("quarterly CSV lacks the published 8001, today's 9000 or the visits:\n%s", byParam.body)
	}
	en := apiGet(t, app, "/api/v1/reports/quarterly/2022-Q1?format=csv&lang=en", token)
	if !strings.Contains(en.body, ",8001,") || !strings.Contains(en.header.Get("Content-Disposition"), "quarterly-report-2022-q1") {
		t.Fatalf("English CSV:\n%s", en.body)
	}
}

func TestAPICSVNeverStartsACellWithAFormula(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	// Text anyone can set elsewhere — a page title in the CMS, an event title in the entry form.
	err := st.Insert(ctx, "web_top_pages", []string{"site_id", "month", "path", "title", "pageviews", "source", "version"},
		[][]any{{"innomed.no", time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC), "/x", `=HYPERLINK("http://evil.example","klikk")`, uint64(100000), "test", store.NewVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Insert(ctx, "events", []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at", "registered",
		"attended_on_site", "attended_digital", "deleted", "source", "version"},
		[][]any{{"innomed", "evil", "webinar", "@SUM(1+1)*cmd|' /C calc'!A0", time.Date(2022, 5, 2, 10, 0, 0, 0, time.UTC), (*time.Time)(nil),
			(*uint32)(nil), (*uint32)(nil), (*uint32)(nil), uint8(0), "test", store.NewVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	for _, target := range []string{
		"/api/v1/reports/annual/2022?format=csv",
		"/api/v1/reports/annual/2022?format=csv&lang=en",
		"/api/v1/reports/quarterly/2022-Q2?format=csv",
		"/api/v1/kpis?from=2021-01-01&to=2022-12-31&granularity=month&format=csv",
	} {
		r := apiGet(t, app, target, token)
		if r.status != 200 {
			t.Fatalf("%s: %d %.200s", target, r.status, r.body)
		}
		comma := ';'
		if strings.Contains(target, "lang=en") || strings.Contains(target, "/kpis") {
			comma = ','
		}
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff")))
		cr.Comma, cr.FieldsPerRecord = comma, -1
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		for _, rec := range recs {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q starts with a formula character", target, cell)
				}
			}
		}
		if target == "/api/v1/reports/annual/2022?format=csv" {
			if !strings.Contains(r.body, `'=HYPERLINK(`) || !strings.Contains(r.body, `'@SUM(1+1)`) {
				t.Errorf("annual CSV lacks the escaped page and event titles:\n%s", r.body)
			}
		}
	}
}

func TestAPIRateLimitIsPerToken(t *testing.T) {
	st := chtest.Open(t)
	app := apiApp(t, st, testConfig(), 3)
	a, b := createToken(t, st), createToken(t, st)
	for i := range 3 {
		if r := apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-01-02", a); r.status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-01-02", a)
	if msg := apiErrorOf(t, r, 429); !strings.Contains(msg, "3 requests per minute") || r.header.Get("Retry-After") == "" {
		t.Fatalf("fourth request: %q, Retry-After %q", msg, r.header.Get("Retry-After"))
	}
	if r := apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-01-02", b); r.status != 200 {
		t.Fatalf("another token is not limited by the first: %d", r.status)
	}
}

// kpiSeries is the JSON of /api/v1/kpis.
type kpiSeries struct {
	Site, From, To, Granularity string
	Series                      []struct {
		KPI, Shape, Platform, Account string
		Points                        []struct {
			Start, End string
			Full       bool
			Value      *float64
		}
	}
}

func getSeries(t *testing.T, app *fiber.App, token, query string) kpiSeries {
	t.Helper()
	r := apiGet(t, app, "/api/v1/kpis?"+query, token)
	var s kpiSeries
	if r.status != 200 || json.Unmarshal([]byte(r.body), &s) != nil {
		t.Fatalf("kpis?%s: %d %.300s", query, r.status, r.body)
	}
	return s
}

// values are a series' points as "start..end=value" ("null" when unknown), for comparison.
func (s kpiSeries) values(t *testing.T, kpi, account string) []string {
	t.Helper()
	for _, ser := range s.Series {
		if ser.KPI != kpi || ser.Account != account {
			continue
		}
		var out []string
		for _, p := range ser.Points {
			v := "null"
			if p.Value != nil {
				v = strconv.FormatFloat(*p.Value, 'f', -1, 64)
			}
			full := ""
			if !p.Full {
				full = " partial"
			}
			out = append(out, p.Start+".."+p.End+full+"="+v)
		}
		return out
	}
	t.Fatalf("no series %s %s", kpi, account)
	return nil
}

// scalar runs a query that returns one number, for expectations computed from the tables
// themselves rather than through the query layer.
func scalar(t *testing.T, st *store.Store, sql string, args ...any) string {
	t.Helper()
	var v float64
	if err := st.Conn().QueryRow(context.Background(), "SELECT toFloat64(("+sql+"))", args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func TestAPIKPISeriesOnDemoData(t *testing.T) {
	st := demoStore(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)

	// Quarters of 2022: the annual report's visits and unique visitors (innomed-communication.md).
	q := getSeries(t, app, token, "from=2022-01-01&to=2022-12-31&granularity=quarter")
	if q.Site != "innomed.no" || q.Granularity != "quarter" {
		t.Fatalf("head %+v", q)
	}
	want := []string{"2022-01-01..2022-03-31=10234", "2022-04-01..2022-06-30=9068", "2022-07-01..2022-09-30=9634", "2022-10-01..2022-12-31=9709"}
	if got := q.values(t, "web.visits", ""); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("visits per quarter %v, want %v", got, want)
	}
	want = []string{"2022-01-01..2022-03-31=8001", "2022-04-01..2022-06-30=7157", "2022-07-01..2022-09-30=7435", "2022-10-01..2022-12-31=8059"}
	if got := q.values(t, "web.unique_visitors", ""); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("unique visitors per quarter %v, want %v", got, want)
	}

	// The year: followers and new followers as the report prints them, and unique visitors the
	// provider's year figure — not the 30 652 the quarters add up to.
	y := getSeries(t, app, token, "from=2022-01-01&to=2022-12-31&granularity=year")
	for kpi, v := range map[string]string{
		"social.followers.facebook": "616", "social.followers.linkedin": "514", "social.followers.instagram": "501",
		"social.new_followers.facebook": "350", "social.new_followers.linkedin": "295", "social.new_followers.instagram": "380",
		"web.visits": "38645",
		"web.unique_visitors": scalar(t, st, `SELECT visitors FROM web_visitors_period FINAL
			WHERE site_id = 'innomed.no' AND period = 'year' AND period_start = '2022-01-01'`),
		"events.count": scalar(t, st, `SELECT count() FROM events FINAL
			WHERE NOT deleted AND toYear(toTimeZone(starts_at, 'Europe/Oslo')) = 2022`),
		"social.reach.linkedin": scalar(t, st, `SELECT reach FROM social_reach FINAL
			WHERE platform = 'linkedin' AND period = 'year' AND period_start = '2022-01-01'`),
	} {
		account := ""
		if strings.HasPrefix(kpi, "social.reach.") {
			account = demo.AccountID
		}
		if got := y.values(t, kpi, account); len(got) != 1 || got[0] != "2022-01-01..2022-12-31="+v {
			t.Errorf("%s for 2022: %v, want %s", kpi, got, v)
		}
	}
	if got := y.values(t, "web.unique_visitors", ""); got[0] == "2022-01-01..2022-12-31=30652" {
		t.Errorf("unique visitors of the year are the sum of the quarters")
	}

	// Months, computed from the daily rows; a range starting mid-quarter gives a partial first
	// bucket, which has visits (a sum) but no unique visitors (no provider figure for it).
	m := getSeries(t, app, token, "from=2022-02-15&to=2022-07-31&granularity=quarter")
	visits := m.values(t, "web.visits", "")
	wantFirst := "2022-02-15..2022-03-31 partial=" + scalar(t, st, `SELECT sum(sessions) FROM web_traffic_daily
		WHERE site_id = 'innomed.no' AND date BETWEEN '2022-02-15' AND '2022-03-31'`)
	if len(visits) != 3 || visits[0] != wantFirst || visits[1] != "2022-04-01..2022-06-30=9068" || !strings.HasPrefix(visits[2], "2022-07-01..2022-07-31 partial=") {
		t.Errorf("visits of a mid-quarter range %v, want first %s", visits, wantFirst)
	}
	unique := m.values(t, "web.unique_visitors", "")
	// A partial bucket that is exactly one calendar month (July) has the provider's July figure.
	july := scalar(t, st, `SELECT visitors FROM web_visitors_period FINAL WHERE site_id = 'innomed.no' AND period = 'month' AND period_start = '2022-07-01'`)
	if unique[0] != "2022-02-15..2022-03-31 partial=null" || unique[1] != "2022-04-01..2022-06-30=7157" || unique[2] != "2022-07-01..2022-07-31 partial="+july {
		t.Errorf("unique visitors of a mid-quarter range %v", unique)
	}
	months := getSeries(t, app, token, "from=2022-01-01&to=2022-03-31&granularity=month")
	for i, mon := range []string{"01", "02", "03"} {
		end := map[string]string{"01": "31", "02": "28", "03": "31"}[mon]
		wantV := scalar(t, st, `SELECT sum(sessions) FROM web_traffic_daily WHERE site_id = 'innomed.no' AND toYYYYMM(date) = ?`, uint32(202200+i+1))
		if got := months.values(t, "web.visits", "")[i]; got != "2022-"+mon+"-01..2022-"+mon+"-"+end+"="+wantV {
			t.Errorf("visits of 2022-%s: %s, want %s", mon, got, wantV)
		}
		wantU := scalar(t, st, `SELECT visitors FROM web_visitors_period FINAL WHERE site_id = 'innomed.no' AND period = 'month' AND period_start = ?`, "2022-"+mon+"-01")
		if got := months.values(t, "web.unique_visitors", "")[i]; !strings.HasSuffix(got, "="+wantU) {
			t.Errorf("unique visitors of 2022-%s: %s, want the provider's %s", mon, got, wantU)
		}
		wantR := scalar(t, st, `SELECT reach FROM social_reach FINAL WHERE platform = 'facebook' AND period = 'month' AND period_start = ?`, "2022-"+mon+"-01")
		if got := months.values(t, "social.reach.facebook", demo.AccountID)[i]; !strings.HasSuffix(got, "="+wantR) {
			t.Errorf("Facebook reach of 2022-%s: %s, want %s", mon, got, wantR)
		}
	}

	// Weeks are ISO weeks; people-counting figures have no weekly value.
	w := getSeries(t, app, token, "from=2022-01-01&to=2022-01-16&granularity=week&kpi=web.visits,web.unique_visitors,social.reach.facebook")
	if len(w.Series) != 3 {
		t.Fatalf("kpi filter kept %d series, want 3", len(w.Series))
	}
	weeks := w.values(t, "web.visits", "")
	if len(weeks) != 3 || !strings.HasPrefix(weeks[0], "2022-01-01..2022-01-02 partial=") || !strings.HasPrefix(weeks[1], "2022-01-03..2022-01-09=") {
		t.Errorf("weeks %v", weeks)
	}
	for _, kpi := range []string{"web.unique_visitors", "social.reach.facebook"} {
		account := ""
		if kpi == "social.reach.facebook" {
			account = demo.AccountID
		}
		for _, v := range w.values(t, kpi, account) {
			if !strings.HasSuffix(v, "=null") {
				t.Errorf("%s has a weekly value: %s", kpi, v)
			}
		}
	}

	// The CSV is the same series, one line per point.
	r := apiGet(t, app, "/api/v1/kpis?from=2022-01-01&to=2022-12-31&granularity=quarter&kpi=web.visits", token, "Accept", "text/csv")
	if r.status != 200 || !strings.Contains(r.body, "kpi,platform,account,start,end,full,value,measured_on,partial\r\n") ||
		!strings.Contains(r.body, "web.visits,,,2022-01-01,2022-03-31,true,10234,,false\r\n") {
		t.Fatalf("kpis CSV: %d\n%s", r.status, r.body)
	}
}

// TestOpenAPIMatchesTheRoutes parses openapi.yaml and checks it against the routes the real app
// registers under /api/v1, both ways.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	var spec struct {
		OpenAPI string `yaml:"openapi"`
		Info    struct {
			Title, Version string
		} `yaml:"info"`
		Paths map[string]map[string]struct {
			OperationID string           `yaml:"operationId"`
			Security    *[]any           `yaml:"security"`
			Parameters  []map[string]any `yaml:"parameters"`
			Responses   map[string]any   `yaml:"responses"`
		} `yaml:"paths"`
		Components struct {
			Parameters map[string]map[string]any `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal([]byte(api.Spec()), &spec); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if spec.OpenAPI != "3.1.0" || spec.Info.Title == "" || spec.Info.Version == "" {
		t.Fatalf("openapi.yaml head: %q %+v", spec.OpenAPI, spec.Info)
	}

	app := offlineApp()
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	registered := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, api.Prefix+"/") || r.Path == api.Prefix+"/*" || r.Method != http.MethodGet {
			continue
		}
		registered[param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	if len(registered) < 4 {
		t.Fatalf("only %d API routes found: %v", len(registered), registered)
	}
	for path := range registered {
		if _, ok := spec.Paths[path]; !ok {
			t.Errorf("route GET %s is not in openapi.yaml", path)
		}
	}
	pathParam := regexp.MustCompile(`\{([A-Za-z_]+)\}`)
	for path, ops := range spec.Paths {
		if !registered[path] {
			t.Errorf("openapi.yaml documents %s, which is not a route", path)
		}
		for method, op := range ops {
			if method != "get" {
				t.Errorf("%s %s: the API is read-only", method, path)
			}
			if op.OperationID == "" || op.Responses["200"] == nil {
				t.Errorf("%s: no operationId or 200 response", path)
			}
			secured := op.Security == nil || len(*op.Security) > 0
			if secured && op.Responses["401"] == nil {
				t.Errorf("%s needs a token but documents no 401", path)
			}
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if ref, ok := p["$ref"].(string); ok {
					p = spec.Components.Parameters[strings.TrimPrefix(ref, "#/components/parameters/")]
					if p == nil {
						t.Errorf("%s: dangling parameter %s", path, ref)
						continue
					}
				}
				if p["in"] == "path" {
					declared[p["name"].(string)] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s is not declared", path, m[1])
				}
			}
		}
	}
}
