package pages

import (
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

func TestCSVTable(t *testing.T) {
	frac := 0.4623
	build := func(l i18n.Lang) *table {
		tb := &table{Head: []column{{Label: "Navn"}, {Label: "Antall", Num: true}, {Label: "Andel", CSVLabel: "Andel (%)", Num: true}}}
		tb.Rows = [][]cell{
			{textCell("=1+1"), countCell(l, 10234), pctCell(l, &frac, 0, "")},
			{textCell("a;b\"c\nd"), missingCell("x"), intCell(l, -5)},
		}
		return tb
	}
	csvOf := func(tb *table, l i18n.Lang) string {
		b, err := tb.CSV(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// internal/export's rules: every cell starting with a formula character is escaped, numbers too.
	got := csvOf(build(i18n.NB), i18n.NB)
	want := "\ufeffNavn;Antall;Andel (%)\r\n'=1+1;10234;46,2\r\n\"a;b\"\"c\r\nd\";;'-5\r\n"
	if got != want {
		t.Errorf("CSV\n got %q\nwant %q", got, want)
	}
	if got := csvOf(build(i18n.EN), i18n.EN); !strings.Contains(got, "'=1+1,10234,46.2\r\n") || !strings.Contains(got, "\"a;b\"\"c\r\nd\",,'-5") {
		t.Errorf("English CSV %q", got)
	}
	if !strings.HasPrefix(csvOf(build(i18n.EN), i18n.EN), "\xEF\xBB\xBF") {
		t.Error("no BOM bytes")
	}
}

func TestFormatting(t *testing.T) {
	nb, en := i18n.NB, i18n.EN
	for _, c := range []struct{ got, want string }{
		{decimal(nb, 10234.5, 1), "10 234,5"}, {decimal(en, 10234.5, 1), "10,234.5"}, {decimal(nb, -0.04, 1), "0,0"},
		{percent(nb, 0.204, 1), "20,4 %"}, {percent(en, 0.204, 1), "20.4%"},
		{kit.ShortDate(nb, time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)), "01.03.2022"},
		{spanName(nb, days.MonthSpan(2022, time.March)), "mars 2022"},
		{spanName(nb, days.QuarterSpan(2022, 1)), "1. kvartal 2022"}, {spanName(en, days.QuarterSpan(2022, 1)), "Q1 2022"},
		{spanName(nb, days.MonthSpan(2023, time.March).Clip(time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC))), "mars 2023 til og med 15.03.2023"},
		{changeText(nb, metrics.MustLookup(metrics.WebVisits), metrics.MustLookup(metrics.WebVisits).Compare(fptr(9068), fptr(10234))), "−11 %"},
		{changeText(nb, metrics.MustLookup(metrics.NewsletterClickRate), metrics.MustLookup(metrics.NewsletterClickRate).Compare(fptr(0.204), fptr(0.187))), "+1,7 prosentpoeng"},
		{changeText(en, metrics.MustLookup(metrics.WebVisits), metrics.MustLookup(metrics.WebVisits).Compare(fptr(5), fptr(0))), "+5"},
		{bucketLabel(nb, days.Week, days.Bucket{Start: time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)}, false), "uke 1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// A year starting on a Saturday begins in ISO week 52: weekly labels then need the year.
	if !labelsNeedYear(days.YearSpan(2022), days.Week) || labelsNeedYear(days.QuarterSpan(2022, 2), days.Week) {
		t.Error("labelsNeedYear for weeks")
	}
}

func TestSparklineBreaksAtGaps(t *testing.T) {
	pts := []query.KPIPoint{{Value: fptr(1)}, {Value: fptr(2)}, {}, {Value: fptr(3)}, {Value: fptr(4)}}
	svg := string(sparkline(pts))
	if strings.Count(svg, "M") != 2 || !strings.Contains(svg, `aria-hidden="true"`) {
		t.Errorf("sparkline %s", svg)
	}
	if sparkline(pts[:1]) != "" {
		t.Error("a single point draws a line")
	}
}

// Our JavaScript goes into the chart scripts as code: scriptEscaper would turn <, > and & into
// \u escapes (a syntax error there), and go-echarts JSON-encodes it, which breaks on " and \.
func TestOurJavaScriptSurvivesEscaping(t *testing.T) {
	for _, l := range i18n.Supported() {
		for _, js := range []string{string(jsPercentFormatter(l)), string(jsValueFormatter(l)), jsLabelFormatter(l),
			jsDonutLabel(" %"), jsCategoryHead(), jsNumberFormat(l, "v")} {
			if strings.ContainsAny(js, "<>&\"\\") {
				t.Errorf("%s: %s", l, js)
			}
		}
	}
}

func ptr(v uint64) *uint64 { return &v }
