// Package chtest gives integration tests a real ClickHouse: each call creates a throw-away database
// on the server that `make test` starts, migrates it and drops it when the test ends, so tests
// never collide or leave anything behind.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

// EnvAddr names the variable holding the test server's native address (default 127.0.0.1:19000).
const EnvAddr = "REKKEVIDDE_TEST_CLICKHOUSE"

// Config returns a ClickHouse config for a fresh database named after the test.
func Config(t testing.TB) config.ClickHouse {
	t.Helper()
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		addr = "127.0.0.1:19000"
	}
	cfg := config.Defaults().ClickHouse
	cfg.Addr = addr
	cfg.Database = databaseName(t.Name())
	return cfg
}

// Open returns a migrated store in a new database, dropped when the test ends. The test fails
// (it does not skip) when ClickHouse is unreachable: `make test` starts it.
func Open(t testing.TB) *store.Store {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs ClickHouse (run without -short, via make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := Config(t)
	st, err := store.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("open test ClickHouse (start it with `make clickhouse-start`): %v", err)
	}
	t.Cleanup(func() {
		// Dropping a database with many parts can take a while on a loaded 2-core machine. A drop
		// that still fails is logged, not failed: the code under test is not at fault, and
		// `make test` sweeps leftover test_ databases before every run.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := st.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database); err != nil {
			t.Logf("could not drop test database %s (the next make test removes it): %v", cfg.Database, err)
		}
		_ = st.Close()
	})
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, migrations); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return st
}

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func databaseName(testName string) string {
	name := notIdent.ReplaceAllString(strings.ToLower(testName), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "test_" + name + "_" + hex.EncodeToString(b[:])
}

// Oslo is the tests' time zone, the demo's and the default configuration's.
func Oslo(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
