package pages

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
)

// newsletterTopic is /nyhetsbrev: the list's size and every send's opens and clicks.
func newsletterTopic() *topic {
	return &topic{path: "/nyhetsbrev", key: "newsletter", file: "nyhetsbrev",
		markers: []query.AnnotationKind{query.AnnotationManual, query.AnnotationNewsletter}, figures: []figureDef{
			{"abonnenter", (*Pages).newsletterSubscribers},
			{"utsendelser", (*Pages).newsletterCampaigns},
			{"oppsummering", (*Pages).newsletterSummary},
			{"markeringer", (*Pages).annotationsFigure},
		}}
}

// newsletterSubscribers is the list's daily size over the span; missing days stay gaps.
func (p *Pages) newsletterSubscribers(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("newsletter.subs.title"), Intro: l.T("newsletter.subs.intro")}
	if r.list == "" {
		f.Empty = l.T("newsletter.no_list")
		return f, nil
	}
	snaps, err := p.queries.Subscribers(r.ctx, r.list, r.span.From, r.span.To)
	if err != nil {
		return nil, err
	}
	f.cite(r.span, datasetKeys{query.DatasetSubscribers, []string{r.list}})
	byDay := map[string]query.SubscriberSnapshot{}
	for _, s := range snaps {
		byDay[s.Date.Format("2006-01-02")] = s
	}
	daily := days.Buckets(r.span, days.Day)
	labels := make([]string, len(daily))
	values := make([]*float64, len(daily))
	withYear := labelsNeedYear(r.span, days.Day)
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("table.date")},
		{Label: l.T("newsletter.subs.subscribers"), Num: true}, {Label: l.T("newsletter.subs.unsubscribed"), Num: true},
		{Label: l.T("newsletter.subs.cleaned"), Num: true}}}
	gaps := 0
	why := l.T("newsletter.subs.no_snapshot")
	for i, d := range daily {
		labels[i] = bucketLabel(l, days.Day, d, withYear)
		s, ok := byDay[d.Start.Format("2006-01-02")]
		if !ok {
			gaps++
			t.Rows = append(t.Rows, []cell{dateCell(l, d.Start), missingCell(why), missingCell(why), missingCell(why)})
			continue
		}
		values[i] = fptr(float64(s.Subscribers))
		t.Rows = append(t.Rows, []cell{dateCell(l, d.Start), countCell(l, s.Subscribers), countCell(l, s.Unsubscribed), countCell(l, s.Cleaned)})
	}
	f.Table, f.Collapsed = t, len(t.Rows) > 14
	if len(snaps) == 0 {
		f.Empty = l.T("newsletter.empty", spanName(l, r.span))
		return f, nil
	}
	if gaps > 0 {
		f.Notes = append(f.Notes, l.T("newsletter.subs.gaps", gaps))
	}
	if !withChart {
		return f, nil
	}
	spec := chartSpec{lang: l, id: chartIDOf("abonnenter"), title: f.Title, subtitle: spanName(l, r.span),
		filename: "nyhetsbrev-abonnenter-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile), level: true}
	return f, p.markedLine(r, f, spec, labels, days.Day, daily, func(c *charts.Line) {
		c.AddSeries(chartText(l.T("newsletter.subs.subscribers")), lineData(values), lineOpts(len(labels), false)...)
	})
}

// campaignLabelSep separates a send's date from its title in the chart's categories; the axis
// shows only the date, the tooltip both.
const campaignLabelSep = " · "

// newsletterCampaigns is every send of the span with our open and click rates next to the
// provider's own.
func (p *Pages) newsletterCampaigns(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("newsletter.campaigns.title"), Intro: l.T("newsletter.campaigns.intro")}
	sends, err := p.listCampaigns(r, f, r.span)
	if err != nil || sends == nil {
		return f, err
	}
	cs := sends[0]
	why := l.T("newsletter.rate_missing")
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("table.date")}, {Label: l.T("newsletter.campaign")},
		{Label: l.T("newsletter.delivered"), Num: true},
		{Label: l.T("newsletter.opens"), Num: true},
		{Label: l.T("newsletter.open_rate"), CSVLabel: l.T("newsletter.open_rate_pct"), Num: true},
		{Label: l.T("newsletter.provider_open_rate"), CSVLabel: l.T("newsletter.provider_open_rate_pct"), Num: true},
		{Label: l.T("newsletter.clicks"), Num: true},
		{Label: l.T("newsletter.click_rate"), CSVLabel: l.T("newsletter.click_rate_pct"), Num: true},
		{Label: l.T("newsletter.provider_click_rate"), CSVLabel: l.T("newsletter.provider_click_rate_pct"), Num: true},
	}}
	labels := make([]string, len(cs))
	series := make([][]*float64, 4)
	for i := range series {
		series[i] = make([]*float64, len(cs))
	}
	for i, c := range cs {
		day := utcDate(c.SendTime.In(r.loc))
		labels[i] = kit.ShortDate(l, day) + campaignLabelSep + c.Title
		t.Rows = append(t.Rows, []cell{dateCell(l, day), textCell(c.Title), countCell(l, c.Delivered), countCell(l, c.UniqueOpens),
			pctCell(l, c.OpenRate(), 1, why), pctCell(l, c.ProviderOpenRate, 1, why), countCell(l, c.UniqueClicks),
			pctCell(l, c.ClickRate(), 1, why), pctCell(l, c.ProviderClickRate, 1, why)})
		series[0][i], series[1][i] = percentOf(c.OpenRate()), percentOf(c.ProviderOpenRate)
		series[2][i], series[3][i] = percentOf(c.ClickRate()), percentOf(c.ProviderClickRate)
	}
	f.Table, f.Collapsed = t, len(t.Rows) > 14
	if len(cs) == 0 {
		f.Empty = l.T("newsletter.no_campaigns", spanName(l, r.span))
		return f, nil
	}
	f.Notes = append(f.Notes, l.T("newsletter.rates_note"))
	if !withChart {
		return f, nil
	}
	spec := chartSpec{lang: l, id: chartIDOf("utsendelser"), title: f.Title, subtitle: spanName(l, r.span),
		filename: "nyhetsbrev-utsendelser-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
		percent: true, colours: []string{colourTotal, colourTotal, colourUnique, colourUnique}}
	c := spec.newLine(labels)
	// The axis shows the date only; the whole category (date · title) is in the tooltip.
	c.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{AxisTick: &opts.AxisTick{Show: opts.Bool(false)},
		AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(jsCategoryHead())}}))
	names := []string{"newsletter.open_rate", "newsletter.provider_open_rate", "newsletter.click_rate", "newsletter.provider_click_rate"}
	for i, key := range names {
		c.AddSeries(chartText(l.T(key)), lineData(series[i]), lineOpts(len(labels), i%2 == 1)...)
	}
	f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	return f, err
}

// listCampaigns reads the chosen list's sends in each of spans, for figure f, which it cites.
// Without a list it says so on f and gives nil.
func (p *Pages) listCampaigns(r *request, f *figure, spans ...days.Span) ([][]query.Campaign, error) {
	if r.list == "" {
		f.Empty = r.lang.T("newsletter.no_list")
		return nil, nil
	}
	out := make([][]query.Campaign, len(spans))
	for i, s := range spans {
		cs, err := p.queries.SpanCampaigns(r.ctx, r.list, s, r.loc)
		if err != nil {
			return nil, err
		}
		out[i] = cs
	}
	f.cite(r.span, datasetKeys{query.DatasetCampaigns, []string{r.list}})
	return out, nil
}

// newsletterSummary adds up the span's sends next to the comparison span's.
func (p *Pages) newsletterSummary(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("newsletter.summary.title"), Intro: l.T("newsletter.summary.intro"), ChartClass: "chart chart-side"}
	sends, err := p.listCampaigns(r, f, r.span, r.cmp)
	if err != nil || sends == nil {
		return f, err
	}
	a, b := query.SumCampaigns(sends[0]), query.SumCampaigns(sends[1])
	cmpLabel := spanName(l, r.cmp)
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("table.figure")},
		{Label: spanName(l, r.span), Num: true}, {Label: cmpLabel, Num: true}}}
	counts := []struct {
		key  string
		a, b uint64
	}{
		{"newsletter.sends", uint64(a.Campaigns), uint64(b.Campaigns)},
		{"newsletter.sent", a.EmailsSent, b.EmailsSent},
		{"newsletter.delivered", a.Delivered, b.Delivered},
		{"newsletter.opens", a.UniqueOpens, b.UniqueOpens},
		{"newsletter.clicks", a.UniqueClicks, b.UniqueClicks},
		{"newsletter.unsubscribed", a.Unsubscribed, b.Unsubscribed},
	}
	for _, c := range counts {
		t.Rows = append(t.Rows, []cell{headerCell(l.T(c.key)), countCell(l, c.a), countCell(l, c.b)})
	}
	why := l.T("newsletter.rate_missing")
	t.Rows = append(t.Rows,
		[]cell{{Text: l.T("newsletter.open_rate"), CSV: l.T("newsletter.open_rate_pct"), RowHeader: true}, pctCell(l, a.OpenRate, 1, why), pctCell(l, b.OpenRate, 1, why)},
		[]cell{{Text: l.T("newsletter.click_rate"), CSV: l.T("newsletter.click_rate_pct"), RowHeader: true}, pctCell(l, a.ClickRate, 1, why), pctCell(l, b.ClickRate, 1, why)},
		[]cell{{Text: l.T("newsletter.mean_click_rate"), CSV: l.T("newsletter.mean_click_rate_pct"), RowHeader: true}, pctCell(l, a.MeanClickRate, 1, why), pctCell(l, b.MeanClickRate, 1, why)})
	f.Notes = append(f.Notes, l.T("newsletter.pooled_note"))
	f.Table = t
	if a.Campaigns == 0 && b.Campaigns == 0 {
		f.Empty = l.T("newsletter.no_campaigns", spanName(l, r.span))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("oppsummering"), named: true, title: f.Title, subtitle: spanName(l, r.span),
			filename: "nyhetsbrev-oppsummering-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			percent: true, colours: []string{colourTotal, "#999999"}}
		pct := func(x *float64) *float64 {
			if x == nil {
				return nil
			}
			return fptr(*x * 100)
		}
		c := spec.newBar([]string{l.T("newsletter.open_rate"), l.T("newsletter.click_rate")})
		c.AddSeries(chartText(spanName(l, r.span)), barData([]*float64{pct(a.OpenRate), pct(a.ClickRate)}))
		c.AddSeries(chartText(cmpLabel), barData([]*float64{pct(b.OpenRate), pct(b.ClickRate)}))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}
