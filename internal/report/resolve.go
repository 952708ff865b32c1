package report

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/importer"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// The precedence between collected and imported figures, for one KPI and period:
//
//  1. a collected figure that covers the whole period;
//  2. else an imported figure for exactly that period (history_figures);
//  3. else a collected figure that covers only part of the period, marked Partial;
//  4. else unknown.
//
// "Covers the whole period" only needs checking where a collected figure is a sum over days or
// months (visits, shares of visits, top pages, monthly reach): a quarter whose collector started in
// its last month has a collected sum, but the imported figure for the quarter is the right one.
// Figures that are a provider's own figure for the period, or a snapshot at its end, are whole
// whenever they exist. Sets — channel shares, device shares, top pages — are taken whole from one
// origin, never mixed, so they still add up.

type coverage int

const (
	coverNone coverage = iota
	coverPartial
	coverWhole
)

// coverageOf grades have of want units (days, months) of a period.
func coverageOf(have, want int) coverage {
	switch {
	case have <= 0:
		return coverNone
	case have >= want:
		return coverWhole
	}
	return coverPartial
}

// pick applies the precedence to one figure.
func pick(collected *float64, cov coverage, imported Figure) Figure {
	if collected != nil && cov == coverWhole {
		return Figure{Value: collected, Marks: Marks{Origin: Collected}}
	}
	if imported.Known() {
		return imported
	}
	if collected != nil && cov != coverNone {
		return Figure{Value: collected, Marks: Marks{Origin: Collected, Partial: true}}
	}
	return Figure{}
}

// whole is the coverage of a figure that is whole whenever it exists.
func whole(v *float64) coverage {
	if v == nil {
		return coverNone
	}
	return coverWhole
}

// history indexes the imported figures of the years a report reads.
type history struct {
	rows []query.HistoryFigure
}

func (b *Builder) loadHistory(ctx context.Context, fromYear, toYear int) (history, error) {
	rows, err := b.q.HistoryFigures(ctx, time.Date(fromYear, time.January, 1, 0, 0, 0, 0, time.UTC),
		time.Date(toYear, time.December, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return history{}, fmt.Errorf("report: %w", err)
	}
	return history{rows: rows}, nil
}

// scoped tells whether an imported row applies to scope: rows without a scope apply to any.
func scoped(rowScope, scope string) bool { return rowScope == "" || scope == "" || rowScope == scope }

// find returns the imported row of kpi for exactly span s with item, or nil.
func (h history) find(kpi string, s days.Span, item, scope string) *query.HistoryFigure {
	for i := range h.rows {
		r := &h.rows[i]
		if r.KPI == kpi && r.Item == item && r.Start.Equal(s.From) && r.End.Equal(s.End) && scoped(r.Scope, scope) {
			return r
		}
	}
	return nil
}

// items returns the imported rows of kpi for span s, every item, in import order (by item).
func (h history) items(kpi string, s days.Span, scope string) []query.HistoryFigure {
	var out []query.HistoryFigure
	for _, r := range h.rows {
		if r.KPI == kpi && r.Start.Equal(s.From) && r.End.Equal(s.End) && scoped(r.Scope, scope) {
			out = append(out, r)
		}
	}
	return out
}

// figure turns an imported row into a Figure in report units: a percentage becomes a fraction.
func (h history) figure(kpi string, s days.Span, item, scope string) Figure {
	return importedFigure(h.find(kpi, s, item, scope))
}

func importedFigure(r *query.HistoryFigure) Figure {
	if r == nil || r.Value == nil {
		return Figure{}
	}
	v := *r.Value
	if def, ok := metrics.Lookup(r.KPI); ok {
		v = def.FromPercent(v) // history keeps a percentage as printed
	}
	return Figure{Value: &v, Marks: Marks{Origin: Imported, Qualifier: r.Qualifier, Source: importSource(r)}}
}

// importSource names where an imported figure comes from: the note it was imported with (the
// printed report and section), else the label its rows carry — unless that is the importer's
// own, which says no more than "importert".
func importSource(r *query.HistoryFigure) string {
	switch {
	case r.Note != "":
		return r.Note
	case r.Source == importer.Source:
		return ""
	}
	return r.Source
}

// roundedDiffers tells whether two fractions print as different whole percentages, the precision
// reports show them in.
func roundedDiffers(a, b float64) bool { return math.Round(a*100) != math.Round(b*100) }
