package store

import (
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/schemas"
)

func TestDDLRendersSingleNodeAndClusterEngines(t *testing.T) {
	migrations, err := LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	single, err := DDL{Database: "rk"}.Render(migrations[0].Name, migrations[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(single, "ON CLUSTER") || strings.Contains(single, "Replicated") || strings.Contains(single, "Distributed") {
		t.Fatalf("single-node DDL mentions cluster features:\n%s", single)
	}
	if !strings.Contains(single, "ENGINE = ReplacingMergeTree(version)") {
		t.Fatalf("single-node DDL lacks ReplacingMergeTree(version):\n%s", single)
	}
	for _, m := range migrations {
		cluster, err := DDL{Database: "rk", Cluster: "main"}.Render(m.Name, m.Text)
		if err != nil {
			t.Fatal(err)
		}
		single, err := DDL{Database: "rk"}.Render(m.Name, m.Text)
		if err != nil {
			t.Fatal(err)
		}
		stmts := SplitStatements(cluster)
		// An added column is the local ALTER, then the Distributed table made again.
		var creates []string
		for i := 0; i < len(stmts); i++ {
			if strings.HasPrefix(stmts[i], "INSERT INTO") {
				// A fill runs once, as written, through the Distributed tables.
				if !strings.Contains(single, stmts[i]) {
					t.Fatalf("%s: a fill on a cluster differs from the single server's:\n%s", m.Name, stmts[i])
				}
				continue
			}
			if !strings.HasPrefix(stmts[i], "ALTER TABLE") {
				creates = append(creates, stmts[i])
				continue
			}
			if i+2 >= len(stmts) || !strings.Contains(stmts[i], LocalSuffix+" ON CLUSTER `main` ADD COLUMN") ||
				!strings.HasPrefix(stmts[i+1], "DROP TABLE IF EXISTS `rk`.") || !strings.Contains(stmts[i+2], "ENGINE = Distributed(") {
				t.Fatalf("%s: an added column on a cluster:\n%s", m.Name, strings.Join(stmts[i:min(i+3, len(stmts))], "\n"))
			}
			i += 2
		}
		stmts = creates
		var singleCreates int
		for _, st := range SplitStatements(single) {
			if !strings.HasPrefix(st, "ALTER TABLE") && !strings.HasPrefix(st, "INSERT INTO") {
				singleCreates++
			}
		}
		if len(stmts) != 2*singleCreates {
			t.Fatalf("%s: %d cluster CREATE statements for %d single-node ones; want a local and a Distributed table for each", m.Name, len(stmts), singleCreates)
		}
		for i := 0; i < len(stmts); i += 2 {
			local, dist := stmts[i], stmts[i+1]
			name := createTable.FindStringSubmatch(strings.Replace(local, "`rk`.", "", 1))
			if name == nil || !strings.HasSuffix(name[1], LocalSuffix) {
				t.Fatalf("%s: not a local table:\n%s", m.Name, local)
			}
			table := strings.TrimSuffix(name[1], LocalSuffix)
			if !strings.Contains(local, "ON CLUSTER `main`") || !strings.Contains(local, "Replicated") ||
				!strings.Contains(local, "('/clickhouse/tables/{shard}/rk/"+table+"', '{replica}'") {
				t.Fatalf("%s: local table lacks ON CLUSTER or its Replicated engine:\n%s", m.Name, local)
			}
			want := "CREATE TABLE IF NOT EXISTS `rk`." + table + " ON CLUSTER `main` AS `rk`." + table + "_local ENGINE = Distributed('main', 'rk', '" + table + "_local', " + shardKeys[table] + ")"
			if dist != want {
				t.Fatalf("%s: Distributed table\n%s\nwant\n%s", m.Name, dist, want)
			}
		}
	}
	// The migration record is one replica set over every server, never sharded.
	rec, err := DDL{Database: "rk", Cluster: "main"}.Render("schema_migrations", migrationsTable)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rec, "Distributed") || !strings.Contains(rec, "ReplicatedMergeTree('/clickhouse/tables/all/rk/schema_migrations', '{shard}-{replica}')") {
		t.Fatalf("schema_migrations on a cluster:\n%s", rec)
	}
}

var (
	tableName  = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS (\w+)`)
	orderBy    = regexp.MustCompile(`(?m)^ORDER BY \(?([^)\n]+)\)?;?$`)
	keyColumns = regexp.MustCompile(`^cityHash64\(([^)]+)\)$`)
)

// Every table's sharding key hashes leading columns of its ORDER BY, so every version of a key is
// on one shard and FINAL (per shard) still sees them all.
func TestShardKeysComeFromTheTableKeys(t *testing.T) {
	migrations, err := LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		rendered, err := DDL{Database: "rk"}.Render(m.Name, m.Text)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range SplitStatements(rendered) {
			if strings.HasPrefix(stmt, "ALTER TABLE") || strings.HasPrefix(stmt, "INSERT INTO") {
				continue
			}
			c := tableName.FindStringSubmatch(stmt)
			o := orderBy.FindStringSubmatch(stmt)
			if c == nil || o == nil {
				t.Fatalf("%s: cannot read table and key of:\n%s", m.Name, stmt)
			}
			table, key := c[1], strings.Split(o[1], ",")
			expr, ok := shardKeys[table]
			if !ok {
				t.Errorf("%s: table %s has no sharding key", m.Name, table)
				continue
			}
			if expr == "rand()" && table == "data_version" {
				continue // counted, never read by key
			}
			k := keyColumns.FindStringSubmatch(expr)
			if k == nil {
				t.Errorf("%s: %s's sharding key %q hashes no key columns", m.Name, table, expr)
				continue
			}
			for i, col := range strings.Split(k[1], ",") {
				if i >= len(key) || strings.TrimSpace(key[i]) != strings.TrimSpace(col) {
					t.Errorf("%s: %s's sharding key %s is not a prefix of its key (%s)", m.Name, table, expr, o[1])
				}
			}
		}
	}
}

func TestDDLRefusesUnknownEngine(t *testing.T) {
	_, err := DDL{}.Render("x", `CREATE TABLE t (a UInt8) ENGINE = {{ engine "t" "Log" "" }}`)
	if err == nil || !strings.Contains(err.Error(), "Log") {
		t.Fatalf("got %v, want an error naming the engine", err)
	}
}

func TestDDLRefusesWhatItCannotDistribute(t *testing.T) {
	for _, text := range []string{
		"ALTER TABLE events {{ on_cluster }} DROP COLUMN x",
		`CREATE TABLE IF NOT EXISTS brand_new {{ on_cluster }} (a UInt8) ENGINE = {{ engine "brand_new" "MergeTree" "" }} ORDER BY a`,
		"INSERT INTO brand_new (a) SELECT 1",
	} {
		if _, err := (DDL{Database: "rk", Cluster: "c"}).Render("x", text); err == nil {
			t.Errorf("rendered for a cluster: %s", text)
		}
		if _, err := (DDL{Database: "rk"}).Render("x", text); err != nil {
			t.Errorf("single node: %v", err)
		}
	}
}
