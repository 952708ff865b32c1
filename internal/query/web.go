package query

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// trafficArgs are latestTopPages' arguments for one site from..to.
func trafficArgs(siteID string, from, to time.Time) []any {
	return []any{siteID, dateArg(from), dateArg(to), siteID, dateArg(from), dateArg(to)}
}

// trafficRow is one day's traffic of one channel, or of one device, in a site's newest collection.
type trafficRow struct {
	day time.Time
	// key is the channel or the device.
	key                                      string
	sessions, pageviews, visitors, newVisits uint64
}

// webYear is what a site's web tables hold for one calendar year: each day's traffic per channel
// and per device (the same visits split two ways; the channels add up to the day), and the
// unique-visitor rows of the periods that start in it.
type webYear struct {
	channels, devices []trafficRow
	visitors          []PeriodVisitors
}

// The kinds of row web reads, and the flags of a unique-visitor row.
const (
	webChannel  = 1
	webDevice   = 2
	webVisitors = 3

	flagRunning     = 1
	flagNoVisitors  = 2
	flagNoNew       = 4
	flagNoReturning = 8
)

// web returns a site's web rows for the years yearsFor gives from..to, read once per request: one
// query for both tables and every year not read yet. Rows are summed per day and channel and per
// day and device (not per channel × device, which would be several times as many rows to send),
// with plain columns and flags for the missing figures, since decoding is much of the cost.
//
// Traffic keeps, for each day, only the rows of the newest collection of the day. A re-collection
// writes the day's whole channel × device set under one new version, so a combination that
// disappeared from the provider's answer disappears here too, and nothing is counted twice. Both
// reads are bounded by the site and the years (the tables' sort keys), so a page's cost follows the
// period it shows, not the site's whole history. A unique-visitor row fetched before its period was
// over is Running, with no figures (PeriodVisitors.Running).
func (q *Queries) web(ctx context.Context, siteID string, from, to time.Time) (map[int]webYear, error) {
	return blocks(ctx, "web\x00"+siteID, yearsFor(ctx, from, to, false), func(years []int) ([]webYear, error) {
		trafficDays, dayArgs := daysIn("date", years)
		periods, periodArgs := daysIn("period_start", years)
		var args []any
		args = append(args, siteID)
		args = append(args, dayArgs...)
		args = append(args, siteID)
		args = append(args, dayArgs...)
		args = append(args, siteID)
		args = append(args, periodArgs...)
		index := make(map[int]int, len(years))
		for i, y := range years {
			index[y] = i
		}
		out := make([]webYear, len(years))
		err := eachRow(ctx, q.conn, fmt.Sprintf("web figures for %s %v", siteID, years), `
SELECT kind, d1, d2, k, n1, n2, n3, n4, flags FROM (
    SELECT dim.1 AS kind, date AS d1, date AS d2, dim.2 AS k,
           sum(sessions) AS n1, sum(pageviews) AS n2, sum(visitors) AS n3, sum(new_visitors) AS n4, toUInt8(0) AS flags
    FROM web_traffic_daily
    ARRAY JOIN [(toUInt8(1), channel), (toUInt8(2), device)] AS dim
    WHERE site_id = ? AND `+trafficDays+` AND (site_id, date, version) IN (
        SELECT site_id, date, max(version) FROM web_traffic_daily
        WHERE site_id = ? AND `+trafficDays+`
        GROUP BY site_id, date
    )
    GROUP BY d1, kind, k
    UNION ALL
    SELECT toUInt8(3), period_start, period_end, period,
           ifNull(visitors, 0), ifNull(new_visitors, 0), ifNull(returning_visitors, 0), toUInt64(0),
           toUInt8((version < toUInt64(toUnixTimestamp(toDateTime(period_end + 1, 'UTC'))) * 1000000000)
                   + 2 * isNull(visitors) + 4 * isNull(new_visitors) + 8 * isNull(returning_visitors))
    FROM web_visitors_period FINAL
    WHERE site_id = ? AND `+periods+`
)
ORDER BY kind, d1, k`, args,
			func(rows driver.Rows) error {
				var kind, flags uint8
				var d1, d2 time.Time
				var k string
				var n1, n2, n3, n4 uint64
				if err := rows.Scan(&kind, &d1, &d2, &k, &n1, &n2, &n3, &n4, &flags); err != nil {
					return err
				}
				d1, d2 = d1.UTC(), d2.UTC()
				y := &out[index[d1.Year()]]
				switch kind {
				case webChannel:
					y.channels = append(y.channels, trafficRow{day: d1, key: k, sessions: n1, pageviews: n2, visitors: n3, newVisits: n4})
				case webDevice:
					y.devices = append(y.devices, trafficRow{day: d1, key: k, sessions: n1, pageviews: n2, visitors: n3, newVisits: n4})
				case webVisitors:
					p := PeriodVisitors{Period: days.Kind(k), Start: d1, End: d2}
					if flags&flagRunning != 0 {
						p.Running = true // no figures: they would still grow
					} else {
						p.Visitors, p.NewVisitors, p.ReturningVisitors = present(n1, flags&flagNoVisitors == 0),
							present(n2, flags&flagNoNew == 0), present(n3, flags&flagNoReturning == 0)
					}
					y.visitors = append(y.visitors, p)
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		return out, nil
	})
}

// present is n when ok, else nil (a figure the provider did not give).
func present(n uint64, ok bool) *uint64 {
	if !ok {
		return nil
	}
	return &n
}

// traffic is a site's traffic rows from..to (calendar days, both included), by day: per channel,
// or per device when byDevice.
func (q *Queries) traffic(ctx context.Context, siteID string, from, to time.Time, byDevice bool) ([]trafficRow, error) {
	all, err := q.web(ctx, siteID, from, to)
	if err != nil {
		return nil, err
	}
	var out []trafficRow
	for y := from.Year(); y <= to.Year(); y++ {
		rows := all[y].channels
		if byDevice {
			rows = all[y].devices
		}
		for _, t := range rows {
			if !t.day.Before(from) && !t.day.After(to) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// QuarterVisitors is one row of the annual report's "Besøkende per kvartal".
type QuarterVisitors struct {
	Quarter int
	// Visits are sessions, the report's "Totalt besøkende": additive, so the sum of the quarter's days.
	Visits uint64
	// UniqueVisitors is the provider's deduplicated figure for the whole quarter ("Unike besøkende"),
	// never a sum of days; nil when the provider could not give one, or gave it only while the
	// quarter was running (Running): PeriodVisitors' definition, the same on every page.
	UniqueVisitors *uint64
	Running        bool
}

// QuarterlyVisitors returns Q1–Q4 of year for a site. Quarters without any data are left out.
// Unique visitors are the rows PeriodVisitorsBetween reads, so they agree with the KPI cards,
// the reports and the API.
func (q *Queries) QuarterlyVisitors(ctx context.Context, siteID string, year int) ([]QuarterVisitors, error) {
	y := days.YearSpan(year)
	rows, err := q.traffic(ctx, siteID, y.From, y.To, false)
	if err != nil {
		return nil, fmt.Errorf("quarterly visitors for %s %d: %w", siteID, year, err)
	}
	byQuarter := map[int]*QuarterVisitors{}
	quarter := func(day time.Time) *QuarterVisitors {
		n := days.QuarterOf(day)
		row := byQuarter[n]
		if row == nil {
			row = &QuarterVisitors{Quarter: n}
			byQuarter[n] = row
		}
		return row
	}
	for _, t := range rows {
		quarter(t.day).Visits += t.sessions
	}
	periods, err := q.PeriodVisitorsBetween(ctx, siteID, days.Quarter, y.From, y.To)
	if err != nil {
		return nil, err
	}
	for _, p := range periods {
		row := quarter(p.Start)
		row.UniqueVisitors, row.Running = p.Visitors, p.Running
	}
	var out []QuarterVisitors
	for n := 1; n <= 4; n++ {
		if row := byQuarter[n]; row != nil {
			out = append(out, *row)
		}
	}
	return out, nil
}
