package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// History figures are period totals of past years known only from old reports and spreadsheets,
// imported with `rekkevidde import history` into history_figures. They are kept apart from the
// collected tables: a report uses one only where no collected figure exists for the KPI and period
// (internal/report/README.md), and marks it as imported wherever it is shown.

// HistoryUnit says how a history figure's value is read.
type HistoryUnit string

// History units.
const (
	// HistoryCount is a number of people, visits, followers, sends or events.
	HistoryCount HistoryUnit = "count"
	// HistoryPercent is a percentage as printed: 46 means 46 %.
	HistoryPercent HistoryUnit = "percent"
)

// HistoryItem says what a history figure's item names.
type HistoryItem string

// History items.
const (
	HistoryNoItem  HistoryItem = ""
	HistoryChannel HistoryItem = "channel" // a canonical channel (figures.Channels)
	HistoryDevice  HistoryItem = "device"  // a canonical device, or mobile_tablet for the two together
	HistoryRank    HistoryItem = "rank"    // a page's place in a top list, 1 first
)

// DeviceMobileTablet is the device item for mobile and tablet counted together, as old reports
// give them ("about 20 % mobile or tablet"). Collected figures always keep the two apart.
const DeviceMobileTablet = "mobile_tablet"

// History KPI names. Those shared with the overview's KPIs (kpi.go) mean the same figure; the rest
// exist only as history because old reports printed them as they stood.
const (
	HistoryWebVisits          = string(KPIWebVisits)
	HistoryWebUniqueVisitors  = string(KPIWebUniqueVisitors)
	HistoryWebNewShare        = "web.new_visitors_share"
	HistoryWebReturningShare  = "web.returning_visitors_share"
	HistoryWebChannelShare    = "web.channel_share"
	HistoryWebDeviceShare     = "web.device_share"
	HistoryWebTopPage         = "web.top_page"
	HistoryFollowersPrefix    = "social.followers."
	HistoryNewFollowersPrefix = "social.new_followers."
	HistoryGrowthPrefix       = "social.growth."
	HistoryReachPrefix        = "social.reach_per_month."
	HistorySubscribers        = string(KPINewsletterSubscribers)
	HistoryClickRate          = string(KPINewsletterClickRate)
	HistoryOpenRate           = "newsletter.open_rate"
	HistoryCampaigns          = "newsletter.campaigns"
	HistoryEventsHeld         = string(KPIEventsHeld)
	HistoryEventAttendance    = string(KPIEventAttendance)
)

// HistoryKPI describes one KPI the history table accepts.
type HistoryKPI struct {
	Name string
	Unit HistoryUnit
	Item HistoryItem
	// Platform is the social platform of a social KPI.
	Platform string
	// Signed allows a negative value (net new followers can fall); Decimals allows a fraction
	// (an average, a percentage such as 20,4).
	Signed, Decimals bool
	// TextRequired: the figure is a text (a page title) and value is optional.
	TextRequired bool
	// Help says what the figure is, for `rekkevidde import --help` and the README.
	Help string
}

// HistoryKPIs lists the KPIs history_figures holds, in the order the README documents them.
func HistoryKPIs() []HistoryKPI {
	out := []HistoryKPI{
		{Name: HistoryWebVisits, Unit: HistoryCount, Help: "visits (sessions), \"Totalt besøkende\""},
		{Name: HistoryWebUniqueVisitors, Unit: HistoryCount, Help: "unique visitors of the whole period, \"Unike besøkende\""},
		{Name: HistoryWebNewShare, Unit: HistoryPercent, Decimals: true, Help: "share of the period's visitors who were new"},
		{Name: HistoryWebReturningShare, Unit: HistoryPercent, Decimals: true, Help: "share of the period's visitors who came back"},
		{Name: HistoryWebChannelShare, Unit: HistoryPercent, Item: HistoryChannel, Decimals: true, Help: "share of visits through one entry channel"},
		{Name: HistoryWebDeviceShare, Unit: HistoryPercent, Item: HistoryDevice, Decimals: true, Help: "share of visits from one device"},
		{Name: HistoryWebTopPage, Unit: HistoryCount, Item: HistoryRank, TextRequired: true, Help: "a most visited page: its title in text, its pageviews in value (optional)"},
	}
	for _, p := range []string{"facebook", "linkedin", "instagram"} {
		out = append(out,
			HistoryKPI{Name: HistoryFollowersPrefix + p, Unit: HistoryCount, Platform: p, Help: "followers at the end of the period"},
			HistoryKPI{Name: HistoryNewFollowersPrefix + p, Unit: HistoryCount, Platform: p, Signed: true, Help: "net new followers over the period"},
			HistoryKPI{Name: HistoryGrowthPrefix + p, Unit: HistoryPercent, Platform: p, Decimals: true, Help: "growth as printed: new followers over followers at the start"},
			HistoryKPI{Name: HistoryReachPrefix + p, Unit: HistoryCount, Platform: p, Decimals: true, Help: "people reached per month, on average over the period"},
		)
	}
	return append(out,
		HistoryKPI{Name: HistorySubscribers, Unit: HistoryCount, Help: "newsletter subscribers at the end of the period"},
		HistoryKPI{Name: HistoryClickRate, Unit: HistoryPercent, Decimals: true, Help: "newsletter click rate: people who clicked per delivered e-mail"},
		HistoryKPI{Name: HistoryOpenRate, Unit: HistoryPercent, Decimals: true, Help: "newsletter open rate"},
		HistoryKPI{Name: HistoryCampaigns, Unit: HistoryCount, Help: "newsletter sends in the period"},
		HistoryKPI{Name: HistoryEventsHeld, Unit: HistoryCount, Help: "events held (when the events themselves are not imported)"},
		HistoryKPI{Name: HistoryEventAttendance, Unit: HistoryCount, Help: "people who attended the period's events"},
	)
}

// LookupHistoryKPI finds a history KPI by name.
func LookupHistoryKPI(name string) (HistoryKPI, bool) {
	for _, k := range HistoryKPIs() {
		if k.Name == name {
			return k, true
		}
	}
	return HistoryKPI{}, false
}

// HistoryFigure is one imported period total.
type HistoryFigure struct {
	KPI string
	// Scope is the site, account or list the figure belongs to; empty applies it to the only one.
	Scope  string
	Period days.Kind
	// Start and End are the period's first and last day.
	Start, End time.Time
	Item       string
	// Value is in the KPI's unit (a percentage as printed for HistoryPercent); nil when the
	// figure is a text only (a page title without pageviews).
	Value *float64
	Text  string
	// Qualifier keeps how the source stated the figure: "over", "about", "just_over", "nearly",
	// "under", or empty for an exact figure. "over 300 subscribers" is 300 with "over".
	Qualifier string
	Note      string
	Source    string
	// Imported is when the row was imported (its version).
	Imported time.Time
}

// HistoryFigures returns the imported figures of every period that starts from..to (calendar days,
// both included), by KPI, scope, start and item.
func (q *Queries) HistoryFigures(ctx context.Context, from, to time.Time) ([]HistoryFigure, error) {
	rows, err := q.conn.Query(ctx, `
SELECT kpi, scope, period, period_start, period_end, item, value, text, qualifier, note, source, version
FROM history_figures FINAL
WHERE deleted = 0 AND period_start >= toDate(?) AND period_start <= toDate(?)
ORDER BY kpi, scope, period_start, period, item`, dateArg(from), dateArg(to))
	if err != nil {
		return nil, fmt.Errorf("history figures %s..%s: %w", dateArg(from), dateArg(to), err)
	}
	defer func() { _ = rows.Close() }()
	var out []HistoryFigure
	for rows.Next() {
		var h HistoryFigure
		var period string
		var version uint64
		if err := rows.Scan(&h.KPI, &h.Scope, &period, &h.Start, &h.End, &h.Item, &h.Value, &h.Text, &h.Qualifier,
			&h.Note, &h.Source, &version); err != nil {
			return nil, fmt.Errorf("history figures: %w", err)
		}
		h.Period, h.Start, h.End = days.Kind(period), h.Start.UTC(), h.End.UTC()
		h.Imported = time.Unix(0, int64(version)).UTC()
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history figures: %w", err)
	}
	return out, nil
}

// HistoryYears lists the years that hold imported figures, newest first.
func (q *Queries) HistoryYears(ctx context.Context) ([]int, error) {
	rows, err := q.conn.Query(ctx, `SELECT DISTINCT toYear(period_start) AS y FROM history_figures WHERE deleted = 0 ORDER BY y DESC`)
	if err != nil {
		return nil, fmt.Errorf("history years: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var years []int
	for rows.Next() {
		var y uint16
		if err := rows.Scan(&y); err != nil {
			return nil, fmt.Errorf("history years: %w", err)
		}
		years = append(years, int(y))
	}
	return years, rows.Err()
}
