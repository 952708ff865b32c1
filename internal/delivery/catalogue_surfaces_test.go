package delivery

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/report"
)

// The quarterly e-mail shows every catalogue figure of the report as the report does: its HTML
// part and its plain-text part as the report page formats it, its CSV attachment as the report's
// CSV writes it, partial figures labelled in the attachment's source column. The figures are
// those of the builder the read API and the report pages use (report.Builder.QuarterlyView);
// dashboard's TestCatalogueFiguresAgreeOnEveryReportSurface compares those surfaces with the API.
// A running quarter is never mailed: Due names only a quarter that has ended (TestDue).
func TestEmailShowsEveryCatalogueFigureAsTheReport(t *testing.T) {
	f := newFixture(t)
	f.clock.set(time.Date(2022, 10, 5, 8, 0, 0, 0, f.opts.Location))
	check(t, f.deliverer(t), Sent)
	msgs := f.smtp.received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	msg := parseMessage(t, msgs[0].Data)
	view, err := f.opts.Reports.QuarterlyView(context.Background(), 2022, 3)
	if err != nil {
		t.Fatal(err)
	}
	q, ok := view.Shown().(*report.Quarterly)
	if !ok {
		t.Fatalf("shown report %T", view.Shown())
	}
	kpis := map[string]report.KPI{}
	for _, k := range q.KPIs {
		kpis[k.Name] = k
	}
	rows := emailRows(t, msg.html)
	nb := i18n.NB
	checked := 0
	for _, m := range metrics.ReportKPIs() {
		k, ok := kpis[string(m.Name)]
		if !ok {
			t.Errorf("the 2022-Q3 report lacks %s", m.Name)
			continue
		}
		label := report.KPILabel(nb, string(m.Name))
		figs := map[int]report.Figure{0: k.Current, 1: k.Previous, 3: *k.YearEarlier}
		unit := report.UnitCount
		if m.Percent() {
			unit = report.UnitShare
		}
		cells, ok := rows[label]
		if !ok {
			t.Errorf("the HTML part has no row %q (%s)", label, m.Name)
			continue
		}
		text := plainRow(t, msg.text, label)
		attached := csvRow(t, msg.csv, string(m.Name))
		partial := false
		for col, fig := range figs {
			checked++
			want := report.FormatValue(nb, unit, fig.Value, fig.Qualifier)
			if col >= len(cells) || cells[col] != want {
				t.Errorf("HTML %s column %d: %q, want %q", m.Name, col, cells, want)
			}
			if col >= len(text) || text[col] != want {
				t.Errorf("plain text %s column %d: %q, want %q", m.Name, col, text, want)
			}
			if got, want := attached[col+1], csvText(m, fig); got != want {
				t.Errorf("CSV %s column %d: %q, want %q", m.Name, col, got, want)
			}
			partial = partial || (fig.Partial && fig.Known())
		}
		if got := strings.Contains(attached[len(attached)-1], nb.T("report.source.partial")); got != partial {
			t.Errorf("CSV %s: labelled partial %v, want %v (%q)", m.Name, got, partial, attached)
		}
	}
	if checked < 30 {
		t.Errorf("only %d cells compared", checked)
	}
}

// csvText is a figure as the report's CSV writes it in bokmål: plain, rounded as shown.
func csvText(m metrics.Metric, f report.Figure) string {
	switch {
	case f.Value == nil:
		return ""
	case m.Percent():
		return strings.Replace(strconv.FormatFloat(math.Round(*f.Value*1000)/10, 'f', 1, 64), ".", ",", 1) + " %"
	}
	return strings.Replace(strconv.FormatFloat(math.Round(*f.Value*10000)/10000, 'f', -1, 64), ".", ",", 1)
}

// emailRows are the HTML part's table rows by their header: the cells' text.
func emailRows(t *testing.T, body string) map[string][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			header, cells := "", []string(nil)
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				switch {
				case c.Type != html.ElementNode:
				case c.Data == "th":
					header = strings.TrimSpace(text(c))
				case c.Data == "td":
					cells = append(cells, strings.TrimSpace(text(c)))
				}
			}
			if header != "" && cells != nil {
				out[header] = cells
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// plainRow is the plain-text part's line for a row, "- Header | Column: text | …", as its texts.
func plainRow(t *testing.T, body, header string) []string {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, "- "+header+" | ")
		if !ok {
			continue
		}
		var out []string
		for _, part := range strings.Split(rest, " | ") {
			_, v, _ := strings.Cut(part, ": ")
			out = append(out, v)
		}
		return out
	}
	t.Errorf("the plain-text part has no line for %q", header)
	return nil
}
