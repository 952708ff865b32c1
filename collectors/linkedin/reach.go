package linkedin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// shareStatistics is one element of time-bound share statistics. Counts are pointers: LinkedIn
// leaves uniqueImpressionsCount out of many time-bound answers, and absent is not zero.
type shareStatistics struct {
	TimeRange *timeRange `json:"timeRange"`
	Total     *struct {
		UniqueImpressions *int64 `json:"uniqueImpressionsCount"`
		Impressions       *int64 `json:"impressionCount"`
	} `json:"totalShareStatistics"`
}

// collectReach fetches the reach of each month that ends in the window and, on a run that reaches
// today, of the latest month LinkedIn has published whole, so a month is fetched by the scheduled
// runs however late its statistics arrive.
func (c *Collector) collectReach(ctx context.Context, window days.Range, today, now time.Time, sink *collectors.Sink) error {
	stats := statsWindowAt(now)
	var months []days.Period
	for _, p := range days.CompletePeriods(window) {
		if p.End.Before(window.From) || p.End.After(window.To) {
			continue
		}
		if p.Kind == days.Month {
			months = append(months, p)
		} else {
			sink.Note("no %s reach: LinkedIn reports share statistics per day or month only, and unique counts cannot be added up", p.Kind)
		}
	}
	if !window.To.Before(today) {
		latest, _ := days.PeriodOf(days.Month, stats.Last)
		if latest.End.After(stats.Last) {
			latest, _ = days.PeriodOf(days.Month, latest.Start.AddDate(0, 0, -1))
		}
		if !slices.ContainsFunc(months, func(m days.Period) bool { return m.Start.Equal(latest.Start) }) {
			months = append(months, latest)
		}
	}
	// A month that fails costs only its own reach: the other months are still fetched (the run is
	// partial), unless the failure ends the run (throttled, token refused).
	var errs []error
	stored := 0
	for _, m := range months {
		label := m.Start.Format("2006-01")
		switch {
		case m.Start.After(today):
			continue
		case m.End.After(stats.Last):
			sink.Note("reach of %s is fetched once LinkedIn has published the whole month, from %s UTC", label,
				m.End.AddDate(0, 0, 1).Add(publishDelay).Format("2006-01-02 15:04"))
			continue
		case m.Start.Before(stats.First):
			sink.Note("no reach for %s: LinkedIn serves share statistics for the last 12 months only", label)
			continue
		}
		added, err := c.monthReach(ctx, m, sink)
		if added {
			stored++
		}
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil && stored > 0 {
		return collectors.Partly(err)
	}
	return errors.Join(errs...)
}

// monthReach adds a month's reach: LinkedIn's unique impressions for the whole month (organic
// posts only), with the month's impressions. A month without a unique count gets no row, since a
// stored 0 would read as "reached nobody" and pull the monthly average down; the exception is a
// month with 0 impressions, whose reach is 0 for certain.
//
// It reports whether a row was added.
func (c *Collector) monthReach(ctx context.Context, m days.Period, sink *collectors.Sink) (bool, error) {
	label := m.Start.Format("2006-01")
	query := c.baseURL + "/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" + c.orgURN +
		"&timeIntervals=" + timeIntervals(m.Start, m.End, "MONTH")
	elements, err := fetchAll(ctx, c, query, func(e shareStatistics) int64 {
		if e.TimeRange == nil {
			return -1
		}
		return e.TimeRange.Start
	})
	if err != nil {
		return false, fmt.Errorf("linkedin: organization %s: share statistics %s: %w", c.orgID, label, err)
	}
	var month *shareStatistics
	for i, e := range elements {
		if e.TimeRange != nil && e.TimeRange.covers(m.Start, m.End) && e.Total != nil {
			month = &elements[i]
		}
	}
	if month == nil {
		sink.Note("LinkedIn returned no share statistics for the whole month %s: its reach stays empty", label)
		return false, nil
	}
	unique, impressions := month.Total.UniqueImpressions, month.Total.Impressions
	var reach uint64
	switch {
	case unique != nil && *unique > 0:
		reach = uint64(*unique)
	case impressions != nil && *impressions == 0:
		reach = 0
	default:
		shown := "no impressions count"
		if impressions != nil {
			shown = fmt.Sprintf("%d impressions", *impressions)
		}
		sink.Note("LinkedIn gave no unique reach for %s (uniqueImpressionsCount 0 or absent, %s): its reach stays empty, and so do its impressions, which need a reach figure to be stored", label, shown)
		return false, nil
	}
	row := figures.Reach{Platform: figures.PlatformLinkedIn, AccountID: c.orgID, Period: days.Month,
		PeriodStart: m.Start, PeriodEnd: m.End, Reach: reach}
	if impressions != nil && *impressions >= 0 {
		row.Impressions = collectors.Uint64(uint64(*impressions))
	}
	sink.Add(row)
	return true, nil
}
