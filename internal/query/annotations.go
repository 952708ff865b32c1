package query

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// AnnotationKind says where an annotation comes from.
type AnnotationKind string

// Annotation kinds. Only manual ones are stored as annotations; the others are read from the
// figure tables, so a campaign or an event is a marker on the charts without being copied.
const (
	AnnotationNewsletter  AnnotationKind = "newsletter"
	AnnotationEvent       AnnotationKind = "event"
	AnnotationPublication AnnotationKind = "publication"
	AnnotationManual      AnnotationKind = "manual"
)

// Annotation is one marker on the time charts.
type Annotation struct {
	// Day is the calendar day (in the organisation's time zone) the marker stands on.
	Day   time.Time
	Kind  AnnotationKind
	Title string // as the source wrote it: escape before display
	Link  string // may be empty
	// Source is the row's source column (a source id, "demo", "form", an import).
	Source string
}

// AnnotationScope says which annotations belong on a page.
type AnnotationScope struct {
	// Scopes are the annotations table's scope values to include (a site id, "global", …).
	Scopes []string
	// ListID and EventAccount select newsletter sends and events; empty leaves them out.
	ListID       string
	EventAccount string
	// Feeds are the publication feeds to include; empty leaves publications out.
	Feeds []string
	// Location turns send, start and publication instants into days.
	Location *time.Location
}

// Annotations returns the markers for span s: newsletter sends of the list, events of the account
// (deleted ones left out), items of the feeds, and manual annotations of the scopes (deleted ones
// left out), ordered by day, then kind, then title.
func (q *Queries) Annotations(ctx context.Context, scope AnnotationScope, s days.Span) ([]Annotation, error) {
	if scope.Location == nil {
		return nil, fmt.Errorf("annotations: nil time zone")
	}
	from, to := s.Instants(scope.Location)
	fromU, toU := from.Unix(), to.Unix()
	// Instants are handed back as instants and turned into local days here, the same way every
	// other query of this package does it; manual annotations are days already.
	out, err := collect(ctx, q.conn, "annotations "+dateArg(s.From)+".."+dateArg(s.To), `
SELECT kind, at, day, title, link, source FROM (
    SELECT 'newsletter' AS kind, send_time AS at, toDate('1970-01-01') AS day, title, '' AS link, source
    FROM newsletter_campaigns FINAL
    WHERE list_id = ? AND send_time >= toDateTime(?) AND send_time < toDateTime(?)
    UNION ALL
    SELECT 'event' AS kind, starts_at AS at, toDate('1970-01-01') AS day, title, '' AS link, source
    FROM events FINAL
    WHERE account_id = ? AND deleted = 0 AND starts_at >= toDateTime(?) AND starts_at < toDateTime(?)
    UNION ALL
    SELECT 'publication' AS kind, published_at AS at, toDate('1970-01-01') AS day, title, link, source
    FROM publications FINAL
    WHERE has(?, feed_id) AND `+datedPublication+` AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
    UNION ALL
    SELECT 'manual' AS kind, toDateTime(0, 'UTC') AS at, date AS day, title, link, source
    FROM annotations FINAL
    WHERE has(?, scope) AND deleted = 0 AND date >= toDate(?) AND date <= toDate(?)
)`,
		[]any{scope.ListID, fromU, toU,
			scope.EventAccount, fromU, toU,
			keyList(scope.Feeds), fromU, toU,
			keyList(scope.Scopes), dateArg(s.From), dateArg(s.To)},
		func(rows driver.Rows) (Annotation, error) {
			var a Annotation
			var kind string
			var at, d time.Time
			err := rows.Scan(&kind, &at, &d, &a.Title, &a.Link, &a.Source)
			a.Kind = AnnotationKind(kind)
			if a.Kind == AnnotationManual {
				a.Day = days.Date(d.Date())
			} else {
				a.Day = days.Of(at, scope.Location)
			}
			return a, err
		})
	if err != nil {
		return nil, err
	}
	order := map[AnnotationKind]int{AnnotationManual: 0, AnnotationEvent: 1, AnnotationNewsletter: 2, AnnotationPublication: 3}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] < order[b.Kind]
		}
		return a.Title < b.Title
	})
	return out, nil
}

// noKey stands in for an empty key list: ClickHouse 18.16 types [] as Array(Nothing), which has()
// refuses next to a String column. No collector or import writes "<" into an id.
const noKey = "<no key>"

// keyList binds a list of keys for has(?, col); an empty list matches nothing.
func keyList(s []string) []string {
	if len(s) == 0 {
		return []string{noKey}
	}
	return s
}
