package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// runCmd runs the binary's entry point with an environment that points at st's database.
func runCmd(t *testing.T, st *store.Store, extraEnv map[string]string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{
		"REKKEVIDDE_CLICKHOUSE_ADDR":     chtest.Config(t).Addr,
		"REKKEVIDDE_CLICKHOUSE_DATABASE": "",
		"REKKEVIDDE_LOG_LEVEL":           "error",
		"REKKEVIDDE_STATE_DIR":           t.TempDir(),
	}
	if st != nil {
		env["REKKEVIDDE_CLICKHOUSE_DATABASE"] = st.Database()
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	var out bytes.Buffer
	e := &environment{stdout: &out, stderr: &out, getenv: func(k string) string { return env[k] }}
	err := run(context.Background(), e, args)
	return out.String(), err
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		out, err := runCmd(t, nil, nil, c.name, "--help")
		if exitCode(err) != 0 || !strings.Contains(out, "Usage: rekkevidde "+c.name) {
			t.Errorf("%s --help: exit %d, output:\n%s", c.name, exitCode(err), out)
		}
	}
	if _, err := runCmd(t, nil, nil, "frobnicate"); exitCode(err) != 2 {
		t.Errorf("unknown command: exit %d, want 2", exitCode(err))
	}
}

func TestBadConfigStopsWithTheKeyNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("clickhouse:\n  adress: 127.0.0.1:9000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, nil, nil, "migrate", "--config", path)
	if err == nil || !strings.Contains(err.Error(), `unknown key "adress" in clickhouse`) {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte("timezone: Europe/Olso\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, nil, nil, "serve", "--config", path); err == nil || !strings.Contains(err.Error(), "timezone") {
		t.Fatalf("got %v", err)
	}
}

func TestMigrateTwiceAndDemoTwiceChangeNoFigure(t *testing.T) {
	st := chtest.Open(t)
	if out, err := runCmd(t, st, nil, "migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a migrated database: %v\n%s", err, out)
	}
	if out, err := runCmd(t, st, nil, "demo"); err != nil || !strings.Contains(out, "loaded demo data") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	first := figureDigest(t, st)
	if !strings.Contains(first, "Q1 10234 8001") || !strings.Contains(first, "Q4 9709 8059") {
		t.Fatalf("2022 quarters after demo:\n%s", first)
	}
	// Without --force a non-empty database is left alone.
	if out, err := runCmd(t, st, nil, "demo"); err != nil || !strings.Contains(out, "already holds figures") {
		t.Fatalf("second demo without --force: %v\n%s", err, out)
	}
	for range 2 {
		if out, err := runCmd(t, st, nil, "demo", "--force"); err != nil {
			t.Fatalf("demo --force: %v\n%s", err, out)
		}
		if _, err := runCmd(t, st, nil, "migrate"); err != nil {
			t.Fatal(err)
		}
		if again := figureDigest(t, st); again != first {
			t.Fatalf("figures changed:\nbefore:\n%s\nafter:\n%s", first, again)
		}
	}
}

// figureDigest prints the quarterly figures of every demo year through the query layer.
func figureDigest(t *testing.T, st *store.Store) string {
	t.Helper()
	q := query.New(st.Conn())
	var b strings.Builder
	for year := 2021; year <= 2023; year++ {
		rows, err := q.QuarterlyVisitors(context.Background(), "innomed.no", year)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			u := "-"
			if r.UniqueVisitors != nil {
				u = fmt.Sprint(*r.UniqueVisitors)
			}
			fmt.Fprintf(&b, "%d Q%d %d %s\n", year, r.Quarter, r.Visits, u)
		}
	}
	return b.String()
}

func TestCollectNamesUnknownSources(t *testing.T) {
	st := chtest.Open(t)
	_, err := runCmd(t, st, nil, "collect", "ga4")
	if err == nil || !strings.Contains(err.Error(), `no source "ga4"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := runCmd(t, st, nil, "collect", "x", "--to", "2022-01-01"); exitCode(err) != 2 {
		t.Fatalf("--to without --from: %v", err)
	}
}

func readFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	return string(raw), err
}
