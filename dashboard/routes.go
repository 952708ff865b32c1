package dashboard

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/dashboard/pages"
	"github.com/innomed/rekkevidde/internal/auth"
)

// access says who may call a route. It decides where the route is registered among the
// middleware (routes) and what guards it: nobody adds a route without saying who may call it.
type access int

const (
	// infra: anyone, before the language and any session are read: the probes and static files.
	infra access = iota
	// apiOpen: anyone, under /api/v1 and answered in JSON: the API's description and its 404s.
	apiOpen
	// apiToken: a program with a read API bearer token (dashboard/api); a session is never read.
	apiToken
	// public: anyone, with the language and any session read: signing in and out.
	public
	// signedIn: any signed-in person (viewer and up); every POST needs the session's CSRF token.
	signedIn
	// editor: a signed-in editor or admin (requireRole).
	editor
	// adminOnly: a signed-in admin (requireRole).
	adminOnly
)

func (a access) String() string {
	return [...]string{"infra", "api-open", "api-token", "public", "signed-in", "editor", "admin"}[a]
}

// methodAll registers a route for every method (fiber's All).
const methodAll = "ALL"

// route is one row of the routes table.
type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
}

// routeTable is every route of the dashboard, in registration order (which matters where paths
// overlap: …/pdf before …/:format). The handlers are built here once, read-only afterwards.
func (h *handler) routeTable(a *api.API) []route {
	p, cached := h.pages, h.pages.Cached
	f := admin.NewEvents(h.adminDeps())
	tokens, notes := admin.NewTokens(h.adminDeps()), admin.NewNotes(h.adminDeps())
	t := []route{
		{fiber.MethodGet, "/healthz", infra, h.healthz},
		{fiber.MethodGet, "/readyz", infra, h.readyz},
		{fiber.MethodGet, "/static/:sum/*", infra, h.assets.Serve},

		// The read API: bearer tokens, never sessions (dashboard/api).
		{fiber.MethodGet, api.Prefix + "/openapi.yaml", apiOpen, a.OpenAPI},
		{fiber.MethodGet, api.Prefix + "/reports/annual/:year", apiToken, a.AnnualReport},
		{fiber.MethodGet, api.Prefix + "/reports/quarterly/:period", apiToken, a.QuarterlyReport},
		{fiber.MethodGet, api.Prefix + "/kpis", apiToken, a.KPIs},
		{fiber.MethodGet, api.Prefix + "/newsletter/campaigns", apiToken, a.Campaigns},
		{fiber.MethodGet, api.Prefix + "/publications", apiToken, a.Publications},
		// Last under /api/v1: whatever else is asked there gets a JSON answer instead of falling
		// through to the sign-in.
		{methodAll, api.Prefix + "/*", apiOpen, a.Unknown},

		// Sign-in (dashboard/signin).
		{fiber.MethodGet, "/login", public, h.signin.LoginPage},
		{fiber.MethodPost, "/login", public, h.signin.Login},
		{fiber.MethodPost, "/logout", public, h.signin.Logout},
	}
	if h.auth.OIDC() != nil {
		t = append(t,
			route{fiber.MethodGet, "/auth/oidc", public, h.signin.OIDCStart},
			route{fiber.MethodGet, "/auth/callback", public, h.signin.OIDCCallback})
	}

	// The pages people sign in to see, and a CSV download of every table on them
	// (<page>/<table>.csv, taking the page's parameters); cached serves them from the cache when
	// there is one (dashboard/pages: pagecache.go).
	t = append(t,
		route{fiber.MethodGet, "/", signedIn, cached(p.Overview)},
		route{fiber.MethodGet, pages.OverviewCSVPath, signedIn, cached(p.OverviewCSV)})
	for _, tp := range p.Topics() {
		t = append(t, route{fiber.MethodGet, tp.Path, signedIn, cached(tp.Handler)})
	}

	// Reports (dashboard/pages: reports.go). They and their downloads are cached like the pages:
	// role is in the key, and publishing is a write, which moves the data version. The PDF is not
	// cached: it is made from the (cached) page by a browser (pdf.go).
	t = append(t,
		route{fiber.MethodGet, "/rapporter", signedIn, p.ReportsIndex},
		route{fiber.MethodGet, "/rapporter/ar/:year", signedIn, cached(p.ReportPage(false))},
		route{fiber.MethodGet, "/rapporter/ar/:year/pdf", signedIn, p.ReportPDF(false)}, // before :format
		route{fiber.MethodGet, "/rapporter/ar/:year/:format", signedIn, cached(p.ReportDownload(false))},
		route{fiber.MethodPost, "/rapporter/ar/:year/publiser", editor, p.Publish(false)},
		route{fiber.MethodGet, "/rapporter/kvartal/:period", signedIn, cached(p.ReportPage(true))},
		route{fiber.MethodGet, "/rapporter/kvartal/:period/pdf", signedIn, p.ReportPDF(true)}, // before :format
		route{fiber.MethodGet, "/rapporter/kvartal/:period/:format", signedIn, cached(p.ReportDownload(true))},
		route{fiber.MethodPost, "/rapporter/kvartal/:period/publiser", editor, p.Publish(true)},
		// Withdrawing a publication (publish_guard.go).
		route{fiber.MethodPost, "/rapporter/ar/:year/trekk-tilbake", adminOnly, p.Withdraw(false)},
		route{fiber.MethodPost, "/rapporter/kvartal/:period/trekk-tilbake", adminOnly, p.Withdraw(true)},

		// The read API's tokens (dashboard/admin).
		route{fiber.MethodGet, admin.TokensPath, adminOnly, tokens.List},
		route{fiber.MethodPost, admin.TokensPath, adminOnly, tokens.Create},
		route{fiber.MethodPost, admin.TokensPath + "/:id/revoke", adminOnly, tokens.Revoke},

		// The events entry form (dashboard/admin).
		route{fiber.MethodGet, admin.EventsPath + "/ny", editor, f.New},
		route{fiber.MethodPost, admin.EventsPath + "/ny", editor, f.Create},
		route{fiber.MethodGet, admin.EventsPath + "/:id/endre", editor, f.Edit},
		route{fiber.MethodPost, admin.EventsPath + "/:id/endre", editor, f.Update},
		route{fiber.MethodPost, admin.EventsPath + "/:id/slett", editor, f.Remove},

		// Sources: the list, a source's runs, starting one now (dashboard/admin).
		route{fiber.MethodGet, admin.SourcesPath, adminOnly, h.sources.Index},
		route{fiber.MethodGet, admin.SourcesPath + "/:id", adminOnly, h.sources.RunsPage},
		route{fiber.MethodPost, admin.SourcesPath + "/:id/start", adminOnly, h.sources.Start},

		// Manual notes on the time charts (dashboard/admin).
		route{fiber.MethodGet, admin.NotesPath, editor, notes.Page},
		route{fiber.MethodPost, admin.NotesPath, editor, notes.Create},
		route{fiber.MethodGet, admin.NotesPath + "/:scope/:id", editor, notes.NotePage},
		route{fiber.MethodPost, admin.NotesPath + "/:scope/:id", editor, notes.Update},
		route{fiber.MethodPost, admin.NotesPath + "/:scope/:id/slett", editor, notes.Delete},
	)
	return t
}

// routes registers the routes table on app, each row behind the middleware its access calls for:
//
//	recover, security headers, query count      every request
//	infra                                       the probes, static files
//	api.Middleware under /api/v1                 JSON errors, no-store
//	apiOpen, apiToken (+ token, rate limit)      the read API
//	language, session read, PDF printer session
//	public                                      signing in and out
//	requireSession, checkCSRF                   every request from here on, unknown paths too
//	signedIn, editor, adminOnly (+ requireRole) the pages
func (h *handler) routes(app *fiber.App) {
	a := api.New(h.apiDeps(h.apiDB(), h.apiPerMinute))
	table := h.routeTable(a)
	guard := map[access][]fiber.Handler{
		apiToken:  a.Authenticated(),
		editor:    {h.signin.RequireRole(auth.Editor)},
		adminOnly: {h.signin.RequireRole(auth.Admin)},
	}
	register := func(levels ...access) {
		for _, r := range table {
			for _, l := range levels {
				if r.access != l {
					continue
				}
				handlers := append(append([]fiber.Handler{}, guard[l]...), r.handler)
				if r.method == methodAll {
					app.All(r.path, handlers...)
				} else {
					app.Add(r.method, r.path, handlers...)
				}
			}
		}
	}

	// go-echarts panics when its templates fail; recover turns that into an error for handleError.
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: h.logPanic}))
	app.Use(h.securityHeaders, h.countQueries)
	register(infra)

	app.Group(api.Prefix, a.Middleware()...)
	register(apiOpen, apiToken)

	app.Use(h.language)
	// Sign-in. Every route registered after requireSession needs a signed-in person, and every
	// request there that changes anything needs the session's CSRF token. Roles are per route
	// (requireRole, from the table's access).
	app.Use(h.signin.LoadSession)
	app.Use(h.pages.Printer().RenderSession) // the PDF printer's own requests (dashboard/pages: pdf.go)
	register(public)
	app.Use(h.signin.RequireSession, h.signin.CheckCSRF)
	register(signedIn, editor, adminOnly)
}
