package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/internal/store"
)

// Lease timing defaults: a run renews its lease (and its run row's heartbeat) every 30 s, and a
// lease that was not renewed for 2 minutes is free — a process that died is noticed within 2
// minutes, and a busy machine has four chances to renew before its lease could be taken.
const (
	DefaultLeaseTTL  = 2 * time.Minute
	DefaultHeartbeat = 30 * time.Second
)

// ErrLeaseLost ends a run whose lease could not be renewed before it expired: from then on another
// process may run the source, so this one stops.
var ErrLeaseLost = errors.New("lost the lease on this source (ClickHouse could not be reached to renew it)")

// BusyError is returned when another process holds the source's lease.
type BusyError struct {
	Source string
	Holder store.Lease
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("already being collected by another process: host %s, pid %d, since %s UTC; "+
		"wait for it to finish, or stop that process", e.Holder.Host, e.Holder.PID, e.Holder.Since.UTC().Format("2006-01-02 15:04:05"))
}

// Is makes a BusyError match ErrAlreadyRunning, whichever process holds the run.
func (e *BusyError) Is(target error) bool { return target == ErrAlreadyRunning }

// processOwner identifies this runner in leases and run rows: the host and pid a person can look
// for, and a random instance id so two runners in one process (tests) or a reused pid differ.
func processOwner() store.Claimant {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	pid := os.Getpid()
	return store.Claimant{Owner: fmt.Sprintf("%s:%d:%s", host, pid, newRunID()[:8]), Host: host, PID: uint32(pid)}
}

// SetLeaseTiming replaces the lease's time to live and the heartbeat interval (defaults
// DefaultLeaseTTL and DefaultHeartbeat); tests shorten them. The heartbeat must be well under the TTL.
func (r *Runner) SetLeaseTiming(ttl, heartbeat time.Duration) {
	r.leaseTTL, r.heartbeat = ttl, heartbeat
}

// Owner is this runner's identity in leases and run rows (host:pid:instance).
func (r *Runner) Owner() string { return r.owner.Owner }

// heldLease is a lease this runner holds for one source while it runs it. Its heartbeat renews the
// lease and re-records the step under way with a fresh heartbeat_at.
type heldLease struct {
	r      *Runner
	source string
	me     store.Claimant

	mu      sync.Mutex
	version uint64
	step    *runRecord // the step under way, nil between steps
	// validUntil is the latest moment, on this host's monotonic clock, until which nobody else can
	// have claimed the source: the start of the last successful write plus the TTL, less a second
	// for the server's whole-second expiry.
	validUntil time.Time
}

// claim takes the lease on source, or says who holds it.
func (r *Runner) claim(ctx context.Context, source string) (*heldLease, error) {
	me := r.owner
	me.Since = r.now().UTC()
	l := &heldLease{r: r, source: source, me: me}
	start := time.Now()
	held, holder, stale, err := r.store.ClaimLease(ctx, source, me, r.leaseTTL, l.nextVersion())
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", source, err)
	}
	if !held {
		return nil, &BusyError{Source: source, Holder: holder}
	}
	l.validUntil = start.Add(r.leaseTTL - time.Second)
	l.version += 5 // ClaimLease uses up to version+5 to withdraw and claim again
	if len(stale) > 0 {
		r.closeAfterDeadOwners(ctx, source, stale)
	}
	return l, nil
}

// closeAfterDeadOwners closes the runs that processes which died while holding source left open,
// then releases their expired claims so this happens once.
func (r *Runner) closeAfterDeadOwners(ctx context.Context, source string, stale []store.Lease) {
	n, err := r.closeDeadRuns(ctx, source)
	if err != nil {
		r.log.Warn("could not close runs left open by a process that stopped", "source", source, "err", err)
		return
	}
	if n > 0 {
		r.log.Warn("closed runs left open by a process that stopped (its heartbeat ran out)", "source", source, "runs", n)
	}
	for _, l := range stale {
		dead := store.Claimant{Owner: l.Owner, Host: l.Host, PID: l.PID, Since: l.Since}
		if err := r.store.ReleaseLease(ctx, source, dead, store.NewVersion()); err != nil {
			r.log.Warn("could not release an expired claim", "source", source, "owner", l.Owner, "err", err)
		}
	}
}

func (l *heldLease) nextVersion() uint64 {
	l.version = max(store.NewVersion(), l.version+1)
	return l.version
}

// keep renews the lease until stop is called, and cancels the returned context (cause
// ErrLeaseLost) if the lease runs out unrenewed. stop waits for the heartbeat to end and releases
// the lease.
func (l *heldLease) keep(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		ticker := time.NewTicker(l.r.heartbeat)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			if !l.beat(ctx) {
				cancel(ErrLeaseLost)
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-ended
		cancel(nil)
		// Released with a fresh context: a cancelled run must still free its source at once.
		releaseCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
		l.mu.Lock()
		version := l.nextVersion()
		l.mu.Unlock()
		if err := l.r.store.ReleaseLease(releaseCtx, l.source, l.me, version); err != nil {
			l.r.log.Warn("could not release the lease; it expires by itself", "source", l.source, "err", err)
		}
	}
}

// beat renews the lease and the step's heartbeat; it reports whether the lease is still held. A
// renewal counts only if it was stored before the lease could have expired: after that another
// process may have claimed the source, and this one must stop.
func (l *heldLease) beat(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	beatCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.r.heartbeat)
	defer cancel()
	start := time.Now()
	if !start.Before(l.validUntil) {
		return false
	}
	err := l.r.store.RenewLease(beatCtx, l.source, l.me, l.r.leaseTTL, l.nextVersion())
	if stored := time.Now(); err != nil || !stored.Before(l.validUntil) {
		if err != nil {
			l.r.log.Warn("could not renew the lease", "source", l.source, "err", err)
		}
		return stored.Before(l.validUntil) // a failed renewal is tried again at the next beat
	}
	l.validUntil = start.Add(l.r.leaseTTL - time.Second)
	if l.step != nil {
		step := *l.step
		step.Heartbeat = l.r.now().UTC().Truncate(time.Second)
		if err := l.r.recordHeartbeat(beatCtx, step); err != nil {
			l.r.log.Warn("could not record the run's heartbeat", "source", l.source, "err", err)
		}
	}
	return true
}

// setStep names the step under way (nil: none), for the heartbeat to re-record. Taking the lock
// also waits for a heartbeat write in flight, so a step's final row is always written after, and
// with a higher version than, its last heartbeat.
func (l *heldLease) setStep(step *runRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.step = step
}
