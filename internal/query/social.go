package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// FollowerGrowth is how one social account's followers changed over a period.
type FollowerGrowth struct {
	Platform  string
	AccountID string
	From, To  time.Time // calendar days, both included
	// FollowersAtStart is the last snapshot before From (the count the period started with);
	// nil when no snapshot exists before the period.
	FollowersAtStart *uint64
	// FollowersAtEnd is the last snapshot on or before To; nil when there is none.
	FollowersAtEnd *uint64
	// NewFollowers is the net change, FollowersAtEnd − FollowersAtStart ("Antall nye følgere");
	// nil when either end is missing. It can be negative.
	NewFollowers *int64
	// GrossFollows and GrossUnfollows add up the daily follows and unfollows of the period's
	// snapshots; nil when no snapshot in the period reports them. Days without a snapshot are not
	// counted, so after a gap GrossFollows − GrossUnfollows can fall short of NewFollowers.
	GrossFollows   *uint64
	GrossUnfollows *uint64
	// GrowthPercent is 100 × NewFollowers / FollowersAtStart ("Vekst"); nil when the start is
	// missing or zero. It is computed, not copied from reports: InnoMed's 2022 report prints 133 %
	// for Facebook, but 350 / 266 = 131.6 %.
	GrowthPercent *float64
}

// FollowerGrowth returns an account's follower growth over a calendar year.
func (q *Queries) FollowerGrowth(ctx context.Context, platform, accountID string, year int) (FollowerGrowth, error) {
	ys := days.YearSpan(year)
	first, last := ys.From, ys.To
	return q.FollowerGrowthBetween(ctx, platform, accountID, first, last)
}

// FollowerGrowthBetween returns an account's follower growth from..to (calendar days, both
// included), e.g. for the quarterly review. See FollowerGrowth's fields for the definitions.
func (q *Queries) FollowerGrowthBetween(ctx context.Context, platform, accountID string, from, to time.Time) (FollowerGrowth, error) {
	g := FollowerGrowth{Platform: platform, AccountID: accountID, From: from, To: to}
	f, t := dateArg(from), dateArg(to)
	var nEnd, atEnd, nStart, atStart, nFollows, follows, nUnfollows, unfollows uint64
	err := q.conn.QueryRow(ctx, `
SELECT
    count() AS n_end,
    argMax(followers, date) AS followers_at_end,
    countIf(date < toDate(?)) AS n_start,
    argMaxIf(followers, date, date < toDate(?)) AS followers_at_start,
    countIf(date >= toDate(?) AND follows IS NOT NULL) AS n_follows,
    sumIf(assumeNotNull(follows), date >= toDate(?) AND follows IS NOT NULL) AS gross_follows,
    countIf(date >= toDate(?) AND unfollows IS NOT NULL) AS n_unfollows,
    sumIf(assumeNotNull(unfollows), date >= toDate(?) AND unfollows IS NOT NULL) AS gross_unfollows
FROM social_followers_daily FINAL
WHERE platform = ? AND account_id = ? AND date <= toDate(?)`,
		f, f, f, f, f, f, platform, accountID, t).
		Scan(&nEnd, &atEnd, &nStart, &atStart, &nFollows, &follows, &nUnfollows, &unfollows)
	if err != nil {
		return g, fmt.Errorf("follower growth for %s/%s %s..%s: %w", platform, accountID, f, t, err)
	}
	if nEnd > 0 {
		g.FollowersAtEnd = &atEnd
	}
	if nStart > 0 {
		g.FollowersAtStart = &atStart
	}
	if nFollows > 0 {
		g.GrossFollows = &follows
	}
	if nUnfollows > 0 {
		g.GrossUnfollows = &unfollows
	}
	if g.FollowersAtEnd != nil && g.FollowersAtStart != nil {
		n := int64(atEnd) - int64(atStart)
		g.NewFollowers = &n
		if atStart > 0 {
			pct := 100 * float64(n) / float64(atStart)
			g.GrowthPercent = &pct
		}
	}
	return g, nil
}

// FollowerSnapshot is one day's follower count as collected.
type FollowerSnapshot struct {
	Date      time.Time
	Followers uint64
	// Follows and Unfollows are the day's gross movements; nil when the platform does not report them.
	Follows   *uint64
	Unfollows *uint64
}

// Followers returns an account's daily snapshots from..to (both included), oldest first. Days
// without a snapshot are absent: gaps stay gaps, nothing is filled in.
func (q *Queries) Followers(ctx context.Context, platform, accountID string, from, to time.Time) ([]FollowerSnapshot, error) {
	rows, err := q.conn.Query(ctx, `
SELECT date, followers, follows, unfollows
FROM social_followers_daily FINAL
WHERE platform = ? AND account_id = ? AND date >= toDate(?) AND date <= toDate(?)
ORDER BY date`, platform, accountID, dateArg(from), dateArg(to))
	if err != nil {
		return nil, fmt.Errorf("followers of %s/%s: %w", platform, accountID, err)
	}
	defer func() { _ = rows.Close() }()
	var out []FollowerSnapshot
	for rows.Next() {
		var s FollowerSnapshot
		if err := rows.Scan(&s.Date, &s.Followers, &s.Follows, &s.Unfollows); err != nil {
			return nil, fmt.Errorf("followers of %s/%s: %w", platform, accountID, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("followers of %s/%s: %w", platform, accountID, err)
	}
	return out, nil
}

// Reach is one provider row of people reached in a period. Reach counts people, so a quarter's
// reach is not the sum of its months; impressions (views) are additive.
type Reach struct {
	Period      days.Kind
	Start, End  time.Time
	Reach       uint64
	Impressions *uint64 // nil when the platform does not report them
}

// ReachByPeriod returns an account's reach rows of one period length whose start lies in year,
// in date order (ReachBetween over the year).
func (q *Queries) ReachByPeriod(ctx context.Context, platform, accountID string, period days.Kind, year int) ([]Reach, error) {
	y := days.YearSpan(year)
	return q.ReachBetween(ctx, platform, accountID, period, y.From, y.To)
}

// MonthlyReach returns an account's month rows of year.
func (q *Queries) MonthlyReach(ctx context.Context, platform, accountID string, year int) ([]Reach, error) {
	return q.ReachByPeriod(ctx, platform, accountID, days.Month, year)
}

// AverageReach is the report's "Rekkevidde per måned".
type AverageReach struct {
	// Months is how many months of the year have a reach row; missing months are left out of the
	// average rather than counted as zero.
	Months int
	Total  uint64 // Σ monthly reach
	// Average is Total / Months; nil when no month has a row.
	Average *float64
}

// AverageMonthlyReach returns the mean of an account's monthly reach over the months of year that
// have a row.
func (q *Queries) AverageMonthlyReach(ctx context.Context, platform, accountID string, year int) (AverageReach, error) {
	months, err := q.MonthlyReach(ctx, platform, accountID, year)
	if err != nil {
		return AverageReach{}, err
	}
	var a AverageReach
	for _, m := range months {
		a.Total += m.Reach
	}
	a.Months = len(months)
	if a.Months > 0 {
		avg := float64(a.Total) / float64(a.Months)
		a.Average = &avg
	}
	return a, nil
}
