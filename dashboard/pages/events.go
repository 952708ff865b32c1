package pages

import (
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// eventsTopic is /arrangementer: attendance of webinars, meetings, courses and conferences. The
// entry form (dashboard/admin/events.go) is linked from topic.actions, above the figures.
func eventsTopic() *topic {
	return &topic{path: "/arrangementer", key: "events", file: "arrangementer", figures: []figureDef{
		{"arrangementer", (*Pages).eventsList},
		{"typer", (*Pages).eventsByKind},
		{"sektorer", (*Pages).eventsBySector},
		{"kvartaler", (*Pages).eventsByQuarter},
	}, actions: eventActions}
}

// attendanceColours are on site and digital, stacked.
func attendanceColours() []string { return []string{"#D55E00", "#0072B2"} }

func (p *Pages) spanEvents(r *request, s days.Span) ([]query.Event, error) {
	if r.account == "" {
		return nil, nil
	}
	return p.queries.SpanEvents(r.ctx, r.account, s, r.loc)
}

// citedEvents reads the register's events in each of spans (spanEvents) for figure f, which
// cites dataset d over the first span.
func (p *Pages) citedEvents(r *request, f *figure, d query.Dataset, spans ...days.Span) ([][]query.Event, error) {
	out := make([][]query.Event, len(spans))
	for i, s := range spans {
		var err error
		if out[i], err = p.spanEvents(r, s); err != nil {
			return nil, err
		}
	}
	f.cite(spans[0], datasetKeys{d, []string{r.account}})
	return out, nil
}

// attendanceCells are an event's or a sum's registered, on site, digital and total cells.
func attendanceCells(l i18n.Lang, t query.EventTotals) []cell {
	opt := func(v uint64, with int, why string) cell {
		if with == 0 {
			return missingCell(why)
		}
		return countCell(l, v)
	}
	return []cell{
		opt(t.Registered, t.WithRegistered, l.T("events.not_counted")),
		opt(t.OnSite, t.WithOnSite, l.T("events.not_applicable")),
		opt(t.Digital, t.WithDigital, l.T("events.not_applicable")),
		opt(t.Attended, t.WithAttendance, l.T("events.not_counted")),
	}
}

func attendanceHead(l i18n.Lang) []column {
	return []column{{Label: l.T("events.registered"), Num: true}, {Label: l.T("events.on_site"), Num: true},
		{Label: l.T("events.digital"), Num: true}, {Label: l.T("events.attended"), Num: true}}
}

// optBar is a stacked bar's value: an unknown part is empty, not zero.
func optBar(v *uint32) *float64 {
	if v == nil {
		return nil
	}
	return fptr(float64(*v))
}

// eventsList is every event of the span with its attendance, on site and digital stacked.
func (p *Pages) eventsList(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("events.list.title"), Intro: l.T("events.list.intro")}
	got, err := p.citedEvents(r, f, query.DatasetEvents, r.span)
	if err != nil {
		return nil, err
	}
	events := got[0]
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: append([]column{{Label: l.T("table.date")},
		{Label: l.T("events.kind")}, {Label: l.T("events.event")}}, attendanceHead(l)...)}
	labels := make([]string, len(events))
	onSite, digital := make([]*float64, len(events)), make([]*float64, len(events))
	for i, e := range events {
		day := utcDate(e.StartsAt.In(r.loc))
		labels[i] = kit.ShortDate(l, day) + campaignLabelSep + e.Title
		row := []cell{dateCell(l, day), textCell(kit.KeyName(l, "kind", e.Kind)), textCell(e.Title)}
		t.Rows = append(t.Rows, append(row, attendanceCells(l, query.SumEvents([]query.Event{e}))...))
		onSite[i], digital[i] = optBar(e.AttendedOnSite), optBar(e.AttendedDigital)
	}
	if len(events) > 1 {
		t.Foot = [][]cell{append([]cell{headerCell(l.T("table.total")), textCell(""), textCell(l.T("events.count_n", len(events)))},
			attendanceCells(l, query.SumEvents(events))...)}
	}
	// Editors get a link to each event's form (event_links.go); the CSV (no chart) keeps to figures.
	if withChart && p.canEditEvents(r.c) {
		t.Head = append(t.Head, column{Label: l.T("eventform.edit_col")})
		for i, e := range events {
			t.Rows[i] = append(t.Rows[i], eventEditCell(r, e))
		}
		for i := range t.Foot {
			t.Foot[i] = append(t.Foot[i], textCell(""))
		}
	}
	f.Table, f.Collapsed = t, len(t.Rows) > 20
	if len(events) == 0 {
		f.Empty = l.T("events.empty", spanName(l, r.span))
		return f, nil
	}
	f.Notes = append(f.Notes, l.T("events.null_note"))
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("arrangementer"), title: f.Title, subtitle: spanName(l, r.span),
			filename: "arrangementer-deltakelse-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			colours: attendanceColours()}
		c := spec.newBar(labels)
		c.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{AxisTick: &opts.AxisTick{Show: opts.Bool(false)},
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(jsCategoryHead())}}))
		c.AddSeries(chartText(l.T("events.on_site")), barData(onSite), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"}))
		c.AddSeries(chartText(l.T("events.digital")), barData(digital), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"}))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// eventsByKind sums the span's events per kind, next to the comparison span's.
func (p *Pages) eventsByKind(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("events.kinds.title"), Intro: l.T("events.kinds.intro")}
	got, err := p.citedEvents(r, f, query.DatasetEvents, r.span, r.cmp)
	if err != nil {
		return nil, err
	}
	cur, prev := got[0], got[1]
	cmpLabel := spanName(l, r.cmp)
	prevBy := map[string]query.KindEvents{}
	for _, k := range query.SumByKind(prev, figures.EventKinds()) {
		prevBy[k.Kind] = k
	}
	head := append([]column{{Label: l.T("events.kind")}, {Label: l.T("events.events"), Num: true}}, attendanceHead(l)...)
	head = append(head, column{Label: l.T("events.cmp_events", cmpLabel), Num: true}, column{Label: l.T("events.cmp_attended", cmpLabel), Num: true})
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: head}
	kinds := query.SumByKind(cur, figures.EventKinds())
	// Kinds held only in the comparison span still get a row, with zero events now.
	for _, k := range query.SumByKind(prev, figures.EventKinds()) {
		found := false
		for _, c := range kinds {
			found = found || c.Kind == k.Kind
		}
		if !found {
			kinds = append(kinds, query.KindEvents{Kind: k.Kind})
		}
	}
	var names []string
	var attended, prevAttended []*float64
	for _, k := range kinds {
		name := kit.KeyName(l, "kind", k.Kind)
		names = append(names, name)
		row := append([]cell{headerCell(name), countCell(l, uint64(k.Events))}, attendanceCells(l, k.EventTotals)...)
		pk := prevBy[k.Kind]
		row = append(row, countCell(l, uint64(pk.Events)))
		if pk.WithAttendance > 0 {
			row = append(row, countCell(l, pk.Attended))
			prevAttended = append(prevAttended, fptr(float64(pk.Attended)))
		} else {
			row = append(row, missingCell(l.T("events.not_counted")))
			prevAttended = append(prevAttended, nil)
		}
		if k.WithAttendance > 0 {
			attended = append(attended, fptr(float64(k.Attended)))
		} else {
			attended = append(attended, nil)
		}
		t.Rows = append(t.Rows, row)
	}
	f.Table = t
	if len(cur) == 0 && len(prev) == 0 {
		f.Empty = l.T("events.empty", spanName(l, r.span))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("typer"), named: true, title: f.Title, subtitle: spanName(l, r.span),
			filename: "arrangementer-typer-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			colours: []string{colourTotal, "#999999"}}
		c := spec.newBar(names)
		c.AddSeries(chartText(l.T("events.attended")+", "+spanName(l, r.span)), barData(attended))
		c.AddSeries(chartText(l.T("events.attended")+", "+cmpLabel), barData(prevAttended))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// eventsBySector is registrants and attendees per sector over the span's events that have a
// sector breakdown.
func (p *Pages) eventsBySector(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("events.sectors.title"), Intro: l.T("events.sectors.intro"), ChartClass: "chart chart-side"}
	got, err := p.citedEvents(r, f, query.DatasetSectors, r.span)
	if err != nil {
		return nil, err
	}
	events := got[0]
	with := 0
	for _, e := range events {
		if len(e.Sectors) > 0 {
			with++
		}
	}
	sectors := query.SumSectors(events, figures.Sectors())
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("events.sector")},
		{Label: l.T("events.registered"), Num: true}, {Label: l.T("events.attended"), Num: true}, {Label: l.T("events.events"), Num: true}}}
	var names []string
	var reg, att []*float64
	for _, s := range sectors {
		name := kit.KeyName(l, "sector", s.Sector)
		names = append(names, name)
		reg, att = append(reg, fptr(float64(s.Registered))), append(att, fptr(float64(s.Attended)))
		t.Rows = append(t.Rows, []cell{headerCell(name), countCell(l, s.Registered), countCell(l, s.Attended), countCell(l, uint64(s.Events))})
	}
	f.Table = t
	if with == 0 {
		f.Empty = l.T("events.sectors.none", spanName(l, r.span))
		return f, nil
	}
	f.Notes = append(f.Notes, l.T("events.sectors.note", with, len(events)))
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("sektorer"), named: true, title: f.Title, subtitle: spanName(l, r.span),
			filename: "arrangementer-sektorer-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			colours: []string{"#999999", colourTotal}}
		c := spec.newBar(names)
		c.AddSeries(chartText(l.T("events.registered")), barData(reg))
		c.AddSeries(chartText(l.T("events.attended")), barData(att))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// eventsByQuarter is the events of every quarter of the year(s) the span lies in, attendance on
// site and digital stacked: the resource group's quarterly view.
func (p *Pages) eventsByQuarter(r *request, withChart bool) (*figure, error) {
	l := r.lang
	years := days.Span{Kind: days.Custom, From: days.YearSpan(r.span.From.Year()).From, To: days.YearSpan(r.span.To.Year()).End}
	years.End = years.To
	title := l.T("events.quarters.title", strconv.Itoa(r.span.From.Year()))
	if r.span.From.Year() != r.span.To.Year() {
		title = l.T("events.quarters.title", strconv.Itoa(r.span.From.Year())+"–"+strconv.Itoa(r.span.To.Year()))
	}
	f := &figure{Title: title, Intro: l.T("events.quarters.intro")}
	got, err := p.citedEvents(r, f, query.DatasetEvents, years)
	if err != nil {
		return nil, err
	}
	events := got[0]
	quarters := query.EventsByQuarter(events, years.From, years.To, r.loc)
	t := &table{Caption: f.Title, Head: append([]column{{Label: l.T("quarter.heading")}, {Label: l.T("events.events"), Num: true}}, attendanceHead(l)...)}
	labels := make([]string, len(quarters))
	onSite, digital := make([]*float64, len(quarters)), make([]*float64, len(quarters))
	for i, q := range quarters {
		labels[i] = l.Quarter(q.Quarter)
		if years.From.Year() != years.To.Year() {
			labels[i] += " " + strconv.Itoa(q.Year)
		}
		row := []cell{{Text: labels[i], CSV: strconv.Itoa(q.Year) + "-Q" + strconv.Itoa(q.Quarter), RowHeader: true}, countCell(l, uint64(q.Events))}
		t.Rows = append(t.Rows, append(row, attendanceCells(l, q.EventTotals)...))
		if q.WithOnSite > 0 {
			onSite[i] = fptr(float64(q.OnSite))
		}
		if q.WithDigital > 0 {
			digital[i] = fptr(float64(q.Digital))
		}
	}
	f.Table = t
	if len(events) == 0 {
		f.Empty = l.T("events.empty", spanName(l, years))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("kvartaler"), title: f.Title,
			filename: "arrangementer-kvartaler-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			colours: attendanceColours()}
		c := spec.newBar(labels)
		c.AddSeries(chartText(l.T("events.on_site")), barData(onSite), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"}))
		c.AddSeries(chartText(l.T("events.digital")), barData(digital), charts.WithBarChartOpts(opts.BarChart{Stack: "attended"}))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}
