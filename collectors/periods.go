package collectors

import (
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// DuePeriods lists the months, quarters and years whose own figure (unique visitors, reach, a
// month's top pages) a step over window fetches: those whose last day falls in window, and those
// still running on today when window reaches today. So a backfill in monthly steps asks for each
// month, quarter and year once, in the step that completes it, and an incremental run fetches the
// running periods again (and a period that ended within its lookback, which the provider may
// still be revising). A backfill that ends before a period does fetches no figure for it: the
// period is not over within the window asked for.
func DuePeriods(window days.Range, today time.Time) []days.Period {
	var out []days.Period
	for _, p := range days.CompletePeriods(window) {
		last := p.End
		if last.After(today) {
			last = today // a running period's figure so far
		}
		if !last.Before(window.From) && !last.After(window.To) {
			out = append(out, p)
		}
	}
	return out
}
