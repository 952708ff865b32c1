package ga4

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// report pages through a report and returns its rows. On failure it returns the rows of the pages
// read so far with the error, so a caller that can tell which of them are complete may keep them.
func (c *Collector) report(ctx context.Context, sink *collectors.Sink, label, what string, req reportRequest) ([]row, error) {
	var rows []row
	err := c.eachPage(ctx, what, req, func(p page) error {
		c.noteMetadata(sink, label, p.resp)
		rows = append(rows, p.rows...)
		return nil
	})
	return rows, err
}

// noteMetadata passes on what GA says about an answer's quality.
func (c *Collector) noteMetadata(sink *collectors.Sink, label string, resp *reportResponse) {
	md := resp.Metadata
	if md.SubjectToThresholding {
		sink.Note("ga4: GA4 withheld low counts (data thresholding) in the %s report, so its figures may be slightly low; "+
			"Google signals (GA4 Admin → Data collection) is the usual cause", label)
	}
	if len(md.SamplingMetadatas) > 0 {
		sink.Note("ga4: GA4 sampled the %s report; its figures are estimates", label)
	}
	if md.EmptyReason != "" {
		sink.Note("ga4: GA4 says why the %s report is empty: %s", label, collectors.HideEmailAddresses(md.EmptyReason))
	}
	if md.TimeZone != "" && md.TimeZone != c.loc.String() {
		sink.Note("ga4: GA4 property %s counts days in %s but Rekkevidde counts them in %s; days are stored as GA4 reports them: "+
			"align the property's time zone (GA4 Admin → Property details) with the config", c.propertyID, md.TimeZone, c.loc)
	}
}

// otherRow is the dimension value of the row into which GA rolls the rare rows of a large report.
const otherRow = "(other)"

// collectDays adds the window's traffic, one complete channel × device set per day.
//
// GA returns no row for a day without traffic. A day without rows that lies between two days with
// rows is a day GA counted nobody (or whose data was deleted in GA): it gets an explicit all-zero
// set (one row, channel and device "other"), so that it replaces whatever an earlier collection
// stored for that day. Days without rows before the window's first day with traffic or after its
// last are left alone: there the property was most likely not collecting (not yet, or no longer),
// and zeros would overwrite what another source, such as the analytics tool the site moved to,
// holds for those days. A window without any row writes nothing and says so in a note.
func (c *Collector) collectDays(ctx context.Context, window days.Range, today time.Time, sink *collectors.Sink) error {
	to := days.Earlier(window.To, today)
	if window.From.After(to) {
		return nil
	}
	span := days.Range{From: window.From, To: to}
	req := newRequest(span.From, span.To,
		[]string{"date", "sessionDefaultChannelGroup", "deviceCategory"},
		[]string{"totalUsers", "sessions", "screenPageViews", "newUsers"})
	// Ordering by every dimension keeps paging stable: a page boundary inside a day cannot
	// repeat or skip a row.
	for _, d := range req.Dimensions {
		req.OrderBys = append(req.OrderBys, orderBy{Dimension: &dimensionOrder{DimensionName: d.Name}})
	}
	what := "daily traffic " + span.String()
	rows, err := c.report(ctx, sink, "daily traffic", what, req)
	pageFailed := err != nil

	type pair struct{ channel, device string }
	sets := map[time.Time]map[pair]*figures.WebTrafficDay{}
	var first, last time.Time
	var other []uint64
	for _, r := range rows {
		if r.dims[0] == otherRow {
			// GA rolls rare dimension combinations of a high-cardinality report into one "(other)"
			// row (metadata.dataLossFromOtherRow) that names no date: it belongs to no day, and
			// the days are stored as GA split them, short by what that row holds.
			if other == nil {
				other = make([]uint64, len(r.metrics))
			}
			for i, m := range r.metrics {
				other[i] += m
			}
			continue
		}
		day, parseErr := time.Parse("20060102", r.dims[0])
		switch {
		case parseErr != nil:
			return fmt.Errorf("ga4: property %s: %s: date %q is not YYYYMMDD", c.propertyID, what, r.dims[0])
		case day.Before(span.From) || day.After(span.To):
			return fmt.Errorf("ga4: property %s: %s: answered a row for %s, outside the range asked for", c.propertyID, what, days.Format(day))
		case day.Before(last):
			return fmt.Errorf("ga4: property %s: %s: rows are not in date order (%s after %s)", c.propertyID, what, days.Format(day), days.Format(last))
		}
		if first.IsZero() {
			first = day
		}
		last = day
		key := pair{collectors.Channel("ga4", r.dims[1], c.log), collectors.Device("ga4", r.dims[2], c.log)}
		if sets[day] == nil {
			sets[day] = map[pair]*figures.WebTrafficDay{}
		}
		rec := sets[day][key]
		if rec == nil {
			rec = &figures.WebTrafficDay{SiteID: c.site, Date: day, Channel: key.channel, Device: key.device}
			sets[day][key] = rec
		}
		// Several GA channels map onto one canonical channel (Paid Search and Paid Social are both
		// "paid"): their counts add up.
		rec.Visitors += r.metrics[0]
		rec.Sessions += r.metrics[1]
		rec.Pageviews += r.metrics[2]
		rec.NewVisitors += r.metrics[3]
	}
	if err == nil && other != nil {
		// The days are stored; Partly makes the run partial with a note saying what they lack.
		err = collectors.Partly(fmt.Errorf("ga4: property %s: %s: GA4 rolled %d sessions and %d page views of rare channel and device "+
			"combinations into an \"(other)\" row that names no day (dataLossFromOtherRow); they are left out, so these days may be slightly low",
			c.propertyID, what, other[1], other[2]))
	}
	if first.IsZero() {
		if err == nil {
			sink.Note("ga4: GA4 property %s has no traffic for %s; nothing was written for those days (is the property collecting data?)",
				c.propertyID, span)
		}
		return err
	}
	complete := last
	if pageFailed {
		// Rows come in date order, so every day before the last one seen is whole; the last one
		// may continue on the page that failed.
		complete = last.AddDate(0, 0, -1)
	}
	days.Range{From: first, To: complete}.Each(func(day time.Time) {
		set := sets[day]
		if len(set) == 0 {
			sink.Add(figures.WebTrafficDay{SiteID: c.site, Date: day, Channel: figures.ChannelOther, Device: figures.DeviceOther})
			return
		}
		for _, ch := range figures.Channels() {
			for _, dev := range figures.Devices() {
				if rec := set[pair{ch, dev}]; rec != nil {
					sink.Add(*rec)
				}
			}
		}
	})
	return err
}

// periodFigures is what the two period families fetched: GA's own deduplicated visitors of a
// whole month, quarter or year (a report without dimensions), and its new / returning split (by
// newVsReturning). Users GA cannot classify ("(not set)") are in the total but in neither part,
// and a user who was new and came back within the period is in both. add joins them into one
// record per period; a family that failed leaves its figures empty.
type periodFigures struct {
	visitors map[days.Period]uint64
	// empty marks periods GA has no visitors for: no record, and no split asked for.
	empty                  map[days.Period]bool
	newVisitors, returning map[days.Period]uint64
	split                  map[days.Period]bool
}

func newPeriodFigures() *periodFigures {
	return &periodFigures{visitors: map[days.Period]uint64{}, empty: map[days.Period]bool{},
		newVisitors: map[days.Period]uint64{}, returning: map[days.Period]uint64{}, split: map[days.Period]bool{}}
}

// collectUniques fetches a period's unique visitors; a running period is asked for up to today.
func (c *Collector) collectUniques(ctx context.Context, p days.Period, today time.Time, f *periodFigures, sink *collectors.Sink) error {
	end := days.Earlier(p.End, today)
	what := fmt.Sprintf("unique visitors of %s %s", p.Kind, days.Range{From: p.Start, To: p.End})
	rows, err := c.report(ctx, sink, "unique visitors", what, newRequest(p.Start, end, nil, []string{"totalUsers"}))
	if err != nil {
		return err
	}
	switch len(rows) {
	case 0:
		sink.Note("ga4: GA4 property %s has no visitors for the %s starting %s; no unique-visitor figure was written",
			c.propertyID, p.Kind, days.Format(p.Start))
		f.empty[p] = true
	case 1:
		f.visitors[p] = rows[0].metrics[0]
	default:
		return fmt.Errorf("ga4: property %s: %s: answered %d rows for a report without dimensions, want 1", c.propertyID, what, len(rows))
	}
	return nil
}

// collectNewReturning fetches a period's new and returning visitors, unless the period has none.
func (c *Collector) collectNewReturning(ctx context.Context, p days.Period, today time.Time, f *periodFigures, sink *collectors.Sink) error {
	if f.empty[p] {
		return nil
	}
	end := days.Earlier(p.End, today)
	what := fmt.Sprintf("new and returning visitors of %s %s", p.Kind, days.Range{From: p.Start, To: p.End})
	rows, err := c.report(ctx, sink, "new/returning visitors", what, newRequest(p.Start, end, []string{"newVsReturning"}, []string{"totalUsers"}))
	if err != nil {
		return err
	}
	for _, r := range rows {
		switch r.dims[0] {
		case "new":
			f.newVisitors[p] += r.metrics[0]
		case "returning":
			f.returning[p] += r.metrics[0]
		}
	}
	f.split[p] = true
	return nil
}

func (f *periodFigures) add(site string, periods []days.Period, sink *collectors.Sink) {
	for _, p := range periods {
		visitors, haveVisitors := f.visitors[p]
		if f.empty[p] || (!haveVisitors && !f.split[p]) {
			continue
		}
		record := figures.WebVisitorsPeriod{SiteID: site, Period: p.Kind, PeriodStart: p.Start, PeriodEnd: p.End}
		if haveVisitors {
			record.Visitors = collectors.Uint64(visitors)
		}
		if f.split[p] {
			record.NewVisitors = collectors.Uint64(f.newVisitors[p])
			record.ReturningVisitors = collectors.Uint64(f.returning[p])
		}
		sink.Add(record)
	}
}

// collectTopPages adds a month's top pages: a first report ranks the paths by views (exact per
// path, whatever titles a page had), a second finds each of those paths' most viewed title.
// Ranking by path and title together would split a retitled page in two and undercount it.
func (c *Collector) collectTopPages(ctx context.Context, month days.Period, today time.Time, sink *collectors.Sink) error {
	end := days.Earlier(month.End, today)
	what := "top pages of " + month.Start.Format("2006-01")
	req := newRequest(month.Start, end, []string{"pagePath"}, []string{"screenPageViews"})
	req.OrderBys = []orderBy{
		{Metric: &metricOrder{MetricName: "screenPageViews"}, Desc: true},
		{Dimension: &dimensionOrder{DimensionName: "pagePath"}},
	}
	// One more than the list holds, in case GA's "(other)" bucket takes a place, read in pages
	// (offset by the rows received) until that many rows or rowCount: GA may cap a page.
	ranked, err := c.firstRows(ctx, sink, "top pages", what, req, c.topPages+1)
	if err != nil {
		return err
	}
	type pathViews struct {
		path  string
		views uint64
	}
	var top []pathViews
	for _, r := range ranked {
		if r.dims[0] == otherRow {
			sink.Note("ga4: GA4 rolled rare pages into \"(other)\" in the top pages of %s; it is left out of the list", month.Start.Format("2006-01"))
			continue
		}
		if len(top) < c.topPages {
			top = append(top, pathViews{r.dims[0], r.metrics[0]})
		}
	}
	if len(top) == 0 {
		return nil
	}

	titlesReq := newRequest(month.Start, end, []string{"pagePath", "pageTitle"}, []string{"screenPageViews"})
	titlesReq.DimensionFilter = &filter{}
	titlesReq.DimensionFilter.Filter.FieldName = "pagePath"
	titlesReq.DimensionFilter.Filter.InListFilter.CaseSensitive = true
	for _, p := range top {
		titlesReq.DimensionFilter.Filter.InListFilter.Values = append(titlesReq.DimensionFilter.Filter.InListFilter.Values, p.path)
	}
	rows, titlesErr := c.report(ctx, sink, "top pages", "titles of the "+what, titlesReq)
	if titlesErr != nil {
		// Titles are optional: the ranked list, complete on its own, is stored untitled.
		rows = nil
	}
	type title struct {
		text  string
		views uint64
	}
	best := map[string]title{}
	for _, r := range rows {
		path, text, views := r.dims[0], r.dims[1], r.metrics[0]
		if cur, ok := best[path]; !ok || views > cur.views || (views == cur.views && text < cur.text) {
			best[path] = title{text, views}
		}
	}
	for _, p := range top {
		sink.Add(figures.TopPage{SiteID: c.site, Month: month.Start, Path: p.path, Title: best[p.path].text, Pageviews: p.views})
	}
	if titlesErr != nil {
		return collectors.Partly(fmt.Errorf("stored without titles: %w", titlesErr))
	}
	return nil
}
