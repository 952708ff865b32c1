package dashboard

import (
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// visitorsChartID names the chart's container and JS variable; it must be a JS identifier.
const visitorsChartID = "visitors_per_quarter"

// Okabe–Ito blue and orange: tell apart with every common colour-vision deficiency and in greyscale.
const (
	colourTotal  = "#0072B2"
	colourUnique = "#E69F00"
)

type visitorsPage struct {
	layout
	Site   config.Site
	Sites  []config.Site
	Year   int
	Years  []int
	Empty  bool
	Rows   []query.QuarterVisitors
	Chart  *chartView
	Caveat bool // some quarter lacks the provider's unique figure
	Gaps   bool // fewer than four quarters have figures
}

// visitorsPage shows "Besøkende per kvartal": visits and unique visitors per quarter for one site
// and year, as a chart and as the same numbers in a table.
func (h *handler) visitorsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	lang := langOf(c, h.defaultLang)
	if h.queries == nil {
		return errors.New("visitors page: dashboard started without a query layer (Deps.Queries)")
	}
	site, err := h.site(c.Query("site"))
	if err != nil {
		return err
	}
	years, err := h.queries.YearsWithWebTraffic(ctx, site.ID)
	if err != nil {
		return fmt.Errorf("visitors page: %w", err)
	}
	page := visitorsPage{
		layout: h.layout(c, lang, lang.T("visitors.title")),
		Site:   site,
		Sites:  h.cfg.Sites,
		Years:  years,
	}
	year, err := pickYear(c.Query("year"), years, site, lang)
	if err != nil {
		return err
	}
	if len(years) == 0 {
		page.Empty = true
		return h.sendPage(c, "visitors", page)
	}
	page.Year = year

	rows, err := h.queries.QuarterlyVisitors(ctx, site.ID, year)
	if err != nil {
		return fmt.Errorf("visitors page: %w", err)
	}
	page.Rows = rows
	page.Gaps = len(rows) < 4
	for _, r := range rows {
		if r.UniqueVisitors == nil {
			page.Caveat = true
		}
	}
	if len(rows) == 0 {
		// Defensive: a year listed by YearsWithWebTraffic always has quarters, but an empty chart
		// would be worse than the empty state.
		page.Empty = true
		return h.sendPage(c, "visitors", page)
	}
	echartsDir := h.assets.Dir(echartsFile)
	chart, err := renderChart(visitorsChart(lang, site, year, rows, echartsDir),
		visitorsChartID, lang.T("visitors.chart_label", site.Name, year), echartsDir)
	if err != nil {
		return fmt.Errorf("visitors page: %w", err)
	}
	page.Chart = chart
	page.Scripts = chart.Assets
	page.InlineScripts = []template.JS{chart.Script}
	return h.sendPage(c, "visitors", page)
}

// echartsFile is the vendored ECharts build, relative to static/; go-echarts asks for it by this name.
const echartsFile = "echarts/echarts.min.js"

// site resolves ?site= against the configured sites; empty means the first one.
func (h *handler) site(id string) (config.Site, error) {
	if len(h.cfg.Sites) == 0 {
		return config.Site{}, errors.New("visitors page: " + i18n.EN.T("error.no_sites"))
	}
	if id == "" {
		return h.cfg.Sites[0], nil
	}
	for _, s := range h.cfg.Sites {
		if s.ID == id {
			return s, nil
		}
	}
	return config.Site{}, badRequest("error.unknown_site", clip(id), strings.Join(h.cfg.SiteIDs(), ", "))
}

// pickYear resolves ?year= against the years that have figures; empty means the newest. With no
// figures at all any well-formed year is accepted, so the page can show its empty state.
func pickYear(raw string, years []int, site config.Site, lang i18n.Lang) (int, error) {
	if raw == "" {
		if len(years) == 0 {
			return 0, nil
		}
		return years[0], nil // newest first
	}
	year, err := strconv.Atoi(raw)
	if err != nil || year < 1900 || year > 9999 {
		return 0, badRequest("error.bad_year", clip(raw))
	}
	if len(years) > 0 && !slices.Contains(years, year) {
		list := make([]string, len(years))
		for i, y := range years {
			list[i] = strconv.Itoa(y)
		}
		return 0, badRequest("error.no_data_year", site.Name, year, strings.Join(list, ", "))
	}
	return year, nil
}

// visitorsChart builds the bar chart. It is built anew for every request: go-echarts mutates a
// chart while rendering it.
func visitorsChart(lang i18n.Lang, site config.Site, year int, rows []query.QuarterVisitors, assetsDir string) *charts.Bar {
	quarters := make([]string, len(rows))
	total := make([]opts.BarData, len(rows))
	unique := make([]opts.BarData, len(rows))
	for i, r := range rows {
		quarters[i] = chartText(lang.Quarter(r.Quarter))
		total[i] = opts.BarData{Value: r.Visits}
		unique[i] = opts.BarData{Value: missing}
		if r.UniqueVisitors != nil {
			unique[i] = opts.BarData{Value: *r.UniqueVisitors}
		}
	}
	value := jsValueFormatter(lang)
	label := charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top", FontSize: 11, Formatter: jsLabelFormatter(lang)})

	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{
			ChartID:    visitorsChartID,
			AssetsHost: assetsDir,
			Theme:      "white",
			Renderer:   "canvas",
		}),
		charts.WithColorsOpts(opts.Colors{colourTotal, colourUnique}),
		charts.WithTitleOpts(opts.Title{
			Title: chartText(lang.T("visitors.subtitle", site.Name, year)),
			Left:  "0",
			TitleStyle: &opts.TextStyle{
				FontSize: 14, FontWeight: "normal", Color: "#444",
			},
		}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: value}),
		charts.WithToolboxOpts(opts.Toolbox{
			Show:  opts.Bool(true),
			Right: "0",
			Feature: &opts.ToolBoxFeature{SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{
				Show:  opts.Bool(true),
				Type:  "png",
				Name:  chartText(lang.T("visitors.filename", site.ID, year)),
				Title: chartText(lang.T("chart.save_image")),
			}},
		}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "8", Top: "48", Bottom: "40", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{AxisTick: &opts.AxisTick{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{AxisLabel: &opts.AxisLabel{Formatter: value}}),
	)
	bar.AddJSFuncStrs(jsResize)
	bar.SetXAxis(quarters).
		AddSeries(chartText(lang.T("visitors.total")), total, label).
		AddSeries(chartText(lang.T("visitors.unique")), unique, label)
	return bar
}
