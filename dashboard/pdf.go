package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/report"
)

// "Last ned PDF": a report page printed to A4 by headless Chromium (internal/pdf). The browser
// loads the very page a person sees, in print media, through the dashboard's own router in
// process (fiber's App.Test), never over the network. Its requests carry a render key: random,
// valid only while that one render runs (and at most renderKeyTTL), GET only, known to nobody
// outside this process — a signed-in person's password or cookie is never handed to the browser.

// renderHeader carries the render key on the browser's requests; the fetcher adds it.
const renderHeader = "X-Rekkevidde-Render-Key"

// renderKeyTTL bounds a key that a crashed render failed to revoke.
const renderKeyTTL = 2 * time.Minute

// renderHost is the made-up origin the printed page is loaded from (see internal/pdf).
const renderHost = "http://rekkevidde.render"

// printer prints the dashboard's pages; one per handler.
type printer struct {
	renderer *pdf.Renderer
	// app is the dashboard itself, set by build once it exists.
	app *fiber.App

	mu   sync.Mutex
	keys map[string]renderGrant
}

// renderGrant is who a render key stands for.
type renderGrant struct {
	name    string
	expires time.Time
}

func newPrinter(r *pdf.Renderer) *printer {
	return &printer{renderer: r, keys: map[string]renderGrant{}}
}

func (p *printer) issue(name string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	key := hex.EncodeToString(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, g := range p.keys {
		if now.After(g.expires) {
			delete(p.keys, k)
		}
	}
	p.keys[key] = renderGrant{name: name, expires: now.Add(renderKeyTTL)}
	return key
}

func (p *printer) revoke(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, key)
}

func (p *printer) grant(key string) (renderGrant, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.keys[key]
	if !ok || time.Now().After(g.expires) {
		return renderGrant{}, false
	}
	return g, true
}

// print renders the page at path (with its query) as name would see it, read-only.
func (p *printer) print(ctx context.Context, path, name string) ([]byte, error) {
	if p.app == nil {
		return nil, errors.New("pdf: the dashboard is not built yet")
	}
	key := p.issue(name)
	defer p.revoke(key)
	fetch := func(req *http.Request) (*http.Response, error) {
		req.Header.Set(renderHeader, key)
		// Bodies are handed to the browser as they are; it is not asked to decode them.
		req.Header.Del("Accept-Encoding")
		return p.app.Test(req, int(renderKeyTTL/time.Millisecond))
	}
	return p.renderer.Render(ctx, renderHost+path, fetch)
}

// renderSession lets the printing browser's requests in as a viewer, by their render key. A
// request with a key that is not (or no longer) valid is refused outright.
func (h *handler) renderSession(c *fiber.Ctx) error {
	key := c.Get(renderHeader)
	if key == "" {
		return c.Next()
	}
	g, ok := h.printer.grant(key)
	if !ok || (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) {
		return c.Status(fiber.StatusUnauthorized).SendString("render key refused\n")
	}
	now := time.Now()
	kit.SetUser(c, &auth.Session{ID: "render", Name: g.name, Role: auth.Viewer, Method: "pdf",
		IssuedAt: now, ExpiresAt: g.expires})
	return c.Next()
}

// reportPDF answers …/pdf of a report page: the page printed to A4.
func (h *handler) reportPDF(quarterly bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		year, quarter, err := reportPeriod(c, quarterly)
		if err != nil {
			return err
		}
		lang := kit.LangOf(c, h.defaultLang)
		if err := h.printer.renderer.Available(); err != nil {
			h.log.WarnContext(c.UserContext(), "report PDF asked for without Chromium", "err", err)
			return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.pdf_missing"}
		}
		q := url.Values{"lang": {string(lang)}}
		if site := c.Query("site"); site != "" {
			q.Set("site", site)
		}
		name := "pdf"
		if u := kit.CurrentUser(c); u != nil {
			name = u.Name
		}
		data, err := h.printer.print(c.UserContext(), strings.TrimSuffix(c.Path(), "/pdf")+"?"+q.Encode(), name)
		if err != nil {
			h.log.ErrorContext(c.UserContext(), "report PDF failed", "path", c.Path(), "err", err)
			return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.pdf_failed"}
		}
		site, err := h.site(c.Query("site"))
		if err != nil {
			return err
		}
		kind := report.KindAnnual
		if quarterly {
			kind = report.KindQuarterly
		}
		file := report.FileName(lang, report.View{Kind: kind, Period: report.PeriodName(year, quarter)}, site.ID, "pdf")
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(data)
	}
}

// pdfLink is the report page's "Last ned PDF": the address, or why there is none.
func (h *handler) pdfLink(lang i18n.Lang, base, query string) (link, note string) {
	if h.printer.renderer.Available() != nil {
		return "", lang.T("report.pdf_missing")
	}
	return base + "/pdf" + query, ""
}

// Printer prints the dashboard's reports to PDF for the rest of the program (the quarterly
// e-mail). Make it with NewWithPrinter.
type Printer struct {
	h *handler
}

// NewWithPrinter is New that also hands back the app's printer.
func NewWithPrinter(deps Deps) (*fiber.App, *Printer) {
	h, app := build(deps)
	return app, &Printer{h: h}
}

// Available is nil when reports can be printed (a Chromium was found); otherwise the error says
// how to provide one.
func (p *Printer) Available() error { return p.h.printer.renderer.Available() }

// QuarterlyPDF prints the quarterly report of the first configured site in lang, as the
// dashboard's page shows it (the published report where the quarter is published).
func (p *Printer) QuarterlyPDF(ctx context.Context, year, quarter int, lang i18n.Lang) ([]byte, error) {
	path := "/rapporter/kvartal/" + report.PeriodName(year, quarter) + "?" + url.Values{"lang": {string(lang)}}.Encode()
	data, err := p.h.printer.print(ctx, path, "rekkevidde")
	if err != nil {
		return nil, fmt.Errorf("quarterly report PDF: %w", err)
	}
	return data, nil
}
