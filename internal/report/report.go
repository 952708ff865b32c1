// Package report builds the figures people copy into reports: the annual report's communication
// page (Annual) and the resource group's quarterly review (Quarterly), each beside the period
// before. Every figure comes from internal/query, which defines it once; where no collected figure
// exists for a KPI and period, an imported one (history_figures, `rekkevidde import history`) takes
// its place and is marked as imported. README.md gives the precedence and every definition.
//
// A report is a plain struct that marshals to JSON; Tables turns it into the tables the dashboard,
// the CSV and the XLSX downloads show. A published report is frozen as JSON (Publish) and later
// compared figure by figure with what the data says today (Diff).
package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// Origin says where a figure comes from.
type Origin string

// Origins.
const (
	// Collected figures come from the figure tables: collectors, the entry form, and the detailed
	// imports (events, newsletter sends, subscriber counts).
	Collected Origin = "collected"
	// Imported figures are period totals from history_figures: known only from old reports or
	// spreadsheets.
	Imported Origin = "imported"
)

// Qualifiers keep how an imported figure was stated: "over 300" is 300 with QualifierOver.
const (
	QualifierAbout    = "about"
	QualifierOver     = "over"
	QualifierJustOver = "just_over"
	QualifierNearly   = "nearly"
	QualifierUnder    = "under"
)

// Figure is one number of a report. Shares and rates are fractions (0.46 is 46 %), counts are
// counts, an average may have decimals.
type Figure struct {
	// Value is nil when the figure is unknown: nothing collected or imported for it.
	Value *float64 `json:"value"`
	Marks
}

// Marks are what a figure says besides its value, shared by a Figure and the table Cell that
// shows it. Embedded, its fields stand in the JSON where they always stood, with the same names,
// so publications stored before it are read and written byte for byte as they were
// (TestStoredPublicationsReadAndWriteUnchanged).
type Marks struct {
	Origin Origin `json:"origin,omitempty"`
	// Partial marks a collected figure that covers only part of its period (a collector that
	// started late) and that no imported figure could replace.
	Partial   bool   `json:"partial,omitempty"`
	Qualifier string `json:"qualifier,omitempty"`
	// Computed is what the figure works out to from the report's other figures, set only where
	// that differs from an imported value as printed (growth printed 133 %, 350 / 266 = 132 %).
	Computed *float64 `json:"computed,omitempty"`
	// MeasuredOn (YYYY-MM-DD) is, for a level read at the period's end (followers, subscribers,
	// the last send's click rate) and for what is computed from one (new followers, growth), the
	// day it was last measured when that is before the period's last day: the figure is "sist
	// målt <dag>", not the count at the end. Empty when measured on the last day. A level last
	// measured before the period began is no figure at all, never carried forward.
	MeasuredOn string `json:"measured_on,omitempty"`
	// Source says where the figure comes from: for a collected figure the sources that wrote its
	// rows (a configured source id, "demo", "form", "import"), for an imported one the import's
	// note or label ("Årsrapport 2022, 2.4"). Reports published before it existed lack it.
	Source string `json:"source,omitempty"`
}

// Known tells whether the figure has a value.
func (f Figure) Known() bool { return f.Value != nil }

// Compared is a figure beside the same figure for the periods it is compared with.
type Compared struct {
	Current Figure `json:"current"`
	// Previous is the year before (annual report) or the quarter before (quarterly review).
	Previous Figure `json:"previous"`
	// YearEarlier is the same quarter a year before (quarterly review only).
	YearEarlier *Figure `json:"year_earlier,omitempty"`
}

// Site is the website a report is for.
type Site struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Report kinds, as stored with a publication and named in URLs of the API.
const (
	KindAnnual    = "annual"
	KindQuarterly = "quarterly"
)

// Options configure a Builder.
type Options struct {
	// Site is the website whose figures the report shows.
	Site config.Site
	// Location is the organisation's time zone: it decides the day of a send or an event.
	Location *time.Location
	// Targets are the configured yearly targets (config targets); rates are given in percent.
	Targets []config.Target
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Builder builds reports over the query layer. It holds no state between builds and is safe for
// concurrent use.
type Builder struct {
	q       *query.Queries
	site    config.Site
	loc     *time.Location
	targets []config.Target
	now     func() time.Time
}

// ErrBadPeriod is wrapped by the builders' errors for a year or quarter out of range.
var ErrBadPeriod = errors.New("bad report period")

// New returns a builder for one site.
func New(q *query.Queries, opts Options) (*Builder, error) {
	if q == nil {
		return nil, errors.New("report: no query layer")
	}
	if opts.Site.ID == "" {
		return nil, errors.New("report: no site")
	}
	if opts.Location == nil {
		return nil, errors.New("report: no time zone")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Builder{q: q, site: opts.Site, loc: opts.Location, targets: opts.Targets, now: now}, nil
}

func checkYear(year int) error {
	if year < 2000 || year > 2100 {
		return fmt.Errorf("%w: year %d", ErrBadPeriod, year)
	}
	return nil
}

// PeriodName names a report's period as URLs and publications do: "2022" or "2022-Q3".
func PeriodName(year, quarter int) string {
	if quarter == 0 {
		return fmt.Sprintf("%d", year)
	}
	return fmt.Sprintf("%d-Q%d", year, quarter)
}

// ParsePeriod reads "2022" (quarter 0) or "2022-Q3" (also 2022-q3 and 2022-K3).
func ParsePeriod(s string) (year, quarter int, err error) {
	var rest string
	if n, _ := fmt.Sscanf(s, "%4d%s", &year, &rest); n == 0 {
		return 0, 0, fmt.Errorf("%w: %q is not a year or a quarter such as 2022-Q3", ErrBadPeriod, s)
	}
	switch {
	case rest == "" && len(s) == 4:
	case len(rest) == 3 && rest[0] == '-' && (rest[1] == 'Q' || rest[1] == 'q' || rest[1] == 'K' || rest[1] == 'k') &&
		rest[2] >= '1' && rest[2] <= '4' && len(s) == 7:
		quarter = int(rest[2] - '0')
	default:
		return 0, 0, fmt.Errorf("%w: %q is not a year or a quarter such as 2022-Q3", ErrBadPeriod, s)
	}
	if err := checkYear(year); err != nil {
		return 0, 0, err
	}
	return year, quarter, nil
}

// Summary holds the auto-written sentences of what moved, in each language.
type Summary struct {
	NB []string `json:"nb"`
	EN []string `json:"en"`
}

// In returns the sentences in lang.
func (s Summary) In(lang i18n.Lang) []string {
	if lang == i18n.EN {
		return s.EN
	}
	return s.NB
}

func f64(v float64) *float64 { return &v }

// isoDay writes a measurement day for Figure.MeasuredOn; empty for nil.
func isoDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func u64p(v *uint64) *float64 {
	if v == nil {
		return nil
	}
	return f64(float64(*v))
}
