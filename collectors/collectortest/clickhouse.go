package collectortest

import (
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
)

// The ClickHouse outage of CutClickHouse lasts until a client has met it, and this much longer so
// that a retry or two meets it too; at the latest it ends after cutLongest.
const (
	cutAfterMet = 300 * time.Millisecond
	cutLongest  = 5 * time.Second
)

// CutClickHouse returns a store on st's database whose connections pass through a TCP proxy, and
// cut, which the first time it is called drops every connection of that store and refuses new
// ones until a write (or read) has met the outage, then lets them through again shortly after.
// Later calls do nothing, so a fake may call cut from its handler on its n-th request, mid-run.
// The store's retries are shortened to outlast the outage in seconds, not the production
// policy's minute. When the test ends it fails unless cut was called and a client met the
// outage: a cut that nothing noticed would prove nothing.
func CutClickHouse(t testing.TB, st *store.Store) (*store.Store, func()) {
	t.Helper()
	proxy := chtest.NewProxy(t)
	via := chtest.OpenVia(t, st, proxy.Addr())
	// About 11 s of retries: longer than the longest outage.
	via.SetRetryPolicy(store.RetryPolicy{Attempts: 30, Wait: 50 * time.Millisecond, MaxWait: 400 * time.Millisecond})
	var once sync.Once
	var outage time.Duration // written before restored is closed
	restored := make(chan struct{})
	cut := func() {
		once.Do(func() {
			proxy.Cut()
			go func() {
				defer close(restored)
				start := time.Now()
				for proxy.Refused() == 0 && time.Since(start) < cutLongest {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(cutAfterMet)
				proxy.Restore()
				outage = time.Since(start)
			}()
		})
	}
	// Registered after the proxy's and the store's own clean-ups, so it runs before them.
	t.Cleanup(func() {
		called := true
		once.Do(func() { called = false })
		if !called {
			t.Errorf("the ClickHouse connection was never cut")
			return
		}
		<-restored
		t.Logf("ClickHouse cut for %s, %d connections refused", outage.Round(time.Millisecond), proxy.Refused())
		if proxy.Refused() == 0 {
			t.Errorf("no ClickHouse client met the outage within %s of the cut", cutLongest)
		}
	})
	return via, cut
}
