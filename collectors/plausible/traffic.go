package plausible

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// Daily traffic query. Results are positional, so values are read at the index of their name in
// these lists, never at a fixed position.
var (
	dailyMetrics    = []string{"visitors", "visits", "pageviews"}
	dailyDimensions = []string{"time:day", "visit:channel", "visit:device"}
)

// firstDay asks for the first day on which Plausible recorded a visit to the site. Days and periods
// before it were not measured by Plausible, so nothing is written for them (see README). Once
// found it is kept for the collector's life: it does not move, and asking in every step of a
// backfill would double the requests of short steps.
func (c *collector) firstDay(ctx context.Context, sink *collectors.Sink) (time.Time, bool, error) {
	c.firstMu.Lock()
	defer c.firstMu.Unlock()
	if !c.first.IsZero() {
		return c.first, true, nil
	}
	const what = "first day of data"
	resp, err := c.query(ctx, queryRequest{
		Metrics:    []string{"visitors"},
		DateRange:  "all",
		Dimensions: []string{"time:day"},
		OrderBy:    [][2]string{{"time:day", "asc"}},
		Pagination: &pagination{Limit: 1},
	}, what, sink)
	if err != nil {
		return time.Time{}, false, err
	}
	if len(resp.Results) == 0 {
		return time.Time{}, false, nil
	}
	day, err := days.Parse(resp.Results[0].Dimensions[0])
	if err != nil {
		return time.Time{}, false, fmt.Errorf("plausible: site_id %s: %s: time:day %w", c.siteID, what, err)
	}
	c.first = day
	return day, true, nil
}

// dayKey is a day's channel and device, either Plausible's names or the canonical ones.
type dayKey struct {
	day             time.Time
	channel, device string
}

// collectDays adds the window's daily channel × device sets. A day Plausible has no rows for had
// no visits: from the first day of data up to today it gets one all-zero row (channel and device
// "other"), so that a newer, empty set replaces any older one for that day.
func (c *collector) collectDays(ctx context.Context, window days.Range, first, today time.Time, sink *collectors.Sink) error {
	what := "daily traffic " + window.String()
	rows, resp, err := c.queryAll(ctx, queryRequest{
		Metrics:    dailyMetrics,
		DateRange:  []string{days.Format(window.From), days.Format(window.To)},
		Dimensions: dailyDimensions,
		// A total order keeps the pages stable.
		OrderBy: [][2]string{{"time:day", "asc"}, {"visit:channel", "asc"}, {"visit:device", "asc"}},
	}, what, sink)
	if err != nil {
		return err
	}
	c.checkTimeZone(resp.Query.DateRange, window.From, sink)

	iDay := slices.Index(dailyDimensions, "time:day")
	iChannel := slices.Index(dailyDimensions, "visit:channel")
	iDevice := slices.Index(dailyDimensions, "visit:device")

	// Plausible's own rows by their raw dimensions: a row seen on two pages is kept once.
	raw := map[dayKey]figures.WebTrafficDay{}
	for _, r := range rows {
		day, err := days.Parse(r.Dimensions[iDay])
		if err != nil {
			return fmt.Errorf("plausible: site_id %s: %s: time:day %w", c.siteID, what, err)
		}
		if day.Before(window.From) || day.After(window.To) {
			return fmt.Errorf("plausible: site_id %s: %s: Plausible answered a row for %s, outside the window", c.siteID, what, days.Format(day))
		}
		metric := func(name string) (uint64, error) {
			v, err := count(r.Metrics[slices.Index(dailyMetrics, name)])
			if err != nil {
				return 0, fmt.Errorf("plausible: site_id %s: %s: %s on %s: %w", c.siteID, what, name, days.Format(day), err)
			}
			return v, nil
		}
		var rec figures.WebTrafficDay
		if rec.Visitors, err = metric("visitors"); err != nil {
			return err
		}
		if rec.Sessions, err = metric("visits"); err != nil {
			return err
		}
		if rec.Pageviews, err = metric("pageviews"); err != nil {
			return err
		}
		raw[dayKey{day, r.Dimensions[iChannel], r.Dimensions[iDevice]}] = rec
	}

	// Several of Plausible's names map to one canonical channel or device: sum them.
	sets := map[time.Time]map[dayKey]*figures.WebTrafficDay{}
	for k, m := range raw {
		channel := collectors.Channel("plausible", k.channel, c.log)
		device := collectors.Device("plausible", k.device, c.log)
		set := sets[k.day]
		if set == nil {
			set = map[dayKey]*figures.WebTrafficDay{}
			sets[k.day] = set
		}
		ck := dayKey{k.day, channel, device}
		rec := set[ck]
		if rec == nil {
			rec = &figures.WebTrafficDay{SiteID: c.site, Date: k.day, Channel: channel, Device: device}
			set[ck] = rec
		}
		rec.Visitors += m.Visitors
		rec.Sessions += m.Sessions
		rec.Pageviews += m.Pageviews
	}

	var out []figures.Record
	markers := 0
	window.Each(func(day time.Time) {
		set, ok := sets[day]
		if !ok {
			if !day.Before(first) && !day.After(today) {
				out = append(out, figures.WebTrafficDay{SiteID: c.site, Date: day, Channel: figures.ChannelOther, Device: figures.DeviceOther})
				markers++
			}
			return
		}
		recs := make([]figures.WebTrafficDay, 0, len(set))
		for _, r := range set {
			recs = append(recs, *r)
		}
		slices.SortFunc(recs, func(a, b figures.WebTrafficDay) int {
			return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Device, b.Device))
		})
		for _, r := range recs {
			out = append(out, r)
		}
	})
	sink.Add(out...)
	c.log.Debug("plausible daily traffic", "site_id", c.siteID, "window", window.String(), "rows", len(rows), "records", len(out), "days_without_visits", markers)
	return nil
}

// checkTimeZone compares the day boundary Plausible used (the echoed range starts at midnight in
// the site's time zone) with Rekkevidde's time zone: if they differ, every day holds other hours.
func (c *collector) checkTimeZone(echoed []string, from time.Time, sink *collectors.Sink) {
	if len(echoed) == 0 {
		return
	}
	start, err := time.Parse(time.RFC3339, echoed[0])
	if err != nil {
		return
	}
	want := days.Start(from, c.loc)
	if start.Equal(want) {
		return
	}
	sink.Note("plausible: site_id %s counts days in a time zone at UTC%s on %s, but Rekkevidde counts them in %s (UTC%s): set the site's time zone in Plausible's site settings to %s, or each stored day holds another zone's hours",
		c.siteID, start.Format("-07:00"), days.Format(from), c.loc, want.Format("-07:00"), c.loc)
}

// collectPeriod adds Plausible's deduplicated visitors for the whole period: one query over the
// period without dimensions, never a sum of days.
func (c *collector) collectPeriod(ctx context.Context, p days.Period, sink *collectors.Sink) error {
	what := fmt.Sprintf("unique visitors of %s %s..%s", p.Kind, days.Format(p.Start), days.Format(p.End))
	resp, err := c.query(ctx, queryRequest{
		Metrics:   []string{"visitors"},
		DateRange: []string{days.Format(p.Start), days.Format(p.End)},
	}, what, sink)
	if err != nil {
		return err
	}
	var visitors uint64
	switch len(resp.Results) {
	case 0:
		// No rows for a period after the first day of data: nobody visited.
	case 1:
		if visitors, err = count(resp.Results[0].Metrics[0]); err != nil {
			return fmt.Errorf("plausible: site_id %s: %s: visitors %w", c.siteID, what, err)
		}
	default:
		return fmt.Errorf("plausible: site_id %s: %s: %d results where one total was expected", c.siteID, what, len(resp.Results))
	}
	sink.Add(figures.WebVisitorsPeriod{
		SiteID:      c.site,
		Period:      p.Kind,
		PeriodStart: p.Start,
		PeriodEnd:   p.End,
		Visitors:    collectors.Uint64(visitors),
		// Plausible has no new/returning split: nil is stored as NULL, never as an estimate.
	})
	return nil
}

// collectTopPages adds the month's most viewed pages, paging (pagination limit and offset) until
// it holds topPagesPerMonth of them or Plausible has no more. Plausible has no page titles, so
// Title is empty; pages with no pageviews (only custom events) are left out.
func (c *collector) collectTopPages(ctx context.Context, month days.Period, sink *collectors.Sink) error {
	what := fmt.Sprintf("top pages of %s", month.Start.Format("2006-01"))
	var out []figures.Record
	seen := map[string]bool{}
	for offset := 0; offset < topPagesPerMonth; {
		limit := min(c.pageSize, topPagesPerMonth-offset)
		resp, err := c.query(ctx, queryRequest{
			Metrics:    []string{"pageviews"},
			DateRange:  []string{days.Format(month.Start), days.Format(month.End)},
			Dimensions: []string{"event:page"},
			// Ties are broken by path so that the 50th place, and every page boundary, is stable.
			OrderBy:    [][2]string{{"pageviews", "desc"}, {"event:page", "asc"}},
			Pagination: &pagination{Limit: limit, Offset: offset},
		}, what, sink)
		if err != nil {
			return err
		}
		for _, r := range resp.Results {
			views, err := count(r.Metrics[0])
			if err != nil {
				return fmt.Errorf("plausible: site_id %s: %s: pageviews of %s: %w", c.siteID, what, r.Dimensions[0], err)
			}
			if views == 0 || seen[r.Dimensions[0]] {
				continue
			}
			seen[r.Dimensions[0]] = true
			out = append(out, figures.TopPage{SiteID: c.site, Month: month.Start, Path: r.Dimensions[0], Pageviews: views})
		}
		offset += len(resp.Results)
		if len(resp.Results) < limit {
			break
		}
	}
	sink.Add(out...)
	return nil
}
