package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

func TestEveryWriteBumpsTheDataVersion(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	v0, err := st.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.WrittenVersion() != 0 {
		t.Fatalf("WrittenVersion before any write = %d, want 0", st.WrittenVersion())
	}
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	rec := figures.WebTrafficDay{SiteID: "s", Date: day, Channel: "direct", Device: "desktop", Sessions: 3}
	if err := st.Write(ctx, "test", store.NewVersion(), []figures.Record{rec, rec}); err != nil {
		t.Fatal(err)
	}
	v1, err := st.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v0+1 || st.WrittenVersion() != v1 {
		t.Fatalf("after Write: version %d (was %d), WrittenVersion %d; want one bump seen at once", v1, v0, st.WrittenVersion())
	}
	if err := st.Insert(ctx, "annotations", []string{"scope", "annotation_id", "date", "title", "source", "version"},
		[][]any{{"global", "a1", day, "x", "test", store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
	v2, _ := st.DataVersion(ctx)
	if v2 != v1+1 {
		t.Fatalf("after Insert: version %d, want %d", v2, v1+1)
	}
	// A token's last use changes no page: no bump, or the caches would empty on every API call.
	if err := st.Insert(ctx, "api_token_use", []string{"token_id", "used_at"}, [][]any{{"t", time.Now().UTC().Truncate(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if v3, _ := st.DataVersion(ctx); v3 != v2 {
		t.Fatalf("api_token_use bumped the version to %d", v3)
	}

	// A second connection (another process) sees the same version, and its writes move ours.
	cfg := chtest.Config(t)
	cfg.Database = st.Database()
	other, err := store.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	if ov, _ := other.DataVersion(ctx); ov != v2 {
		t.Fatalf("second connection reads version %d, want %d", ov, v2)
	}
	if err := other.Write(ctx, "test", store.NewVersion(), []figures.Record{rec}); err != nil {
		t.Fatal(err)
	}
	if v4, _ := st.DataVersion(ctx); v4 != v2+1 {
		t.Fatalf("after another connection's write: %d, want %d", v4, v2+1)
	}
	if st.WrittenVersion() != v2 {
		t.Fatalf("WrittenVersion moved to %d on another connection's write", st.WrittenVersion())
	}
}

// Bookkeeping leaves the version alone: a collector's checkpoint (no page reads it) and a row the
// caller writes unversioned (a run's heartbeat); the same run row through Insert moves it.
func TestBookkeepingLeavesTheDataVersion(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	v0, err := st.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Insert(ctx, "collector_checkpoints", []string{"source", "job", "last_day", "done", "version"},
		[][]any{{"s", "incremental", day, uint8(0), store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
	cols := []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "status", "version"}
	row := []any{"r1", "s", "incremental", day, day, time.Now().UTC().Truncate(time.Second), "running", store.NewVersion()}
	if err := st.InsertUnversioned(ctx, "collector_runs", cols, [][]any{row}); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.DataVersion(ctx); v != v0 || st.WrittenVersion() != 0 {
		t.Fatalf("bookkeeping moved the version to %d (was %d; written %d)", v, v0, st.WrittenVersion())
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM collector_runs WHERE run_id = 'r1'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the unversioned row was not stored: %d %v", n, err)
	}
	row[len(row)-1] = store.NewVersion()
	if err := st.Insert(ctx, "collector_runs", cols, [][]any{row}); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.DataVersion(ctx); v != v0+1 {
		t.Fatalf("a run row through Insert: version %d, want %d", v, v0+1)
	}
}
