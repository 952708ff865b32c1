package query

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Request is what one page, report or download shares across the queries it makes, on any
// goroutine: the count of its ClickHouse queries (how much it costs: `make bench`, the query-count
// tests and the dashboard's Server-Timing header read it), and its discovery, looked up once
// however many parts of it need it. Attach one with NewRequest.
type Request struct {
	n atomic.Int64

	mu   sync.Mutex
	memo map[string]*memoEntry
}

// memoEntry is one read shared within a request; done is closed when v and err are set.
type memoEntry struct {
	done chan struct{}
	v    any
	err  error
}

// Queries is the number of queries counted so far.
func (r *Request) Queries() int64 { return r.n.Load() }

type requestKey struct{}

// NewRequest returns ctx carrying a new Request. A context that already carries one keeps it, so a
// page's request also covers the report builder or helpers it calls.
func NewRequest(ctx context.Context) (context.Context, *Request) {
	if r := RequestOf(ctx); r != nil {
		return ctx, r
	}
	r := &Request{}
	return context.WithValue(ctx, requestKey{}, r), r
}

// RequestOf is ctx's Request, nil when none is attached.
func RequestOf(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// once runs read at most once per request and key, also when parts of the request ask at the same
// time; without a Request (r nil) it runs every time. A failed read is not kept.
func once[T any](ctx context.Context, key string, read func() (T, error)) (T, error) {
	r := RequestOf(ctx)
	if r == nil {
		return read()
	}
	r.mu.Lock()
	e, ok := r.memo[key]
	if !ok {
		e = &memoEntry{done: make(chan struct{})}
		if r.memo == nil {
			r.memo = map[string]*memoEntry{}
		}
		r.memo[key] = e
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if e.err == nil {
			return e.v.(T), nil
		}
		return read()
	}
	v, err := read()
	e.v, e.err = v, err
	if err != nil {
		r.mu.Lock()
		delete(r.memo, key)
		r.mu.Unlock()
	}
	close(e.done)
	return v, err
}

func count(ctx context.Context) {
	if r := RequestOf(ctx); r != nil {
		r.n.Add(1)
	}
}

// countingConn counts every read through the query layer on the context's Request.
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

// onceEach is once for a batch: read is called once with the indexes of the keys no part of the
// request has read yet (or is reading), and returns their values in that order; the others are
// waited for and shared. Without a Request every key is read.
func onceEach[T any](ctx context.Context, keys []string, read func(missing []int) ([]T, error)) ([]T, error) {
	out := make([]T, len(keys))
	r := RequestOf(ctx)
	if r == nil {
		all := make([]int, len(keys))
		for i := range all {
			all[i] = i
		}
		return read(all)
	}
	entries := make([]*memoEntry, len(keys))
	var mine []int
	r.mu.Lock()
	if r.memo == nil {
		r.memo = map[string]*memoEntry{}
	}
	for i, k := range keys {
		e, ok := r.memo[k]
		if !ok {
			e = &memoEntry{done: make(chan struct{})}
			r.memo[k] = e
			mine = append(mine, i)
		}
		entries[i] = e
	}
	r.mu.Unlock()
	if len(mine) > 0 {
		vs, err := read(mine)
		r.mu.Lock()
		for j, i := range mine {
			if err != nil {
				entries[i].err = err
				delete(r.memo, keys[i])
			} else {
				entries[i].v = vs[j]
			}
			close(entries[i].done)
		}
		r.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	for i, e := range entries {
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		out[i] = e.v.(T)
	}
	return out, nil
}
