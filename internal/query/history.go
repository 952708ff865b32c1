package query

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// History figures are period totals of past years known only from old reports and spreadsheets,
// imported with `rekkevidde import history` into history_figures. They are kept apart from the
// collected tables: a report uses one only where no collected figure exists for the KPI and period
// (internal/report/README.md), and marks it as imported wherever it is shown.

// HistoryFigure is one imported period total.
type HistoryFigure struct {
	KPI string
	// Scope is the site, account or list the figure belongs to; empty applies it to the only one.
	Scope  string
	Period days.Kind
	// Start and End are the period's first and last day.
	Start, End time.Time
	Item       string
	// Value is in the KPI's unit (a percentage as printed for a metrics.UnitFraction figure); nil when the
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
	return collect(ctx, q.conn, "history figures "+dateArg(from)+".."+dateArg(to), `
SELECT kpi, scope, period, period_start, period_end, item, value, text, qualifier, note, source, version
FROM history_figures FINAL
WHERE deleted = 0 AND period_start >= toDate(?) AND period_start <= toDate(?)
ORDER BY kpi, scope, period_start, period, item`, []any{dateArg(from), dateArg(to)},
		func(rows driver.Rows) (HistoryFigure, error) {
			var h HistoryFigure
			var period string
			var version uint64
			err := rows.Scan(&h.KPI, &h.Scope, &period, &h.Start, &h.End, &h.Item, &h.Value, &h.Text, &h.Qualifier,
				&h.Note, &h.Source, &version)
			h.Period, h.Start, h.End = days.Kind(period), h.Start.UTC(), h.End.UTC()
			h.Imported = time.Unix(0, int64(version)).UTC()
			return h, err
		})
}

// HistoryYears lists the years that hold imported figures, newest first.
func (q *Queries) HistoryYears(ctx context.Context) ([]int, error) {
	return collect(ctx, q.conn, "history years", `SELECT DISTINCT toYear(period_start) AS y FROM history_figures WHERE deleted = 0 ORDER BY y DESC`, nil,
		func(rows driver.Rows) (int, error) {
			var y uint16
			err := rows.Scan(&y)
			return int(y), err
		})
}
