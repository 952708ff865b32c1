package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/demo"
	eventfigures "github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

const siteID = "innomed"

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// load fills a fresh database with the demo and returns it with the query layer over it.
func load(t *testing.T) (*store.Store, *query.Queries, demo.Summary) {
	t.Helper()
	st := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	summary, err := demo.Load(ctx, st, demo.Options{SiteID: siteID, Location: chtest.Oslo(t)})
	if err != nil {
		t.Fatalf("load demo: %v", err)
	}
	return st, query.New(st.Conn()), summary
}

func percent(share float64) int { return int(math.Round(share * 100)) }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// The figures of InnoMed's annual report 2022, section 2.4, as the test expects them back.
var (
	reportVisits  = []uint64{10234, 9068, 9634, 9709}
	reportUniques = []uint64{8001, 7157, 7435, 8059}
	reportChannel = map[string]int{"organic_search": 46, "direct": 35, "social": 13, "referral": 6}
)

type socialFigures struct {
	platform                       string
	followers, start, newFollowers uint64
	growthPercent                  int
	reachTotal                     uint64
	reachAverage                   float64
}

// reportSocial: growth is computed, not copied. The report prints 133 % for Facebook, but
// 350 / 266 = 131.6 %, which rounds to 132 %.
func reportSocial() []socialFigures {
	return []socialFigures{
		{platform: "facebook", followers: 616, start: 266, newFollowers: 350, growthPercent: 132, reachTotal: 3600, reachAverage: 300},
		{platform: "linkedin", followers: 514, start: 219, newFollowers: 295, growthPercent: 135, reachTotal: 3000, reachAverage: 250},
		{platform: "instagram", followers: 501, start: 121, newFollowers: 380, growthPercent: 314, reachTotal: 2400, reachAverage: 200},
	}
}

func TestDemoReproducesTheAnnualReport2022(t *testing.T) {
	st, q, summary := load(t)
	ctx := context.Background()
	loc := chtest.Oslo(t)
	first, last := date(2022, time.January, 1), date(2022, time.December, 31)

	t.Run("visits and unique visitors per quarter", func(t *testing.T) {
		got, err := q.QuarterlyVisitors(ctx, siteID, 2022)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("got %d quarters, want 4: %+v", len(got), got)
		}
		for i, row := range got {
			if row.Quarter != i+1 || row.Visits != reportVisits[i] || row.UniqueVisitors == nil || *row.UniqueVisitors != reportUniques[i] {
				t.Errorf("Q%d: visits %d, uniques %v; want Q%d visits %d, uniques %d",
					row.Quarter, row.Visits, deref(row.UniqueVisitors), i+1, reportVisits[i], reportUniques[i])
			}
		}
	})

	t.Run("channel shares", func(t *testing.T) {
		shares, err := q.ChannelShares(ctx, siteID, first, last)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, s := range shares {
			got[s.Key] = percent(s.Share)
		}
		if fmt.Sprint(got) != fmt.Sprint(reportChannel) {
			t.Errorf("channel shares %v, want %v", got, reportChannel)
		}
	})

	t.Run("device shares", func(t *testing.T) {
		shares, err := q.DeviceShares(ctx, siteID, first, last)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, s := range shares {
			got[s.Key] = s.Share
		}
		if d := percent(got["desktop"]); d < 79 || d > 80 {
			t.Errorf("desktop share %.3f, want 79–80 %% (nearly 80 %% use a PC)", got["desktop"])
		}
		if !(got["mobile"] > got["tablet"] && got["tablet"] > 0) || len(got) != 3 {
			t.Errorf("device shares %v: want desktop, mobile and a little tablet", got)
		}
	})

	t.Run("ratios between daily figures", func(t *testing.T) {
		year, err := q.VisitsSeries(ctx, siteID, days.YearSpan(2022), days.Year)
		if err != nil || len(year) != 1 {
			t.Fatalf("visits of 2022 %+v %v", year, err)
		}
		var sessions uint64
		for _, v := range reportVisits {
			sessions += v
		}
		if year[0].Visits != sessions {
			t.Errorf("sessions %d, want %d", year[0].Visits, sessions)
		}
		// Daily visitors are shown nowhere (they are not unique visitors): the demo's are read here
		// directly, to check they are believable beside the visits.
		var visitorDays, newVisitorDays uint64
		if err := st.Conn().QueryRow(ctx, `SELECT sum(visitors), sum(new_visitors) FROM web_traffic_daily
WHERE site_id = ? AND date >= toDate('2022-01-01') AND date <= toDate('2022-12-31')`, siteID).Scan(&visitorDays, &newVisitorDays); err != nil {
			t.Fatal(err)
		}
		visitors := float64(visitorDays) / float64(year[0].Visits)
		pageviews := float64(year[0].Pageviews) / float64(year[0].Visits)
		newShare := float64(newVisitorDays) / float64(visitorDays)
		if visitors < 0.78 || visitors > 0.88 || pageviews < 2.2 || pageviews > 2.6 || newShare < 0.13 || newShare > 0.17 {
			t.Errorf("visitors/sessions %.3f (want ≈0.8), pageviews/sessions %.3f (2.2–2.6), new/visitors %.3f (≈0.15)",
				visitors, pageviews, newShare)
		}
	})

	t.Run("unique visitors are not additive", func(t *testing.T) {
		quarters, err := q.PeriodVisitorsBetween(ctx, siteID, days.Quarter, date(2022, 1, 1), date(2022, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		months, err := q.PeriodVisitorsBetween(ctx, siteID, days.Month, date(2022, 1, 1), date(2022, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		if len(quarters) != 4 || len(months) != 12 {
			t.Fatalf("got %d quarter and %d month rows, want 4 and 12", len(quarters), len(months))
		}
		var quarterSum, maxQuarter uint64
		for i, qr := range quarters {
			u := *qr.Visitors
			if u != reportUniques[i] {
				t.Errorf("Q%d uniques %d, want %d", i+1, u, reportUniques[i])
			}
			quarterSum += u
			maxQuarter = max(maxQuarter, u)
			var monthSum uint64
			for _, m := range months[3*i : 3*i+3] {
				if *m.Visitors > u {
					t.Errorf("%s uniques %d exceed their quarter's %d", m.Start.Format("2006-01"), *m.Visitors, u)
				}
				monthSum += *m.Visitors
			}
			if monthSum <= u {
				t.Errorf("Q%d: months add up to %d, want more than the quarter's %d", i+1, monthSum, u)
			}
		}
		year, err := q.SpanVisitors(ctx, siteID, days.YearSpan(2022))
		if err != nil {
			t.Fatal(err)
		}
		if year == nil || year.Visitors == nil || year.NewVisitors == nil || year.ReturningVisitors == nil {
			t.Fatalf("year row %+v: want visitors, new and returning", year)
		}
		v, n, r := *year.Visitors, *year.NewVisitors, *year.ReturningVisitors
		if v >= quarterSum || v <= maxQuarter {
			t.Errorf("year uniques %d: want fewer than the quarters' sum %d and more than the largest quarter %d", v, quarterSum, maxQuarter)
		}
		if n+r != v || percent(float64(n)/float64(v)) != 15 || percent(float64(r)/float64(v)) != 85 {
			t.Errorf("year new %d + returning %d vs visitors %d: want 15 %% / 85 %% adding up", n, r, v)
		}
	})

	t.Run("most visited pages", func(t *testing.T) {
		pages, err := q.TopPages(ctx, siteID, first, last, 4)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, p := range pages {
			titles = append(titles, p.Title)
		}
		if len(pages) != 4 || pages[0].Path != "/" ||
			strings.Join(titles[1:], " | ") != "Mal for fremdriftsplan | Søknadsskjema for prosessveiledning | Om InnoMed" {
			t.Errorf("top pages %+v: want the front page, then Mal for fremdriftsplan, Søknadsskjema for prosessveiledning, Om InnoMed", pages)
		}
		for m := time.January; m <= time.December; m++ {
			month, err := q.TopPages(ctx, siteID, date(2022, m, 1), date(2022, m, 28), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(month) < 10 || len(month) > 15 {
				t.Errorf("2022-%02d has %d top pages, want about 12", m, len(month))
			}
		}
	})

	t.Run("followers and growth", func(t *testing.T) {
		for _, want := range reportSocial() {
			g, err := q.FollowerGrowthBetween(ctx, want.platform, demo.AccountID, days.YearSpan(2022).From, days.YearSpan(2022).To)
			if err != nil {
				t.Fatal(err)
			}
			if g.FollowersAtEnd == nil || g.FollowersAtStart == nil || g.NewFollowers == nil || g.GrowthRate == nil {
				t.Fatalf("%s: incomplete growth %+v", want.platform, g)
			}
			if *g.FollowersAtEnd != want.followers || *g.FollowersAtStart != want.start ||
				*g.NewFollowers != int64(want.newFollowers) || int(math.Round(100**g.GrowthRate)) != want.growthPercent {
				t.Errorf("%s: followers %d (start %d), new %d, growth %.1f %%; want %d (start %d), new %d, growth %d %%",
					want.platform, *g.FollowersAtEnd, *g.FollowersAtStart, *g.NewFollowers, 100**g.GrowthRate,
					want.followers, want.start, want.newFollowers, want.growthPercent)
			}
			// No gaps in 2022, so the gross movements explain the net change exactly.
			if g.GrossFollows == nil || g.GrossUnfollows == nil ||
				int64(*g.GrossFollows)-int64(*g.GrossUnfollows) != *g.NewFollowers || *g.GrossFollows <= want.newFollowers {
				t.Errorf("%s: gross follows %v − unfollows %v should equal new followers %d", want.platform,
					deref(g.GrossFollows), deref(g.GrossUnfollows), *g.NewFollowers)
			}
			snaps, err := q.Followers(ctx, want.platform, demo.AccountID, first, last)
			if err != nil {
				t.Fatal(err)
			}
			if len(snaps) != 365 {
				t.Errorf("%s: %d snapshots in 2022, want one per day", want.platform, len(snaps))
			}
		}
	})

	t.Run("monthly reach", func(t *testing.T) {
		for _, want := range reportSocial() {
			months, err := q.ReachBetween(ctx, want.platform, demo.AccountID, days.Month, date(2022, 1, 1), date(2022, 12, 31))
			if err != nil {
				t.Fatal(err)
			}
			avg := query.AverageReachOf(months)
			if avg.Months != 12 || avg.Total != want.reachTotal || avg.Average == nil || *avg.Average != want.reachAverage {
				t.Errorf("%s: %d months, total %d, average %v; want 12, %d, %v", want.platform, avg.Months, avg.Total,
					deref(avg.Average), want.reachTotal, want.reachAverage)
			}
			assertReachNotAdditive(t, q, want.platform, 2022)
		}
	})

	t.Run("newsletter", func(t *testing.T) {
		// The list's size at the ends of 2021 and 2022, as the dashboard reads snapshots.
		snaps, err := q.Subscribers(ctx, demo.ListID, date(2021, 12, 31), date(2022, 12, 31))
		if err != nil || len(snaps) < 2 || !snaps[0].Date.Equal(date(2021, 12, 31)) || !snaps[len(snaps)-1].Date.Equal(date(2022, 12, 31)) {
			t.Fatalf("subscribers 2021-12-31..2022-12-31: %d snapshots %v, want daily", len(snaps), err)
		}
		if end := snaps[len(snaps)-1].Subscribers; end <= 300 || end > 330 {
			t.Errorf("subscribers at the end of 2022: %d, want just over 300", end)
		}
		if start := snaps[0].Subscribers; start < 170 || start > 210 {
			t.Errorf("subscribers at the start of 2022: %d, want about 190", start)
		}
		campaigns, err := q.SpanCampaigns(ctx, demo.ListID, days.YearSpan(2022), loc)
		if err != nil {
			t.Fatal(err)
		}
		y := query.SumCampaigns(campaigns)
		if y.ClickRate == nil || *y.ClickRate <= 0.20 || *y.ClickRate >= 0.21 {
			t.Errorf("click rate %v, want just over 20 %%", deref(y.ClickRate))
		}
		monthly := map[string]int{}
		var clicks, delivered uint64
		for _, c := range campaigns {
			if strings.HasPrefix(c.Title, "Nyhetsbrev ") {
				monthly[c.Title]++
			}
			clicks += c.UniqueClicks
			delivered += c.Delivered
			if c.Delivered != c.EmailsSent-c.HardBounces-c.SoftBounces || c.UniqueClicks > c.UniqueOpens || c.UniqueOpens > c.Delivered {
				t.Errorf("campaign %s: sent %d, bounces %d+%d, delivered %d, opens %d, clicks %d do not add up",
					c.ID, c.EmailsSent, c.HardBounces, c.SoftBounces, c.Delivered, c.UniqueOpens, c.UniqueClicks)
			}
			if c.ProviderClickRate == nil || math.Abs(*c.ProviderClickRate-float64(c.UniqueClicks)/float64(c.Delivered)) > 1e-9 ||
				c.ProviderOpenRate == nil || math.Abs(*c.ProviderOpenRate-float64(c.UniqueOpens)/float64(c.Delivered)) > 1e-9 {
				t.Errorf("campaign %s: provider rates %v / %v are not unique ÷ delivered", c.ID, deref(c.ProviderOpenRate), deref(c.ProviderClickRate))
			}
		}
		for m := time.January; m <= time.December; m++ {
			title := "Nyhetsbrev " + norwegianMonth(m) + " 2022"
			if monthly[title] != 1 {
				t.Errorf("%q sent %d times, want once", title, monthly[title])
			}
		}
		if y.UniqueClicks != clicks || y.Delivered != delivered {
			t.Errorf("SumCampaigns sums clicks %d / delivered %d, campaigns add up to %d / %d", y.UniqueClicks, y.Delivered, clicks, delivered)
		}
	})

	t.Run("events", func(t *testing.T) {
		events, err := q.Events(ctx, demo.AccountID, time.Date(2022, 1, 1, 0, 0, 0, 0, loc), time.Date(2023, 1, 1, 0, 0, 0, 0, loc))
		if err != nil {
			t.Fatal(err)
		}
		byKind := map[string][]string{}
		byID := map[string]query.Event{}
		for _, e := range events {
			byKind[e.Kind] = append(byKind[e.Kind], e.StartsAt.In(loc).Format("01-02"))
			byID[e.ID] = e
			assertSectorsAddUp(t, e)
		}
		wantDates := map[string]string{
			"webinar":                "[01-13 03-09 05-25 10-20 11-17 12-08]",
			"national_meeting_place": "[03-31 08-24 11-07]",
			"network_meeting":        "[01-26 02-16 03-23 04-20 09-14 10-26 12-01 12-14]",
		}
		for kind, want := range wantDates {
			if got := fmt.Sprint(byKind[kind]); got != want {
				t.Errorf("%s dates %s, want %s", kind, got, want)
			}
		}
		var courseMonths []string
		for _, d := range byKind["course"] {
			courseMonths = append(courseMonths, d[:2])
		}
		if fmt.Sprint(courseMonths) != "[03 06 11]" || len(events) != 20 {
			t.Errorf("course months %v and %d events in all; want March, June, November and 20", courseMonths, len(events))
		}

		type attendance struct{ onSite, digital, total any }
		for id, want := range map[string]attendance{
			"demo-2022-03-31-national-meeting-place": {nil, uint32(100), uint32(100)},
			"demo-2022-08-24-national-meeting-place": {nil, uint32(100), uint32(100)},
			"demo-2022-11-07-national-meeting-place": {uint32(40), uint32(60), uint32(100)},
		} {
			e, ok := byID[id]
			got := attendance{deref(e.AttendedOnSite), deref(e.AttendedDigital), deref(e.Attended)}
			if !ok || got != want {
				t.Errorf("%s: on site %v, digital %v, total %v; want %v, %v, %v", id, got.onSite, got.digital, got.total,
					want.onSite, want.digital, want.total)
			}
		}
		// Local times become UTC: 13:00 in winter is 12:00Z, 10:00 in summer time is 08:00Z.
		if e := byID["demo-2022-01-13-webinar"]; !e.StartsAt.Equal(time.Date(2022, 1, 13, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("webinar 13 January starts at %s, want 12:00 UTC", e.StartsAt)
		}
		if e := byID["demo-2022-03-31-national-meeting-place"]; !e.StartsAt.Equal(time.Date(2022, 3, 31, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("national meeting place 31 March starts at %s, want 08:00 UTC", e.StartsAt)
		}
	})

	t.Run("deleted events are left out", func(t *testing.T) {
		var deleted uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM events FINAL WHERE deleted = 1").Scan(&deleted); err != nil {
			t.Fatal(err)
		}
		if deleted == 0 {
			t.Fatal("the demo should hold a deleted event, or this check proves nothing")
		}
		events, err := q.Events(ctx, demo.AccountID, time.Date(2023, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 1, 1, 0, 0, 0, 0, loc))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range events {
			seen[e.StartsAt.Format(time.RFC3339)+" "+e.Title]++
			if e.Kind == "other" && e.Attended != nil {
				t.Errorf("%s: nobody counted attendance, want nil, got %d", e.ID, *e.Attended)
			}
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("%s listed %d times: the deleted duplicate leaked through", k, n)
			}
		}
	})

	t.Run("every table but collector_runs is filled", func(t *testing.T) {
		for _, table := range []string{"web_traffic_daily", "web_visitors_period", "web_top_pages", "social_followers_daily",
			"social_reach", "newsletter_subscribers_daily", "newsletter_campaigns", "events", "event_attendance_by_sector",
			"publications", "annotations"} {
			var n uint64
			if err := st.Conn().QueryRow(ctx, "SELECT count() FROM "+table+" FINAL").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 || n != uint64(summary.Rows(table)) {
				t.Errorf("%s holds %d distinct keys, the summary says %d rows were written", table, n, summary.Rows(table))
			}
		}
		var runs uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM collector_runs").Scan(&runs); err != nil || runs != 0 {
			t.Errorf("collector_runs holds %d rows (err %v), want none: the demo is not a collector", runs, err)
		}
	})

	t.Run("publications every month", func(t *testing.T) {
		rows, err := st.Conn().Query(ctx, `
SELECT toStartOfMonth(toDate(published_at, 'Europe/Oslo')) AS m, count(), countIf(like(link, 'https://www.innomed.no/aktuelt/%'))
FROM publications FINAL WHERE feed_id = ? GROUP BY m ORDER BY m`, demo.FeedID)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rows.Close() }()
		months := 0
		for rows.Next() {
			var m time.Time
			var n, underAktuelt uint64
			if err := rows.Scan(&m, &n, &underAktuelt); err != nil {
				t.Fatal(err)
			}
			months++
			if n < 1 || n > 4 || underAktuelt != n {
				t.Errorf("%s: %d items (%d under /aktuelt/), want 1–4, all under /aktuelt/", m.Format("2006-01"), n, underAktuelt)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if months != 36 {
			t.Errorf("publications in %d months, want all 36", months)
		}
	})
}

func assertReachNotAdditive(t *testing.T, q *query.Queries, platform string, year int) {
	t.Helper()
	ctx := context.Background()
	months, err := q.ReachBetween(ctx, platform, demo.AccountID, days.Month, days.YearSpan(year).From, days.YearSpan(year).To)
	if err != nil {
		t.Fatal(err)
	}
	quarters, err := q.ReachBetween(ctx, platform, demo.AccountID, days.Quarter, days.YearSpan(year).From, days.YearSpan(year).To)
	if err != nil {
		t.Fatal(err)
	}
	years, err := q.ReachBetween(ctx, platform, demo.AccountID, days.Year, days.YearSpan(year).From, days.YearSpan(year).To)
	if err != nil {
		t.Fatal(err)
	}
	if len(months) != 12 || len(quarters) != 4 || len(years) != 1 {
		t.Fatalf("%s %d: %d month, %d quarter, %d year rows; want 12, 4, 1", platform, year, len(months), len(quarters), len(years))
	}
	var total uint64
	for i, qr := range quarters {
		var sum, best uint64
		for _, m := range months[3*i : 3*i+3] {
			sum += m.Reach
			best = max(best, m.Reach)
		}
		total += sum
		if qr.Reach >= sum || qr.Reach < best {
			t.Errorf("%s %d Q%d reach %d: want below its months' sum %d and at least its best month %d", platform, year, i+1, qr.Reach, sum, best)
		}
	}
	if years[0].Reach >= total {
		t.Errorf("%s %d year reach %d, want below the months' sum %d", platform, year, years[0].Reach, total)
	}
}

func assertSectorsAddUp(t *testing.T, e query.Event) {
	t.Helper()
	if e.Registered == nil {
		if len(e.Sectors) != 0 {
			t.Errorf("%s: sector rows without a registered count", e.ID)
		}
		return
	}
	var reg, att uint32
	for _, s := range e.Sectors {
		reg += s.Registered
		att += s.Attended
		if s.Attended > s.Registered {
			t.Errorf("%s %s: %d attended of %d registered", e.ID, s.Sector, s.Attended, s.Registered)
		}
	}
	if e.Attended == nil || reg != *e.Registered || att != *e.Attended {
		t.Errorf("%s: sectors add up to %d registered / %d attended, event has %v / %v", e.ID, reg, att, *e.Registered, deref(e.Attended))
	}
}

func norwegianMonth(m time.Month) string {
	return [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
		"september", "oktober", "november", "desember"}[m-1]
}

func TestDemoYearsAroundTheReportAreBelievable(t *testing.T) {
	st, q, _ := load(t)
	ctx := context.Background()
	loc := chtest.Oslo(t)

	var sessions []uint64
	for y := demo.FirstYear; y <= demo.LastYear; y++ {
		months, err := q.VisitsSeries(ctx, siteID, days.YearSpan(y), days.Month)
		if err != nil || len(months) != 12 {
			t.Fatalf("%d: visits per month %+v %v", y, months, err)
		}
		var total uint64
		for _, m := range months {
			total += m.Visits
		}
		sessions = append(sessions, total)
		if july := months[6].Visits; float64(july) > 0.6*float64(total)/12 {
			t.Errorf("%d: July has %d sessions, want the summer dip (average month %d)", y, july, total/12)
		}
		shares, err := q.ChannelShares(ctx, siteID, date(y, 1, 1), date(y, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shares {
			if s.Key == "email" && (y == demo.ReportYear || s.Share > 0.03) {
				t.Errorf("%d: email share %.3f, want none in 2022 and a little otherwise", y, s.Share)
			}
		}
		for _, p := range []string{"facebook", "linkedin", "instagram"} {
			assertReachNotAdditive(t, q, p, y)
		}
		uniques, err := q.QuarterlyVisitors(ctx, siteID, y)
		if err != nil {
			t.Fatal(err)
		}
		year, err := q.SpanVisitors(ctx, siteID, days.YearSpan(y))
		if err != nil || year == nil {
			t.Fatalf("%d: year visitors %v, %v", y, year, err)
		}
		var sum uint64
		for _, u := range uniques {
			sum += *u.UniqueVisitors
		}
		if *year.Visitors >= sum {
			t.Errorf("%d: year uniques %d not below the quarters' %d", y, *year.Visitors, sum)
		}
	}
	if !(sessions[0] < sessions[1] && sessions[1] < sessions[2]) {
		t.Errorf("sessions per year %v, want growth", sessions)
	}

	// Weekends are quiet for a B2B health audience.
	var weekday, weekend float64
	if err := st.Conn().QueryRow(ctx, `
SELECT sumIf(sessions, toDayOfWeek(date) <= 5) / 5, sumIf(sessions, toDayOfWeek(date) >= 6) / 2
FROM web_traffic_daily WHERE site_id = ?`, siteID).Scan(&weekday, &weekend); err != nil {
		t.Fatal(err)
	}
	if weekend > 0.6*weekday {
		t.Errorf("average weekend day %.0f vs weekday %.0f: want a clear weekly rhythm", weekend, weekday)
	}

	// 2021 has no snapshot before it, so its growth is unknown rather than invented; Instagram's
	// June gap stays a gap.
	g, err := q.FollowerGrowthBetween(ctx, "instagram", demo.AccountID, days.YearSpan(2021).From, days.YearSpan(2021).To)
	if err != nil {
		t.Fatal(err)
	}
	if g.FollowersAtStart != nil || g.GrowthRate != nil || g.FollowersAtEnd == nil || *g.FollowersAtEnd != 121 {
		t.Errorf("instagram 2021: start %v, growth %v, end %v; want nil, nil, 121", deref(g.FollowersAtStart), deref(g.GrowthRate), deref(g.FollowersAtEnd))
	}
	snaps, err := q.Followers(ctx, "instagram", demo.AccountID, date(2021, 1, 1), date(2021, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for i := 1; i < len(snaps); i++ {
		for d := snaps[i-1].Date.AddDate(0, 0, 1); d.Before(snaps[i].Date); d = d.AddDate(0, 0, 1) {
			missing = append(missing, d.Format("01-02"))
		}
	}
	if len(missing) < 2 || len(missing) > 7 {
		t.Errorf("instagram 2021 is missing days %v, want a short visible gap", missing)
	}
	for _, p := range reportSocial() {
		g23, err := q.FollowerGrowthBetween(ctx, p.platform, demo.AccountID, days.YearSpan(2023).From, days.YearSpan(2023).To)
		if err != nil {
			t.Fatal(err)
		}
		if g23.NewFollowers == nil || *g23.NewFollowers <= 0 || *g23.FollowersAtStart != p.followers {
			t.Errorf("%s 2023: start %v, new %v; want to start at %d and keep growing", p.platform,
				deref(g23.FollowersAtStart), deref(g23.NewFollowers), p.followers)
		}
	}

	// Every row is internally consistent, and every day carries its whole channel × device set.
	var badRows, days2022, rows2022, days2021, rows2021 uint64
	if err := st.Conn().QueryRow(ctx, `
SELECT countIf(visitors > sessions OR (sessions > 0 AND visitors = 0) OR pageviews < 2 * sessions
               OR pageviews > 3 * sessions OR new_visitors > visitors),
       uniqExactIf(date, toYear(date) = 2022), countIf(toYear(date) = 2022),
       uniqExactIf(date, toYear(date) = 2021), countIf(toYear(date) = 2021)
FROM web_traffic_daily WHERE site_id = ?`, siteID).Scan(&badRows, &days2022, &rows2022, &days2021, &rows2021); err != nil {
		t.Fatal(err)
	}
	if badRows != 0 || days2022 != 365 || rows2022 != 365*4*3 || days2021 != 365 || rows2021 != 365*5*3 {
		t.Errorf("web rows: %d inconsistent; 2022 %d days / %d rows (want 365 / 4 channels × 3 devices each), 2021 %d / %d (5 channels)",
			badRows, days2022, rows2022, days2021, rows2021)
	}

	// A day's follows − unfollows is its change in followers (except right after a gap).
	for _, p := range []string{"facebook", "linkedin", "instagram"} {
		snaps, err := q.Followers(ctx, p, demo.AccountID, date(demo.FirstYear, 1, 1), date(demo.LastYear, 12, 31))
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(snaps); i++ {
			prev, cur := snaps[i-1], snaps[i]
			if !cur.Date.Equal(prev.Date.AddDate(0, 0, 1)) {
				continue
			}
			if int64(cur.Followers)-int64(prev.Followers) != int64(*cur.Follows)-int64(*cur.Unfollows) {
				t.Errorf("%s %s: followers %d → %d but follows %d, unfollows %d", p, cur.Date.Format("2006-01-02"),
					prev.Followers, cur.Followers, *cur.Follows, *cur.Unfollows)
			}
		}
	}

	// A campaign goes to the list as it stood the evening before.
	subs, err := q.Subscribers(ctx, demo.ListID, date(demo.FirstYear, 1, 1), date(demo.LastYear, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	listOn := map[string]query.SubscriberSnapshot{}
	for i, s := range subs {
		listOn[s.Date.Format("2006-01-02")] = s
		if i > 0 && (s.Unsubscribed < subs[i-1].Unsubscribed || s.Cleaned < subs[i-1].Cleaned) {
			t.Errorf("%s: cumulative unsubscribed/cleaned went down", s.Date.Format("2006-01-02"))
		}
	}
	all, err := days.CustomSpan(date(demo.FirstYear, 1, 2), date(demo.LastYear, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	campaigns, err := q.SpanCampaigns(ctx, demo.ListID, all, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range campaigns {
		eve := c.SendTime.In(loc).AddDate(0, 0, -1).Format("2006-01-02")
		if s, ok := listOn[eve]; !ok || s.Subscribers != c.EmailsSent {
			t.Errorf("campaign %s sent to %d, but the list held %d on %s", c.ID, c.EmailsSent, s.Subscribers, eve)
		}
	}

	for y := demo.FirstYear; y <= demo.LastYear; y++ {
		events, err := q.Events(ctx, demo.AccountID, time.Date(y, 1, 1, 0, 0, 0, 0, loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, loc))
		if err != nil {
			t.Fatal(err)
		}
		if len(events) < 15 {
			t.Errorf("%d: %d events, want a year's rhythm", y, len(events))
		}
		for _, e := range events {
			assertSectorsAddUp(t, e)
		}
		sends, err := q.SpanCampaigns(ctx, demo.ListID, days.YearSpan(y), loc)
		if err != nil {
			t.Fatal(err)
		}
		if nl := query.SumCampaigns(sends); nl.Campaigns < 12 || nl.ClickRate == nil || *nl.ClickRate < 0.15 || *nl.ClickRate > 0.25 {
			t.Errorf("%d: %d campaigns, click rate %v", y, nl.Campaigns, deref(nl.ClickRate))
		}
	}
}

// figures reads every figure the query layer offers for 2021–2023, as JSON, so two loads can be compared.
func figures(t *testing.T, q *query.Queries, loc *time.Location) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	put := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = string(b)
	}
	for y := demo.FirstYear; y <= demo.LastYear; y++ {
		first, last := date(y, 1, 1), date(y, 12, 31)
		localFirst, localNext := time.Date(y, 1, 1, 0, 0, 0, 0, loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
		key := func(name string) string { return fmt.Sprintf("%d %s", y, name) }

		v1, err := q.QuarterlyVisitors(ctx, siteID, y)
		put(key("QuarterlyVisitors"), v1, err)
		v2, err := q.ChannelShares(ctx, siteID, first, last)
		put(key("ChannelShares"), v2, err)
		v3, err := q.DeviceShares(ctx, siteID, first, last)
		put(key("DeviceShares"), v3, err)
		v4, err := q.VisitsSeries(ctx, siteID, days.YearSpan(y), days.Month)
		put(key("VisitsSeries"), v4, err)
		for _, p := range []days.Kind{days.Month, days.Quarter, days.Year} {
			v, err := q.PeriodVisitorsBetween(ctx, siteID, p, first, last)
			put(key("PeriodVisitorsBetween "+string(p)), v, err)
		}
		v5, err := q.SpanVisitors(ctx, siteID, days.YearSpan(y))
		put(key("SpanVisitors year"), v5, err)
		v6, err := q.TopPages(ctx, siteID, first, last, 20)
		put(key("TopPages"), v6, err)
		for _, platform := range []string{"facebook", "instagram", "linkedin"} {
			g, err := q.FollowerGrowthBetween(ctx, platform, demo.AccountID, days.YearSpan(y).From, days.YearSpan(y).To)
			put(key("FollowerGrowth "+platform), g, err)
			f, err := q.Followers(ctx, platform, demo.AccountID, first, last)
			put(key("Followers "+platform), f, err)
			for _, p := range []days.Kind{days.Month, days.Quarter, days.Year} {
				r, err := q.ReachBetween(ctx, platform, demo.AccountID, p, days.YearSpan(y).From, days.YearSpan(y).To)
				put(key("ReachBetween "+platform+" "+string(p)), r, err)
				if p == days.Month {
					put(key("AverageReachOf "+platform), query.AverageReachOf(r), nil)
				}
			}
		}
		n2, err := q.SpanCampaigns(ctx, demo.ListID, days.YearSpan(y), loc)
		put(key("SpanCampaigns"), n2, err)
		put(key("SumCampaigns"), query.SumCampaigns(n2), nil)
		n3, err := q.Subscribers(ctx, demo.ListID, first, last)
		put(key("Subscribers"), n3, err)
		e1, err := q.Events(ctx, demo.AccountID, localFirst, localNext)
		put(key("Events"), e1, err)
		put(key("SumByKind"), query.SumByKind(e1, eventfigures.EventKinds()), nil)
	}
	return out
}

func TestSecondLoadChangesNoFigure(t *testing.T) {
	st, q, first := load(t)
	loc := chtest.Oslo(t)
	before := figures(t, q, loc)

	ctx := context.Background()
	second, err := demo.Load(ctx, st, demo.Options{SiteID: siteID, Location: loc})
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	if first.String() != second.String() {
		t.Errorf("second load wrote other row counts:\n%s\nvs\n%s", first, second)
	}
	// Both loads' rows are stored until ClickHouse merges them; the reads must still see one.
	var raw, distinct uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM web_traffic_daily").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM web_traffic_daily FINAL").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != uint64(first.Rows("web_traffic_daily")) || raw < distinct {
		t.Errorf("web_traffic_daily: %d rows, %d distinct keys; want the first load's %d keys", raw, distinct, first.Rows("web_traffic_daily"))
	}

	after := figures(t, q, loc)
	if len(after) != len(before) {
		t.Fatalf("digest has %d figures after, %d before", len(after), len(before))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s changed after a second load:\nbefore %s\nafter  %s", name, b, after[name])
		}
	}
}
