package store

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// clusterSettings go with every query in cluster mode (integer settings, which the native
// protocol carries to 18.16 too):
//
//   - insert_distributed_sync: a Distributed table otherwise queues an insert and answers at
//     once, so a read right after the write (the next page, the next backfill step's checkpoint)
//     could miss the rows, and a failure would go unreported. Synchronous, an insert returns once
//     its shards have the rows.
//   - prefer_localhost_replica=0: the server's own shard is then queried like the others, through
//     its SQL, instead of by a shortcut that on 18.16 fails for FINAL without the version column
//     among those selected ("Cannot find column version in source stream") — which most reads are.
var clusterSettings = clickhouse.Settings{"insert_distributed_sync": 1, "prefer_localhost_replica": 0}

// checkCluster refuses a cluster whose user profile would answer some reads wrongly or not at
// all; it does nothing for a single server. A read such as "the rows of the newest version per
// (site, day)" puts a Distributed table inside an IN over another, which ClickHouse refuses by
// default (distributed_product_mode deny). 'local' runs the inner part on each shard's own rows,
// which is right because the sharding keys keep every key's versions together (ddl.go); 'global'
// is right too, only dearer. It is a string setting, which the driver cannot send to 18.16, so it
// must come from the profile (scripts/cluster.sh and the README show it).
func checkCluster(ctx context.Context, conn driver.Conn, cluster string) error {
	if cluster == "" {
		return nil
	}
	var mode string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'distributed_product_mode'").Scan(&mode); err != nil {
		return fmt.Errorf("clickhouse cluster %s: read settings: %w", cluster, err)
	}
	if mode != "local" && mode != "global" {
		return fmt.Errorf("clickhouse cluster %s: the user's profile has distributed_product_mode = %q; set it to 'local' "+
			"(<distributed_product_mode>local</distributed_product_mode> in the profile of this user), or some reads fail", cluster, mode)
	}
	return nil
}

// clusterIsEmpty counts through the Distributed tables: this server's own parts hold only its
// shard's rows.
func (s *Store) clusterIsEmpty(ctx context.Context) (bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine = 'Distributed'", s.database)
	if err != nil {
		return false, fmt.Errorf("check whether database %s is empty: %w", s.database, err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return false, fmt.Errorf("check whether database %s is empty: %w", s.database, err)
		}
		tables = append(tables, name)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("check whether database %s is empty: %w", s.database, err)
	}
	for _, t := range tables {
		var n uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+quoteIdent(t)).Scan(&n); err != nil {
			return false, fmt.Errorf("check whether %s is empty: %w", t, err)
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}
