package query

import (
	"context"
	"fmt"
	"time"
)

// What the database holds figures for. Social accounts, newsletter lists, event registers and
// feeds are not configured for the dashboard: it shows whatever the collectors and imports wrote.

// SocialAccount is one platform account that has follower snapshots or reach rows.
type SocialAccount struct {
	Platform  string
	AccountID string
}

// SocialAccounts lists the accounts with any follower or reach figure, by platform then account.
func (q *Queries) SocialAccounts(ctx context.Context) ([]SocialAccount, error) {
	rows, err := q.conn.Query(ctx, `
SELECT DISTINCT platform, account_id FROM (
    SELECT platform, account_id FROM social_followers_daily
    UNION ALL
    SELECT platform, account_id FROM social_reach
)
ORDER BY platform, account_id`)
	if err != nil {
		return nil, fmt.Errorf("social accounts: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []SocialAccount
	for rows.Next() {
		var a SocialAccount
		if err := rows.Scan(&a.Platform, &a.AccountID); err != nil {
			return nil, fmt.Errorf("social accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("social accounts: %w", err)
	}
	return out, nil
}

// NewsletterLists lists the newsletter lists with subscriber or campaign figures.
func (q *Queries) NewsletterLists(ctx context.Context) ([]string, error) {
	return q.distinct(ctx, "newsletter lists", `
SELECT DISTINCT list_id FROM (
    SELECT list_id FROM newsletter_subscribers_daily
    UNION ALL
    SELECT list_id FROM newsletter_campaigns
)
ORDER BY list_id`)
}

// EventAccounts lists the event registers (account ids) that hold events, deleted ones included
// (a register whose every event was withdrawn still exists).
func (q *Queries) EventAccounts(ctx context.Context) ([]string, error) {
	return q.distinct(ctx, "event accounts", `SELECT DISTINCT account_id FROM events ORDER BY account_id`)
}

// Feeds lists the publication feeds that hold items.
func (q *Queries) Feeds(ctx context.Context) ([]string, error) {
	return q.distinct(ctx, "feeds", `SELECT DISTINCT feed_id FROM publications ORDER BY feed_id`)
}

func (q *Queries) distinct(ctx context.Context, what, query string, args ...any) ([]string, error) {
	rows, err := q.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// DataExtent is the first and last day with any figure for a site's dashboard: web traffic of the
// site, follower snapshots, subscriber snapshots, campaigns, events and publications.
type DataExtent struct {
	// Empty is true when no table holds anything; First and Last are then zero.
	Empty       bool
	First, Last time.Time
}

// Years lists the calendar years First..Last, newest first.
func (e DataExtent) Years() []int {
	if e.Empty {
		return nil
	}
	var out []int
	for y := e.Last.Year(); y >= e.First.Year(); y-- {
		out = append(out, y)
	}
	return out
}

// DataExtent returns the span of days that hold figures. Instants (campaign sends, event starts,
// publications) count on their day in loc. Events entered ahead of time do not extend Last: Last
// says how far the collected figures reach, which decides the dashboard's default period.
func (q *Queries) DataExtent(ctx context.Context, siteID string, loc *time.Location) (DataExtent, error) {
	tz := loc.String()
	var n uint64
	var first, last time.Time
	err := q.conn.QueryRow(ctx, `
SELECT count(), min(d), max(d) FROM (
    SELECT date AS d FROM web_traffic_daily WHERE site_id = ?
    UNION ALL SELECT date AS d FROM social_followers_daily
    UNION ALL SELECT date AS d FROM newsletter_subscribers_daily
    UNION ALL SELECT toDate(send_time, ?) AS d FROM newsletter_campaigns
    UNION ALL SELECT toDate(starts_at, ?) AS d FROM events WHERE deleted = 0 AND starts_at <= now()
    UNION ALL SELECT toDate(published_at, ?) AS d FROM publications
)`, siteID, tz, tz, tz).Scan(&n, &first, &last)
	if err != nil {
		return DataExtent{}, fmt.Errorf("data extent for %s: %w", siteID, err)
	}
	if n == 0 {
		return DataExtent{Empty: true}, nil
	}
	return DataExtent{First: first.UTC(), Last: last.UTC()}, nil
}
