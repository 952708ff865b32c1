package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

func summaryOf(t *testing.T, st *store.Store) string {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), `
SELECT source, concat(toString(tupleElement(n, 1)), ' ', tupleElement(n, 2), ' ', tupleElement(n, 3), ' ', tupleElement(n, 4), ' ',
           tupleElement(n, 5), ' ', toString(tupleElement(n, 6)), ' ', if(toUInt32(tupleElement(n, 7)) = 0, '-', toString(tupleElement(n, 7)))),
       if(ok = 0, '-', concat(toString(tupleElement(k, 1)), ' ', toString(tupleElement(k, 2)), ' ', tupleElement(k, 3))), toString(ok), toString(inc)
FROM (
    SELECT source, argMaxMerge(newest_run) AS n, argMaxMerge(last_ok_run) AS k, maxMerge(any_ok) AS ok, maxMerge(last_incremental) AS inc
    FROM source_status GROUP BY source
)
ORDER BY source`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var b strings.Builder
	for rows.Next() {
		var s, n, k, ok, inc string
		if err := rows.Scan(&s, &n, &k, &ok, &inc); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: newest %s | last ok %s | any ok %s | incremental %s\n", s, n, k, ok, inc)
	}
	return b.String()
}

// The migration's fill (what an upgraded install starts from) and the scheduler's fold of each row
// as it is written leave the same source_status, and it is what the runs say.
func TestRunSummaryMigrationFillIsTheFold(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	at := func(d, h int) time.Time { return time.Date(2022, time.May, d, h, 0, 0, 0, time.UTC) }
	tp := func(t time.Time) *time.Time { return &t }
	day := time.Date(2022, time.May, 1, 0, 0, 0, 0, time.UTC)
	var v uint64 = 1000
	run := func(id, src, mode, status, errText string, started time.Time, fin *time.Time, to time.Time, n uint64) store.RunRow {
		v++
		return store.RunRow{RunID: id, Source: src, Mode: mode, Status: status, Error: errText, Started: started, Finished: fin, WindowTo: to, Rows: n, Version: v}
	}
	runs := []store.RunRow{
		// a: ok years ago, then running, then failed.
		run("a1", "a", "backfill", "running", "", at(1, 1), nil, day, 0),
		run("a1", "a", "backfill", "ok", "", at(1, 1), tp(at(1, 2)), day.AddDate(0, 0, 3), 30),
		run("a2", "a", "incremental", "running", "", at(2, 1), nil, day.AddDate(0, 0, 5), 0),
		run("a2", "a", "incremental", "failed", "a: 500", at(2, 1), tp(at(2, 1)), day.AddDate(0, 0, 5), 0),
		// b: two backfill steps starting and finishing in one second (the later written wins), then
		// a run marked interrupted by another process.
		run("b1", "b", "backfill", "ok", "", at(3, 1), tp(at(3, 1)), day.AddDate(0, 0, 1), 5),
		run("b2", "b", "backfill", "partial", "b: withdrawn", at(3, 1), tp(at(3, 1)), day.AddDate(0, 0, 2), 6),
		run("b3", "b", "incremental", "running", "", at(4, 1), nil, day.AddDate(0, 0, 4), 0),
		run("b3", "b", "incremental", "interrupted", "the process stopped", at(4, 1), tp(at(5, 1)), day.AddDate(0, 0, 4), 2),
		// c: never succeeded, still running.
		run("c1", "c", "incremental", "running", "", at(6, 1), nil, day, 0),
	}
	cols := []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status", "rows_written", "error", "version"}
	var rows [][]any
	for _, r := range runs {
		rows = append(rows, []any{r.RunID, r.Source, r.Mode, day, r.WindowTo, r.Started, r.Finished, r.Status, r.Rows, r.Error, r.Version})
	}
	if err := st.InsertUnversioned(ctx, "collector_runs", cols, rows); err != nil {
		t.Fatal(err)
	}

	// The migration's own fill statement, as Migrate renders it.
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	var fill string
	for _, m := range migrations {
		if m.Name == "0009_source_status.sql" {
			sql, err := store.DDL{Database: st.Database()}.Render(m.Name, m.Text)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range store.SplitStatements(sql) {
				if strings.HasPrefix(stmt, "INSERT INTO source_status") {
					fill = stmt
				}
			}
		}
	}
	if fill == "" {
		t.Fatal("0009 has no fill")
	}
	if err := st.Exec(ctx, "TRUNCATE TABLE source_status"); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, fill); err != nil {
		t.Fatal(err)
	}
	filled := summaryOf(t, st)
	want := `a: newest 2022-05-02 01:00:00 a2 incremental failed a: 500 0 2022-05-02 01:00:00 | last ok 2022-05-01 02:00:00 2022-05-04 a1 | any ok 1 | incremental 2022-05-02 01:00:00
b: newest 2022-05-04 01:00:00 b3 incremental interrupted the process stopped 2 2022-05-05 01:00:00 | last ok 2022-05-03 01:00:00 2022-05-03 b2 | any ok 1 | incremental 2022-05-04 01:00:00
c: newest 2022-05-06 01:00:00 c1 incremental running  0 - | last ok - | any ok 0 | incremental 2022-05-06 01:00:00
`
	if filled != want {
		t.Fatalf("the migration's fill gives\n%s\nwant\n%s", filled, want)
	}

	// The fold, row by row in reverse order (as two processes may write), and twice over.
	if err := st.Exec(ctx, "TRUNCATE TABLE source_status"); err != nil {
		t.Fatal(err)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		for range 2 {
			if err := st.FoldRun(ctx, runs[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if folded := summaryOf(t, st); folded != filled {
		t.Fatalf("folded row by row:\n%s\nthe migration's fill:\n%s", folded, filled)
	}
}
