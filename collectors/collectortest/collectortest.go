// Package collectortest holds the helpers that every collector's tests share: settings built from
// a YAML block as the config loader hands them over, a log buffer the HTTP client's goroutines may
// write to, a settable clock, an httptest server closed with the test, fixtures, and the checks
// that no secret or personal datum reaches an error, a log line or a table. Only tests import it.
package collectortest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
)

// Oslo is the time zone the tests count days in, the default config's. A value rather than a
// function so that package-level test clocks can use it; the embedded tzdata means loading it
// cannot fail on a host without zone files.
var Oslo = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Settings builds the settings of source id from its YAML settings block as the config loader
// hands them over with the default config: days counted in Europe/Oslo, state in a fresh
// temporary directory, no log output, the real clock. env stands in for the process environment
// (secret overrides; nil: none). Tests set Log, Now, State.Dir or Sectors on the result.
func Settings(t testing.TB, id, block string, env map[string]string) collectors.Settings {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatal(err)
	}
	node := &doc
	if len(doc.Content) > 0 {
		node = doc.Content[0]
	}
	cfg, err := config.Load("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.StateDir = t.TempDir()
	s := collectors.NewSettings(id, node, cfg, slog.New(slog.DiscardHandler), func(k string) string { return env[k] })
	// The tests' days and expected figures are worked out in Oslo.
	if s.Location.String() != "Europe/Oslo" {
		t.Fatalf("the default config counts days in %s, the tests in Europe/Oslo", s.Location)
	}
	return s
}

// LogBuffer collects log output; the collector, the HTTP client's goroutines and the test may use
// it at once.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger logs every level as text into b, so a check for leaks sees debug lines too.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Clock is a settable clock for Settings.Now and the runner; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Server starts an httptest server for h that closes when the test ends.
func Server(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Fixture reads testdata/name of the package under test.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// emailAddress is the shape of an address, kept apart from the one collectors hide so that
// a test's list of addresses does not depend on the code under test.
var emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// FixtureEmailAddresses lists every e-mail address in testdata. It fails the test when there are
// fewer than atLeast, since a check against them would then prove little.
func FixtureEmailAddresses(t testing.TB, atLeast int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		for _, m := range emailAddress.FindAllString(string(Fixture(t, filepath.Base(f))), -1) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	if len(out) < atLeast {
		t.Fatalf("expected the fixtures to hold e-mail addresses to guard against, found %v", out)
	}
	return out
}

// NoLeak fails the test for every one of secrets (tokens, keys, names, addresses) that text
// holds; where says what text is ("error", "logs"). Empty secrets are skipped. Matching is exact:
// a caller that means any case lowers both sides.
func NoLeak(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		i := strings.Index(text, s)
		if s == "" || i < 0 {
			continue
		}
		from, to := max(i-80, 0), min(i+len(s)+80, len(text))
		t.Errorf("%s holds %q: …%s…", where, s, text[from:to])
	}
}

// Lines runs a query whose rows are one string each and returns them.
func Lines(t testing.TB, conn driver.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// StoredText is every value of every table in the test database as text, a line per row led by
// the table's name, for checking that no secret or personal datum was stored anywhere. It fails
// the test when the database has fewer than minTables tables, so that a wrong database cannot
// pass the check by holding nothing.
func StoredText(t testing.TB, conn driver.Conn, minTables int) string {
	t.Helper()
	columns := map[string][]string{}
	for _, line := range Lines(t, conn, `SELECT concat(table, '\t', name) FROM system.columns WHERE database = currentDatabase()`) {
		table, column, _ := strings.Cut(line, "\t")
		columns[table] = append(columns[table], column)
	}
	if len(columns) < minTables {
		t.Fatalf("found only %d tables: %v", len(columns), columns)
	}
	var b strings.Builder
	for table, cols := range columns {
		values := make([]string, len(cols))
		for i, c := range cols {
			values[i] = fmt.Sprintf("ifNull(toString(`%s`), '')", c)
		}
		for _, line := range Lines(t, conn, fmt.Sprintf("SELECT arrayStringConcat([%s], '\t') FROM `%s`", strings.Join(values, ", "), table)) {
			b.WriteString(table + "\t" + line + "\n")
		}
	}
	return b.String()
}
