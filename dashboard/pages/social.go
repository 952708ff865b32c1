package pages

import (
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// socialTopic is /sosiale-medier: followers and reach per platform.
func socialTopic() *topic {
	// Followers react to events and to campaigns (manual notes); the markers stay few enough to read
	// on a year of daily points.
	return &topic{path: "/sosiale-medier", key: "social", file: "sosiale-medier",
		markers: []query.AnnotationKind{query.AnnotationManual, query.AnnotationEvent}, figures: []figureDef{
			{"folgere", (*Pages).socialFollowers},
			{"nye-folgere", (*Pages).socialNewFollowers},
			{"vekst", (*Pages).socialGrowth},
			{"rekkevidde", (*Pages).socialReach},
			{"markeringer", (*Pages).annotationsFigure},
		}}
}

// accountName names an account in a legend or a column: the platform, plus the account id when a
// platform has more than one account.
func accountName(l i18n.Lang, a query.SocialAccount, all []query.SocialAccount) string {
	name := kit.KeyName(l, "platform", a.Platform)
	n := 0
	for _, b := range all {
		if b.Platform == a.Platform {
			n++
		}
	}
	if n > 1 {
		name += " (" + a.AccountID + ")"
	}
	return name
}

func accountColours(accounts []query.SocialAccount) []string {
	out := make([]string, 0, len(accounts))
	for i, a := range accounts {
		c, ok := platformColour(a.Platform)
		if !ok {
			c = palette()[(i+4)%len(palette())]
		}
		out = append(out, c)
	}
	return out
}

func socialKeys(accounts []query.SocialAccount) []string {
	keys := make([]string, 0, len(accounts))
	for _, a := range accounts {
		keys = append(keys, a.AccountID)
	}
	return keys
}

// socialFollowers is every account's daily follower snapshots over the span. Days without a
// snapshot are gaps in the lines and empty cells in the table: never filled in.
func (p *Pages) socialFollowers(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("social.followers.title"), Intro: l.T("social.followers.intro")}
	daily := days.Buckets(r.span, days.Day)
	labels := make([]string, len(daily))
	withYear := labelsNeedYear(r.span, days.Day)
	for i, d := range daily {
		labels[i] = bucketLabel(l, days.Day, d, withYear)
	}
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("table.date")}}}
	series := make([][]*float64, len(r.social))
	total := 0
	for ai, a := range r.social {
		t.Head = append(t.Head, column{Label: accountName(l, a, r.social), Num: true})
		snaps, err := p.queries.Followers(r.ctx, a.Platform, a.AccountID, r.span.From, r.span.To)
		if err != nil {
			return nil, err
		}
		var n int
		series[ai], n = onBuckets(daily, time.DateOnly, snaps, func(s query.FollowerSnapshot) (time.Time, uint64) { return s.Date, s.Followers })
		missingDays := len(daily) - n
		total += len(snaps)
		if len(snaps) > 0 && missingDays > 0 {
			f.Notes = append(f.Notes, l.T("social.followers.gaps", accountName(l, a, r.social), missingDays))
		}
	}
	for i, d := range daily {
		row := []cell{dateCell(l, d.Start)}
		for ai := range r.social {
			if v := series[ai][i]; v != nil {
				row = append(row, countCell(l, uint64(*v)))
			} else {
				row = append(row, missingCell(l.T("social.followers.no_snapshot")))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	f.Table, f.Collapsed = t, len(t.Rows) > 14
	f.cite(r.span, datasetKeys{query.DatasetFollowers, socialKeys(r.social)})
	if total == 0 {
		f.Empty = l.T("social.empty", spanName(l, r.span))
		return f, nil
	}
	if !withChart {
		return f, nil
	}
	spec := chartSpec{lang: l, id: chartIDOf("folgere"), title: f.Title, subtitle: spanName(l, r.span),
		filename: "sosiale-medier-folgere-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
		colours: accountColours(r.social), level: true}
	return f, p.markedLine(r, f, spec, labels, days.Day, daily, func(c *charts.Line) {
		for ai, a := range r.social {
			c.AddSeries(chartText(accountName(l, a, r.social)), lineData(series[ai]), lineOpts(len(labels), false)...)
		}
	})
}

// onBuckets places each row's value on its bucket (the one whose start formats with layout as the
// row's time does) and leaves the others nil: a gap, never filled in. n is how many got a value.
func onBuckets[T any](buckets []days.Bucket, layout string, rows []T, value func(T) (time.Time, uint64)) (series []*float64, n int) {
	by := make(map[string]uint64, len(rows))
	for _, row := range rows {
		at, v := value(row)
		by[at.Format(layout)] = v
	}
	series = make([]*float64, len(buckets))
	for i, b := range buckets {
		if v, ok := by[b.Start.Format(layout)]; ok {
			series[i], n = fptr(float64(v)), n+1
		}
	}
	return series, n
}

// monthsOf is the whole months the span touches.
func monthsOf(s days.Span) days.Span {
	from := days.BucketStart(days.Month, s.From)
	to := days.BucketStart(days.Month, s.To).AddDate(0, 1, -1)
	return days.Span{Kind: days.Custom, From: from, To: to, End: to}
}

// monthTable is the months of the request's span (whole months), their chart labels and a table
// captioned title with their heading column: the start of every per-month account figure.
func monthTable(r *request, title string) ([]days.Bucket, []string, *table) {
	l := r.lang
	months := days.Buckets(monthsOf(r.span), days.Month)
	labels := make([]string, len(months))
	for i, m := range months {
		labels[i] = bucketLabel(l, days.Month, m, labelsNeedYear(r.span, days.Month))
	}
	t := &table{Caption: title + " – " + spanName(l, r.span), Head: []column{{Label: l.T("grain.heading.month")}}}
	return months, labels, t
}

// socialNewFollowers is the net new followers per month of every account.
func (p *Pages) socialNewFollowers(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("social.new.title"), Intro: l.T("social.new.intro")}
	months, labels, t := monthTable(r, f.Title)
	series := make([][]*float64, len(r.social))
	// measured is the day a month's count was last measured, when before the month's end: the
	// month's new followers are counted up to it. Months after the last measurement stay gaps.
	measured := make([][]*time.Time, len(r.social))
	found := false
	for ai, a := range r.social {
		t.Head = append(t.Head, column{Label: accountName(l, a, r.social), Num: true})
		rows, err := p.queries.MonthlyNewFollowers(r.ctx, a.Platform, a.AccountID, r.span.From, r.span.To)
		if err != nil {
			return nil, err
		}
		series[ai], measured[ai] = make([]*float64, len(months)), make([]*time.Time, len(months))
		for i, m := range rows {
			if i < len(months) && m.NewFollowers != nil {
				series[ai][i], measured[ai][i] = fptr(float64(*m.NewFollowers)), m.MeasuredOn
				found = true
			}
		}
	}
	for i, m := range months {
		row := []cell{{Text: labels[i], CSV: m.Start.Format("2006-01"), RowHeader: true}}
		for ai := range r.social {
			if v := series[ai][i]; v != nil {
				row = append(row, measuredCell(l, intCell(l, int64(*v)), measured[ai][i]))
			} else {
				row = append(row, missingCell(l.T("social.new.unknown")))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	f.Table = t
	if !r.span.From.Equal(months[0].Start) || !r.span.To.Equal(months[len(months)-1].End) {
		f.Notes = append(f.Notes, l.T("social.whole_months"))
	}
	return p.monthlyAccountBars(r, f, query.DatasetFollowers, found, withChart, "nye-folgere", labels, series)
}

// socialGrowth is every account's growth over the span ("Vekst"), next to the comparison span's.
func (p *Pages) socialGrowth(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("social.growth.title"), Intro: l.T("social.growth.intro")}
	cmpLabel := spanName(l, r.cmp)
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("social.platform")},
		{Label: l.T("social.growth.start"), Num: true},
		{Label: l.T("social.growth.end"), Num: true},
		{Label: l.T("social.growth.new"), Num: true},
		{Label: l.T("social.growth.pct"), CSVLabel: l.T("social.growth.pct_csv"), Num: true},
		{Label: l.T("social.growth.cmp_new", cmpLabel), Num: true},
		{Label: l.T("social.growth.cmp_pct", cmpLabel), CSVLabel: l.T("social.growth.cmp_pct_csv", cmpLabel), Num: true},
	}}
	var names []string
	cur, prev := make([]*float64, len(r.social)), make([]*float64, len(r.social))
	found := false
	pct := func(frac *float64) *float64 { // the chart's data are percent
		if frac == nil {
			return nil
		}
		return fptr(*frac * 100)
	}
	for i, a := range r.social {
		g, err := p.queries.FollowerGrowthBetween(r.ctx, a.Platform, a.AccountID, r.span.From, r.span.To)
		if err != nil {
			return nil, err
		}
		c, err := p.queries.FollowerGrowthBetween(r.ctx, a.Platform, a.AccountID, r.cmp.From, r.cmp.To)
		if err != nil {
			return nil, err
		}
		name := accountName(l, a, r.social)
		names = append(names, name)
		why := l.T("social.growth.unknown")
		t.Rows = append(t.Rows, []cell{headerCell(name),
			optCountCell(l, g.FollowersAtStart, why), measuredCell(l, optCountCell(l, g.FollowersAtEnd, why), g.MeasuredOn), optIntCell(l, g.NewFollowers, why),
			pctCell(l, g.GrowthRate, 0, why), optIntCell(l, c.NewFollowers, why), pctCell(l, c.GrowthRate, 0, why)})
		cur[i], prev[i] = pct(g.GrowthRate), pct(c.GrowthRate)
		found = found || g.FollowersAtEnd != nil
	}
	f.Table = t
	var err error
	f.cite(r.span, datasetKeys{query.DatasetFollowers, socialKeys(r.social)})
	if !found {
		f.Empty = l.T("social.empty", spanName(l, r.span))
		return f, nil
	}
	if !anyValue(cur) && !anyValue(prev) {
		// Nothing to draw: growth needs a count before the period started.
		f.Notes = append(f.Notes, l.T("social.growth.no_start"))
		return f, nil
	}
	if withChart {
		spec := chartSpec{lang: l, id: chartIDOf("vekst"), named: true, title: f.Title, subtitle: spanName(l, r.span),
			filename: "sosiale-medier-vekst-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
			percent: true, colours: []string{colourTotal, "#999999"}}
		c := spec.newBar(names)
		c.AddSeries(chartText(spanName(l, r.span)), barData(cur))
		c.AddSeries(chartText(cmpLabel), barData(prev))
		f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	}
	return f, err
}

// socialReach is every account's reach per month, as each platform counts it. Reach counts
// people per platform and month, so nothing here is added up across platforms or months; the
// platforms' own figure for the whole period, when they give one, is the last row.
func (p *Pages) socialReach(r *request, withChart bool) (*figure, error) {
	l := r.lang
	f := &figure{Title: l.T("social.reach.title"), Intro: l.T("social.reach.intro")}
	months, labels, t := monthTable(r, f.Title)
	series := make([][]*float64, len(r.social))
	whole := make([]*uint64, len(r.social))
	found, anyWhole := false, false
	for ai, a := range r.social {
		t.Head = append(t.Head, column{Label: accountName(l, a, r.social), Num: true})
		rows, err := p.queries.ReachBetween(r.ctx, a.Platform, a.AccountID, days.Month, months[0].Start, months[len(months)-1].Start)
		if err != nil {
			return nil, err
		}
		var n int
		series[ai], n = onBuckets(months, "2006-01", rows, func(row query.Reach) (time.Time, uint64) { return row.Start, row.Reach })
		found = found || n > 0
		if cal, ok := r.span.Calendar(); ok && cal.Kind != days.Month {
			rows, err := p.queries.ReachBetween(r.ctx, a.Platform, a.AccountID, cal.Kind, cal.From, cal.From)
			if err != nil {
				return nil, err
			}
			for _, row := range rows {
				if row.End.Equal(r.span.End) {
					v := row.Reach
					whole[ai], anyWhole = &v, true
				}
			}
		}
	}
	why := l.T("social.reach.none")
	for i, m := range months {
		row := []cell{{Text: labels[i], CSV: m.Start.Format("2006-01"), RowHeader: true}}
		for ai := range r.social {
			if v := series[ai][i]; v != nil {
				row = append(row, countCell(l, uint64(*v)))
			} else {
				row = append(row, missingCell(why))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if anyWhole {
		foot := []cell{headerCell(l.T("social.reach.whole", spanName(l, r.span)))}
		for ai := range r.social {
			foot = append(foot, optCountCell(l, whole[ai], why))
		}
		t.Foot = [][]cell{foot}
	}
	f.Table = t
	f.Notes = append(f.Notes, l.T("social.reach.not_additive"))
	return p.monthlyAccountBars(r, f, query.DatasetReach, found, withChart, "rekkevidde", labels, series)
}

func anyValue(values []*float64) bool {
	for _, v := range values {
		if v != nil {
			return true
		}
	}
	return false
}

// monthlyAccountBars finishes a figure of every account's monthly values (new followers, reach):
// f cites dataset d over the whole months and is empty when nothing was found (found); otherwise,
// withChart, it gets one bar series per account. slug names the chart and its PNG file.
func (p *Pages) monthlyAccountBars(r *request, f *figure, d query.Dataset, found, withChart bool, slug string, labels []string, series [][]*float64) (*figure, error) {
	l := r.lang
	f.cite(monthsOf(r.span), datasetKeys{d, socialKeys(r.social)})
	if !found {
		f.Empty = l.T("social.empty", spanName(l, r.span))
		return f, nil
	}
	if !withChart {
		return f, nil
	}
	spec := chartSpec{lang: l, id: chartIDOf(slug), title: f.Title, subtitle: spanName(l, r.span),
		filename: "sosiale-medier-" + slug + "-" + spanFileName(r.span), assetsDir: p.assets.Dir(echartsFile),
		colours: accountColours(r.social)}
	c := spec.newBar(labels)
	for ai, a := range r.social {
		c.AddSeries(chartText(accountName(l, a, r.social)), barData(series[ai]))
	}
	var err error
	f.Chart, err = p.renderFigureChart(c, spec.id, l.T("chart.label_table", f.Title))
	return f, err
}
