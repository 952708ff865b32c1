package query

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// Within a request a read runs once however many goroutines ask; a batch reads only what no one
// has read; a failed read is not kept; without a request everything is read.
func TestRequestSharesReads(t *testing.T) {
	ctx, _ := NewRequest(context.Background())
	var reads atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := once(ctx, "k", func() (int, error) { reads.Add(1); return 42, nil })
			if err != nil || v != 42 {
				t.Errorf("once = %d, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if reads.Load() != 1 {
		t.Errorf("%d reads, want 1", reads.Load())
	}

	var asked [][]int
	read := func(missing []int) ([]string, error) {
		asked = append(asked, missing)
		out := make([]string, len(missing))
		for j, i := range missing {
			out[j] = string(rune('a' + i))
		}
		return out, nil
	}
	if got, err := onceEach(ctx, []string{"x", "y"}, read); err != nil || got[0] != "a" || got[1] != "b" {
		t.Fatalf("first batch %q %v", got, err)
	}
	got, err := onceEach(ctx, []string{"y", "z", "x"}, read)
	if err != nil || len(asked) != 2 || len(asked[1]) != 1 || asked[1][0] != 1 || got[0] != "b" || got[1] != "b" || got[2] != "a" {
		t.Errorf("second batch %q %v; asked %v, want only z (index 1)", got, err, asked)
	}

	fail := errors.New("boom")
	if _, err := once(ctx, "bad", func() (int, error) { return 0, fail }); !errors.Is(err, fail) {
		t.Fatalf("err %v", err)
	}
	if v, err := once(ctx, "bad", func() (int, error) { return 7, nil }); err != nil || v != 7 {
		t.Errorf("a failed read was kept: %d %v", v, err)
	}
	plain := 0
	for range 2 {
		_, _ = once(context.Background(), "k", func() (int, error) { plain++; return 0, nil })
	}
	if plain != 2 {
		t.Errorf("without a request %d reads, want 2", plain)
	}
}
