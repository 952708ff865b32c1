// Package store owns the connection to ClickHouse: opening it, applying migrations and writing
// batches. Reading goes through internal/query; nothing else holds SQL.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/config"
)

// Store is an open connection to Rekkevidde's database.
type Store struct {
	conn     driver.Conn
	database string
	log      *slog.Logger
	retry    RetryPolicy
	// written is the data version this store read right after its own latest write (see
	// bumpVersion), so caches in this process move on at once instead of at their next poll.
	written atomic.Uint64
	// cluster is clickhouse.cluster: empty for one server (see ddl.go for what changes).
	cluster string
}

// Open connects over the native protocol (the only one ClickHouse 18.16 and current releases both
// speak with this driver), creating the database if it does not exist yet.
func Open(ctx context.Context, cfg config.ClickHouse, log *slog.Logger) (*Store, error) {
	admin, err := dial(ctx, cfg, "default")
	if err != nil {
		return nil, err
	}
	create := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(cfg.Database)
	if cfg.Cluster != "" {
		create += " ON CLUSTER " + quoteIdent(cfg.Cluster)
	}
	createErr := admin.Exec(ctx, create)
	closeErr := admin.Close()
	if createErr != nil {
		return nil, fmt.Errorf("clickhouse %s: create database %s: %w", cfg.Addr, cfg.Database, createErr)
	}
	if closeErr != nil {
		return nil, fmt.Errorf("clickhouse %s: close: %w", cfg.Addr, closeErr)
	}
	conn, err := dial(ctx, cfg, cfg.Database)
	if err != nil {
		return nil, err
	}
	if err := checkCluster(ctx, conn, cfg.Cluster); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if v, err := conn.ServerVersion(); err == nil {
		log.Debug("connected to ClickHouse", "addr", cfg.Addr, "database", cfg.Database, "server_version", v.String())
	}
	return &Store{conn: conn, database: cfg.Database, cluster: cfg.Cluster, log: log, retry: DefaultRetryPolicy()}, nil
}

func dial(ctx context.Context, cfg config.ClickHouse, database string) (driver.Conn, error) {
	var addrs []string
	for _, a := range strings.Split(cfg.Addr, ",") {
		addrs = append(addrs, strings.TrimSpace(a))
	}
	opts := &clickhouse.Options{
		Addr:        addrs,
		Protocol:    clickhouse.Native,
		Auth:        clickhouse.Auth{Database: database, Username: cfg.Username, Password: cfg.Password.Value()},
		DialTimeout: cfg.DialTimeout,
		// Writes run under a context that is never cancelled (see Insert), so this is what bounds
		// one that hangs: no single read of a server's answer may take longer.
		ReadTimeout: writeReadTimeout,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	}
	if cfg.Cluster != "" {
		opts.Settings = clusterSettings
	}
	if cfg.Secure {
		opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: open: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("clickhouse %s: not reachable (is it running? `make clickhouse-start` starts the local one): %w", cfg.Addr, err)
	}
	return conn, nil
}

// Conn is the driver connection, for internal/query.
func (s *Store) Conn() driver.Conn { return s.conn }

// Cluster is the cluster the schema lives on, or empty for a single server.
func (s *Store) Cluster() string { return s.cluster }

// Database is the database this store writes to.
func (s *Store) Database() string { return s.database }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.conn.Close() }

// NewVersion returns the version for rows written now. ReplacingMergeTree keeps the row with the
// highest version, so a later collection of the same key always replaces an earlier one.
func NewVersion() uint64 { return uint64(time.Now().UnixNano()) }

// writeReadTimeout bounds each read of ClickHouse's answer (the driver's own default, made explicit).
const writeReadTimeout = 5 * time.Minute

// Insert writes rows to table in one batch (one INSERT), naming the columns explicitly because
// ClickHouse 18.16 needs the column list for batch appends. Either the whole batch is stored or none.
// It then bumps the data version (see bumpVersion), so every dashboard's cache sees the change.
// A transient fault (closed or refused connection, timeout) is retried under the store's
// RetryPolicy; rows carry their version, so a retried batch replaces rather than adds.
//
// The driver never sees ctx's cancellation. clickhouse-go's batch Send watches its context in a
// goroutine that closes the TCP connection when the context ends; when that goroutine is
// scheduled late (a busy machine), it still sees the context end after Send returned — the
// caller's deferred cancel — and closes the connection that is by then back in the pool and
// carrying the next INSERT ("failed to read first block packet … use of closed network
// connection", and a broken pipe in ClickHouse's log). So an INSERT once begun is finished,
// bounded by the driver's read timeout, and ctx is honoured between attempts.
func (s *Store) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if err := s.insert(ctx, table, columns, rows); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	return s.bumpVersion(ctx, table)
}

// InsertUnversioned writes rows like Insert but leaves the data version alone, so no dashboard's
// cache empties. It is for bookkeeping rows that change nothing a cached page shows — a collector
// run's heartbeat re-records its running row every 30 s with only heartbeat_at moved, and bumping
// on it would empty every page cache twice a minute while a run is under way. The run's start,
// its figures and its end still go through Insert and Write.
func (s *Store) InsertUnversioned(ctx context.Context, table string, columns []string, rows [][]any) error {
	return s.insert(ctx, table, columns, rows)
}

func (s *Store) insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	for i, row := range rows {
		if len(row) != len(columns) {
			return fmt.Errorf("insert into %s: row %d has %d values for %d columns", table, i, len(row), len(columns))
		}
	}
	return s.withRetry(ctx, "insert into "+table, func(ctx context.Context) error {
		return s.insertOnce(ctx, table, columns, rows)
	})
}

func (s *Store) insertOnce(ctx context.Context, table string, columns []string, rows [][]any) error {
	query := fmt.Sprintf("INSERT INTO %s (%s)", quoteIdent(table), strings.Join(columns, ", "))
	batch, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return fmt.Errorf("insert into %s: prepare: %w", table, err)
	}
	defer func() { _ = batch.Close() }()
	for i, row := range rows {
		if err := batch.Append(row...); err != nil {
			return fmt.Errorf("insert into %s: row %d: %w", table, i, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert into %s: send %d rows: %w", table, len(rows), err)
	}
	return nil
}

// Exec runs a statement that returns no rows. It does not bump the data version: figures are
// written with Insert or Write, never with Exec, or the dashboards' caches would not notice.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	if err := s.conn.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	return nil
}

// IsEmpty tells whether none of the figure tables hold a row, which is when `demo` may load.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	if s.cluster != "" {
		return s.clusterIsEmpty(ctx)
	}
	var n uint64
	err := s.conn.QueryRow(ctx,
		"SELECT count() FROM system.parts WHERE database = ? AND active AND table != 'schema_migrations'",
		s.database).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check whether database %s is empty: %w", s.database, err)
	}
	return n == 0, nil
}

// ErrMigrationChanged means an applied migration's text differs from what the binary holds.
var ErrMigrationChanged = errors.New("applied migration has changed")
