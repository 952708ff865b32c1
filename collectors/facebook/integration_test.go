package facebook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/collectors/meta/metafake"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// pageYear is what the reports read for one platform and year.
type pageYear struct {
	Growth     query.FollowerGrowth
	Months     []query.Reach
	Quarters   []query.Reach
	Years      []query.Reach
	Snapshots  []query.FollowerSnapshot
	DayReach   uint64 // rows of daily reach in the year
	Followers  uint64 // rows of followers in the year
	Credential string
}

func readYear(t *testing.T, st *store.Store, platform, account, source string, year int) pageYear {
	t.Helper()
	ctx := context.Background()
	q := query.New(st.Conn())
	var y pageYear
	var err error
	if y.Growth, err = q.FollowerGrowthBetween(ctx, platform, account, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Months, err = q.ReachBetween(ctx, platform, account, days.Month, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Quarters, err = q.ReachBetween(ctx, platform, account, query.PeriodQuarter, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	if y.Years, err = q.ReachBetween(ctx, platform, account, query.PeriodYear, days.YearSpan(year).From, days.YearSpan(year).To); err != nil {
		t.Fatal(err)
	}
	first, last := days.Date(year, 1, 1), days.Date(year, 12, 31)
	if y.Snapshots, err = q.Followers(ctx, platform, account, first, last); err != nil {
		t.Fatal(err)
	}
	// Daily reach and the credential have no query function yet; tests may read them directly.
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM social_reach FINAL
WHERE platform = ? AND account_id = ? AND period = 'day' AND toYear(period_start) = ?`, platform, account, uint16(year)).Scan(&y.DayReach); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM social_followers_daily FINAL
WHERE platform = ? AND account_id = ? AND toYear(date) = ?`, platform, account, uint16(year)).Scan(&y.Followers); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Conn().Query(ctx, `SELECT credential, expires_at FROM credentials FINAL WHERE source = ?`, source)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var name string
		var expires *time.Time
		if err := rows.Scan(&name, &expires); err != nil {
			t.Fatal(err)
		}
		y.Credential += name + "="
		if expires != nil {
			y.Credential += expires.UTC().Format(time.RFC3339)
		}
		y.Credential += ";"
	}
	return y
}

// TestFacebookYearIntegration backfills a Page's year through the runner on ClickHouse, with a
// throttle stop part-way, then runs it daily over the turn of the year, and checks what the reports
// read against the fake's own figures.
func TestFacebookYearIntegration(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	f := newFakePage(t, time.Date(2025, 12, 20, 12, 0, 0, 0, time.UTC))
	gap := days.Date(2025, 6, 10)
	delete(f.page.Insights, gap) // Meta has nothing for this day
	tokenExpiry := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f.srv.Update(func(s *metafake.Server) {
		s.PageDays = 9 // several pages per month
		s.TokenExpiresAt = tokenExpiry
	})
	c := f.collector(t, "")
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	src := scheduler.Source{ID: "facebook-innomed", Kind: "facebook", Collector: c, Interval: 6 * time.Hour, LookbackDays: 3, ChunkDays: 31}
	backfill := days.Range{From: days.Date(2024, 12, 1), To: days.Date(2025, 12, 20)}

	// Meta starts throttling part-way through the backfill: the run stops cleanly at a chunk.
	throttled := true
	f.srv.Update(func(s *metafake.Server) {
		s.Intercept = func(w http.ResponseWriter, r *http.Request, n int) bool {
			if !throttled || n < 40 {
				return false
			}
			metafake.Error(w, http.StatusBadRequest, 80001, 0, "(#80001) There have been too many calls to this Page account. Wait a bit and try again.")
			return true
		}
	})
	sum, err := runner.Backfill(ctx, src, backfill, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StatusThrottled || sum.RetryAt.IsZero() || sum.ResumeAt.IsZero() || !errors.Is(sum.Err, collectors.ErrRateLimited) {
		t.Fatalf("throttled backfill: %+v", sum)
	}
	resumeAt := sum.ResumeAt
	// Once Meta's quota has recovered, the same backfill resumes where it stopped.
	throttled = false
	f.now = sum.RetryAt.Add(time.Minute)
	sum, err = runner.Backfill(ctx, src, backfill, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK || sum.Skipped == 0 || sum.Window.From != backfill.From {
		t.Fatalf("resumed backfill: %+v, %v", sum, err)
	}
	if sum.Skipped != len(days.Range{From: backfill.From, To: resumeAt.AddDate(0, 0, -1)}.Chunks(31)) {
		t.Errorf("the resumed backfill skipped %d chunks; it stopped at %s", sum.Skipped, days.Format(resumeAt))
	}

	// Daily incremental runs over the turn of the year, each fetching from three days before the
	// last complete day; the first starts three days before the backfill's last complete day.
	runner.SetClock(func() time.Time { return f.now })
	src.StartDate = days.Date(2025, 12, 17)
	for d := days.Date(2025, 12, 21); !d.After(days.Date(2026, 1, 3)); d = d.AddDate(0, 0, 1) {
		f.now = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC)
		sum, err := runner.Incremental(ctx, src, nil)
		if err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("daily run %s: %+v, %v", days.Format(d), sum, err)
		}
	}

	got := readYear(t, st, "facebook", "innomed", src.ID, 2025)
	// Expectations come from the fake's figures.
	start, end := f.page.Followers[days.Date(2024, 12, 31)], f.page.Followers[days.Date(2025, 12, 31)]
	var follows, unfollows uint64
	for d := days.Date(2025, 1, 1); d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		follows += f.page.Insights[d].Follows // the gap day has none
		unfollows += f.page.Insights[d].Unfollows
	}
	g := got.Growth
	if g.FollowersAtEnd == nil || *g.FollowersAtEnd != end || g.FollowersAtStart == nil || *g.FollowersAtStart != start {
		t.Errorf("followers at start/end = %v/%v, want %d/%d", deref(g.FollowersAtStart), deref(g.FollowersAtEnd), start, end)
	}
	if g.NewFollowers == nil || *g.NewFollowers != int64(end)-int64(start) {
		t.Errorf("new followers = %v, want %d", g.NewFollowers, int64(end)-int64(start))
	}
	if g.GrossFollows == nil || *g.GrossFollows != follows || g.GrossUnfollows == nil || *g.GrossUnfollows != unfollows {
		t.Errorf("gross follows/unfollows = %v/%v, want %d/%d", deref(g.GrossFollows), deref(g.GrossUnfollows), follows, unfollows)
	}
	if want := float64(end-start) / float64(start); g.GrowthRate == nil || *g.GrowthRate != want {
		t.Errorf("growth = %v, want %.4f", g.GrowthRate, want)
	}
	if len(got.Months) != 12 {
		t.Fatalf("%d months of reach, want 12", len(got.Months))
	}
	for i, m := range got.Months {
		first := days.Date(2025, time.Month(i+1), 1)
		want, _ := f.page.RangeReach(first, first.AddDate(0, 1, -1))
		if days.Format(m.Start) != days.Format(first) || m.Reach != want {
			t.Errorf("reach %s = %d, want %d", days.Format(first), m.Reach, want)
		}
	}
	// Only Q1 (90 days) fits Meta's 90-day limit; the others and the year are not stored at all.
	wantQ1, _ := f.page.RangeReach(days.Date(2025, 1, 1), days.Date(2025, 3, 31))
	if len(got.Quarters) != 1 || got.Quarters[0].Reach != wantQ1 || len(got.Years) != 0 {
		t.Errorf("quarters %+v (want Q1 = %d only), years %+v (want none)", got.Quarters, wantQ1, got.Years)
	}
	if got.Followers != 364 || got.DayReach != 364 || len(got.Snapshots) != 364 {
		t.Errorf("%d follower rows, %d snapshots, %d daily reach rows; want 364 each (365 days less the gap)", got.Followers, len(got.Snapshots), got.DayReach)
	}
	for _, s := range got.Snapshots {
		// The driver returns dates in the server's zone; the calendar day is what counts.
		s.Date = days.Date(s.Date.Year(), s.Date.Month(), s.Date.Day())
		if s.Date.Equal(gap) {
			t.Errorf("the gap day %s has a row", days.Format(gap))
		}
		if s.Followers != f.page.Followers[s.Date] {
			t.Errorf("%s: %d followers, want %d", days.Format(s.Date), s.Followers, f.page.Followers[s.Date])
		}
	}
	if got.Credential != fmt.Sprintf("access_token=%s;", tokenExpiry.Format(time.RFC3339)) {
		t.Errorf("credential = %q", got.Credential)
	}

	// Running everything again changes nothing.
	sum, err = runner.Backfill(ctx, src, backfill, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("re-run: %+v, %v", sum, err)
	}
	sum, err = runner.Backfill(ctx, src, days.Range{From: days.Date(2025, 12, 30), To: days.Date(2026, 1, 3)}, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("re-run of the last daily run: %+v, %v", sum, err)
	}
	if again := readYear(t, st, "facebook", "innomed", src.ID, 2025); !reflect.DeepEqual(again, got) {
		t.Errorf("a re-run changed the figures:\nbefore %+v\nafter  %+v", got, again)
	}
	var throttledRuns uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM collector_runs FINAL WHERE source = ? AND status = 'throttled' AND retry_at IS NOT NULL AND position(error, '80001') > 0`, src.ID).Scan(&throttledRuns); err != nil {
		t.Fatal(err)
	}
	if throttledRuns != 1 {
		t.Errorf("%d throttled runs recorded, want 1", throttledRuns)
	}
	if strings.Contains(f.logs.String(), f.srv.Token) {
		t.Error("the token reached the logs")
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
