package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Scheduler runs every source on its own interval inside `serve`. Each source has its own
// goroutine, so a slow or failing source never delays another.
type Scheduler struct {
	runner  *Runner
	sources []Source
	log     *slog.Logger
	// triggers lets an admin start a source now (from the dashboard).
	triggers map[string]chan struct{}

	// progress is the last finished step of each run under way, for the dashboard to follow.
	mu       sync.Mutex
	progress map[string]ChunkResult
}

// New returns a scheduler for sources.
func New(runner *Runner, sources []Source, log *slog.Logger) *Scheduler {
	triggers := make(map[string]chan struct{}, len(sources))
	for _, s := range sources {
		triggers[s.ID] = make(chan struct{}, 1)
	}
	return &Scheduler{runner: runner, sources: sources, log: log, triggers: triggers, progress: map[string]ChunkResult{}}
}

// Running tells whether a run of source id is under way in this process.
func (s *Scheduler) Running(id string) bool { return s.runner.Running(id) }

// Progress is how many steps of source id's run under way have finished, of how many; ok is false
// when no step has finished yet or no run is under way.
func (s *Scheduler) Progress(id string) (done, total int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.progress[id]
	return p.Index, p.Of, ok
}

func (s *Scheduler) track(id string) func(ChunkResult) {
	return func(res ChunkResult) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.progress[id] = res
	}
}

func (s *Scheduler) untrack(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.progress, id)
}

// ErrUnknownSource is returned by Trigger for an id that is not configured.
var ErrUnknownSource = errors.New("no such source is configured")

// Trigger asks for an immediate run of source id; a run already asked for or under way is not
// doubled.
func (s *Scheduler) Trigger(id string) error {
	ch, ok := s.triggers[id]
	if !ok {
		return ErrUnknownSource
	}
	select {
	case ch <- struct{}{}:
	default:
	}
	return nil
}

// Run blocks until ctx ends, running each source on its interval.
func (s *Scheduler) Run(ctx context.Context) {
	if n, err := s.runner.MarkInterrupted(ctx); err != nil {
		s.log.Error("could not close runs left open by a process that stopped", "err", err)
	} else if n > 0 {
		s.log.Warn("closed runs left open by a process that stopped (their heartbeat ran out)", "runs", n)
	}
	var wg sync.WaitGroup
	for _, src := range s.sources {
		if src.Disabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, src)
		}()
	}
	wg.Wait()
}

func (s *Scheduler) loop(ctx context.Context, src Source) {
	// A short random delay spreads the first runs so that every source does not start at once.
	wait := jitter(min(src.Interval/10, 30*time.Second))
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
			// The schedule is shared by every instance against this database: when another
			// instance (or this one before a restart) ran the source less than an interval ago,
			// wait out the rest of that interval instead of running it again.
			if left, err := s.runner.dueIn(ctx, src); err != nil {
				s.log.Warn("could not read the source's last scheduled run; running it now", "source", src.ID, "err", err)
			} else if left > 0 {
				wait = left + jitter(src.Interval/20)
				continue
			}
		case <-s.triggers[src.ID]:
			timer.Stop()
		}
		sum, err := s.runner.Incremental(ctx, src, s.track(src.ID))
		s.untrack(src.ID)
		wait = src.Interval + jitter(src.Interval/10) - src.Interval/20
		var busy *BusyError
		switch {
		case errors.As(err, &busy):
			// `rekkevidde collect` or another server runs it: look again soon, not a whole
			// interval later, so the schedule resumes shortly after that run ends.
			s.log.Info("skipped scheduled run: another process is running this source", "source", src.ID,
				"host", busy.Holder.Host, "pid", busy.Holder.PID, "since", busy.Holder.Since)
			wait = min(wait, busyRetry+jitter(busyRetry/10))
		case errors.Is(err, ErrAlreadyRunning):
			s.log.Info("skipped scheduled run: one is under way", "source", src.ID)
		case err != nil:
			s.log.Error("scheduled run could not start", "source", src.ID, "err", err)
		case sum.Status == StatusThrottled && !sum.RetryAt.IsZero():
			// The provider said when to come back; come back then, not before.
			if until := time.Until(sum.RetryAt); until > wait {
				wait = until
			}
		}
	}
}

// busyRetry is how soon a source another process was running is tried again.
const busyRetry = 5 * time.Minute

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
