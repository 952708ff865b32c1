package store

import (
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
	if strings.Contains(single, "ON CLUSTER") || strings.Contains(single, "Replicated") {
		t.Fatalf("single-node DDL mentions cluster features:\n%s", single)
	}
	if !strings.Contains(single, "ENGINE = ReplacingMergeTree(version)") {
		t.Fatalf("single-node DDL lacks ReplacingMergeTree(version):\n%s", single)
	}
	cluster, err := DDL{Database: "rk", Cluster: "main"}.Render(migrations[0].Name, migrations[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	stmts := SplitStatements(cluster)
	for _, stmt := range stmts {
		if !strings.Contains(stmt, "ON CLUSTER `main`") || !strings.Contains(stmt, "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/rk/") {
			t.Fatalf("cluster statement lacks ON CLUSTER or a Replicated engine:\n%s", stmt)
		}
	}
	if len(stmts) != len(SplitStatements(single)) {
		t.Fatalf("cluster and single-node renderings have different statement counts")
	}
}

func TestDDLRefusesUnknownEngine(t *testing.T) {
	_, err := DDL{}.Render("x", `CREATE TABLE t (a UInt8) ENGINE = {{ engine "t" "Log" "" }}`)
	if err == nil || !strings.Contains(err.Error(), "Log") {
		t.Fatalf("got %v, want an error naming the engine", err)
	}
}
