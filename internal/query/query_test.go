package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func u64(n uint64) *uint64 { return &n }
func u32(n uint32) *uint32 { return &n }

// fresh opens an empty throw-away database: its store, the query layer over it, a context and the
// organisation's time zone.
func fresh(t *testing.T) (*store.Store, *query.Queries, context.Context, *time.Location) {
	t.Helper()
	st := chtest.Open(t)
	return st, query.New(st.Conn()), context.Background(), chtest.Oslo(t)
}

// The columns of the web tables as the tests insert them.
var (
	trafficCols = []string{"site_id", "date", "channel", "device", "sessions", "pageviews", "visitors", "new_visitors", "source", "version"}
	visitorCols = []string{"site_id", "period", "period_start", "period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"}
)

func insert(t *testing.T, st *store.Store, table string, columns []string, rows ...[]any) {
	t.Helper()
	if err := st.Insert(context.Background(), table, columns, rows); err != nil {
		t.Fatal(err)
	}
	// Run rows written straight into collector_runs are folded into source_status, as the
	// scheduler folds the rows it records.
	if table == "collector_runs" {
		if err := st.SummarizeRuns(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// Edge cases the demo does not show: a newer collection that drops rows, a deletion that arrives as
// a newer version, a missing or zero starting count.
func TestQueriesReadTheNewestVersionAndKeepNullsApart(t *testing.T) {
	st, q, ctx, _ := fresh(t)

	t.Run("a page missing from the newest collection of a month is gone", func(t *testing.T) {
		cols := []string{"site_id", "month", "path", "title", "pageviews", "source", "version"}
		jan := day(2022, time.January, 1)
		insert(t, st, "web_top_pages", cols,
			[]any{"s", jan, "/", "Forside", uint64(100), "test", uint64(1)},
			[]any{"s", jan, "/gammel", "Gammel side", uint64(90), "test", uint64(1)})
		insert(t, st, "web_top_pages", cols, []any{"s", jan, "/", "Forside", uint64(120), "test", uint64(2)})
		pages, err := q.TopPages(ctx, "s", jan, day(2022, time.January, 31), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != 1 || pages[0].Path != "/" || pages[0].Pageviews != 120 {
			t.Errorf("top pages %+v, want only / with 120", pages)
		}
		if _, err := q.TopPages(ctx, "s", jan, jan, 0); err == nil {
			t.Error("limit 0: want an error")
		}
	})

	t.Run("growth is the catalogue's fraction, new followers over the start", func(t *testing.T) {
		cols := []string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"}
		insert(t, st, "social_followers_daily", cols,
			[]any{"facebook", "grew", day(2021, time.December, 31), uint64(266), nil, nil, "test", uint64(1)},
			[]any{"facebook", "grew", day(2022, time.December, 31), uint64(616), nil, nil, "test", uint64(1)})
		g, err := q.FollowerGrowthBetween(ctx, "facebook", "grew", day(2022, time.January, 1), day(2022, time.December, 31))
		if err != nil {
			t.Fatal(err)
		}
		// 1.316, not 131.6: the report's "Vekst" (metrics.GrowthRate), one definition.
		end, gained := 616.0, 350.0
		if want := metrics.GrowthRate(&end, &gained); g.GrowthRate == nil || *g.GrowthRate != 350.0/266.0 || *g.GrowthRate != *want {
			t.Errorf("growth %v, want %v (350/266)", g.GrowthRate, 350.0/266.0)
		}
	})

	t.Run("growth from zero or from nothing is nil", func(t *testing.T) {
		cols := []string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"}
		insert(t, st, "social_followers_daily", cols,
			[]any{"facebook", "zero", day(2021, time.December, 31), uint64(0), nil, nil, "test", uint64(1)},
			[]any{"facebook", "zero", day(2022, time.June, 1), uint64(10), nil, nil, "test", uint64(1)},
			[]any{"facebook", "late", day(2022, time.June, 1), uint64(7), u64(7), u64(0), "test", uint64(1)})
		g, err := q.FollowerGrowthBetween(ctx, "facebook", "zero", days.YearSpan(2022).From, days.YearSpan(2022).To)
		if err != nil {
			t.Fatal(err)
		}
		if g.NewFollowers == nil || *g.NewFollowers != 10 || g.GrowthRate != nil || g.GrossFollows != nil {
			t.Errorf("zero start: %+v; want 10 new, growth nil, gross follows nil (not reported)", g)
		}
		g, err = q.FollowerGrowthBetween(ctx, "facebook", "late", days.YearSpan(2022).From, days.YearSpan(2022).To)
		if err != nil {
			t.Fatal(err)
		}
		if g.FollowersAtStart != nil || g.NewFollowers != nil || g.GrowthRate != nil || g.GrossFollows == nil || *g.GrossFollows != 7 {
			t.Errorf("no start: %+v; want start, new and growth nil, gross follows 7", g)
		}
	})

	t.Run("a deletion in a newer version hides the event; NULL attendance is absent, not zero", func(t *testing.T) {
		cols := []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at", "registered",
			"attended_on_site", "attended_digital", "deleted", "source", "version"}
		at := time.Date(2022, time.May, 5, 8, 0, 0, 0, time.UTC)
		insert(t, st, "events", cols,
			[]any{"a", "gone", "webinar", "Avlyst", at, nil, u32(10), nil, u32(8), uint8(0), "test", uint64(1)},
			[]any{"a", "onsite", "course", "Kurs", at, nil, nil, u32(12), nil, uint8(0), "test", uint64(1)})
		insert(t, st, "events", cols,
			[]any{"a", "gone", "webinar", "Avlyst", at, nil, u32(10), nil, u32(8), uint8(1), "test", uint64(2)})
		events, err := q.Events(ctx, "a", day(2022, time.January, 1), day(2023, time.January, 1))
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].ID != "onsite" || events[0].Attended == nil || *events[0].Attended != 12 ||
			events[0].Registered != nil || events[0].AttendedDigital != nil {
			t.Errorf("events %+v; want only the course, attended 12 on site, registered and digital nil", events)
		}
	})
}

// A quarter's unique visitors fetched while the quarter was running are not its figure: every
// reader that shows quarter uniques (the quarterly table and chart, the KPI cards, the API series)
// shows none for it, and says why; a later fetch after the quarter's end gives the figure to all.
func TestRunningQuarterUniquesAreAbsentEverywhere(t *testing.T) {
	st, q, ctx, oslo := fresh(t)
	fetched := func(y int, m time.Month, d int) uint64 { return uint64(day(y, m, d).UnixNano()) }
	insert(t, st, "web_visitors_period", visitorCols,
		// Q1 2024 fetched on 15 February (running), Q2 fetched on 1 July (over).
		[]any{"s", "quarter", day(2024, 1, 1), day(2024, 3, 31), u64(900), u64(600), u64(300), "test", fetched(2024, 2, 15)},
		[]any{"s", "quarter", day(2024, 4, 1), day(2024, 6, 30), u64(2000), u64(1500), u64(500), "test", fetched(2024, 7, 1)})
	insert(t, st, "web_traffic_daily", trafficCols,
		[]any{"s", day(2024, 2, 1), "direct", "desktop", uint64(10), uint64(20), uint64(9), uint64(5), "test", fetched(2024, 2, 2)})

	quarters, err := q.QuarterlyVisitors(ctx, "s", 2024)
	if err != nil {
		t.Fatal(err)
	}
	if len(quarters) != 2 || !quarters[0].Running || quarters[0].UniqueVisitors != nil || quarters[0].Visits != 10 ||
		quarters[1].Running || quarters[1].UniqueVisitors == nil || *quarters[1].UniqueVisitors != 2000 {
		t.Errorf("quarterly visitors %+v", quarters)
	}
	for quarter, want := range map[int]*uint64{1: nil, 2: u64(2000)} {
		s := days.QuarterSpan(2024, quarter)
		v, err := q.SpanVisitors(ctx, "s", s)
		if err != nil {
			t.Fatal(err)
		}
		if (want == nil) != (v == nil || v.Visitors == nil) || want != nil && *v.Visitors != *want {
			t.Errorf("Q%d span visitors %+v, want %v", quarter, v, want)
		}
		def, _ := metrics.Lookup(string(metrics.WebUniqueVisitors))
		series, err := q.KPISeries(ctx, []metrics.Metric{def}, query.KPIScope{SiteID: "s", Location: oslo}, days.YearSpan(2024), days.Quarter, false)
		if err != nil {
			t.Fatal(err)
		}
		got := series[0].Points[quarter-1].Value
		if (want == nil) != (got == nil) || want != nil && *got != float64(*want) {
			t.Errorf("Q%d API series point %v, want %v", quarter, got, want)
		}
		values, err := q.KPIValues(ctx, []metrics.Metric{def}, query.KPIScope{SiteID: "s", Location: oslo}, s, days.Month, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cur := values[0].Current; (want == nil) != (cur == nil) || want != nil && *cur != float64(*want) {
			t.Errorf("Q%d KPI card %v, want %v", quarter, cur, want)
		}
	}
}
