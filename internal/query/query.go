// Package query is the one place that reads figures from ClickHouse. The dashboard, the reports and
// the API call its typed functions; handlers never hold SQL. Each figure has one definition here.
package query

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Queries reads from one database.
type Queries struct {
	conn driver.Conn
}

// New returns the query layer over an open connection.
func New(conn driver.Conn) *Queries { return &Queries{conn: conn} }
