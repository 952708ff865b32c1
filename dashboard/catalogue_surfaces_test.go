package dashboard

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// Every catalogue figure the reports show has one value on every surface of a report: the page
// (HTML), its CSV, XLSX and JSON downloads, and the read API's JSON and CSV, cell by cell, each
// written by its surface's rule, for the year 2022, the quarter 2022-Q3 and a quarter still being
// collected (2024-Q1: traffic for its first 45 days, unique visitors fetched mid-quarter). A
// figure of the running quarter is absent everywhere or labelled partial everywhere. The e-mail
// renders the same tables (internal/delivery, TestEmailShowsEveryCatalogueFigureAsTheReport);
// TestEveryKPIAgreesAcrossSurfaces ties the reports to the overview and the API's series.
func TestCatalogueFiguresAgreeOnEveryReportSurface(t *testing.T) {
	st, _, fetch := demoApp(t)
	collectRunningQuarter(t, st)
	api := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	nb := i18n.NB
	for _, c := range []struct {
		name, page, api string
		annual          bool
	}{
		{"2022", "/rapporter/ar/2022", "/api/v1/reports/annual/2022", true},
		{"2022-Q3", "/rapporter/kvartal/2022-Q3", "/api/v1/reports/quarterly/2022-Q3", false},
		{"2024-Q1 running", "/rapporter/kvartal/2024-Q1", "/api/v1/reports/quarterly/2024-Q1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The read API's JSON is the reference; every other surface must show what it says.
			ref := decodeReport(t, c.api, apiGet(t, api, c.api+"?lang=nb", token))
			kpis := map[string]report.KPI{}
			for _, k := range ref.doc.KPIs {
				kpis[k.Name] = k
			}
			if c.name == "2022" || c.name == "2022-Q3" {
				for _, m := range metrics.ReportKPIs() {
					if _, ok := kpis[string(m.Name)]; !ok {
						t.Errorf("%s: the report lacks %s", c.api, m.Name)
					}
				}
			}
			if strings.HasPrefix(c.name, "2024") {
				// The running quarter: its unique visitors were fetched before it ended, so they are
				// no figure; its visits cover 45 of 91 days, so they are partial.
				if v := kpis[string(metrics.WebUniqueVisitors)].Current; v.Known() {
					t.Errorf("running quarter's unique visitors = %v, want none", *v.Value)
				}
				if v := kpis[string(metrics.WebVisits)].Current; !v.Known() || !v.Partial {
					t.Errorf("running quarter's visits %+v, want a value marked partial", v)
				}
				// The overview and the API's series show the same values with the same labels.
				overviewAgrees(t, fetch("/?period=quarter&year=2024&quarter=1&lang=nb"), kpis)
				overviewCSVAgrees(t, fetch("/oversikt.csv?period=quarter&year=2024&quarter=1&lang=nb"), kpis)
				seriesAgree(t, api, token, kpis)
			}

			// The JSON download holds the same figures as the API.
			download := decodeReport(t, c.page+"/json", fetch(c.page+"/json"))
			for _, k := range download.doc.KPIs {
				if want := kpis[k.Name]; !sameCompared(k.Compared, want.Compared) {
					t.Errorf("%s/json %s: %+v, API %+v", c.page, k.Name, k.Compared, want.Compared)
				}
			}
			if len(download.doc.KPIs) != len(ref.doc.KPIs) {
				t.Errorf("%s/json has %d KPIs, the API %d", c.page, len(download.doc.KPIs), len(ref.doc.KPIs))
			}

			titles := ref.titles(t, nb)
			page := fetch(c.page)
			if page.status != 200 {
				t.Fatalf("%s: %d\n%s", c.page, page.status, page.body)
			}
			surfaces := []struct {
				name  string
				cells surfaceCells
			}{
				{"page", htmlCells(t, page.body)},
				{"csv", csvCells(t, fetch(c.page+"/csv").body, titles)},
				{"api csv", csvCells(t, apiGet(t, api, c.api+"?format=csv&lang=nb", token).body, titles)},
				{"xlsx", xlsxCells(t, fetch(c.page+"/xlsx").body, titles)},
			}
			type placed struct {
				m metrics.Metric
				place
			}
			var all []placed
			// The downloads say "delvis periode" once per row, in its source column.
			rowPartial := map[[2]string]bool{}
			for _, m := range metrics.ReportKPIs() {
				if k, ok := kpis[string(m.Name)]; ok {
					for _, w := range placesOf(nb, m, k, ref.doc, c.annual) {
						all = append(all, placed{m, w})
						rowPartial[[2]string{w.table, w.row}] = rowPartial[[2]string{w.table, w.row}] || (w.fig.Partial && w.fig.Known())
					}
				}
			}
			checked := 0
			for _, p := range all {
				m, w := p.m, p.place
				{
					checked++
					for _, s := range surfaces {
						got, found := s.cells[cellRef{w.table, w.row, w.col}]
						if w.absent {
							if found {
								t.Errorf("%s %s: a row for %s, which has no figure for any period: %+v", s.name, m.Name, w.row, got)
							}
							continue
						}
						if !found {
							t.Errorf("%s %s: no cell %s / %s / %d", s.name, m.Name, w.table, w.row, w.col)
							continue
						}
						if want := expectedText(nb, s.name, m, w.fig); !sameText(s.name, got.text, want) {
							t.Errorf("%s %s (%s, column %d): %q, want %q", s.name, m.Name, w.row, w.col, got.text, want)
						}
						want := w.fig.Partial
						if s.name != "page" {
							want = rowPartial[[2]string{w.table, w.row}]
						}
						if got.partial != want {
							t.Errorf("%s %s (%s, column %d): labelled partial %v, want %v (API: %v)", s.name, m.Name, w.row, w.col, got.partial, want, w.fig.Partial)
						}
					}
				}
			}
			if checked < 10 {
				t.Errorf("only %d cells compared: the test would prove little", checked)
			}
		})
	}
}

// reportFigures are the report's three figures of a KPI by the first day of their period.
func reportFigures(k report.KPI) map[string]report.Figure {
	out := map[string]report.Figure{"2024-01-01": k.Current, "2023-10-01": k.Previous}
	if k.YearEarlier != nil {
		out["2023-01-01"] = *k.YearEarlier
	}
	return out
}

// shownNumber reads a figure as the overview writes it ("10 234", "46,2 %", "512 (delvis)",
// "480 (sist målt 3. feb.)"); ok is false for "–".
func shownNumber(text string) (float64, bool) {
	text, _, _ = strings.Cut(text, " (")
	text = strings.NewReplacer("%", "", " ", "", "\u00a0", "", "\u202f", "", ",", ".", "−", "-").Replace(text)
	v, err := strconv.ParseFloat(text, 64)
	return v, err == nil
}

// asShown is a report figure rounded as the overview shows it: a count whole, a rate in percent
// with one decimal.
func asShown(m metrics.Metric, v float64) float64 {
	if m.Percent() {
		return math.Round(v*1000) / 10
	}
	return math.Round(v)
}

// overviewAgrees checks the overview of the running 2024-Q1 against the report's figures, KPI by
// KPI: every card and every cell of the table ("Alle nøkkeltall": this quarter, the one before,
// the same quarter a year before) shows the report's value, labelled partial where the report's
// figure is; a figure the report lacks is "–", and the quarter's unique visitors say why. The
// overview reads collected figures only, so imported ones are not compared (none here).
func overviewAgrees(t *testing.T, r response, kpis map[string]report.KPI) {
	t.Helper()
	nb := i18n.NB
	if r.status != 200 {
		t.Fatalf("overview 2024-Q1: %d\n%.500s", r.status, r.body)
	}
	doc, err := html.Parse(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	type shown struct {
		text, missing string
		partial, mark bool
	}
	cards := map[string]shown{} // by title
	table := map[cellRef]shown{}
	var walk func(n *html.Node, inTable bool)
	walk = func(n *html.Node, inTable bool) {
		switch {
		case n.Type != html.ElementNode:
		case n.Data == "li" && attr(n, "class") == "card":
			var title string
			var c shown
			var each func(x *html.Node)
			each = func(x *html.Node) {
				if x.Type == html.ElementNode {
					switch {
					case x.Data == "h3":
						title = strings.TrimSpace(textOf(x))
					case attr(x, "class") == "card-value":
						c.text = strings.TrimSpace(textOf(x.FirstChild))
					case attr(x, "class") == "card-missing":
						c.missing = strings.TrimSpace(textOf(x))
					case attr(x, "class") == "card-partial":
						c.partial = strings.TrimSpace(textOf(x)) == nb.T("report.legend_partial")
					}
				}
				for y := x.FirstChild; y != nil; y = y.NextSibling {
					each(y)
				}
			}
			each(n)
			cards[title] = c
			return
		case n.Data == "section" && attr(n, "id") == "nokkeltall":
			inTable = true
		case n.Data == "tr" && inTable:
			rowCells(n, func(header string, col int, c *html.Node) {
				sc := shown{text: strings.TrimSpace(textOf(c)), partial: hasClass(c, "partial")}
				sc.mark = strings.Contains(sc.text, "("+nb.T("report.marker_partial")+")")
				if hasClass(c, "missing") {
					sc.text = "–"
					for x := c.FirstChild; x != nil; x = x.NextSibling {
						if x.Type == html.ElementNode && attr(x, "class") == "visually-hidden" {
							sc.missing = textOf(x)
						}
					}
				}
				table[cellRef{"kpis", header, col}] = sc
			})
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inTable)
		}
	}
	walk(doc, false)

	running := nb.T("kpi.unknown.running")
	same := func(where string, m metrics.Metric, got shown, want report.Figure) {
		t.Helper()
		if want.Origin == report.Imported {
			return
		}
		if !want.Known() {
			if got.text != "–" {
				t.Errorf("%s %s: %q, the report has no figure", where, m.Name, got.text)
			}
			return
		}
		if v, ok := shownNumber(got.text); !ok || v != asShown(m, *want.Value) {
			t.Errorf("%s %s: %q, the report %v", where, m.Name, got.text, *want.Value)
		}
		if got.partial != want.Partial {
			t.Errorf("%s %s: labelled partial %v, the report %v", where, m.Name, got.partial, want.Partial)
		}
	}
	checked, partial := 0, 0
	for _, kpi := range overviewCardKPIs() {
		m := metrics.MustLookup(kpi)
		c, ok := cards[kpiTitle(nb, kpi)]
		if !ok {
			t.Errorf("overview: no card for %s", m.Name)
			continue
		}
		k := kpis[string(m.Name)]
		same("card", m, c, k.Current)
		if m.Name == metrics.WebUniqueVisitors && (c.text != "–" || c.missing != running) {
			t.Errorf("card %s of the running quarter: %q (%q), want – (%q)", m.Name, c.text, c.missing, running)
		}
		checked++
	}
	for _, m := range metrics.OverviewKPIs() {
		k, ok := kpis[string(m.Name)]
		if !ok {
			continue
		}
		for col, start := range map[int]string{0: "2024-01-01", 1: "2023-10-01", 3: "2023-01-01"} {
			want := reportFigures(k)[start]
			got, ok := table[cellRef{"kpis", kpiTitle(nb, m.Name), col}]
			if !ok {
				t.Errorf("overview table: no cell for %s, column %d", m.Name, col)
				continue
			}
			same("table", m, got, want)
			if got.partial != got.mark {
				t.Errorf("table %s column %d: class partial %v but the words %q", m.Name, col, got.partial, got.text)
			}
			if want.Partial {
				partial++
			}
			checked++
		}
		if m.Name == metrics.WebUniqueVisitors {
			if got := table[cellRef{"kpis", kpiTitle(nb, m.Name), 0}]; got.missing != running {
				t.Errorf("table %s of the running quarter: missing %q, want %q", m.Name, got.missing, running)
			}
		}
	}
	if partial == 0 || checked < 20 {
		t.Errorf("overview: %d figures compared, %d partial: the test would prove little", checked, partial)
	}
}

// overviewCSVAgrees checks /oversikt.csv of the running 2024-Q1 as overviewAgrees checks the
// page: each KPI's row holds the report's value for this quarter, the one before and a year
// before, and its note column says "delvis" for exactly the values the report marks partial.
func overviewCSVAgrees(t *testing.T, r response, kpis map[string]report.KPI) {
	t.Helper()
	nb := i18n.NB
	rows := csvRows(t, r, ';')
	if len(rows) < 2 {
		t.Fatalf("oversikt.csv: %d rows", len(rows))
	}
	head := rows[0]
	if head[len(head)-1] != nb.T("table.note") {
		t.Fatalf("oversikt.csv of a running quarter: last column %q, want the note column", head[len(head)-1])
	}
	byKPI := map[string][]string{}
	for _, row := range rows[1:] {
		// The first cell is "Besøk (web.visits)".
		if _, name, ok := strings.Cut(row[0], " ("); ok {
			byKPI[strings.TrimSuffix(name, ")")] = row
		}
	}
	checked, partial := 0, 0
	for _, m := range metrics.OverviewKPIs() {
		k, ok := kpis[string(m.Name)]
		if !ok {
			continue
		}
		row, ok := byKPI[string(m.Name)]
		if !ok {
			t.Errorf("oversikt.csv: no row for %s", m.Name)
			continue
		}
		note := row[len(row)-1]
		for col, start := range map[int]string{1: "2024-01-01", 2: "2023-10-01", 4: "2023-01-01"} {
			want := reportFigures(k)[start]
			if want.Origin == report.Imported {
				continue
			}
			got := row[col]
			if !want.Known() {
				if got != "" {
					t.Errorf("oversikt.csv %s column %d: %q, the report has no figure", m.Name, col, got)
				}
				continue
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(got, "'"), ",", "."), 64)
			if err != nil || math.Round(v*10)/10 != asShown(m, *want.Value) {
				t.Errorf("oversikt.csv %s column %d: %q, the report %v", m.Name, col, got, *want.Value)
			}
			said := strings.Contains(note, head[col]+": "+nb.T("report.marker_partial"))
			if said != want.Partial {
				t.Errorf("oversikt.csv %s column %d: note %q says partial %v, the report %v", m.Name, col, note, said, want.Partial)
			}
			if want.Partial {
				partial++
			}
			checked++
		}
	}
	if partial == 0 || checked < 20 {
		t.Errorf("oversikt.csv: %d figures compared, %d partial: the test would prove little", checked, partial)
	}
}

// seriesAgree checks the read API's /kpis series, JSON and CSV, quarter by quarter over 2023-Q1 to
// the running 2024-Q1 against the report's figures: the same value, and `partial` exactly where the
// report says partial. Reach (per account) is no report KPI and is left out.
func seriesAgree(t *testing.T, app *fiber.App, token string, kpis map[string]report.KPI) {
	t.Helper()
	const target = "/api/v1/kpis?from=2023-01-01&to=2024-03-31&granularity=quarter"
	type point struct {
		value   *float64
		partial bool
	}
	got := map[string]map[string]map[string]point{"json": {}, "csv": {}} // surface → kpi → start
	r := apiGet(t, app, target, token)
	var body struct {
		Series []struct {
			KPI     string `json:"kpi"`
			Account string `json:"account"`
			Points  []struct {
				Start   string   `json:"start"`
				Value   *float64 `json:"value"`
				Partial bool     `json:"partial"`
			} `json:"points"`
		} `json:"series"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &body) != nil {
		t.Fatalf("%s: %d %.300s", target, r.status, r.body)
	}
	for _, s := range body.Series {
		if s.Account != "" {
			continue
		}
		got["json"][s.KPI] = map[string]point{}
		for _, p := range s.Points {
			got["json"][s.KPI][p.Start] = point{p.Value, p.Partial}
		}
	}
	r = apiGet(t, app, target+"&format=csv", token)
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff")))
	lines, err := cr.ReadAll()
	if r.status != 200 || err != nil || len(lines) < 2 || strings.Join(lines[0], ",") != "kpi,platform,account,start,end,full,value,measured_on,partial" {
		t.Fatalf("%s CSV: %d %v %.300s", target, r.status, err, r.body)
	}
	for _, l := range lines[1:] {
		if l[2] != "" {
			continue
		}
		if got["csv"][l[0]] == nil {
			got["csv"][l[0]] = map[string]point{}
		}
		var v *float64
		if l[6] != "" {
			x, err := strconv.ParseFloat(l[6], 64)
			if err != nil {
				t.Fatalf("CSV value %q: %v", l[6], err)
			}
			v = &x
		}
		got["csv"][l[0]][l[3]] = point{v, l[8] == "true"}
	}
	checked, partial := 0, 0
	for _, m := range metrics.ReportKPIs() {
		k, ok := kpis[string(m.Name)]
		if !ok || !m.On(metrics.API) {
			continue
		}
		for start, want := range reportFigures(k) {
			if want.Origin == report.Imported {
				continue
			}
			for _, surface := range []string{"json", "csv"} {
				p, ok := got[surface][string(m.Name)][start]
				switch {
				case !ok:
					t.Errorf("API %s: no point of %s for %s", surface, m.Name, start)
				case (p.value == nil) != !want.Known() || p.value != nil && math.Abs(*p.value-*want.Value) > 1e-9*math.Max(1, math.Abs(*want.Value)):
					t.Errorf("API %s %s %s: %v, the report %v", surface, m.Name, start, show(p.value), show(want.Value))
				case p.partial != want.Partial:
					t.Errorf("API %s %s %s: partial %v, the report %v", surface, m.Name, start, p.partial, want.Partial)
				}
				checked++
			}
			if want.Partial {
				partial++
			}
		}
	}
	if partial == 0 || checked < 30 {
		t.Errorf("API: %d points compared, %d partial: the test would prove little", checked, partial)
	}
}

// collectRunningQuarter stores 2024-Q1 as a collector part-way through it would: traffic for
// 1 January–14 February, and the quarter's unique visitors fetched on 15 February.
func collectRunningQuarter(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	fetched := uint64(time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC).UnixNano())
	var rows [][]any
	for d := days.Date(2024, 1, 1); d.Before(days.Date(2024, 2, 15)); d = d.AddDate(0, 0, 1) {
		rows = append(rows, []any{"innomed.no", d, "direct", "desktop", uint64(90), uint64(100), uint64(180), uint64(40), "test", fetched})
	}
	if err := st.Insert(ctx, "web_traffic_daily", []string{"site_id", "date", "channel", "device", "visitors", "sessions",
		"pageviews", "new_visitors", "source", "version"}, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "web_visitors_period", []string{"site_id", "period", "period_start", "period_end", "visitors",
		"new_visitors", "returning_visitors", "source", "version"},
		[][]any{{"innomed.no", "quarter", days.Date(2024, 1, 1), days.Date(2024, 3, 31), u64p(4000), u64p(3000), u64p(1000), "test", fetched}}); err != nil {
		t.Fatal(err)
	}
}

// reportDoc is what the surfaces' JSON says of a report: its KPIs and, for the annual report,
// the platforms in its social table's order.
type reportDoc struct {
	Year    int          `json:"year"`
	Quarter int          `json:"quarter"`
	KPIs    []report.KPI `json:"kpis"`
	Social  []struct {
		Platform string `json:"platform"`
	} `json:"social"`
}

type decodedReport struct {
	raw json.RawMessage
	doc reportDoc
}

func decodeReport(t *testing.T, what string, r response) decodedReport {
	t.Helper()
	var body struct {
		Report json.RawMessage `json:"report"`
	}
	var out decodedReport
	if r.status != 200 || json.Unmarshal([]byte(r.body), &body) != nil || json.Unmarshal(body.Report, &out.doc) != nil {
		t.Fatalf("%s: %d %.300s", what, r.status, r.body)
	}
	out.raw = body.Report
	return out
}

// titles are the report's table titles in lang by table id, to find the tables in the downloads.
func (d decodedReport) titles(t *testing.T, lang i18n.Lang) map[string]string {
	t.Helper()
	var tables []report.Table
	if d.doc.Quarter != 0 {
		var q report.Quarterly
		if err := json.Unmarshal(d.raw, &q); err != nil {
			t.Fatal(err)
		}
		tables = q.Tables(lang)
	} else {
		var a report.Annual
		if err := json.Unmarshal(d.raw, &a); err != nil {
			t.Fatal(err)
		}
		tables = a.Tables(lang)
	}
	out := map[string]string{}
	for _, tb := range tables {
		out[tb.Title] = tb.ID
	}
	return out
}

func sameCompared(a, b report.Compared) bool {
	same := func(x, y report.Figure) bool {
		return show(x.Value) == show(y.Value) && x.Partial == y.Partial && x.Origin == y.Origin && x.Qualifier == y.Qualifier
	}
	if !same(a.Current, b.Current) || !same(a.Previous, b.Previous) || (a.YearEarlier == nil) != (b.YearEarlier == nil) {
		return false
	}
	return a.YearEarlier == nil || same(*a.YearEarlier, *b.YearEarlier)
}

// cellRef is a cell by table id, row header and column (0 is the first cell after the header).
type cellRef struct {
	table, row string
	col        int
}

type shownCell struct {
	text    string
	partial bool
}

type surfaceCells map[cellRef]shownCell

// place is where a figure of the catalogue stands in a report's tables.
type place struct {
	table, row string
	col        int
	fig        report.Figure
	// absent: the quarterly table leaves out a KPI without a figure for any of its periods.
	absent bool
}

// placesOf knows where each catalogue figure is written: in the quarterly review's KPI table,
// and in the annual report's tables of visitors, new visitors, social media, newsletter and
// events. Figures the annual page does not show (pageviews, the last send's click rate,
// publications) are compared through the JSON only.
func placesOf(l i18n.Lang, m metrics.Metric, k report.KPI, doc reportDoc, annual bool) []place {
	if !annual {
		row := report.KPILabel(l, string(m.Name))
		absent := !k.Current.Known() && !k.Previous.Known() && (k.YearEarlier == nil || !k.YearEarlier.Known())
		out := []place{{table: "kpis", row: row, col: 0, fig: k.Current, absent: absent}, {table: "kpis", row: row, col: 1, fig: k.Previous, absent: absent}}
		if k.YearEarlier != nil {
			out = append(out, place{table: "kpis", row: row, col: 3, fig: *k.YearEarlier, absent: absent})
		}
		return out
	}
	both := func(table, row string, cur, prev int) []place {
		return []place{{table: table, row: row, col: cur, fig: k.Current}, {table: table, row: row, col: prev, fig: k.Previous}}
	}
	switch m.Name {
	case metrics.WebVisits:
		return both("visitors", l.T("report.whole_year"), 0, 2)
	case metrics.WebUniqueVisitors:
		return both("visitors", l.T("report.whole_year"), 1, 3)
	case metrics.WebNewShare:
		return both("new_returning", l.T("report.visitors.new"), 0, 1)
	case metrics.NewsletterSubscribers:
		return both("newsletter", l.T("report.newsletter.subscribers"), 0, 1)
	case metrics.NewsletterClickRate:
		return both("newsletter", l.T("report.newsletter.click_rate"), 0, 1)
	case metrics.EventsHeld:
		return []place{{table: "events_by_kind", row: l.T("report.total"), col: 0, fig: k.Current}}
	case metrics.EventAttendance:
		return []place{{table: "events_by_kind", row: l.T("report.total"), col: 1, fig: k.Current}}
	}
	if m.Platform == "" {
		return nil
	}
	kind := strings.TrimSuffix(strings.TrimPrefix(string(m.Name), "social."), "."+m.Platform)
	for i, p := range doc.Social {
		if p.Platform == m.Platform {
			return both("social", l.T("report.social."+kind), i, len(doc.Social)+i)
		}
	}
	return nil
}

// expectedText is a figure as a surface writes it: the page as the report formats it ("10 234",
// "46,2 %", "over 300"); the CSVs plainly, rounded as shown ("10234", "46,2 %"); the XLSX as the
// typed number.
func expectedText(l i18n.Lang, surface string, m metrics.Metric, f report.Figure) string {
	unit := report.UnitCount
	if m.Percent() {
		unit = report.UnitShare
	}
	switch surface {
	case "page":
		return report.FormatValue(l, unit, f.Value, f.Qualifier)
	case "xlsx":
		if f.Value == nil {
			return ""
		}
		return strconv.FormatFloat(*f.Value, 'g', -1, 64)
	}
	if f.Value == nil {
		return ""
	}
	if m.Percent() {
		return strings.Replace(strconv.FormatFloat(math.Round(*f.Value*1000)/10, 'f', 1, 64), ".", ",", 1) + " %"
	}
	return strings.Replace(strconv.FormatFloat(math.Round(*f.Value*10000)/10000, 'f', -1, 64), ".", ",", 1)
}

// sameText compares a surface's text with the expected one; XLSX numbers are compared as numbers.
func sameText(surface, got, want string) bool {
	if surface != "xlsx" || got == "" || want == "" {
		return got == want
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	return err1 == nil && err2 == nil && math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
}

// htmlCells reads the report page's tables: <div class="report-table" id="table-ID">, rows with a
// <th scope="row"> header, cells whose own text is the figure and whose class says "partial".
func htmlCells(t *testing.T, body string) surfaceCells {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := surfaceCells{}
	var walk func(n *html.Node, table string)
	walk = func(n *html.Node, table string) {
		if n.Type == html.ElementNode && n.Data == "div" {
			if id := attr(n, "id"); strings.HasPrefix(id, "table-") {
				table = strings.TrimPrefix(id, "table-")
				// The quarterly KPI table is shown split into the channels' sections
				// (report_doc.go: table-kpis-web, table-kpis-social, …).
				if strings.HasPrefix(table, "kpis-") {
					table = "kpis"
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "tr" && table != "" {
			rowCells(n, func(header string, col int, c *html.Node) {
				own := ""
				for x := c.FirstChild; x != nil; x = x.NextSibling {
					switch {
					case x.Type == html.TextNode:
						own += x.Data
					case x.Type == html.ElementNode && attr(x, "class") == "long":
						own += textOf(x) // a change in points, long on screen ("short" is for print)
					}
				}
				out[cellRef{table, header, col}] = shownCell{text: strings.TrimSpace(own), partial: hasClass(c, "partial")}
			})
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, table)
		}
	}
	walk(doc, "")
	return out
}

// rowCells calls cell for each <td> of a table row after its <th scope="row"> header, numbering
// them from 0.
func rowCells(tr *html.Node, cell func(header string, col int, td *html.Node)) {
	header, col := "", 0
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch {
		case c.Data == "th" && attr(c, "scope") == "row":
			header = strings.TrimSpace(textOf(c))
		case c.Data == "td" && header != "":
			cell(header, col, c)
			col++
		}
	}
}

// hasClass tells whether n's class attribute holds class.
func hasClass(n *html.Node, class string) bool {
	return strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

// csvCells reads a report CSV in bokmål: sections of a title line, a header line (whose last
// column is the source), rows and notes; a row's source names "delvis periode" when a figure of
// it covers part of its period.
func csvCells(t *testing.T, body string, titles map[string]string) surfaceCells {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma, r.FieldsPerRecord = ';', -1
	lines, err := r.ReadAll()
	if err != nil {
		t.Fatalf("report CSV: %v\n%s", err, body)
	}
	out := surfaceCells{}
	table, width := "", 0
	for i, line := range lines {
		if id, ok := titles[line[0]]; ok && len(line) == 1 && i+1 < len(lines) {
			table, width = id, len(lines[i+1])
			continue
		}
		if table == "" || len(line) != width || line[0] == "" {
			continue
		}
		partial := strings.Contains(line[width-1], i18n.NB.T("report.source.partial"))
		for col, v := range line[1 : width-1] {
			out[cellRef{table, line[0], col}] = shownCell{text: v, partial: partial}
		}
	}
	return out
}

// xlsxCells reads the report's workbook: one sheet per table, its title in A1, the header in row
// 2 (the last column the source), the rows from row 3; numbers are read raw, as typed.
func xlsxCells(t *testing.T, body string, titles map[string]string) surfaceCells {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("report XLSX: %v", err)
	}
	defer func() { _ = f.Close() }()
	out := surfaceCells{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 3 || len(rows[0]) == 0 {
			continue
		}
		table, ok := titles[rows[0][0]]
		if !ok {
			continue
		}
		width := len(rows[1])
		for _, row := range rows[2:] {
			if len(row) == 0 || row[0] == "" {
				continue
			}
			row = append(row, make([]string, width-min(width, len(row)))...)
			partial := strings.Contains(row[width-1], i18n.NB.T("report.source.partial"))
			for col, v := range row[1 : width-1] {
				out[cellRef{table, row[0], col}] = shownCell{text: v, partial: partial}
			}
		}
	}
	return out
}

// The read API's documentation lists exactly the catalogue's API series (metrics.APISeries),
// with `{a,b}` and `{platform}` standing for the platforms.
func TestOpenAPIListsTheCatalogue(t *testing.T) {
	row := regexp.MustCompile("(?m)^ *\\| `([a-z_.]+)(?:\\{([a-z,]+)\\})?` \\| (sum|level|rate|period) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(api.Spec(), -1) {
		platforms := []string{""}
		switch {
		case m[2] == "platform":
			platforms = metrics.Platforms()
		case m[2] != "":
			platforms = strings.Split(m[2], ",")
		}
		for _, p := range platforms {
			documented[m[1]+p] = m[3]
		}
	}
	for _, m := range metrics.APISeries() {
		if shape, ok := documented[string(m.Name)]; !ok || shape != string(m.Shape) {
			t.Errorf("openapi.yaml: %s documented with shape %q, want %q", m.Name, shape, m.Shape)
		}
		delete(documented, string(m.Name))
	}
	for name := range documented {
		t.Errorf("openapi.yaml documents %s, which is no API series of internal/metrics", name)
	}
}

// Each KPI card and the overview's table give the figure's definition from the catalogue, in the
// reader's language.
func TestOverviewShowsTheCatalogueDefinitions(t *testing.T) {
	_, _, fetch := demoApp(t)
	for _, l := range i18n.Supported() {
		r := fetch("/?period=year&year=2022&lang=" + string(l))
		if r.status != 200 {
			t.Fatalf("overview: %d", r.status)
		}
		body := html.UnescapeString(r.body) // html/template writes "+" as &#43;
		cards := map[string]string{}        // title → the card's HTML
		for _, c := range strings.Split(body, `<li class="card">`)[1:] {
			c, _, _ = strings.Cut(c, "</section>")
			if _, title, ok := strings.Cut(c, "<h3>"); ok {
				title, _, _ = strings.Cut(title, "</h3>")
				if _, inner, ok := strings.Cut(title, `">`); ok {
					title = strings.TrimSuffix(inner, "</a>")
				}
				cards[title] = c
			}
		}
		for _, kpi := range overviewCardKPIs() {
			m := metrics.MustLookup(kpi)
			want := `<details class="card-def"><summary>` + l.T("overview.definition") + `</summary><p>` + m.Definition.In(l) + `</p></details>`
			if c, ok := cards[kpiTitle(l, kpi)]; !ok || !strings.Contains(c, want) {
				t.Errorf("%s: the card of %s (found %v) lacks its definition %q", l, m.Name, ok, want)
			}
		}
		for _, m := range metrics.OverviewKPIs() {
			if !strings.Contains(body, "<p>"+kpiTitle(l, m.Name)+": "+m.Definition.In(l)+"</p>") {
				t.Errorf("%s: the KPI table's notes lack the definition of %s", l, m.Name)
			}
		}
	}
}

// overviewCardKPIs are the overview's cards, as the product shows them.
func overviewCardKPIs() []metrics.Name {
	return []metrics.Name{metrics.WebVisits, metrics.WebUniqueVisitors, metrics.FollowersFacebook,
		metrics.FollowersInstagram, metrics.FollowersLinkedIn, metrics.NewsletterSubscribers,
		metrics.NewsletterLastClickRate, metrics.EventsHeld, metrics.Publications}
}

// kpiTitle is a figure's name as the pages write it.
func kpiTitle(l i18n.Lang, k metrics.Name) string { return l.T("kpi." + string(k)) }
