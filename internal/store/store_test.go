package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

func TestMigrateIsIdempotentAndCreatesEveryTable(t *testing.T) {
	st := chtest.Open(t) // applies every migration once
	ctx := context.Background()
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.Migrate(ctx, migrations)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", again)
	}
	var recorded uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != uint64(len(migrations)) {
		t.Fatalf("schema_migrations has %d rows, want %d", recorded, len(migrations))
	}
	for _, table := range []string{"web_traffic_daily", "web_visitors_period", "web_top_pages", "social_followers_daily",
		"social_reach", "newsletter_subscribers_daily", "newsletter_campaigns", "events", "event_attendance_by_sector",
		"publications", "annotations", "collector_runs", "collector_checkpoints", "credentials"} {
		var n uint64
		err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", st.Database(), table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s: found %d, err %v", table, n, err)
		}
	}
}

func TestMigrateRefusesAChangedMigration(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	fsys := fstest.MapFS{"0001_first.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS extra (a UInt8) ENGINE = {{ engine \"extra\" \"MergeTree\" \"\" }} ORDER BY a;")}}
	// A fresh numbering space: the real migrations already own version 1, so use a separate database's view.
	if err := st.Exec(ctx, "TRUNCATE TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	first, err := store.LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, first); err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	fsys["0001_first.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS extra (a UInt16) ENGINE = {{ engine \"extra\" \"MergeTree\" \"\" }} ORDER BY a;")}
	changed, err := store.LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Migrate(ctx, changed)
	if !errors.Is(err, store.ErrMigrationChanged) || !strings.Contains(err.Error(), "0001_first.sql") {
		t.Fatalf("migrate with changed text: got %v, want ErrMigrationChanged naming the file", err)
	}
}

func TestLoadMigrationsRejectsGapsAndBadNames(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"gap":      {"0001_a.sql": {Data: []byte("SELECT 1")}, "0003_c.sql": {Data: []byte("SELECT 1")}},
		"bad name": {"1_a.sql": {Data: []byte("SELECT 1")}},
		"repeat":   {"0001_a.sql": {Data: []byte("SELECT 1")}, "0001_b.sql": {Data: []byte("SELECT 1")}},
	}
	for name, fsys := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := store.LoadMigrations(fsys); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestInsertIsAllOrNothingOnABadRow(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	cols := []string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"}
	err := st.Insert(ctx, "newsletter_subscribers_daily", cols, [][]any{
		{"l", mustDate(t, "2022-01-01"), uint64(1), uint64(0), uint64(0), "test", uint64(1)},
		{"l", mustDate(t, "2022-01-02"), "not a number", uint64(0), uint64(0), "test", uint64(1)},
	})
	if err == nil {
		t.Fatal("want an error for a bad value")
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM newsletter_subscribers_daily").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows stored after a failed batch, want 0", n)
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
