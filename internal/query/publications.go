package query

import (
	"context"
	"fmt"
	"time"

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
	rows, err := q.conn.Query(ctx, `
SELECT feed_id, title, link, category, published_at
FROM publications FINAL
WHERE (? = 0 OR has(?, feed_id)) AND `+datedPublication+` AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
ORDER BY published_at, feed_id, item_key`, len(feeds), keyList(feeds), from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("publications %s..%s: %w", dateArg(s.From), dateArg(s.To), err)
	}
	defer func() { _ = rows.Close() }()
	var out []Publication
	for rows.Next() {
		var p Publication
		if err := rows.Scan(&p.FeedID, &p.Title, &p.Link, &p.Category, &p.PublishedAt); err != nil {
			return nil, fmt.Errorf("publications: %w", err)
		}
		p.PublishedAt = p.PublishedAt.UTC()
		p.Day = days.Of(p.PublishedAt, loc)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("publications: %w", err)
	}
	return out, nil
}

// MonthCount is how many items were published in one calendar month.
type MonthCount struct {
	Month time.Time // first day
	Count int
}

// PublicationsPerMonth counts the items of the feeds (empty: every feed) per local calendar month,
// for every month span s touches, months without items included as 0 (nothing published is a real
// zero once a feed is collected). Items are counted on their local day, as SpanPublications does.
func (q *Queries) PublicationsPerMonth(ctx context.Context, feeds []string, s days.Span, loc *time.Location) ([]MonthCount, error) {
	first := days.Date(s.From.Year(), s.From.Month(), 1)
	last := days.Date(s.To.Year(), s.To.Month(), 1)
	whole := days.Span{Kind: days.Custom, From: first, To: last.AddDate(0, 1, -1), End: last.AddDate(0, 1, -1)}
	items, err := q.SpanPublications(ctx, feeds, whole, loc)
	if err != nil {
		return nil, err
	}
	var out []MonthCount
	index := map[time.Time]int{}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		index[m] = len(out)
		out = append(out, MonthCount{Month: m})
	}
	for _, it := range items {
		out[index[days.Date(it.Day.Year(), it.Day.Month(), 1)]].Count++
	}
	return out, nil
}

// UndatedPublications counts, per feed (empty: every feed), the items stored without a publication
// date. They belong to no period, so the count is over every item collected: it is shown beside a
// period's monthly counts as "undated", never spread over months or put on the day first seen.
func (q *Queries) UndatedPublications(ctx context.Context, feeds []string) (map[string]int, error) {
	rows, err := q.conn.Query(ctx, `
SELECT feed_id, count() FROM publications FINAL
WHERE (? = 0 OR has(?, feed_id)) AND NOT `+datedPublication+`
GROUP BY feed_id`, len(feeds), keyList(feeds))
	if err != nil {
		return nil, fmt.Errorf("undated publications: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]int{}
	for rows.Next() {
		var feed string
		var n uint64
		if err := rows.Scan(&feed, &n); err != nil {
			return nil, fmt.Errorf("undated publications: %w", err)
		}
		out[feed] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("undated publications: %w", err)
	}
	return out, nil
}
