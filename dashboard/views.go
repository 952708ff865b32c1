package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// templateFS holds the layout and one template per page, as Miniflux keeps its views.
//
//go:embed templates/*.html
var templateFS embed.FS

// views are the parsed pages, each a clone of the layout with its own "title" and "content".
type views struct {
	pages map[string]*template.Template
}

// partialsFile holds the blocks every page may use (partials.go); it is no page itself.
const partialsFile = "partials.html"

// loadViews parses templates/layout.html and the partials together with every other
// templates/*.html; a page is rendered by its file name without extension ("visitors").
func loadViews(fsys fs.FS, a *assets) (*views, error) {
	funcs := template.FuncMap{
		// t translates a catalogue key: {{t $.Lang "visitors.title"}}.
		"t": func(l i18n.Lang, key string, args ...any) string { return l.T(key, args...) },
		// num formats a count with the language's thousands separator.
		"num": func(l i18n.Lang, n uint64) string { return l.Count(n) },
		// deref reads an optional figure that the template has already checked for nil.
		"deref": func(p *uint64) uint64 { return *p },
		// quarter names a quarter: "1. kvartal" / "Q1".
		"quarter": func(l i18n.Lang, q int) string { return l.Quarter(q) },
		// asset is the checksummed URL of an embedded static file.
		"asset": a.URL,
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/"+partialsFile)
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: %w", err)
	}
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: %w", err)
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, name := range names {
		if b := path.Base(name); b == "layout.html" || b == partialsFile {
			continue
		}
		page, err := template.Must(base.Clone()).ParseFS(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("dashboard templates: %w", err)
		}
		v.pages[strings.TrimSuffix(path.Base(name), ".html")] = page
	}
	return v, nil
}

// render executes a page into memory first, so a template error becomes a clean error page
// instead of half a page with a 200 status.
func (v *views) render(page string, data any) ([]byte, error) {
	t, ok := v.pages[page]
	if !ok {
		return nil, fmt.Errorf("render %s: no such template", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// layout is what the shared layout needs from every page.
type layout struct {
	Lang      i18n.Lang
	Nonce     string
	Title     string
	Languages []languageLink
	// Scripts are external scripts (same origin) loaded at the end of <body>, before InlineScripts.
	Scripts       []string
	InlineScripts []template.JS
	// Account is the signed-in person (nil on the sign-in pages); see auth.go.
	Account *account
}

type languageLink struct {
	Lang    i18n.Lang
	Name    string
	URL     string
	Current bool
}

func (h *handler) layout(c *fiber.Ctx, lang i18n.Lang, title string) layout {
	l := layout{Lang: lang, Nonce: nonceOf(c), Title: title, Account: accountOf(c, lang)}
	if renderingForCache(c) && l.Account != nil {
		// Filled in per request as the cached page is sent (pagecache.go).
		l.Nonce, l.Account.CSRF, l.Account.Name = h.ph.nonce, h.ph.csrf, h.ph.name
	}
	// Switching language keeps the rest of the query (year, site), so the reader stays on the same view.
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	for _, other := range i18n.Supported() {
		q.Set("lang", string(other))
		l.Languages = append(l.Languages, languageLink{
			Lang: other, Name: other.Name(), URL: c.Path() + "?" + q.Encode(), Current: other == lang,
		})
	}
	return l
}

// sendPage renders page with data as an HTML response. Pages carry a per-request nonce and live
// figures, so they are never cached.
func (h *handler) sendPage(c *fiber.Ctx, page string, data any) error {
	body, err := h.views.render(page, data)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
