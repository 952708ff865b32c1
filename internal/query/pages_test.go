package query_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// Tests of the queries behind the dashboard pages. Expectations come from InnoMed's annual report
// (which the demo reproduces for 2022), from hand-made rows, or from SQL written here independently
// of the code under test — never from the code's own output.

const demoSite = "innomed.no"

func loadDemo(t *testing.T) (*store.Store, *query.Queries) {
	t.Helper()
	st := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: demoSite, Location: chtest.Oslo(t)}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	return st, query.New(st.Conn())
}

// scalar runs an independent query returning one number.
func scalar(t *testing.T, st *store.Store, sql string, args ...any) float64 {
	t.Helper()
	var v float64
	if err := st.Conn().QueryRow(context.Background(), "SELECT toFloat64(("+sql+"))", args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestDemoPagesQueries(t *testing.T) {
	st, q := loadDemo(t)
	ctx := context.Background()
	loc := chtest.Oslo(t)

	t.Run("visits series adds up to the report's quarters and never to a unique figure", func(t *testing.T) {
		report := []uint64{10234, 9068, 9634, 9709}
		months, err := q.VisitsSeries(ctx, demoSite, days.YearSpan(2022), days.Month)
		if err != nil {
			t.Fatal(err)
		}
		if len(months) != 12 {
			t.Fatalf("%d months", len(months))
		}
		for qtr := 0; qtr < 4; qtr++ {
			var sum uint64
			for _, m := range months[3*qtr : 3*qtr+3] {
				if !m.HasData {
					t.Errorf("%s has no data", m.Start.Format("2006-01"))
				}
				sum += m.Visits
			}
			if sum != report[qtr] {
				t.Errorf("Q%d visits from months %d, want %d", qtr+1, sum, report[qtr])
			}
		}
		weeks, err := q.VisitsSeries(ctx, demoSite, days.QuarterSpan(2022, 3), days.Week)
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, w := range weeks {
			sum += w.Visits
		}
		if sum != 9634 {
			t.Errorf("Q3 weeks add up to %d, want 9 634", sum)
		}
		feb, err := q.VisitsSeries(ctx, demoSite, days.MonthSpan(2022, time.February), days.Day)
		if err != nil {
			t.Fatal(err)
		}
		want := scalar(t, st, "SELECT sum(sessions) FROM web_traffic_daily WHERE site_id = ? AND date = toDate('2022-02-14')", demoSite)
		if len(feb) != 28 || float64(feb[13].Visits) != want || !feb[13].Start.Equal(day(2022, time.February, 14)) {
			t.Errorf("14 February: %+v, want %v visits", feb[13], want)
		}
		// Outside the demo's years every point is a gap, not zero.
		gap, err := q.VisitsSeries(ctx, demoSite, days.MonthSpan(2020, time.May), days.Day)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range gap {
			if p.HasData {
				t.Fatalf("May 2020 has data: %+v", p)
			}
		}
	})

	t.Run("unique visitors only for whole calendar periods", func(t *testing.T) {
		q1, err := q.SpanVisitors(ctx, demoSite, days.QuarterSpan(2022, 1))
		if err != nil {
			t.Fatal(err)
		}
		if q1 == nil || q1.Visitors == nil || *q1.Visitors != 8001 {
			t.Errorf("Q1 2022 uniques %+v, want 8 001", q1)
		}
		// A custom range that is exactly Q1 is Q1 (issue 12): the same provider figure.
		custom, _ := days.CustomSpan(day(2022, time.January, 1), day(2022, time.March, 31))
		if v, err := q.SpanVisitors(ctx, demoSite, custom); err != nil || v == nil || v.Visitors == nil || *v.Visitors != *q1.Visitors {
			t.Errorf("a custom range that is exactly Q1 got %+v (%v); want Q1's figure", v, err)
		}
		notQ1, _ := days.CustomSpan(day(2022, time.January, 2), day(2022, time.March, 31))
		if v, err := q.SpanVisitors(ctx, demoSite, notQ1); err != nil || v != nil {
			t.Errorf("a custom range one day short of Q1 got %+v (%v); want none", v, err)
		}
		running := days.QuarterSpan(2022, 1).Clip(day(2022, time.February, 10))
		if v, err := q.SpanVisitors(ctx, demoSite, running); err != nil || v != nil {
			t.Errorf("a clipped quarter got %+v (%v); want none", v, err)
		}
		year, err := q.SpanVisitors(ctx, demoSite, days.YearSpan(2022))
		if err != nil || year == nil || year.NewVisitors == nil || year.ReturningVisitors == nil {
			t.Fatalf("year 2022: %+v %v", year, err)
		}
		// The report: 15 % of the year's visitors were new.
		if share := float64(*year.NewVisitors) / float64(*year.Visitors); math.Round(share*100) != 15 {
			t.Errorf("new share %.3f, want 15 %%", share)
		}
		if *year.NewVisitors+*year.ReturningVisitors != *year.Visitors {
			t.Errorf("new %d + returning %d != %d", *year.NewVisitors, *year.ReturningVisitors, *year.Visitors)
		}
	})

	t.Run("discovery lists what the demo wrote", func(t *testing.T) {
		d, err := q.Discover(ctx, demoSite, loc)
		if err != nil {
			t.Fatal(err)
		}
		accounts, lists, registers, feeds, ext := d.Social, d.Lists, d.EventAccounts, d.Feeds, d.Extent
		want := []query.SocialAccount{{"facebook", "innomed"}, {"instagram", "innomed"}, {"linkedin", "innomed"}}
		if len(accounts) != 3 || accounts[0] != want[0] || accounts[1] != want[1] || accounts[2] != want[2] {
			t.Errorf("accounts %+v", accounts)
		}
		if len(lists) != 1 || lists[0] != demo.ListID {
			t.Errorf("lists %q", lists)
		}
		if len(registers) != 1 || registers[0] != demo.AccountID {
			t.Errorf("event accounts %q", registers)
		}
		if len(feeds) != 1 || feeds[0] != demo.FeedID {
			t.Errorf("feeds %q", feeds)
		}
		// Within one request the discovery is one query, however often it is asked for.
		rctx, req := query.NewRequest(ctx)
		for range 3 {
			if _, err := q.Discover(rctx, demoSite, loc); err != nil {
				t.Fatal(err)
			}
		}
		if req.Queries() != 1 {
			t.Errorf("three discoveries in one request made %d queries, want 1", req.Queries())
		}
		if ext.Empty || !ext.First.Equal(day(2021, time.January, 1)) || !ext.Last.Equal(day(2023, time.December, 31)) {
			t.Errorf("extent %+v, want 2021-01-01..2023-12-31", ext)
		}
		if y := ext.Years(); len(y) != 3 || y[0] != 2023 || y[2] != 2021 {
			t.Errorf("years %v", y)
		}
	})

	t.Run("KPIs for 2022 are the report's", func(t *testing.T) {
		scope := query.KPIScope{SiteID: demoSite, ListID: demo.ListID, EventAccount: demo.AccountID,
			Feeds: []string{demo.FeedID}, Location: loc,
			Social: []query.SocialAccount{{"facebook", "innomed"}, {"instagram", "innomed"}, {"linkedin", "innomed"}}}
		targets := []query.Target{{KPI: metrics.FollowersLinkedIn, Year: 2022, Value: 700},
			{KPI: metrics.WebVisits, Year: 2022, Value: 40000}, {KPI: metrics.WebVisits, Year: 2023, Value: 1}}
		values, err := q.KPIValues(ctx, metrics.OverviewKPIs(), scope, days.YearSpan(2022), days.Month, targets)
		if err != nil {
			t.Fatal(err)
		}
		got := map[metrics.Name]query.KPIValue{}
		for _, v := range values {
			got[v.Def.Name] = v
		}
		clickRate2022 := scalar(t, st, `SELECT sum(unique_clicks) / sum(delivered) FROM newsletter_campaigns
			WHERE toYear(toDate(send_time, 'Europe/Oslo')) = 2022`)
		lastClick2022 := scalar(t, st, `SELECT argMax(unique_clicks / delivered, send_time) FROM newsletter_campaigns
			WHERE send_time < toDateTime('2022-12-31 23:00:00', 'UTC')`)
		publications2022 := scalar(t, st, `SELECT count() FROM publications
			WHERE toYear(toDate(published_at, 'Europe/Oslo')) = 2022`)
		pageviews := func(year int) float64 {
			return scalar(t, st, `SELECT sum(pageviews) FROM web_traffic_daily FINAL WHERE site_id = ? AND toYear(date) = ?`, demoSite, year)
		}
		for name, want := range map[metrics.Name][3]any{
			// current, previous (2021), year earlier (2021)
			metrics.WebPageviews:            {pageviews(2022), pageviews(2021), pageviews(2021)},
			metrics.WebVisits:               {38645.0, 31810.0, 31810.0}, // Σ report quarters; 2021 Σ demo quarters
			metrics.WebUniqueVisitors:       {math.Round(30652 * 0.865), math.Round(25210 * 0.865), math.Round(25210 * 0.865)},
			metrics.FollowersFacebook:       {616.0, 266.0, 266.0},
			metrics.FollowersInstagram:      {501.0, 121.0, 121.0},
			metrics.FollowersLinkedIn:       {514.0, 219.0, 219.0},
			metrics.NewFollowersFacebook:    {350.0, nil, nil}, // 2021 has no snapshot before it
			metrics.NewFollowersInstagram:   {380.0, nil, nil},
			metrics.NewFollowersLinkedIn:    {295.0, nil, nil},
			metrics.NewsletterSubscribers:   {312.0, 189.0, 189.0},
			metrics.NewsletterClickRate:     {clickRate2022, nil, nil},
			metrics.EventsHeld:              {20.0, nil, nil},
			metrics.Publications:            {publications2022, nil, nil},
			metrics.NewsletterLastClickRate: {lastClick2022, nil, nil},
		} {
			v, ok := got[name]
			if !ok {
				t.Errorf("%s missing", name)
				continue
			}
			check := func(what string, p *float64, w any) {
				switch w := w.(type) {
				case nil:
				case float64:
					if p == nil || !near(*p, w) {
						t.Errorf("%s %s = %v, want %v", name, what, val(p), w)
					}
				}
			}
			check("current", v.Current, want[0])
			check("previous", v.Previous, want[1])
			check("year earlier", v.YearEarlier, want[2])
		}
		if n := got[metrics.FollowersFacebook]; len(n.Points) != 12 || n.Points[11].Value == nil || *n.Points[11].Value != 616 {
			t.Errorf("Facebook sparkline %+v", n.Points)
		}
		var monthSum, pageviewMonths float64
		for _, p := range got[metrics.WebVisits].Points {
			monthSum += *p.Value
		}
		for _, p := range got[metrics.WebPageviews].Points {
			pageviewMonths += *p.Value
		}
		if pv := pageviews(2022); pv == 0 || pageviewMonths != pv {
			t.Errorf("pageviews: months add up to %v, the year is %v", pageviewMonths, pv)
		}
		if monthSum != 38645 {
			t.Errorf("monthly visit points add up to %v", monthSum)
		}
		li := got[metrics.FollowersLinkedIn].Target
		if li == nil || li.Value == nil || *li.Value != 514 || li.Share == nil || !near(*li.Share, 514.0/700) || li.Expected != nil {
			t.Errorf("LinkedIn target %+v", li)
		}
		visits := got[metrics.WebVisits].Target
		if visits == nil || visits.Year != 2022 || *visits.Value != 38645 || visits.Expected == nil || *visits.Expected != 40000 {
			t.Errorf("visits target %+v (a whole year expects the whole target)", visits)
		}
		if got[metrics.EventAttendance].Current == nil {
			t.Error("event attendance 2022 unknown")
		}
	})

	t.Run("quarter comparisons and a running quarter", func(t *testing.T) {
		scope := query.KPIScope{SiteID: demoSite, Location: loc}
		defs := []metrics.Metric{metrics.MustLookup(metrics.WebVisits), metrics.MustLookup(metrics.WebUniqueVisitors)}
		values, err := q.KPIValues(ctx, defs, scope, days.QuarterSpan(2022, 2), days.Week, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, u := values[0], values[1]
		if *v.Current != 9068 || *v.Previous != 10234 || *v.YearEarlier != 7390 {
			t.Errorf("Q2 2022 visits %v / %v / %v, want 9 068 / 10 234 / 7 390", val(v.Current), val(v.Previous), val(v.YearEarlier))
		}
		if *u.Current != 7157 || *u.Previous != 8001 || *u.YearEarlier != 5860 {
			t.Errorf("Q2 2022 uniques %v / %v / %v", val(u.Current), val(u.Previous), val(u.YearEarlier))
		}
		ch := v.Def.Compare(v.Current, v.Previous)
		if ch == nil || ch.Delta != 9068-10234 || !near(*ch.Relative, (9068.0-10234)/10234) {
			t.Errorf("change %+v", ch)
		}
		running := days.QuarterSpan(2022, 2).Clip(day(2022, time.May, 10))
		values, err = q.KPIValues(ctx, defs, scope, running, days.Week, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := scalar(t, st, "SELECT sum(sessions) FROM web_traffic_daily WHERE date >= toDate('2022-01-01') AND date <= toDate('2022-02-09')")
		if values[0].Previous == nil || *values[0].Previous != want {
			t.Errorf("running Q2 to 10 May: previous %v, want Σ 1 January – 9 February = %v", val(values[0].Previous), want)
		}
		if values[1].Current != nil || values[1].Previous != nil {
			t.Errorf("running quarter has unique visitors %v / %v", val(values[1].Current), val(values[1].Previous))
		}
	})

	t.Run("monthly new followers agree with FollowerGrowthBetween", func(t *testing.T) {
		months, err := q.MonthlyNewFollowers(ctx, "instagram", "innomed", day(2021, time.May, 5), day(2021, time.July, 2))
		if err != nil {
			t.Fatal(err)
		}
		if len(months) != 3 {
			t.Fatalf("%d months", len(months))
		}
		for _, m := range months {
			g, err := q.FollowerGrowthBetween(ctx, "instagram", "innomed", m.Month, m.Month.AddDate(0, 1, -1))
			if err != nil {
				t.Fatal(err)
			}
			if (g.NewFollowers == nil) != (m.NewFollowers == nil) || (g.NewFollowers != nil && *g.NewFollowers != *m.NewFollowers) {
				t.Errorf("%s: monthly %v, growth %v", m.Month.Format("2006-01"), m.NewFollowers, g.NewFollowers)
			}
		}
		year, err := q.MonthlyNewFollowers(ctx, "facebook", "innomed", day(2022, time.January, 1), day(2022, time.December, 31))
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, m := range year {
			sum += *m.NewFollowers
		}
		if sum != 350 {
			t.Errorf("Facebook's 2022 months add up to %d new followers, want 350", sum)
		}
	})

	t.Run("events by quarter, kind and sector", func(t *testing.T) {
		events, err := q.SpanEvents(ctx, demo.AccountID, days.YearSpan(2022), loc)
		if err != nil {
			t.Fatal(err)
		}
		quarters := query.EventsByQuarter(events, day(2022, time.January, 1), day(2022, time.December, 31), loc)
		// Report 2022: Q1 13 Jan, 26 Jan, 16 Feb, 9 Mar, 17 Mar, 23 Mar, 31 Mar; Q2 20 Apr, 25 May,
		// 16 Jun; Q3 24 Aug, 14 Sep; Q4 the rest.
		for i, want := range []int{7, 3, 2, 8} {
			if quarters[i].Events != want {
				t.Errorf("Q%d: %d events, want %d", i+1, quarters[i].Events, want)
			}
		}
		kinds := query.SumByKind(events, []string{"webinar", "network_meeting", "national_meeting_place", "course"})
		wantKinds := map[string]int{"webinar": 6, "network_meeting": 8, "national_meeting_place": 3, "course": 3}
		if len(kinds) != 4 || kinds[0].Kind != "webinar" || kinds[3].Kind != "course" {
			t.Errorf("kinds %+v", kinds)
		}
		for _, k := range kinds {
			if k.Events != wantKinds[k.Kind] {
				t.Errorf("%s: %d events, want %d", k.Kind, k.Events, wantKinds[k.Kind])
			}
			if k.Kind == "national_meeting_place" && (k.Attended != 300 || k.OnSite != 40 || k.Digital != 260) {
				t.Errorf("DHO attendance %+v, want 100 + 100 + 40/60", k.EventTotals)
			}
		}
		sectors := query.SumSectors(events, []string{"municipality", "health_trust", "regional_health_authority", "ks", "other"})
		wantAttended := scalar(t, st, `SELECT sum(attended) FROM event_attendance_by_sector
			WHERE (account_id, event_id) IN (SELECT account_id, event_id FROM events WHERE deleted = 0
			AND toYear(toDate(starts_at, 'Europe/Oslo')) = 2022)`)
		var total uint64
		for _, s := range sectors {
			total += s.Attended
		}
		if len(sectors) < 5 || sectors[0].Sector != "municipality" || float64(total) != wantAttended {
			t.Errorf("sectors %+v, total attended %d, want %v", sectors, total, wantAttended)
		}
	})

	t.Run("reach per month is the report's, and publications fall on local days", func(t *testing.T) {
		months, err := q.ReachBetween(ctx, "facebook", "innomed", days.Month, day(2022, time.January, 1), day(2022, time.December, 1))
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, m := range months {
			sum += m.Reach
		}
		// The report: reach per month 300 on Facebook, i.e. 3 600 over twelve months.
		if len(months) != 12 || sum != 3600 {
			t.Errorf("%d months, Σ %d; want 12 and 3 600", len(months), sum)
		}
		pubs, err := q.SpanPublications(ctx, nil, days.YearSpan(2022), loc)
		if err != nil {
			t.Fatal(err)
		}
		want := scalar(t, st, `SELECT count() FROM publications WHERE toYear(toDate(published_at, 'Europe/Oslo')) = 2022`)
		if float64(len(pubs)) != want {
			t.Errorf("%d publications in 2022, want %v", len(pubs), want)
		}
		for _, p := range pubs {
			if !p.Day.Equal(day(p.PublishedAt.In(loc).Date())) {
				t.Errorf("%q: day %s, published %s", p.Title, p.Day, p.PublishedAt)
			}
		}
		perMonth, _, err := q.PublicationsPerMonth(ctx, []string{demo.FeedID}, days.QuarterSpan(2022, 1), loc)
		if err != nil || len(perMonth) != 3 {
			t.Fatalf("per month %+v %v", perMonth, err)
		}
		for _, m := range perMonth {
			want := scalar(t, st, `SELECT count() FROM publications WHERE toStartOfMonth(toDate(published_at, 'Europe/Oslo')) = toDate(?)`,
				m.Month.Format("2006-01-02"))
			if float64(m.Count) != want {
				t.Errorf("%s: %d publications, want %v", m.Month.Format("2006-01"), m.Count, want)
			}
		}
		up, err := q.UpcomingEvents(ctx, demo.AccountID, time.Date(2023, time.December, 1, 0, 0, 0, 0, time.UTC), 5)
		if err != nil || len(up) != 2 || up[0].Title != "Webinar: Erfaringer fra prosessveiledning" {
			t.Errorf("events after 1 December 2023: %+v %v", up, err)
		}
	})

	t.Run("provenance names the demo and when it was loaded", func(t *testing.T) {
		year := days.YearSpan(2022)
		sets := []query.ProvenanceSet{{Dataset: query.DatasetWebTraffic, Keys: []string{demoSite}, Span: year}}
		others := []query.Dataset{query.DatasetWebVisitors, query.DatasetTopPages, query.DatasetFollowers,
			query.DatasetReach, query.DatasetSubscribers, query.DatasetCampaigns, query.DatasetEvents, query.DatasetSectors,
			query.DatasetPublications}
		for _, d := range others {
			sets = append(sets, query.ProvenanceSet{Dataset: d, Span: year})
		}
		// A key that holds nothing, and a span that holds nothing, name no source.
		sets = append(sets, query.ProvenanceSet{Dataset: query.DatasetWebTraffic, Keys: []string{"nobody.example"}, Span: year},
			query.ProvenanceSet{Dataset: query.DatasetWebTraffic, Keys: []string{demoSite, "nobody.example"}, Span: days.YearSpan(1999)})
		all, err := q.ProvenanceOf(ctx, sets, loc)
		if err != nil {
			t.Fatal(err)
		}
		uses := all[0]
		rows := scalar(t, st, "SELECT count() FROM web_traffic_daily WHERE toYear(date) = 2022")
		if len(uses) != 1 || uses[0].Source != "demo" || float64(uses[0].Rows) != rows || uses[0].LastOK != nil ||
			time.Since(uses[0].Fetched) > time.Hour {
			t.Errorf("provenance %+v, want demo with %v rows fetched just now", uses, rows)
		}
		for i, d := range others {
			if uses := all[i+1]; len(uses) != 1 || uses[0].Rows == 0 {
				t.Errorf("%s: %+v", d, uses)
			}
		}
		if n := len(all); len(all[n-2]) != 0 || len(all[n-1]) != 0 {
			t.Errorf("sources of nothing: %+v, %+v", all[n-2], all[n-1])
		}
		if _, err := q.ProvenanceOf(ctx, []query.ProvenanceSet{{Dataset: "collector_runs; DROP TABLE x", Span: year}}, loc); err == nil {
			t.Error("an unknown dataset was accepted")
		}
	})
}

func TestCampaignRates(t *testing.T) {
	cs := []query.Campaign{{Delivered: 200, UniqueOpens: 100, UniqueClicks: 40}, {Delivered: 100, UniqueOpens: 20, UniqueClicks: 5}, {}}
	if r := cs[0].ClickRate(); r == nil || *r != 0.2 {
		t.Errorf("click rate %v", r)
	}
	if cs[2].OpenRate() != nil {
		t.Error("a send with nothing delivered has an open rate")
	}
	// Σ clicks / Σ delivered = 45 / 300, not the mean of 20 % and 5 %.
	tot := query.SumCampaigns(cs)
	if tot.Campaigns != 3 || tot.ClickRate == nil || !near(*tot.ClickRate, 0.15) || !near(*tot.OpenRate, 0.4) {
		t.Errorf("totals %+v", tot)
	}
}

func TestAnnotationsUnionExcludesDeleted(t *testing.T) {
	st, q, ctx, loc := fresh(t)

	insert(t, st, "newsletter_campaigns", []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent",
		"delivered", "unique_opens", "unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces", "provider_open_rate",
		"provider_click_rate", "source", "version"},
		// 23:30 UTC on 31 May is 01:30 on 1 June in Oslo: a June send.
		[]any{"list", "c1", "Juni-nyhetsbrev", "s", time.Date(2022, time.May, 31, 23, 30, 0, 0, time.UTC), uint64(10), uint64(10),
			uint64(5), uint64(2), uint64(0), uint64(0), uint64(0), nil, nil, "mailchimp", uint64(1)},
		[]any{"other-list", "c2", "Annen liste", "s", time.Date(2022, time.June, 3, 8, 0, 0, 0, time.UTC), uint64(10), uint64(10),
			uint64(5), uint64(2), uint64(0), uint64(0), uint64(0), nil, nil, "mailchimp", uint64(1)})
	eventCols := []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at", "registered",
		"attended_on_site", "attended_digital", "deleted", "source", "version"}
	at := time.Date(2022, time.June, 10, 11, 0, 0, 0, time.UTC)
	insert(t, st, "events", eventCols,
		[]any{"acc", "e1", "webinar", "<script>alert(1)</script>", at, nil, nil, nil, nil, uint8(0), "form", uint64(1)},
		[]any{"acc", "e2", "webinar", "Avlyst", at, nil, nil, nil, nil, uint8(0), "form", uint64(1)})
	insert(t, st, "events", eventCols, []any{"acc", "e2", "webinar", "Avlyst", at, nil, nil, nil, nil, uint8(1), "form", uint64(2)})
	insert(t, st, "publications", []string{"feed_id", "item_key", "title", "link", "published_at", "category", "first_seen", "source", "version"},
		[]any{"feed", "k1", "Ny rapport", "https://example.no/r", time.Date(2022, time.June, 20, 9, 0, 0, 0, time.UTC), "", time.Date(2022, time.June, 20, 10, 0, 0, 0, time.UTC), "rss", uint64(1)},
		[]any{"feed", "k2", "Juli-sak", "https://example.no/j", time.Date(2022, time.July, 1, 9, 0, 0, 0, time.UTC), "", time.Date(2022, time.July, 1, 10, 0, 0, 0, time.UTC), "rss", uint64(1)})
	annCols := []string{"scope", "annotation_id", "date", "kind", "title", "link", "deleted", "source", "version"}
	insert(t, st, "annotations", annCols,
		[]any{"site", "a1", day(2022, time.June, 10), "manual", "Ny forside", "", uint8(0), "form", uint64(1)},
		[]any{"site", "a2", day(2022, time.June, 11), "manual", "Slettet notat", "", uint8(0), "form", uint64(1)},
		[]any{"elsewhere", "a3", day(2022, time.June, 12), "manual", "Annet nettsted", "", uint8(0), "form", uint64(1)})
	insert(t, st, "annotations", annCols, []any{"site", "a2", day(2022, time.June, 11), "manual", "Slettet notat", "", uint8(1), "form", uint64(2)})

	scope := query.AnnotationScope{Scopes: []string{"site", "global"}, ListID: "list", EventAccount: "acc",
		Feeds: []string{"feed"}, Location: loc}
	got, err := q.Annotations(ctx, scope, days.MonthSpan(2022, time.June))
	if err != nil {
		t.Fatal(err)
	}
	want := []query.Annotation{
		{Day: day(2022, time.June, 1), Kind: query.AnnotationNewsletter, Title: "Juni-nyhetsbrev", Source: "mailchimp"},
		{Day: day(2022, time.June, 10), Kind: query.AnnotationManual, Title: "Ny forside", Source: "form"},
		{Day: day(2022, time.June, 10), Kind: query.AnnotationEvent, Title: "<script>alert(1)</script>", Source: "form"},
		{Day: day(2022, time.June, 20), Kind: query.AnnotationPublication, Title: "Ny rapport", Link: "https://example.no/r", Source: "rss"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d annotations %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// With nothing in scope, nothing comes back (and the empty lists are valid SQL on 18.16).
	none, err := q.Annotations(ctx, query.AnnotationScope{Location: loc}, days.MonthSpan(2022, time.June))
	if err != nil || len(none) != 0 {
		t.Errorf("empty scope: %+v %v", none, err)
	}
}

func TestSourceFreshness(t *testing.T) {
	st, q, ctx, loc := fresh(t)
	now := time.Date(2024, time.March, 10, 12, 0, 0, 0, time.UTC)
	ts := func(d, h int) time.Time { return time.Date(2024, time.March, d, h, 0, 0, 0, time.UTC) }
	tp := func(t time.Time) *time.Time { return &t }

	cols := []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
		"rows_written", "error", "notes", "retry_at", "version"}
	insert(t, st, "collector_runs", cols,
		// plausible: ok yesterday, ok today: fresh.
		[]any{"p1", "plausible", "incremental", day(2024, time.March, 6), day(2024, time.March, 9), ts(9, 3), tp(ts(9, 4)), "ok", uint64(40), "", "", nil, uint64(1)},
		[]any{"p2", "plausible", "incremental", day(2024, time.March, 7), day(2024, time.March, 10), ts(10, 3), tp(ts(10, 4)), "ok", uint64(41), "", "", nil, uint64(1)},
		// meta: ok a week ago, failed today: broken, last error shown, data through 3 March.
		[]any{"m1", "meta", "incremental", day(2024, time.March, 1), day(2024, time.March, 3), ts(3, 3), tp(ts(3, 4)), "ok", uint64(9), "", "", nil, uint64(1)},
		[]any{"m2", "meta", "incremental", day(2024, time.March, 4), day(2024, time.March, 10), ts(10, 3), tp(ts(10, 3)), "failed", uint64(0), "meta: credentials refused", "", nil, uint64(1)},
		// mailchimp: started running, then (newer version) finished ok.
		[]any{"c1", "mailchimp", "incremental", day(2024, time.March, 8), day(2024, time.March, 10), ts(10, 5), nil, "running", uint64(0), "", "", nil, uint64(1)},
		[]any{"c1", "mailchimp", "incremental", day(2024, time.March, 8), day(2024, time.March, 10), ts(10, 5), tp(ts(10, 6)), "ok", uint64(3), "", "", nil, uint64(2)},
		// linkedin: throttled, never succeeded.
		[]any{"l1", "linkedin", "backfill", day(2023, time.January, 1), day(2023, time.January, 31), ts(10, 1), tp(ts(10, 1)), "throttled", uint64(0), "429", "", nil, uint64(1)},
		// ga4: its one success is over a year old, every run since failed; the newest run was
		// first written running, then (newer version) interrupted.
		[]any{"g0", "ga4", "incremental", day(2022, time.December, 1), day(2022, time.December, 31), time.Date(2023, 1, 2, 3, 0, 0, 0, time.UTC), tp(time.Date(2023, 1, 2, 4, 0, 0, 0, time.UTC)), "ok", uint64(31), "", "", nil, uint64(1)},
		[]any{"g1", "ga4", "incremental", day(2023, time.January, 1), day(2023, time.February, 1), time.Date(2023, 2, 2, 3, 0, 0, 0, time.UTC), tp(time.Date(2023, 2, 2, 3, 0, 0, 0, time.UTC)), "failed", uint64(0), "ga4: 500", "", nil, uint64(1)},
		[]any{"g2", "ga4", "incremental", day(2024, time.March, 1), day(2024, time.March, 10), ts(10, 2), nil, "running", uint64(0), "", "", nil, uint64(1)},
		[]any{"g2", "ga4", "incremental", day(2024, time.March, 1), day(2024, time.March, 10), ts(10, 2), tp(ts(10, 3)), "interrupted", uint64(0), "", "", nil, uint64(2)})
	insert(t, st, "credentials", []string{"credential", "expires_at", "refresh_expires_at", "checked_at", "source", "version"},
		[]any{"oauth_token", tp(ts(12, 0)), tp(time.Date(2024, time.March, 20, 0, 0, 0, 0, time.UTC)), ts(10, 3), "linkedin", uint64(1)},
		[]any{"page_token", tp(time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC)), nil, ts(10, 3), "meta", uint64(1)},
		[]any{"api_key", nil, nil, ts(10, 3), "mailchimp", uint64(1)})

	counted, r := query.NewRequest(ctx)
	got, err := q.SourceFreshness(counted, query.FreshnessOptions{Enabled: []string{"plausible", "meta", "rss"},
		Disabled: []string{"matomo"}, Now: now, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Queries(); n != 1 {
		t.Errorf("the freshness strip made %d queries, want 1 (runs and credentials together)", n)
	}
	by := map[string]query.Freshness{}
	var order []string
	for _, f := range got {
		by[f.Source] = f
		order = append(order, f.Source)
	}
	if want := "ga4 linkedin mailchimp matomo meta plausible rss"; join(order) != want {
		t.Errorf("sources %q, want %q", join(order), want)
	}
	expect := func(src string, state query.SourceState, lag any, reasons ...string) {
		t.Helper()
		f := by[src]
		if f.State != state || join(f.Reasons) != join(reasons) {
			t.Errorf("%s: state %s reasons %q, want %s %q", src, f.State, f.Reasons, state, reasons)
		}
		switch lag := lag.(type) {
		case nil:
			if f.LagDays != nil {
				t.Errorf("%s: lag %d, want none", src, *f.LagDays)
			}
		case int:
			if f.LagDays == nil || *f.LagDays != lag {
				t.Errorf("%s: lag %v, want %d", src, f.LagDays, lag)
			}
		}
	}
	expect("plausible", query.StateOK, 0)
	expect("meta", query.StateBroken, 7, query.ReasonLastRunFailed, query.ReasonStale, query.ReasonExpired)
	expect("mailchimp", query.StateOK, 0)
	expect("linkedin", query.StateBroken, nil, query.ReasonThrottled, query.ReasonNeverSucceeded, query.ReasonExpiresSoon)
	expect("rss", query.StateBroken, nil, query.ReasonNeverRun)
	expect("matomo", query.StateDisabled, nil)
	if m := by["meta"]; m.StaleAfterDays != query.StaleAfterDays {
		t.Errorf("meta: stale after %d days, want %d", m.StaleAfterDays, query.StaleAfterDays)
	}

	// A weekly source is 7 days behind between two runs: not stale until twice its interval.
	weekly, err := q.SourceFreshness(ctx, query.FreshnessOptions{Enabled: []string{"plausible", "meta", "rss"},
		Disabled: []string{"matomo"}, Now: now, Location: loc, Intervals: map[string]time.Duration{"meta": 7 * 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range weekly {
		if f.Source == "meta" && (slices.Contains(f.Reasons, query.ReasonStale) || f.State != query.StateBroken) {
			t.Errorf("weekly meta 7 days behind: %s %q, want broken for its failed run only", f.State, f.Reasons)
		}
	}
	for iv, want := range map[time.Duration]int{0: 3, 6 * time.Hour: 3, 36 * time.Hour: 3, 48 * time.Hour: 4, 7 * 24 * time.Hour: 14} {
		if got := query.StaleAfter(iv); got != want {
			t.Errorf("StaleAfter(%s) = %d, want %d", iv, got, want)
		}
	}

	m := by["meta"]
	if m.Runs.LastError != "meta: credentials refused" || m.Runs.LastStatus != "failed" || !m.Runs.LastOK.Equal(ts(3, 4)) {
		t.Errorf("meta runs %+v", m.Runs)
	}
	if p := by["plausible"]; p.Runs.LastRows != 41 || !p.Runs.LastOK.Equal(ts(10, 4)) {
		t.Errorf("plausible runs %+v", p.Runs)
	}
	// An old success is still the last one, and the newest run is its newest version.
	g := by["ga4"]
	oldOK := time.Date(2023, 1, 2, 4, 0, 0, 0, time.UTC)
	if g.Runs == nil || g.Runs.LastStatus != query.RunInterrupted || g.Runs.LastOK == nil || !g.Runs.LastOK.Equal(oldOK) ||
		g.Runs.DataThrough == nil || !g.Runs.DataThrough.Equal(day(2022, time.December, 31)) || g.LagDays == nil || *g.LagDays < 400 {
		t.Errorf("ga4 runs %+v, lag %v: want interrupted, last ok %s through 2022-12-31", g.Runs, g.LagDays, oldOK)
	}
	// The provenance notes name the same last success for rows the source wrote.
	insert(t, st, "web_traffic_daily", trafficCols,
		[]any{"s", day(2022, time.December, 5), "direct", "desktop", uint64(1), uint64(1), uint64(1), uint64(1), "ga4", uint64(1)})
	uses, err := q.ProvenanceOf(ctx, []query.ProvenanceSet{{Dataset: query.DatasetWebTraffic, Keys: []string{"s"}, Span: days.MonthSpan(2022, time.December)}}, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) != 1 || len(uses[0]) != 1 || uses[0][0].Source != "ga4" || uses[0][0].LastOK == nil || !uses[0][0].LastOK.Equal(oldOK) {
		t.Errorf("provenance %+v, want ga4 with last ok %s", uses, oldOK)
	}
	// LinkedIn's access token ends in two days but is renewed from the refresh token, which lasts
	// ten more days: within the warning period, not expired.
	if l := by["linkedin"]; l.FirstExpiry == nil || !l.FirstExpiry.Equal(time.Date(2024, time.March, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("linkedin expiry %v", l.FirstExpiry)
	}
	// Fifteen days before the refresh token ends there is nothing to warn about yet.
	got, err = q.SourceFreshness(ctx, query.FreshnessOptions{Now: time.Date(2024, time.March, 5, 0, 0, 0, 0, time.UTC), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.Source == "linkedin" && join(f.Reasons) != join([]string{query.ReasonThrottled, query.ReasonNeverSucceeded}) {
			t.Errorf("fifteen days before expiry: %q", f.Reasons)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
