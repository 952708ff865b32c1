// Package cache keeps computed pages and figures in memory, keyed by the data version (see
// internal/store DataVersion): a key names what was computed and the version it was computed at, so
// a write anywhere makes every older entry unreachable, and the least recently used ones fall out
// when the byte bound is reached. Nothing is ever invalidated by hand.
//
// Identical requests that arrive while a value is being computed wait for that one computation
// (golang.org/x/sync/singleflight) instead of each asking ClickHouse again: after a write, fifty
// readers of the same page cost one page's queries.
package cache

import (
	"container/list"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// entryOverhead approximates what an entry costs beyond its value: the list element, the map
// slot and the entry struct. It keeps many tiny entries from slipping past the bound.
const entryOverhead = 128

// Cache is an LRU cache bounded by bytes, safe for concurrent use. The sizes are what the caller
// says a value costs (for a page: its body), plus the key and a fixed overhead per entry.
type Cache struct {
	max   int64
	group singleflight.Group

	mu    sync.Mutex
	order *list.List // front: most recently used
	items map[string]*list.Element
	used  int64

	hits, misses, computes atomic.Uint64
}

type entry struct {
	key   string
	value any
	size  int64
}

// New returns a cache holding at most maxBytes. A bound of 0 or less stores nothing, but Do still
// runs identical concurrent computations once.
func New(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// Stats are counters for tests, the benchmark and the log.
type Stats struct {
	Entries  int
	Bytes    int64
	MaxBytes int64
	// Hits and Misses count lookups; Computes counts computations actually run (a miss that
	// joined a computation under way is not one).
	Hits, Misses, Computes uint64
}

// Stats reports the cache's current size and counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Entries: len(c.items), Bytes: c.used, MaxBytes: c.max,
		Hits: c.hits.Load(), Misses: c.misses.Load(), Computes: c.computes.Load()}
}

// Get returns the value stored under key, marking it recently used.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	c.order.MoveToFront(el)
	return el.Value.(*entry).value, true
}

// Put stores value under key, evicting the least recently used entries until the bound holds. A
// value larger than the whole bound is not stored.
func (c *Cache) Put(key string, value any, size int64) {
	size += int64(len(key)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.used -= el.Value.(*entry).size
		c.order.Remove(el)
		delete(c.items, key)
	}
	if size > c.max {
		return
	}
	c.items[key] = c.order.PushFront(&entry{key: key, value: value, size: size})
	c.used += size
	for c.used > c.max {
		last := c.order.Back()
		e := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.items, e.key)
		c.used -= e.size
	}
}

// Do returns the value under key, or computes it, stores it with the size sizeOf gives and returns
// it. Callers asking for the same key while it is computed wait for that computation and share its
// result, error included; an error is not stored, so the next request tries again.
func Do[T any](c *Cache, key string, sizeOf func(T) int64, compute func() (T, error)) (T, error) {
	if v, ok := c.Get(key); ok {
		return v.(T), nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		// A computation that finished between our Get and joining the group has stored its value.
		c.mu.Lock()
		el, ok := c.items[key]
		c.mu.Unlock()
		if ok {
			return el.Value.(*entry).value, nil
		}
		c.computes.Add(1)
		v, err := compute()
		if err != nil {
			return nil, err
		}
		c.Put(key, v, sizeOf(v))
		return v, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
