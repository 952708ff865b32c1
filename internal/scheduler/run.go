// Package scheduler runs collectors: one-off runs and backfills in chunks that resume after a crash
// or a quota stop, incremental runs that re-fetch a lookback window, and the schedule inside
// `serve`. Every run leaves a collector_runs row naming its owner, with a heartbeat and the
// ClickHouse writes it retried; a failing source never stops another. A lease per source in
// ClickHouse (lease.go) keeps two processes from running one source, and only runs whose owner's
// lease ran out are marked interrupted. A source's from/until bound every run. See README.md.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/store"
)

// Source is one configured source instance, ready to run.
type Source struct {
	ID           string
	Kind         string
	Collector    collectors.Collector
	Interval     time.Duration
	LookbackDays int
	ChunkDays    int
	// StartDate is the first day an incremental run with no history fetches.
	StartDate time.Time
	// From and Until (zero: unbounded) are the only days the source collects, so two sources of
	// one site never write the same site-days: backfills are clipped to them, incremental runs
	// start no earlier than From and stop once Until is held.
	From, Until time.Time
	// Disabled sources run only when started by hand.
	Disabled bool
}

// Run statuses as stored in collector_runs.status.
const (
	StatusRunning     = "running"
	StatusOK          = "ok"
	StatusPartial     = "partial"
	StatusFailed      = "failed"
	StatusThrottled   = "throttled"
	StatusInterrupted = "interrupted"
)

// Run modes.
const (
	ModeIncremental = "incremental"
	ModeBackfill    = "backfill"
)

// ChunkResult is the outcome of one step of a run.
type ChunkResult struct {
	Source  string
	Window  days.Range
	Index   int // 1-based
	Of      int
	Status  string
	Rows    int
	Notes   []string
	Err     error
	RetryAt time.Time
	Elapsed time.Duration
	Skipped bool // done by an earlier, interrupted run of the same backfill
	// Retries counts the ClickHouse writes of this step that had to be tried again.
	Retries int
}

// Summary is the outcome of a whole run.
type Summary struct {
	Source   string
	Window   days.Range
	Chunks   int
	Done     int
	Skipped  int
	Rows     int
	Failed   int
	Partial  int
	Status   string
	Err      error
	RetryAt  time.Time
	ResumeAt time.Time // first day not yet collected, when the run stopped early
	// Retries counts the ClickHouse writes of the run that had to be tried again.
	Retries int
	// Note says why a run did less than asked (the source's from/until), for the operator.
	Note string
}

// Runner runs sources against one store. A source runs at most once at a time: within this
// process (the schedule, an admin, the command line) by a lock, and across processes (`serve` and
// `rekkevidde collect` side by side, or several servers) by a lease in ClickHouse.
type Runner struct {
	store *store.Store
	loc   *time.Location
	log   *slog.Logger
	now   func() time.Time
	owner store.Claimant

	leaseTTL, heartbeat time.Duration

	mu      sync.Mutex
	running map[string]bool
}

// NewRunner returns a runner writing to st; days are counted in loc.
func NewRunner(st *store.Store, loc *time.Location, log *slog.Logger) *Runner {
	return &Runner{store: st, loc: loc, log: log, now: time.Now, running: map[string]bool{},
		owner: processOwner(), leaseTTL: DefaultLeaseTTL, heartbeat: DefaultHeartbeat}
}

// SetClock replaces the runner's clock (default time.Now). The clock decides which day is today for
// incremental runs, how far their checkpoint may move and the times in collector_runs, so tests
// set it to play scheduled runs on chosen days. Set it before runs start or between them, not
// while one is under way; a clock that changes by itself must be safe for concurrent use.
func (r *Runner) SetClock(now func() time.Time) { r.now = now }

// ErrAlreadyRunning is returned when a source is started while a run of it is under way, in this
// process or (as a *BusyError naming the holder) in another.
var ErrAlreadyRunning = errors.New("a run of this source is already under way")

func (r *Runner) acquire(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[id] {
		return false
	}
	r.running[id] = true
	return true
}

func (r *Runner) release(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, id)
}

// Running tells whether a run of source id is under way in this process.
func (r *Runner) Running(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id]
}

// Incremental fetches from the lookback window before the last complete day the source holds up to
// today (or from StartDate / the lookback when it holds nothing), so figures the provider revises
// for a few days are replaced, never added.
func (r *Runner) Incremental(ctx context.Context, src Source, progress func(ChunkResult)) (Summary, error) {
	today := days.Of(r.now(), r.loc)
	last, ok, err := r.checkpoint(ctx, src.ID, ModeIncremental)
	if err != nil {
		return Summary{}, err
	}
	switch {
	case !src.From.IsZero() && today.Before(src.From):
		return Summary{Source: src.ID, Status: StatusOK, Note: fmt.Sprintf("nothing to do: the source starts on %s (from)", days.Format(src.From))}, nil
	case !src.Until.IsZero() && ok && !last.Before(src.Until):
		return Summary{Source: src.ID, Status: StatusOK, Note: fmt.Sprintf("nothing to do: the source ended on %s (until), and holds every day up to it", days.Format(src.Until))}, nil
	case !src.Until.IsZero() && today.After(src.Until):
		today = src.Until
	}
	lookback := max(src.LookbackDays, 1)
	from := today.AddDate(0, 0, -lookback+1)
	switch {
	case ok:
		from = last.AddDate(0, 0, -lookback+1)
	case !src.StartDate.IsZero():
		from = src.StartDate
	}
	if from.Before(src.From) {
		from = src.From
	}
	if from.After(today) {
		from = today
	}
	window := days.Range{From: from, To: today}
	return r.run(ctx, src, ModeIncremental, ModeIncremental, window, false, progress)
}

// Backfill fetches window in chunks. If an earlier backfill of the same window stopped part-way
// (crash, quota), it resumes after the last chunk that succeeded; restart starts over.
//
// The window is clipped to the source's from/until: a source never writes a day outside them.
func (r *Runner) Backfill(ctx context.Context, src Source, window days.Range, restart bool, progress func(ChunkResult)) (Summary, error) {
	clipped, ok := clip(window, src.From, src.Until)
	if !ok {
		return Summary{Source: src.ID, Window: window, Status: StatusOK,
			Note: fmt.Sprintf("nothing to do: %s is outside the source's days (%s)", window, spanOf(src))}, nil
	}
	job := fmt.Sprintf("%s:%s", ModeBackfill, clipped)
	sum, err := r.run(ctx, src, ModeBackfill, job, clipped, restart, progress)
	if err == nil && (!clipped.From.Equal(window.From) || !clipped.To.Equal(window.To)) {
		sum.Note = fmt.Sprintf("fetched %s only: the source collects %s", clipped, spanOf(src))
	}
	return sum, err
}

// clip narrows w to from..until (zero: unbounded); ok is false when nothing is left.
func clip(w days.Range, from, until time.Time) (days.Range, bool) {
	if !from.IsZero() && w.From.Before(from) {
		w.From = from
	}
	if !until.IsZero() && w.To.After(until) {
		w.To = until
	}
	return w, !w.To.Before(w.From)
}

func spanOf(src Source) string {
	switch {
	case src.From.IsZero():
		return "up to " + days.Format(src.Until)
	case src.Until.IsZero():
		return "from " + days.Format(src.From)
	default:
		return days.Format(src.From) + ".." + days.Format(src.Until)
	}
}

func (r *Runner) run(ctx context.Context, src Source, mode, job string, window days.Range, restart bool, progress func(ChunkResult)) (Summary, error) {
	if !r.acquire(src.ID) {
		return Summary{}, fmt.Errorf("%s: %w", src.ID, ErrAlreadyRunning)
	}
	defer r.release(src.ID)
	lease, err := r.claim(ctx, src.ID)
	if err != nil {
		return Summary{}, err
	}
	ctx, stop := lease.keep(ctx)
	defer stop()

	resumeFrom := window.From
	if mode == ModeBackfill && !restart {
		last, ok, done, err := r.backfillState(ctx, src.ID, job)
		if err != nil {
			return Summary{}, err
		}
		if ok && !done && !last.Before(window.From) {
			resumeFrom = last.AddDate(0, 0, 1)
		}
	}
	chunks := window.Chunks(max(src.ChunkDays, 1))
	sum := Summary{Source: src.ID, Window: window, Chunks: len(chunks), Status: StatusOK}
	for i, chunk := range chunks {
		if chunk.To.Before(resumeFrom) {
			sum.Skipped++
			if progress != nil {
				progress(ChunkResult{Source: src.ID, Window: chunk, Index: i + 1, Of: len(chunks), Status: StatusOK, Skipped: true})
			}
			continue
		}
		if ctx.Err() != nil {
			sum.Status, sum.Err, sum.ResumeAt = StatusInterrupted, context.Cause(ctx), chunk.From
			return sum, nil
		}
		stepCtx, retries := store.CountRetries(ctx)
		res := r.chunk(stepCtx, lease, src, mode, chunk)
		res.Index, res.Of = i+1, len(chunks)
		if progress != nil {
			progress(res)
		}
		sum.Rows += res.Rows
		switch res.Status {
		case StatusOK, StatusPartial:
			sum.Done++
			if res.Status == StatusPartial {
				sum.Partial++
				sum.Status, sum.Err = StatusPartial, res.Err
			}
			// A partial chunk still advances: its error (a withdrawn metric, say) will not mend by
			// re-fetching, it is shown as broken until the config is fixed and the dates backfilled.
			err := r.advance(stepCtx, src.ID, mode, job, chunk, i == len(chunks)-1)
			sum.Retries += retries.N()
			if err != nil {
				// The figures are stored but the checkpoint did not move: the next run starts
				// this step again, which replaces rather than adds.
				sum.Status, sum.Err, sum.ResumeAt = StatusFailed, err, chunk.From
				return sum, nil
			}
		default:
			// Failed or throttled: stop here, so the next run or backfill resumes at this chunk
			// and nothing after a gap is marked as held.
			sum.Retries += retries.N()
			sum.Failed++
			sum.Status, sum.Err, sum.RetryAt, sum.ResumeAt = res.Status, res.Err, res.RetryAt, chunk.From
			return sum, nil
		}
	}
	return sum, nil
}

// chunk runs the collector over one window and stores what it returned, recording the run.
func (r *Runner) chunk(ctx context.Context, lease *heldLease, src Source, mode string, window days.Range) ChunkResult {
	started := r.now().UTC().Truncate(time.Second)
	rec := runRecord{ID: newRunID(), Source: src.ID, Mode: mode, Window: window, Started: started, Heartbeat: started,
		Owner: r.owner.Owner, Res: ChunkResult{Source: src.ID, Window: window, Status: StatusRunning}}
	res := rec.Res
	if err := r.recordRun(ctx, rec); err != nil {
		res.Status, res.Err = StatusFailed, err
		return res
	}
	lease.setStep(&rec)
	sink := &collectors.Sink{}
	collectErr := safeCollect(ctx, src.Collector, window, sink)
	if cause := context.Cause(ctx); collectErr != nil && cause != nil && !errors.Is(collectErr, cause) {
		collectErr = fmt.Errorf("%w (%w)", collectErr, cause) // say why the run was cut: a lost lease
	}
	records := sink.Records()
	res.Notes = sink.Notes()
	var storeErr error
	if len(records) > 0 {
		storeErr = r.store.Write(ctx, src.ID, store.NewVersion(), records)
	}
	switch {
	case storeErr != nil:
		res.Status, res.Err = StatusFailed, storeErr
	case collectErr != nil && errors.Is(collectErr, collectors.ErrRateLimited):
		res.Status, res.Err = StatusThrottled, collectErr
		res.Rows = len(records)
		var apiErr *collectors.APIError
		if errors.As(collectErr, &apiErr) {
			res.RetryAt = apiErr.RetryAt
		}
	case collectErr != nil && collectors.EndsRun(ctx, collectErr):
		// Credentials refused or the run cut part-way: what arrived is stored, but the step is not
		// done — the families after the failure were never asked — so it must not advance the
		// checkpoint; the next run or the same backfill again fetches the whole step anew.
		res.Status, res.Err, res.Rows = StatusFailed, collectErr, len(records)
	case collectErr != nil && len(records) > 0:
		res.Status, res.Err, res.Rows = StatusPartial, collectErr, len(records)
	case collectErr != nil:
		res.Status, res.Err = StatusFailed, collectErr
	default:
		res.Status, res.Rows = StatusOK, len(records)
	}
	finished := r.now().UTC().Truncate(time.Second)
	res.Elapsed = r.now().Sub(started)
	if c := store.RetryCountOf(ctx); c != nil {
		res.Retries = c.N()
	}
	lease.setStep(nil) // no heartbeat may follow the final row
	rec.Finished, rec.Heartbeat, rec.Res = &finished, finished, res
	// The run row is written with a fresh context: a cancelled run must still say it ended.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := r.recordRun(recordCtx, rec); err != nil {
		r.log.Error("could not record collector run", "source", src.ID, "err", err)
	}
	level := slog.LevelInfo
	if res.Err != nil {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "collector run", "source", src.ID, "window", window.String(), "status", res.Status,
		"rows", res.Rows, "retries", res.Retries, "notes", strings.Join(res.Notes, "; "), "err", res.Err)
	return res
}

// safeCollect turns a panicking collector into a failed run instead of a dead process.
func safeCollect(ctx context.Context, c collectors.Collector, window days.Range, sink *collectors.Sink) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("collector panicked: %v", p)
		}
	}()
	return c.Collect(ctx, window, sink)
}

// runRecord is one collector_runs row: a step of a run, as it starts, beats and ends.
type runRecord struct {
	ID, Source, Mode string
	Window           days.Range
	Started          time.Time
	Finished         *time.Time
	Heartbeat        time.Time
	// Owner is the process running the step (host:pid:instance).
	Owner string
	Res   ChunkResult
}

// recordRun writes rec, folds it into its source's source_status row and bumps the data version:
// a run starting, ending or found interrupted changes what the freshness strip shows. The run row
// goes first, so the summary never tells of a run collector_runs lacks.
func (r *Runner) recordRun(ctx context.Context, rec runRecord) error {
	version := store.NewVersion()
	if err := r.writeRun(ctx, rec, version); err != nil {
		return err
	}
	errText := ""
	if rec.Res.Err != nil {
		errText = rec.Res.Err.Error()
	}
	return r.store.FoldRun(ctx, store.RunRow{RunID: rec.ID, Source: rec.Source, Mode: rec.Mode, Status: rec.Res.Status,
		Error: errText, Started: rec.Started, Finished: rec.Finished, WindowTo: rec.Window.To,
		Rows: uint64(rec.Res.Rows), Version: version})
}

// recordHeartbeat re-writes a running rec with its new heartbeat_at. It neither folds it into
// source_status nor bumps the data version: a heartbeat carries no figure and re-states the running
// row (the runs page, which shows heartbeats, is never cached), so it must not empty every cache
// every 30 s.
func (r *Runner) recordHeartbeat(ctx context.Context, rec runRecord) error {
	return r.writeRun(ctx, rec, store.NewVersion())
}

func (r *Runner) writeRun(ctx context.Context, rec runRecord, version uint64) error {
	res := rec.Res
	errText := ""
	if res.Err != nil {
		errText = res.Err.Error()
	}
	var retryAt, heartbeat *time.Time
	if !res.RetryAt.IsZero() {
		t := res.RetryAt.UTC()
		retryAt = &t
	}
	if !rec.Heartbeat.IsZero() {
		heartbeat = &rec.Heartbeat
	}
	return r.store.InsertUnversioned(ctx, "collector_runs",
		[]string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
			"rows_written", "error", "notes", "retry_at", "owner", "heartbeat_at", "retries", "version"},
		[][]any{{rec.ID, rec.Source, rec.Mode, rec.Window.From, rec.Window.To, rec.Started, rec.Finished, res.Status,
			uint64(res.Rows), errText, strings.Join(res.Notes, "\n"), retryAt, rec.Owner, heartbeat, uint32(res.Retries), version}})
}

// advance records that the source now holds chunk completely. The incremental checkpoint never
// moves past yesterday: today's figures are still growing and are fetched again next time.
func (r *Runner) advance(ctx context.Context, source, mode, job string, chunk days.Range, last bool) error {
	day := chunk.To
	if mode == ModeIncremental {
		yesterday := days.Of(r.now(), r.loc).AddDate(0, 0, -1)
		if day.After(yesterday) {
			day = yesterday
		}
		prev, ok, err := r.checkpoint(ctx, source, ModeIncremental)
		if err != nil {
			return err
		}
		if ok && !day.After(prev) {
			return nil
		}
	}
	done := uint8(0)
	if mode == ModeBackfill && last {
		done = 1
	}
	return r.store.Insert(ctx, "collector_checkpoints", []string{"source", "job", "last_day", "done", "version"},
		[][]any{{source, job, day, done, store.NewVersion()}})
}

// dueIn is how long until src's next scheduled run is due, counted on ClickHouse's clock from
// the start of its latest incremental run by any process (source_status, one row per source,
// rather than every run of the source): zero when it is due now. A run counts
// from its start whatever its outcome (a failed one is retried on the next schedule, not at once);
// the tenth of the interval the schedule jitters by is forgiven so instances do not skip a run
// that is only a little early.
func (r *Runner) dueIn(ctx context.Context, src Source) (time.Duration, error) {
	var ago int64
	err := r.store.Retry(ctx, "read last scheduled run of "+src.ID, func(ctx context.Context) error {
		return r.store.Conn().QueryRow(ctx,
			"SELECT toInt64(now()) - toInt64(maxMerge(last_incremental)) FROM source_status WHERE source = ?",
			src.ID).Scan(&ago)
	})
	if err != nil {
		return 0, fmt.Errorf("last scheduled run of %s: %w", src.ID, err)
	}
	left := src.Interval - src.Interval/10 - time.Duration(ago)*time.Second
	return max(left, 0), nil
}

func (r *Runner) checkpoint(ctx context.Context, source, job string) (time.Time, bool, error) {
	last, ok, _, err := r.backfillState(ctx, source, job)
	return last, ok, err
}

func (r *Runner) backfillState(ctx context.Context, source, job string) (last time.Time, ok, done bool, err error) {
	err = r.store.Retry(ctx, "read checkpoint of "+source, func(ctx context.Context) error {
		ok, done = false, false
		rows, err := r.store.Conn().Query(ctx,
			"SELECT last_day, done FROM collector_checkpoints FINAL WHERE source = ? AND job = ?", source, job)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		if rows.Next() {
			var d uint8
			if err := rows.Scan(&last, &d); err != nil {
				return err
			}
			last, ok, done = last.UTC(), true, d == 1
		}
		return rows.Err()
	})
	if err != nil {
		return time.Time{}, false, false, fmt.Errorf("read checkpoint of %s: %w", source, err)
	}
	return last, ok, done, nil
}

// MarkInterrupted closes runs left "running" by a process that stopped, so the health view does
// not show them as under way forever. A run is taken as stopped only when its owner no longer holds
// a live lease on its source (its heartbeat ran out): a run another process (`rekkevidde collect`
// beside `serve`) still has open is left alone. Runs written before runs had owners are closed.
func (r *Runner) MarkInterrupted(ctx context.Context) (int, error) {
	return r.closeDeadRuns(ctx, "")
}

// closeDeadRuns closes the running rows of source (every source when empty) whose owner holds no
// live lease.
func (r *Runner) closeDeadRuns(ctx context.Context, source string) (int, error) {
	query := `
SELECT run_id, source, mode, window_from, window_to, started_at, rows_written, owner, retries, heartbeat_at
FROM collector_runs FINAL WHERE status = 'running'`
	var args []any
	if source != "" {
		query += " AND source = ?"
		args = append(args, source)
	}
	var found []runRecord
	err := r.store.Retry(ctx, "find interrupted runs", func(ctx context.Context) error {
		found = found[:0]
		rows, err := r.store.Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var rec runRecord
			var n uint64
			var retries uint32
			var heartbeat *time.Time
			if err := rows.Scan(&rec.ID, &rec.Source, &rec.Mode, &rec.Window.From, &rec.Window.To, &rec.Started, &n, &rec.Owner, &retries, &heartbeat); err != nil {
				return err
			}
			if heartbeat != nil {
				rec.Heartbeat = heartbeat.UTC()
			}
			rec.Res = ChunkResult{Status: StatusInterrupted, Rows: int(n), Retries: int(retries),
				Err: errors.New("the process stopped before this run ended (its heartbeat ran out)")}
			found = append(found, rec)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("find interrupted runs: %w", err)
	}
	live := map[string]map[string]bool{} // source → owners holding a live lease
	closed := 0
	now := r.now().UTC().Truncate(time.Second)
	for _, rec := range found {
		if _, ok := live[rec.Source]; !ok {
			leases, err := r.store.LiveLeases(ctx, rec.Source)
			if err != nil {
				return closed, err
			}
			live[rec.Source] = map[string]bool{}
			for _, l := range leases {
				live[rec.Source][l.Owner] = true
			}
		}
		if rec.Owner != "" && live[rec.Source][rec.Owner] {
			continue
		}
		rec.Finished = &now
		if err := r.recordRun(ctx, rec); err != nil {
			return closed, err
		}
		closed++
	}
	return closed, nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
