package kit

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

// Views are the parsed pages, each a clone of the layout with its own "title" and "content".
type Views struct {
	pages map[string]*template.Template
}

// partialsFile holds the blocks every page may use (partials.go); it is no page itself.
const partialsFile = "partials.html"

// LoadViews parses templates/layout.html and the partials together with every other
// templates/*.html; a page is rendered by its file name without extension ("visitors").
func LoadViews(a *Assets) (*Views, error) {
	fsys := templateFS
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
	v := &Views{pages: map[string]*template.Template{}}
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

// Render executes a page into memory first, so a template error becomes a clean error page
// instead of half a page with a 200 status.
func (v *Views) Render(page string, data any) ([]byte, error) {
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

// Layout is what the shared layout needs from every page; every page's data embeds it.
type Layout struct {
	Lang      i18n.Lang
	Nonce     string
	Title     string
	Languages []LanguageLink
	// Scripts are external scripts (same origin) loaded at the end of <body>, before InlineScripts.
	Scripts       []string
	InlineScripts []template.JS
	// Account is the signed-in person (nil on the sign-in pages).
	Account *Account
	// MainNav and AdminNav are the server's menus for this page (the main navigation; the
	// editors' and admins' menu), filled in by whoever builds the layout.
	MainNav, AdminNav []NavLink
}

// NavLink is one entry of a menu.
type NavLink struct {
	URL, Label string
	Current    bool
}

// LanguageLink is the same page in another language.
type LanguageLink struct {
	Lang    i18n.Lang
	Name    string
	URL     string
	Current bool
}

// NewLayout is the layout of a page titled title in lang. A page rendered for the cache gets ph's
// placeholders for its per-person parts, filled in per request as the cached page is sent.
func NewLayout(c *fiber.Ctx, lang i18n.Lang, title string, ph Placeholders) Layout {
	l := Layout{Lang: lang, Nonce: NonceOf(c), Title: title, Account: AccountOf(c, lang)}
	if RenderingForCache(c) && l.Account != nil {
		l.Nonce, l.Account.CSRF, l.Account.Name = ph.Nonce, ph.CSRF, ph.Name
	}
	// Switching language keeps the rest of the query (year, site), so the reader stays on the same view.
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	for _, other := range i18n.Supported() {
		q.Set("lang", string(other))
		l.Languages = append(l.Languages, LanguageLink{
			Lang: other, Name: other.Name(), URL: c.Path() + "?" + q.Encode(), Current: other == lang,
		})
	}
	return l
}
