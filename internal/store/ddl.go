package store

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// DDL renders migration templates. It is the one place that knows how a single server and a
// cluster differ. On a single server a migration runs as written, with plain engines. On a cluster
// (clickhouse.cluster) every table becomes two, so that no query elsewhere changes:
//
//   - NAME_local, on every server (ON CLUSTER), with the Replicated variant of its engine, kept in
//     ZooKeeper under /clickhouse/tables/{shard}/DATABASE/NAME, so each shard's replicas hold the
//     same rows;
//   - NAME, a Distributed table over NAME_local on every shard, which reads and writes go through.
//
// Rows are spread over the shards by shardKeys, which hashes the leading columns of each table's
// key: all versions of one key (one site, one account, one list) land on one shard. That is what
// keeps reads correct: FINAL and "the newest version per (site, day)" run on each shard separately,
// and only see every version of a key if they all live there. schema_migrations is the exception:
// one replicated copy on every server (no Distributed table), so each server knows what has been
// applied.
type DDL struct {
	// Cluster is the name from <remote_servers>; empty means a single server.
	Cluster string
	// Database is needed for the replication path in ZooKeeper and the Distributed tables.
	Database string
}

// LocalSuffix names a distributed table's per-server table in cluster mode.
const LocalSuffix = "_local"

// shardKeys is each table's sharding expression in cluster mode. Every expression uses only the
// leading columns of the table's ORDER BY (schemas/README.md), so the versions of one key never
// straddle shards; TestShardKeysComeFromTheTableKeys checks that against the migrations. A new
// table must be added here before it can be created on a cluster.
var shardKeys = map[string]string{
	"web_traffic_daily":            "cityHash64(site_id)",
	"web_visitors_period":          "cityHash64(site_id)",
	"web_top_pages":                "cityHash64(site_id)",
	"social_followers_daily":       "cityHash64(platform, account_id)",
	"social_reach":                 "cityHash64(platform, account_id)",
	"newsletter_subscribers_daily": "cityHash64(list_id)",
	"newsletter_campaigns":         "cityHash64(list_id)",
	"events":                       "cityHash64(account_id)",
	"event_attendance_by_sector":   "cityHash64(account_id)",
	"publications":                 "cityHash64(feed_id)",
	"annotations":                  "cityHash64(scope)",
	"collector_runs":               "cityHash64(source)",
	"collector_checkpoints":        "cityHash64(source)",
	"collector_leases":             "cityHash64(source)",
	"credentials":                  "cityHash64(source)",
	"history_figures":              "cityHash64(kpi, scope)",
	"report_publications":          "cityHash64(report, scope)",
	"api_tokens":                   "cityHash64(id)",
	"api_token_use":                "cityHash64(token_id)",
	"report_deliveries":            "cityHash64(report, scope, period)",
	"event_changes":                "cityHash64(account_id)",
	"report_withdrawals":           "cityHash64(report, scope)",
	"annotation_changes":           "cityHash64(scope)",
	"source_status":                "cityHash64(source)",
	// The data version (cache-bench) is a count of rows: any spread will do.
	"data_version": "rand()",
}

// everywhere are the tables kept whole on every server instead of sharded.
var everywhere = map[string]bool{"schema_migrations": true}

// Render fills {{ engine "TABLE" "KIND" "VERSION" }} and {{ on_cluster }} in one migration and, in
// cluster mode, turns each CREATE TABLE into its local and Distributed pair.
func (d DDL) Render(name, text string) (string, error) {
	tpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"engine":     d.engine,
		"on_cluster": d.onCluster,
	}).Parse(text)
	if err != nil {
		return "", fmt.Errorf("parse migration %s: %w", name, err)
	}
	var out strings.Builder
	if err := tpl.Execute(&out, nil); err != nil {
		return "", fmt.Errorf("render migration %s: %w", name, err)
	}
	if d.Cluster == "" {
		return out.String(), nil
	}
	var stmts []string
	for _, stmt := range SplitStatements(out.String()) {
		pair, err := d.distribute(stmt)
		if err != nil {
			return "", fmt.Errorf("render migration %s for cluster %s: %w", name, d.Cluster, err)
		}
		stmts = append(stmts, pair...)
	}
	return strings.Join(stmts, ";\n\n") + ";\n", nil
}

// createTable matches the statements migrations are made of: CREATE TABLE IF NOT EXISTS NAME
// ON CLUSTER … (columns…) ENGINE = …
var createTable = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*) (ON CLUSTER \S+) (\(.*)$`)

// alterAddColumn matches ALTER TABLE NAME ON CLUSTER … ADD COLUMN …, which must change both
// tables: the local one holds the data, the Distributed one must know the column to read it.
var alterAddColumn = regexp.MustCompile(`(?s)^ALTER TABLE ([A-Za-z_][A-Za-z0-9_]*) (ON CLUSTER \S+) (ADD COLUMN .*)$`)

// insertSelect matches INSERT INTO NAME (…) SELECT …, a migration filling a new table from others.
// On a cluster it runs once, as written: it writes through NAME's Distributed table and reads
// through the others', so every shard's rows are read and each lands on its own shard. It must be
// idempotent like every statement (schemas/0009 fills aggregate states of max and argMax).
var insertSelect = regexp.MustCompile(`(?s)^INSERT INTO ([A-Za-z_][A-Za-z0-9_]*) \(.*\)\s+SELECT\s`)

// distribute rewrites one cluster statement into the local table and its Distributed table. Any
// other kind of statement is refused rather than run half-right: this is where a new kind is to
// be taught.
func (d DDL) distribute(stmt string) ([]string, error) {
	db := quoteIdent(d.Database)
	if m := insertSelect.FindStringSubmatch(stmt); m != nil {
		if _, ok := shardKeys[m[1]]; !ok {
			return nil, fmt.Errorf("table %s has no sharding key in internal/store/ddl.go (shardKeys)", m[1])
		}
		return []string{stmt}, nil
	}
	if a := alterAddColumn.FindStringSubmatch(stmt); a != nil {
		table, onCluster, rest := a[1], a[2], a[3]
		if everywhere[table] {
			return []string{fmt.Sprintf("ALTER TABLE %s.%s %s %s", db, table, onCluster, rest)}, nil
		}
		key, ok := shardKeys[table]
		if !ok {
			return nil, fmt.Errorf("table %s has no sharding key in internal/store/ddl.go (shardKeys)", table)
		}
		// 18.16 refuses ALTER … ON CLUSTER on a Distributed table over replicated shards, so the
		// Distributed table, which holds no rows (inserts are synchronous), is made again from
		// the altered local table.
		return []string{
			fmt.Sprintf("ALTER TABLE %s.%s %s %s", db, table+LocalSuffix, onCluster, rest),
			fmt.Sprintf("DROP TABLE IF EXISTS %s.%s %s", db, table, onCluster),
			d.distributedTable(table, onCluster, key),
		}, nil
	}
	m := createTable.FindStringSubmatch(stmt)
	if m == nil {
		return nil, fmt.Errorf("only CREATE TABLE IF NOT EXISTS and ALTER TABLE … ADD COLUMN with {{ on_cluster }}, and INSERT INTO … SELECT, can run on a cluster yet; extend internal/store/ddl.go for: %.80s", stmt)
	}
	table, onCluster, rest := m[1], m[2], m[3]
	if everywhere[table] {
		return []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s %s %s", db, table, onCluster, rest)}, nil
	}
	key, ok := shardKeys[table]
	if !ok {
		return nil, fmt.Errorf("table %s has no sharding key in internal/store/ddl.go (shardKeys)", table)
	}
	local := table + LocalSuffix
	return []string{
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s %s %s", db, local, onCluster, rest),
		d.distributedTable(table, onCluster, key),
	}, nil
}

// distributedTable creates NAME over NAME_local on every shard.
func (d DDL) distributedTable(table, onCluster, key string) string {
	db, local := quoteIdent(d.Database), table+LocalSuffix
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s %s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
		db, table, onCluster, db, local, quoteString(d.Cluster), quoteString(d.Database), quoteString(local), key)
}

func (d DDL) onCluster() string {
	if d.Cluster == "" {
		return ""
	}
	return "ON CLUSTER " + quoteIdent(d.Cluster)
}

// engine returns e.g. ReplacingMergeTree(version), or its Replicated form in cluster mode.
func (d DDL) engine(table, kind, version string) (string, error) {
	switch kind {
	case "MergeTree", "ReplacingMergeTree", "AggregatingMergeTree":
	default:
		return "", fmt.Errorf("engine %q for table %s is not one the schema uses", kind, table)
	}
	if d.Cluster == "" {
		return kind + "(" + version + ")", nil
	}
	// A sharded table is replicated within its shard; a table kept everywhere is one replica set
	// over all servers, so its replica names must be unique across the cluster.
	path, replica := fmt.Sprintf("/clickhouse/tables/{shard}/%s/%s", d.Database, table), "{replica}"
	if everywhere[table] {
		path, replica = fmt.Sprintf("/clickhouse/tables/all/%s/%s", d.Database, table), "{shard}-{replica}"
	}
	args := []string{"'" + path + "'", "'" + replica + "'"}
	if version != "" {
		args = append(args, version)
	}
	return "Replicated" + kind + "(" + strings.Join(args, ", ") + ")", nil
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "\\`") + "`"
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}
