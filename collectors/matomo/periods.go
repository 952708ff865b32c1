package matomo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// periodFigures is what the period families fetched for the periods a step is due to fetch. The
// unique visitors (VisitsSummary.get) and their new / returning split (VisitFrequency.get) are two
// families that fail alone; add joins them into one record per period.
type periodFigures struct {
	due       []days.Period
	summary   map[days.Period]metrics
	frequency map[days.Period]metrics
}

func newPeriodFigures(due []days.Period) *periodFigures {
	return &periodFigures{due: due, summary: map[days.Period]metrics{}, frequency: map[days.Period]metrics{}}
}

// collectUniques fetches Matomo's own unique visitors of every due period. A period that fails is
// left out and the others are kept.
func (c *collector) collectUniques(ctx context.Context, f *periodFigures, today time.Time) error {
	var errs []error
	for _, p := range f.due {
		m, err := c.periodMetrics(ctx, "VisitsSummary.get", p, periodParams(p, today))
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		f.summary[p] = m
	}
	return errors.Join(errs...)
}

// collectFrequency fetches the new / returning split of every due period, except periods the
// unique-visitor family found without visits: Matomo has nothing to split there.
func (c *collector) collectFrequency(ctx context.Context, f *periodFigures, today time.Time) error {
	var errs []error
	for _, p := range f.due {
		if m, ok := f.summary[p]; ok && m.Visits.value == 0 {
			continue
		}
		m, err := c.periodMetrics(ctx, "VisitFrequency.get", p, periodParams(p, today))
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		f.frequency[p] = m
	}
	return errors.Join(errs...)
}

// add puts one record per period into sink, holding what the two families fetched. A figure
// Matomo left out, or whose family failed, is left empty (never summed from shorter periods); a
// period without visits gets no record. A note says which setting would give the missing uniques.
func (f *periodFigures) add(site string, sink *collectors.Sink) {
	var missing []string
	for _, p := range f.due {
		summary, haveSummary := f.summary[p]
		frequency, haveFrequency := f.frequency[p]
		if haveSummary && summary.Visits.value == 0 {
			continue
		}
		record := figures.WebVisitorsPeriod{SiteID: site, Period: p.Kind, PeriodStart: p.Start, PeriodEnd: p.End}
		if haveSummary {
			if summary.Uniques.set {
				record.Visitors = collectors.Uint64(summary.Uniques.value)
			} else if !slices.Contains(missing, p.Kind) {
				missing = append(missing, p.Kind)
			}
		}
		// New and returning visitors overlap (someone new this month may return in it), so neither
		// is derived from the total and the other: only Matomo's own figures are kept.
		if haveFrequency && frequency.UniquesNew.set {
			record.NewVisitors = collectors.Uint64(frequency.UniquesNew.value)
		}
		if haveFrequency && frequency.UniquesReturning.set {
			record.ReturningVisitors = collectors.Uint64(frequency.UniquesReturning.value)
		}
		if record.Visitors == nil && record.NewVisitors == nil && record.ReturningVisitors == nil {
			continue
		}
		sink.Add(record)
	}
	if len(missing) > 0 {
		sink.Note("%s", uniquesNote(missing))
	}
}

func (c *collector) periodMetrics(ctx context.Context, method string, p days.Period, params url.Values) (metrics, error) {
	raw, err := c.call(ctx, method, params)
	if err != nil {
		return metrics{}, err
	}
	m, err := decodeMetrics(raw)
	if err != nil {
		return metrics{}, fmt.Errorf("matomo: id_site %d: %s for the %s from %s: malformed figures: %w", c.idSite, method, p.Kind, days.Format(p.Start), err)
	}
	return m, nil
}

// periodParams asks for one whole period. Months and years are Matomo periods; a quarter is not
// (matomo-org/matomo#20418), so it is a range, which ends today while the quarter runs.
func periodParams(p days.Period, today time.Time) url.Values {
	switch p.Kind {
	case days.Quarter:
		end := p.End
		if end.After(today) {
			end = today
		}
		return url.Values{"period": {"range"}, "date": {days.Format(p.Start) + "," + days.Format(end)}}
	default:
		return url.Values{"period": {p.Kind}, "date": {days.Format(p.Start)}}
	}
}

// uniquesNote says which Matomo settings would give the missing unique visitors. Matomo processes
// them for days, weeks and months by default, but not for ranges (our quarters) or years.
func uniquesNote(kinds []string) string {
	var periods, settings []string
	for _, kind := range kinds {
		switch kind {
		case days.Month:
			periods, settings = append(periods, "months"), append(settings, "enable_processing_unique_visitors_month = 1")
		case days.Quarter:
			periods, settings = append(periods, "quarters"), append(settings, "enable_processing_unique_visitors_range = 1")
		case days.Year:
			periods, settings = append(periods, "years"), append(settings, "enable_processing_unique_visitors_year = 1")
		}
	}
	return fmt.Sprintf("matomo: unique visitors for %s are not available: enable %s in Matomo's config (config/config.ini.php, section [General]); until then they are left empty, never summed from shorter periods",
		strings.Join(periods, " and "), strings.Join(settings, " and "))
}
