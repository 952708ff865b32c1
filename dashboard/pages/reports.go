package pages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// Reports: the annual report's communication page (/rapporter/ar/2022) and the quarterly review
// (/rapporter/kvartal/2022-Q3), printable to A4, downloadable as CSV, XLSX and JSON
// (…/csv, …/xlsx, …/json), and publishable by an editor, which freezes the figures. The figures
// and tables are internal/report's; this file only picks the period and lays them out.

// reportWriter is where publications are written: the dashboard's store, or nil without one
// (publishing then answers 503 and the button is hidden).
func (p *Pages) reportWriter() report.Inserter {
	if p.store == nil {
		return nil // an interface holding a nil *store.Store would not compare equal to nil
	}
	return p.store
}

// reportBuilder is the report builder for the site asked for (?site=, default the first).
func (p *Pages) reportBuilder(c *fiber.Ctx) (*report.Builder, error) {
	if p.queries == nil {
		return nil, errors.New("reports: dashboard started without a query layer (Deps.Queries)")
	}
	site, err := kit.Site(p.cfg, c.Query("site"))
	if err != nil {
		return nil, err
	}
	return report.New(p.queries, report.Options{Site: site, Location: p.loc, Targets: p.cfg.Targets})
}

// reportKind is the report a route is about: annual, or quarterly when quarterly is set.
func reportKind(quarterly bool) string {
	if quarterly {
		return report.KindQuarterly
	}
	return report.KindAnnual
}

// reportPeriod reads the :year or :period parameter; quarterly says which the route wants.
func reportPeriod(c *fiber.Ctx, quarterly bool) (year, quarter int, err error) {
	raw := c.Params("year")
	if quarterly {
		raw = c.Params("period")
	}
	year, quarter, err = report.ParsePeriod(raw)
	if err != nil || (quarter == 0) == quarterly {
		return 0, 0, kit.BadRequest("report.bad_period", kit.Clip(raw))
	}
	return year, quarter, nil
}

// reportView builds the report the request names (annual, or quarterly when quarterly is set),
// as published where it was, with today's differences.
func (p *Pages) reportView(c *fiber.Ctx, quarterly bool) (report.View, error) {
	year, quarter, err := reportPeriod(c, quarterly)
	if err != nil {
		return report.View{}, err
	}
	b, err := p.reportBuilder(c)
	if err != nil {
		return report.View{}, err
	}
	var v report.View
	if quarterly {
		v, err = b.QuarterlyView(c.UserContext(), year, quarter)
	} else {
		v, err = b.AnnualView(c.UserContext(), year)
	}
	if err != nil {
		return report.View{}, fmt.Errorf("report %d: %w", year, err)
	}
	return v, nil
}

// ReportPage shows the report; ReportDownload sends it as the file the :format asks for.
func (p *Pages) ReportPage(quarterly bool) fiber.Handler {
	return p.withReport(quarterly, p.sendReportPage)
}

func (p *Pages) ReportDownload(quarterly bool) fiber.Handler {
	return p.withReport(quarterly, p.sendReportFile)
}

// withReport answers with send of the report the request names.
func (p *Pages) withReport(quarterly bool, send func(*fiber.Ctx, report.View) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := p.reportView(c, quarterly)
		if err != nil {
			return err
		}
		return send(c, v)
	}
}

// reportJSON is the JSON download: the shown report (the published one when there is one), its
// publication, and every published figure today's data gives differently.
type reportJSON struct {
	Report      report.Document     `json:"report"`
	Publication *report.Publication `json:"publication"`
	Differences []report.Difference `json:"differences"`
}

// sendReportFile answers …/csv, …/xlsx or …/json with the shown report's figures; a published
// report's CSV and XLSX end with the figures that differ today.
func (p *Pages) sendReportFile(c *fiber.Ctx, v report.View) error {
	lang := kit.LangOf(c, p.defaultLang)
	format := c.Params("format")
	tables := report.DownloadTables(lang, v)
	site, err := kit.Site(p.cfg, c.Query("site"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	var contentType string
	switch format {
	case "csv":
		contentType = "text/csv; charset=utf-8"
		if err := report.WriteCSV(&buf, lang, tables); err != nil {
			return err
		}
	case "xlsx":
		contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := report.WriteXLSX(&buf, lang, tables); err != nil {
			return err
		}
	case "json":
		contentType = fiber.MIMEApplicationJSONCharsetUTF8
		body := reportJSON{Report: v.Shown(), Publication: v.Publication, Differences: report.Differences(lang, v.Tables(lang))}
		if body.Differences == nil {
			body.Differences = []report.Difference{}
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(body); err != nil {
			return fmt.Errorf("report json: %w", err)
		}
	default:
		return kit.BadRequest("report.bad_format", kit.Clip(format))
	}
	name := report.FileName(lang, v, site.ID, format)
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// Publish freezes the page's report (annual, or quarterly when quarterly is set). Publishing a
// period that is already published needs the confirm box ticked: replacing printed figures is
// never a slip of the mouse.
func (p *Pages) Publish(quarterly bool) fiber.Handler {
	return p.editReport(quarterly, "/publiser", "publisert", true, func(c *fiber.Ctx, e reportEdit) error {
		var err error
		if quarterly {
			_, _, err = e.b.PublishQuarterly(c.UserContext(), e.w, e.year, e.quarter, e.by)
		} else {
			_, _, err = e.b.PublishAnnual(c.UserContext(), e.w, e.year, e.by)
		}
		if err != nil {
			return p.publishError(err) // publish_guard.go: an open period is refused with a message
		}
		return nil
	})
}

// reportEdit is what a publish or a withdrawal acts on: the route's report, its builder, the
// report store and who does it.
type reportEdit struct {
	kind          string
	year, quarter int
	b             *report.Builder
	w             report.Inserter
	by            string
}

// editReport answers a publish or a withdrawal of the report the route names (annual, or
// quarterly): it runs edit as the signed-in user, then sends the user back to the report page:
// the path without suffix, with flag=1 and the page's site. With confirm, a period already
// published needs the confirm box ticked (checked before the builder is made).
func (p *Pages) editReport(quarterly bool, suffix, flag string, confirm bool, edit func(*fiber.Ctx, reportEdit) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e := reportEdit{kind: reportKind(quarterly)}
		var err error
		if e.year, e.quarter, err = reportPeriod(c, quarterly); err != nil {
			return err
		}
		if e.w = p.reportWriter(); e.w == nil {
			return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.no_store"}
		}
		user := kit.CurrentUser(c)
		if user == nil {
			return fiber.ErrUnauthorized // the route is behind signin.RequireSession: never without a user
		}
		e.by = user.Name
		if confirm && c.FormValue("replace") != "1" && c.FormValue("published") == "1" {
			return kit.BadRequest("report.publish_confirm_needed")
		}
		if e.b, err = p.reportBuilder(c); err != nil {
			return err
		}
		if err := edit(c, e); err != nil {
			return err
		}
		back := strings.TrimSuffix(c.Path(), suffix) + "?" + flag + "=1"
		if site := c.Query("site"); site != "" {
			back += "&site=" + site
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	}
}

// reportPage is the data of kit's templates/report.html.
type reportPage struct {
	kit.Layout
	Heading, Intro string
	Summary        []string
	Sections       []reportSection
	// Published says when and by whom; empty when the period has not been published.
	Published string
	Changes   int
	Added     int
	Downloads []actionLink
	// PDF is "Last ned PDF"'s address; PDFNote says why there is none (no Chromium).
	PDF, PDFNote string
	// Publish form: shown to editors when publishing is set up.
	CanPublish  bool
	PublishURL  string
	IsPublished bool
	Flash       string
	Imported    bool
	Partial     bool

	// PublishNote says why an open period has no publish form (publish_guard.go); WithdrawURL is
	// the admin's withdraw form; Withdrawn tells of the newest withdrawal while nothing is in force.
	PublishNote, WithdrawURL, Withdrawn string

	// Doc is the printed masthead, Footnotes the definitions and sources printed at the end
	// (report_doc.go).
	Doc       printDoc
	Footnotes []string
}

// reportSection is a printed page's worth of tables (the web, social media, …).
type reportSection struct {
	ID, Heading string
	Tables      []reportTable
	// Charts and Notes are a designed section's (report_doc.go): charts beside or under its
	// tables, definitions printed as footnotes.
	Charts []*chartView
	Notes  []string
}

type reportTable struct {
	ID, Title string
	// Class is an extra class of the table (kpi-figures: a quarterly channel's KPIs).
	Class   string
	Columns []column
	Rows    []reportRow
	Notes   []string
	Added   int
	Chart   *chartView
}

// reportColumns are a report table's columns as the pages' tables head them (template "thead").
func reportColumns(cols []report.Column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = column{Label: c.Label, Num: c.Numeric}
	}
	return out
}

type reportRow struct {
	// Key is the row's stable key (a KPI's name), Header what it is called.
	Key    string
	Header string
	Cells  []reportCell
}

type reportCell struct {
	Text     string
	Numeric  bool
	Imported bool
	Partial  bool
	// Today is today's figure where it differs from the published one.
	Today string
	// Measured is "sist målt <dag>" for a level last measured before the period's end.
	Measured string
	// Short is a change in percentage points written short ("+2,4 p.p."), for print.
	Short string
}

// reportSectionOf names the printed page (section) a table of a report starts or continues.
func reportSectionOf(tableID string) string {
	switch tableID {
	case "visitors", "channels", "devices", "new_returning", "top_pages":
		return "web"
	case "social", "social_months":
		return "social"
	case "newsletter", "events", "events_by_kind", "events_by_sector":
		return "newsletter_events"
	case "kpis", "targets":
		return "kpis"
	}
	return "other"
}

func (p *Pages) sendReportPage(c *fiber.Ctx, v report.View) error {
	lang := kit.LangOf(c, p.defaultLang)
	page := reportPage{}
	base := c.Path()
	var heading string
	switch d := v.Shown().(type) {
	case *report.Annual:
		heading = lang.T("report.annual_title", d.Year)
		page.Intro = lang.T("report.annual_intro", d.Site.Name)
		page.Summary = d.Summary.In(lang)
	case *report.Quarterly:
		heading = lang.T("report.quarterly_title", lang.T("report.quarter_year", lang.Quarter(d.Quarter), d.Year))
		page.Intro = lang.T("report.quarterly_intro")
		page.Summary = d.Summary.In(lang)
	}
	page.Layout = p.render.Layout(c, lang, heading)
	page.Heading = heading
	if pub := v.Publication; pub != nil {
		page.IsPublished = true
		page.Published = lang.T("report.published", kit.DateTime(lang, pub.PublishedAt, p.loc), pub.PublishedBy)
	}
	if c.Query("publisert") == "1" && v.Publication != nil {
		page.Flash = lang.T("report.published_ok", v.Period)
	}
	query := ""
	if site := c.Query("site"); site != "" {
		query = "?site=" + site
	}
	for _, f := range []string{"csv", "xlsx", "json"} {
		page.Downloads = append(page.Downloads, actionLink{URL: base + "/" + f + query, Label: strings.ToUpper(f)})
	}
	page.PDF, page.PDFNote = p.pdfLink(lang, base, query)
	if u := kit.CurrentUser(c); u != nil && u.Role.AtLeast(auth.Editor) && p.reportWriter() != nil {
		page.CanPublish, page.PublishURL = true, base+"/publiser"+query
	}
	p.guardPublishing(c, lang, v, &page)
	charts, err := p.reportCharts(lang, v.Shown())
	if err != nil {
		return err
	}
	for _, t := range v.Tables(lang) {
		// The last column says where each row's figures come from, as in the downloads.
		columns := append(reportColumns(t.Columns), column{Label: lang.T("report.col.source")})
		rt := reportTable{ID: t.ID, Title: t.Title, Columns: columns, Notes: t.Notes, Added: t.Added, Chart: charts[t.ID]}
		page.Added += t.Added
		for _, r := range t.Rows {
			row := reportRow{Key: r.Key, Header: r.Header}
			for _, cell := range r.Cells {
				rc := reportCell{Text: cell.Format(lang), Numeric: cell.Unit != report.UnitText,
					Imported: cell.Origin == report.Imported, Partial: cell.Partial, Measured: cell.LastMeasured(lang)}
				if cell.Unit == report.UnitPoints && cell.Value != nil {
					rc.Short = shortPoints(lang, *cell.Value)
				}
				if cell.Today != nil {
					rc.Today = cell.Today.Format(lang)
					page.Changes++
				}
				page.Imported = page.Imported || rc.Imported
				page.Partial = page.Partial || rc.Partial
				row.Cells = append(row.Cells, rc)
			}
			row.Cells = append(row.Cells, reportCell{Text: report.SourceOf(lang, t, r)})
			rt.Rows = append(rt.Rows, row)
		}
		if rt.Chart != nil {
			page.Scripts = appendMissing(page.Scripts, rt.Chart.Assets...)
			page.InlineScripts = append(page.InlineScripts, rt.Chart.Script)
		}
		id := reportSectionOf(t.ID)
		if n := len(page.Sections); n == 0 || page.Sections[n-1].ID != id {
			page.Sections = append(page.Sections, reportSection{ID: id, Heading: lang.T("report.section." + id)})
		}
		s := &page.Sections[len(page.Sections)-1]
		s.Tables = append(s.Tables, rt)
	}
	if err := p.designReport(c, lang, v, &page); err != nil {
		return err
	}
	return p.render.Send(c, "report", page)
}

// reportCharts builds the charts shown above their tables, by table id. They are built from the
// shown report (the published one when there is one), like the tables.
func (p *Pages) reportCharts(lang i18n.Lang, d report.Document) (map[string]*chartView, error) {
	dir := p.assets.Dir(echartsFile)
	out := map[string]*chartView{}
	add := func(tableID string, c *charts.Bar, id, label string) error {
		// No animation: a page printed right after loading would catch the bars mid-growth.
		c.SetGlobalOptions(charts.WithAnimation(false))
		v, err := renderChart(c, id, label, dir)
		if err != nil {
			return fmt.Errorf("report chart %s: %w", id, err)
		}
		// Printed beside their narrow tables (report_doc.go, style.css); the rest full width.
		if tableID == "visitors" || tableID == "channels" {
			v.PrintWidth, v.PrintHeight = "84mm", "54mm"
		}
		out[tableID] = v
		return nil
	}
	switch r := d.(type) {
	case *report.Annual:
		y := strconv.Itoa(r.Year)
		var quarters []string
		var visits, unique []*float64
		for _, q := range r.Visitors.Quarters {
			quarters = append(quarters, lang.Quarter(q.Quarter))
			visits, unique = append(visits, q.Visits.Current.Value), append(unique, q.Unique.Current.Value)
		}
		spec := chartSpec{lang: lang, id: "report_visitors", title: lang.T("report.table.visitors", r.Year),
			filename: "besokende-" + y, assetsDir: dir}
		bar := spec.newBar(quarters)
		bar.AddSeries(chartText(lang.T("visitors.total")), barData(visits)).AddSeries(chartText(lang.T("visitors.unique")), barData(unique))
		if err := add("visitors", bar, spec.id, lang.T("report.chart.visitors", r.Year)); err != nil {
			return nil, err
		}
		// This year beside last year, a pair of bars per name; none when there are no names.
		years := func(key string, spec chartSpec, names []string, cur, prev []*float64, curOpts ...charts.SeriesOpts) error {
			if len(names) == 0 {
				return nil
			}
			bar := spec.newBar(names)
			bar.AddSeries(chartText(y), barData(cur), curOpts...).AddSeries(chartText(strconv.Itoa(r.Year-1)), barData(prev))
			return add(key, bar, spec.id, lang.T("report.chart."+key, r.Year))
		}
		var names []string
		var cur, prev []*float64
		for _, s := range r.Channels {
			names = append(names, shareLabel(lang, "report.channel.", s.Key))
			cur, prev = append(cur, percentOf(s.Current.Value)), append(prev, percentOf(s.Previous.Value))
		}
		if err := years("channels", chartSpec{lang: lang, id: "report_channels", title: lang.T("report.table.channels", r.Year),
			filename: "kanaler-" + y, assetsDir: dir, percent: true, named: true}, names, cur, prev); err != nil {
			return nil, err
		}
		names, cur, prev = nil, nil, nil
		for _, p := range r.Social {
			names = append(names, kit.KeyName(lang, "platform", p.Platform))
			cur, prev = append(cur, p.Followers.Current.Value), append(prev, p.Followers.Previous.Value)
		}
		if err := years("social", chartSpec{lang: lang, id: "report_social", title: lang.T("report.social.followers"),
			filename: "folgere-" + y, assetsDir: dir}, names, cur, prev,
			charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top", Formatter: jsLabelFormatter(lang)})); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func percentOf(v *float64) *float64 {
	if v == nil {
		return nil
	}
	p := *v * 100
	return &p
}

func shareLabel(lang i18n.Lang, prefix, key string) string {
	if lang.Has(prefix + key) {
		return lang.T(prefix + key)
	}
	return key
}

// ReportsIndex lists the years and quarters that hold figures, newest first.
type reportsIndexPage struct {
	kit.Layout
	// Years has a row per year: its annual report and its quarterly reviews.
	Years kit.ListTable
}

func (p *Pages) ReportsIndex(c *fiber.Ctx) error {
	lang := kit.LangOf(c, p.defaultLang)
	if p.queries == nil {
		return errors.New("reports: dashboard started without a query layer (Deps.Queries)")
	}
	site, err := kit.Site(p.cfg, c.Query("site"))
	if err != nil {
		return err
	}
	d, err := p.discovery(c.UserContext(), site.ID, p.loc)
	if err != nil {
		return fmt.Errorf("reports index: %w", err)
	}
	history, err := p.queries.HistoryYears(c.UserContext())
	if err != nil {
		return fmt.Errorf("reports index: %w", err)
	}
	seen := map[int]bool{}
	var years []int
	// Years with figures (discovery) and years with imported figures; a date at a column's zero
	// (1970) is no year of figures.
	for _, y := range append(d.Extent.Years(), history...) {
		if y > 1970 && !seen[y] {
			seen[y] = true
			years = append(years, y)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(years)))
	page := reportsIndexPage{Layout: p.render.Layout(c, lang, lang.T("report.index_title")), Years: kit.ListTable{
		Caption: lang.T("report.index_title"), Class: "report-index",
		Head: kit.Heads(lang, "form.year", "report.years", "report.quarters")}}
	for _, y := range years {
		quarters := make([]kit.CellLink, 0, 4)
		for q := 1; q <= 4; q++ {
			quarters = append(quarters, kit.CellLink{URL: "/rapporter/kvartal/" + report.PeriodName(y, q), Label: lang.Quarter(q)})
		}
		page.Years.Rows = append(page.Years.Rows, kit.ListRow{Cells: []kit.ListCell{
			{Text: strconv.Itoa(y), Header: true},
			{Text: lang.T("report.annual_title", y), Link: "/rapporter/ar/" + strconv.Itoa(y)},
			{Links: quarters},
		}})
	}
	return p.render.Send(c, "reports", page)
}
