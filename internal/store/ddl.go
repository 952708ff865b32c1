package store

import (
	"fmt"
	"strings"
	"text/template"
)

// DDL renders migration templates. It is the one place that knows how engines and the ON CLUSTER
// clause differ between a single server and a cluster: with Cluster set, every table gets the
// Replicated variant of its engine and every statement runs ON CLUSTER. Cluster mode is not yet
// offered in the config; it needs Distributed tables and a cluster to test against first.
type DDL struct {
	// Cluster is the name from <remote_servers>; empty means a single server.
	Cluster string
	// Database is needed for the replication path in ZooKeeper.
	Database string
}

// Render fills {{ engine "TABLE" "KIND" "VERSION" }} and {{ on_cluster }} in one migration.
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
	return out.String(), nil
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
	case "MergeTree", "ReplacingMergeTree":
	default:
		return "", fmt.Errorf("engine %q for table %s is not one the schema uses", kind, table)
	}
	if d.Cluster == "" {
		return kind + "(" + version + ")", nil
	}
	args := []string{fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s'", d.Database, table), "'{replica}'"}
	if version != "" {
		args = append(args, version)
	}
	return "Replicated" + kind + "(" + strings.Join(args, ", ") + ")", nil
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "\\`") + "`"
}
