package pages

import (
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

func TestChartScriptEscapesData(t *testing.T) {
	site := config.Site{ID: "x", Name: `</script><script>alert(1)</script> & __f__alert(2)__f__ "q"`}
	rows := []query.QuarterVisitors{{Quarter: 1, Visits: 10234, UniqueVisitors: ptr(8001)}, {Quarter: 2, Visits: 9068}}
	view, err := renderChart(visitorsChart(i18n.NB, site, 2022, rows, "/static/abc/echarts/"), visitorsChartID, "label", "/static/abc/echarts/")
	if err != nil {
		t.Fatal(err)
	}
	script := string(view.Script)
	for _, bad := range []string{"<", ">", "&", "alert(2)__", `"__f__`, "__f__\""} {
		if strings.Contains(script, bad) {
			t.Errorf("script contains %q:\n%s", bad, script)
		}
	}
	// The title survives as data, escaped for JavaScript, and the marker no longer reads as one.
	if !strings.Contains(script, `"text":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e \u0026 _ _f_ _alert(2)_ _f_ _ \"q\", 2022"`) {
		t.Errorf("title not found as an escaped JSON string:\n%s", script)
	}
	// Our formatters are code, not strings, and intact.
	for _, want := range []string{
		`"valueFormatter":function (v) { return typeof v === 'number' ? new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(v).split(',').join(' ') : '–'; }`,
		`"formatter":function (p) { return typeof p.value === 'number' ?`,
		`let goecharts_visitors_per_quarter = echarts.init(document.getElementById('visitors_per_quarter')`,
		`window.addEventListener('resize', function () { goecharts_visitors_per_quarter.resize(); });`,
		`"saveAsImage":{"show":true,"type":"png","name":"besokende-per-kvartal-x-2022","title":"Lagre som bilde"}`,
		// Tooltips on the canvas: HTML ones carry style attributes, which the CSP refuses.
		`"renderMode":"richText"`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %s\n%s", want, script)
		}
	}
	if len(view.Assets) != 1 || view.Assets[0] != "/static/abc/echarts/echarts.min.js" {
		t.Errorf("assets = %q", view.Assets)
	}
}

func TestChartsAreBuiltFreshPerRender(t *testing.T) {
	rows := []query.QuarterVisitors{{Quarter: 1, Visits: 1}}
	render := func() *chartView {
		v, err := renderChart(visitorsChart(i18n.EN, config.Site{ID: "s", Name: "s"}, 2022, rows, "/static/a/echarts/"), visitorsChartID, "", "/static/a/echarts/")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first, second := render(), render()
	if first.Script != second.Script || len(second.Assets) != 1 {
		t.Errorf("two renders differ:\n%s\n%s\nassets %q", first.Script, second.Script, second.Assets)
	}
}

func TestRenderChartRefusesBadIDsAndForeignAssets(t *testing.T) {
	rows := []query.QuarterVisitors{{Quarter: 1, Visits: 1}}
	bar := visitorsChart(i18n.NB, config.Site{ID: "s", Name: "s"}, 2022, rows, "/static/a/echarts/")
	if _, err := renderChart(bar, "visitors-per-quarter", "", "/static/a/echarts/"); err == nil {
		t.Error("a chart id with '-' was accepted")
	}
	bar = visitorsChart(i18n.NB, config.Site{ID: "s", Name: "s"}, 2022, rows, "https://cdn.example/")
	if _, err := renderChart(bar, visitorsChartID, "", "/static/a/echarts/"); err == nil {
		t.Error("an ECharts URL on another host was accepted")
	}
}

func TestScriptBodyRejectsAnUnexpectedSnippet(t *testing.T) {
	if _, err := scriptBody(`<script>let a = 1;</script>`); err == nil {
		t.Error("a snippet without go-echarts' wrapper was accepted")
	}
}
