package linkedin

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// The integration story: InnoMed connects its LinkedIn page on 15 March 2022 (the first snapshot)
// and collects on many but not all days up to 5 January 2023. A backfill tried on 16 March cannot
// count back yet; the one on 20 March runs into the daily quota, stops, and resumes next day. The
// fake's truth is a follower series from 1 January 2021 whose daily gains land at 12:00 UTC, and
// runs happen at 20:00 UTC, so a snapshot is the count at the end of its day.

const orgID = "2414183"

// integrationGain is the fake page's net follower gain on a UTC day: −1 … 3, about 1 a day.
func integrationGain(d time.Time) int64 {
	return int64((d.YearDay()*7+d.Year())%5) - 1
}

// integrationMonth is the fake's share statistics for a month of 2021–2022: July 2022 reports 0
// unique impressions and August 2022 none at all, so neither month has a reach.
func integrationMonth(m time.Time) shareMonth {
	unique := int64(150 + 11*int(m.Month()) + 40*(m.Year()-2021))
	impressions := 3*unique + 17
	switch {
	case m.Equal(day(2022, 7, 1)):
		unique = 0
	case m.Equal(day(2022, 8, 1)):
		return shareMonth{impressions: &impressions}
	}
	return shareMonth{unique: &unique, impressions: &impressions}
}

// runDays are the days with a scheduled run: every day for the first week, then every fourth day,
// the quarter ends, and the last week of the year except 27 December (the service was down).
func runDays() []time.Time {
	var out []time.Time
	add := func(d time.Time) {
		if !slices.ContainsFunc(out, d.Equal) {
			out = append(out, d)
		}
	}
	for d := day(2022, 3, 15); !d.After(day(2022, 3, 21)); d = d.AddDate(0, 0, 1) {
		add(d)
	}
	for d := day(2022, 3, 25); d.Before(day(2022, 12, 24)); d = d.AddDate(0, 0, 4) {
		add(d)
	}
	for _, d := range []time.Time{day(2022, 3, 31), day(2022, 6, 30), day(2022, 9, 30), day(2022, 12, 24), day(2022, 12, 25),
		day(2022, 12, 26), day(2022, 12, 28), day(2022, 12, 29), day(2022, 12, 30), day(2022, 12, 31), day(2023, 1, 3), day(2023, 1, 5)} {
		add(d)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

type followerRow struct {
	Date      time.Time
	Followers uint64
	Follows   *uint64
	Unfollows *uint64
}

type reachRow struct {
	Period      string
	Start, End  time.Time
	Reach       uint64
	Impressions *uint64
}

func storedFollowers(t testing.TB, st *store.Store) []followerRow {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), `
SELECT date, followers, follows, unfollows FROM social_followers_daily FINAL
WHERE platform = 'linkedin' AND account_id = ? ORDER BY date`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []followerRow
	for rows.Next() {
		var r followerRow
		if err := rows.Scan(&r.Date, &r.Followers, &r.Follows, &r.Unfollows); err != nil {
			t.Fatal(err)
		}
		r.Date = r.Date.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func storedReach(t testing.TB, st *store.Store) []reachRow {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), `
SELECT period, period_start, period_end, reach, impressions FROM social_reach FINAL
WHERE platform = 'linkedin' AND account_id = ? ORDER BY period, period_start`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []reachRow
	for rows.Next() {
		var r reachRow
		if err := rows.Scan(&r.Period, &r.Start, &r.End, &r.Reach, &r.Impressions); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIntegrationBackfillAndDailyRuns(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	e := newEnv(t, time.Date(2022, 3, 15, 20, 0, 0, 0, time.UTC))
	f := newFake(t, e.clock)
	f.firstDay, f.base = day(2021, 1, 1), 120
	for d := day(2021, 1, 1); d.Before(day(2023, 2, 1)); d = d.AddDate(0, 0, 1) {
		f.gains[d] = integrationGain(d)
	}
	for m := day(2021, 1, 1); m.Before(day(2023, 1, 1)); m = m.AddDate(0, 1, 0) {
		f.months[m] = integrationMonth(m)
	}
	f.omitted[day(2021, 5, 10)] = true // LinkedIn leaves this day out of its answers
	srv := f.start()
	c := e.collector(t, srv.URL, map[string]string{"access_token_expires_at": "2023-06-30"})
	runner := scheduler.NewRunner(st, collectortest.Oslo, slog.New(slog.DiscardHandler))
	runner.SetClock(e.clock.Now)
	src := scheduler.Source{ID: sourceID, Kind: "linkedin", Collector: c, Interval: 6 * time.Hour, LookbackDays: 3, ChunkDays: 31}

	// run is one scheduled collection with the clock at 20:00 UTC on day d: an incremental run,
	// which fetches from the lookback before the last day it holds up to today.
	run := func(d time.Time) {
		t.Helper()
		e.clock.Set(d.Add(20 * time.Hour))
		sum, err := runner.Incremental(ctx, src, nil)
		if err != nil || sum.Status != scheduler.StatusOK {
			t.Fatalf("run of %s: %v, %+v", days.Format(d), err, sum)
		}
	}
	backfill := days.Range{From: day(2021, 1, 1), To: day(2022, 3, 20)}
	schedule := runDays()

	// 15 and 16 March: the first snapshots. A backfill now cannot count back yet, and says so.
	run(schedule[0])
	run(schedule[1])
	var notes []string
	sum, err := runner.Backfill(ctx, src, days.Range{From: day(2021, 1, 1), To: day(2022, 3, 16)}, true,
		func(r scheduler.ChunkResult) { notes = append(notes, r.Notes...) })
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("early backfill: %v, %+v", err, sum)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "run the backfill") }) {
		t.Errorf("early backfill gave no advice: %q", notes)
	}
	for _, r := range storedFollowers(t, st) {
		if r.Date.Before(day(2022, 3, 15)) {
			t.Fatalf("early backfill stored %s", days.Format(r.Date))
		}
	}

	// 20 March: the backfill uses up the day's quota part-way (429 without Retry-After until
	// midnight UTC) and stops cleanly.
	for _, d := range schedule[2:6] {
		run(d)
	}
	quotaFrom := f.requestCount() + 14
	f.fault = func(_ *http.Request, n int) (int, string, http.Header, bool) {
		return http.StatusTooManyRequests, "error_429.json", nil, n > quotaFrom && e.clock.Now().Before(time.Date(2022, 3, 21, 0, 0, 0, 0, time.UTC))
	}
	sum, err = runner.Backfill(ctx, src, backfill, true, nil)
	if err != nil || sum.Status != scheduler.StatusThrottled || !sum.RetryAt.Equal(time.Date(2022, 3, 21, 0, 0, 0, 0, time.UTC)) ||
		!sum.ResumeAt.After(day(2021, 3, 1)) || !sum.ResumeAt.Before(day(2022, 3, 1)) {
		t.Fatalf("throttled backfill: %v, %+v", err, sum)
	}
	// 21 March, after the reset: the day's run, then the backfill resumes where it stopped.
	run(schedule[6])
	sum, err = runner.Backfill(ctx, src, backfill, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK || sum.Skipped == 0 {
		t.Fatalf("resumed backfill: %v, %+v", err, sum)
	}
	for _, d := range schedule[7:] {
		run(d)
	}

	// Every stored day is the fake's true count at the end of that day, once.
	rows := storedFollowers(t, st)
	stored := map[time.Time]uint64{}
	for _, r := range rows {
		if _, dup := stored[r.Date]; dup {
			t.Errorf("%s stored twice", days.Format(r.Date))
		}
		stored[r.Date] = r.Followers
		if want := f.followersEndOf(r.Date); r.Followers != uint64(want) {
			t.Errorf("%s: %d followers, want %d", days.Format(r.Date), r.Followers, want)
		}
		if r.Follows != nil || r.Unfollows != nil {
			t.Errorf("%s: follows/unfollows stored from net gains", days.Format(r.Date))
		}
	}
	// Counted back without a gap from the day after the one LinkedIn left out to the day before the
	// first snapshot; nothing before it; after it, exactly the run days.
	for d := day(2021, 1, 1); d.Before(day(2023, 1, 6)); d = d.AddDate(0, 0, 1) {
		_, ok := stored[d]
		want := (!d.Before(day(2021, 5, 10)) && d.Before(day(2022, 3, 15))) || slices.ContainsFunc(schedule, d.Equal)
		if ok != want {
			t.Errorf("%s: stored %v, want %v", days.Format(d), ok, want)
		}
	}
	// Reconstructed totals follow LinkedIn's daily gains, into the first snapshot.
	for i := 1; i < len(rows) && !rows[i].Date.After(day(2022, 3, 15)); i++ {
		if rows[i].Date.Sub(rows[i-1].Date) != 24*time.Hour {
			continue
		}
		if diff := int64(rows[i].Followers) - int64(rows[i-1].Followers); diff != integrationGain(rows[i].Date) {
			t.Errorf("%s: change %d, LinkedIn's gain %d", days.Format(rows[i].Date), diff, integrationGain(rows[i].Date))
		}
	}

	// The report's figures, read through the query layer.
	q := query.New(st.Conn())
	end2021, end2022 := uint64(f.followersEndOf(day(2021, 12, 31))), uint64(f.followersEndOf(day(2022, 12, 31)))
	g, err := q.FollowerGrowthBetween(ctx, "linkedin", orgID, days.YearSpan(2022).From, days.YearSpan(2022).To)
	if err != nil {
		t.Fatal(err)
	}
	newFollowers := int64(end2022) - int64(end2021)
	if g.FollowersAtStart == nil || *g.FollowersAtStart != end2021 || g.FollowersAtEnd == nil || *g.FollowersAtEnd != end2022 ||
		g.NewFollowers == nil || *g.NewFollowers != newFollowers || g.GrossFollows != nil ||
		g.GrowthRate == nil || *g.GrowthRate != float64(newFollowers)/float64(end2021) {
		t.Errorf("2022 growth %+v, want %d → %d", g, end2021, end2022)
	}
	g, err = q.FollowerGrowthBetween(ctx, "linkedin", orgID, days.YearSpan(2021).From, days.YearSpan(2021).To)
	if err != nil || g.FollowersAtStart != nil || g.NewFollowers != nil || g.FollowersAtEnd == nil || *g.FollowersAtEnd != end2021 {
		t.Errorf("2021 growth %+v (%v): the start of 2021 is beyond LinkedIn's 12 months and must stay unknown", g, err)
	}
	quarterEnds := []time.Time{day(2021, 12, 31), day(2022, 3, 31), day(2022, 6, 30), day(2022, 9, 30), day(2022, 12, 31)}
	for i := 1; i < len(quarterEnds); i++ {
		g, err := q.FollowerGrowthBetween(ctx, "linkedin", orgID, quarterEnds[i-1].AddDate(0, 0, 1), quarterEnds[i])
		start, end := uint64(f.followersEndOf(quarterEnds[i-1])), uint64(f.followersEndOf(quarterEnds[i]))
		if err != nil || g.FollowersAtStart == nil || *g.FollowersAtStart != start || g.FollowersAtEnd == nil || *g.FollowersAtEnd != end ||
			*g.NewFollowers != int64(end)-int64(start) {
			t.Errorf("Q%d 2022: %+v (%v), want %d → %d", i, g, err, start, end)
		}
	}
	snaps, err := q.Followers(ctx, "linkedin", orgID, day(2022, 12, 24), day(2022, 12, 31))
	if err != nil || len(snaps) != 7 || slices.ContainsFunc(snaps, func(s query.FollowerSnapshot) bool { return s.Date.Equal(day(2022, 12, 27)) }) {
		t.Errorf("last week of 2022: %+v (%v), want 7 days without the 27th", snaps, err)
	}

	// Reach: the months LinkedIn gave a unique count for, as it gave them.
	for year, months := range map[int][]time.Month{2021: {4, 5, 6, 7, 8, 9, 10, 11, 12}, 2022: {1, 2, 3, 4, 5, 6, 9, 10, 11, 12}} {
		got, err := q.ReachBetween(ctx, "linkedin", orgID, days.Month, days.YearSpan(year).From, days.YearSpan(year).To)
		if err != nil || len(got) != len(months) {
			t.Fatalf("%d: %d month rows (%v), want %d", year, len(got), err, len(months))
		}
		var total uint64
		for i, m := range months {
			want := integrationMonth(day(year, m, 1))
			total += uint64(*want.unique)
			if !got[i].Start.Equal(day(year, m, 1)) || got[i].Reach != uint64(*want.unique) || *got[i].Impressions != uint64(*want.impressions) {
				t.Errorf("%d-%02d: %+v, want reach %d", year, m, got[i], *want.unique)
			}
		}
		avg := query.AverageReachOf(got)
		if avg.Months != len(months) || avg.Total != total || *avg.Average != float64(total)/float64(len(months)) {
			t.Errorf("%d average reach %+v", year, avg)
		}
	}
	var expires time.Time
	if err := st.Conn().QueryRow(ctx, "SELECT assumeNotNull(expires_at) FROM credentials FINAL WHERE source = ? AND credential = 'access_token'", sourceID).
		Scan(&expires); err != nil || !expires.Equal(time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("credential expiry %s (%v)", expires, err)
	}

	// A second backfill of everything changes nothing.
	beforeFollowers, beforeReach := storedFollowers(t, st), storedReach(t, st)
	sum, err = runner.Backfill(ctx, src, days.Range{From: day(2021, 1, 1), To: day(2022, 12, 31)}, true, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("second backfill: %v, %+v", err, sum)
	}
	if after := storedFollowers(t, st); !reflect.DeepEqual(after, beforeFollowers) {
		t.Errorf("second backfill changed the followers: %d rows before, %d after", len(beforeFollowers), len(after))
	}
	if after := storedReach(t, st); !reflect.DeepEqual(after, beforeReach) {
		t.Errorf("second backfill changed the reach")
	}
}
