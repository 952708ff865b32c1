// Package metrics is the catalogue of every figure a user of Rekkevidde can see: its name, unit,
// shape, the tables it reads, the reader family that computes it, the surfaces that show it, the
// rules an imported value follows, and its definition in bokmål and English. The dashboard, the
// reports, the read API, the e-mail, the history import and the targets iterate over this
// catalogue and only present; the reader code itself lives in internal/query, which switches on
// Metric.Reader. A newcomer finds each figure's definition here, and nowhere else.
package metrics

import (
	"math"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// Name is a figure's name: the `kpi` value of targets, the API's ?kpi= filter, the history import
// and the reports' JSON.
type Name string

// Shape is how a figure's value over a span is formed, which decides how it is compared and how a
// target's progress is read.
type Shape string

// Shapes.
const (
	// ShapeSum: an additive count over the span's days; a target is for the year's total.
	ShapeSum Shape = "sum"
	// ShapeLevel: a count at the span's last day; a target is the level to reach by year end.
	ShapeLevel Shape = "level"
	// ShapeRate: a fraction (0.2 is 20 %); a target is the rate to reach, given in percent.
	ShapeRate Shape = "rate"
	// ShapePeriod: the provider's deduplicated figure for a whole calendar period (or a mean of
	// such figures): never a sum of shorter periods.
	ShapePeriod Shape = "period"
)

// Unit is how a figure's value is held and written.
type Unit string

// Units.
const (
	// UnitCount is a number of people, visits, followers, sends or events.
	UnitCount Unit = "count"
	// UnitFraction is a share or rate held as a fraction (0.204) and written, imported and
	// targeted in percent (20,4 %). A growth may exceed 1.
	UnitFraction Unit = "fraction"
	// UnitPerMonth is a count averaged per calendar month of the period (may have decimals).
	UnitPerMonth Unit = "per_month"
)

// Item says what a figure's item names, for figures that come in rows (one per channel...).
type Item string

// Items.
const (
	NoItem      Item = ""
	ItemChannel Item = "channel" // a canonical channel (figures.Channels)
	ItemDevice  Item = "device"  // a canonical device, or DeviceMobileTablet
	ItemRank    Item = "rank"    // a page's place in a top list, 1 first
)

// DeviceMobileTablet is the device item for mobile and tablet counted together, as old reports
// give them ("about 20 % mobile or tablet"). Collected figures always keep the two apart.
const DeviceMobileTablet = "mobile_tablet"

// Reader is the family of query code that computes a figure from the collected tables; the query
// layer switches on it. Figures of one family are read together.
type Reader string

// Reader families.
const (
	ReadTraffic        Reader = "traffic"         // web_traffic_daily, summed over days
	ReadPeriodVisitors Reader = "period_visitors" // web_visitors_period, the provider's rows for whole periods
	ReadTopPages       Reader = "top_pages"       // web_top_pages, per month
	ReadFollowers      Reader = "followers"       // social_followers_daily snapshots
	ReadGrowth         Reader = "growth"          // derived from the followers family (GrowthRate)
	ReadReach          Reader = "reach"           // social_reach, the platform's rows for whole periods
	ReadSubscribers    Reader = "subscribers"     // newsletter_subscribers_daily snapshots
	ReadCampaigns      Reader = "campaigns"       // newsletter_campaigns, per send
	ReadEvents         Reader = "events"          // events
	ReadPublications   Reader = "publications"    // publications
)

// Surface is a set of places that show a figure.
type Surface uint8

// Surfaces.
const (
	// Overview: the overview's KPIs (cards and table), computed by query.KPIValues; the reports
	// and the read API's series compute the same set.
	Overview Surface = 1 << iota
	// Report: a row of the reports' KPI table (page, CSV, XLSX, JSON, e-mail).
	Report
	// API: a series of GET /api/v1/kpis (and a value of its ?kpi= filter).
	API
	// Import: a KPI the history import accepts (history_figures).
	Import
	// Target: a KPI a yearly target (config `targets`) may name.
	Target
)

// ImportRule is how the history import reads a figure's value.
type ImportRule struct {
	// Signed allows a negative value (net new followers can fall); Decimals allows a fraction (an
	// average, a percentage such as 20,4).
	Signed, Decimals bool
	// AboveHundred allows a percentage above 100 (a growth of 135 %); other shares stop at 100.
	AboveHundred bool
	// TextRequired: the figure is a text (a page title) and its value is optional.
	TextRequired bool
}

// Text is a text in both languages.
type Text struct{ NB, EN string }

// In returns the text in l (bokmål unless l is English).
func (t Text) In(l i18n.Lang) string {
	if l == i18n.EN {
		return t.EN
	}
	return t.NB
}

// Metric is one figure of the catalogue.
type Metric struct {
	Name  Name
	Unit  Unit
	Shape Shape
	// Platform is the social platform of a social figure.
	Platform string
	// Item is set for figures that come in rows per channel, device or rank.
	Item Item
	// Tables are the collected tables the reader reads (history_figures comes on top for an
	// importable figure: Tables() adds it).
	tables []string
	Reader Reader
	Shows  Surface
	// Import is how the history import reads the figure (when Shows has Import).
	Import ImportRule
	// Definition says what the figure is: the "source and definition" note, the README and
	// `rekkevidde import --help` use it.
	Definition Text
}

// Tables lists every table the figure is read from.
func (m Metric) Tables() []string {
	out := append([]string(nil), m.tables...)
	if m.On(Import) {
		out = append(out, "history_figures")
	}
	return out
}

// On tells whether the figure is shown on every surface of s.
func (m Metric) On(s Surface) bool { return m.Shows&s == s }

// Percent tells whether the figure is a share or rate, shown (and imported, targeted) in percent.
func (m Metric) Percent() bool { return m.Unit == UnitFraction }

// FromPercent turns a value given in percent (a target's or an imported figure's 22 for 22 %)
// into the figure's own unit: the one place a percentage becomes a fraction. A figure that is
// not a rate keeps the value as it is.
func (m Metric) FromPercent(v float64) float64 {
	if m.Percent() {
		return v / 100
	}
	return v
}

// Change is how a figure moved between two spans.
type Change struct {
	// Delta is current − earlier, in the figure's unit (for a rate: a fraction, so 0.012 is 1.2
	// percentage points).
	Delta float64
	// Relative is Delta / earlier (0.12 is +12 %); nil when earlier is 0 or the figure is a
	// rate, whose change is read in percentage points.
	Relative *float64
}

// Compare returns the change from earlier to current, nil when either is unknown.
func (m Metric) Compare(current, earlier *float64) *Change {
	if current == nil || earlier == nil {
		return nil
	}
	c := &Change{Delta: *current - *earlier}
	if m.Shape != ShapeRate && *earlier != 0 && !math.IsNaN(*earlier) {
		r := c.Delta / math.Abs(*earlier)
		c.Relative = &r
	}
	return c
}

// GrowthRate is "Vekst" (social.growth.<platform>): new followers over the followers at the
// start, where the start is the end less the new ones, as a fraction (1.35 is 135 %), for figures
// summed over a platform's accounts. Nil when either is unknown or the start is not above zero.
func GrowthRate(followersAtEnd, newFollowers *float64) *float64 {
	if followersAtEnd == nil || newFollowers == nil {
		return nil
	}
	start := *followersAtEnd - *newFollowers
	if start <= 0 {
		return nil
	}
	g := *newFollowers / start
	return &g
}

// All lists the catalogue: the overview's KPIs in display order, then the reports' own figures in
// their order, then the figures only imported history and the API show.
func All() []Metric { return catalogue() }

// Lookup finds a figure by name.
func Lookup(name string) (Metric, bool) {
	for _, m := range catalogue() {
		if string(m.Name) == name {
			return m, true
		}
	}
	return Metric{}, false
}

// MustLookup finds a figure the code names by constant; a missing one is a programming error.
func MustLookup(name Name) Metric {
	m, ok := Lookup(string(name))
	if !ok {
		panic("metrics: no figure " + string(name))
	}
	return m
}

// On lists the figures shown on every surface of s, in catalogue order.
func On(s Surface) []Metric {
	var out []Metric
	for _, m := range catalogue() {
		if m.On(s) {
			out = append(out, m)
		}
	}
	return out
}

// OverviewKPIs are the overview's KPIs in display order (query.KPIValues computes them).
func OverviewKPIs() []Metric { return On(Overview) }

// ReportKPIs are the rows of the reports' KPI table, in order.
func ReportKPIs() []Metric { return On(Report) }

// Importable are the figures the history import accepts.
func Importable() []Metric { return On(Import) }

// Targetable are the figures a yearly target may name.
func Targetable() []Metric { return On(Target) }

// APISeries are the figures GET /api/v1/kpis answers.
func APISeries() []Metric { return On(API) }

// Names are the names of ms, in order.
func Names(ms []Metric) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Name)
	}
	return out
}
