// Package dashboard is Rekkevidde's web front: the server. It builds the parts — the figures'
// pages and reports (dashboard/pages), the read API (dashboard/api), sign-in (dashboard/signin),
// the editors' and admins' pages (dashboard/admin) — over the shared rendering (internal/kit),
// and registers every route from one routes table (routes.go) behind the middleware its access
// calls for. It keeps the menus, the health endpoints and the one error exit (handleError).
package dashboard

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/dashboard/pages"
	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// Deps is what the dashboard needs from the rest of the program.
type Deps struct {
	// Queries reads the figures. Pages that need it answer 500 when it is nil; /healthz and
	// /readyz never touch it.
	Queries *query.Queries
	// Ready reports whether the dashboard can serve figures (typically Store.Ping). /readyz calls it;
	// nil means there is nothing to check.
	Ready func(ctx context.Context) error
	// Config supplies the sites, the default language and who may sign in (auth).
	Config config.Config
	// SessionKey signs the session cookies (auth.SessionKey: the configured key or the one kept in
	// state_dir). Nil takes auth.session_key from Config, else a random key for this process only,
	// so every restart signs everyone out.
	SessionKey []byte
	// Store is where the dashboard writes: published reports, API tokens. Nil leaves those
	// features answering 503 (tests of read-only pages need no store).
	Store *store.Store
	// Log receives request errors and panics; nil discards them.
	Log *slog.Logger
	// Collections starts a configured source's collection now and tells whether one is under way
	// (the scheduler in serve). Nil leaves the freshness strip without its Start buttons.
	Collections Collections
	// Cache keeps rendered pages and discovery answers under DataVersion (pages/pagecache.go). Nil, or
	// a nil DataVersion, computes every page afresh.
	Cache *cache.Cache
	// DataVersion is the current data version (cache.Versions.Current).
	DataVersion func() uint64
	// PDF prints the reports (pages/pdf.go); nil makes one from Config.PDF (the browser looked up on
	// PATH when no path is configured).
	PDF *pdf.Renderer
}

// Collections is what the dashboard needs from the scheduler. An implementation may also have
// Progress(id string) (done, total int, ok bool), for the steps of a run under way.
type Collections = kit.Collections

// SessionCookie is the name of the sign-in cookie, for tools that drive the dashboard with a
// session they made themselves (`rekkevidde bench`).
const SessionCookie = signin.SessionCookie

// readyTimeout bounds /readyz so that a hanging ClickHouse makes the probe fail rather than hang.
const readyTimeout = 3 * time.Second

type handler struct {
	queries     *query.Queries
	ready       func(ctx context.Context) error
	cfg         config.Config
	log         *slog.Logger
	assets      *kit.Assets
	defaultLang i18n.Lang
	auth        *auth.Auth
	store       *store.Store
	collections Collections
	// render draws every page through the shared layout with the dashboard's menus.
	render *kit.Renderer
	// pages is the figures' pages and the reports (dashboard/pages).
	pages *pages.Pages
	// signin is the sign-in pages and the session middleware (dashboard/signin).
	signin *signin.Signin
	// sources is the sources pages (dashboard/admin), whose state the freshness strip shows too.
	sources *admin.Sources
	// apiPerMinute is each API token's budget (api.RequestsPerMinute; tests set their own).
	apiPerMinute int
}

// New builds the dashboard application. It panics only on a programming error in the embedded
// templates or static files, which every test run would catch, or on an auth section that
// config.Load would have refused.
func New(deps Deps) *fiber.App {
	_, app := build(deps)
	return app
}

// build is New that also hands back the handler, so tests can add routes behind its middleware.
func build(deps Deps) (*handler, *fiber.App) {
	h := newHandler(deps)
	return h, h.app()
}

// newHandler is the dashboard's state before any route is registered.
func newHandler(deps Deps) *handler {
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	assets, err := kit.LoadAssets()
	if err != nil {
		panic(err)
	}
	views, err := kit.LoadViews(assets)
	if err != nil {
		panic(err)
	}
	lang, ok := i18n.Parse(deps.Config.Language)
	if !ok {
		lang = i18n.Default
	}
	key := deps.SessionKey
	if key == nil && deps.Config.Auth.SessionKey.IsSet() {
		key = []byte(deps.Config.Auth.SessionKey.Value())
	}
	if key == nil {
		key = make([]byte, auth.MinKeyBytes)
		_, _ = rand.Read(key)
		log.Warn("no session key given: sessions last only as long as this process")
	}
	authn, err := auth.New(auth.Settings{Config: deps.Config.Auth, Key: key, Log: log})
	if err != nil {
		panic(err)
	}
	renderer := deps.PDF
	if renderer == nil {
		renderer = pdf.New(pdf.Options{Chromium: deps.Config.PDF.Chromium, Timeout: deps.Config.PDF.Timeout, Log: log})
	}
	h := &handler{
		queries:      deps.Queries,
		ready:        deps.Ready,
		cfg:          deps.Config,
		log:          log,
		assets:       assets,
		defaultLang:  lang,
		auth:         authn,
		store:        deps.Store,
		collections:  deps.Collections,
		apiPerMinute: api.RequestsPerMinute,
	}
	h.render = &kit.Renderer{Views: views, Placeholders: kit.NewPlaceholders(), Lang: lang,
		Menus: func(l kit.Layout) ([]kit.NavLink, []kit.NavLink) { return mainNav(l), adminNav(l) }}
	h.signin = signin.New(signin.Deps{Auth: authn, Log: log, Render: h.render, Lang: lang,
		// Decided once from http.listen; see signin's setCookie.
		SecureCookies:  !auth.IsLoopback(deps.Config.HTTP.Listen),
		TrustedProxies: deps.Config.HTTP.TrustedProxies})
	h.sources = admin.NewSources(h.adminDeps())
	// A target naming an unknown KPI stops the start: serve calls pages.ValidateTargets first to
	// report it as a configuration error; this is the backstop.
	h.pages, err = pages.New(pages.Deps{Queries: deps.Queries, Config: deps.Config, Log: log,
		Render: h.render, Assets: assets, Store: deps.Store, Sources: h.sources, Collections: deps.Collections,
		Cache: deps.Cache, DataVersion: deps.DataVersion, PDF: renderer})
	if err != nil {
		panic(err)
	}
	return h
}

// app builds the fiber application over h and registers the routes table.
func (h *handler) app() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "rekkevidde",
		DisableStartupMessage: true,
		ErrorHandler:          h.handleError,
		// Values from c.Query and friends otherwise point into fasthttp's reused buffers; copying
		// them costs nothing that matters here and rules out a whole class of bugs.
		Immutable:    true,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		// Forwarded headers are believed only from the proxies http.trusted_proxies names (none by
		// default): c.Protocol() then reads X-Forwarded-Proto, c.IPs() X-Forwarded-For. From anyone
		// else they are ignored, since a client can write them.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          h.cfg.HTTP.TrustedProxies,
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableIPValidation:      true,
	})
	h.routes(app)
	h.pages.Printer().Attach(app)
	return app
}

// site resolves ?site= against the configured sites (kit.Site), for the API and the admin pages.
func (h *handler) site(id string) (config.Site, error) { return kit.Site(h.cfg, id) }

// NewWithPrinter is New that also hands back the app's printer, which prints the reports for the
// rest of the program (the quarterly e-mail).
func NewWithPrinter(deps Deps) (*fiber.App, *Printer) {
	h, app := build(deps)
	return app, h.pages.Printer()
}

// Printer prints the dashboard's reports to PDF (pages.Printer).
type Printer = pages.Printer

// apiDB is where API tokens live: the dashboard's store, or nil without one (the API then answers 503).
func (h *handler) apiDB() apitokens.DB {
	if h.store == nil {
		return nil // an interface holding a nil *store.Store would not compare equal to nil
	}
	return h.store
}

// apiDeps is what the read API (dashboard/api) needs: tokens in db, perMinute requests per token;
// tests pass their own database and budget.
func (h *handler) apiDeps(db apitokens.DB, perMinute int) api.Deps {
	return api.Deps{Queries: h.queries, Config: h.cfg, Lang: h.defaultLang, Log: h.log, Tokens: db,
		PerMinute: perMinute, Site: h.site, LogPanic: h.logPanic}
}

// adminDeps is what the admin pages (dashboard/admin) need.
func (h *handler) adminDeps() admin.Deps {
	return admin.Deps{Config: h.cfg, Log: h.log, Render: h.render, Queries: h.queries, Tokens: h.apiDB(), Store: h.store,
		Site: h.site, Collections: h.collections}
}
