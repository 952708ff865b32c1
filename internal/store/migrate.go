package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Migration is one numbered schema file.
type Migration struct {
	Version  uint32
	Name     string
	Text     string
	Checksum string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// LoadMigrations reads NNNN_name.sql files from fsys in order. Numbers must start at 1 and have no
// gaps, so a missing or misnamed file is caught before anything runs.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_lowercase_name.sql", e.Name())
		}
		n, _ := strconv.ParseUint(m[1], 10, 32)
		raw, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(raw)
		out = append(out, Migration{Version: uint32(n), Name: e.Name(), Text: string(raw), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != uint32(i+1) {
			return nil, fmt.Errorf("migration %s: expected number %04d (numbers run 0001, 0002, … without gaps or repeats)", m.Name, i+1)
		}
	}
	return out, nil
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations {{ on_cluster }} (
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime('UTC')
) ENGINE = {{ engine "schema_migrations" "MergeTree" "" }}
ORDER BY version`

// Migrate applies the migrations not yet recorded, in order, and returns the names it applied.
// ClickHouse has no transactional DDL, so every statement is written to be idempotent (IF NOT
// EXISTS) and a migration is recorded only after all its statements succeeded: a run that stops
// half-way is simply repeated. A recorded migration whose text has changed is refused.
//
// That also makes it safe for several instances to migrate at once (a cluster with more than one
// app instance starting together): ON CLUSTER statements queue in ZooKeeper and each server runs
// them one after the other, so the second CREATE … IF NOT EXISTS finds the table and does nothing,
// and a migration recorded twice is read as one (appliedMigrations groups by version).
func (s *Store) Migrate(ctx context.Context, migrations []Migration) ([]string, error) {
	ddl := DDL{Database: s.database, Cluster: s.cluster}
	create, err := ddl.Render("schema_migrations", migrationsTable)
	if err != nil {
		return nil, err
	}
	if err := s.conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range migrations {
		if prior, ok := applied[m.Version]; ok {
			if prior != m.Checksum {
				return done, fmt.Errorf("migration %s: %w since it was applied (recorded checksum %.12s…, file %.12s…); "+
					"never edit an applied migration, add a new numbered one instead", m.Name, ErrMigrationChanged, prior, m.Checksum)
			}
			continue
		}
		sql, err := ddl.Render(m.Name, m.Text)
		if err != nil {
			return done, err
		}
		for i, stmt := range SplitStatements(sql) {
			if err := s.conn.Exec(ctx, stmt); err != nil && !columnAlreadyAdded(stmt, err) {
				return done, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := s.Insert(ctx, "schema_migrations", []string{"version", "name", "checksum", "applied_at"},
			[][]any{{m.Version, m.Name, m.Checksum, time.Now().UTC()}}); err != nil {
			return done, fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		s.log.Info("applied migration", "name", m.Name)
		done = append(done, m.Name)
	}
	return done, nil
}

var addColumn = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s.*\sADD\s+COLUMN\s`)

// columnAlreadyAdded tells whether stmt is an ADD COLUMN that failed because an earlier, half-done
// run of the same migration added the column: 18.16 has no ADD COLUMN IF NOT EXISTS, so this is
// how such a statement stays idempotent.
func columnAlreadyAdded(stmt string, err error) bool {
	var ex *clickhouse.Exception
	return addColumn.MatchString(stmt) && errors.As(err, &ex) && ex.Code == 44 && strings.Contains(ex.Message, "already exists")
}

func (s *Store) appliedMigrations(ctx context.Context) (map[uint32]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT version, any(checksum) FROM schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer func() { _ = rows.Close() }()
	applied := map[uint32]string{}
	for rows.Next() {
		var v uint32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// SplitStatements splits a migration at semicolons that end a line, dropping comment-only lines.
// Migrations keep semicolons out of string literals so this stays this simple.
func SplitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}
