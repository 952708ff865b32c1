package pages

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// The charts of the topic pages share one look: the title inside the chart (so a saved PNG says
// what it shows), the legend below, a toolbox to save the chart as PNG, and values formatted in
// the reader's language. Colours are the Okabe–Ito palette, which stays distinguishable with every
// common colour-vision deficiency; visitors.go uses its first two.
func palette() []string {
	return []string{colourTotal, colourUnique, "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}
}

// platformColour follows the palette too (not the brands' blues, which people cannot tell apart).
func platformColour(platform string) (string, bool) {
	switch platform {
	case "facebook":
		return "#0072B2", true
	case "instagram":
		return "#CC79A7", true
	case "linkedin":
		return "#009E73", true
	}
	return "", false
}

// chartSpec is what every chart needs besides its data.
type chartSpec struct {
	lang      i18n.Lang
	id        string // JS identifier
	title     string // shown in the chart and in the saved PNG
	subtitle  string // what and when, under the title: "innomed.no, 1. kvartal 2022"
	filename  string // saved PNG's name, without extension
	assetsDir string
	// percent formats values as percentages (the data are percent, 0–100).
	percent bool
	// level charts (followers, subscribers) let the y axis start near the data instead of at 0,
	// or a year of growth is a flat line.
	level bool
	// named categories (kinds, sectors, platforms) are few and must all be read: every label is
	// shown, broken over lines where a phone has no room, instead of ECharts dropping some.
	named   bool
	colours []string
}

// jsPercentFormatter formats a value that is already in percent ("20,4 %" / "20.4%").
func jsPercentFormatter(lang i18n.Lang) types.FuncStr {
	suffix := " %"
	if lang == i18n.EN {
		suffix = "%"
	}
	return opts.FuncOpts(fmt.Sprintf("function (v) { return typeof v === 'number' ? v.toFixed(1).split('.').join('%s') + '%s' : '–'; }",
		decimalMark(lang), suffix))
}

func (s chartSpec) valueFormatter() types.FuncStr {
	if s.percent {
		return jsPercentFormatter(s.lang)
	}
	return jsValueFormatter(s.lang)
}

// globals are the options every chart gets.
func (s chartSpec) globals(extra ...charts.GlobalOpts) []charts.GlobalOpts {
	colours := s.colours
	if len(colours) == 0 {
		colours = palette()
	}
	g := []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: s.id, AssetsHost: s.assetsDir, Theme: "white", Renderer: "canvas"}),
		charts.WithColorsOpts(opts.Colors(colours)),
		charts.WithTitleOpts(opts.Title{Title: chartText(s.title), Subtitle: chartText(s.subtitle), Left: "0",
			TitleStyle:    &opts.TextStyle{FontSize: 14, FontWeight: "normal", Color: "#444"},
			SubtitleStyle: &opts.TextStyle{FontSize: 12, Color: "#666"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "0",
			Feature: &opts.ToolBoxFeature{SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{
				Show: opts.Bool(true), Type: "png", Name: chartText(s.filename), Title: chartText(s.lang.T("chart.save_image")),
			}}}),
	}
	return append(g, extra...)
}

// axisGlobals add a category x axis and a value y axis.
func (s chartSpec) axisGlobals() []charts.GlobalOpts {
	return s.globals(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", ValueFormatter: s.valueFormatter()}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "8", Top: "64", Bottom: "40", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(s.xAxis()),
		charts.WithYAxisOpts(s.yAxis()),
	)
}

func (s chartSpec) yAxis() opts.YAxis {
	y := opts.YAxis{Scale: opts.Bool(s.level), AxisLabel: &opts.AxisLabel{Formatter: s.valueFormatter()}}
	if !s.percent {
		y.MinInterval = 1 // counts: no tick at 1.5 that would print as "2"
	}
	return y
}

func (s chartSpec) xAxis() opts.XAxis {
	x := opts.XAxis{AxisTick: &opts.AxisTick{Show: opts.Bool(false)}}
	if s.named {
		// No LineHeight here: go-echarts writes it as a string, which ECharts misreads and collapses
		// the plot; newBar sets it as a number once the chart exists.
		x.AxisLabel = &opts.AxisLabel{Interval: "0", Width: 76, Overflow: "break", FontSize: 11}
	}
	return x
}

// jsFitLegend keeps the legend below the plot clear of the x axis: a legend that wraps onto more
// rows (a phone, a small printed chart, many series) gets the room under the plot, estimated from
// the series' names at the chart's width, again whenever the chart is resized (the window turns,
// print.js redraws it for paper and dispatches "chartresize"). A legend item is its icon, a gap of
// 5, its text (about 0.56 em a letter) and the gap to the next. Like every script here it avoids
// <, > and &, which the script escaper would break, and // comments: the script is joined into
// one line.
const jsFitLegend = `(function (c) {
  var fit = function () {
    var o = c.getOption(), room = c.getWidth() - 16, rows = 1, x = 0;
    var legend = o.legend ? o.legend[0] : null;
    if (!legend) { return; }
    var font = (legend.textStyle || {}).fontSize || 12, icon = legend.itemWidth || 25, gap = legend.itemGap || 10;
    (o.series || []).forEach(function (s) {
      var w = icon + 5 + String(s.name || '').length * font * 0.56 + gap;
      if (x !== 0) { if (Math.max(x + w - room, 0) !== 0) { rows++; x = 0; } }
      x += w;
    });
    var bottom = Number(c.__fitBottom) || 40;
    c.setOption({ grid: { bottom: bottom + 24 * (rows - 1) } });
  };
  c.__fitBottom = (c.getOption().grid || [{}])[0].bottom;
  fit();
  window.addEventListener('resize', fit);
  c.getDom().addEventListener('chartresize', fit);
})(%MY_ECHARTS%);`

// jsFitNamedLabels breaks named categories at the width each has on the axis (the plot less about
// 80 px of value axis and margins, shared out), between 40 and 96 px, whenever the chart is sized:
// "Sosiale medier" beside "Via link" in a chart printed 84 mm wide must not run into it.
const jsFitNamedLabels = `(function (c) {
  var fit = function () {
    var o = c.getOption(), n = ((o.xAxis || [{}])[0].data || []).length;
    if (n === 0) { return; }
    var w = Math.floor((c.getWidth() - 80) / n) - 6;
    c.setOption({ xAxis: { axisLabel: { width: Math.max(Math.min(w, 96), 40) } } });
  };
  fit();
  window.addEventListener('resize', fit);
  c.getDom().addEventListener('chartresize', fit);
})(%MY_ECHARTS%);`

// jsEdgeLabels keeps a time axis's last label inside the chart: it is centred on its point, so a
// date like 13.12.2022 needs about half its width to the right of the plot.
const jsEdgeLabels = "%MY_ECHARTS%.setOption({ grid: { right: 32 } });"

// newLine returns a line chart over the labels; add series with lineSeries.
func (s chartSpec) newLine(labels []string) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(s.axisGlobals()...)
	c.AddJSFuncStrs(jsResize, jsEdgeLabels, jsFitLegend)
	clean := make([]string, len(labels))
	for i, l := range labels {
		clean[i] = chartText(l)
	}
	c.SetXAxis(clean)
	return c
}

// newBar returns a bar chart over the labels.
func (s chartSpec) newBar(labels []string) *charts.Bar {
	c := charts.NewBar()
	c.SetGlobalOptions(s.axisGlobals()...)
	c.AddJSFuncStrs(jsResize, jsFitLegend)
	if s.named { // wrapped category labels need a numeric line height (see xAxis)
		c.AddJSFuncStrs("%MY_ECHARTS%.setOption({ xAxis: { axisLabel: { lineHeight: 14 } } });", jsFitNamedLabels)
	}
	clean := make([]string, len(labels))
	for i, l := range labels {
		clean[i] = chartText(l)
	}
	c.SetXAxis(clean)
	return c
}

// lineData turns optional values into points; a nil value is ECharts' empty value, so the line
// breaks there: gaps are shown, never bridged (connectNulls is false on every line).
func lineData(values []*float64) []opts.LineData {
	return chartData(values, func(v any) opts.LineData { return opts.LineData{Value: v} })
}

// barData is lineData for bars: a nil value is an empty bar.
func barData(values []*float64) []opts.BarData {
	return chartData(values, func(v any) opts.BarData { return opts.BarData{Value: v} })
}

// chartData turns optional values into go-echarts data items made by item; nil is ECharts' empty
// value.
func chartData[T any](values []*float64, item func(v any) T) []T {
	out := make([]T, len(values))
	for i, v := range values {
		if v == nil {
			out[i] = item(missing)
		} else {
			out[i] = item(*v)
		}
	}
	return out
}

// lineOpts are a line series' options: no bridging of gaps, points shown when there are few
// enough to see (a lone point between two gaps must stay visible).
// A dashed series (the comparison, a provider's own rate) has triangles for points: where it runs
// on or near the solid one, its points still show.
func lineOpts(points int, dashed bool) []charts.SeriesOpts {
	lc := opts.LineChart{
		ConnectNulls: opts.Bool(false),
		ShowSymbol:   opts.Bool(points <= 120),
		SymbolSize:   5,
	}
	if dashed {
		lc.Symbol, lc.SymbolSize = "triangle", 8
	}
	o := []charts.SeriesOpts{charts.WithLineChartOpts(lc)}
	if dashed {
		o = append(o, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Width: 1.5}))
	}
	return o
}

// jsDonutLabel writes a slice's share, or nothing under 5 %. Like every function here it avoids
// <, > and & (scriptEscaper would break them) and double quotes and backslashes (go-echarts
// JSON-encodes function source): Math.floor(p.percent / 5) is 0 exactly below 5 %.
func jsDonutLabel(pct string) string {
	return fmt.Sprintf("function (p) { return Math.floor(p.percent / 5) ? Math.round(p.percent) + '%s' : ''; }", pct)
}

// jsCategoryHead shows only the part of a category label before campaignLabelSep (the date of a
// send or an event; the tooltip shows all of it).
func jsCategoryHead() string {
	return "function (v) { return String(v).split('" + campaignLabelSep + "')[0]; }"
}

// newDonut is a ring chart of shares with a label per slice.
func (s chartSpec) newDonut(names []string, values []uint64) *charts.Pie {
	c := charts.NewPie()
	pct := " %"
	if s.lang == i18n.EN {
		pct = "%"
	}
	c.SetGlobalOptions(s.globals(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", ValueFormatter: jsValueFormatter(s.lang)}),
	)...)
	c.AddJSFuncStrs(jsResize)
	data := make([]opts.PieData, len(names))
	for i := range names {
		data[i] = opts.PieData{Name: chartText(names[i]), Value: values[i]}
	}
	// Shares are written inside the ring (names are in the legend and the table), so labels never
	// run off a phone's screen; slices under 5 % are too thin to hold one.
	c.AddSeries(chartText(s.title), data,
		charts.WithPieChartOpts(opts.PieChart{Radius: []string{"36%", "62%"}, Center: []string{"50%", "46%"}}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "inside", Color: "#ffffff", FontWeight: "bold",
			Formatter: string(opts.FuncOpts(jsDonutLabel(pct)))}),
	)
	return c
}

// annotationColour gives each kind of marker its own colour; the table under the page lists them.
func annotationColour(k query.AnnotationKind) string {
	switch k {
	case query.AnnotationEvent:
		return "#D55E00"
	case query.AnnotationNewsletter:
		return "#0072B2"
	case query.AnnotationPublication:
		return "#009E73"
	}
	return "#555555"
}

// markLineItem is one vertical annotation line on a category axis, placed by the point's label.
type markLineItem struct {
	Name      string          `json:"name"`
	XAxis     string          `json:"xAxis"`
	LineStyle *opts.LineStyle `json:"lineStyle,omitempty"`
	// Label is the line's own short label: how many things it marks.
	Label *opts.Label `json:"label,omitempty"`
}

// maxTitlesPerMark keeps a marker's label readable when many things happened in one bucket.
const maxTitlesPerMark = 4

// maxMarks is the most marker lines a chart draws: beyond it, markers are merged by week, then by
// month, so a year of daily followers with ~25 newsletters, events and notes stays readable.
const maxMarks = 12

// markedLine draws a figure's line chart: series adds the lines, the request's markers go on over
// buckets (grain g) and the chart is rendered into f.Chart.
func (p *Pages) markedLine(r *request, f *figure, spec chartSpec, labels []string, g days.Kind, buckets []days.Bucket, series func(c *charts.Line)) error {
	anns, err := r.annotations(p)
	if err != nil {
		return err
	}
	c := spec.newLine(labels)
	series(c)
	addAnnotations(c, r.lang, anns, g, buckets, labels)
	f.Chart, err = p.renderFigureChart(c, spec.id, r.lang.T("chart.label_table", f.Title))
	return err
}

// addAnnotations draws the annotations on a time chart as a series of their own, "Markeringer" in
// the legend, so a click there hides or shows them all. Annotations in one chart point are one
// line; when there would be more than maxMarks lines, those in one week (then one month) are.
// Each line carries how many things it marks; pointed at, it names them. The series has no data,
// so the axis tooltip does not list it. Titles come from sources and users: chartText cleans them,
// and scriptBody escapes the whole script for HTML.
func addAnnotations(c *charts.Line, lang i18n.Lang, anns []query.Annotation, g days.Kind, buckets []days.Bucket, labels []string) {
	index := map[string]int{}
	for i, b := range buckets {
		index[days.BucketStart(g, b.Start).Format(time.DateOnly)] = i
	}
	type group struct {
		at     int // the chart point the line stands on: the group's first
		titles []string
		kinds  map[query.AnnotationKind]bool
	}
	grouped := func(key func(i int, a query.Annotation) string) []*group {
		byKey := map[string]*group{}
		var out []*group
		for _, a := range anns {
			i, ok := index[days.BucketStart(g, a.Day).Format(time.DateOnly)]
			if !ok {
				continue
			}
			k := key(i, a)
			gr := byKey[k]
			if gr == nil {
				gr = &group{at: i, kinds: map[query.AnnotationKind]bool{}}
				byKey[k] = gr
				out = append(out, gr)
			}
			gr.at = min(gr.at, i)
			gr.titles = append(gr.titles, lang.T("annotation.kind."+string(a.Kind))+": "+a.Title)
			gr.kinds[a.Kind] = true
		}
		return out
	}
	groups := grouped(func(i int, _ query.Annotation) string { return strconv.Itoa(i) })
	for _, coarser := range []days.Kind{days.Week, days.Month} {
		if len(groups) <= maxMarks || !finerThan(g, coarser) {
			continue
		}
		groups = grouped(func(_ int, a query.Annotation) string { return days.BucketStart(coarser, a.Day).Format(time.DateOnly) })
	}
	if len(groups) == 0 {
		return
	}
	var items []any
	for _, gr := range groups {
		titles := gr.titles
		if len(titles) > maxTitlesPerMark {
			titles = append(titles[:maxTitlesPerMark:maxTitlesPerMark], lang.T("annotation.more", len(gr.titles)-maxTitlesPerMark))
		}
		colour := "#777777"
		if len(gr.kinds) == 1 {
			for k := range gr.kinds {
				colour = annotationColour(k)
			}
		}
		items = append(items, markLineItem{
			Name:      chartText(strings.Join(titles, "\n")),
			XAxis:     chartText(labels[gr.at]),
			LineStyle: &opts.LineStyle{Color: colour, Type: "dashed", Width: 1},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: strconv.Itoa(len(gr.titles)), Position: "end", FontSize: 10, Color: colour},
		})
	}
	c.AddSeries(chartText(lang.T("annotation.legend")), []opts.LineData{},
		charts.WithLineStyleOpts(opts.LineStyle{Color: "#777777", Type: "dashed", Width: 1}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#777777"}),
		charts.WithSeriesOpts(func(s *charts.SingleSeries) {
			s.MarkLines = &opts.MarkLines{Data: items, MarkLineStyle: opts.MarkLineStyle{
				Symbol: []string{"none", "none"},
				// The titles are long; they show when the line is pointed at.
				Emphasis: &opts.Emphasis{Label: &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", BackgroundColor: "#ffffff"}},
			}}
		}))
}

// finerThan tells whether chart points of kind g are finer than coarser (day < week < month).
func finerThan(g, coarser days.Kind) bool {
	rank := map[days.Kind]int{days.Day: 0, days.Week: 1, days.Month: 2, days.Quarter: 3, days.Year: 4}
	rg, ok := rank[g]
	return ok && rg < rank[coarser]
}
