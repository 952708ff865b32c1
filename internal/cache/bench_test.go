package cache_test

import (
	"strconv"
	"testing"

	"github.com/innomed/rekkevidde/internal/cache"
)

// BenchmarkDoHit is the cached path every page request takes: a lookup under the lock.
func BenchmarkDoHit(b *testing.B) {
	c := cache.New(32 << 20)
	page := make([]byte, 33_000)
	size := func(p []byte) int64 { return int64(len(p)) }
	if _, err := cache.Do(c, "page|/nettsted|v1", size, func() ([]byte, error) { return page, nil }); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cache.Do(c, "page|/nettsted|v1", size, func() ([]byte, error) { return nil, nil }); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkPutEvict keeps a full cache turning over: every put evicts.
func BenchmarkPutEvict(b *testing.B) {
	c := cache.New(1 << 20)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "page|/nettsted?year=" + strconv.Itoa(i)
	}
	for i := 0; b.Loop(); i++ {
		c.Put(keys[i%len(keys)], i, 33_000)
	}
}
