// Package query is the one place that reads figures from ClickHouse. The dashboard, the reports and
// the API call its typed functions; handlers never hold SQL. Each figure has one definition here.
package query

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// Queries reads from one database.
type Queries struct {
	conn driver.Conn
}

// New returns the query layer over an open connection.
func New(conn driver.Conn) *Queries {
	return &Queries{conn: countingConn{conn}}
}

// The provider period kinds under the names collectors' integration tests call; the calendar
// itself is internal/days.
const (
	PeriodMonth   = days.Month
	PeriodQuarter = days.Quarter
	PeriodYear    = days.Year
)

// stretchKey is where a Request keeps the days its page covers (Cover).
const stretchKey = "\x00stretch"

// stretch is the days a page's figures cover, both included.
type stretch struct{ from, to time.Time }

// Cover tells the readers of one request that its page shows figures from..to (calendar days,
// both included): its span, the spans it is compared with, its sparklines and the year of a
// yearly chart. A reader of whole years (blocks) then reads all of them in its first query, so a
// page reads each table once however its figures split the stretch, and what it reads grows with
// the period shown, never with the history stored. Without a Request it does nothing.
func Cover(ctx context.Context, from, to time.Time) {
	r := RequestOf(ctx)
	if r == nil {
		return
	}
	r.store(stretchKey, stretch{from, to}, true)
}

// upcomingKey is where a Request keeps CoverUpcoming's hint.
const upcomingKey = "\x00upcoming"

// upcoming is the instant (and zone) a page lists the coming events from.
type upcoming struct {
	now time.Time
	loc *time.Location
}

// CoverUpcoming tells the request's readers that its page also lists the events coming after now
// (UpcomingEvents, days in loc): the page's event reads take those years too, so the list costs no
// query of its own. Without a Request it does nothing.
func CoverUpcoming(ctx context.Context, now time.Time, loc *time.Location) {
	r := RequestOf(ctx)
	if r == nil || loc == nil {
		return
	}
	r.store(upcomingKey, upcoming{now, loc}, true)
}

// upcomingOf is the request's CoverUpcoming hint, if any.
func upcomingOf(ctx context.Context) (upcoming, bool) {
	return hint[upcoming](ctx, upcomingKey)
}

// covered is the request's stretch (Cover), if any.
func covered(ctx context.Context) (stretch, bool) {
	return hint[stretch](ctx, stretchKey)
}

// store puts v in the memo under key as a finished read: a later reader of key gets v without a
// query. With replace false a value already there stays.
func (r *Request) store(key string, v any, replace bool) {
	done := make(chan struct{})
	close(done)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.memo == nil {
		r.memo = map[string]*memoEntry{}
	}
	if _, ok := r.memo[key]; ok && !replace {
		return
	}
	r.memo[key] = &memoEntry{done: done, v: v}
}

// hint is what Cover or CoverUpcoming left under key in the request, if anything.
func hint[T any](ctx context.Context, key string) (T, bool) {
	e := memoEntryOf(ctx, key)
	if e == nil {
		var zero T
		return zero, false
	}
	return e.v.(T), true
}

// memoEntryOf is the request's memo entry under key, nil without a Request or entry.
func memoEntryOf(ctx context.Context, key string) *memoEntry {
	r := RequestOf(ctx)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.memo[key]
}

// yearsFor is the calendar years a reader of whole years reads to answer from..to: those from..to
// touches and those of the request's stretch (Cover), in order. With lead, the stretch reaches back
// to the years a level's "last count before the range" is looked for in (levels.before: the year
// before the one of the day before the stretch), so asking for those later costs no query.
func yearsFor(ctx context.Context, from, to time.Time, lead bool) []int {
	set := map[int]bool{}
	for y := from.Year(); y <= to.Year(); y++ {
		set[y] = true
	}
	if s, ok := covered(ctx); ok {
		lo := s.from.Year()
		if lead {
			lo = s.from.AddDate(0, 0, -1).Year() - 1
		}
		for y := lo; y <= s.to.Year(); y++ {
			set[y] = true
		}
	}
	years := make([]int, 0, len(set))
	for y := range set {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

// readBack is the first day of the longest run of consecutive years, ending with year, that a
// reader of whole years (yearsFor with lead) reads in this request anyway: how far back it can look
// at no cost.
func readBack(ctx context.Context, year int, lead bool) time.Time {
	y := days.YearSpan(year)
	years := yearsFor(ctx, y.From, y.To, lead)
	first := year
	for i := len(years) - 1; i >= 0; i-- {
		if years[i] == first-1 {
			first--
		}
	}
	return days.YearSpan(first).From
}

// blocks returns family's value for each of years, read once per request: the years no part of
// the request has read yet are read together, in one call of read (with those years, ascending,
// returning one value per year in that order).
func blocks[T any](ctx context.Context, family string, years []int, read func(years []int) ([]T, error)) (map[int]T, error) {
	keys := make([]string, len(years))
	for i, y := range years {
		keys[i] = family + "\x00" + strconv.Itoa(y)
	}
	vs, err := onceEach(ctx, keys, func(missing []int) ([]T, error) {
		ys := make([]int, len(missing))
		for j, i := range missing {
			ys[j] = years[i]
		}
		return read(ys)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int]T, len(years))
	for i, y := range years {
		out[y] = vs[i]
	}
	return out, nil
}

// yearRuns groups ascending years into runs of consecutive years, first and last of each.
func yearRuns(years []int) [][2]int {
	var runs [][2]int
	for _, y := range years {
		if n := len(runs); n > 0 && runs[n-1][1] == y-1 {
			runs[n-1][1] = y
			continue
		}
		runs = append(runs, [2]int{y, y})
	}
	return runs
}

// daysIn is a WHERE condition keeping the rows whose Date column col lies in years, with its
// arguments: one range per run of consecutive years, so the sort key bounds the read. col is
// always a fixed column name, never input.
func daysIn(col string, years []int) (string, []any) {
	var parts []string
	var args []any
	for _, r := range yearRuns(years) {
		parts = append(parts, "("+col+" >= toDate(?) AND "+col+" <= toDate(?))")
		args = append(args, dateArg(days.YearSpan(r[0]).From), dateArg(days.YearSpan(r[1]).To))
	}
	if len(parts) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// instantsIn is daysIn for a DateTime column whose rows count on their day in loc.
func instantsIn(col string, years []int, loc *time.Location) (string, []any) {
	var parts []string
	var args []any
	for _, r := range yearRuns(years) {
		parts = append(parts, "("+col+" >= toDateTime(?) AND "+col+" < toDateTime(?))")
		args = append(args, time.Date(r[0], time.January, 1, 0, 0, 0, 0, loc).Unix(), time.Date(r[1]+1, time.January, 1, 0, 0, 0, 0, loc).Unix())
	}
	if len(parts) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// yearOf is the calendar year of instant t in loc: the block an instant's row belongs to.
func yearOf(t time.Time, loc *time.Location) int { return t.In(loc).Year() }

// splitYears sorts items read for years (a blocks read) into one slice per year, in years' order,
// by the year (in loc) of their instant at; each keeps the items' order.
func splitYears[T any](items []T, years []int, loc *time.Location, at func(T) time.Time) [][]T {
	index := make(map[int]int, len(years))
	for i, y := range years {
		index[y] = i
	}
	out := make([][]T, len(years))
	for _, it := range items {
		i := index[yearOf(at(it), loc)]
		out[i] = append(out[i], it)
	}
	return out
}

// collect runs query with args and turns each row into a T with scan; every error says what was
// read. It is the readers' one "query, scan each row, check the end" loop for lists.
func collect[T any](ctx context.Context, conn driver.Conn, what, query string, args []any, scan func(driver.Rows) (T, error)) ([]T, error) {
	var out []T
	err := eachRow(ctx, conn, what, query, args, func(rows driver.Rows) error {
		v, err := scan(rows)
		if err == nil {
			out = append(out, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRow runs query with args and calls use on each row, in order; every error (the query's,
// use's, the end's) says what was read. It is the one row loop of the readers that fold rows into
// something other than a list (collect).
func eachRow(ctx context.Context, conn driver.Conn, what, query string, args []any, use func(driver.Rows) error) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := use(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
