package plausible

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// The annual report's 2022 figures ("Antall besøkende av nettsiden til InnoMed i 2022").
var (
	report2022Visits  = [4]uint64{10234, 9068, 9634, 9709}
	report2022Uniques = [4]uint64{8001, 7157, 7435, 8059}
)

const unique2022 = 26480

// daysWithoutVisits2022 are left out of the fake's answers, as Plausible leaves out empty days.
var daysWithoutVisits2022 = []time.Time{days.Date(2022, 7, 17), days.Date(2022, 12, 25)}

func quarterRange(q int) (time.Time, time.Time) {
	start := days.Date(2022, time.Month(3*q-2), 1)
	return start, start.AddDate(0, 3, -1)
}

// fake2022 serves a year whose quarters add up to the report's visits, with weekdays busier than
// weekends, and whose quarter uniques are the report's: smaller than the sum of the days' visitors.
func fake2022(t *testing.T) *fakePlausible {
	f := newFake(t)
	for q := 1; q <= 4; q++ {
		start, end := quarterRange(q)
		var active []time.Time
		var weights []uint64
		var total uint64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			if slices.ContainsFunc(daysWithoutVisits2022, d.Equal) {
				continue
			}
			w := uint64(3)
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				w = 1
			}
			active = append(active, d)
			weights = append(weights, w)
			total += w
		}
		visits := make([]uint64, len(active))
		var spread uint64
		for i, w := range weights {
			visits[i] = report2022Visits[q-1] * w / total
			spread += visits[i]
		}
		for i := range report2022Visits[q-1] - spread {
			visits[i]++
		}
		for i, d := range active {
			f.setDay(d, visits[i])
		}
		f.uniques[[2]time.Time{start, end}] = report2022Uniques[q-1]
	}
	f.uniques[[2]time.Time{days.Date(2022, 1, 1), days.Date(2022, 12, 31)}] = unique2022
	for m := 1; m <= 12; m++ {
		start := days.Date(2022, time.Month(m), 1)
		f.setPages(start, f.totals(start, start.AddDate(0, 1, -1)).pageviews, 64)
	}
	return f
}

func runner2022(t *testing.T, f *fakePlausible) (*store.Store, *scheduler.Runner, scheduler.Source, days.Range) {
	st := chtest.Open(t)
	srv := f.server()
	c := newTestCollector(t, f, srv.URL, testOpts{})
	r := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.NewTextHandler(io.Discard, nil)))
	src := scheduler.Source{ID: sourceID, Kind: "plausible", Collector: c, ChunkDays: Kind().ChunkDays, LookbackDays: Kind().LookbackDays}
	return st, r, src, days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 12, 31)}
}

// latestTraffic is the newest collection of every day, as the query layer reads it.
const latestTraffic = `(SELECT * FROM web_traffic_daily WHERE (site_id, date, version) IN
    (SELECT site_id, date, max(version) FROM web_traffic_daily WHERE site_id = 'innomed.no' GROUP BY site_id, date))`

// stored2022 reads back everything the backfill stored, as lines that compare across runs.
func stored2022(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	read := func(name, sql string, scan func(func(...any) error) (string, error)) {
		rows, err := st.Conn().Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			line, err := scan(rows.Scan)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = append(out[name], line)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read("days", `SELECT date, channel, device, visitors, sessions, pageviews, new_visitors FROM `+latestTraffic+`
		WHERE toYear(date) = 2022 ORDER BY date, channel, device`,
		func(scan func(...any) error) (string, error) {
			var d time.Time
			var channel, device string
			var visitors, sessions, pageviews, newVisitors uint64
			err := scan(&d, &channel, &device, &visitors, &sessions, &pageviews, &newVisitors)
			return dayLine(figures.WebTrafficDay{SiteID: "innomed.no", Date: d.UTC(), Channel: channel, Device: device,
				Visitors: visitors, Sessions: sessions, Pageviews: pageviews, NewVisitors: newVisitors}), err
		})
	read("periods", `SELECT period, period_start, period_end, visitors, new_visitors, returning_visitors
		FROM web_visitors_period FINAL WHERE site_id = 'innomed.no' ORDER BY period, period_start`,
		func(scan func(...any) error) (string, error) {
			var r figures.WebVisitorsPeriod
			r.SiteID = "innomed.no"
			err := scan(&r.Period, &r.PeriodStart, &r.PeriodEnd, &r.Visitors, &r.NewVisitors, &r.ReturningVisitors)
			r.PeriodStart, r.PeriodEnd = r.PeriodStart.UTC(), r.PeriodEnd.UTC()
			return periodLine(r), err
		})
	read("pages", `SELECT month, path, title, pageviews FROM web_top_pages WHERE (site_id, month, version) IN
		(SELECT site_id, month, max(version) FROM web_top_pages WHERE site_id = 'innomed.no' GROUP BY site_id, month)
		ORDER BY month, path`,
		func(scan func(...any) error) (string, error) {
			var r figures.TopPage
			r.SiteID = "innomed.no"
			err := scan(&r.Month, &r.Path, &r.Title, &r.Pageviews)
			r.Month = r.Month.UTC()
			return pageLine(r), err
		})
	read("duplicates", `SELECT date, channel, device, count() FROM `+latestTraffic+` GROUP BY date, channel, device HAVING count() > 1`,
		func(scan func(...any) error) (string, error) {
			var d time.Time
			var channel, device string
			var n uint64
			err := scan(&d, &channel, &device, &n)
			return fmt.Sprintf("%s %s %s ×%d", days.Format(d), channel, device, n), err
		})
	slices.Sort(out["days"])
	slices.Sort(out["pages"])
	return out
}

// check2022 compares what is stored with what the fake serves, through the query layer where it
// reads the figure and directly otherwise.
func check2022(t *testing.T, st *store.Store, f *fakePlausible) {
	t.Helper()
	ctx := context.Background()
	quarters, err := query.New(st.Conn()).QuarterlyVisitors(ctx, "innomed.no", 2022)
	if err != nil {
		t.Fatal(err)
	}
	if len(quarters) != 4 {
		t.Fatalf("%d quarters stored, want 4: %+v", len(quarters), quarters)
	}
	for i, got := range quarters {
		start, end := quarterRange(i + 1)
		var visits, dailyVisitors uint64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			for _, r := range f.rows[d] {
				visits += r.visits
				dailyVisitors += r.visitors
			}
		}
		unique := f.uniques[[2]time.Time{start, end}]
		if visits != report2022Visits[i] || unique >= dailyVisitors {
			t.Fatalf("fixture: Q%d serves %d visits (report %d) and %d uniques against %d daily visitors; uniques must be fewer", i+1, visits, report2022Visits[i], unique, dailyVisitors)
		}
		if got.Quarter != i+1 || got.Visits != visits || got.UniqueVisitors == nil || *got.UniqueVisitors != unique {
			t.Errorf("Q%d: stored %+v (unique %v), want %d visits and Plausible's %d quarter uniques (not the %d summed over days)",
				i+1, got, got.UniqueVisitors, visits, unique, dailyVisitors)
		}
	}

	stored := stored2022(t, st)
	year := days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 12, 31)}
	sameLines(t, "2022 days", stored["days"], expectedDays(f, year, days.Date(2026, 3, 15)))
	if len(stored["duplicates"]) > 0 {
		t.Errorf("duplicate rows in the newest sets: %v", stored["duplicates"])
	}
	stored2022Dates := map[string]bool{}
	for _, l := range stored["days"] {
		stored2022Dates[l[len("innomed.no "):len("innomed.no 2022-01-01")]] = true
	}
	if len(stored2022Dates) != 365 {
		t.Errorf("%d days of 2022 stored, want all 365 (days without visits as a zero row)", len(stored2022Dates))
	}
	for _, d := range daysWithoutVisits2022 {
		want := dayLine(figures.WebTrafficDay{SiteID: "innomed.no", Date: d, Channel: figures.ChannelOther, Device: figures.DeviceOther})
		if !slices.Contains(stored["days"], want) {
			t.Errorf("no zero row for %s", days.Format(d))
		}
	}

	// Channel and device totals over the year, from the fake's rows and the expected mapping.
	type totals struct{ visitors, visits, pageviews uint64 }
	want := map[[2]string]totals{}
	for _, rows := range f.rows {
		for _, r := range rows {
			c := comboOf(r.channel, r.device)
			k := [2]string{c.wantChannel, c.wantDevice}
			tt := want[k]
			tt.visitors += r.visitors
			tt.visits += r.visits
			tt.pageviews += r.pageviews
			want[k] = tt
		}
	}
	rows, err := st.Conn().Query(ctx, `SELECT channel, device, sum(visitors), sum(sessions), sum(pageviews) FROM `+latestTraffic+`
		WHERE toYear(date) = 2022 AND (visitors > 0 OR sessions > 0 OR pageviews > 0) GROUP BY channel, device`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]totals{}
	for rows.Next() {
		var channel, device string
		var tt totals
		if err := rows.Scan(&channel, &device, &tt.visitors, &tt.visits, &tt.pageviews); err != nil {
			t.Fatal(err)
		}
		got[[2]string{channel, device}] = tt
	}
	_ = rows.Close()
	if len(got) != len(want) {
		t.Errorf("%d channel × device pairs stored, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s/%s: stored %+v, want %+v", k[0], k[1], got[k], w)
		}
	}

	var wantPeriods []string
	for _, p := range days.CompletePeriods(year) {
		wantPeriods = append(wantPeriods, periodLine(figures.WebVisitorsPeriod{SiteID: "innomed.no", Period: p.Kind,
			PeriodStart: p.Start, PeriodEnd: p.End, Visitors: ptr(f.totals(p.Start, p.End).visitors)}))
	}
	slices.Sort(wantPeriods)
	sameLines(t, "2022 period visitors", stored["periods"], wantPeriods)

	var wantPages []string
	for m := 1; m <= 12; m++ {
		wantPages = append(wantPages, expectedPages(f, days.Date(2022, time.Month(m), 1))...)
	}
	slices.Sort(wantPages)
	sameLines(t, "2022 top pages", stored["pages"], wantPages)
}

func ptr(v uint64) *uint64 { return &v }

func TestBackfill2022Integration(t *testing.T) {
	f := fake2022(t)
	st, r, src, year := runner2022(t, f)
	ctx := context.Background()

	sum, err := r.Backfill(ctx, src, year, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK || sum.Done != sum.Chunks || sum.Chunks != 12 {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	check2022(t, st, f)
	// Each month, quarter and year is asked for once over the twelve chunks.
	periods := map[string]int{}
	for _, req := range f.requestsOf("period") {
		periods[req.rangeKey()]++
	}
	if len(periods) != 17 {
		t.Errorf("%d periods asked for, want 12 months + 4 quarters + 1 year: %v", len(periods), periods)
	}
	for k, n := range periods {
		if n != 1 {
			t.Errorf("%s asked for %d times", k, n)
		}
	}
	if n := len(f.requestsOf("pages")); n != 12 {
		t.Errorf("%d top-page requests, want one per month", n)
	}
	// The first day once, 12 × one page of days, 17 periods and 12 top-page lists, as the README says.
	if n := f.requestCount(); n != 42 {
		t.Errorf("%d requests for the 2022 backfill, want 42", n)
	}
	before := stored2022(t, st)

	sum, err = r.Backfill(ctx, src, year, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK || sum.Skipped != 0 || sum.Done != 12 {
		t.Fatalf("second backfill: %+v, %v", sum, err)
	}
	after := stored2022(t, st)
	for _, k := range []string{"days", "periods", "pages", "duplicates"} {
		sameLines(t, "after a second backfill, "+k, after[k], before[k])
	}
	check2022(t, st, f)
}

func TestBackfillResumesAfterQuotaStopIntegration(t *testing.T) {
	f := fake2022(t)
	const allowed = 25
	f.intercept = func(n int, _ fakeRequest, w http.ResponseWriter) bool {
		if n <= allowed {
			return false
		}
		w.Header().Set("Retry-After", "3600")
		plausibleError(w, http.StatusTooManyRequests, "Too many API requests. Your API key is limited to 600 requests per hour. Please contact us to request more capacity.")
		return true
	}
	st, r, src, year := runner2022(t, f)
	ctx := context.Background()

	first, err := r.Backfill(ctx, src, year, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != scheduler.StatusThrottled || first.Done == 0 || first.Done >= first.Chunks || first.ResumeAt.IsZero() {
		t.Fatalf("want a throttled stop part-way: %+v", first)
	}
	if time.Until(first.RetryAt) < 59*time.Minute {
		t.Errorf("RetryAt %v should follow Plausible's Retry-After of an hour", first.RetryAt)
	}

	f.update(func() { f.intercept = nil })
	second, err := r.Backfill(ctx, src, year, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != scheduler.StatusOK || second.Skipped != first.Done || second.Skipped+second.Done != second.Chunks {
		t.Fatalf("the second backfill should resume after the %d chunks done: %+v", first.Done, second)
	}
	check2022(t, st, f)
}
