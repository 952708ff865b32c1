package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/store"
)

// blocking is a collector that signals when a step starts and waits to be let go (or cancelled).
type blocking struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlocking() *blocking {
	return &blocking{started: make(chan struct{}), release: make(chan struct{})}
}

func (b *blocking) Collect(ctx context.Context, w days.Range, sink *collectors.Sink) error {
	b.once.Do(func() { close(b.started) })
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return (&fakeWeb{}).Collect(ctx, w, sink)
}

// secondProcess is a runner with its own connection pool on the same database: what `serve` is
// to a `rekkevidde collect` beside it.
func secondProcess(t *testing.T, st *store.Store) *Runner {
	t.Helper()
	return newTestRunner(t, chtest.OpenVia(t, st, chtest.Config(t).Addr))
}

func runStatus(t *testing.T, st *store.Store, where string) []string {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), "SELECT status FROM collector_runs FINAL WHERE "+where+" ORDER BY started_at, run_id")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestTwoProcessesNeverRunOneSourceAtOnce(t *testing.T) {
	st := chtest.Open(t)
	collect := newTestRunner(t, st)
	serve := secondProcess(t, st)
	slow := newBlocking()
	src := Source{ID: "fake", Collector: slow, ChunkDays: 366}
	done := make(chan error, 1)
	go func() {
		_, err := collect.Backfill(context.Background(), src, jan2022, false, nil)
		done <- err
	}()
	<-slow.started

	// The other process is refused, and told who runs the source.
	_, err := serve.Incremental(context.Background(), Source{ID: "fake", Collector: &fakeWeb{}}, nil)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second process: %v, want a BusyError", err)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("host %s, pid %d, since 2023-06-15 12:00:00 UTC", host, os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not name the holder (%s)", err, want)
	}
	// Its start-up sweep leaves the other process's open run alone.
	if n, err := serve.MarkInterrupted(context.Background()); err != nil || n != 0 {
		t.Fatalf("MarkInterrupted closed %d runs (err %v), want 0: the run is alive", n, err)
	}
	if got := runStatus(t, st, "source = 'fake'"); len(got) != 1 || got[0] != StatusRunning {
		t.Fatalf("runs: %v, want one running", got)
	}

	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The lease was released when the run ended: the other process runs at once.
	if sum, err := serve.Backfill(context.Background(), Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 366}, jan2022, true, nil); err != nil || sum.Status != StatusOK {
		t.Fatalf("after the first run ended: %+v, %v", sum, err)
	}
	if got := runStatus(t, st, "source = 'fake'"); len(got) != 2 || got[0] != StatusOK || got[1] != StatusOK {
		t.Fatalf("runs: %v, want two ok", got)
	}
}

func TestOnlyRunsWhoseOwnerStoppedAreMarkedInterrupted(t *testing.T) {
	st := chtest.Open(t)
	alive := newTestRunner(t, st)
	slow := newBlocking()
	done := make(chan error, 1)
	go func() {
		_, err := alive.Backfill(context.Background(), Source{ID: "alive", Collector: slow, ChunkDays: 366}, jan2022, false, nil)
		done <- err
	}()
	<-slow.started
	// A process that died mid-run: its row says running, its lease has run out.
	dead := store.Claimant{Owner: "gone:4242:abcd", Host: "gone", PID: 4242, Since: time.Now()}
	if err := st.ReleaseLease(context.Background(), "dead", dead, store.NewVersion()); err != nil {
		t.Fatal(err)
	}
	rec := runRecord{ID: "deadrun", Source: "dead", Mode: ModeIncremental, Window: jan2022, Started: time.Now().UTC().Truncate(time.Second),
		Owner: dead.Owner, Res: ChunkResult{Status: StatusRunning, Rows: 0}}
	if err := alive.recordRun(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	// A row from before runs had owners.
	rec.ID, rec.Owner = "oldrun", ""
	if err := alive.recordRun(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	n, err := secondProcess(t, st).MarkInterrupted(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("closed %d runs, err %v; want the 2 without a live owner", n, err)
	}
	if got := runStatus(t, st, "source = 'dead'"); len(got) != 2 || got[0] != StatusInterrupted || got[1] != StatusInterrupted {
		t.Fatalf("dead runs: %v", got)
	}
	if got := runStatus(t, st, "source = 'alive'"); len(got) != 1 || got[0] != StatusRunning {
		t.Fatalf("the live run: %v, want running", got)
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeatKeepsTheLeaseAndAnExpiredOneIsFree(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	// A process that claimed a source and died without releasing it: refused until it expires.
	dead := store.Claimant{Owner: "gone:1:x", Host: "gone", PID: 1, Since: time.Now()}
	if held, _, _, err := st.ClaimLease(ctx, "fake", dead, 2*time.Second, store.NewVersion()); err != nil || !held {
		t.Fatalf("claim: %v %v", held, err)
	}
	r := newTestRunner(t, st)
	r.SetClock(time.Now)
	r.SetLeaseTiming(3*time.Second, 300*time.Millisecond)
	gone := runRecord{ID: "gonerun", Source: "fake", Mode: ModeIncremental, Window: jan2022, Started: time.Now().UTC().Truncate(time.Second),
		Owner: dead.Owner, Res: ChunkResult{Status: StatusRunning}}
	if err := r.recordRun(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Backfill(ctx, Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 366}, jan2022, false, nil); !errors.Is(err, ErrAlreadyRunning) ||
		!strings.Contains(err.Error(), "host gone, pid 1") {
		t.Fatalf("while the dead claim lives: %v", err)
	}
	time.Sleep(3 * time.Second)
	// Now free; this run outlives its own TTL, so only its heartbeat keeps others out.
	slow := newBlocking()
	done := make(chan error, 1)
	go func() {
		sum, err := r.Backfill(ctx, Source{ID: "fake", Collector: slow, ChunkDays: 366}, jan2022, false, nil)
		if err == nil && sum.Status != StatusOK {
			err = fmt.Errorf("status %s: %v", sum.Status, sum.Err)
		}
		done <- err
	}()
	<-slow.started
	// The new holder closed what the dead one left open.
	if got := runStatus(t, st, "run_id = 'gonerun'"); len(got) != 1 || got[0] != StatusInterrupted {
		t.Fatalf("the dead owner's run: %v, want interrupted", got)
	}
	time.Sleep(4 * time.Second)
	other := secondProcess(t, st)
	if _, err := other.Backfill(ctx, Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 366}, jan2022, false, nil); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("past the TTL with heartbeats: %v, want refused", err)
	}
	var started time.Time
	var heartbeat *time.Time
	if err := st.Conn().QueryRow(ctx, "SELECT started_at, heartbeat_at FROM collector_runs FINAL WHERE source = 'fake' AND run_id != 'gonerun'").Scan(&started, &heartbeat); err != nil {
		t.Fatal(err)
	}
	if heartbeat == nil || heartbeat.Sub(started) < 3*time.Second {
		t.Fatalf("heartbeat_at %v, started %v: the heartbeat did not move", heartbeat, started)
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestARunThatLosesItsLeaseStops(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 2, Wait: 50 * time.Millisecond, MaxWait: 100 * time.Millisecond})
	r := newTestRunner(t, via)
	r.SetLeaseTiming(2*time.Second, 200*time.Millisecond)
	slow := newBlocking() // never let go: only the lost lease ends it
	done := make(chan Summary, 1)
	go func() {
		sum, _ := r.Backfill(context.Background(), Source{ID: "fake", Collector: slow, ChunkDays: 366}, jan2022, false, nil)
		done <- sum
	}()
	<-slow.started
	proxy.Cut() // ClickHouse unreachable: the lease cannot be renewed
	select {
	case sum := <-done:
		if !errors.Is(sum.Err, ErrLeaseLost) {
			t.Fatalf("run ended with %+v, want the lost lease named", sum)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run went on without its lease")
	}
	proxy.Restore()
}

func TestScheduleSkipsASourceACollectCommandRuns(t *testing.T) {
	st := chtest.Open(t)
	collect := newTestRunner(t, st)
	slow := newBlocking()
	done := make(chan error, 1)
	go func() {
		_, err := collect.Backfill(context.Background(), Source{ID: "fake", Collector: slow, ChunkDays: 366}, jan2022, false, nil)
		done <- err
	}()
	<-slow.started

	logs := &captured{}
	serve := newTestRunner(t, chtest.OpenVia(t, st, chtest.Config(t).Addr))
	scheduled := &fakeWeb{}
	sched := New(serve, []Source{{ID: "fake", Collector: scheduled, Interval: time.Hour}}, slog.New(logs))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { sched.Run(ctx); close(stopped) }()
	if err := sched.Trigger("fake"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !logs.has("skipped scheduled run: another process is running this source") {
		if time.Now().After(deadline) {
			t.Fatalf("no skip logged; logs:\n%s", logs.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-stopped
	if len(scheduled.calls) != 0 {
		t.Fatalf("the schedule ran the source %d times beside the collect command", len(scheduled.calls))
	}
	if got := runStatus(t, st, "source = 'fake'"); len(got) != 1 || got[0] != StatusRunning {
		t.Fatalf("serve's start touched the collect command's run: %v", got)
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// captured is a slog handler that keeps messages for a test to look at.
type captured struct {
	mu   sync.Mutex
	msgs []string
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Message)
	return nil
}
func (c *captured) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *captured) WithGroup(string) slog.Handler      { return c }
func (c *captured) has(msg string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if m == msg {
			return true
		}
	}
	return false
}
func (c *captured) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.msgs, "\n")
}

var jan2022 = days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 1, 31)}

// Instances share one schedule: once any process has run a source's scheduled run, every other
// process finds it not due for the rest of the interval, so behind a load balancer a source runs
// once per interval, not once per instance.
func TestScheduleIsSharedBetweenProcesses(t *testing.T) {
	st := chtest.Open(t)
	a, b := newTestRunner(t, st), secondProcess(t, st)
	a.SetClock(time.Now)
	b.SetClock(time.Now)
	src := Source{ID: "fake", Collector: &fakeWeb{}, ChunkDays: 31, Interval: 6 * time.Hour,
		StartDate: days.Date(time.Now().Year(), time.Now().Month(), 1).AddDate(0, -1, 0)}
	if left, err := b.dueIn(context.Background(), src); err != nil || left != 0 {
		t.Fatalf("never run: due in %v, %v; want now", left, err)
	}
	if _, err := a.Incremental(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	left, err := b.dueIn(context.Background(), src)
	if err != nil || left < 5*time.Hour || left > 5*time.Hour+24*time.Minute {
		t.Fatalf("just run by the other process: due in %v, %v; want about 5 h 24 min", left, err)
	}
	if other, err := b.dueIn(context.Background(), Source{ID: "other", Interval: 6 * time.Hour}); err != nil || other != 0 {
		t.Fatalf("another source: due in %v, %v; want now", other, err)
	}
}

// versionWrites counts the data version's rows per table written after version v.
func versionWrites(t *testing.T, st *store.Store, after uint64) map[string]uint64 {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), "SELECT tbl, count() FROM data_version WHERE version > ? GROUP BY tbl", after)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]uint64{}
	for rows.Next() {
		var tbl string
		var n uint64
		if err := rows.Scan(&tbl, &n); err != nil {
			t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func latestVersion(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	var v uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT max(version) FROM data_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A heartbeat carries no figure: it must leave the data version (and so every page cache) alone,
// while the run's figures and its end still move it.
func TestHeartbeatsLeaveTheDataVersionFiguresAndTheEndMoveIt(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	r := newTestRunner(t, st)
	r.SetClock(time.Now)                                   // heartbeats carry the runner's clock: it must move
	r.SetLeaseTiming(30*time.Second, 150*time.Millisecond) // a long TTL: a loaded machine must not lose the lease
	slow := newBlocking()
	done := make(chan error, 1)
	go func() {
		_, err := r.Backfill(ctx, Source{ID: "fake", Collector: slow, ChunkDays: 366}, jan2022, false, nil)
		done <- err
	}()
	<-slow.started
	started, err := st.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	since := latestVersion(t, st)
	// Wait until the running row's heartbeat is 2 s past its start: a dozen beats at 150 ms. (Its
	// row count would not do: merges fold the re-written rows together.)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var beaten int64
		if err := st.Conn().QueryRow(ctx, `SELECT toInt64(assumeNotNull(heartbeat_at)) - toInt64(started_at)
FROM collector_runs FINAL WHERE source = 'fake' AND status = 'running'`).Scan(&beaten); err != nil {
			t.Fatal(err)
		}
		if beaten >= 2 {
			break
		}
		if time.Now().After(deadline) {
			close(slow.release)
			t.Fatalf("the heartbeat is %d s past the start after 20 s: it does not write", beaten)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := st.DataVersion(ctx); err != nil || v != started {
		close(slow.release)
		t.Fatalf("heartbeats moved the data version from %d to %d (%v): %v", started, v, err, versionWrites(t, st, since))
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The step's figures and its final row each moved it once; its checkpoint did not.
	got := versionWrites(t, st, since)
	if got["web_traffic_daily"] != 1 || got["source_status"] != 1 || len(got) != 2 {
		t.Fatalf("writes counted after the heartbeats: %v, want web_traffic_daily and source_status once each", got)
	}
	if v, _ := st.DataVersion(ctx); v != started+2 {
		t.Fatalf("data version %d after the run, want %d", v, started+2)
	}
}
