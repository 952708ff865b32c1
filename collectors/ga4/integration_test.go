package ga4

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

var year2022 = days.Range{From: day("2022-01-01"), To: day("2022-12-31")}

func testSource(c *Collector) scheduler.Source {
	k := Kind()
	return scheduler.Source{ID: "ga4-innomed", Kind: k.Name, Collector: c, Interval: k.Interval, LookbackDays: k.LookbackDays, ChunkDays: k.ChunkDays}
}

func backfill(t *testing.T, runner *scheduler.Runner, src scheduler.Source, restart bool) scheduler.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := runner.Backfill(ctx, src, year2022, restart, nil)
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	return sum
}

// latestTraffic selects the newest collection of every day, as the query layer reads them.
const latestTraffic = `(SELECT * FROM web_traffic_daily WHERE (site_id, date, version) IN
    (SELECT site_id, date, max(version) FROM web_traffic_daily WHERE site_id = ? GROUP BY site_id, date))`

func TestBackfill2022Integration(t *testing.T) {
	st := chtest.Open(t)
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	src := testSource(c)

	sum := backfill(t, runner, src, false)
	if sum.Status != scheduler.StatusOK || sum.Done != 12 || sum.Err != nil {
		t.Fatalf("backfill: %+v", sum)
	}
	checkStoredFigures(t, st, f.data)

	// Each month, quarter and the year were asked for once, in the chunk holding their last day.
	asked := map[string]int{}
	for _, r := range f.requestsFor("") {
		asked[r.DateRanges[0].StartDate+".."+r.DateRanges[0].EndDate]++
	}
	if n := asked["2022-01-01..2022-12-31"]; n != 1 || len(asked) != 17 {
		t.Errorf("unique-visitor requests %v: want 17 periods, each once", asked)
	}

	// A second backfill from scratch replaces every figure with the same figure.
	before := snapshot(t, st)
	sum = backfill(t, runner, src, true)
	if sum.Status != scheduler.StatusOK || sum.Done != 12 || sum.Skipped != 0 {
		t.Fatalf("second backfill: %+v", sum)
	}
	if after := snapshot(t, st); after != before {
		t.Errorf("a second backfill changed the figures:\nbefore %s\nafter  %s", before, after)
	}
	checkStoredFigures(t, st, f.data)
}

// A quota stop part-way leaves a state the next backfill resumes from: first a 429 with a long
// Retry-After, then GA's own daily-quota 429 without one, then the quota returns.
func TestBackfillQuotaStopResumesIntegration(t *testing.T) {
	st := chtest.Open(t)
	f := newFakeGA(t)
	c, _ := newTestCollector(t, f, "", fastOptions())
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	src := testSource(c)

	limitAfter := func(requests int, answer func() *fakeAnswer) {
		start := f.hitCount()
		f.setFault(func(n int, _ fakeRequest) *fakeAnswer {
			if n > start+requests {
				return answer()
			}
			return nil
		})
	}
	limitAfter(30, func() *fakeAnswer {
		a := f.fixtureAnswer(http.StatusTooManyRequests, "error_429_tokens_per_hour.json")
		a.header = http.Header{"Retry-After": {"3600"}}
		return a
	})
	first := backfill(t, runner, src, false)
	checkStopped(t, first, 0)
	if wait := time.Until(first.RetryAt); wait < 50*time.Minute || wait > 61*time.Minute {
		t.Errorf("RetryAt %s: want the Retry-After of an hour", first.RetryAt)
	}

	limitAfter(25, func() *fakeAnswer {
		return f.fixtureAnswer(http.StatusTooManyRequests, "error_429_tokens_per_day.json")
	})
	second := backfill(t, runner, src, false)
	checkStopped(t, second, first.Done)
	if want := testNow.Add(24 * time.Hour); !second.RetryAt.Equal(want) {
		t.Errorf("RetryAt %s after GA's daily quota, want %s", second.RetryAt, want)
	}

	f.setFault(nil)
	last := backfill(t, runner, src, false)
	if last.Status != scheduler.StatusOK || last.Skipped != first.Done+second.Done || last.Skipped+last.Done != 12 {
		t.Fatalf("resumed backfill: %+v, want ok after skipping the %d chunks done", last, first.Done+second.Done)
	}
	checkStoredFigures(t, st, f.data)
}

func checkStopped(t *testing.T, sum scheduler.Summary, skipped int) {
	t.Helper()
	if sum.Status != scheduler.StatusThrottled || !errors.Is(sum.Err, collectors.ErrRateLimited) {
		t.Fatalf("backfill: status %s, err %v: want throttled by a rate limit", sum.Status, sum.Err)
	}
	if sum.Skipped != skipped || sum.Done < 1 || sum.Done+sum.Skipped >= 12 || sum.RetryAt.IsZero() {
		t.Fatalf("backfill stopped with %+v: want it to resume after %d chunks, get some done and stop before the end", sum, skipped)
	}
	if !strings.Contains(sum.Err.Error(), "quota exhausted") {
		t.Errorf("err = %v", sum.Err)
	}
}

// checkStoredFigures reads back what the backfill stored and compares it with what the fake serves.
func checkStoredFigures(t *testing.T, st *store.Store, d dataset) {
	t.Helper()
	ctx := context.Background()

	// The annual report's quarters: visits are the days' sessions, unique visitors GA's quarter figure.
	quarters, err := query.New(st.Conn()).QuarterlyVisitors(ctx, testSite, 2022)
	if err != nil {
		t.Fatal(err)
	}
	if len(quarters) != 4 {
		t.Fatalf("quarters %+v, want 4", quarters)
	}
	for _, q := range quarters {
		p, _ := days.PeriodOf(days.Quarter, days.Date(2022, time.Month(3*q.Quarter-2), 1))
		var visits uint64
		days.Range{From: p.Start, To: p.End}.Each(func(day time.Time) {
			for _, c := range d.traffic(day) {
				visits += c.sessions
			}
		})
		unique := d.uniques(p.Start, p.End)
		if unique >= d.dailyUsers(p.Start, p.End) {
			t.Fatalf("fixture broken: Q%d's unique visitors %d are not below the sum of its days", q.Quarter, unique)
		}
		if q.Visits != visits || q.UniqueVisitors == nil || *q.UniqueVisitors != unique {
			t.Errorf("Q%d: visits %d unique %v, want %d and %d", q.Quarter, q.Visits, q.UniqueVisitors, visits, unique)
		}
	}

	// Every day holds one whole set, each (day, channel, device) once, and the channel × device
	// totals are the dataset's.
	want := expectedTraffic(d, year2022)
	wantTotals := map[[2]string][4]uint64{}
	for k, v := range want {
		sum := wantTotals[[2]string{k.channel, k.device}]
		wantTotals[[2]string{k.channel, k.device}] = [4]uint64{sum[0] + v.visitors, sum[1] + v.sessions, sum[2] + v.pageviews, sum[3] + v.newVisitors}
	}
	var daysHeld, rows, keys uint64
	row := st.Conn().QueryRow(ctx, `SELECT uniqExact(date), count(), uniqExact(date, channel, device) FROM `+latestTraffic+` WHERE toYear(date) = 2022`, testSite)
	if err := row.Scan(&daysHeld, &rows, &keys); err != nil {
		t.Fatal(err)
	}
	if daysHeld != 365 || rows != uint64(len(want)) || keys != rows {
		t.Errorf("stored %d days, %d rows, %d distinct keys: want 365 days and %d rows, each key once", daysHeld, rows, keys, len(want))
	}
	totals, err := st.Conn().Query(ctx, `SELECT channel, device, sum(visitors), sum(sessions), sum(pageviews), sum(new_visitors)
FROM `+latestTraffic+` GROUP BY channel, device`, testSite)
	if err != nil {
		t.Fatal(err)
	}
	gotTotals := map[[2]string][4]uint64{}
	for totals.Next() {
		var ch, dev string
		var v [4]uint64
		if err := totals.Scan(&ch, &dev, &v[0], &v[1], &v[2], &v[3]); err != nil {
			t.Fatal(err)
		}
		gotTotals[[2]string{ch, dev}] = v
	}
	_ = totals.Close()
	if !equalMaps(gotTotals, wantTotals) {
		t.Errorf("channel × device totals:\n got %v\nwant %v", gotTotals, wantTotals)
	}

	// GA's figures for all 12 months, 4 quarters and the year, never a sum.
	periods, err := st.Conn().Query(ctx, `SELECT period, toString(period_start), toString(period_end),
    ifNull(toString(visitors), 'NULL'), ifNull(toString(new_visitors), 'NULL'), ifNull(toString(returning_visitors), 'NULL')
FROM web_visitors_period FINAL WHERE site_id = ?`, testSite)
	if err != nil {
		t.Fatal(err)
	}
	var gotPeriods []string
	for periods.Next() {
		var kind, start, end, visitors, newVisitors, returning string
		if err := periods.Scan(&kind, &start, &end, &visitors, &newVisitors, &returning); err != nil {
			t.Fatal(err)
		}
		gotPeriods = append(gotPeriods, strings.Join([]string{kind, start, end, visitors, newVisitors, returning}, " "))
	}
	_ = periods.Close()
	var wantPeriods []string
	for _, p := range days.CompletePeriods(year2022) {
		u := d.uniques(p.Start, p.End)
		wantPeriods = append(wantPeriods, fmt.Sprintf("%s %s %s %d %d %d", p.Kind, days.Format(p.Start), days.Format(p.End), u, u*2/5, u*7/10))
	}
	slices.Sort(gotPeriods)
	slices.Sort(wantPeriods)
	if !slices.Equal(gotPeriods, wantPeriods) {
		t.Errorf("periods:\n got %v\nwant %v", gotPeriods, wantPeriods)
	}

	// Each month's newest top list is the dataset's top 50.
	pages, err := st.Conn().Query(ctx, `SELECT toString(month), path, title, pageviews FROM web_top_pages
WHERE (site_id, month, version) IN (SELECT site_id, month, max(version) FROM web_top_pages WHERE site_id = ? GROUP BY site_id, month)`, testSite)
	if err != nil {
		t.Fatal(err)
	}
	var gotPages []string
	for pages.Next() {
		var month, path, title string
		var views uint64
		if err := pages.Scan(&month, &path, &title, &views); err != nil {
			t.Fatal(err)
		}
		gotPages = append(gotPages, fmt.Sprintf("%s %s %q %d", month, path, title, views))
	}
	_ = pages.Close()
	var wantPages []string
	for _, p := range days.CompletePeriods(year2022) {
		if p.Kind != days.Month {
			continue
		}
		for _, tp := range expectedTopPages(d, p.Start, p.End, defaultTopPages) {
			wantPages = append(wantPages, fmt.Sprintf("%s %s %q %d", days.Format(tp.Month), tp.Path, tp.Title, tp.Pageviews))
		}
	}
	slices.Sort(gotPages)
	slices.Sort(wantPages)
	if !slices.Equal(gotPages, wantPages) {
		t.Errorf("top pages: got %d rows, want %d; first difference at %d", len(gotPages), len(wantPages), firstDifference(gotPages, wantPages))
	}
}

func firstDifference(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// snapshot renders every figure a reader sees (the newest sets), to compare two runs.
func snapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT concat(toString(date), ' ', channel, ' ', device, ' ', toString(visitors), ' ', toString(sessions), ' ', toString(pageviews), ' ', toString(new_visitors)) FROM ` + latestTraffic,
		`SELECT concat(period, ' ', toString(period_start), ' ', ifNull(toString(visitors), '-'), ' ', ifNull(toString(new_visitors), '-'), ' ', ifNull(toString(returning_visitors), '-')) FROM web_visitors_period FINAL WHERE site_id = ?`,
		`SELECT concat(toString(month), ' ', path, ' ', title, ' ', toString(pageviews)) FROM web_top_pages WHERE (site_id, month, version) IN
    (SELECT site_id, month, max(version) FROM web_top_pages WHERE site_id = ? GROUP BY site_id, month)`,
	} {
		out = append(out, collectortest.Lines(t, st.Conn(), q, testSite)...)
	}
	slices.Sort(out)
	return fmt.Sprintf("%d rows, sha256 %x", len(out), sha256.Sum256([]byte(strings.Join(out, "\n"))))
}
