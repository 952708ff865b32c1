package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
)

// importEnv runs the real subcommand against a fresh test database.
type importEnv struct {
	t              *testing.T
	config         string
	stdout, stderr bytes.Buffer
}

func newImportEnv(t *testing.T) (*importEnv, func() uint64) {
	t.Helper()
	st := chtest.Open(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "rekkevidde.yaml")
	yaml := fmt.Sprintf("clickhouse:\n  addr: %s\n  database: %s\nstate_dir: %s\n", chtest.Config(t).Addr, st.Database(), dir)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	countEvents := func() uint64 {
		var n uint64
		if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM events FINAL WHERE deleted = 0").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return &importEnv{t: t, config: config}, countEvents
}

func (e *importEnv) run(args ...string) error {
	e.stdout.Reset()
	e.stderr.Reset()
	env := &environment{stdout: &e.stdout, stderr: &e.stderr, getenv: func(string) string { return "" }}
	return run(context.Background(), env, append(args, "--config", e.config))
}

func TestImportCommand(t *testing.T) {
	e, countEvents := newImportEnv(t)
	good := filepath.Join("..", "..", "internal", "importer", "testdata", "events-2022.csv")

	if err := e.run("import", "events", good); err != nil {
		t.Fatalf("good file: %v\n%s", err, e.stderr.String())
	}
	if !strings.Contains(e.stdout.String(), "imported 20 events rows") {
		t.Errorf("stdout = %q", e.stdout.String())
	}
	if n := countEvents(); n != 20 {
		t.Fatalf("events = %d, want 20", n)
	}

	// A bad file with good lines around its bad ones: every problem listed, nothing written.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	content := "\ufeffkind;title;date;registered;attended_on_site;attended_digital\r\n" +
		"konferanse;InnoMed-konferansen;10.10.2023;230;160;45\r\n" +
		"kurs;Introduksjonskurs;31.02.2023;20;18;\r\n" +
		"nettverksmøte;Kompetansenettverksmøte;25.01.2023;-2;;\r\n" +
		"webinar;Webinar: Helsedata;20.04.2023;120;;80\r\n"
	if err := os.WriteFile(bad, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	err := e.run("import", "events", bad)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("bad file: err = %v (exit %d), want a failure with exit status 1", err, exitCode(err))
	}
	for _, want := range []string{"2 problems, nothing was imported", `line 3: date: "31.02.2023" is not a date`, `line 4: registered: "-2" is negative`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if n := countEvents(); n != 20 {
		t.Errorf("events = %d after a refused file, want 20: nothing may be half-imported", n)
	}

	// --dry-run checks a good file without writing it.
	if err := e.run("import", "events", "--dry-run", good); err != nil || !strings.Contains(e.stdout.String(), "20 events rows, no problems") {
		t.Errorf("dry run: %v %q", err, e.stdout.String())
	}

	// Importing the same file again changes nothing.
	if err := e.run("import", "events", good); err != nil {
		t.Fatal(err)
	}
	if n := countEvents(); n != 20 {
		t.Errorf("events = %d after importing again, want 20", n)
	}
}

func TestImportCommandUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	err := run(context.Background(), env, []string{"import", "--help"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, kind := range []string{"events:", "newsletter:", "subscribers:", "    kind*", "attended_on_site "} {
		if !strings.Contains(stderr.String(), kind) {
			t.Errorf("--help does not list %q:\n%s", kind, stderr.String())
		}
	}
	cases := map[string][]string{
		"import needs KIND and FILE":     {"import", "events"},
		`unknown kind "visitors"`:        {"import", "visitors", "x.csv"},
		"import newsletter needs --list": {"import", "newsletter", "x.csv"},
	}
	for want, args := range cases {
		err := run(context.Background(), env, args)
		if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("%v: err = %v (exit %d), want a usage error saying %q", args, err, exitCode(err), want)
		}
	}
}
