package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// fakeWeb emits, for every day, sessions = day of month on direct/desktop and 1 on organic/mobile,
// and a quarter's unique visitors = 100 × quarter. fail, when set, decides per call whether to fail.
type fakeWeb struct {
	mu    sync.Mutex
	calls []days.Range
	fail  func(call int, w days.Range) error
	// dropOrganic leaves out the organic/mobile row, as a provider revising a day might.
	dropOrganic bool
}

func (f *fakeWeb) Collect(ctx context.Context, w days.Range, sink *collectors.Sink) error {
	f.mu.Lock()
	f.calls = append(f.calls, w)
	call := len(f.calls)
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(call, w); err != nil {
			return err
		}
	}
	w.Each(func(d time.Time) {
		sink.Add(figures.WebTrafficDay{SiteID: "s", Date: d, Channel: figures.ChannelDirect, Device: figures.DeviceDesktop,
			Visitors: uint64(d.Day()), Sessions: uint64(d.Day())})
		if !f.dropOrganic {
			sink.Add(figures.WebTrafficDay{SiteID: "s", Date: d, Channel: figures.ChannelOrganicSearch, Device: figures.DeviceMobile,
				Visitors: 1, Sessions: 1})
		}
	})
	for _, p := range days.CompletePeriods(w) {
		if p.Kind == days.Quarter {
			q := uint64(100 * ((int(p.Start.Month())-1)/3 + 1))
			sink.Add(figures.WebVisitorsPeriod{SiteID: "s", Period: p.Kind, PeriodStart: p.Start, PeriodEnd: p.End, Visitors: &q})
		}
	}
	return nil
}

// expectedVisits is what fakeWeb serves for a quarter of 2022.
func expectedVisits(quarter int, organic bool) uint64 {
	var sum uint64
	r := days.Range{From: days.Date(2022, time.Month(3*quarter-2), 1), To: days.Date(2022, time.Month(3*quarter+1), 1).AddDate(0, 0, -1)}
	r.Each(func(d time.Time) {
		sum += uint64(d.Day())
		if organic {
			sum++
		}
	})
	return sum
}

func newTestRunner(t *testing.T, st *store.Store) *Runner {
	t.Helper()
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(st, oslo, slog.New(slog.DiscardHandler))
	r.SetClock(func() time.Time { return time.Date(2023, 6, 15, 12, 0, 0, 0, time.UTC) })
	return r
}

var year2022 = days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 12, 31)}

func assertQuarters(t *testing.T, st *store.Store, organic bool) {
	t.Helper()
	got, err := query.New(st.Conn()).QuarterlyVisitors(context.Background(), "s", 2022)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d quarters, want 4: %+v", len(got), got)
	}
	for i, q := range got {
		if want := expectedVisits(i+1, organic); q.Visits != want {
			t.Errorf("Q%d visits = %d, want %d", i+1, q.Visits, want)
		}
		if q.UniqueVisitors == nil || *q.UniqueVisitors != uint64(100*(i+1)) {
			t.Errorf("Q%d unique visitors = %v, want %d", i+1, q.UniqueVisitors, 100*(i+1))
		}
	}
}

func TestBackfillInChunksThenRerunChangesNothing(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	src := Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 31}
	var progress []ChunkResult
	sum, err := r.Backfill(context.Background(), src, year2022, false, func(c ChunkResult) { progress = append(progress, c) })
	if err != nil || sum.Status != StatusOK {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	if sum.Chunks != 12 || sum.Done != 12 || len(progress) != 12 {
		t.Fatalf("chunks %d done %d progress %d, want 12 each", sum.Chunks, sum.Done, len(progress))
	}
	assertQuarters(t, st, true)
	// The same range again starts over (the earlier job finished) and must change no figure.
	if sum, err := r.Backfill(context.Background(), src, year2022, false, nil); err != nil || sum.Skipped != 0 || sum.Done != 12 {
		t.Fatalf("second backfill: %+v, %v", sum, err)
	}
	assertQuarters(t, st, true)
}

func TestRevisedDayReplacesTheWholeDay(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	if _, err := r.Backfill(context.Background(), Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 92}, year2022, true, nil); err != nil {
		t.Fatal(err)
	}
	// The provider now reports no organic/mobile visits: the older rows must not linger.
	if _, err := r.Backfill(context.Background(), Source{ID: "fake", Collector: &fakeWeb{dropOrganic: true}, ChunkDays: 92}, year2022, true, nil); err != nil {
		t.Fatal(err)
	}
	assertQuarters(t, st, false)
}

func TestQuotaStopResumesWithoutGapsOrDuplicates(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	quota := &collectors.APIError{Source: "fake", Status: 429, RetryAt: time.Now().Add(time.Hour)}
	fake := &fakeWeb{fail: func(call int, _ days.Range) error {
		if call == 4 {
			return fmt.Errorf("fake: %w", quota)
		}
		return nil
	}}
	src := Source{ID: "fake", Collector: fake, ChunkDays: 31}
	sum, err := r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != StatusThrottled || sum.Done != 3 || !sum.ResumeAt.Equal(days.Date(2022, 4, 1)) || sum.RetryAt.IsZero() {
		t.Fatalf("after the quota stop: %+v", sum)
	}
	sum, err = r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Skipped != 3 || sum.Done != 9 {
		t.Fatalf("resumed backfill: %+v, %v", sum, err)
	}
	if first := fake.calls[4]; !first.From.Equal(days.Date(2022, 4, 1)) {
		t.Fatalf("resume started at %s, want 2022-04-01", first)
	}
	assertQuarters(t, st, true)
	var throttled uint64
	if err := st.Conn().QueryRow(context.Background(),
		"SELECT count() FROM collector_runs FINAL WHERE source = 'fake' AND status = 'throttled' AND retry_at IS NOT NULL").Scan(&throttled); err != nil {
		t.Fatal(err)
	}
	if throttled != 1 {
		t.Fatalf("%d throttled runs recorded with retry_at, want 1", throttled)
	}
}

func TestClickHouseOutageMidRunFailsAndIsFetchedAgain(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	// An outage longer than the retries last.
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 2, Wait: 50 * time.Millisecond, MaxWait: 100 * time.Millisecond})
	r := newTestRunner(t, via)
	fake := &fakeWeb{fail: func(call int, _ days.Range) error {
		if call == 5 {
			proxy.Cut() // ClickHouse goes away while chunk 5 is being fetched
		}
		return nil
	}}
	src := Source{ID: "fake", Collector: fake, ChunkDays: 31}
	sum, err := r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != StatusFailed || sum.Done != 4 || !sum.ResumeAt.Equal(days.Date(2022, 5, 1)) {
		t.Fatalf("after the outage: %+v", sum)
	}
	proxy.Restore()
	sum, err = r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Skipped != 4 {
		t.Fatalf("after recovery: %+v, %v", sum, err)
	}
	assertQuarters(t, st, true)
}

// An outage the retries ride out: the connection is cut while step 5 is fetched and ClickHouse
// refuses connections for a second, as while it restarts. The run ends ok, with every figure once.
func TestShortClickHouseOutageIsRiddenOut(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 20, Wait: 100 * time.Millisecond, MaxWait: 400 * time.Millisecond})
	r := newTestRunner(t, via)
	fake := &fakeWeb{fail: func(call int, _ days.Range) error {
		if call == 5 {
			proxy.Cut()
			time.AfterFunc(time.Second, proxy.Restore)
		}
		return nil
	}}
	sum, err := r.Backfill(context.Background(), Source{ID: "fake", Collector: fake, ChunkDays: 31}, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Done != 12 {
		t.Fatalf("backfill through the outage: %+v, %v", sum, err)
	}
	if sum.Retries < 1 {
		t.Fatalf("retries: %d, want the outage counted", sum.Retries)
	}
	assertQuarters(t, st, true)
	var recorded uint64
	if err := st.Conn().QueryRow(context.Background(),
		"SELECT sum(retries) FROM collector_runs FINAL WHERE source = 'fake' AND status = 'ok'").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded < 1 {
		t.Fatalf("collector_runs records %d retries, want at least 1", recorded)
	}
}

func TestPartialRunStoresWhatItGotAndSaysWhy(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	deprecated := errors.New("fake: metric page_impressions_unique is no longer available")
	partial := collectorFunc(func(ctx context.Context, w days.Range, sink *collectors.Sink) error {
		if err := (&fakeWeb{}).Collect(ctx, w, sink); err != nil {
			return err
		}
		sink.Note("quarter reach not available")
		return deprecated
	})
	sum, err := r.Backfill(context.Background(), Source{ID: "fake", Collector: partial, ChunkDays: 366}, year2022, false, nil)
	if err != nil || sum.Status != StatusPartial || !errors.Is(sum.Err, deprecated) {
		t.Fatalf("got %+v, %v", sum, err)
	}
	assertQuarters(t, st, true)
	var status, errText, notes string
	if err := st.Conn().QueryRow(context.Background(),
		"SELECT status, error, notes FROM collector_runs FINAL WHERE source = 'fake'").Scan(&status, &errText, &notes); err != nil {
		t.Fatal(err)
	}
	if status != StatusPartial || errText != deprecated.Error() || notes != "quarter reach not available" {
		t.Fatalf("run row: %q %q %q", status, errText, notes)
	}
}

// Credentials refused part-way through a step: the families already fetched are stored, but the
// step is not marked done, so the same command again fetches it whole and nothing stays missing.
func TestStepCutByRefusedCredentialsIsNotMarkedDone(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	refuse := true
	cut := collectorFunc(func(ctx context.Context, w days.Range, sink *collectors.Sink) error {
		if err := (&fakeWeb{}).Collect(ctx, w, sink); err != nil {
			return err
		}
		if refuse && w.From.Month() == time.May {
			return fmt.Errorf("fake: top pages: %w", collectors.ErrUnauthorized)
		}
		return nil
	})
	src := Source{ID: "fake", Collector: cut, ChunkDays: 31}
	sum, err := r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusFailed || !sum.ResumeAt.Equal(days.Date(2022, 5, 1)) || sum.Done != 4 {
		t.Fatalf("cut backfill: %+v, %v; want failed at May with four steps done", sum, err)
	}
	refuse = false
	sum, err = r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Skipped != 4 || sum.Done != 8 {
		t.Fatalf("resumed backfill: %+v, %v; want May fetched again and the rest done", sum, err)
	}
	assertQuarters(t, st, true)
}

func TestIncrementalRefetchesTheLookbackWindow(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st) // today is 2023-06-15 in Oslo
	fake := &fakeWeb{}
	src := Source{ID: "fake", Collector: fake, ChunkDays: 31, LookbackDays: 3, StartDate: days.Date(2023, 6, 1)}
	if _, err := r.Incremental(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	if got := fake.calls[0]; !got.From.Equal(days.Date(2023, 6, 1)) || !got.To.Equal(days.Date(2023, 6, 15)) {
		t.Fatalf("first run fetched %s, want 2023-06-01..2023-06-15", got)
	}
	r.SetClock(func() time.Time { return time.Date(2023, 6, 20, 12, 0, 0, 0, time.UTC) })
	if _, err := r.Incremental(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	// Held through the 14th (today, the 15th, was still growing); look back 3 days from there.
	if got := fake.calls[1]; !got.From.Equal(days.Date(2023, 6, 12)) || !got.To.Equal(days.Date(2023, 6, 20)) {
		t.Fatalf("second run fetched %s, want 2023-06-12..2023-06-20", got)
	}
}

func TestOneRunOfASourceAtATime(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	release := make(chan struct{})
	started := make(chan struct{})
	slow := collectorFunc(func(ctx context.Context, w days.Range, sink *collectors.Sink) error {
		close(started)
		<-release
		return nil
	})
	src := Source{ID: "slow", Collector: slow, ChunkDays: 366}
	done := make(chan error)
	go func() {
		_, err := r.Backfill(context.Background(), src, year2022, false, nil)
		done <- err
	}()
	<-started
	if _, err := r.Backfill(context.Background(), src, year2022, false, nil); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second concurrent run: %v, want ErrAlreadyRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type collectorFunc func(ctx context.Context, w days.Range, sink *collectors.Sink) error

func (f collectorFunc) Collect(ctx context.Context, w days.Range, sink *collectors.Sink) error {
	return f(ctx, w, sink)
}

// When the figures of a step are stored but its checkpoint cannot be, the run stops and names
// that step as where to resume: never the zero day (it once said "stopped at 0001-01-01").
func TestCheckpointWriteFailureNamesTheStepToResumeFrom(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 1})
	r := newTestRunner(t, via)
	src := Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 31}
	sum, err := r.Backfill(context.Background(), src, year2022, false, func(c ChunkResult) {
		if c.Index == 3 {
			proxy.Cut() // after step 3's figures and run row, before its checkpoint
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != StatusFailed || sum.Done != 3 || !sum.ResumeAt.Equal(days.Date(2022, 3, 1)) {
		t.Fatalf("after the failed checkpoint: %+v", sum)
	}
	proxy.Restore()
	sum, err = r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Skipped != 2 || sum.Done != 10 {
		t.Fatalf("resumed: %+v, %v", sum, err)
	}
	assertQuarters(t, st, true)
}

func TestBackfillNeverLeavesTheSourceDates(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st)
	fake := &fakeWeb{}
	src := Source{ID: "fake", Collector: fake, ChunkDays: 31, From: days.Date(2022, 3, 15), Until: days.Date(2022, 5, 10)}
	sum, err := r.Backfill(context.Background(), src, year2022, false, nil)
	if err != nil || sum.Status != StatusOK || sum.Chunks != 3 || !strings.Contains(sum.Note, "fetched 2022-03-15..2022-05-10 only") {
		t.Fatalf("clipped backfill: %+v, %v", sum, err)
	}
	if first, last := fake.calls[0], fake.calls[len(fake.calls)-1]; !first.From.Equal(src.From) || !last.To.Equal(src.Until) {
		t.Fatalf("fetched %s … %s, want 2022-03-15 … 2022-05-10", first, last)
	}
	var outside uint64
	if err := st.Conn().QueryRow(context.Background(),
		"SELECT count() FROM web_traffic_daily WHERE date < '2022-03-15' OR date > '2022-05-10'").Scan(&outside); err != nil {
		t.Fatal(err)
	}
	if outside != 0 {
		t.Fatalf("%d rows written outside the source's dates", outside)
	}
	sum, err = r.Backfill(context.Background(), src, days.Range{From: days.Date(2021, 1, 1), To: days.Date(2021, 12, 31)}, false, nil)
	if err != nil || sum.Chunks != 0 || !strings.Contains(sum.Note, "nothing to do") || len(fake.calls) != 3 {
		t.Fatalf("backfill outside the dates: %+v, %v, %d calls", sum, err, len(fake.calls))
	}
}

func TestIncrementalRunsStopAfterUntilAndWaitForFrom(t *testing.T) {
	st := chtest.Open(t)
	r := newTestRunner(t, st) // today is 2023-06-15
	fake := &fakeWeb{}
	ended := Source{ID: "ended", Collector: fake, ChunkDays: 31, LookbackDays: 3, StartDate: days.Date(2023, 6, 1), Until: days.Date(2023, 6, 10)}
	if _, err := r.Incremental(context.Background(), ended, nil); err != nil {
		t.Fatal(err)
	}
	if got := fake.calls[0]; !got.From.Equal(days.Date(2023, 6, 1)) || !got.To.Equal(days.Date(2023, 6, 10)) {
		t.Fatalf("fetched %s, want 2023-06-01..2023-06-10", got)
	}
	sum, err := r.Incremental(context.Background(), ended, nil)
	if err != nil || len(fake.calls) != 1 || !strings.Contains(sum.Note, "ended on 2023-06-10") {
		t.Fatalf("after until: %+v, %v, %d calls", sum, err, len(fake.calls))
	}
	// A source whose from lies ahead fetches nothing yet; one whose from is inside the lookback
	// starts at from.
	later := Source{ID: "later", Collector: fake, ChunkDays: 31, LookbackDays: 3, From: days.Date(2023, 7, 1)}
	if sum, err := r.Incremental(context.Background(), later, nil); err != nil || len(fake.calls) != 1 || !strings.Contains(sum.Note, "starts on 2023-07-01") {
		t.Fatalf("before from: %+v, %v", sum, err)
	}
	fresh := Source{ID: "fresh", Collector: fake, ChunkDays: 31, LookbackDays: 10, From: days.Date(2023, 6, 12)}
	if _, err := r.Incremental(context.Background(), fresh, nil); err != nil {
		t.Fatal(err)
	}
	if got := fake.calls[1]; !got.From.Equal(days.Date(2023, 6, 12)) {
		t.Fatalf("fetched %s, want from 2023-06-12", got)
	}
}
