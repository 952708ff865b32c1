package matomo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
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

var year2022 = days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 12, 31)}

// latestTraffic is the newest collection of every day, as the query layer reads it.
const latestTraffic = `(
    SELECT * FROM web_traffic_daily
    WHERE (site_id, date, version) IN (
        SELECT site_id, date, max(version) FROM web_traffic_daily WHERE site_id = ? GROUP BY site_id, date
    )
)`

// snapshot is what a backfill of 2022 leaves in ClickHouse, read back through the query layer
// where it offers the figure and with SQL where it does not yet.
type snapshot struct {
	quarters          []query.QuarterVisitors
	channels, devices map[string]uint64 // sessions
	pageviews         uint64
	visitorDays       uint64
	newVisitorDays    uint64
	daysWithTraffic   uint64
	duplicateRows     uint64
	periodRows        map[string]uint64 // rows with visitors, by period kind
	periodVisitors    map[string]uint64 // sum of visitors, by period kind
	topPages          uint64
	topPagesMonths    uint64
	rootTitle         string
}

func readSnapshot(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	if s.quarters, err = query.New(st.Conn()).QuarterlyVisitors(ctx, testSite, 2022); err != nil {
		t.Fatal(err)
	}
	s.channels, s.devices = sumSessions(t, st, "channel"), sumSessions(t, st, "device")
	scan(t, st, `SELECT sum(pageviews), sum(visitors), sum(new_visitors), uniqExact(date) FROM `+latestTraffic,
		[]any{testSite}, &s.pageviews, &s.visitorDays, &s.newVisitorDays, &s.daysWithTraffic)
	scan(t, st, `SELECT count() FROM (SELECT date, channel, device, count() AS n FROM `+latestTraffic+` GROUP BY date, channel, device HAVING n > 1)`,
		[]any{testSite}, &s.duplicateRows)
	s.periodRows, s.periodVisitors = map[string]uint64{}, map[string]uint64{}
	rows, err := st.Conn().Query(ctx, `
SELECT period, count(), sum(assumeNotNull(visitors)) FROM web_visitors_period FINAL
WHERE site_id = ? AND toYear(period_start) = 2022 AND visitors IS NOT NULL GROUP BY period`, testSite)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var period string
		var n, visitors uint64
		if err := rows.Scan(&period, &n, &visitors); err != nil {
			t.Fatal(err)
		}
		s.periodRows[period], s.periodVisitors[period] = n, visitors
	}
	_ = rows.Close()
	latestPages := `(SELECT * FROM web_top_pages WHERE (site_id, month, version) IN
        (SELECT site_id, month, max(version) FROM web_top_pages WHERE site_id = ? GROUP BY site_id, month))`
	scan(t, st, `SELECT count(), uniqExact(month) FROM `+latestPages, []any{testSite}, &s.topPages, &s.topPagesMonths)
	scan(t, st, `SELECT any(title) FROM `+latestPages+` WHERE month = toDate('2022-06-01') AND path = '/'`, []any{testSite}, &s.rootTitle)
	return s
}

func scan(t *testing.T, st *store.Store, sql string, args []any, dest ...any) {
	t.Helper()
	if err := st.Conn().QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func sumSessions(t *testing.T, st *store.Store, column string) map[string]uint64 {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(),
		`SELECT `+column+`, sum(sessions) FROM `+latestTraffic+` WHERE toYear(date) = 2022 GROUP BY `+column, testSite)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]uint64{}
	for rows.Next() {
		var key string
		var sessions uint64
		if err := rows.Scan(&key, &sessions); err != nil {
			t.Fatal(err)
		}
		out[key] = sessions
	}
	return out
}

// wantSnapshot is what the fake's ground truth says the backfill must leave.
func (w *world) wantSnapshot(rangeUniques, yearUniques bool) snapshot {
	s := snapshot{channels: map[string]uint64{}, devices: map[string]uint64{}, periodRows: map[string]uint64{},
		periodVisitors: map[string]uint64{}, topPages: 12 * topPagesPerMonth, topPagesMonths: 12, rootTitle: "Guide 0 – InnoMed"}
	visits := map[int]uint64{}
	traffic := map[time.Time]bool{}
	year2022.Each(func(day time.Time) {
		for _, c := range w.days[day] {
			visits[(int(day.Month())-1)/3+1] += c.visits
			s.channels[wantChannel[c.referrer]] += c.visits
			s.devices[wantDevice[c.device]] += c.visits
			s.pageviews += c.pageviews
			s.visitorDays += c.uniques
			s.newVisitorDays += c.newUniques
			traffic[day] = true
		}
	})
	s.daysWithTraffic = uint64(len(traffic))
	for q := 1; q <= 4; q++ {
		row := query.QuarterVisitors{Quarter: q, Visits: visits[q]}
		if rangeUniques {
			row.UniqueVisitors = ptr(w.quarters[days.Date(2022, time.Month(3*q-2), 1)].uniques)
		}
		s.quarters = append(s.quarters, row)
	}
	for m := time.January; m <= time.December; m++ {
		s.periodRows[days.Month]++
		s.periodVisitors[days.Month] += w.months[days.Date(2022, m, 1)].uniques
	}
	if rangeUniques {
		for q := 0; q < 4; q++ {
			s.periodRows[days.Quarter]++
			s.periodVisitors[days.Quarter] += w.quarters[days.Date(2022, time.Month(3*q+1), 1)].uniques
		}
	}
	if yearUniques {
		s.periodRows[days.Year], s.periodVisitors[days.Year] = 1, w.years[days.Date(2022, 1, 1)].uniques
	}
	return s
}

func compareSnapshots(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if len(got.quarters) != len(want.quarters) {
		t.Errorf("%s: %d quarters, want %d", what, len(got.quarters), len(want.quarters))
	} else {
		for i := range want.quarters {
			g, w := got.quarters[i], want.quarters[i]
			if g.Quarter != w.Quarter || g.Visits != w.Visits || !equalPtr(g.UniqueVisitors, w.UniqueVisitors) {
				t.Errorf("%s: Q%d visits %d unique %s, want Q%d visits %d unique %s", what, g.Quarter, g.Visits, show(g.UniqueVisitors), w.Quarter, w.Visits, show(w.UniqueVisitors))
			}
		}
	}
	for name, pair := range map[string][2]map[string]uint64{
		"channel sessions": {got.channels, want.channels}, "device sessions": {got.devices, want.devices},
		"period rows": {got.periodRows, want.periodRows}, "period visitors": {got.periodVisitors, want.periodVisitors},
	} {
		if !mapsEqual(pair[0], pair[1]) {
			t.Errorf("%s: %s = %v, want %v", what, name, pair[0], pair[1])
		}
	}
	for name, pair := range map[string][2]uint64{
		"pageviews": {got.pageviews, want.pageviews}, "visitor days": {got.visitorDays, want.visitorDays},
		"new visitor days": {got.newVisitorDays, want.newVisitorDays}, "days with traffic": {got.daysWithTraffic, want.daysWithTraffic},
		"duplicate rows": {got.duplicateRows, want.duplicateRows}, "top pages": {got.topPages, want.topPages},
		"months with top pages": {got.topPagesMonths, want.topPagesMonths},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: %s = %d, want %d", what, name, pair[0], pair[1])
		}
	}
	if got.rootTitle != want.rootTitle {
		t.Errorf("%s: title of / in June = %q, want %q", what, got.rootTitle, want.rootTitle)
	}
}

func mapsEqual(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// backfill runs the collector through the scheduler as `rekkevidde collect --from --to` does,
// and returns the summary and every note the chunks left.
func backfill(t *testing.T, runner *scheduler.Runner, c *collector, restart bool) (scheduler.Summary, []string) {
	t.Helper()
	var mu sync.Mutex
	var notes []string
	src := scheduler.Source{ID: "matomo-innomed", Kind: "matomo", Collector: c, ChunkDays: Kind().ChunkDays, LookbackDays: Kind().LookbackDays}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sum, err := runner.Backfill(ctx, src, year2022, restart, func(res scheduler.ChunkResult) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range res.Notes {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	})
	if err != nil {
		t.Fatalf("Backfill: %v", err)
	}
	return sum, notes
}

// TestBackfill2022Integration backfills all of 2022 through the scheduler into a real ClickHouse
// and reads the figures back: per-quarter visits and unique visitors, channel and device totals,
// period rows and top pages. It covers both Matomo configurations for range unique visitors, a
// second backfill that must change nothing, and a quota stop that must resume without gaps or
// duplicates.
func TestBackfill2022Integration(t *testing.T) {
	// The world runs one day into 2023: the last chunk fetches 2023-01-01 for visits crossing midnight.
	w := newWorld(year2022.From, days.Date(2023, 1, 1), 2022)
	now := time.Date(2023, 3, 1, 12, 0, 0, 0, collectortest.Oslo)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Run("range unique visitors processed", func(t *testing.T) {
		st := chtest.Open(t)
		f := newFake(t, w)
		f.rangeUniques, f.yearUniques = true, true
		c, logs := newTestCollector(t, startFake(t, f).URL, now, nil)
		runner := scheduler.NewRunner(st, collectortest.Oslo, quiet)

		sum, notes := backfill(t, runner, c, false)
		if sum.Status != scheduler.StatusOK || sum.Done != 12 {
			t.Fatalf("backfill: status %s, %d of %d chunks done, err %v", sum.Status, sum.Done, sum.Chunks, sum.Err)
		}
		if len(notes) != 0 {
			t.Errorf("notes = %q, want none", notes)
		}
		want := w.wantSnapshot(true, true)
		first := readSnapshot(t, st)
		compareSnapshots(t, "first backfill", first, want)
		for _, q := range first.quarters {
			var monthSum uint64
			for m := 3*q.Quarter - 2; m <= 3*q.Quarter; m++ {
				monthSum += w.months[days.Date(2022, time.Month(m), 1)].uniques
			}
			if q.UniqueVisitors != nil && *q.UniqueVisitors == monthSum {
				t.Errorf("Q%d unique visitors equal the sum of its months", q.Quarter)
			}
		}

		sum, _ = backfill(t, runner, c, true)
		if sum.Status != scheduler.StatusOK || sum.Skipped != 0 {
			t.Fatalf("restarted backfill: status %s, skipped %d, err %v", sum.Status, sum.Skipped, sum.Err)
		}
		compareSnapshots(t, "second backfill", readSnapshot(t, st), first)
		assertNoSecret(t, sum.Err, logs)
	})

	t.Run("range unique visitors not processed", func(t *testing.T) {
		st := chtest.Open(t)
		f := newFake(t, w)
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		sum, notes := backfill(t, scheduler.NewRunner(st, collectortest.Oslo, quiet), c, false)
		if sum.Status != scheduler.StatusOK {
			t.Fatalf("backfill: status %s, err %v", sum.Status, sum.Err)
		}
		got := readSnapshot(t, st)
		compareSnapshots(t, "backfill", got, w.wantSnapshot(false, false))
		for _, q := range got.quarters {
			if q.UniqueVisitors != nil {
				t.Errorf("Q%d unique visitors = %d, want none: Matomo gave no range figure", q.Quarter, *q.UniqueVisitors)
			}
		}
		var quarterRows uint64
		scan(t, st, `SELECT count() FROM web_visitors_period FINAL WHERE site_id = ? AND period IN ('quarter', 'year')`, []any{testSite}, &quarterRows)
		if quarterRows != 0 {
			t.Errorf("%d quarter or year rows stored without Matomo's figures", quarterRows)
		}
		if !slices.ContainsFunc(notes, func(n string) bool {
			return strings.Contains(n, "unique visitors for quarters and years are not available") && strings.Contains(n, "enable_processing_unique_visitors_range = 1")
		}) {
			t.Errorf("notes = %q, want one saying why quarters have no unique visitors", notes)
		}
	})

	t.Run("quota stop resumes", func(t *testing.T) {
		st := chtest.Open(t)
		f := newFake(t, w)
		f.rangeUniques, f.yearUniques = true, true
		var quota sync.Mutex
		exhausted := true
		f.setIntercept(func(n int, rw http.ResponseWriter, _ *http.Request) bool {
			quota.Lock()
			defer quota.Unlock()
			if !exhausted || n <= 300 {
				return false
			}
			rw.Header().Set("Retry-After", "3600")
			writeJSON(rw, http.StatusTooManyRequests, map[string]string{"result": "error", "message": "Rate limit exceeded"})
			return true
		})
		c, _ := newTestCollector(t, startFake(t, f).URL, now, nil)
		runner := scheduler.NewRunner(st, collectortest.Oslo, quiet)

		stopped, _ := backfill(t, runner, c, false)
		if stopped.Status != scheduler.StatusThrottled || !errors.Is(stopped.Err, collectors.ErrRateLimited) || stopped.RetryAt.IsZero() {
			t.Fatalf("first backfill: status %s, retry at %v, err %v; want a throttled stop", stopped.Status, stopped.RetryAt, stopped.Err)
		}
		if stopped.Done == 0 || stopped.Done >= stopped.Chunks || stopped.ResumeAt.IsZero() {
			t.Fatalf("first backfill did %d of %d chunks, resume at %v; the quota should stop it part-way", stopped.Done, stopped.Chunks, stopped.ResumeAt)
		}

		quota.Lock()
		exhausted = false
		quota.Unlock()
		resumed, _ := backfill(t, runner, c, false)
		if resumed.Status != scheduler.StatusOK || resumed.Skipped != stopped.Done || resumed.Done != stopped.Chunks-stopped.Done {
			t.Fatalf("resumed backfill: status %s, skipped %d, done %d (first did %d of %d), err %v",
				resumed.Status, resumed.Skipped, resumed.Done, stopped.Done, stopped.Chunks, resumed.Err)
		}
		compareSnapshots(t, "after resuming", readSnapshot(t, st), w.wantSnapshot(true, true))
	})
}
