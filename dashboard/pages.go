package dashboard

import (
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// pages holds what every page handler shares; it is built once and read-only afterwards.
type pages struct {
	h       *handler
	loc     *time.Location
	now     func() time.Time
	targets []query.Target
	topics  []*topic
}

func newPages(h *handler) (*pages, error) {
	targets, err := ValidateTargets(h.cfg.Targets)
	if err != nil {
		return nil, err
	}
	loc := h.cfg.Location()
	if loc == nil {
		// A Config that did not go through config.Load (tests): load the zone it names.
		if loc, err = time.LoadLocation(h.cfg.Timezone); err != nil {
			return nil, fmt.Errorf("dashboard: time zone %q: %w", h.cfg.Timezone, err)
		}
	}
	p := &pages{h: h, loc: loc, now: time.Now, targets: targets}
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
	actions func(p *pages, r *request) []actionLink
}

// figureDef builds one figure of a topic page. withChart is false for a CSV download, which needs
// only the table.
type figureDef struct {
	slug  string // "kanaler" → /nettsted/kanaler.csv; also the figure's anchor
	build func(p *pages, r *request, withChart bool) (*figure, error)
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

func (p *pages) topicPage(c *fiber.Ctx, t *topic) error {
	r, err := p.parseRequest(c)
	if err != nil {
		return err
	}
	view := topicView{
		Layout:  p.h.layout(c, r.lang, r.lang.T(t.key+".title")),
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
	return p.h.sendPage(c, "dashboard", view)
}

// figureConcurrency bounds how many of a page's figures are built at once.
const figureConcurrency = 4

// figureCSV answers <page>/<slug>.csv with the figure's table.
func (p *pages) figureCSV(c *fiber.Ctx, t *topic, f figureDef) error {
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
func (p *pages) renderFigureChart(c snippetChart, id, label string) (*chartView, error) {
	return renderChart(c, id, label, p.h.assets.Dir(echartsFile))
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
