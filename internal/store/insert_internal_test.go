package store

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// recordingConn records the contexts the driver is given and refuses every batch.
type recordingConn struct {
	driver.Conn
	ctxs []context.Context
}

var errRefused = errors.New("refused")

func (c *recordingConn) PrepareBatch(ctx context.Context, _ string, _ ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.ctxs = append(c.ctxs, ctx)
	return nil, errRefused
}

// The driver's batch Send closes its connection when its context ends, even when that happens
// after Send returned and the connection is back in the pool serving another INSERT. So Insert
// must never hand the driver a context that can end: not the caller's deadline, not its cancel.
func TestInsertHandsTheDriverAContextThatNeverEnds(t *testing.T) {
	conn := &recordingConn{}
	s := &Store{conn: conn, log: slog.New(slog.DiscardHandler), retry: DefaultRetryPolicy()}
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "settings"))
	defer cancel()
	err := s.Insert(ctx, "t", []string{"a"}, [][]any{{1}})
	if !errors.Is(err, errRefused) || len(conn.ctxs) != 1 {
		t.Fatalf("err %v after %d attempts, want the refusal after 1 (not transient)", err, len(conn.ctxs))
	}
	got := conn.ctxs[0]
	if got.Done() != nil {
		t.Fatal("the driver got a context that can be cancelled")
	}
	if _, ok := got.Deadline(); ok {
		t.Fatal("the driver got a context with a deadline")
	}
	if got.Value(key{}) != "settings" {
		t.Fatal("the driver's context lost the caller's values (query settings travel in them)")
	}
}
