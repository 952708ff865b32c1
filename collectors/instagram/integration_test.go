package instagram

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// accountYear is what the reports read for the account and year.
type accountYear struct {
	Growth    query.FollowerGrowth
	Months    []query.Reach
	Quarters  []query.Reach
	Snapshots []query.FollowerSnapshot
	DayReach  uint64
}

func readYear(t *testing.T, st *store.Store, year int) accountYear {
	t.Helper()
	ctx := context.Background()
	q := query.New(st.Conn())
	var y accountYear
	var err error
	if y.Growth, err = q.FollowerGrowthBetween(ctx, "instagram", "innomed", days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Months, err = q.ReachBetween(ctx, "instagram", "innomed", days.Month, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Quarters, err = q.ReachBetween(ctx, "instagram", "innomed", query.PeriodQuarter, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Snapshots, err = q.Followers(ctx, "instagram", "innomed", days.Date(year, 1, 1), days.Date(year, 12, 31)); err != nil {
		t.Fatal(err)
	}
	for i := range y.Snapshots {
		// The driver returns dates in the server's zone; the calendar day is what counts.
		d := y.Snapshots[i].Date
		y.Snapshots[i].Date = days.Date(d.Year(), d.Month(), d.Day())
	}
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM social_reach FINAL
WHERE platform = 'instagram' AND account_id = 'innomed' AND period = 'day' AND toYear(period_start) = ?`, uint16(year)).Scan(&y.DayReach); err != nil {
		t.Fatal(err)
	}
	return y
}

// TestInstagramYearIntegration starts on 10 January 2025 with a backfill of what Instagram still
// has, then runs daily, as the scheduler would, to the first days of 2026. Instagram is down on 10
// and 11 June and the collector does not run those days. The year's figures must be the fake's.
func TestInstagramYearIntegration(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	f := newFakeIG(t, time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC))
	outage := []time.Time{days.Date(2025, 6, 10), days.Date(2025, 6, 11)}
	for _, d := range outage {
		delete(f.acct.Insights, d)
	}
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	src := scheduler.Source{ID: "instagram-innomed", Kind: "instagram", Collector: f.collector(t), Interval: 6 * time.Hour, LookbackDays: 3, ChunkDays: 31}

	sum, err := runner.Backfill(ctx, src, days.Range{From: days.Date(2024, 12, 1), To: days.Date(2025, 1, 10)}, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	// Daily incremental runs, each from three days before the last complete day it holds; the
	// first starts three days before the backfill's last complete day.
	runner.SetClock(func() time.Time { return f.now })
	src.StartDate = days.Date(2025, 1, 7)
	for d := days.Date(2025, 1, 11); !d.After(days.Date(2026, 1, 3)); d = d.AddDate(0, 0, 1) {
		if d.Equal(outage[0]) || d.Equal(outage[1]) {
			continue
		}
		f.now = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC)
		sum, err := runner.Incremental(ctx, src, nil)
		if err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("daily run %s: %+v, %v", days.Format(d), sum, err)
		}
	}

	got := readYear(t, st, 2025)
	start, end := f.acct.Followers[days.Date(2024, 12, 31)], f.acct.Followers[days.Date(2025, 12, 31)]
	var follows, unfollows uint64
	for d := days.Date(2025, 1, 1); d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		follows += f.acct.Insights[d].Follows // the outage days have none
		unfollows += f.acct.Insights[d].Unfollows
	}
	g := got.Growth
	if g.FollowersAtStart == nil || *g.FollowersAtStart != start || g.FollowersAtEnd == nil || *g.FollowersAtEnd != end {
		t.Errorf("followers at start/end = %v/%v, want %d/%d", g.FollowersAtStart, g.FollowersAtEnd, start, end)
	}
	if g.NewFollowers == nil || *g.NewFollowers != int64(end)-int64(start) {
		t.Errorf("new followers = %v, want %d", g.NewFollowers, int64(end)-int64(start))
	}
	if g.GrossFollows == nil || *g.GrossFollows != follows || g.GrossUnfollows == nil || *g.GrossUnfollows != unfollows {
		t.Errorf("gross follows/unfollows = %v/%v, want %d/%d", g.GrossFollows, g.GrossUnfollows, follows, unfollows)
	}
	if len(got.Snapshots) != 363 {
		t.Errorf("%d snapshots in 2025, want 363 (365 days less the outage)", len(got.Snapshots))
	}
	for _, s := range got.Snapshots {
		if s.Date.Equal(outage[0]) || s.Date.Equal(outage[1]) {
			t.Errorf("outage day %s has a row", days.Format(s.Date))
		}
		mv := f.acct.Insights[s.Date]
		if s.Followers != f.acct.Followers[s.Date] || s.Follows == nil || *s.Follows != mv.Follows || s.Unfollows == nil || *s.Unfollows != mv.Unfollows {
			t.Errorf("%s: %+v, want followers %d follows %d unfollows %d", days.Format(s.Date), s, f.acct.Followers[s.Date], mv.Follows, mv.Unfollows)
		}
	}
	if got.DayReach != 363 {
		t.Errorf("%d daily reach rows, want 363", got.DayReach)
	}
	// Instagram gives one reach figure for at most 30 days (counted in seconds, so November with
	// its extra hour is out): February, April, June and September. Nothing is summed for the rest.
	wantMonths := []time.Month{time.February, time.April, time.June, time.September}
	if len(got.Months) != len(wantMonths) {
		t.Fatalf("months with reach: %d, want %d: %+v", len(got.Months), len(wantMonths), got.Months)
	}
	for i, m := range wantMonths {
		first := days.Date(2025, m, 1)
		want, _ := f.acct.RangeReach(first, first.AddDate(0, 1, -1))
		if days.Format(got.Months[i].Start) != days.Format(first) || got.Months[i].Reach != want {
			t.Errorf("month %d: %s reach %d, want %s %d", i, days.Format(got.Months[i].Start), got.Months[i].Reach, days.Format(first), want)
		}
	}
	if len(got.Quarters) != 0 {
		t.Errorf("quarter reach stored beyond Instagram's limit: %+v", got.Quarters)
	}

	// Re-running the last daily run, and the whole year's backfill, changes nothing: days whose
	// movements Instagram no longer has keep what the daily runs stored.
	sum, err = runner.Backfill(ctx, src, days.Range{From: days.Date(2025, 12, 30), To: days.Date(2026, 1, 3)}, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("re-run: %+v, %v", sum, err)
	}
	sum, err = runner.Backfill(ctx, src, days.Range{From: days.Date(2025, 1, 1), To: days.Date(2025, 12, 31)}, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("re-backfill: %+v, %v", sum, err)
	}
	if again := readYear(t, st, 2025); !reflect.DeepEqual(again, got) {
		t.Errorf("a re-run changed the figures:\nbefore %+v\nafter  %+v", got, again)
	}
}
