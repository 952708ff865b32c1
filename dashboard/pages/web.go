package pages

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// webTopic is /nettsted: the website's visitors.
func webTopic() *topic {
	return &topic{path: "/nettsted", key: "web", file: "nettsted", timeCharts: true, markers: allMarkers(), figures: []figureDef{
		{"kvartal", (*Pages).webQuarterly},
		{"besok", (*Pages).webVisits},
		{"kanaler", (*Pages).webChannels},
		{"enheter", (*Pages).webDevices},
		{"nye-og-gjenvendende", (*Pages).webNewReturning},
		{"mest-leste-sider", (*Pages).webTopPages},
		{"publiseringer", (*Pages).webPublications},
		{"markeringer", (*Pages).annotationsFigure},
	}}
}

// webQuarterly is the annual report's chart, "Besøkende per kvartal", for the year of the span's
// last day: visits per quarter and the provider's unique visitors of each whole quarter.
func (p *Pages) webQuarterly(r *request, withChart bool) (*figure, error) {
	l, site := r.lang, r.site
	year := r.span.To.Year()
	f := &figure{Title: l.T("visitors.caption", site.Name, year), Intro: l.T("visitors.intro")}
	rows, err := p.queries.QuarterlyVisitors(r.ctx, site.ID, year)
	if err != nil {
		return nil, err
	}
	f.cite(days.YearSpan(year),
		datasetKeys{query.DatasetWebTraffic, []string{site.ID}}, datasetKeys{query.DatasetWebVisitors, []string{site.ID}})
	t := &table{Caption: f.Title, Head: []column{{Label: l.T("quarter.heading")},
		{Label: l.T("visitors.total"), Num: true}, {Label: l.T("visitors.unique"), Num: true}}}
	caveat := false
	for _, row := range rows {
		t.Rows = append(t.Rows, []cell{
			{Text: l.Quarter(row.Quarter), CSV: strconv.Itoa(year) + "-Q" + strconv.Itoa(row.Quarter), RowHeader: true},
			countCell(l, row.Visits),
			optCountCell(l, row.UniqueVisitors, uniqueMissing(l, row.Running)),
		})
		caveat = caveat || row.UniqueVisitors == nil
	}
	f.Table = t
	if len(rows) == 0 {
		f.Empty = l.T("visitors.empty_body", site.Name)
		return f, nil
	}
	if caveat {
		f.Notes = append(f.Notes, l.T("visitors.no_unique_note"))
	}
	if len(rows) < 4 {
		f.Notes = append(f.Notes, l.T("visitors.partial_year_note"))
	}
	if withChart {
		f.Chart, err = p.renderFigureChart(visitorsChart(l, site, year, rows, p.assets.Dir(echartsFile)),
			visitorsChartID, l.T("visitors.chart_label", site.Name, year))
	}
	return f, err
}

// uniqueMissing says why a period has no unique visitors: the provider gave none, or gave it only
// while the period was running (query.PeriodVisitors.Running).
func uniqueMissing(l i18n.Lang, running bool) string {
	if running {
		return l.T("visitors.running")
	}
	return l.T("visitors.no_unique")
}

// webVisits is visits (sessions) per day, week or month, next to the comparison span's, with the
// provider's monthly unique visitors when the points are months.
func (p *Pages) webVisits(r *request, withChart bool) (*figure, error) {
	l, q := r.lang, p.queries
	f := &figure{Title: l.T("web.visits.title", l.T("grain.per."+string(r.grain))), Intro: l.T("web.visits.intro")}
	cur, err := q.VisitsSeries(r.ctx, r.site.ID, r.span, r.grain)
	if err != nil {
		return nil, err
	}
	cmp, err := q.VisitsSeries(r.ctx, r.site.ID, r.cmp, r.grain)
	if err != nil {
		return nil, err
	}
	f.cite(r.span, datasetKeys{query.DatasetWebTraffic, []string{r.site.ID}})
	var uniques map[string]*uint64
	if r.grain == days.Month {
		rows, err := q.PeriodVisitorsBetween(r.ctx, r.site.ID, days.Month, r.span.From, r.span.To)
		if err != nil {
			return nil, err
		}
		uniques = map[string]*uint64{}
		for _, row := range rows {
			uniques[row.Start.Format("2006-01")] = row.Visitors
		}
		f.cite(r.span, datasetKeys{query.DatasetWebVisitors, []string{r.site.ID}})
		f.Notes = append(f.Notes, l.T("web.visits.unique_note"))
	} else {
		f.Notes = append(f.Notes, l.T("web.visits.no_unique_note"))
	}

	withYear := labelsNeedYear(r.span, r.grain)
	buckets := make([]days.Bucket, len(cur))
	labels := make([]string, len(cur))
	visits, prev, uniq := make([]*float64, len(cur)), make([]*float64, len(cur)), make([]*float64, len(cur))
	head := []column{{Label: l.T("grain.heading." + string(r.grain))}, {Label: l.T("web.visits.series"), Num: true},
		{Label: l.T("web.visits.compare_series", spanName(l, r.cmp)), Num: true},
		{Label: l.T("web.pages.views"), Num: true}}
	if uniques != nil {
		head = append(head, column{Label: l.T("visitors.unique"), Num: true})
	}
	// Weeks and months cut by the period's edges hold fewer days: say how many.
	if r.grain != days.Day {
		head = append(head, column{Label: l.T("grain.days"), Num: true})
	}
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: head}
	hasData := false
	for i, pt := range cur {
		buckets[i], labels[i] = pt.Bucket, bucketLabel(l, r.grain, pt.Bucket, withYear)
		name := labels[i]
		if !pt.Full {
			name += " " + l.T("grain.partial")
		}
		row := []cell{{Text: name, CSV: pt.Start.Format("2006-01-02"), RowHeader: true}}
		if pt.HasData {
			visits[i] = fptr(float64(pt.Visits))
			row = append(row, countCell(l, pt.Visits))
			hasData = true
		} else {
			row = append(row, missingCell(l.T("missing.no_data")))
		}
		if i < len(cmp) && cmp[i].HasData {
			prev[i] = fptr(float64(cmp[i].Visits))
			row = append(row, countCell(l, cmp[i].Visits))
		} else {
			row = append(row, missingCell(l.T("missing.no_data")))
		}
		// Pageviews add up over days, unlike unique visitors: every bucket has its sum.
		if pt.HasData {
			row = append(row, countCell(l, pt.Pageviews))
		} else {
			row = append(row, missingCell(l.T("missing.no_data")))
		}
		if uniques != nil {
			u := uniques[pt.Start.Format("2006-01")]
			if u != nil && pt.Full {
				uniq[i] = fptr(float64(*u))
			}
			if pt.Full {
				row = append(row, optCountCell(l, u, l.T("visitors.no_unique")))
			} else {
				row = append(row, missingCell(l.T("web.visits.partial_month")))
			}
		}
		if r.grain != days.Day {
			row = append(row, countCell(l, uint64(pt.End.Sub(pt.Start).Hours()/24)+1))
		}
		t.Rows = append(t.Rows, row)
	}
	f.Table = t
	f.Collapsed = len(t.Rows) > 24
	if !hasData {
		f.Empty = l.T("web.empty", r.site.Name, spanName(l, r.span))
		return f, nil
	}
	if !withChart {
		return f, nil
	}
	spec := chartSpec{lang: l, id: chartIDOf("besok"), title: f.Title, subtitle: r.site.Name + ", " + spanName(l, r.span),
		filename: "nettsted-besok-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
		colours: []string{colourTotal, "#999999", colourUnique}}
	return f, p.markedLine(r, f, spec, labels, r.grain, buckets, func(c *charts.Line) {
		c.AddSeries(chartText(l.T("web.visits.series")), lineData(visits), lineOpts(len(labels), false)...)
		c.AddSeries(chartText(l.T("web.visits.compare_series", spanName(l, r.cmp))), lineData(prev), lineOpts(len(labels), true)...)
		if uniques != nil {
			c.AddSeries(chartText(l.T("visitors.unique")), lineData(uniq), lineOpts(len(labels), false)...)
		}
	})
}

func fptr(x float64) *float64 { return &x }

// webChannels splits the span's visits by entry channel.
func (p *Pages) webChannels(r *request, withChart bool) (*figure, error) {
	return p.webShares(r, withChart, "kanaler", "channel", p.queries.ChannelShares)
}

// webDevices splits the span's visits by device.
func (p *Pages) webDevices(r *request, withChart bool) (*figure, error) {
	return p.webShares(r, withChart, "enheter", "device", p.queries.DeviceShares)
}

type sharesFunc = func(ctx context.Context, siteID string, from, to time.Time) ([]query.Share, error)

// webShares is a donut of the span's visits by a dimension with the table of visits and shares,
// next to the comparison span's.
func (p *Pages) webShares(r *request, withChart bool, slug, dim string, get sharesFunc) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("web." + dim + ".title"), Intro: l.T("web." + dim + ".intro"), ChartClass: "chart chart-side"}
	cur, err := get(r.ctx, r.site.ID, r.span.From, r.span.To)
	if err != nil {
		return nil, err
	}
	prev, err := get(r.ctx, r.site.ID, r.cmp.From, r.cmp.To)
	if err != nil {
		return nil, err
	}
	f.cite(r.span, datasetKeys{query.DatasetWebTraffic, []string{r.site.ID}})
	prevBy := map[string]query.Share{}
	for _, s := range prev {
		prevBy[s.Key] = s
	}
	cmpLabel := spanName(l, r.cmp)
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("web." + dim + ".heading")},
		{Label: l.T("web.visits.series"), Num: true},
		{Label: l.T("table.share"), CSVLabel: l.T("table.share_pct"), Num: true},
		{Label: l.T("table.compare_visits", cmpLabel), Num: true},
		{Label: l.T("table.compare_share", cmpLabel), CSVLabel: l.T("table.compare_share_pct", cmpLabel), Num: true},
	}}
	var names []string
	var values []uint64
	var total, prevTotal uint64
	seen := map[string]bool{}
	for _, s := range cur {
		name := kit.KeyName(l, dim, s.Key)
		names, values = append(names, name), append(values, s.Sessions)
		total += s.Sessions
		seen[s.Key] = true
		row := []cell{headerCell(name), countCell(l, s.Sessions), pctCell(l, &s.Share, 0, "")}
		if ps, ok := prevBy[s.Key]; ok {
			row = append(row, countCell(l, ps.Sessions), pctCell(l, &ps.Share, 0, ""))
		} else {
			row = append(row, missingCell(l.T("missing.no_data")), missingCell(l.T("missing.no_data")))
		}
		t.Rows = append(t.Rows, row)
	}
	for _, s := range prev {
		prevTotal += s.Sessions
		if !seen[s.Key] {
			t.Rows = append(t.Rows, []cell{headerCell(kit.KeyName(l, dim, s.Key)), missingCell(l.T("missing.no_data")),
				missingCell(l.T("missing.no_data")), countCell(l, s.Sessions), pctCell(l, &s.Share, 0, "")})
		}
	}
	one := 1.0
	foot := []cell{headerCell(l.T("table.total")), countCell(l, total), pctCell(l, &one, 0, "")}
	if prevTotal > 0 {
		foot = append(foot, countCell(l, prevTotal), pctCell(l, &one, 0, ""))
	} else {
		foot = append(foot, missingCell(l.T("missing.no_data")), missingCell(l.T("missing.no_data")))
	}
	t.Foot = [][]cell{foot}
	f.Table = t
	if total == 0 {
		f.Empty = l.T("web.empty", r.site.Name, spanName(l, r.span))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf(slug), title: f.Title, subtitle: r.site.Name + ", " + spanName(l, r.span),
			filename: "nettsted-" + slug + "-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile)}
		f.Chart, err = p.renderFigureChart(spec.newDonut(names, values), spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// webNewReturning splits a whole period's unique visitors into new and returning, as the
// provider counts them for that period.
func (p *Pages) webNewReturning(r *request, withChart bool) (*figure, error) {
	l, q := r.lang, p.queries
	f := &figure{Title: l.T("web.newret.title"), Intro: l.T("web.newret.intro"), ChartClass: "chart chart-side"}
	cur, err := q.SpanVisitors(r.ctx, r.site.ID, r.span)
	if err != nil {
		return nil, err
	}
	prev, err := q.SpanVisitors(r.ctx, r.site.ID, r.cmp)
	if err != nil {
		return nil, err
	}
	f.cite(r.span, datasetKeys{query.DatasetWebVisitors, []string{r.site.ID}})
	cmpLabel := spanName(l, r.cmp)
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("web.newret.heading")},
		{Label: spanName(l, r.span), Num: true},
		{Label: l.T("table.share"), CSVLabel: l.T("table.share_pct"), Num: true},
		{Label: cmpLabel, Num: true},
		{Label: l.T("table.compare_share", cmpLabel), CSVLabel: l.T("table.compare_share_pct", cmpLabel), Num: true},
	}}
	pick := func(pv *query.PeriodVisitors, which int) *uint64 {
		if pv == nil {
			return nil
		}
		return []*uint64{pv.NewVisitors, pv.ReturningVisitors, pv.Visitors}[which]
	}
	// Shares of new + returning (query.PeriodVisitors.Shares), which add up to 100 %.
	share := func(pv *query.PeriodVisitors, which int) *float64 {
		n, r := pv.Shares()
		if n == nil {
			return nil
		}
		return []*float64{n, r, fptr(1)}[which]
	}
	why := l.T("web.newret.missing")
	for i, key := range []string{"web.newret.new", "web.newret.returning", "web.newret.all"} {
		t.Rows = append(t.Rows, []cell{headerCell(l.T(key)),
			optCountCell(l, pick(cur, i), why), pctCell(l, share(cur, i), 0, why),
			optCountCell(l, pick(prev, i), why), pctCell(l, share(prev, i), 0, why)})
	}
	f.Table = t
	switch {
	case !r.span.Whole():
		f.Empty = l.T("web.newret.whole_only")
		return f, nil
	case cur == nil || cur.NewVisitors == nil || cur.ReturningVisitors == nil:
		f.Empty = l.T("web.newret.none", spanName(l, r.span))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("nye-og-gjenvendende"), title: f.Title, subtitle: r.site.Name + ", " + spanName(l, r.span),
			filename: "nettsted-nye-og-gjenvendende-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile)}
		c := spec.newDonut([]string{l.T("web.newret.new"), l.T("web.newret.returning")}, []uint64{*cur.NewVisitors, *cur.ReturningVisitors})
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// topPagesShown is how many pages the top list shows.
const topPagesShown = 10

// webTopPages lists the most viewed pages over the months the span touches.
func (p *Pages) webTopPages(r *request, _ bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("web.pages.title"), Intro: l.T("web.pages.intro")}
	pagesViewed, err := p.queries.TopPages(r.ctx, r.site.ID, r.span.From, r.span.To, topPagesShown)
	if err != nil {
		return nil, err
	}
	f.cite(days.Span{Kind: days.Custom, From: days.BucketStart(days.Month, r.span.From), To: r.span.To, End: r.span.To},
		datasetKeys{query.DatasetTopPages, []string{r.site.ID}})
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: "#", Num: true}, {Label: l.T("web.pages.page")}, {Label: l.T("web.pages.path")}, {Label: l.T("web.pages.views"), Num: true}}}
	for i, pg := range pagesViewed {
		t.Rows = append(t.Rows, []cell{{Text: strconv.Itoa(i + 1), CSV: strconv.Itoa(i + 1), Num: true},
			headerCell(pg.Title), textCell(pg.Path), countCell(l, pg.Pageviews)})
	}
	f.Table = t
	if len(pagesViewed) == 0 {
		f.Empty = l.T("web.empty", r.site.Name, spanName(l, r.span))
	}
	if r.span.From.Day() != 1 || r.span.To.AddDate(0, 0, 1).Day() != 1 {
		f.Notes = append(f.Notes, l.T("web.pages.whole_months"))
	}
	return f, nil
}

// webPublications counts the feeds' items per month: InnoMed aims at publishing every month.
func (p *Pages) webPublications(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("web.pubs.title"), Intro: l.T("web.pubs.intro")}
	if len(r.feeds) == 0 {
		f.Empty = l.T("web.pubs.no_feed")
		return f, nil
	}
	months, nUndated, err := p.queries.PublicationsPerMonth(r.ctx, r.feeds, r.span, r.loc)
	if err != nil {
		return nil, err
	}
	f.cite(monthsOf(r.span), datasetKeys{query.DatasetPublications, r.feeds})
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("grain.heading.month")},
		{Label: l.T("web.pubs.count"), Num: true}}}
	labels := make([]string, len(months))
	values := make([]*float64, len(months))
	total, without := 0, 0
	for i, m := range months {
		labels[i] = bucketLabel(l, days.Month, days.Bucket{Start: m.Month}, labelsNeedYear(r.span, days.Month))
		values[i] = fptr(float64(m.Count))
		total += m.Count
		if m.Count == 0 {
			without++
		}
		t.Rows = append(t.Rows, []cell{{Text: labels[i], CSV: m.Month.Format("2006-01"), RowHeader: true}, countCell(l, uint64(m.Count))})
	}
	if len(months) > 1 {
		t.Foot = [][]cell{{headerCell(l.T("table.total")), countCell(l, uint64(total))}}
	}
	// Items without a publication date belong to no month: shown apart, outside the total.
	if nUndated > 0 {
		t.Foot = append(t.Foot, []cell{headerCell(l.T("web.pubs.undated")), countCell(l, uint64(nUndated))})
	}
	f.Table = t
	if without > 0 {
		f.Notes = append(f.Notes, l.T("web.pubs.months_without", without))
	}
	if nUndated > 0 {
		f.Notes = append(f.Notes, l.T("web.pubs.undated_note", nUndated))
	}
	if !r.span.From.Equal(days.BucketStart(days.Month, r.span.From)) || !r.span.To.Equal(days.BucketStart(days.Month, r.span.To).AddDate(0, 1, -1)) {
		f.Notes = append(f.Notes, l.T("social.whole_months"))
	}
	if withChart && len(months) > 1 {
		spec := chartSpec{lang: l, id: chartIDOf("publiseringer"), title: f.Title, subtitle: spanName(l, r.span),
			filename: "nettsted-publiseringer-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile), colours: []string{"#009E73"}}
		c := spec.newBar(labels)
		c.AddSeries(chartText(l.T("web.pubs.count")), barData(values))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// annotationsFigure lists the markers the time charts show, with where they come from.
func (p *Pages) annotationsFigure(r *request, _ bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("annotation.title"), Intro: l.T("annotation.intro")}
	anns, err := r.annotations(p)
	if err != nil {
		return nil, err
	}
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("table.date")}, {Label: l.T("annotation.kind")}, {Label: l.T("annotation.text")}, {Label: l.T("annotation.source")}}}
	for _, a := range anns {
		t.Rows = append(t.Rows, []cell{dateCell(l, a.Day), textCell(l.T("annotation.kind." + string(a.Kind))),
			textCell(a.Title), textCell(sourceLabel(l, a.Source))})
	}
	f.Table = t
	f.Collapsed = len(t.Rows) > 12
	if len(anns) == 0 {
		f.Empty = l.T("annotation.none", spanName(l, r.span))
	}
	return f, nil
}

// sourceLabel names a row's source for a table.
func sourceLabel(l i18n.Lang, src string) string {
	switch src {
	case demoSource:
		return l.T("source.demo_label")
	case "":
		return l.T("source.unknown_label")
	}
	return src
}

// annotations are the span's markers, read once per request.
func (r *request) annotations(p *Pages) ([]query.Annotation, error) {
	r.annsOnce.Do(func() {
		scope := query.AnnotationScope{Scopes: []string{r.site.ID, globalScope}, ListID: r.list, EventAccount: r.account,
			Feeds: r.feeds, Location: r.loc}
		all, err := p.queries.Annotations(r.ctx, scope, r.span)
		if err != nil {
			r.annsErr = fmt.Errorf("annotations: %w", err)
			return
		}
		for _, a := range all {
			if slices.Contains(r.markers, a.Kind) {
				r.anns = append(r.anns, a)
			}
		}
	})
	return r.anns, r.annsErr
}

// allMarkers: web traffic reacts to everything the team does.
func allMarkers() []query.AnnotationKind {
	return []query.AnnotationKind{query.AnnotationManual, query.AnnotationEvent, query.AnnotationNewsletter, query.AnnotationPublication}
}

// globalScope is the annotations scope shown on every site's charts.
const globalScope = "global"
