package query_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// A report reads each table once over its stretch (ReadReport) and derives its figures in Go;
// the dashboard reads the same figures one period at a time. Both must give the same figures, also
// where the definitions have edges: a day collected again (only the newest collection counts),
// follower and subscriber levels measured long before the stretch (the count a period starts
// from), events with a sector breakdown.
func TestReportDataGivesThePagesFigures(t *testing.T) {
	st, q := loadDemo(t)
	ctx := context.Background()
	loc := chtest.Oslo(t)
	d, err := q.Discover(ctx, demoSite, loc)
	if err != nil {
		t.Fatal(err)
	}
	scope := d.Scope(demoSite, loc)
	if len(scope.Social) == 0 || scope.ListID == "" || scope.EventAccount == "" {
		t.Fatalf("the demo lacks a scope part: %+v", scope)
	}
	acc := scope.Social[0]
	newer := uint64(time.Now().UnixNano())
	for _, w := range []struct {
		table   string
		columns []string
		row     []any
	}{
		// 15 March 2022 collected again: one channel and device only.
		{"web_traffic_daily", []string{"site_id", "date", "channel", "device", "visitors", "sessions", "pageviews", "new_visitors", "source", "version"},
			[]any{demoSite, days.Date(2022, time.March, 15), "direct", "desktop", uint64(4), uint64(5), uint64(9), uint64(1), "ga4", newer}},
		// Levels years before the stretch: the count 2021 starts from.
		{"social_followers_daily", []string{"platform", "account_id", "date", "followers", "source", "version"},
			[]any{acc.Platform, acc.AccountID, days.Date(2018, time.June, 30), uint64(100), "old", newer}},
		{"newsletter_subscribers_daily", []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"},
			[]any{scope.ListID, days.Date(2018, time.December, 31), uint64(42), uint64(0), uint64(0), "old", newer}},
	} {
		if err := st.Insert(ctx, w.table, w.columns, [][]any{w.row}); err != nil {
			t.Fatalf("insert into %s: %v", w.table, err)
		}
	}

	for _, c := range []struct {
		name string
		s    days.Span
	}{
		{"annual 2022", days.YearSpan(2022)},
		{"quarterly 2022-Q1", days.QuarterSpan(2022, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev, ye := c.s.Previous(), c.s.YearEarlier()
			lo := prev.From
			if ye.From.Before(lo) {
				lo = ye.From
			}
			ctx, _ := query.NewRequest(ctx)
			data, err := q.ReadReport(ctx, scope, lo, c.s.To, &c.s)
			if err != nil {
				t.Fatal(err)
			}
			same := func(what string, got, want any, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s:\n report %+v\n pages  %+v", what, got, want)
				}
			}
			targets := []query.Target{{KPI: metrics.WebVisits, Year: c.s.To.Year(), Value: 50000},
				{KPI: metrics.FollowersLinkedIn, Year: c.s.To.Year(), Value: 500}}
			got, err := data.KPIValues(ctx, metrics.OverviewKPIs(), c.s, targets)
			if err != nil {
				t.Fatal(err)
			}
			want, err := q.KPIValues(context.Background(), metrics.OverviewKPIs(), scope, c.s, days.Month, targets)
			same("KPIs", got, want, err)

			for _, s := range []days.Span{c.s, prev, ye} {
				for _, dim := range []string{"channel", "device"} {
					read := q.ChannelShares
					if dim == "device" {
						read = q.DeviceShares
					}
					shares, err := read(ctx, demoSite, s.From, s.To)
					same(dim+" shares "+s.Range().String(), data.Shares(dim, s), shares, err)
				}
				for _, a := range scope.Social {
					months, err := q.MonthlyNewFollowers(context.Background(), a.Platform, a.AccountID, s.From, s.To)
					same(fmt.Sprintf("monthly followers %v %s", a, s.Range()), data.MonthlyNewFollowers(a, s), months, err)
					reach, err := q.ReachBetween(ctx, a.Platform, a.AccountID, days.Month, s.From, s.To)
					same(fmt.Sprintf("reach %v %s", a, s.Range()), data.Reach(a, days.Month, s), reach, err)
				}
				campaigns, err := q.SpanCampaigns(ctx, scope.ListID, s, loc)
				same("campaigns "+s.Range().String(), data.Campaigns(s), campaigns, err)
				// Events with their sectors read in two queries, as the form and the API read one.
				from, to := s.Instants(loc)
				events, err := q.Events(context.Background(), scope.EventAccount, from, to)
				same("events "+s.Range().String(), data.Events(s), events, err)
			}
			year := c.s.From.Year()
			for quarter := 1; quarter <= 4 && !days.QuarterSpan(year, quarter).To.After(c.s.To); quarter++ {
				rows, err := q.QuarterlyVisitors(ctx, demoSite, year)
				if err != nil {
					t.Fatal(err)
				}
				var want *uint64
				for _, r := range rows {
					if r.Quarter == quarter {
						v := r.Visits
						want = &v
					}
				}
				same(fmt.Sprintf("visits %d-Q%d", year, quarter), data.Visits(days.QuarterSpan(year, quarter)), want, nil)
			}
			pages, err := q.TopPages(ctx, demoSite, c.s.From, c.s.To, 10)
			same("top pages", data.TopPages(10), pages, err)
		})
	}
}
