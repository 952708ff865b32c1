package query

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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
		index := make(map[int]int, len(years))
		out := make([]levelYear, len(years))
		for i, y := range years {
			index[y] = i
			out[i] = levelYear{followers: map[SocialAccount][]FollowerSnapshot{}, subscribers: map[string][]SubscriberSnapshot{}}
		}
		err := eachRow(ctx, q.conn, fmt.Sprintf("followers and subscribers %v", years), `
SELECT kind, a, b, date, n, x, y FROM (
    SELECT 'followers' AS kind, platform AS a, account_id AS b, date, followers AS n, follows AS x, unfollows AS y
    FROM social_followers_daily FINAL
    WHERE `+inYears+`
    UNION ALL
    SELECT 'subscribers', '', list_id, date, subscribers, toNullable(unsubscribed), toNullable(cleaned)
    FROM newsletter_subscribers_daily FINAL
    WHERE `+inYears+`
)
ORDER BY kind, a, b, date`, append(append([]any{}, args...), args...),
			func(rows driver.Rows) error {
				var kind, a, b string
				var day time.Time
				var n uint64
				var x, y *uint64
				if err := rows.Scan(&kind, &a, &b, &day, &n, &x, &y); err != nil {
					return err
				}
				day = day.UTC()
				block := out[index[day.Year()]]
				if kind == "followers" {
					acc := SocialAccount{Platform: a, AccountID: b}
					block.followers[acc] = append(block.followers[acc], FollowerSnapshot{Date: day, Followers: n, Follows: x, Unfollows: y})
				} else {
					block.subscribers[b] = append(block.subscribers[b], SubscriberSnapshot{Date: day, Subscribers: n, Unsubscribed: *x, Cleaned: *y})
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		return out, nil
	})
}

// levelsBetween is one account's or list's snapshots (of picks) from..to, both included, oldest
// first, out of the year blocks levelYears read.
func levelsBetween[T any](all map[int]levelYear, from, to time.Time, pick func(levelYear) []T, day func(T) time.Time) []T {
	var out []T
	for y := from.Year(); y <= to.Year(); y++ {
		for _, s := range pick(all[y]) {
			if d := day(s); !d.Before(from) && !d.After(to) {
				out = append(out, s)
			}
		}
	}
	return out
}
