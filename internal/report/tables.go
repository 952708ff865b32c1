package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// A Table is one table of a report as every view shows it: the page, the CSV section and the XLSX
// sheet are all made from the same Tables, so they cannot disagree.
type Table struct {
	// ID is stable across languages and code changes of the labels ("visitors", "social").
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
	// Notes explain figures of the table (growth as printed beside growth as computed, …).
	Notes []string `json:"notes,omitempty"`
	// Added counts rows today's data has that the published report did not (set by Diff).
	Added int `json:"added,omitempty"`
}

// Column is one column; the first describes the row headers.
type Column struct {
	Label   string `json:"label"`
	Numeric bool   `json:"numeric"`
}

// Row is one row: a header and one cell per column after the first.
type Row struct {
	Key    string `json:"key"`
	Header string `json:"header"`
	Cells  []Cell `json:"cells"`
}

// Cell units beyond the figures' own.
const (
	// UnitChange is a relative change, a fraction: "+12 %".
	UnitChange Unit = "change"
	// UnitPoints is a change of a rate in percentage points: 2.5 is "+2,5 prosentpoeng".
	UnitPoints Unit = "points"
)

// Cell is one value of a table.
type Cell struct {
	// Key identifies the figure across languages and publications: table/row/column.
	Key   string   `json:"key"`
	Unit  Unit     `json:"unit"`
	Value *float64 `json:"value,omitempty"`
	Text  string   `json:"text,omitempty"`
	// Marks are the figure's (Figure.Marks): the page, CSV and XLSX say "sist målt <dag>" for
	// MeasuredOn and name Source under the table.
	Marks
	// Today is set by Diff on a published cell whose figure differs in today's data.
	Today *Cell `json:"today,omitempty"`
}

// Format writes the cell for lang.
func (c Cell) Format(lang i18n.Lang) string {
	switch c.Unit {
	case UnitText:
		if c.Text == "" {
			return "–"
		}
		return c.Text
	case UnitChange:
		if c.Value == nil {
			return "–"
		}
		r := math.Round(*c.Value * 100)
		return sign(r) + lang.Percent(math.Abs(r)/100)
	case UnitPoints:
		if c.Value == nil {
			return "–"
		}
		p := math.Round(*c.Value*10) / 10
		return sign(p) + lang.T("report.points", lang.Decimal1(math.Abs(p)))
	}
	return FormatValue(lang, c.Unit, c.Value, c.Qualifier)
}

// LastMeasured is "sist målt 15.06.2023" for a cell whose level was last measured before its
// period's end; empty otherwise.
func (c Cell) LastMeasured(lang i18n.Lang) string {
	if c.MeasuredOn == "" {
		return ""
	}
	return lang.T("report.last_measured", formatDate(lang, c.MeasuredOn))
}

// noteMeasured adds the note explaining "sist målt" to t when one of its cells has one.
func noteMeasured(lang i18n.Lang, t *Table) {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.MeasuredOn != "" {
				t.Notes = append(t.Notes, lang.T("report.note.last_measured"))
				return
			}
		}
	}
}

// Imported tells whether the cell shows an imported figure.
func (c Cell) Imported() bool { return c.Origin == Imported }

func figureCell(key string, unit Unit, f Figure) Cell {
	return Cell{Key: key, Unit: unit, Value: f.Value, Marks: f.Marks}
}

func textCell(key, text string) Cell { return Cell{Key: key, Unit: UnitText, Text: text} }

func countCell(key string, n *uint32, source string) Cell {
	c := Cell{Key: key, Unit: UnitCount}
	if n != nil {
		c.Value = f64(float64(*n))
		c.Origin, c.Source = Collected, source
	}
	return c
}

func numberCell(key string, v float64, source string) Cell {
	return Cell{Key: key, Unit: UnitCount, Value: f64(v), Marks: Marks{Origin: Collected, Source: source}}
}

// Tables are the annual report's tables in lang, in the order of the printed page.
func (a *Annual) Tables(lang i18n.Lang) []Table {
	y, py := a.Year, a.Year-1
	ys, pys := strconv.Itoa(y), strconv.Itoa(py)
	var out []Table

	visitors := Table{ID: "visitors", Title: lang.T("report.table.visitors", y), Columns: []Column{
		{Label: lang.T("quarter.heading")},
		{Label: lang.T("report.col.visits", y), Numeric: true}, {Label: lang.T("report.col.unique", y), Numeric: true},
		{Label: lang.T("report.col.visits", py), Numeric: true}, {Label: lang.T("report.col.unique", py), Numeric: true},
	}}
	for _, q := range append(append([]QuarterVisitors{}, a.Visitors.Quarters...), a.Visitors.Year) {
		row := Row{Key: "q" + strconv.Itoa(q.Quarter), Header: lang.Quarter(q.Quarter)}
		if q.Quarter == 0 {
			row.Key, row.Header = "year", lang.T("report.whole_year")
		}
		k := "visitors/" + row.Key + "/"
		row.Cells = []Cell{
			figureCell(k+"visits/"+ys, UnitCount, q.Visits.Current), figureCell(k+"unique/"+ys, UnitCount, q.Unique.Current),
			figureCell(k+"visits/"+pys, UnitCount, q.Visits.Previous), figureCell(k+"unique/"+pys, UnitCount, q.Unique.Previous),
		}
		visitors.Rows = append(visitors.Rows, row)
	}
	visitors.Notes = append(visitors.Notes, lang.T("report.note.unique"))
	out = append(out, visitors)

	for _, st := range []struct {
		id, title, head, labels string
		shares                  []Share
	}{
		{"channels", lang.T("report.table.channels", y), lang.T("report.col.channel"), "report.channel.", a.Channels},
		{"devices", lang.T("report.table.devices", y), lang.T("report.col.device"), "report.device.", a.Devices},
	} {
		t := Table{ID: st.id, Title: st.title, Columns: []Column{{Label: st.head},
			{Label: lang.T("report.col.share", y), Numeric: true}, {Label: lang.T("report.col.share", py), Numeric: true}}}
		for _, s := range st.shares {
			label := s.Key
			if lang.Has(st.labels + s.Key) {
				label = lang.T(st.labels + s.Key)
			}
			k := st.id + "/" + s.Key + "/"
			t.Rows = append(t.Rows, Row{Key: s.Key, Header: label, Cells: []Cell{
				figureCell(k+ys, UnitShare, s.Current), figureCell(k+pys, UnitShare, s.Previous)}})
		}
		out = append(out, t)
	}

	nr := Table{ID: "new_returning", Title: lang.T("report.table.new_returning", y), Columns: []Column{{Label: lang.T("report.col.visitors")},
		{Label: ys, Numeric: true}, {Label: pys, Numeric: true}}}
	for _, r := range []struct {
		key string
		c   Compared
	}{{"new", a.NewVisitors}, {"returning", a.ReturningVisitors}} {
		k := "new_returning/" + r.key + "/"
		nr.Rows = append(nr.Rows, Row{Key: r.key, Header: lang.T("report.visitors." + r.key), Cells: []Cell{
			figureCell(k+ys, UnitShare, r.c.Current), figureCell(k+pys, UnitShare, r.c.Previous)}})
	}
	out = append(out, nr)

	pages := Table{ID: "top_pages", Title: lang.T("report.table.top_pages", y), Columns: []Column{{Label: lang.T("report.col.rank")},
		{Label: lang.T("report.col.page")}, {Label: lang.T("report.col.pageviews", y), Numeric: true}}}
	for _, p := range a.TopPages {
		k := "top_pages/" + strconv.Itoa(p.Rank) + "/"
		title := textCell(k+"title", p.Title)
		title.Origin, title.Source = a.TopPagesOrigin, a.TopPagesSource
		pages.Rows = append(pages.Rows, Row{Key: strconv.Itoa(p.Rank), Header: strconv.Itoa(p.Rank) + ".", Cells: []Cell{
			title, figureCell(k+"pageviews", UnitCount, p.Pageviews)}})
	}
	out = append(out, pages)

	if len(a.Social) > 0 {
		social := Table{ID: "social", Title: lang.T("report.table.social", y), Columns: []Column{{Label: ""}}}
		for _, year := range []int{y, py} {
			for _, p := range a.Social {
				social.Columns = append(social.Columns, Column{Label: lang.T("report.col.platform_year", platformName(p.Platform), year), Numeric: true})
			}
		}
		for _, m := range []struct {
			key  string
			unit Unit
			get  func(Platform) Compared
		}{
			{"followers", UnitCount, func(p Platform) Compared { return p.Followers }},
			{"new_followers", UnitCount, func(p Platform) Compared { return p.NewFollowers }},
			{"growth", UnitShare, func(p Platform) Compared { return p.Growth }},
			{"reach_per_month", UnitCount, func(p Platform) Compared { return p.ReachPerMonth }},
		} {
			row := Row{Key: m.key, Header: lang.T("report.social." + m.key)}
			for i, year := range []int{y, py} {
				for _, p := range a.Social {
					f := m.get(p).Current
					if i == 1 {
						f = m.get(p).Previous
					}
					row.Cells = append(row.Cells, figureCell(fmt.Sprintf("social/%s/%s/%d", m.key, p.Platform, year), m.unit, f))
					if f.Computed != nil && f.Value != nil {
						social.Notes = append(social.Notes, lang.T("report.note.growth_computed", platformName(p.Platform), year,
							FormatValue(lang, UnitShare, f.Value, ""), FormatValue(lang, UnitShare, f.Computed, "")))
					}
				}
			}
			social.Rows = append(social.Rows, row)
		}
		social.Notes = append([]string{lang.T("report.note.growth")}, social.Notes...)
		noteMeasured(lang, &social)
		out = append(out, social)
		if months := socialMonths(lang, a); len(months.Rows) > 0 {
			noteMeasured(lang, &months)
			out = append(out, months)
		}
	}

	nl := Table{ID: "newsletter", Title: lang.T("report.table.newsletter", y), Columns: []Column{{Label: ""},
		{Label: ys, Numeric: true}, {Label: pys, Numeric: true}}}
	for _, r := range []struct {
		key  string
		unit Unit
		c    Compared
	}{
		{"subscribers", UnitCount, a.Newsletter.Subscribers},
		{"click_rate", UnitShare, a.Newsletter.ClickRate},
		{"open_rate", UnitShare, a.Newsletter.OpenRate},
		{"campaigns", UnitCount, a.Newsletter.Campaigns},
	} {
		k := "newsletter/" + r.key + "/"
		nl.Rows = append(nl.Rows, Row{Key: r.key, Header: lang.T("report.newsletter." + r.key), Cells: []Cell{
			figureCell(k+ys, r.unit, r.c.Current), figureCell(k+pys, r.unit, r.c.Previous)}})
	}
	noteMeasured(lang, &nl)
	out = append(out, nl)

	events := Table{ID: "events", Title: lang.T("report.table.events", y), Columns: []Column{{Label: lang.T("report.col.date")},
		{Label: lang.T("report.col.kind")}, {Label: lang.T("report.col.title")},
		{Label: lang.T("report.col.registered"), Numeric: true}, {Label: lang.T("report.col.on_site"), Numeric: true},
		{Label: lang.T("report.col.digital"), Numeric: true}, {Label: lang.T("report.col.attended"), Numeric: true}}}
	for _, e := range a.Events.Items {
		k := "events/" + e.ID + "/"
		events.Rows = append(events.Rows, Row{Key: e.ID, Header: formatDate(lang, e.Date), Cells: []Cell{
			textCell(k+"kind", eventKind(lang, e.Kind)), textCell(k+"title", e.Title),
			countCell(k+"registered", e.Registered, a.Events.Source), countCell(k+"on_site", e.OnSite, a.Events.Source),
			countCell(k+"digital", e.Digital, a.Events.Source), countCell(k+"attended", e.Attended, a.Events.Source)}})
	}
	events.Notes = append(events.Notes, lang.T("report.note.events"))
	out = append(out, events)

	kinds := Table{ID: "events_by_kind", Title: lang.T("report.table.events_by_kind", y), Columns: []Column{{Label: lang.T("report.col.kind")},
		{Label: lang.T("report.col.events"), Numeric: true}, {Label: lang.T("report.col.attended"), Numeric: true}}}
	for _, kt := range a.Events.ByKind {
		k := "events_by_kind/" + kt.Kind + "/"
		attended := Cell{Key: k + "attended", Unit: UnitCount}
		if kt.WithAttendance > 0 {
			attended = numberCell(k+"attended", float64(kt.Attended), a.Events.Source)
		}
		kinds.Rows = append(kinds.Rows, Row{Key: kt.Kind, Header: eventKind(lang, kt.Kind), Cells: []Cell{
			numberCell(k+"events", float64(kt.Events), a.Events.Source), attended}})
	}
	kinds.Rows = append(kinds.Rows, Row{Key: "total", Header: lang.T("report.total"), Cells: []Cell{
		figureCell("events_by_kind/total/events", UnitCount, a.Events.Held.Current),
		figureCell("events_by_kind/total/attended", UnitCount, a.Events.Attendance.Current)}})
	out = append(out, kinds)

	if len(a.Events.BySector) > 0 {
		sectors := Table{ID: "events_by_sector", Title: lang.T("report.table.events_by_sector", y), Columns: []Column{{Label: lang.T("report.col.sector")},
			{Label: lang.T("report.col.registered"), Numeric: true}, {Label: lang.T("report.col.attended"), Numeric: true}}}
		for _, s := range a.Events.BySector {
			k := "events_by_sector/" + s.Sector + "/"
			label := s.Sector
			if lang.Has("report.sector." + s.Sector) {
				label = lang.T("report.sector." + s.Sector)
			}
			sectors.Rows = append(sectors.Rows, Row{Key: s.Sector, Header: label, Cells: []Cell{
				numberCell(k+"registered", float64(s.Registered), a.Events.SectorSource),
				numberCell(k+"attended", float64(s.Attended), a.Events.SectorSource)}})
		}
		out = append(out, sectors)
	}
	if t := targetTable(lang, a.KPIs, y); len(t.Rows) > 0 {
		out = append(out, t)
	}
	return out
}

// socialMonths is the per-month detail of the collected social figures.
func socialMonths(lang i18n.Lang, a *Annual) Table {
	t := Table{ID: "social_months", Title: lang.T("report.table.social_months", a.Year), Columns: []Column{{Label: lang.T("report.col.month")}}}
	var platforms []Platform
	for _, p := range a.Social {
		if len(p.Months) == 12 {
			platforms = append(platforms, p)
			name := platformName(p.Platform)
			t.Columns = append(t.Columns,
				Column{Label: lang.T("report.col.platform_followers", name), Numeric: true},
				Column{Label: lang.T("report.col.platform_new", name), Numeric: true},
				Column{Label: lang.T("report.col.platform_reach", name), Numeric: true})
		}
	}
	if len(platforms) == 0 {
		return t
	}
	for m := 0; m < 12; m++ {
		month := platforms[0].Months[m].Month
		row := Row{Key: month, Header: capitalise(lang.Month(time.Month(m + 1)))}
		for _, p := range platforms {
			pm := p.Months[m]
			k := "social_months/" + month + "/" + p.Platform + "/"
			for _, v := range []struct {
				key string
				v   *float64
			}{{"followers", pm.Followers}, {"new_followers", pm.NewFollowers}, {"reach", pm.Reach}} {
				c := Cell{Key: k + v.key, Unit: UnitCount, Value: v.v}
				if v.v != nil {
					c.Origin, c.Source = Collected, p.MonthsSource
					if v.key != "reach" {
						c.MeasuredOn = pm.MeasuredOn
					}
				}
				row.Cells = append(row.Cells, c)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// targetTable lists the KPIs that have a target for year.
func targetTable(lang i18n.Lang, kpis []KPI, year int) Table {
	t := Table{ID: "targets", Title: lang.T("report.table.targets", year), Columns: []Column{{Label: lang.T("report.col.kpi")},
		{Label: lang.T("report.col.target", year), Numeric: true}, {Label: lang.T("report.col.progress"), Numeric: true},
		{Label: lang.T("report.col.target_share"), Numeric: true}, {Label: lang.T("report.col.status")}}}
	for _, k := range kpis {
		if k.Target == nil {
			continue
		}
		key := "targets/" + k.Name + "/"
		u := unitOf(k)
		share := Cell{Key: key + "share", Unit: UnitShare, Value: k.Target.Share}
		t.Rows = append(t.Rows, Row{Key: k.Name, Header: KPILabel(lang, k.Name), Cells: []Cell{
			{Key: key + "target", Unit: u, Value: f64(k.Target.Value)},
			// The progress is the KPI's own figure (or the query layer's on the same rows).
			{Key: key + "progress", Unit: u, Value: k.Target.Progress, Marks: Marks{Source: k.Current.Source}},
			share,
			textCell(key+"status", lang.T("report.status."+k.Target.Status)),
		}})
	}
	return t
}

// Tables are the quarterly review's tables in lang: the KPIs, then the targets.
func (r *Quarterly) Tables(lang i18n.Lang) []Table {
	name := func(period string) string {
		y, q, err := ParsePeriod(period)
		if err != nil {
			return period
		}
		return lang.T("report.quarter_year", lang.Quarter(q), y)
	}
	t := Table{ID: "kpis", Title: lang.T("report.table.kpis", name(r.Period)), Columns: []Column{{Label: lang.T("report.col.kpi")},
		{Label: name(r.Period), Numeric: true},
		{Label: name(r.PreviousPeriod), Numeric: true}, {Label: lang.T("report.col.change"), Numeric: true},
		{Label: name(r.YearEarlierPeriod), Numeric: true}, {Label: lang.T("report.col.change"), Numeric: true}}}
	for _, k := range r.KPIs {
		if !k.Current.Known() && !k.Previous.Known() && (k.YearEarlier == nil || !k.YearEarlier.Known()) {
			continue
		}
		key := "kpis/" + k.Name + "/"
		u := unitOf(k)
		ye := Figure{}
		if k.YearEarlier != nil {
			ye = *k.YearEarlier
		}
		t.Rows = append(t.Rows, Row{Key: k.Name, Header: KPILabel(lang, k.Name), Cells: []Cell{
			figureCell(key+r.Period, u, k.Current),
			figureCell(key+r.PreviousPeriod, u, k.Previous), changeCell(key+"change_previous", k, k.ChangePrevious),
			figureCell(key+r.YearEarlierPeriod, u, ye), changeCell(key+"change_year_earlier", k, k.ChangeYearEarlier),
		}})
	}
	noteMeasured(lang, &t)
	out := []Table{t}
	if tt := targetTable(lang, r.KPIs, r.Year); len(tt.Rows) > 0 {
		out = append(out, tt)
	}
	return out
}

func changeCell(key string, k KPI, c *Change) Cell {
	if k.Percent() {
		cell := Cell{Key: key, Unit: UnitPoints}
		if c != nil {
			cell.Value = f64(math.Round(c.Delta*1000) / 10)
		}
		return cell
	}
	cell := Cell{Key: key, Unit: UnitChange}
	if c != nil && c.Relative != nil {
		cell.Value = f64(*c.Relative)
	}
	return cell
}

func platformName(p string) string {
	switch p {
	case "facebook":
		return "Facebook"
	case "linkedin":
		return "LinkedIn"
	case "instagram":
		return "Instagram"
	}
	return p
}

func eventKind(lang i18n.Lang, kind string) string {
	if lang.Has("report.kind." + kind) {
		return lang.T("report.kind." + kind)
	}
	return kind
}

// formatDate writes a YYYY-MM-DD day as readers of lang do: 13.01.2022 in bokmål.
func formatDate(lang i18n.Lang, day string) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	if lang == i18n.EN {
		return d.Format("2 Jan 2006")
	}
	return d.Format("02.01.2006")
}

func capitalise(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
