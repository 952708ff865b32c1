package query

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// Publication is one item of a configured feed.
type Publication struct {
	FeedID      string
	Title       string // as the feed wrote it: escape before display
	Link        string
	Category    string
	PublishedAt time.Time // UTC
	// Day is the local calendar day of PublishedAt.
	Day time.Time
}

// datedPublication is the SQL condition that keeps items with a publication date: an undated item
// is stored with published_at at the column's zero (figures.Publication.Dated) and counts in no
// day, month or extent, only in UndatedPublications.
const datedPublication = "toUnixTimestamp(published_at) != 0"

// SpanPublications returns the items of the given feeds (empty: every feed) published on the days
// of span s in loc, oldest first. An item is counted once, whatever number of times its feed
// repeats it (publications is keyed by feed and item).
func (q *Queries) SpanPublications(ctx context.Context, feeds []string, s days.Span, loc *time.Location) ([]Publication, error) {
	if loc == nil {
		return nil, fmt.Errorf("publications: nil time zone")
	}
	from, to := s.Instants(loc)
	return collect(ctx, q.conn, "publications "+dateArg(s.From)+".."+dateArg(s.To), `
SELECT feed_id, title, link, category, published_at
FROM publications FINAL
WHERE (? = 0 OR has(?, feed_id)) AND `+datedPublication+` AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
ORDER BY published_at, feed_id, item_key`, []any{len(feeds), keyList(feeds), from.Unix(), to.Unix()},
		func(rows driver.Rows) (Publication, error) {
			var p Publication
			err := rows.Scan(&p.FeedID, &p.Title, &p.Link, &p.Category, &p.PublishedAt)
			p.PublishedAt = p.PublishedAt.UTC()
			p.Day = days.Of(p.PublishedAt, loc)
			return p, err
		})
}

// MonthCount is how many items were published in one calendar month.
type MonthCount struct {
	Month time.Time // first day
	Count int
}

// PublicationsPerMonth counts the items of the feeds (empty: every feed) per local calendar month,
// for every month span s touches, months without items included as 0 (nothing published is a real
// zero once a feed is collected). Items are counted on their local day, as SpanPublications does.
// undated is the feeds' items without a publication date (as UndatedPublications), read in the
// same query: they belong to no month.
func (q *Queries) PublicationsPerMonth(ctx context.Context, feeds []string, s days.Span, loc *time.Location) (months []MonthCount, undated int, err error) {
	if loc == nil {
		return nil, 0, fmt.Errorf("publications per month: nil time zone")
	}
	first := days.Date(s.From.Year(), s.From.Month(), 1)
	last := days.Date(s.To.Year(), s.To.Month(), 1)
	from, to := days.Span{Kind: days.Custom, From: first, To: last.AddDate(0, 1, -1), End: last.AddDate(0, 1, -1)}.Instants(loc)
	index := map[time.Time]int{}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		index[m] = len(months)
		months = append(months, MonthCount{Month: m})
	}
	err = eachRow(ctx, q.conn, "publications per month "+dateArg(s.From)+".."+dateArg(s.To), `
SELECT toUInt8(`+datedPublication+`) AS dated, toStartOfMonth(toDate(published_at, ?)) AS month, count()
FROM publications FINAL
WHERE (? = 0 OR has(?, feed_id))
  AND (NOT `+datedPublication+` OR (published_at >= toDateTime(?) AND published_at < toDateTime(?)))
GROUP BY dated, month`, []any{loc.String(), len(feeds), keyList(feeds), from.Unix(), to.Unix()},
		func(rows driver.Rows) error {
			var dated uint8
			var month time.Time
			var n uint64
			if err := rows.Scan(&dated, &month, &n); err != nil {
				return err
			}
			if dated == 0 {
				undated += int(n)
			} else if i, ok := index[days.Date(month.Year(), month.Month(), 1)]; ok {
				months[i].Count += int(n)
			}
			return nil
		})
	if err != nil {
		return nil, 0, err
	}
	return months, undated, nil
}

// UndatedPublications counts, per feed (empty: every feed), the items stored without a publication
// date. They belong to no period, so the count is over every item collected: it is shown beside a
// period's monthly counts as "undated", never spread over months or put on the day first seen.
func (q *Queries) UndatedPublications(ctx context.Context, feeds []string) (map[string]int, error) {
	out := map[string]int{}
	err := eachRow(ctx, q.conn, "undated publications", `
SELECT feed_id, count() FROM publications FINAL
WHERE (? = 0 OR has(?, feed_id)) AND NOT `+datedPublication+`
GROUP BY feed_id`, []any{len(feeds), keyList(feeds)},
		func(rows driver.Rows) error {
			var feed string
			var n uint64
			err := rows.Scan(&feed, &n)
			out[feed] = int(n)
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
