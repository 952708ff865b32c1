package query

import (
	"context"
	"fmt"
	"time"
)

// levelYear is one calendar year of the daily counts kept as levels: every social account's
// follower snapshots and every newsletter list's subscriber snapshots, oldest first.
type levelYear struct {
	followers   map[SocialAccount][]FollowerSnapshot
	subscribers map[string][]SubscriberSnapshot
}

// levelYears returns the level rows of the years yearsFor gives from..to (with the lead years a
// count's level before a range is looked for in), read once per request: both tables and every
// year not read yet in one query. The accounts and lists are few, so one read serves them all.
func (q *Queries) levelYears(ctx context.Context, from, to time.Time) (map[int]levelYear, error) {
	return blocks(ctx, "levels", yearsFor(ctx, from, to, true), func(years []int) ([]levelYear, error) {
		inYears, args := daysIn("date", years)
		rows, err := q.conn.Query(ctx, `
SELECT kind, a, b, date, n, x, y FROM (
    SELECT 'followers' AS kind, platform AS a, account_id AS b, date, followers AS n, follows AS x, unfollows AS y
    FROM social_followers_daily FINAL
    WHERE `+inYears+`
    UNION ALL
    SELECT 'subscribers', '', list_id, date, subscribers, toNullable(unsubscribed), toNullable(cleaned)
    FROM newsletter_subscribers_daily FINAL
    WHERE `+inYears+`
)
ORDER BY kind, a, b, date`, append(append([]any{}, args...), args...)...)
		if err != nil {
			return nil, fmt.Errorf("followers and subscribers %v: %w", years, err)
		}
		defer func() { _ = rows.Close() }()
		index := make(map[int]int, len(years))
		out := make([]levelYear, len(years))
		for i, y := range years {
			index[y] = i
			out[i] = levelYear{followers: map[SocialAccount][]FollowerSnapshot{}, subscribers: map[string][]SubscriberSnapshot{}}
		}
		for rows.Next() {
			var kind, a, b string
			var day time.Time
			var n uint64
			var x, y *uint64
			if err := rows.Scan(&kind, &a, &b, &day, &n, &x, &y); err != nil {
				return nil, fmt.Errorf("followers and subscribers: %w", err)
			}
			day = day.UTC()
			block := out[index[day.Year()]]
			if kind == "followers" {
				acc := SocialAccount{Platform: a, AccountID: b}
				block.followers[acc] = append(block.followers[acc], FollowerSnapshot{Date: day, Followers: n, Follows: x, Unfollows: y})
				continue
			}
			block.subscribers[b] = append(block.subscribers[b], SubscriberSnapshot{Date: day, Subscribers: n, Unsubscribed: *x, Cleaned: *y})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("followers and subscribers: %w", err)
		}
		return out, nil
	})
}
