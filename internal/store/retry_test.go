package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
)

var checkpointColumns = []string{"source", "job", "last_day", "done", "version"}

func checkpointRow(source string, version uint64) []any {
	return []any{source, "job", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), uint8(0), version}
}

// The bug behind "insert into collector_checkpoints: prepare: … failed to read first block packet …
// use of closed network connection" in a backfill on a busy machine: a write under a context that
// its caller cancels right after (the run row's deferred cancel) must never close the connection
// the next write is using. One P and two busy goroutines stand in for a loaded 2-core machine.
// The race depends on scheduling, so this stress check can pass by luck on broken code (it failed
// in 2–3 of 40–60 rounds before the fix); TestInsertHandsTheDriverAContextThatNeverEnds is the
// deterministic guard.
func TestCancelAfterAWriteNeverBreaksTheNextOne(t *testing.T) {
	st := chtest.Open(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	stop := make(chan struct{})
	defer close(stop)
	for range 2 {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 100_000; i++ { //nolint:revive // busy work on purpose
				}
			}
		}()
	}
	st.SetRetryPolicy(store.RetryPolicy{Attempts: 1}) // the fix, not a retry, must carry this
	var failed []string
	for i := range 25 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := st.Insert(ctx, "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("first", uint64(i))})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Insert(context.Background(), "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("next", uint64(i))}); err != nil {
			failed = append(failed, fmt.Sprintf("round %d: %v", i, err))
		}
	}
	if len(failed) > 0 {
		t.Fatalf("%d of 25 writes after a cancelled one failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
}

func fastRetries(attempts int) store.RetryPolicy {
	return store.RetryPolicy{Attempts: attempts, Wait: 50 * time.Millisecond, MaxWait: 400 * time.Millisecond}
}

// countRows returns the rows of source in collector_checkpoints as stored and as read (FINAL).
func countRows(t *testing.T, st *store.Store, table, where string) (raw, final uint64) {
	t.Helper()
	ctx := context.Background()
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM "+table+" WHERE "+where).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM "+table+" FINAL WHERE "+where).Scan(&final); err != nil {
		t.Fatal(err)
	}
	return raw, final
}

func TestWriteAfterTheConnectionWasCutIsRetried(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	via.SetRetryPolicy(fastRetries(10))
	ctx, retries := store.CountRetries(context.Background())
	if err := via.Insert(ctx, "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("a", 1)}); err != nil {
		t.Fatal(err)
	}
	// Between writes: the pooled connection dies, and for a while no new one is accepted, as
	// while ClickHouse restarts.
	proxy.Cut()
	go func() { time.Sleep(600 * time.Millisecond); proxy.Restore() }()
	if err := via.Insert(ctx, "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("b", 1)}); err != nil {
		t.Fatalf("write after the outage: %v", err)
	}
	if retries.N() < 1 {
		t.Fatalf("retries counted: %d, want at least 1", retries.N())
	}
	if _, final := countRows(t, st, "collector_checkpoints", "source IN ('a', 'b')"); final != 2 {
		t.Fatalf("%d checkpoints stored, want 2", final)
	}
}

func TestWriteCutMidwayIsStoredOnceAfterTheRetry(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	via.SetRetryPolicy(fastRetries(10))
	const n = 300_000
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("s%06d", i), "job", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), uint8(i % 2), uint64(7)}
	}
	ctx, retries := store.CountRetries(context.Background())
	cut := make(chan struct{})
	go func() {
		defer close(cut)
		time.Sleep(30 * time.Millisecond) // the batch is being encoded and sent by now
		proxy.Cut()
		time.Sleep(300 * time.Millisecond)
		proxy.Restore()
	}()
	if err := via.Insert(ctx, "collector_checkpoints", checkpointColumns, rows); err != nil {
		t.Fatalf("insert through the cut: %v", err)
	}
	<-cut
	raw, final := countRows(t, st, "collector_checkpoints", "1")
	if final != n {
		t.Fatalf("%d rows read back, want %d (nothing lost, nothing doubled); %d stored", final, n, raw)
	}
	var done uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT sum(done) FROM collector_checkpoints FINAL").Scan(&done); err != nil {
		t.Fatal(err)
	}
	if done != n/2 {
		t.Fatalf("sum of done = %d, want %d", done, n/2)
	}
	t.Logf("retries: %d, rows stored before merging: %d", retries.N(), raw)
}

func TestWriteGivesUpAfterTheAttemptsAndHonoursCancellation(t *testing.T) {
	st := chtest.Open(t)
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	proxy.Cut()
	via.SetRetryPolicy(fastRetries(3))
	ctx, retries := store.CountRetries(context.Background())
	err := via.Insert(ctx, "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("a", 1)})
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") || retries.N() != 2 {
		t.Fatalf("err %v, %d retries; want a give-up after 3 attempts, 2 retries", err, retries.N())
	}
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 100, Wait: time.Second, MaxWait: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	started := time.Now()
	if err := via.Insert(ctx, "collector_checkpoints", checkpointColumns, [][]any{checkpointRow("a", 1)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the caller's deadline", err)
	}
	if waited := time.Since(started); waited > 5*time.Second {
		t.Fatalf("cancelled write returned after %s", waited)
	}
}

func TestTransient(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("prepare: %w", &net.OpError{Op: "read", Err: net.ErrClosed}), true},
		{fmt.Errorf("x: %w", io.EOF), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{clickhouse.ErrAcquireConnTimeout, true},
		{&clickhouse.Exception{Code: 252, Message: "Too many parts"}, true},
		{&clickhouse.Exception{Code: 60, Message: "Table doesn't exist"}, false},
		{&clickhouse.Exception{Code: 62, Message: "Syntax error"}, false},
		{context.Canceled, false},
		{errors.New("row 3 has 2 values for 5 columns"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := store.Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
