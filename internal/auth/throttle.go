package auth

import (
	"sync"
	"time"
)

// Login throttling. Failures are counted per (user name, client address) pair and per client
// address; once a key reaches its limit it is locked, first for firstLockout and twice as long after every further failure, up
// to failureWindow. A key's failures are forgotten failureWindow after its last failure or the end
// of its lock, whichever is later, and a successful sign-in forgets both of its keys. A persistent
// guesser therefore gets one try per failureWindow once the backoff has reached it.
//
// There is deliberately no limit per name alone: it would let anyone who knows a colleague's name
// lock them out from anywhere by failing five times. Counting per (name, address) stops a guesser
// at one address just as fast, and the person signing in from their own address is not affected.
// The price is that a guesser with many addresses gets five tries per name from each; the bcrypt
// cost and the passwords' minimum length (12 characters) keep that hopeless.
//
// The address limit is higher than the pair limit because a health trust's staff reach us from
// one NAT address: a few colleagues' typos must not lock the whole trust out, while one address
// trying many names is still stopped.
const (
	userFailureLimit = 5
	ipFailureLimit   = 20
	failureWindow    = 15 * time.Minute
	firstLockout     = time.Minute
	// maxThrottleKeys bounds the memory an attacker spraying names or addresses can make us use.
	maxThrottleKeys = 10_000
)

type throttleKey struct {
	key   string
	limit int
}

func loginKeys(clientIP, name string) []throttleKey {
	return []throttleKey{
		{key: "ip " + clientIP, limit: ipFailureLimit},
		{key: "user " + clientIP + " " + normaliseName(name), limit: userFailureLimit},
	}
}

type strikes struct {
	failures int
	last     time.Time // the latest failure
	until    time.Time // locked until then
}

// throttle is in memory: a restart forgets it, which costs an attacker a restart they cannot cause.
type throttle struct {
	mu      sync.Mutex
	max     int
	entries map[string]*strikes
}

func newThrottle(maxKeys int) *throttle {
	return &throttle{max: maxKeys, entries: map[string]*strikes{}}
}

// attempt refuses (returning how long to wait) when any key is locked; otherwise it counts the
// attempt as a failure on every key, to be forgiven if it succeeds. Checking and counting under
// one lock means parallel attempts cannot all pass the check before any is counted.
func (t *throttle) attempt(now time.Time, keys []throttleKey) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if e := t.live(k.key, now); e != nil && now.Before(e.until) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	if wait > 0 {
		// A refused attempt is not counted: it tested nothing, and counting it would let anyone
		// keep a colleague locked out indefinitely.
		return wait
	}
	for _, k := range keys {
		e := t.live(k.key, now)
		if e == nil {
			e = &strikes{}
			t.makeRoom(now)
			t.entries[k.key] = e
		}
		e.failures++
		e.last = now
		if e.failures >= k.limit {
			lock := firstLockout << min(e.failures-k.limit, 10)
			e.until = now.Add(min(lock, failureWindow))
		}
	}
	return 0
}

// forgive clears the keys after a successful sign-in.
func (t *throttle) forgive(keys []throttleKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.entries, k.key)
	}
}

// live returns the key's entry unless its failures have been forgotten.
func (t *throttle) live(key string, now time.Time) *strikes {
	e, ok := t.entries[key]
	if !ok {
		return nil
	}
	if !now.Before(e.last.Add(failureWindow)) && !now.Before(e.until.Add(failureWindow)) {
		delete(t.entries, key)
		return nil
	}
	return e
}

// makeRoom keeps the map under its bound: first by dropping forgotten entries, then the one whose
// last failure is oldest.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.entries) < t.max {
		return
	}
	for k := range t.entries {
		t.live(k, now)
	}
	for len(t.entries) >= t.max {
		var oldest string
		var at time.Time
		for k, e := range t.entries {
			if oldest == "" || e.last.Before(at) {
				oldest, at = k, e.last
			}
		}
		delete(t.entries, oldest)
	}
}
