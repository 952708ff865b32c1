package pages

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

// Printer prints the dashboard's pages: the reports' …/pdf, and the quarterly e-mail's
// attachment (QuarterlyPDF). One per Pages; the server hands it the app (Attach) once it is built.
type Printer struct {
	renderer *pdf.Renderer
	// app is the dashboard itself, set by Attach once it exists.
	app *fiber.App

	mu   sync.Mutex
	keys map[string]renderGrant
}

// renderGrant is who a render key stands for.
type renderGrant struct {
	name    string
	expires time.Time
}

func newPrinter(r *pdf.Renderer) *Printer {
	return &Printer{renderer: r, keys: map[string]renderGrant{}}
}

func (p *Printer) issue(name string) string {
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

func (p *Printer) revoke(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, key)
}

func (p *Printer) grant(key string) (renderGrant, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.keys[key]
	if !ok || time.Now().After(g.expires) {
		return renderGrant{}, false
	}
	return g, true
}

// print renders the page at path (with its query) as name would see it, read-only.
func (p *Printer) print(ctx context.Context, path, name string) ([]byte, error) {
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

// Attach gives the printer the app whose pages it prints.
func (p *Printer) Attach(app *fiber.App) { p.app = app }

// RenderSession is the middleware that lets the printing browser's requests in as a viewer, by
// their render key. A request with a key that is not (or no longer) valid is refused outright.
func (p *Printer) RenderSession(c *fiber.Ctx) error {
	key := c.Get(renderHeader)
	if key == "" {
		return c.Next()
	}
	g, ok := p.grant(key)
	if !ok || (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) {
		return c.Status(fiber.StatusUnauthorized).SendString("render key refused\n")
	}
	now := time.Now()
	kit.SetUser(c, &auth.Session{ID: "render", Name: g.name, Role: auth.Viewer, Method: "pdf",
		IssuedAt: now, ExpiresAt: g.expires})
	return c.Next()
}

// ReportPDF answers …/pdf of a report page: the page printed to A4.
func (p *Pages) ReportPDF(quarterly bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		year, quarter, err := reportPeriod(c, quarterly)
		if err != nil {
			return err
		}
		lang := kit.LangOf(c, p.defaultLang)
		if err := p.printer.renderer.Available(); err != nil {
			p.log.WarnContext(c.UserContext(), "report PDF asked for without Chromium", "err", err)
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
		data, err := p.printer.print(c.UserContext(), strings.TrimSuffix(c.Path(), "/pdf")+"?"+q.Encode(), name)
		if err != nil {
			p.log.ErrorContext(c.UserContext(), "report PDF failed", "path", c.Path(), "err", err)
			return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.pdf_failed"}
		}
		site, err := kit.Site(p.cfg, c.Query("site"))
		if err != nil {
			return err
		}
		file := report.FileName(lang, report.View{Kind: reportKind(quarterly), Period: report.PeriodName(year, quarter)}, site.ID, "pdf")
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(data)
	}
}

// pdfLink is the report page's "Last ned PDF": the address, or why there is none.
func (p *Pages) pdfLink(lang i18n.Lang, base, query string) (link, note string) {
	if p.printer.renderer.Available() != nil {
		return "", lang.T("report.pdf_missing")
	}
	return base + "/pdf" + query, ""
}

// Printer is the pages' printer.
func (p *Pages) Printer() *Printer { return p.printer }

// Available is nil when reports can be printed (a Chromium was found); otherwise the error says
// how to provide one.
func (p *Printer) Available() error { return p.renderer.Available() }

// QuarterlyPDF prints the quarterly report of the first configured site in lang, as the
// dashboard's page shows it (the published report where the quarter is published).
func (p *Printer) QuarterlyPDF(ctx context.Context, year, quarter int, lang i18n.Lang) ([]byte, error) {
	path := "/rapporter/kvartal/" + report.PeriodName(year, quarter) + "?" + url.Values{"lang": {string(lang)}}.Encode()
	data, err := p.print(ctx, path, "rekkevidde")
	if err != nil {
		return nil, fmt.Errorf("quarterly report PDF: %w", err)
	}
	return data, nil
}
