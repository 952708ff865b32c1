package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLoginIsThrottledPerUserNameAndAddress(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, testUsers(t))
	ctx := context.Background()
	fail := func(ip string) error {
		t.Helper()
		_, err := a.Login(ctx, ip, "Kari", "feil-passord-igjen")
		return err
	}
	// Five failures from one address: each is an ordinary refusal.
	for i := range userFailureLimit {
		if err := fail("10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Now even the right password is refused from that address without being looked at.
	_, err := a.Login(ctx, "10.0.0.1", "kari", "kari-sitt-passord")
	var te *ThrottledError
	if !errors.As(err, &te) || te.Wait != firstLockout {
		t.Fatalf("after %d failures: %v, want a %s wait", userFailureLimit, err, firstLockout)
	}
	// Kari herself, at her own address, is not locked out by someone else's failures: a known
	// name is no lever to lock its owner out.
	if _, err := a.Login(ctx, "10.9.9.9", "kari", "kari-sitt-passord"); err != nil {
		t.Fatalf("the right password from another address: %v", err)
	}
	// Another user at the guessing address is not affected either.
	if _, err := a.Login(ctx, "10.0.0.1", "ola", "olas-lange-passord"); err != nil {
		t.Errorf("another user at the same address: %v", err)
	}
	// Refused attempts do not lengthen the lock.
	for range 10 {
		_, _ = a.Login(ctx, "10.0.0.1", "kari", "x")
	}
	c.advance(firstLockout)
	// The lock is over; one more failure locks for twice as long.
	if err := fail("10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after the lock: %v", err)
	}
	if _, err := a.Login(ctx, "10.0.0.1", "kari", "kari-sitt-passord"); !errors.As(err, &te) || te.Wait != 2*firstLockout {
		t.Fatalf("second lock: %v, want %s", err, 2*firstLockout)
	}
	// The backoff doubles up to the window and stays there.
	var waits []time.Duration
	for range 6 {
		_, err := a.Login(ctx, "10.0.0.1", "kari", "x")
		if !errors.As(err, &te) {
			t.Fatalf("while locked: %v", err)
		}
		waits = append(waits, te.Wait)
		c.advance(te.Wait)
		if err := fail("10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("after waiting %s: %v", te.Wait, err)
		}
	}
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	c.advance(failureWindow)
	// Once the lock is over, the right password works and clears the record.
	c.advance(failureWindow)
	if _, err := a.Login(ctx, "10.0.0.1", "kari", "kari-sitt-passord"); err != nil {
		t.Fatalf("after a quiet window: %v", err)
	}
}

func TestSuccessForgivesEarlierFailures(t *testing.T) {
	a := newAuth(t, newClock(), testUsers(t))
	ctx := context.Background()
	for round := range 3 {
		for range userFailureLimit - 1 {
			if _, err := a.Login(ctx, "10.0.0.1", "kari", "nei"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if _, err := a.Login(ctx, "10.0.0.1", "kari", "kari-sitt-passord"); err != nil {
			t.Fatalf("round %d: right password refused: %v", round, err)
		}
	}
}

func TestLoginIsThrottledPerAddress(t *testing.T) {
	a := newAuth(t, newClock(), testUsers(t))
	ctx := context.Background()
	for i := range ipFailureLimit {
		if _, err := a.Login(ctx, "192.0.2.7", fmt.Sprintf("guess%d", i), "x"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	var te *ThrottledError
	if _, err := a.Login(ctx, "192.0.2.7", "kari", "kari-sitt-passord"); !errors.As(err, &te) {
		t.Fatalf("address over its limit: %v", err)
	}
	if _, err := a.Login(ctx, "192.0.2.8", "kari", "kari-sitt-passord"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

func TestParallelGuessesCannotOutrunTheLimit(t *testing.T) {
	a := newAuth(t, newClock(), testUsers(t))
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for range 50 {
		wg.Go(func() {
			_, err := a.Login(context.Background(), "10.1.1.1", "kari", "gjetning")
			if errors.Is(err, ErrBadCredentials) {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if checked != userFailureLimit {
		t.Errorf("%d of 50 parallel guesses reached the password check; want %d", checked, userFailureLimit)
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	th := newThrottle(100)
	now := time.Now()
	for i := range 1000 {
		th.attempt(now.Add(time.Duration(i)*time.Millisecond), loginKeys(fmt.Sprintf("10.0.%d.%d", i/256, i%256), fmt.Sprintf("n%d", i)))
	}
	if n := len(th.entries); n > 100 {
		t.Errorf("%d entries, bound 100", n)
	}
	// The newest keys are the ones kept.
	if th.entries["user 10.0.3.231 n999"] == nil {
		t.Error("the latest failure was evicted")
	}
}
