package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
)

// A run written by a process that predates source_status (no fold) reaches the strip once
// `migrate --summarize-runs` has run.
func TestMigrateSummarizesRunsAnOlderProcessWrote(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	day := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := st.InsertUnversioned(ctx, "collector_runs", []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "status", "version"},
		[][]any{{"r1", "legacy", "incremental", day, day, day, "running", store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		var n uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM source_status WHERE source = 'legacy'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("folded before asked: %d", n)
	}
	if out, err := runCmd(t, st, nil, "migrate", "--summarize-runs"); err != nil || !strings.Contains(out, "folded collector_runs") {
		t.Fatalf("migrate --summarize-runs: %v\n%s", err, out)
	}
	if n := count(); n == 0 {
		t.Fatal("the older process's run is still missing from source_status")
	}
}
