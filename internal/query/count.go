package query

import (
	"context"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Counter counts the ClickHouse queries made with a context, across goroutines: how many queries a
// page, a report or a download costs. Attach one with WithCounter; `make bench` and the query-count
// tests read it, and the dashboard reports it in the Server-Timing header.
type Counter struct{ n atomic.Int64 }

// Queries is the number of queries counted so far.
func (c *Counter) Queries() int64 { return c.n.Load() }

type counterKey struct{}

// WithCounter returns ctx carrying a new counter. A context that already carries one keeps it, so
// a page's counter also counts the queries of the helpers it calls.
func WithCounter(ctx context.Context) (context.Context, *Counter) {
	if c := CounterOf(ctx); c != nil {
		return ctx, c
	}
	c := &Counter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// CounterOf is ctx's counter, nil when none is attached.
func CounterOf(ctx context.Context) *Counter {
	c, _ := ctx.Value(counterKey{}).(*Counter)
	return c
}

func count(ctx context.Context) {
	if c := CounterOf(ctx); c != nil {
		c.n.Add(1)
	}
}

// countingConn counts every read through the query layer on the context's counter.
type countingConn struct{ driver.Conn }

func (c countingConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	count(ctx)
	return c.Conn.Query(ctx, q, args...)
}

func (c countingConn) QueryRow(ctx context.Context, q string, args ...any) driver.Row {
	count(ctx)
	return c.Conn.QueryRow(ctx, q, args...)
}

func (c countingConn) Select(ctx context.Context, dest any, q string, args ...any) error {
	count(ctx)
	return c.Conn.Select(ctx, dest, q, args...)
}
