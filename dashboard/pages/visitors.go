package pages

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// "Besøkende per kvartal", the annual report's chart: the first figure of /nettsted (web.go).

// visitorsChartID names the chart's container and JS variable; it must be a JS identifier.
const visitorsChartID = "visitors_per_quarter"

// Okabe–Ito blue and orange: tell apart with every common colour-vision deficiency and in greyscale.
const (
	colourTotal  = "#0072B2"
	colourUnique = "#E69F00"
)

// echartsFile is the vendored ECharts build, relative to kit's static/; go-echarts asks for it by this name.
const echartsFile = "echarts/echarts.min.js"

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
