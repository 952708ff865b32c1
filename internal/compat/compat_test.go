//go:build compat

package compat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/chdb-io/chdb-go/chdb"
	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

// taggedConn gives every read its own query id under one prefix and asks the server to log it,
// so that the exact SQL the read layer sent (arguments bound) can be taken from system.query_log.
type taggedConn struct {
	driver.Conn
	prefix string
	n      atomic.Int64
}

func (c *taggedConn) tag(ctx context.Context) context.Context {
	return clickhouse.Context(ctx,
		clickhouse.WithQueryID(fmt.Sprintf("%s-%d", c.prefix, c.n.Add(1))),
		clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
}

func (c *taggedConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	return c.Conn.Query(c.tag(ctx), q, args...)
}

func (c *taggedConn) QueryRow(ctx context.Context, q string, args ...any) driver.Row {
	return c.Conn.QueryRow(c.tag(ctx), q, args...)
}

func (c *taggedConn) Select(ctx context.Context, dest any, q string, args ...any) error {
	return c.Conn.Select(c.tag(ctx), dest, q, args...)
}

// old runs a query on ClickHouse 18.16 over HTTP and returns the result as TabSeparated text.
func old(t *testing.T, httpAddr, database, q string) (string, error) {
	t.Helper()
	return oldRaw(httpAddr, database, q+"\nFORMAT TabSeparated")
}

// oldRaw runs a statement as written (its own FORMAT, or none).
func oldRaw(httpAddr, database, q string) (string, error) {
	resp, err := http.Post("http://"+httpAddr+"/?database="+url.QueryEscape(database), "text/plain", strings.NewReader(q))
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%d: %s", resp.StatusCode, body)
	}
	return string(body), err
}

func current(s *chdb.Session, q string) (string, error) {
	r, err := s.Query(q, "TabSeparated")
	if err != nil {
		return "", err
	}
	if r.Error() != nil {
		return "", r.Error()
	}
	return r.String(), nil
}

// pages are what the read layer is driven through: every page, in the periods that take
// different queries, every CSV download and the read API's KPI series.
var pages = []string{
	"/", "/?period=year&year=2022", "/?period=quarter&year=2022&quarter=3", "/?period=month&year=2022&month=6",
	"/nettsted?period=year&year=2022", "/nettsted?period=quarter&year=2023&quarter=1", "/nettsted?period=month&year=2022&month=3",
	"/sosiale-medier?period=year&year=2022", "/sosiale-medier?period=month&year=2021&month=11",
	"/nyhetsbrev?period=year&year=2022", "/nyhetsbrev?period=month&year=2022&month=6",
	"/arrangementer?period=year&year=2022", "/arrangementer?period=quarter&year=2021&quarter=4",
	"/rapporter", "/rapporter/ar/2022", "/rapporter/ar/2021", "/rapporter/kvartal/2022-Q3",
	"/rapporter/ar/2022/csv", "/rapporter/kvartal/2022-Q3/csv",
}

// zeroDate: 18.16 writes the zero Date and DateTime (what max() of no rows is) as 0000-00-00,
// current releases as the same instant, 1970-01-01. Text only: the driver reads both as one time.
var zeroDate = strings.NewReplacer("0000-00-00 00:00:00", "1970-01-01 00:00:00", "0000-00-00", "1970-01-01")

var csvLink = regexp.MustCompile(`href="(/[^"]+\.csv[^"]*)"`)

func TestCompat(t *testing.T) {
	if os.Getenv("CHDB_LIB_PATH") == "" {
		t.Fatal("CHDB_LIB_PATH is not set: run `make test-compat`, which fetches libchdb.so and sets it")
	}
	httpAddr := os.Getenv("REKKEVIDDE_TEST_CLICKHOUSE_HTTP")
	if httpAddr == "" {
		httpAddr = "127.0.0.1:18123"
	}
	ctx := context.Background()
	oslo, _ := time.LoadLocation("Europe/Oslo")

	// ClickHouse 18.16: every migration (chtest.Open applies them) and the demo data.
	st := chtest.Open(t)
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: "innomed.no", Location: oslo}); err != nil {
		t.Fatal(err)
	}

	// The current release: a persistent chdb session, every migration, then the very rows of
	// 18.16 (versions included), so both engines answer from the same data.
	session, err := chdb.NewSession(t.TempDir())
	if err != nil {
		t.Fatalf("chdb session: %v", err)
	}
	defer session.Close()
	v18, err := old(t, httpAddr, st.Database(), "SELECT version()")
	if err != nil {
		t.Fatal(err)
	}
	vNew, err := current(session, "SELECT version()")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("engines: ClickHouse %s (server) and ClickHouse %s (chdb)", strings.TrimSpace(v18), strings.TrimSpace(vNew))
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		sql, err := store.DDL{Database: "default"}.Render(m.Name, m.Text)
		if err != nil {
			t.Fatal(err)
		}
		for i, stmt := range store.SplitStatements(sql) {
			if _, err := current(session, stmt); err != nil {
				t.Fatalf("migration %s, statement %d on ClickHouse %s: %v", m.Name, i+1, strings.TrimSpace(vNew), err)
			}
		}
	}
	t.Logf("MIGRATIONS: all %d applied on both", len(migrations))
	tables, err := strings_(ctx, st.Conn(), "SELECT name FROM system.tables WHERE database = ? ORDER BY name", st.Database())
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, table := range tables {
		if table == "schema_migrations" {
			continue // written by Migrate, not a migration; nothing reads it but Migrate
		}
		values, err := oldRaw(httpAddr, st.Database(), "SELECT * FROM "+table+" FORMAT Values")
		if err != nil {
			t.Fatal(err)
		}
		if values == "" {
			continue
		}
		if _, err := current(session, "INSERT INTO "+table+" VALUES "+values); err != nil {
			t.Fatalf("copy %s to chdb: %v", table, err)
		}
		n, err := current(session, "SELECT count() FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		var k int
		_, _ = fmt.Sscan(n, &k)
		copied += k
	}
	t.Logf("DATA: the demo data set (%d rows) in both", copied)

	// Drive the read layer through the dashboard on 18.16, logging every query it sends.
	conn := &taggedConn{Conn: st.Conn(), prefix: "compat-" + strings.ToLower(st.Database())}
	hash, _ := bcrypt.GenerateFromPassword([]byte("compat-passord-test"), bcrypt.MinCost)
	cfg := config.Defaults()
	cfg.Sites = []config.Site{{ID: "innomed.no", Name: "innomed.no"}}
	cfg.Auth.Users = []config.User{{Name: "compat", PasswordHash: string(hash), Role: config.RoleAdmin}}
	app := dashboard.New(dashboard.Deps{Queries: query.New(conn), Config: cfg, Store: st,
		SessionKey: []byte("compat-test-session-key-0123456789abcdef"), Log: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()
	base := "http://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, login := get("/login")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if csrf == nil {
		t.Fatal("no sign-in form")
	}
	if resp, err := client.PostForm(base+"/login", url.Values{"csrf": {csrf[1]}, "username": {"compat"}, "password": {"compat-passord-test"}}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	seen := map[string]bool{}
	todo := append([]string(nil), pages...)
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		status, body := get(p)
		if status != http.StatusOK {
			t.Errorf("GET %s on 18.16: %d", p, status)
		}
		for _, m := range csvLink.FindAllStringSubmatch(body, -1) {
			todo = append(todo, strings.ReplaceAll(m[1], "&amp;", "&"))
		}
	}
	if _, err := oldRaw(httpAddr, st.Database(), "SYSTEM FLUSH LOGS"); err != nil {
		t.Fatal(err)
	}
	queries, err := strings_(ctx, st.Conn(), "SELECT DISTINCT query FROM system.query_log WHERE type = 2 AND query_id LIKE ?", conn.prefix+"-%")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(queries)
	if len(queries) < 20 {
		t.Fatalf("only %d distinct queries captured from %d pages", len(queries), len(seen))
	}
	t.Logf("QUERIES: %d distinct queries captured from %d pages and downloads", len(queries), len(seen))
	for i, q := range queries {
		a, errA := old(t, httpAddr, st.Database(), q)
		a = zeroDate.Replace(a)
		b, errB := current(session, q)
		switch {
		case errA != nil || errB != nil:
			t.Errorf("query %d fails: 18.16: %v; current: %v\n%s", i+1, errA, errB, q)
		case a != b && !topLevelOrder(q) && sortedLines(a) == sortedLines(b):
			// Without ORDER BY the order of rows is the engine's to choose (the read layer sorts
			// such results itself, e.g. the chart markers); the rows must still be the same.
			t.Logf("  %3d equal as a set of rows (%d rows; no ORDER BY): %.160s", i+1, strings.Count(a, "\n"), strings.Join(strings.Fields(q), " "))
		case a != b:
			t.Errorf("query %d answers differently:\n%s\n18.16:\n%.600s\ncurrent:\n%.600s", i+1, q, a, b)
		default:
			t.Logf("  %3d equal (%d rows): %.160s", i+1, strings.Count(a, "\n"), strings.Join(strings.Fields(q), " "))
		}
	}
}

// strings_ reads one String column over the native protocol.
func strings_(ctx context.Context, conn driver.Conn, q string, args ...any) ([]string, error) {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// topLevelOrder tells whether the query's outermost SELECT has an ORDER BY (one outside every
// parenthesis).
func topLevelOrder(q string) bool {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
		case 'O':
			if depth == 0 && strings.HasPrefix(q[i:], "ORDER BY") {
				return true
			}
		}
	}
	return false
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
