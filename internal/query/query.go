// Package query is the one place that reads figures from ClickHouse. The dashboard, the reports and
// the API call its typed functions; handlers never hold SQL. Each figure has one definition here.
package query

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// Queries reads from one database.
type Queries struct {
	conn driver.Conn
	// discover is Discover's implementation: discoverOnce, or a cache around it (WrapDiscover).
	discover DiscoverFunc
}

// New returns the query layer over an open connection.
func New(conn driver.Conn) *Queries {
	q := &Queries{conn: countingConn{conn}}
	q.discover = q.discoverOnce
	return q
}

// The provider period kinds under the names collectors' integration tests call; the calendar
// itself is internal/days.
const (
	PeriodMonth   = days.Month
	PeriodQuarter = days.Quarter
	PeriodYear    = days.Year
)
