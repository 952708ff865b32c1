package query_test

import (
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// One rule says which figure covers only part of its period (KPIValue.Partial,
// SeriesPoint.Partial, and through them the reports' Figure.Partial): a sum over a period still
// running on the scope's today, and traffic collected on only some of the period's days. Levels
// are a value on a day and never partial; a running quarter's unique visitors are absent and say
// it is running.
func TestRunningPeriodIsPartialByOneRule(t *testing.T) {
	st, q, ctx, oslo := fresh(t)
	fetched := uint64(day(2024, 2, 15).UnixNano())
	// Traffic every day of 2023-Q4 and of 2024 up to 14 February; subscribers every day; one event
	// in 2024-Q1; 2024-Q1's unique visitors fetched on 15 February.
	var traffic, subs [][]any
	for d := day(2023, 10, 1); d.Before(day(2024, 2, 15)); d = d.AddDate(0, 0, 1) {
		traffic = append(traffic, []any{"s", d, "direct", "desktop", uint64(10), uint64(20), uint64(9), uint64(5), "test", fetched})
		subs = append(subs, []any{"l", d, uint64(500), uint64(0), uint64(0), "test", fetched})
	}
	insert(t, st, "web_traffic_daily", trafficCols, traffic...)
	insert(t, st, "newsletter_subscribers_daily", []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"}, subs...)
	insert(t, st, "web_visitors_period", visitorCols,
		[]any{"s", "quarter", day(2024, 1, 1), day(2024, 3, 31), u64(900), u64(600), u64(300), "test", fetched})
	insert(t, st, "events", []string{"account_id", "event_id", "kind", "title", "starts_at", "deleted", "source", "version"},
		[]any{"a", "e1", "seminar", "Seminar", time.Date(2024, 1, 20, 10, 0, 0, 0, time.UTC), uint8(0), "test", fetched})
	defs := []metrics.Metric{metrics.MustLookup(metrics.WebVisits), metrics.MustLookup(metrics.WebUniqueVisitors),
		metrics.MustLookup(metrics.NewsletterSubscribers), metrics.MustLookup(metrics.EventsHeld)}

	for _, c := range []struct {
		name  string
		today time.Time
		span  days.Span
		// partial and running per KPI of defs (visits, uniques, subscribers, events)
		partial [4]bool
		running bool
	}{
		// On 15 February the quarter runs: the overview's span is clipped to today.
		{"running", day(2024, 2, 15), days.QuarterSpan(2024, 1).Clip(day(2024, 2, 15)), [4]bool{true, false, false, true}, true},
		// Seen later, the quarter is over, but its traffic stops on 14 February: visits stay
		// partial (as in the report), events are final, the uniques fetched early stay absent.
		{"over", day(2024, 12, 1), days.QuarterSpan(2024, 1), [4]bool{true, false, false, false}, true},
		// The quarter before: whole.
		{"whole", day(2024, 12, 1), days.QuarterSpan(2023, 4), [4]bool{false, false, false, false}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			scope := query.KPIScope{SiteID: "s", ListID: "l", EventAccount: "a", Location: oslo, Today: c.today}
			values, err := q.KPIValues(ctx, defs, scope, c.span, days.Month, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range values {
				if v.Def.Name == metrics.WebUniqueVisitors {
					if c.running && v.Current != nil {
						t.Errorf("unique visitors %v of a running quarter", *v.Current)
					}
					if v.Running != c.running {
						t.Errorf("unique visitors: running %v, want %v", v.Running, c.running)
					}
					continue
				}
				if v.Current == nil {
					t.Fatalf("%s: no value", v.Def.Name)
				}
				if v.Partial != c.partial[i] {
					t.Errorf("%s = %v: partial %v, want %v", v.Def.Name, *v.Current, v.Partial, c.partial[i])
				}
			}
			// The API's series over the whole quarter says the same of its one point.
			series, err := q.KPISeries(ctx, defs, scope, days.QuarterSpan(c.span.From.Year(), c.span.Quarter()), days.Quarter, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range series {
				p := s.Points[0]
				if s.KPI == string(metrics.WebUniqueVisitors) {
					if c.running && p.Value != nil {
						t.Errorf("series: unique visitors %v of a running quarter", *p.Value)
					}
					continue
				}
				if p.Partial != c.partial[i] || !p.Full {
					t.Errorf("series %s %+v: partial %v, want %v (full)", s.KPI, p, p.Partial, c.partial[i])
				}
			}
		})
	}
}
