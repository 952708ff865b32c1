package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// latestWebTraffic keeps, for one site and the days from..to, only the rows of the newest
// collection of each day. A re-collection writes the day's whole channel × device set under one new
// version, so a combination that disappeared from the provider's answer disappears here too, and
// nothing is counted twice. Both reads are bounded by the site and the days (the table's sort key),
// so a page's cost follows the period it shows, not the site's whole history. Its arguments come
// from trafficArgs.
const latestWebTraffic = `(
    SELECT * FROM web_traffic_daily
    WHERE site_id = ? AND date >= toDate(?) AND date <= toDate(?) AND (site_id, date, version) IN (
        SELECT site_id, date, max(version) FROM web_traffic_daily
        WHERE site_id = ? AND date >= toDate(?) AND date <= toDate(?)
        GROUP BY site_id, date
    )
)`

// trafficArgs are latestWebTraffic's (and latestTopPages') arguments for one site from..to.
func trafficArgs(siteID string, from, to time.Time) []any {
	return []any{siteID, dateArg(from), dateArg(to), siteID, dateArg(from), dateArg(to)}
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
	rows, err := q.conn.Query(ctx, `
SELECT toUInt8(toQuarter(date)) AS quarter, sum(sessions) AS visits
FROM `+latestWebTraffic+`
GROUP BY quarter
ORDER BY quarter`, trafficArgs(siteID, y.From, y.To)...)
	if err != nil {
		return nil, fmt.Errorf("quarterly visitors for %s %d: %w", siteID, year, err)
	}
	defer func() { _ = rows.Close() }()
	byQuarter := map[int]*QuarterVisitors{}
	for rows.Next() {
		var quarter uint8
		var visits uint64
		if err := rows.Scan(&quarter, &visits); err != nil {
			return nil, fmt.Errorf("quarterly visitors for %s %d: %w", siteID, year, err)
		}
		byQuarter[int(quarter)] = &QuarterVisitors{Quarter: int(quarter), Visits: visits}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quarterly visitors for %s %d: %w", siteID, year, err)
	}
	periods, err := q.PeriodVisitorsBetween(ctx, siteID, days.Quarter, y.From, y.To)
	if err != nil {
		return nil, err
	}
	for _, p := range periods {
		n := days.QuarterOf(p.Start)
		row := byQuarter[n]
		if row == nil {
			row = &QuarterVisitors{Quarter: n}
			byQuarter[n] = row
		}
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

// YearsWithWebTraffic lists the years that hold web traffic for a site, newest first.
func (q *Queries) YearsWithWebTraffic(ctx context.Context, siteID string) ([]int, error) {
	rows, err := q.conn.Query(ctx, `SELECT DISTINCT toYear(date) AS y FROM web_traffic_daily WHERE site_id = ? ORDER BY y DESC`, siteID)
	if err != nil {
		return nil, fmt.Errorf("years with web traffic for %s: %w", siteID, err)
	}
	defer func() { _ = rows.Close() }()
	var years []int
	for rows.Next() {
		var y uint16
		if err := rows.Scan(&y); err != nil {
			return nil, fmt.Errorf("years with web traffic for %s: %w", siteID, err)
		}
		years = append(years, int(y))
	}
	return years, rows.Err()
}
