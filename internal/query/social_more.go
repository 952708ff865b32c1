package query

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// levels are a count's daily snapshots over a range plus the last one before it, enough to answer
// "the count on day d" (the last snapshot on or before d) for any d in the range: the definition
// of followers and of subscribers at a day (FollowersAtEnd, SubscribersAtEnd).
type levels struct {
	before *level // newest snapshot before the range; nil when none
	days   []level
}

type level struct {
	day time.Time
	n   uint64
}

// at is the count on day d; nil when there is no snapshot on or before it.
func (h levels) at(d time.Time) *uint64 {
	v, _ := h.measuredAt(d)
	return v
}

// measuredAt is the count on day d and the day of the snapshot it comes from; nil when there is
// no snapshot on or before d.
func (h levels) measuredAt(d time.Time) (*uint64, time.Time) {
	var found *uint64
	var on time.Time
	if h.before != nil && !h.before.day.After(d) {
		v := h.before.n
		found, on = &v, h.before.day
	}
	for _, s := range h.days {
		if s.day.After(d) {
			break
		}
		v := s.n
		found, on = &v, s.day
	}
	return found, on
}

// followerHistory is an account's follower levels over from..to. The level before from is the
// last snapshot of the years before from that the request reads anyway (levelYears: at least the
// year before from's); only when those have none, and the account was counted earlier, is the rest
// of its history asked, once per request.
func (q *Queries) followerHistory(ctx context.Context, platform, accountID string, from, to time.Time) (levels, error) {
	var h levels
	snaps, err := q.Followers(ctx, platform, accountID, from, to)
	if err != nil {
		return h, err
	}
	for _, s := range snaps {
		h.days = append(h.days, level{s.Date, s.Followers})
	}
	dayBefore := from.AddDate(0, 0, -1)
	earliest := readBack(ctx, dayBefore.Year()-1, true)
	earlier, err := q.Followers(ctx, platform, accountID, earliest, dayBefore)
	if err != nil {
		return h, err
	}
	if n := len(earlier); n > 0 {
		h.before = &level{earlier[n-1].Date, earlier[n-1].Followers}
		return h, nil
	}
	first, err := q.followerFirstDays(ctx)
	if err != nil {
		return h, err
	}
	if f, ok := first[SocialAccount{Platform: platform, AccountID: accountID}]; !ok || !f.Before(earliest) {
		return h, nil // nothing before from
	}
	before, err := once(ctx, fmt.Sprintf("followers-before\x00%s\x00%s\x00%s", platform, accountID, dateArg(earliest)), func() (*level, error) {
		var n, followers uint64
		var d time.Time
		err := q.conn.QueryRow(ctx, `
SELECT count(), argMax(followers, date), max(date)
FROM social_followers_daily FINAL
WHERE platform = ? AND account_id = ? AND date < toDate(?)`, platform, accountID, dateArg(earliest)).Scan(&n, &followers, &d)
		if err != nil || n == 0 {
			return nil, err
		}
		return &level{d.UTC(), followers}, nil
	})
	if err != nil {
		return h, fmt.Errorf("followers of %s/%s before %s: %w", platform, accountID, dateArg(from), err)
	}
	h.before = before
	return h, nil
}

// followerFirstDays is every account's first snapshot day; read once per request.
func (q *Queries) followerFirstDays(ctx context.Context) (map[SocialAccount]time.Time, error) {
	return once(ctx, followersFirstKey, func() (map[SocialAccount]time.Time, error) {
		out := map[SocialAccount]time.Time{}
		err := eachRow(ctx, q.conn, "first follower snapshots", `SELECT platform, account_id, min(date) FROM social_followers_daily GROUP BY platform, account_id`, nil,
			func(rows driver.Rows) error {
				var a SocialAccount
				var d time.Time
				err := rows.Scan(&a.Platform, &a.AccountID, &d)
				out[a] = d.UTC()
				return err
			})
		if err != nil {
			return nil, err
		}
		return out, nil
	})
}

// MonthFollowers is one month of an account's follower growth.
type MonthFollowers struct {
	Month time.Time // first day
	// NewFollowers is the net change over the month, as FollowerGrowthBetween defines it for the
	// month: followers at its last day minus followers before its first day; nil when either is
	// unknown. It can be negative.
	NewFollowers *int64
	// FollowersAtEnd is the last snapshot on or before the month's last day, when that snapshot
	// is in the month: a month after the account's last snapshot has no count and no new
	// followers (nil), never the last count carried forward as a flat line.
	FollowersAtEnd *uint64
	// MeasuredOn is the day of FollowersAtEnd's snapshot when it is before the month's last day
	// (the source stopped or skipped the month's end): the count is "last measured" then, and
	// NewFollowers the change up to that day. Nil when measured on the last day or unknown.
	MeasuredOn *time.Time
}

// MonthlyNewFollowers returns an account's net new followers per calendar month for every month
// that overlaps from..to, in order (months are whole even when from..to cuts them).
func (q *Queries) MonthlyNewFollowers(ctx context.Context, platform, accountID string, from, to time.Time) ([]MonthFollowers, error) {
	first := days.Date(from.Year(), from.Month(), 1)
	last := days.Date(to.Year(), to.Month(), 1).AddDate(0, 1, -1)
	h, err := q.followerHistory(ctx, platform, accountID, first, last)
	if err != nil {
		return nil, err
	}
	return monthlyFollowers(h, from, to), nil
}

// monthlyFollowers is MonthlyNewFollowers from an account's levels over (at least) the months
// overlapping from..to.
func monthlyFollowers(h levels, from, to time.Time) []MonthFollowers {
	first := days.Date(from.Year(), from.Month(), 1)
	last := days.Date(to.Year(), to.Month(), 1).AddDate(0, 1, -1)
	var out []MonthFollowers
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		row := MonthFollowers{Month: m}
		end := m.AddDate(0, 1, -1)
		if v, on := h.measuredAt(end); v != nil && !on.Before(m) {
			row.FollowersAtEnd = v
			if on.Before(end) {
				row.MeasuredOn = &on
			}
		}
		start := h.at(m.AddDate(0, 0, -1))
		if start != nil && row.FollowersAtEnd != nil {
			n := int64(*row.FollowersAtEnd) - int64(*start)
			row.NewFollowers = &n
		}
		out = append(out, row)
	}
	return out
}

// ReachBetween returns an account's reach rows of one period length that start from..to (both
// included), in date order. It reads whole years of rows (reachYears), shared within a request.
func (q *Queries) ReachBetween(ctx context.Context, platform, accountID string, period days.Kind, from, to time.Time) ([]Reach, error) {
	all, err := q.reachYears(ctx, from, to)
	if err != nil {
		return nil, err
	}
	a := SocialAccount{Platform: platform, AccountID: accountID}
	var out []Reach
	for y := from.Year(); y <= to.Year(); y++ {
		for _, r := range all[y][a] {
			if r.Period == period && !r.Start.Before(from) && !r.Start.After(to) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// reachYears is every account's reach rows by the year their period starts in, for the years
// yearsFor gives from..to; the years no part of the request has read are read in one query (the
// accounts are few, so one read serves them all).
func (q *Queries) reachYears(ctx context.Context, from, to time.Time) (map[int]map[SocialAccount][]Reach, error) {
	return blocks(ctx, "reach", yearsFor(ctx, from, to, false), func(years []int) ([]map[SocialAccount][]Reach, error) {
		where, args := daysIn("period_start", years)
		index := make(map[int]int, len(years))
		out := make([]map[SocialAccount][]Reach, len(years))
		for i, y := range years {
			index[y] = i
			out[i] = map[SocialAccount][]Reach{}
		}
		err := eachRow(ctx, q.conn, fmt.Sprintf("reach %v", years), `
SELECT platform, account_id, period, period_start, period_end, reach, impressions
FROM social_reach FINAL
WHERE `+where+`
ORDER BY platform, account_id, period_start, period`, args,
			func(rows driver.Rows) error {
				var a SocialAccount
				var r Reach
				var kind string
				if err := rows.Scan(&a.Platform, &a.AccountID, &kind, &r.Start, &r.End, &r.Reach, &r.Impressions); err != nil {
					return err
				}
				r.Period, r.Start, r.End = days.Kind(kind), r.Start.UTC(), r.End.UTC()
				block := out[index[r.Start.Year()]]
				block[a] = append(block[a], r)
				return nil
			})
		if err != nil {
			return nil, err
		}
		return out, nil
	})
}
