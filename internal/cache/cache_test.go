package cache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

func TestLRUStaysWithinItsByteBound(t *testing.T) {
	const bound = 10_000
	c := cache.New(bound)
	for i := range 100 {
		c.Put(fmt.Sprintf("k%03d", i), i, 1000)
		if s := c.Stats(); s.Bytes > bound {
			t.Fatalf("after %d puts the cache holds %d bytes, bound %d", i+1, s.Bytes, bound)
		}
		if i == 50 {
			// k045 was used last among the old ones: it outlives its neighbours.
			if _, ok := c.Get("k045"); !ok {
				t.Fatal("k045 evicted too early")
			}
		}
	}
	s := c.Stats()
	// 1000 bytes plus key and overhead each: at most 8 fit in 10 000.
	if s.Entries == 0 || s.Entries > 8 {
		t.Fatalf("%d entries, want 1..8", s.Entries)
	}
	if _, ok := c.Get("k000"); ok {
		t.Fatal("the least recently used entry is still there")
	}
	if v, ok := c.Get("k099"); !ok || v.(int) != 99 {
		t.Fatalf("newest entry: %v %v", v, ok)
	}
	c.Put("huge", 1, bound+1)
	if _, ok := c.Get("huge"); ok {
		t.Fatal("a value larger than the bound was stored")
	}
	if c.Stats().Bytes > bound {
		t.Fatal("bound exceeded after an oversize put")
	}
}

func TestIdenticalConcurrentRequestsComputeOnce(t *testing.T) {
	c := cache.New(1 << 20)
	release := make(chan struct{})
	var started sync.WaitGroup
	var computed int
	var mu sync.Mutex
	compute := func() (string, error) {
		mu.Lock()
		computed++
		mu.Unlock()
		<-release
		return "page", nil
	}
	const callers = 50
	results := make(chan string, callers)
	started.Add(callers)
	for range callers {
		go func() {
			started.Done()
			v, err := cache.Do(c, "nettsted|v1", func(s string) int64 { return int64(len(s)) }, compute)
			if err != nil {
				t.Error(err)
			}
			results <- v
		}()
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let them queue behind the first computation
	close(release)
	for range callers {
		if v := <-results; v != "page" {
			t.Fatalf("got %q", v)
		}
	}
	if computed != 1 || c.Stats().Computes != 1 {
		t.Fatalf("computed %d times (stats %d), want once", computed, c.Stats().Computes)
	}
}

func TestErrorsAreSharedButNotKept(t *testing.T) {
	c := cache.New(1 << 20)
	boom := errors.New("clickhouse down")
	calls := 0
	get := func() (int, error) {
		calls++
		if calls == 1 {
			return 0, boom
		}
		return 7, nil
	}
	size := func(int) int64 { return 8 }
	if _, err := cache.Do(c, "k", size, get); !errors.Is(err, boom) {
		t.Fatalf("first call: %v", err)
	}
	if v, err := cache.Do(c, "k", size, get); err != nil || v != 7 {
		t.Fatalf("second call: %v %v, want a fresh computation", v, err)
	}
	if v, _ := cache.Do(c, "k", size, get); v != 7 || calls != 2 {
		t.Fatalf("third call computed again (calls %d)", calls)
	}
}

// A write through the store moves the version at once in the same process, and a write by a
// second connection (another process) is seen by polling within the promised five seconds.
func TestVersionsFollowWritesHereAndElsewhere(t *testing.T) {
	st := chtest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	v := cache.NewVersions(st.DataVersion, st.WrittenVersion, log)
	go v.Poll(ctx, 200*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for v.Current() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	rec := figures.WebTrafficDay{SiteID: "s", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Channel: "direct", Device: "mobile", Sessions: 1}
	before := v.Current()
	if err := st.Write(ctx, "test", store.NewVersion(), []figures.Record{rec}); err != nil {
		t.Fatal(err)
	}
	if v.Current() <= before {
		t.Fatalf("version %d did not move at once after a write in this process (was %d)", v.Current(), before)
	}

	cfg := chtest.Config(t)
	cfg.Database = st.Database()
	other, err := store.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	mid := v.Current()
	if err := other.Write(ctx, "test", store.NewVersion(), []figures.Record{rec}); err != nil {
		t.Fatal(err)
	}
	wrote := time.Now()
	for v.Current() <= mid {
		if time.Since(wrote) > 5*time.Second {
			t.Fatalf("a write by another connection was not seen within 5 s (version %d)", v.Current())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
