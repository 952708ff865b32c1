package pages

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// chartView is a rendered chart ready for the templates: the container is ours (so it can carry
// an accessible label and be sized by CSS instead of an inline style), the script is go-echarts'.
type chartView struct {
	ID     string
	Label  string
	Script template.JS
	// Assets are the chart's script URLs (ECharts itself), all on this origin.
	Assets []string
	// PrintWidth and PrintHeight are the chart's printed size where it is not the full 180 mm
	// width (print.js draws it at that size; style.css's print rules give its box the same).
	PrintWidth, PrintHeight string
}

// snippetChart is what every go-echarts chart type offers after its options are set.
type snippetChart interface {
	RenderSnippet() render.ChartSnippet
	GetAssets() opts.Assets
	Accept(charts.ConfigurationVisitor)
}

// canvasTooltips has ECharts draw every tooltip on the chart's canvas (renderMode "richText")
// rather than as HTML: ECharts writes its HTML tooltips with style attributes, which the CSP
// refuses (middleware.go). go-echarts' Tooltip has no field for the mode, so this visitor, the
// library's hook for options it does not model, adds it.
type canvasTooltips struct {
	charts.BaseConfigurationVisitor
}

func (canvasTooltips) VisitTooltipOpt(t opts.Tooltip) any {
	return struct {
		opts.Tooltip
		RenderMode string `json:"renderMode"`
	}{t, "richText"}
}

// jsIdentifier: go-echarts turns ChartID into `let goecharts_<ID>`, so anything else is a syntax error.
var jsIdentifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// renderChart renders a freshly built chart (go-echarts mutates a chart while rendering it, so one
// must never be rendered twice or shared between requests) into a chartView.
func renderChart(c snippetChart, id, label, assetsDir string) (*chartView, error) {
	if !jsIdentifier.MatchString(id) {
		return nil, fmt.Errorf("chart id %q is not a JavaScript identifier", id)
	}
	c.Accept(canvasTooltips{})
	snippet := c.RenderSnippet()
	script, err := scriptBody(snippet.Script)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", id, err)
	}
	view := &chartView{ID: id, Label: label, Script: template.JS(script)}
	for _, src := range c.GetAssets().JSAssets.Values {
		// A theme or map file would otherwise be fetched from go-echarts' CDN, or be missing.
		if !strings.HasPrefix(src, assetsDir) {
			return nil, fmt.Errorf("chart %s wants script %q, which is not served from %s", id, src, assetsDir)
		}
		view.Assets = append(view.Assets, src)
	}
	if n := len(c.GetAssets().CSSAssets.Values) + len(c.GetAssets().CustomizedJSAssets.Values) +
		len(c.GetAssets().CustomizedCSSAssets.Values) + len(c.GetAssets().CustomizedHeaders.Values); n > 0 {
		return nil, fmt.Errorf("chart %s wants %d extra assets, which the layout does not emit", id, n)
	}
	return view, nil
}

const (
	scriptOpen  = `<script type="text/javascript">`
	scriptClose = `</script>`
)

// scriptEscaper makes the script safe inside an HTML <script> element. go-echarts writes the
// options as JSON without HTML escaping, so a title such as "</script><script>…" would end the
// element early. Outside JSON strings the script holds only go-echarts' fixed setup code and our
// JS functions, which contain none of these characters (jsNumberFormat is written that way, and
// TestChartScriptEscapesData checks it); inside strings \u003c is simply "<" again.
var scriptEscaper = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`)

// scriptBody strips go-echarts' <script> wrapper, so the template can write its own tag carrying
// the CSP nonce, and escapes what is left.
func scriptBody(script string) (string, error) {
	s := strings.TrimSpace(script)
	if !strings.HasPrefix(s, scriptOpen) || !strings.HasSuffix(s, scriptClose) {
		return "", fmt.Errorf("unexpected go-echarts script snippet (library changed?): %.60q", s)
	}
	body := strings.TrimSpace(s[len(scriptOpen) : len(s)-len(scriptClose)])
	return scriptEscaper.Replace(body), nil
}

// chartText cleans text that goes into chart options. go-echarts marks JavaScript functions by
// wrapping a string in "__f__" and strips those markers (and the quotes) from the whole output, so
// a label holding the marker would turn into code.
func chartText(s string) string {
	return strings.ReplaceAll(s, "__f__", "_ _f_ _")
}

// jsNumberFormat returns JavaScript that formats the number held in variable v as i18n.Lang.Number
// does ("10 234" in bokmål, "10,234" in English): Intl groups with commas for en-US, which are then
// swapped for the language's separator. go-echarts JSON-encodes function source, so it must not
// contain double quotes or backslashes, and scriptEscaper requires no <, > or &.
func jsNumberFormat(lang i18n.Lang, v string) string {
	return fmt.Sprintf("new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(%s).split(',').join('%s')",
		v, lang.GroupSeparator())
}

// jsValueFormatter formats an axis or tooltip value; a missing value ("-" in ECharts) shows as "–".
func jsValueFormatter(lang i18n.Lang) types.FuncStr {
	return opts.FuncOpts(fmt.Sprintf("function (v) { return typeof v === 'number' ? %s : '–'; }", jsNumberFormat(lang, "v")))
}

// jsLabelFormatter formats a bar's value label; a missing value gets no label.
func jsLabelFormatter(lang i18n.Lang) string {
	return string(opts.FuncOpts(fmt.Sprintf("function (p) { return typeof p.value === 'number' ? %s : ''; }", jsNumberFormat(lang, "p.value"))))
}

// jsResize keeps the chart as wide as its container when the window (or the phone) turns.
const jsResize = "window.addEventListener('resize', function () { %MY_ECHARTS%.resize(); });"

// missing is ECharts' marker for an absent data point: no bar, and "-" handed to formatters.
const missing = "-"
