// Package pages is the dashboard's figures: the overview, the topic pages (web, social media,
// newsletter, events) with a CSV of every table, and the reports (page, CSV, XLSX, JSON, PDF,
// publishing). The server (package dashboard) builds it with New and lists its handlers in its
// routes table; pages imports none of the server. Reports live here rather than in a package of
// their own because they draw with the same chart kit, tables, formats, period discovery and page
// cache as the pages.
package pages

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// Deps is what the pages and reports need from the server.
type Deps struct {
	// Queries reads the figures.
	Queries *query.Queries
	Config  config.Config
	Log     *slog.Logger
	// Render lays every page out with the server's menus; its Lang is the configured language.
	Render *kit.Renderer
	Assets *kit.Assets
	// Store is where reports are published; nil answers 503 there.
	Store *store.Store
	// Sources is the sources pages' state, which the overview's freshness strip shows too.
	Sources *admin.Sources
	// Collections tells which sources are being collected (part of a cached page's key); may be nil.
	Collections kit.Collections
	// Cache and DataVersion cache rendered pages and discovery answers (pagecache.go); nil computes
	// every page afresh.
	Cache       *cache.Cache
	DataVersion func() uint64
	// PDF prints the reports (pdf.go).
	PDF *pdf.Renderer
}

// Pages holds what every page and report handler shares; it is built once and read-only
// afterwards (but for the printer's keys, which it guards itself).
type Pages struct {
	queries     *query.Queries
	cfg         config.Config
	log         *slog.Logger
	defaultLang i18n.Lang
	render      *kit.Renderer
	assets      *kit.Assets
	store       *store.Store
	sources     *admin.Sources
	collections kit.Collections
	cache       *cache.Cache
	version     func() uint64
	printer     *Printer
	loc         *time.Location
	now         func() time.Time
	targets     []query.Target
	topics      []*topic
}

// New builds the pages. It refuses a target that names an unknown KPI: serve calls
// ValidateTargets first to report that as a configuration error; this is the backstop.
func New(d Deps) (*Pages, error) {
	targets, err := ValidateTargets(d.Config.Targets)
	if err != nil {
		return nil, err
	}
	p := &Pages{queries: d.Queries, cfg: d.Config, log: d.Log, defaultLang: d.Render.Lang, render: d.Render,
		assets: d.Assets, store: d.Store, sources: d.Sources, collections: d.Collections, cache: d.Cache,
		version: d.DataVersion, printer: newPrinter(d.PDF), loc: kit.Zone(d.Config), now: time.Now, targets: targets}
	p.topics = []*topic{webTopic(), socialTopic(), newsletterTopic(), eventsTopic()}
	return p, nil
}

// topic is a page of figures about one channel.
type topic struct {
	path string // "/nettsted"
	key  string // catalogue prefix: "web" → "web.title", "web.intro"
	// file is the CSV and PNG file name prefix ("nettsted").
	file    string
	figures []figureDef
	// timeCharts says the page has time charts, so the picker offers the grain.
	timeCharts bool
	// markers are the kinds of annotation the page's time charts show: what can move its figures.
	markers []query.AnnotationKind
	// actions are links above the figures (the events entry form, when it exists).
	actions func(p *Pages, r *request) []actionLink
}

// figureDef builds one figure of a topic page. withChart is false for a CSV download, which needs
// only the table.
type figureDef struct {
	slug  string // "kanaler" → /nettsted/kanaler.csv; also the figure's anchor
	build func(p *Pages, r *request, withChart bool) (*figure, error)
}

// figure is one chart with its table, CSV link and notes.
type figure struct {
	// Lang is the page's language (the figure template translates its own labels).
	Lang  i18n.Lang
	ID    string // HTML id (the slug)
	Title string
	// Intro is the figure's definition: what is counted and how.
	Intro string
	Chart *chartView
	// ChartClass sizes the chart: "chart", or "chart chart-side" for a small chart beside its table.
	ChartClass string
	Table      *table
	// Collapsed tables (long daily series) sit in a <details> the reader can open.
	Collapsed bool
	CSV       string
	Notes     []string
	Sources   []sourceNote
	// cites are the datasets Sources will name (figure.cite).
	cites []query.ProvenanceSet
	// Empty, when set, replaces chart and table: there is nothing to show.
	Empty string
}

// topicView is the data of the topic and overview pages.
type topicView struct {
	kit.Layout
	Heading string
	Intro   string
	Picker  pickerView
	// Showing says which period the page shows and what it is compared with.
	Showing   string
	Comparing string
	Figures   []*figure
	// Overview only.
	Overview *overviewView
	// Actions is where page actions go (the events entry form, later).
	Actions []actionLink
}

type actionLink struct {
	URL, Label string
}

func (p *Pages) topicPage(c *fiber.Ctx, t *topic) error {
	r, err := p.parseRequest(c)
	if err != nil {
		return err
	}
	view := topicView{
		Layout:  p.render.Layout(c, r.lang, r.lang.T(t.key+".title")),
		Heading: r.lang.T(t.key + ".title"),
		Intro:   r.lang.T(t.key + ".intro"),
		Picker:  p.picker(r, t.path, t.timeCharts),
	}
	view.Showing, view.Comparing = showing(r.lang, r.span), r.compareName()
	if t.actions != nil {
		view.Actions = t.actions(p, r)
	}
	r.markers = t.markers
	r.cover()
	// The figures read independent rows: build them side by side, a few at a time so one page
	// cannot take every ClickHouse connection.
	figs := make([]*figure, len(t.figures))
	g, _ := errgroup.WithContext(r.ctx)
	g.SetLimit(figureConcurrency)
	for i, f := range t.figures {
		g.Go(func() error {
			fig, err := f.build(p, r, true)
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.path, f.slug, err)
			}
			figs[i] = fig
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := p.citeSources(r, figs); err != nil {
		return fmt.Errorf("%s: %w", t.path, err)
	}
	for i, f := range t.figures {
		fig := figs[i]
		fig.ID, fig.Lang = f.slug, r.lang
		fig.CSV = r.link(t.path + "/" + f.slug + ".csv")
		view.Figures = append(view.Figures, fig)
		if fig.Chart != nil && fig.Empty == "" {
			view.Scripts = appendMissing(view.Scripts, fig.Chart.Assets...)
			view.InlineScripts = append(view.InlineScripts, fig.Chart.Script)
		}
	}
	return p.render.Send(c, "dashboard", view)
}

// Route is a page's address and handler, for the server's routes table.
type Route struct {
	Path    string
	Handler fiber.Handler
}

// Topics are the topic pages (/nettsted, …), each followed by its figures' CSV downloads
// (<page>/<slug>.csv, taking the page's parameters).
func (p *Pages) Topics() []Route {
	var out []Route
	for _, t := range p.topics {
		out = append(out, Route{t.path, func(c *fiber.Ctx) error { return p.topicPage(c, t) }})
		for _, f := range t.figures {
			out = append(out, Route{t.path + "/" + f.slug + ".csv", func(c *fiber.Ctx) error { return p.figureCSV(c, t, f) }})
		}
	}
	return out
}

// figureConcurrency bounds how many of a page's figures are built at once.
const figureConcurrency = 4

// figureCSV answers <page>/<slug>.csv with the figure's table.
func (p *Pages) figureCSV(c *fiber.Ctx, t *topic, f figureDef) error {
	r, err := p.parseRequest(c)
	if err != nil {
		return err
	}
	r.markers = t.markers
	fig, err := f.build(p, r, false)
	if err != nil {
		return fmt.Errorf("%s %s.csv: %w", t.path, f.slug, err)
	}
	if fig.Table == nil {
		fig.Table = &table{}
	}
	return sendCSV(c, r, export.FileName("csv", t.file, f.slug, spanFileName(r.span)), fig.Table)
}

// sendCSV answers with a table as a CSV attachment (see table.CSV for the format).
func sendCSV(c *fiber.Ctx, r *request, name string, t *table) error {
	body, err := t.CSV(r.lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

// spanFileName is the span in a file name: 2022-03, 2022-q1, 2022, 2022-03-01_2022-03-10.
func spanFileName(s days.Span) string {
	switch s.Kind {
	case days.Month:
		return s.From.Format("2006-01")
	case days.Quarter:
		return fmt.Sprintf("%d-q%d", s.From.Year(), s.Quarter())
	case days.Year:
		return s.From.Format("2006")
	}
	return s.From.Format(time.DateOnly) + "_" + s.End.Format(time.DateOnly)
}

// appendMissing appends the items list does not hold yet (ECharts is loaded once per page).
func appendMissing(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// renderFigureChart renders a freshly built chart for a figure.
func (p *Pages) renderFigureChart(c snippetChart, id, label string) (*chartView, error) {
	return renderChart(c, id, label, p.assets.Dir(echartsFile))
}

// chartIDOf turns a figure slug into a JavaScript identifier ("nye-folgere" → "fig_nye_folgere").
func chartIDOf(slug string) string {
	b := []byte("fig_" + slug)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
