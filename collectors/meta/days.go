package meta

import (
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// Spans splits r into consecutive ranges of at most n days. Unlike days.Range.Chunks they cross
// month boundaries: Meta's limit is a number of days, not a calendar month.
func Spans(r days.Range, n int) []days.Range {
	var out []days.Range
	for from := r.From; !from.After(r.To); {
		to := days.Earlier(from.AddDate(0, 0, n-1), r.To)
		out = append(out, days.Range{From: from, To: to})
		from = to.AddDate(0, 0, 1)
	}
	return out
}

// EndTimeLayout is Meta's timestamp format: 2025-09-02T07:00:00+0000, an offset without a colon.
const EndTimeLayout = "2006-01-02T15:04:05-0700"

// DayStart is the instant Meta's day for calendar day begins: midnight US Pacific. Insights
// requests start and end on these instants so that each value covers one whole Meta day.
func (c *Client) DayStart(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, c.pacific)
}

// DayOf returns the calendar day a value with this end_time belongs to. Meta stamps a day's value
// with the end of that day, midnight US Pacific (07:00 or 08:00 UTC), so the value for day D carries
// end_time D+1; D is stored. Reading the end twelve hours back keeps this right whatever hour
// (summer or winter time) the stamp shows.
func (c *Client) DayOf(endTime string) (time.Time, error) {
	t, err := parseEndTime(endTime)
	if err != nil {
		return time.Time{}, err
	}
	return days.Of(t.Add(-12*time.Hour), c.pacific), nil
}

func parseEndTime(s string) (time.Time, error) {
	t, err := time.Parse(EndTimeLayout, s)
	if err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("end_time %q is not a time like 2025-09-02T07:00:00+0000", s)
}
