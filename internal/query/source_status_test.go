package query_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// readRows runs read under a query id with log_queries=1 and returns the rows ClickHouse read for
// it, from system.query_log.
func readRows(t *testing.T, st *store.Store, read func(ctx context.Context) error) uint64 {
	t.Helper()
	id := fmt.Sprintf("rs-readrows-%d", time.Now().UnixNano())
	ctx := clickhouse.Context(context.Background(), clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	if err := read(ctx); err != nil {
		t.Fatal(err)
	}
	// The server logs a query's end after the client has its answer: flush until it is there.
	var found, n uint64
	for deadline := time.Now().Add(15 * time.Second); found == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("query %s never reached system.query_log", id)
		}
		if err := st.Exec(context.Background(), "SYSTEM FLUSH LOGS"); err != nil {
			t.Fatal(err)
		}
		if err := st.Conn().QueryRow(context.Background(),
			"SELECT count(), sum(read_rows) FROM system.query_log WHERE query_id = ? AND type = 2", id).Scan(&found, &n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// The freshness strip and the provenance notes read source_status, whose size follows the number
// of sources: with tens of thousands of runs on record they read a handful of rows, where the
// whole-table definition they replace reads every run. (Rows read, not time: a design check.)
func TestStripAndProvenanceReadRowsDoNotGrowWithRuns(t *testing.T) {
	st, q, ctx, loc := fresh(t)
	const sources, perSource = 4, 10000
	cols := []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
		"rows_written", "error", "notes", "retry_at", "version"}
	first := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 0, sources*perSource)
	for s := 0; s < sources; s++ {
		for i := 0; i < perSource; i++ {
			started := first.Add(time.Duration(i) * 6 * time.Hour)
			fin := started.Add(time.Minute)
			status := "ok"
			if s == 0 && i > 10 { // a source whose last success is years old
				status = "failed"
			}
			rows = append(rows, []any{fmt.Sprintf("r%d-%d", s, i), fmt.Sprintf("src%d", s), "incremental", days.Of(started, time.UTC),
				days.Of(started, time.UTC), started, &fin, status, uint64(i), "", "", nil, uint64(started.UnixNano())})
		}
	}
	if err := st.InsertUnversioned(ctx, "collector_runs", cols, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.SummarizeRuns(ctx); err != nil {
		t.Fatal(err)
	}
	var strip []query.Freshness
	stripRows := readRows(t, st, func(ctx context.Context) (err error) {
		strip, err = q.SourceFreshness(ctx, query.FreshnessOptions{Now: time.Now(), Location: loc})
		return err
	})
	if len(strip) != sources || strip[0].Runs == nil || strip[0].Runs.LastOK == nil ||
		!strip[0].Runs.LastOK.Equal(first.Add(10*6*time.Hour+time.Minute)) || strip[0].Runs.LastStatus != "failed" {
		t.Fatalf("strip: %+v", strip)
	}
	year := days.YearSpan(2024)
	provRows := readRows(t, st, func(ctx context.Context) error {
		_, err := q.ProvenanceOf(ctx, []query.ProvenanceSet{{Dataset: query.DatasetWebTraffic, Span: year}}, loc)
		return err
	})
	// One row per source (before merges, a few per source), and no credentials or figures here.
	if limit := uint64(10 * sources); stripRows > limit || provRows > limit {
		t.Fatalf("with %d runs on record the strip read %d rows and the provenance note %d: more than %d, so they grow with the runs",
			sources*perSource, stripRows, provRows, limit)
	}
	// The measure sees a whole-table read: the last success over collector_runs reads every run.
	old := readRows(t, st, func(ctx context.Context) error {
		var n uint64
		return st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT source, max(assumeNotNull(finished_at)) FROM collector_runs
WHERE status IN ('ok', 'partial') AND finished_at IS NOT NULL GROUP BY source)`).Scan(&n)
	})
	if old < sources*perSource {
		t.Fatalf("the whole-table read read %d rows of %d: the measure is blind", old, sources*perSource)
	}
	t.Logf("rows read with %d runs: strip %d, provenance %d, whole-table last success %d", sources*perSource, stripRows, provRows, old)
}
