package cache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// DefaultPoll is how often an instance asks for the data version. A write by another process
// (another serve, a `rekkevidde collect`) shows on this instance's next page within this plus
// one page's computation: well inside the five seconds promised.
const DefaultPoll = 2 * time.Second

// Versions follows the data version: the last one polled from ClickHouse, or this process's own
// latest write when that is newer, so a write here shows on the very next page.
type Versions struct {
	read   func(ctx context.Context) (uint64, error)
	local  func() uint64
	log    *slog.Logger
	polled atomic.Uint64
	failed atomic.Bool
}

// NewVersions follows the version read returns (Store.DataVersion) and local returns
// (Store.WrittenVersion; nil when the process writes nothing).
func NewVersions(read func(ctx context.Context) (uint64, error), local func() uint64, log *slog.Logger) *Versions {
	if local == nil {
		local = func() uint64 { return 0 }
	}
	return &Versions{read: read, local: local, log: log}
}

// Current is the version to key cache entries by now. Both sources only grow, so the larger is
// the newer.
func (v *Versions) Current() uint64 {
	return max(v.polled.Load(), v.local())
}

// Refresh reads the version once. On failure the last known version stays: a ClickHouse that
// cannot be read is rarely one that is being written to, and pages not cached fail on their own.
func (v *Versions) Refresh(ctx context.Context) error {
	n, err := v.read(ctx)
	if err != nil {
		return err
	}
	for {
		old := v.polled.Load()
		if n <= old || v.polled.CompareAndSwap(old, n) {
			return nil
		}
	}
}

// Poll refreshes the version every interval until ctx ends. Failures are logged once when they
// start and once when they stop, not every interval.
func (v *Versions) Poll(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, every)
		err := v.Refresh(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !v.failed.Swap(true):
			v.log.Warn("cannot read the data version; pages are cached under the last known one", "err", err)
		case err == nil && v.failed.Swap(false):
			v.log.Info("data version readable again")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
