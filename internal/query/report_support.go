package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// What the reports need besides the figures themselves: how much of a period the collected tables
// cover (a report prefers an imported total for the whole period over a collected sum of part of
// it), and the reports published earlier.

// TrafficDays counts the days from..to (both included) on which a site has any web traffic row.
// A period's visits or channel shares cover the whole period only when this equals its length.
// It reads whole years (trafficYear), which the parts of one request share.
func (q *Queries) TrafficDays(ctx context.Context, siteID string, from, to time.Time) (int, error) {
	read := func(y int) ([]time.Time, error) { return q.trafficYear(ctx, siteID, y) }
	covered, err := inYears(from, to, read, func(d time.Time) bool { return !d.Before(from) && !d.After(to) })
	return len(covered), err
}

// trafficYear lists the days of year on which a site has any web traffic row; read once per
// request (query.Request).
func (q *Queries) trafficYear(ctx context.Context, siteID string, year int) ([]time.Time, error) {
	return once(ctx, fmt.Sprintf("trafficdays\x00%s\x00%d", siteID, year), func() ([]time.Time, error) {
		y := days.YearSpan(year)
		rows, err := q.conn.Query(ctx, `
SELECT DISTINCT date FROM web_traffic_daily
WHERE site_id = ? AND date >= toDate(?) AND date <= toDate(?)`, siteID, dateArg(y.From), dateArg(y.To))
		if err != nil {
			return nil, fmt.Errorf("traffic days for %s %d: %w", siteID, year, err)
		}
		defer func() { _ = rows.Close() }()
		var out []time.Time
		for rows.Next() {
			var d time.Time
			if err := rows.Scan(&d); err != nil {
				return nil, fmt.Errorf("traffic days for %s %d: %w", siteID, year, err)
			}
			out = append(out, d.UTC())
		}
		return out, rows.Err()
	})
}

// TopPageMonths counts the months overlapping from..to for which a site has a top-pages list.
func (q *Queries) TopPageMonths(ctx context.Context, siteID string, from, to time.Time) (int, error) {
	var n uint64
	err := q.conn.QueryRow(ctx, `
SELECT uniqExact(month) FROM web_top_pages
WHERE site_id = ? AND month >= toStartOfMonth(toDate(?)) AND month <= toDate(?)`, siteID, dateArg(from), dateArg(to)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("top-page months for %s %s..%s: %w", siteID, dateArg(from), dateArg(to), err)
	}
	return int(n), nil
}

// PublishedReport is one publication of a report: the figures as they were printed, frozen.
type PublishedReport struct {
	// Report is "annual" or "quarterly"; Period "2022" or "2022-Q3"; Scope the site id.
	Report, Scope, Period string
	PublishedAt           time.Time
	PublishedBy           string
	// Body is the report as JSON (internal/report decodes it); Checksum its SHA-256 in hex.
	Body     string
	Checksum string
}

// PublishedReports returns every publication of one report and period, newest first: the first is
// in force, the others are what was printed before it.
func (q *Queries) PublishedReports(ctx context.Context, report, scope, period string) ([]PublishedReport, error) {
	rows, err := q.conn.Query(ctx, `
SELECT report, scope, period, published_at, published_by, body, checksum
FROM report_publications
WHERE report = ? AND scope = ? AND period = ?
ORDER BY published_at DESC`, report, scope, period)
	if err != nil {
		return nil, fmt.Errorf("published %s report %s for %s: %w", report, period, scope, err)
	}
	defer func() { _ = rows.Close() }()
	var out []PublishedReport
	for rows.Next() {
		var p PublishedReport
		if err := rows.Scan(&p.Report, &p.Scope, &p.Period, &p.PublishedAt, &p.PublishedBy, &p.Body, &p.Checksum); err != nil {
			return nil, fmt.Errorf("published %s report %s: %w", report, period, err)
		}
		p.PublishedAt = p.PublishedAt.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("published %s report %s: %w", report, period, err)
	}
	return out, nil
}
