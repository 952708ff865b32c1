package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// tracedConn is the connection the query layer gets in the measurements: it counts every query,
// times it as the client sees it, and gives it a query id with log_queries=1 (an integer setting,
// which 18.16 accepts per query) so its server-side time can be read from system.query_log.
type tracedConn struct {
	driver.Conn
	mu    sync.Mutex
	calls []call
}

type call struct {
	id  string
	dur time.Duration
}

func (t *tracedConn) start(ctx context.Context) (context.Context, func()) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "rkvbench-" + hex.EncodeToString(b[:])
	ctx = clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	began := time.Now()
	return ctx, func() {
		t.mu.Lock()
		t.calls = append(t.calls, call{id: id, dur: time.Since(began)})
		t.mu.Unlock()
	}
}

// take returns the queries recorded since the last take.
func (t *tracedConn) take() []call {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.calls
	t.calls = nil
	return out
}

func (t *tracedConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	ctx, done := t.start(ctx)
	rows, err := t.Conn.Query(ctx, query, args...)
	if err != nil {
		done()
		return nil, err
	}
	return &tracedRows{Rows: rows, done: done}, nil
}

func (t *tracedConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	ctx, done := t.start(ctx)
	row := t.Conn.QueryRow(ctx, query, args...)
	done()
	return row
}

func (t *tracedConn) Select(ctx context.Context, dest any, query string, args ...any) error {
	ctx, done := t.start(ctx)
	defer done()
	return t.Conn.Select(ctx, dest, query, args...)
}

func (t *tracedConn) Exec(ctx context.Context, query string, args ...any) error {
	ctx, done := t.start(ctx)
	defer done()
	return t.Conn.Exec(ctx, query, args...)
}

// tracedRows ends the query's clock when the rows are closed: that is when all were read.
type tracedRows struct {
	driver.Rows
	once sync.Once
	done func()
}

func (r *tracedRows) Close() error {
	r.once.Do(r.done)
	return r.Rows.Close()
}

// serverTime sums what system.query_log says the calls took on the server. ok is false when the
// server keeps no query_log (its config has no <query_log> section, as on a server started before
// scripts/clickhouse.sh enabled it) or has not logged every call.
func serverTime(ctx context.Context, conn driver.Conn, calls []call) (time.Duration, bool, error) {
	if len(calls) == 0 {
		return 0, true, nil
	}
	if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		return 0, false, fmt.Errorf("flush logs: %w", err)
	}
	var exists uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = 'system' AND name = 'query_log'").Scan(&exists); err != nil {
		return 0, false, fmt.Errorf("look for system.query_log: %w", err)
	}
	if exists == 0 {
		return 0, false, nil
	}
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = "'" + strings.ReplaceAll(c.id, "'", "") + "'"
	}
	var ms, n uint64
	err := conn.QueryRow(ctx, "SELECT sum(query_duration_ms), count() FROM system.query_log WHERE CAST(type AS Int8) = 2 AND query_id IN ("+
		strings.Join(ids, ",")+")").Scan(&ms, &n)
	if err != nil {
		return 0, false, fmt.Errorf("read system.query_log: %w", err)
	}
	if n != uint64(len(calls)) {
		return 0, false, nil
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// clientTime sums the calls' times as the client saw them (query sent to last row read).
func clientTime(calls []call) time.Duration {
	var d time.Duration
	for _, c := range calls {
		d += c.dur
	}
	return d
}
