package query_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// A page that covers a stretch (query.Cover) reads each family of tables once, whatever parts of
// the stretch its figures ask for, and every figure is what the same reader gives without a
// Request, where each call reads on its own.
func TestACoveredRequestReadsEachFamilyOnce(t *testing.T) {
	st, q, _, oslo := fresh(t)
	// 2022-03-01 was collected twice; the newer collection dropped the mobile row.
	insert(t, st, "web_traffic_daily", trafficCols,
		[]any{"s", day(2021, 5, 3), "direct", "desktop", uint64(7), uint64(9), uint64(6), uint64(2), "test", uint64(1)},
		[]any{"s", day(2022, 3, 1), "direct", "desktop", uint64(10), uint64(20), uint64(9), uint64(5), "test", uint64(1)},
		[]any{"s", day(2022, 3, 1), "organic_search", "mobile", uint64(50), uint64(60), uint64(40), uint64(30), "test", uint64(1)},
		[]any{"s", day(2022, 3, 2), "organic_search", "mobile", uint64(4), uint64(5), uint64(4), uint64(1), "test", uint64(1)},
		[]any{"s", day(2015, 1, 2), "email", "tablet", uint64(3), uint64(3), uint64(3), uint64(3), "test", uint64(1)})
	insert(t, st, "web_traffic_daily", trafficCols,
		[]any{"s", day(2022, 3, 1), "direct", "desktop", uint64(12), uint64(22), uint64(11), uint64(6), "test", uint64(2)})
	insert(t, st, "web_visitors_period", visitorCols,
		[]any{"s", "month", day(2022, 3, 1), day(2022, 3, 31), u64(30), u64(20), u64(10), "test", uint64(day(2022, 4, 2).UnixNano())},
		[]any{"s", "year", day(2021, 1, 1), day(2021, 12, 31), u64(5), nil, nil, "test", uint64(day(2022, 1, 2).UnixNano())})
	followerCols := []string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"}
	insert(t, st, "social_followers_daily", followerCols,
		// "gap" was last counted years before the stretch; "new" has nothing before it.
		[]any{"facebook", "gap", day(2015, 6, 1), uint64(100), nil, nil, "test", uint64(1)},
		[]any{"facebook", "gap", day(2022, 3, 1), uint64(150), u64(60), u64(10), "test", uint64(1)},
		[]any{"facebook", "new", day(2022, 3, 1), uint64(7), nil, nil, "test", uint64(1)},
		[]any{"linkedin", "near", day(2020, 12, 31), uint64(40), nil, nil, "test", uint64(1)},
		[]any{"linkedin", "near", day(2021, 6, 1), uint64(45), nil, nil, "test", uint64(1)})
	insert(t, st, "newsletter_subscribers_daily", []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"},
		[]any{"l", day(2022, 2, 1), uint64(500), uint64(3), uint64(1), "test", uint64(1)})
	sectorCols := []string{"account_id", "event_id", "sector", "registered", "attended", "source", "version"}
	insert(t, st, "events", []string{"account_id", "event_id", "kind", "title", "starts_at", "registered", "attended_on_site", "attended_digital", "deleted", "source", "version"},
		[]any{"a", "e1", "webinar", "Med sektorer", time.Date(2022, 4, 1, 9, 0, 0, 0, time.UTC), u32(10), nil, u32(9), uint8(0), "test", uint64(1)},
		[]any{"a", "e2", "course", "Uten", time.Date(2021, 12, 31, 23, 30, 0, 0, time.UTC), nil, u32(4), nil, uint8(0), "test", uint64(1)})
	insert(t, st, "event_attendance_by_sector", sectorCols,
		[]any{"a", "e1", "offentlig", uint32(6), uint32(5), "test", uint64(1)},
		[]any{"a", "e1", "akademia", uint32(4), uint32(4), "test", uint64(1)})

	y21, y22 := days.YearSpan(2021), days.YearSpan(2022)
	upcomingFrom := time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC)
	// figures are what one page asks for, in any order.
	figures := func(ctx context.Context) map[string]any {
		t.Helper()
		out := map[string]any{}
		add := func(name string, v any, err error) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = v
		}
		v1, err := q.ChannelShares(ctx, "s", y22.From, y22.To)
		add("channels", v1, err)
		v2, err := q.DeviceShares(ctx, "s", day(2021, 1, 1), y22.To)
		add("devices", v2, err)
		v3, err := q.VisitsSeries(ctx, "s", y21, days.Year)
		add("visits 2021", v3, err)
		v4, err := q.VisitsSeries(ctx, "s", y22, days.Month)
		add("series", v4, err)
		v5, err := q.QuarterlyVisitors(ctx, "s", 2022)
		add("quarters", v5, err)
		v6, err := q.PeriodVisitorsBetween(ctx, "s", days.Year, y21.From, y21.To)
		add("year visitors", v6, err)
		for _, acc := range []string{"gap", "new"} {
			g, err := q.FollowerGrowthBetween(ctx, "facebook", acc, y22.From, y22.To)
			add("growth "+acc, g, err)
		}
		g, err := q.FollowerGrowthBetween(ctx, "linkedin", "near", y21.From, y21.To)
		add("growth near", g, err)
		v7, err := q.Subscribers(ctx, "l", y22.From, y22.To)
		add("subscribers", v7, err)
		v8, err := q.SpanEvents(ctx, "a", y22, oslo)
		add("events", v8, err)
		v9, err := q.UpcomingEvents(ctx, "a", upcomingFrom, 5)
		add("upcoming", v9, err)
		return out
	}
	want := figures(context.Background())

	// What the readers give: the newest collection only, the count before a long gap, sectors in
	// key order and none where none were entered, events on their day in Oslo.
	if ch := want["channels"].([]query.Share); len(ch) != 2 || ch[0].Key != "direct" || ch[0].Sessions != 12 || ch[1].Sessions != 4 {
		t.Errorf("channels 2022 %+v, want direct 12 (the newest collection only) and organic_search 4", ch)
	}
	if v := want["visits 2021"].([]query.VisitsPoint); len(v) != 1 || v[0].Visits != 7 || v[0].Pageviews != 9 {
		t.Errorf("visits 2021 %+v, want 7 visits and 9 pageviews", v)
	}
	if v := want["year visitors"].([]query.PeriodVisitors); len(v) != 1 || v[0].Running || v[0].Visitors == nil || *v[0].Visitors != 5 ||
		v[0].NewVisitors != nil || v[0].ReturningVisitors != nil {
		t.Errorf("2021's unique visitors %+v, want 5 with no new/returning split", v)
	}
	if g := want["growth gap"].(query.FollowerGrowth); g.FollowersAtStart == nil || *g.FollowersAtStart != 100 || *g.NewFollowers != 50 {
		t.Errorf("growth after a gap of years %+v, want from 100 to 150", g)
	}
	if g := want["growth new"].(query.FollowerGrowth); g.FollowersAtStart != nil || g.NewFollowers != nil {
		t.Errorf("growth of a new account %+v, want no start", g)
	}
	if g := want["growth near"].(query.FollowerGrowth); g.FollowersAtStart == nil || *g.FollowersAtStart != 40 {
		t.Errorf("growth near %+v, want from 40", g)
	}
	events := want["events"].([]query.Event)
	if len(events) != 2 || events[0].ID != "e2" || events[0].Sectors != nil ||
		len(events[1].Sectors) != 2 || events[1].Sectors[0].Sector != "akademia" || events[1].Sectors[1].Attended != 5 {
		t.Errorf("events of 2022 in Oslo %+v", events)
	}

	// One page: discovery, then the web tables, the levels (with the gap's lookup further back),
	// reach is not asked, and events (with the coming ones, CoverUpcoming): each read once.
	if up := want["upcoming"].([]query.Event); len(up) != 1 || up[0].ID != "e1" || len(up[0].Sectors) != 2 {
		t.Errorf("events after 1 March 2022 %+v, want e1 with its sectors", up)
	}
	ctx, r := query.NewRequest(context.Background())
	query.Cover(ctx, y21.From, y22.To)
	query.CoverUpcoming(ctx, upcomingFrom, oslo)
	if _, err := q.Discover(ctx, "s", oslo); err != nil {
		t.Fatal(err)
	}
	got := figures(ctx)
	for name, w := range want {
		if !reflect.DeepEqual(got[name], w) {
			t.Errorf("%s in a covered request: %+v, alone: %+v", name, got[name], w)
		}
	}
	// discovery, web, levels, the gap account's count before the years read, events.
	if n := r.Queries(); n != 5 {
		t.Errorf("a covered page made %d queries, want 5", n)
	}
	// The same figures again cost nothing more.
	figures(ctx)
	if n := r.Queries(); n != 5 {
		t.Errorf("asking again made %d queries in all, want still 5", n)
	}

	// A year outside the stretch is read on its own, with the stretch's years not read yet, in
	// one query of two ranges.
	ctx, r = query.NewRequest(context.Background())
	query.Cover(ctx, y21.From, y22.To)
	old, err := q.VisitsSeries(ctx, "s", days.YearSpan(2015), days.Year)
	if err != nil || len(old) != 1 || old[0].Visits != 3 {
		t.Errorf("2015 visits %+v %v, want 3", old, err)
	}
	if tot, err := q.VisitsSeries(ctx, "s", y22, days.Year); err != nil || len(tot) != 1 || tot[0].Visits != 16 {
		t.Errorf("2022 visits %+v %v, want 16", tot, err)
	}
	if n := r.Queries(); n != 1 {
		t.Errorf("2015 and the stretch made %d queries, want 1", n)
	}
}

// The extent reads the edges of a site's traffic where its unique-visitor periods say they are,
// and the whole history where they do not: either way it is the first and the last traffic day.
func TestDiscoverFindsTheTrafficEdges(t *testing.T) {
	st, q, ctx, oslo := fresh(t)
	row := func(site string, d time.Time) []any {
		return []any{site, d, "direct", "desktop", uint64(1), uint64(1), uint64(1), uint64(1), "test", uint64(1)}
	}
	month := func(site string, y int, m time.Month) []any {
		return []any{site, "month", day(y, m, 1), day(y, m, 1).AddDate(0, 1, -1), u64(1), nil, nil, "test", uint64(1)}
	}
	insert(t, st, "web_traffic_daily", trafficCols,
		// inside: traffic starts after the first visitor month and stops before the last.
		row("inside", day(2015, 3, 10)), row("inside", day(2019, 7, 1)), row("inside", day(2024, 6, 1)),
		// outside: traffic before the first visitor month and after the last.
		row("outside", day(2014, 12, 20)), row("outside", day(2015, 1, 5)), row("outside", day(2020, 2, 2)),
		row("outside", day(2024, 12, 3)), row("outside", day(2025, 1, 3)),
		// bare: no visitor rows at all.
		row("bare", day(2018, 5, 5)), row("bare", day(2019, 1, 1)))
	insert(t, st, "web_visitors_period", visitorCols,
		month("inside", 2015, 1), month("inside", 2024, 12), month("outside", 2015, 1), month("outside", 2024, 12))
	for site, want := range map[string][2]time.Time{
		"inside":  {day(2015, 3, 10), day(2024, 6, 1)},
		"outside": {day(2014, 12, 20), day(2025, 1, 3)},
		"bare":    {day(2018, 5, 5), day(2019, 1, 1)},
	} {
		d, err := q.Discover(ctx, site, oslo)
		if err != nil {
			t.Fatal(err)
		}
		if d.Extent.Empty || !d.Extent.First.Equal(want[0]) || !d.Extent.Last.Equal(want[1]) {
			t.Errorf("%s: extent %+v, want %s..%s", site, d.Extent, want[0].Format("2006-01-02"), want[1].Format("2006-01-02"))
		}
	}
	if d, err := q.Discover(ctx, "nobody", oslo); err != nil || !d.Extent.Empty {
		t.Errorf("a site without figures: %+v %v, want an empty extent", d.Extent, err)
	}
}

// A list that went silent years before the span has no value for it, but the overview still says
// when it was last counted and last sent: found further back than the years a page reads, once.
func TestALongSilentListStillSaysWhenItWasLastMeasured(t *testing.T) {
	st, q, _, oslo := fresh(t)
	insert(t, st, "newsletter_subscribers_daily", []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"},
		[]any{"l", day(2015, 6, 1), uint64(500), uint64(3), uint64(1), "test", uint64(1)})
	insert(t, st, "newsletter_campaigns", []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent", "delivered",
		"unique_opens", "unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces", "source", "version"},
		[]any{"l", "c1", "Juni", "Juni", time.Date(2015, 6, 2, 7, 0, 0, 0, time.UTC), uint64(100), uint64(100), uint64(40), uint64(10), uint64(0), uint64(0), uint64(0), "test", uint64(1)},
		[]any{"l", "c0", "Mai", "Mai", time.Date(2015, 5, 2, 7, 0, 0, 0, time.UTC), uint64(100), uint64(100), uint64(40), uint64(20), uint64(0), uint64(0), uint64(0), "test", uint64(1)})
	var defs []metrics.Metric
	for _, n := range []string{string(metrics.NewsletterSubscribers), string(metrics.NewsletterLastClickRate)} {
		m, ok := metrics.Lookup(n)
		if !ok {
			t.Fatalf("no metric %s", n)
		}
		defs = append(defs, m)
	}
	scope := query.KPIScope{SiteID: "s", ListID: "l", Location: oslo}
	year := days.YearSpan(2022)
	check := func(ctx context.Context, how string) {
		t.Helper()
		values, err := q.KPIValues(ctx, defs, scope, year, days.Month, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []time.Time{day(2015, 6, 1), day(2015, 6, 2)} {
			v := values[i]
			if v.Current != nil || v.LastMeasured == nil || !v.LastMeasured.Equal(want) {
				t.Errorf("%s: %s current %v, last measured %v; want none, last measured %s", how, v.Def.Name, v.Current, v.LastMeasured, want.Format("2006-01-02"))
			}
		}
	}
	check(context.Background(), "alone")
	ctx, r := query.NewRequest(context.Background())
	query.Cover(ctx, days.YearSpan(2021).From, year.To)
	if _, err := q.Discover(ctx, "s", oslo); err != nil {
		t.Fatal(err)
	}
	check(ctx, "in a covered request")
	// discovery, the levels, the campaigns, and one look further back for each of the two.
	if n := r.Queries(); n != 5 {
		t.Errorf("a covered request made %d queries, want 5", n)
	}
}
