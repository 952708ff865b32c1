package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// wholeTable is what the freshness strip, the provenance notes and the schedule read from
// collector_runs before source_status existed: per source the newest run (FINAL over its latest
// start), its last success over every run ever recorded, and its latest incremental start. It is
// the definition source_status must agree with. Where that query chose arbitrarily — runs that
// started or finished in the same second, as the steps of a backfill do (and, here, every step
// under a test's fixed clock) — the row written last wins, as (…, version) says: source_status
// makes that choice too, and merges cannot change it.
const wholeTable = `
SELECT source, last_started, last_status, last_error, last_rows, n_ok, last_ok, data_through, inc
FROM (
    SELECT source, last_started, last_status, last_error, last_rows, n_ok, last_ok, data_through
    FROM (
        SELECT source, max(started_at) AS last_started, argMax(status, (started_at, version)) AS last_status,
               argMax(error, (started_at, version)) AS last_error, argMax(rows_written, (started_at, version)) AS last_rows
        FROM collector_runs FINAL
        WHERE (source, started_at) IN (SELECT source, max(started_at) FROM collector_runs GROUP BY source)
        GROUP BY source
    )
    ANY LEFT JOIN (
        SELECT source, count() AS n_ok, max(assumeNotNull(finished_at)) AS last_ok,
               argMax(window_to, (assumeNotNull(finished_at), version)) AS data_through
        FROM collector_runs
        WHERE status IN ('ok', 'partial') AND finished_at IS NOT NULL
        GROUP BY source
    ) USING source
)
ANY LEFT JOIN (
    SELECT source, max(started_at) AS inc FROM collector_runs WHERE mode = 'incremental' GROUP BY source
) USING source
ORDER BY source`

// status is one source's line on the strip, as both definitions give it.
func statusLine(source string, started time.Time, status, errText string, rows uint64, lastOK, through *time.Time, inc time.Time) string {
	ok := "never"
	if lastOK != nil {
		ok = lastOK.UTC().Format(time.DateTime) + " through " + through.Format(time.DateOnly)
	}
	return fmt.Sprintf("%s: newest %s %s %q rows %d; last ok %s; incremental %s", source, started.UTC().Format(time.DateTime),
		status, errText, rows, ok, inc.UTC().Format(time.DateTime))
}

func oldStrip(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), wholeTable)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var source, status, errText string
		var started, lastOK, through, inc time.Time
		var n, nOK uint64
		if err := rows.Scan(&source, &started, &status, &errText, &n, &nOK, &lastOK, &through, &inc); err != nil {
			t.Fatal(err)
		}
		var ok, thr *time.Time
		if nOK > 0 {
			ok, thr = &lastOK, &through
		}
		out = append(out, statusLine(source, started, status, errText, n, ok, thr, inc))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newStrip is the same through the readers pages and the schedule use: query.SourceFreshness and
// the runner's dueIn (whose incremental start is read back from source_status alone).
func newStrip(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	fs, err := query.New(st.Conn()).SourceFreshness(ctx, query.FreshnessOptions{Now: time.Now(), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		r := f.Runs
		if r == nil {
			t.Fatalf("%s: no runs on the strip", f.Source)
		}
		var inc time.Time
		if err := st.Conn().QueryRow(ctx, "SELECT maxMerge(last_incremental) FROM source_status WHERE source = ?", f.Source).Scan(&inc); err != nil {
			t.Fatal(err)
		}
		out = append(out, statusLine(f.Source, r.LastStarted, r.LastStatus, r.LastError, r.LastRows, r.LastOK, r.DataThrough, inc))
	}
	return out
}

func sameStrip(t *testing.T, st *store.Store, step string) {
	t.Helper()
	old, now := oldStrip(t, st), newStrip(t, st)
	if fmt.Sprint(old) != fmt.Sprint(now) {
		t.Fatalf("after %s, source_status says\n%v\nbut the whole of collector_runs says\n%v", step, joinLines(now), joinLines(old))
	}
}

func joinLines(l []string) string {
	s := ""
	for _, x := range l {
		s += "  " + x + "\n"
	}
	return s
}

// source_status ends up equal to the whole-table definition after every kind of run, written by
// two processes, including a run a dead process left open that another process marks interrupted
// after a newer run of the source began, and a success years old followed by failures.
func TestSourceStatusEqualsTheWholeTableDefinition(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	collect, serve := newTestRunner(t, st), secondProcess(t, st)
	at := func(r *Runner, y int, m time.Month, d int) {
		r.SetClock(func() time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) })
	}
	boom := errors.New("fake: server said 500")
	failing := &fakeWeb{fail: func(int, days.Range) error { return boom }}
	partial := collectorFunc(func(ctx context.Context, w days.Range, sink *collectors.Sink) error {
		if err := (&fakeWeb{}).Collect(ctx, w, sink); err != nil {
			return err
		}
		return errors.New("fake: metric withdrawn")
	})

	// Years ago: a backfill and an incremental run that succeeded; then only failures since.
	at(collect, 2019, time.March, 1)
	if _, err := collect.Backfill(ctx, Source{ID: "old", Collector: &fakeWeb{}, ChunkDays: 31}, days.Range{From: days.Date(2019, 1, 1), To: days.Date(2019, 2, 28)}, false, nil); err != nil {
		t.Fatal(err)
	}
	at(collect, 2019, time.March, 2)
	if _, err := collect.Incremental(ctx, Source{ID: "old", Collector: &fakeWeb{}}, nil); err != nil {
		t.Fatal(err)
	}
	sameStrip(t, st, "old successes")
	for i, r := range []*Runner{serve, collect, serve} {
		at(r, 2023, time.June, 10+i)
		if sum, err := r.Incremental(ctx, Source{ID: "old", Collector: failing}, nil); err != nil || sum.Status != StatusFailed {
			t.Fatalf("failure %d: %+v %v", i, sum, err)
		}
	}
	sameStrip(t, st, "failures years after the last success")

	// ok, then partial by the other process, then failed.
	at(collect, 2023, time.June, 12)
	if _, err := collect.Incremental(ctx, Source{ID: "web", Collector: &fakeWeb{}}, nil); err != nil {
		t.Fatal(err)
	}
	at(serve, 2023, time.June, 13)
	if sum, err := serve.Incremental(ctx, Source{ID: "web", Collector: partial}, nil); err != nil || sum.Status != StatusPartial {
		t.Fatalf("partial: %+v %v", sum, err)
	}
	sameStrip(t, st, "ok then partial")
	at(collect, 2023, time.June, 14)
	if _, err := collect.Incremental(ctx, Source{ID: "web", Collector: failing}, nil); err != nil {
		t.Fatal(err)
	}
	sameStrip(t, st, "ok, partial, failed")

	// A process died mid-run (its lease ran out); a newer run of the source then succeeded, and
	// only afterwards does the other process mark the dead run interrupted: the newest run stays
	// the newer one, as in collector_runs.
	dead := store.Claimant{Owner: "gone:4242:abcd", Host: "gone", PID: 4242, Since: time.Now()}
	if err := st.ReleaseLease(ctx, "crash", dead, store.NewVersion()); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2023, time.June, 14, 1, 0, 0, 0, time.UTC)
	if err := collect.recordRun(ctx, runRecord{ID: "deadrun", Source: "crash", Mode: ModeIncremental, Window: jan2022,
		Started: started, Heartbeat: started, Owner: dead.Owner, Res: ChunkResult{Status: StatusRunning}}); err != nil {
		t.Fatal(err)
	}
	sameStrip(t, st, "a run left open")
	at(collect, 2023, time.June, 15)
	if _, err := collect.Backfill(ctx, Source{ID: "crash", Collector: &fakeWeb{}, ChunkDays: 366}, jan2022, false, nil); err != nil {
		t.Fatal(err)
	}
	at(serve, 2023, time.June, 16)
	if n, err := serve.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("marked %d interrupted, %v; want the dead run", n, err)
	}
	sameStrip(t, st, "an old run marked interrupted after a newer one")
	// A dead run that is the newest one is shown interrupted.
	started = time.Date(2023, time.June, 17, 1, 0, 0, 0, time.UTC)
	if err := collect.recordRun(ctx, runRecord{ID: "deadrun2", Source: "crash", Mode: ModeIncremental, Window: jan2022,
		Started: started, Heartbeat: started, Owner: dead.Owner, Res: ChunkResult{Status: StatusRunning, Rows: 7}}); err != nil {
		t.Fatal(err)
	}
	if n, err := serve.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("marked %d interrupted, %v", n, err)
	}
	sameStrip(t, st, "the newest run marked interrupted")
	if got := newStrip(t, st); len(got) != 3 || !strings.Contains(got[0], `newest 2023-06-17 01:00:00 interrupted "the process stopped`) {
		t.Fatalf("strip: %v", got)
	}

	// Folding again (a retried write, the migration's fill run twice) and merging change nothing.
	before := newStrip(t, st)
	if err := st.SummarizeRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, "OPTIMIZE TABLE source_status FINAL"); err != nil {
		t.Fatal(err)
	}
	if after := newStrip(t, st); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("folded again and merged:\n%v\nwas\n%v", after, before)
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM source_status").Scan(&n); err != nil || n != 3 {
		t.Fatalf("source_status holds %d rows after a merge (%v), want one per source", n, err)
	}
	sameStrip(t, st, "folding again and merging")
}
