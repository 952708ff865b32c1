package pages

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

// The report as a document to hand over. Printed (and as "Last ned PDF"), a report opens with a
// masthead (organisation, kind of report, the day it was made) over its heading (the period), then
// the written summary,
// then the channels in compact sections — each a table against the periods it is compared with and
// a small chart beside or under it — and ends with the definitions and sources as footnotes.
// kit's templates/report.html lays it out and style.css's @media print rules size it for A4; the screen
// shows the same sections at its own width. The quarterly review's one table of every KPI is split
// here into the channels' sections (by the KPI's name, which is stable across languages), so the
// downloads (CSV, XLSX, JSON), made from report.Tables, keep their one table.

// printDoc is the printed masthead; the page's own heading, under it, names the period.
type printDoc struct {
	// Class is "annual" or "quarterly", for the print rules.
	Class                 string
	Org, Site, Kind, Made string
}

// docSectionIDs are the quarterly review's sections, in the printed order.
func docSectionIDs() []string { return []string{"web", "social", "newsletter", "events", "targets"} }

// kpiSection names the section a quarterly KPI is shown in.
func kpiSection(name string) string {
	switch {
	case strings.HasPrefix(name, "web."), strings.HasPrefix(name, "publications."):
		return "web"
	case strings.HasPrefix(name, "social."):
		return "social"
	case strings.HasPrefix(name, "newsletter."):
		return "newsletter"
	case strings.HasPrefix(name, "events."):
		return "events"
	}
	return "other"
}

// socialRank orders the social rows by platform, then followers, new followers, growth, reach.
func socialRank(name string) int {
	metric := 9
	for i, m := range []string{"social.followers.", "social.new_followers.", "social.growth.", "social.reach_per_month."} {
		if strings.HasPrefix(name, m) {
			metric = i
		}
	}
	platform := 9
	for i, p := range []string{"facebook", "instagram", "linkedin"} {
		if strings.HasSuffix(name, "."+p) {
			platform = i
		}
	}
	return platform*10 + metric
}

// quarterName is "3. kvartal 2022" for "2022-Q3".
func quarterName(lang i18n.Lang, period string) string {
	y, q, err := report.ParsePeriod(period)
	if err != nil {
		return period
	}
	return lang.T("report.quarter_year", lang.Quarter(q), y)
}

// designReport fills the page's masthead and footnotes and, for the quarterly review, splits its
// KPI table into the channels' sections with their charts.
func (p *Pages) designReport(c *fiber.Ctx, lang i18n.Lang, v report.View, page *reportPage) error {
	loc := p.loc
	switch d := v.Shown().(type) {
	case *report.Annual:
		page.Doc = printDoc{Class: "annual", Org: lang.T("report.doc.org"), Site: d.Site.Name, Kind: lang.T("report.doc.annual"),
			Made: lang.T("report.doc.made", kit.ShortDate(lang, d.GeneratedAt.In(loc)))}
	case *report.Quarterly:
		page.Doc = printDoc{Class: "quarterly", Org: lang.T("report.doc.org"), Site: d.Site.Name, Kind: lang.T("report.doc.quarterly"),
			Made: lang.T("report.doc.made", kit.ShortDate(lang, d.GeneratedAt.In(loc)))}
		if err := p.quarterlySections(c.UserContext(), lang, v, d, page); err != nil {
			return err
		}
	}
	for _, s := range page.Sections {
		for _, t := range s.Tables {
			page.Footnotes = append(page.Footnotes, t.Notes...)
		}
		page.Footnotes = append(page.Footnotes, s.Notes...)
	}
	if page.Imported {
		page.Footnotes = append(page.Footnotes, "i: "+lang.T("report.legend_imported"))
	}
	if page.Partial {
		page.Footnotes = append(page.Footnotes, "d: "+lang.T("report.legend_partial"))
	}
	if page.Changes > 0 {
		page.Footnotes = append(page.Footnotes, lang.T("report.legend_changed"))
	}
	return nil
}

// quarterlySections replaces the quarterly review's KPI section by one section per channel.
func (p *Pages) quarterlySections(ctx context.Context, lang i18n.Lang, v report.View, d *report.Quarterly, page *reportPage) error {
	var kpis *reportTable
	var targets *reportTable
	for i := range page.Sections {
		for j := range page.Sections[i].Tables {
			t := &page.Sections[i].Tables[j]
			switch t.ID {
			case "kpis":
				kpis = t
			case "targets":
				targets = t
			}
		}
	}
	if kpis == nil {
		return nil
	}
	byID := map[string]*reportSection{}
	var out []reportSection
	for _, id := range docSectionIDs() {
		out = append(out, reportSection{ID: id, Heading: lang.T("report.section." + id), Notes: sectionNotes(lang, id)})
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	tables := map[string]*reportTable{}
	for _, r := range kpis.Rows {
		id := kpiSection(r.Key)
		s := byID[id]
		if s == nil {
			continue
		}
		t := tables[id]
		if t == nil {
			s.Tables = append(s.Tables, reportTable{ID: "kpis-" + id, Class: "kpi-figures",
				Title: lang.T("report.doc.table."+id, quarterName(lang, d.Period)), Columns: kpis.Columns})
			t = &s.Tables[len(s.Tables)-1]
			tables[id] = t
		}
		t.Rows = append(t.Rows, r)
	}
	if t := tables["social"]; t != nil {
		rows := t.Rows
		for i := 1; i < len(rows); i++ { // a dozen rows: a stable insertion sort
			for j := i; j > 0 && socialRank(rows[j].Key) < socialRank(rows[j-1].Key); j-- {
				rows[j], rows[j-1] = rows[j-1], rows[j]
			}
		}
	}
	if kpis.Added > 0 {
		// Rows today's data adds are told of under the first table.
		out[0].Notes = append(out[0].Notes, lang.T("report.added_rows", kpis.Added))
	}
	breakdown, err := p.quarterEvents(ctx, d)
	if err != nil {
		return err
	}
	if t := eventsBreakdownTable(lang, d, breakdown); t != nil {
		byID["events"].Tables = append(byID["events"].Tables, *t)
		if v.Publication != nil {
			byID["events"].Notes = append(byID["events"].Notes, lang.T("report.doc.note.breakdown_today"))
		}
	}
	if targets != nil {
		byID["targets"].Tables = append(byID["targets"].Tables, *targets)
	}
	chartsBySection, err := p.quarterlyCharts(lang, d, breakdown)
	if err != nil {
		return err
	}
	page.Scripts, page.InlineScripts = nil, nil
	var sections []reportSection
	for _, s := range out {
		if len(s.Tables) == 0 {
			continue
		}
		s.Charts = chartsBySection[s.ID]
		for _, ch := range s.Charts {
			// Printed beside the tables, or two side by side under them (style.css).
			ch.PrintWidth, ch.PrintHeight = "70mm", "42mm"
			if len(s.Charts) > 1 {
				ch.PrintWidth = "90mm"
			}
			page.Scripts = appendMissing(page.Scripts, ch.Assets...)
			page.InlineScripts = append(page.InlineScripts, ch.Script)
		}
		sections = append(sections, s)
	}
	page.Sections = sections
	return nil
}

// sectionNotes are a quarterly section's definitions.
func sectionNotes(lang i18n.Lang, id string) []string {
	switch id {
	case "web":
		return []string{lang.T("report.note.unique")}
	case "social":
		return []string{lang.T("report.doc.note.social")}
	case "newsletter":
		return []string{lang.T("report.doc.note.newsletter")}
	case "events":
		return []string{lang.T("report.note.events")}
	}
	return nil
}

// quarterEventTotals are the events of the three quarters a review compares, summed: the current
// quarter, the one before and the same quarter a year before, in that order.
type quarterEventTotals struct {
	Periods []string
	Totals  []query.EventTotals
	Sectors [][]query.SectorTotal
	// Found tells whether there is an events register at all.
	Found bool
}

// quarterEvents reads them from the first events register (as the reports' KPIs do).
func (p *Pages) quarterEvents(ctx context.Context, d *report.Quarterly) (quarterEventTotals, error) {
	out := quarterEventTotals{Periods: []string{d.Period, d.PreviousPeriod, d.YearEarlierPeriod}}
	disc, err := p.discovery(ctx, d.Site.ID, p.loc)
	if err != nil {
		return out, fmt.Errorf("quarterly events: %w", err)
	}
	if len(disc.EventAccounts) == 0 {
		return out, nil
	}
	out.Found = true
	// One read over the year-earlier quarter's start to the current quarter's end, shared out by
	// the quarter each event starts in (the quarter between them is read and not shown).
	spans := make([]days.Span, len(out.Periods))
	for i, p := range out.Periods {
		y, q, err := report.ParsePeriod(p)
		if err != nil {
			return out, err
		}
		spans[i] = days.QuarterSpan(y, q)
	}
	all := days.Span{Kind: days.Custom, From: spans[2].From, To: spans[0].To, End: spans[0].End}
	items, err := p.queries.SpanEvents(ctx, disc.EventAccounts[0], all, p.loc)
	if err != nil {
		return out, fmt.Errorf("quarterly events %s: %w", d.Period, err)
	}
	per := make([][]query.Event, len(spans))
	for _, e := range items {
		day := e.StartsAt.In(p.loc)
		for i, s := range spans {
			if ymd := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC); !ymd.Before(s.From) && !ymd.After(s.To) {
				per[i] = append(per[i], e)
			}
		}
	}
	for _, evs := range per {
		var t query.EventTotals
		for _, e := range evs {
			t.Add(e)
		}
		out.Totals = append(out.Totals, t)
		out.Sectors = append(out.Sectors, query.SumSectors(evs, figures.Sectors()))
	}
	return out, nil
}

// eventsBreakdownTable is attendance on site and digital, and by sector, per quarter; nil
// without events.
func eventsBreakdownTable(lang i18n.Lang, d *report.Quarterly, e quarterEventTotals) *reportTable {
	if !e.Found {
		return nil
	}
	held := false
	for _, t := range e.Totals {
		held = held || t.Events > 0
	}
	if !held {
		return nil
	}
	t := &reportTable{ID: "events-breakdown", Class: "breakdown-figures", Title: lang.T("report.doc.table.events_breakdown"),
		Columns: []column{{Label: lang.T("report.col.attended")}}}
	for _, p := range e.Periods {
		t.Columns = append(t.Columns, column{Label: quarterName(lang, p), Num: true})
	}
	count := func(n uint64, with int) reportCell {
		if with == 0 {
			return reportCell{Text: "–", Numeric: true}
		}
		return reportCell{Text: lang.Count(n), Numeric: true}
	}
	onSite, digital := reportRow{Key: "on_site", Header: lang.T("report.col.on_site")}, reportRow{Key: "digital", Header: lang.T("report.col.digital")}
	for _, tot := range e.Totals {
		onSite.Cells = append(onSite.Cells, count(tot.OnSite, tot.WithOnSite))
		digital.Cells = append(digital.Cells, count(tot.Digital, tot.WithDigital))
	}
	t.Rows = append(t.Rows, onSite, digital)
	for i, s := range e.Sectors[0] {
		shown := false
		for _, per := range e.Sectors {
			shown = shown || (i < len(per) && per[i].Events > 0)
		}
		if !shown {
			continue
		}
		row := reportRow{Key: "sector/" + s.Sector, Header: shareLabel(lang, "report.sector.", s.Sector)}
		for _, per := range e.Sectors {
			if i < len(per) && per[i].Events > 0 {
				row.Cells = append(row.Cells, reportCell{Text: lang.Count(per[i].Attended), Numeric: true})
			} else {
				row.Cells = append(row.Cells, reportCell{Text: "–", Numeric: true})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// kpiByName finds a quarterly KPI.
func kpiByName(d *report.Quarterly, name string) *report.KPI {
	for i := range d.KPIs {
		if d.KPIs[i].Name == name {
			return &d.KPIs[i]
		}
	}
	return nil
}

// quarterValues are a KPI's values oldest first: the year-earlier quarter, the previous, the
// current (a chart reads left to right in time).
func quarterValues(k *report.KPI) []*float64 {
	if k == nil {
		return []*float64{nil, nil, nil}
	}
	var ye *float64
	if k.YearEarlier != nil {
		ye = k.YearEarlier.Value
	}
	return []*float64{ye, k.Previous.Value, k.Current.Value}
}

// jsCompact makes a chart fit a third of an A4 page: a smaller title and legend, less room above
// the plot (jsFitLegend gives the legend its room below).
const jsCompact = "%MY_ECHARTS%.setOption({ title: { textStyle: { fontSize: 13 } }, legend: { itemWidth: 14, itemHeight: 9, itemGap: 8, textStyle: { fontSize: 11 } }, grid: { top: 34, bottom: 34 } }); " +
	"%MY_ECHARTS%.__fitBottom = 34; %MY_ECHARTS%.getDom().dispatchEvent(new Event('chartresize'));"

// quarterlyCharts are the review's small charts, by section.
func (p *Pages) quarterlyCharts(lang i18n.Lang, d *report.Quarterly, e quarterEventTotals) (map[string][]*chartView, error) {
	dir := p.assets.Dir(echartsFile)
	out := map[string][]*chartView{}
	// The charts are small: their quarters are written short ("3. kv. 2022"); the labels and the
	// tables name them in full.
	short := func(p string) string {
		y, q, err := report.ParsePeriod(p)
		if err != nil {
			return p
		}
		return lang.T("report.doc.quarter_short", q, y)
	}
	quarters := []string{short(d.YearEarlierPeriod), short(d.PreviousPeriod), short(d.Period)}
	slug := strings.ToLower(d.Period)
	add := func(section string, c *charts.Bar, spec chartSpec, label string) error {
		c.SetGlobalOptions(charts.WithAnimation(false))
		c.AddJSFuncStrs(jsCompact)
		v, err := renderChart(c, spec.id, label, dir)
		if err != nil {
			return fmt.Errorf("report chart %s: %w", spec.id, err)
		}
		out[section] = append(out[section], v)
		return nil
	}
	// The web: visits and unique visitors per quarter.
	if visits, unique := kpiByName(d, string(metrics.WebVisits)), kpiByName(d, string(metrics.WebUniqueVisitors)); visits != nil || unique != nil {
		spec := chartSpec{lang: lang, id: "report_web", title: lang.T("report.doc.chart.web"), filename: "besokende-" + slug, assetsDir: dir, named: true}
		bar := spec.newBar(quarters)
		bar.AddSeries(chartText(lang.T("visitors.total")), barData(quarterValues(visits))).
			AddSeries(chartText(lang.T("visitors.unique")), barData(quarterValues(unique)))
		if err := add("web", bar, spec, lang.T("report.doc.chart.web_label", quarterName(lang, d.Period))); err != nil {
			return nil, err
		}
	}
	// Social media: followers and reach per month, per platform, the three quarters side by side.
	for _, m := range []struct{ prefix, id, title, label, file string }{
		{"social.followers.", "report_kpis", "report.social.followers", "report.chart.kpis", "folgere-"},
		{metrics.ReachPerMonthPrefix, "report_reach", "report.social.reach_per_month", "report.doc.chart.reach_label", "rekkevidde-"},
	} {
		// Platforms in one order in every chart and table (socialRank).
		var names []string
		series := make([][]*float64, 3)
		for _, platform := range []string{"facebook", "instagram", "linkedin"} {
			k := kpiByName(d, m.prefix+platform)
			if k == nil {
				continue
			}
			names = append(names, kit.KeyName(lang, "platform", platform))
			for i, v := range quarterValues(k) {
				series[i] = append(series[i], v)
			}
		}
		if len(names) == 0 {
			continue
		}
		spec := chartSpec{lang: lang, id: m.id, title: lang.T(m.title), filename: m.file + slug, assetsDir: dir, named: true}
		bar := spec.newBar(names)
		for i := range quarters {
			bar.AddSeries(chartText(quarters[i]), barData(series[i]))
		}
		if err := add("social", bar, spec, lang.T(m.label, quarterName(lang, d.Period))); err != nil {
			return nil, err
		}
	}
	// The newsletter: subscribers per quarter.
	if subs := kpiByName(d, string(metrics.NewsletterSubscribers)); subs != nil {
		spec := chartSpec{lang: lang, id: "report_newsletter", title: lang.T("report.kpi.newsletter.subscribers"), filename: "abonnenter-" + slug,
			assetsDir: dir, named: true, colours: []string{"#56B4E9"}}
		bar := spec.newBar(quarters)
		bar.AddSeries(chartText(lang.T("report.kpi.newsletter.subscribers")), barData(quarterValues(subs)))
		if err := add("newsletter", bar, spec, lang.T("report.doc.chart.newsletter_label", quarterName(lang, d.Period))); err != nil {
			return nil, err
		}
	}
	// Events: attendance on site and digital per quarter, stacked.
	if len(e.Totals) == 3 {
		var onSite, digital []*float64
		for i := 2; i >= 0; i-- {
			t := e.Totals[i]
			onSite, digital = append(onSite, countOrNil(t.OnSite, t.WithOnSite)), append(digital, countOrNil(t.Digital, t.WithDigital))
		}
		spec := chartSpec{lang: lang, id: "report_events", title: lang.T("report.kpi.events.attendance"), filename: "deltakere-" + slug,
			assetsDir: dir, named: true, colours: []string{"#D55E00", "#0072B2"}}
		bar := spec.newBar(quarters)
		bar.AddSeries(chartText(lang.T("report.col.on_site")), barData(onSite), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"})).
			AddSeries(chartText(lang.T("report.col.digital")), barData(digital), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"}))
		if err := add("events", bar, spec, lang.T("report.doc.chart.events_label", quarterName(lang, d.Period))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func countOrNil(n uint64, with int) *float64 {
	if with == 0 {
		return nil
	}
	f := float64(n)
	return &f
}

// shortPoints is a change in percentage points (already in points) as print writes it: "+2,4 p.p.".
func shortPoints(lang i18n.Lang, v float64) string {
	p := math.Round(v*10) / 10
	sign := "±"
	switch {
	case p > 0:
		sign = "+"
	case p < 0:
		sign = "−"
	}
	return sign + lang.Decimal1(math.Abs(p)) + "\u00a0" + lang.T("report.points_short")
}
