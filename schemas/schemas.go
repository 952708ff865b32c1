// Package schemas holds the numbered ClickHouse migrations (NNNN_name.sql), embedded in the binary.
// internal/store applies them in order; schemas/README.md explains every table.
package schemas

import "embed"

// Files are the migration sources, named NNNN_name.sql.
//
//go:embed *.sql
var Files embed.FS
