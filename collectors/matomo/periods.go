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

// collectPeriods adds Matomo's own unique visitors, and their new / returning split, for every
// month, quarter and year the window touches. A figure Matomo leaves out is left empty (never
// summed from days or months) and a note says which setting would give it.
func (c *collector) collectPeriods(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	today := days.Of(c.now(), c.loc)
	var errs []error
	var missing []string
	for _, p := range days.CompletePeriods(window) {
		record, uniquesMissing, err := c.period(ctx, p, today)
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		if uniquesMissing && !slices.Contains(missing, p.Kind) {
			missing = append(missing, p.Kind)
		}
		if record != nil {
			sink.Add(*record)
		}
	}
	if len(missing) > 0 {
		sink.Note("%s", uniquesNote(missing))
	}
	return errors.Join(errs...)
}

// period fetches one period's figures. It returns no record for a period without visits or when
// Matomo gave none of the figures, and reports whether unique visitors were missing although the
// period had visits.
func (c *collector) period(ctx context.Context, p days.Period, today time.Time) (*figures.WebVisitorsPeriod, bool, error) {
	params := periodParams(p, today)
	summary, err := c.periodMetrics(ctx, "VisitsSummary.get", p, params)
	if err != nil {
		return nil, false, err
	}
	if summary.Visits.value == 0 {
		return nil, false, nil
	}
	frequency, err := c.periodMetrics(ctx, "VisitFrequency.get", p, params)
	if err != nil {
		return nil, false, err
	}
	record := figures.WebVisitorsPeriod{SiteID: c.site, Period: p.Kind, PeriodStart: p.Start, PeriodEnd: p.End}
	if summary.Uniques.set {
		record.Visitors = collectors.Uint64(summary.Uniques.value)
	}
	// New and returning visitors overlap (someone new this month may return in it), so neither is
	// derived from the total and the other: only Matomo's own figures are kept.
	if frequency.UniquesNew.set {
		record.NewVisitors = collectors.Uint64(frequency.UniquesNew.value)
	}
	if frequency.UniquesReturning.set {
		record.ReturningVisitors = collectors.Uint64(frequency.UniquesReturning.value)
	}
	uniquesMissing := !summary.Uniques.set
	if record.Visitors == nil && record.NewVisitors == nil && record.ReturningVisitors == nil {
		return nil, uniquesMissing, nil
	}
	return &record, uniquesMissing, nil
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
