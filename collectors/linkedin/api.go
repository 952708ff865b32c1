package linkedin

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// LinkedIn answers time-bound statistics only for ranges that start at most 12 months back and end
// at least about two days before the request; anything else is a 400 "Invalid timeIntervals
// parameter". Both bounds are kept with a margin, on whole UTC days.
const (
	statsReach   = 365 * 24 * time.Hour
	publishDelay = 48 * time.Hour
)

// statsWindow is the inclusive range of UTC days LinkedIn's time-bound statistics serve at now.
type statsWindow struct {
	First, Last time.Time
}

func statsWindowAt(now time.Time) statsWindow {
	return statsWindow{
		// The first whole day after the 12-month limit.
		First: days.Of(now.Add(-statsReach), time.UTC).AddDate(0, 0, 1),
		// A range may end at the last midnight that is two days old, so its last day is the one before.
		Last: days.Of(now.Add(-publishDelay), time.UTC).AddDate(0, 0, -1),
	}
}

// timeIntervals is the Rest.li 2.0 form of a range of whole UTC days, from..to inclusive, in epoch
// milliseconds. Its parentheses, colons and comma are syntax and go unencoded.
func timeIntervals(from, to time.Time, granularity string) string {
	return fmt.Sprintf("(timeRange:(start:%d,end:%d),timeGranularityType:%s)",
		from.UnixMilli(), to.AddDate(0, 0, 1).UnixMilli(), granularity)
}

// timeRange is a statistics element's span in epoch milliseconds UTC, end exclusive.
type timeRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// day is the UTC calendar day the span starts on, the day LinkedIn's figure belongs to.
func (r timeRange) day() time.Time { return days.Of(time.UnixMilli(r.Start), time.UTC) }

// covers tells whether the span is exactly the days from..to.
func (r timeRange) covers(from, to time.Time) bool {
	return r.Start == from.UnixMilli() && r.End == to.AddDate(0, 0, 1).UnixMilli()
}

// page is the wrapper of both statistics finders.
type page[T any] struct {
	Paging struct {
		Start int  `json:"start"`
		Count int  `json:"count"`
		Total *int `json:"total"`
	} `json:"paging"`
	Elements []T `json:"elements"`
}

// fetchAll reads every page of a finder (query without start/count). Elements are keyed so that a
// server that ignores start, and repeats its first page, ends the loop with an error instead of
// counting days twice; one that ignores count and sends everything at once ends it after one page.
func fetchAll[T any](ctx context.Context, c *Collector, query string, key func(T) int64) ([]T, error) {
	var all []T
	seen := map[int64]bool{}
	for start := 0; ; {
		var p page[T]
		if err := c.get(ctx, fmt.Sprintf("%s&start=%d&count=%d", query, start, c.pageSize), &p); err != nil {
			return nil, err
		}
		fresh := 0
		for _, e := range p.Elements {
			if k := key(e); !seen[k] {
				seen[k] = true
				all = append(all, e)
				fresh++
			}
		}
		n := len(p.Elements)
		if n == 0 || n != c.pageSize || (p.Paging.Total != nil && start+n >= *p.Paging.Total) {
			return all, nil
		}
		if fresh == 0 {
			return nil, fmt.Errorf("LinkedIn repeated a page of results at start=%d; paging cannot go on", start)
		}
		start += n
	}
}
