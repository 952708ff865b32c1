package query

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// What the database holds figures for (Discover). Social accounts, newsletter lists, event registers and
// feeds are not configured for the dashboard: it shows whatever the collectors and imports wrote.

// SocialAccount is one platform account that has follower snapshots or reach rows.
type SocialAccount struct {
	Platform  string
	AccountID string
}

// DataExtent is the first and last day with any figure for a site's dashboard: web traffic of the
// site, follower snapshots, subscriber snapshots, campaigns, events and publications.
type DataExtent struct {
	// Empty is true when no table holds anything; First and Last are then zero.
	Empty       bool
	First, Last time.Time
	// DataYears are the calendar years that hold any figure row, newest first: a year with no
	// row between two that have some is not among them.
	DataYears []int
}

// Years lists the calendar years that hold figures, newest first (DataYears; First..Last for an
// extent made without them).
func (e DataExtent) Years() []int {
	if e.Empty {
		return nil
	}
	if len(e.DataYears) > 0 {
		return append([]int(nil), e.DataYears...)
	}
	var out []int
	for y := e.Last.Year(); y >= e.First.Year(); y-- {
		out = append(out, y)
	}
	return out
}

// Discovery is what the database holds for a site's pages, reports and API: the extent of its
// figures and the accounts, lists, registers and feeds that have any. Every request needs it first,
// so it is one query (Discover).
type Discovery struct {
	Extent DataExtent
	// Social are the accounts with any follower or reach figure, by platform then account.
	Social []SocialAccount
	// Lists are the newsletter lists with subscriber or campaign figures.
	Lists []string
	// EventAccounts are the event registers that hold events, deleted ones included (a register
	// whose every event was withdrawn still exists).
	EventAccounts []string
	// Feeds are the publication feeds that hold items.
	Feeds []string

	// firstFollowers, firstSubscribers and firstSends are each account's and list's first snapshot
	// or send day: a level read for a range looks further back than the years the request reads
	// only when there is something there (Discover hands them to the request's readers).
	firstFollowers   map[SocialAccount]time.Time
	firstSubscribers map[string]time.Time
	firstSends       map[string]time.Time
}

// Scope is whose figures the KPIs read when nothing narrower is asked for: the site, every social
// account, the first newsletter list and events register, and every feed.
func (d Discovery) Scope(siteID string, loc *time.Location) KPIScope {
	s := KPIScope{SiteID: siteID, Social: d.Social, Feeds: d.Feeds, Location: loc}
	if len(d.Lists) > 0 {
		s.ListID = d.Lists[0]
	}
	if len(d.EventAccounts) > 0 {
		s.EventAccount = d.EventAccounts[0]
	}
	return s
}

// Discover returns the Discovery for a site in one query, once per Request. Instants (campaign sends, event starts,
// publications) count on their day in loc. Events entered ahead of time do not extend the extent's
// Last: it says how far the collected figures reach, which decides the dashboard's default period.
func (q *Queries) Discover(ctx context.Context, siteID string, loc *time.Location) (Discovery, error) {
	if loc == nil {
		return Discovery{}, fmt.Errorf("discover %s: nil time zone", siteID)
	}
	d, err := once(ctx, "discover\x00"+siteID+"\x00"+loc.String(), func() (Discovery, error) { return q.discoverOnce(ctx, siteID, loc) })
	if err == nil {
		// The first days are the same for every site and zone: the first discovery tells.
		prime(ctx, followersFirstKey, d.firstFollowers)
		prime(ctx, subscribersFirstKey, d.firstSubscribers)
		prime(ctx, sendsFirstKey, d.firstSends)
	}
	return d, err
}

// The request memo's keys of the first days Discover knows.
const (
	followersFirstKey   = "first\x00followers"
	subscribersFirstKey = "first\x00subscribers"
	sendsFirstKey       = "first\x00sends"
)

// prime stores v as the request's read for key, unless it holds one already; a nil v (a
// Discovery not made by discoverOnce) stores nothing.
func prime[K comparable](ctx context.Context, key string, v map[K]time.Time) {
	r := RequestOf(ctx)
	if r == nil || v == nil {
		return
	}
	r.store(key, v, false)
}

func (q *Queries) discoverOnce(ctx context.Context, siteID string, loc *time.Location) (Discovery, error) {
	tz := loc.String()
	d := Discovery{firstFollowers: map[SocialAccount]time.Time{}, firstSubscribers: map[string]time.Time{}, firstSends: map[string]time.Time{}}
	err := eachRow(ctx, q.conn, "discover "+siteID, `
SELECT kind, a, b, n, first, last FROM (
    SELECT 'year' AS kind, toString(toYear(d)) AS a, '' AS b, count() AS n, min(d) AS first, max(d) AS last FROM (
        SELECT date AS d FROM web_traffic_daily WHERE site_id = ?
        UNION ALL SELECT date AS d FROM social_followers_daily
        UNION ALL SELECT date AS d FROM newsletter_subscribers_daily
        UNION ALL SELECT toDate(send_time, ?) AS d FROM newsletter_campaigns
        UNION ALL SELECT toDate(starts_at, ?) AS d FROM events WHERE deleted = 0 AND starts_at <= now()
        UNION ALL SELECT toDate(published_at, ?) AS d FROM publications WHERE `+datedPublication+`
    )
    WHERE d > toDate(0)
    GROUP BY toYear(d)
    UNION ALL
    SELECT 'social', platform, account_id, sum(f), minIf(d, f = 1), toDate(0) FROM (
        SELECT platform, account_id, toUInt64(1) AS f, date AS d FROM social_followers_daily
        UNION ALL SELECT platform, account_id, toUInt64(0) AS f, period_start AS d FROM social_reach
    ) GROUP BY platform, account_id
    UNION ALL
    SELECT 'list', list_id, '', sum(f), minIf(d, f = 1), minIf(d, f = 0) FROM (
        SELECT list_id, toUInt64(1) AS f, date AS d FROM newsletter_subscribers_daily
        UNION ALL SELECT list_id, toUInt64(0) AS f, toDate(send_time, ?) AS d FROM newsletter_campaigns
    ) GROUP BY list_id
    UNION ALL SELECT DISTINCT 'register', account_id, '', toUInt64(0), toDate(0), toDate(0) FROM events
    UNION ALL SELECT DISTINCT 'feed', feed_id, '', toUInt64(0), toDate(0), toDate(0) FROM publications
)
ORDER BY kind, a, b`, []any{siteID, tz, tz, tz, tz},
		func(rows driver.Rows) error {
			var kind, a, b string
			var n uint64
			var first, last time.Time
			if err := rows.Scan(&kind, &a, &b, &n, &first, &last); err != nil {
				return err
			}
			switch kind {
			case "year":
				// One row per year with figures (a date at the column's zero is no figure's): the
				// extent is their span, the years themselves what pickers offer.
				y, err := strconv.Atoi(a)
				if err != nil || n == 0 {
					return nil
				}
				d.Extent.DataYears = append(d.Extent.DataYears, y)
				if d.Extent.First.IsZero() || first.Before(d.Extent.First) {
					d.Extent.First = first.UTC()
				}
				if last.After(d.Extent.Last) {
					d.Extent.Last = last.UTC()
				}
			case "social":
				acc := SocialAccount{Platform: a, AccountID: b}
				d.Social = append(d.Social, acc)
				if n > 0 {
					d.firstFollowers[acc] = first.UTC()
				}
			case "list":
				d.Lists = append(d.Lists, a)
				if n > 0 {
					d.firstSubscribers[a] = first.UTC()
				}
				// last is the list's first send here; the zero day when it has none.
				if !last.Equal(time.Unix(0, 0)) {
					d.firstSends[a] = last.UTC()
				}
			case "register":
				d.EventAccounts = append(d.EventAccounts, a)
			case "feed":
				d.Feeds = append(d.Feeds, a)
			}
			return nil
		})
	if err != nil {
		return Discovery{}, err
	}
	d.Extent.Empty = len(d.Extent.DataYears) == 0
	sort.Sort(sort.Reverse(sort.IntSlice(d.Extent.DataYears)))
	return d, nil
}

// primedFirstDays is the first days Discover gave the request under key, if it did.
func primedFirstDays(ctx context.Context, key string) (map[string]time.Time, bool) {
	e := memoEntryOf(ctx, key)
	if e == nil {
		return nil, false
	}
	select {
	case <-e.done:
	default:
		return nil, false
	}
	m, ok := e.v.(map[string]time.Time)
	return m, ok
}
