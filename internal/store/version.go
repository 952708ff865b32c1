package store

import (
	"context"
	"fmt"
	"time"
)

// versionTable is where writes are counted (schemas/0006_data_version.sql).
const versionTable = "data_version"

// unversioned are the tables whose writes change nothing a page shows: the migration record (which
// is written before data_version exists), a read-API token's last use (written on every API call,
// so bumping on it would empty every cache all day), a collector's lease (claimed, renewed and
// released around every run), a collector's checkpoint (where the next run starts; no page reads
// it, and the figures it follows bumped already) and the version table itself. Rows of a versioned
// table that re-state what a page already shows (a run's heartbeat) go through InsertUnversioned.
var unversioned = map[string]bool{
	"schema_migrations":     true,
	"api_token_use":         true,
	"collector_leases":      true,
	"collector_checkpoints": true,
	versionTable:            true,
}

// bumpVersion records that table changed. It lives here, under Insert and Write, so that no write
// path can forget it. A failed bump fails the write: the rows are stored, but the caller must learn
// that dashboards may go on showing the old figures (writes are idempotent by key, so a retry is
// safe).
func (s *Store) bumpVersion(ctx context.Context, table string) error {
	if unversioned[table] {
		return nil
	}
	err := s.insert(ctx, versionTable, []string{"version", "written_at", "tbl"},
		[][]any{{NewVersion(), time.Now().UTC().Truncate(time.Second), table}})
	if err != nil {
		return fmt.Errorf("%s written, but the data version was not bumped (caches may show older figures until the next write): %w", table, err)
	}
	v, err := s.DataVersion(ctx)
	if err != nil {
		return fmt.Errorf("%s written, but the data version could not be read back: %w", table, err)
	}
	for {
		old := s.written.Load()
		if v <= old || s.written.CompareAndSwap(old, v) {
			return nil
		}
	}
}

// DataVersion is the number of writes recorded so far. It only grows (nothing deletes from
// data_version), so it is a cache key that changes with every write by any process, whatever the
// writers' clocks say. The query reads one small table; instances poll it every second or two.
func (s *Store) DataVersion(ctx context.Context) (uint64, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+versionTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("read data version: %w", err)
	}
	return n, nil
}

// WrittenVersion is the data version as of this store's own latest write (0 before any): a cache
// in the same process takes the larger of it and its last poll, so its own writes show at once.
func (s *Store) WrittenVersion() uint64 { return s.written.Load() }
