package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// FollowerGrowth is how one social account's followers changed over a period.
type FollowerGrowth struct {
	Platform  string
	AccountID string
	From, To  time.Time // calendar days, both included
	// FollowersAtStart is the last snapshot before From (the count the period started with);
	// nil when no snapshot exists before the period.
	FollowersAtStart *uint64
	// FollowersAtEnd is the last snapshot on or before To, when it is in the period; nil when
	// there is none in it (a source that stopped before From has no count for the period, and no
	// new followers: carrying the old count forward would read as zero growth).
	FollowersAtEnd *uint64
	// MeasuredOn is the day of FollowersAtEnd's snapshot when that is before To: the count is
	// "last measured" on that day and NewFollowers the change up to it. Nil when measured on To.
	MeasuredOn *time.Time
	// NewFollowers is the net change, FollowersAtEnd − FollowersAtStart ("Antall nye følgere");
	// nil when either end is missing. It can be negative.
	NewFollowers *int64
	// GrossFollows and GrossUnfollows add up the daily follows and unfollows of the period's
	// snapshots; nil when no snapshot in the period reports them. Days without a snapshot are not
	// counted, so after a gap GrossFollows − GrossUnfollows can fall short of NewFollowers.
	GrossFollows   *uint64
	GrossUnfollows *uint64
	// GrowthRate is "Vekst", NewFollowers / FollowersAtStart as a fraction (1.316 is 131.6 %) by
	// the catalogue's one rule (metrics.GrowthRate); nil when the start is missing or zero. It is
	// computed, not copied from reports: InnoMed's 2022 report prints 133 % for Facebook, but
	// 350 / 266 = 131.6 %.
	GrowthRate *float64
}

// FollowerGrowthBetween returns an account's follower growth from..to (calendar days, both
// included), e.g. for the quarterly review. See FollowerGrowth's fields for the definitions. It
// reads the account's levels (followerHistory), shared with the other follower figures of a request.
func (q *Queries) FollowerGrowthBetween(ctx context.Context, platform, accountID string, from, to time.Time) (FollowerGrowth, error) {
	g := FollowerGrowth{Platform: platform, AccountID: accountID, From: from, To: to}
	h, err := q.followerHistory(ctx, platform, accountID, from, to)
	if err != nil {
		return g, fmt.Errorf("follower growth for %s/%s %s..%s: %w", platform, accountID, dateArg(from), dateArg(to), err)
	}
	if h.before != nil {
		v := h.before.n
		g.FollowersAtStart = &v
	}
	if v, on := h.measuredAt(to); v != nil && !on.Before(from) {
		g.FollowersAtEnd = v
		if on.Before(to) {
			g.MeasuredOn = &on
		}
	}
	snaps, err := q.Followers(ctx, platform, accountID, from, to)
	if err != nil {
		return g, err
	}
	for _, s := range snaps {
		if s.Follows != nil {
			g.GrossFollows = addTo(g.GrossFollows, *s.Follows)
		}
		if s.Unfollows != nil {
			g.GrossUnfollows = addTo(g.GrossUnfollows, *s.Unfollows)
		}
	}
	if g.FollowersAtEnd != nil && g.FollowersAtStart != nil {
		n := int64(*g.FollowersAtEnd) - int64(*g.FollowersAtStart)
		g.NewFollowers = &n
		end, gained := float64(*g.FollowersAtEnd), float64(n)
		g.GrowthRate = metrics.GrowthRate(&end, &gained)
	}
	return g, nil
}

func addTo(sum *uint64, n uint64) *uint64 {
	v := n
	if sum != nil {
		v += *sum
	}
	return &v
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
// without a snapshot are absent: gaps stay gaps, nothing is filled in. It reads whole years of
// every account's snapshots (levelYears), shared within a request.
func (q *Queries) Followers(ctx context.Context, platform, accountID string, from, to time.Time) ([]FollowerSnapshot, error) {
	all, err := q.levelYears(ctx, from, to)
	if err != nil {
		return nil, err
	}
	a := SocialAccount{Platform: platform, AccountID: accountID}
	return levelsBetween(all, from, to, func(l levelYear) []FollowerSnapshot { return l.followers[a] },
		func(s FollowerSnapshot) time.Time { return s.Date }), nil
}

// Reach is one provider row of people reached in a period. Reach counts people, so a quarter's
// reach is not the sum of its months; impressions (views) are additive.
type Reach struct {
	Period      days.Kind
	Start, End  time.Time
	Reach       uint64
	Impressions *uint64 // nil when the platform does not report them
}

// AverageReach is the report's "Rekkevidde per måned".
type AverageReach struct {
	// Months is how many months have a reach row; missing months are left out of the average
	// rather than counted as zero.
	Months int
	Total  uint64 // Σ monthly reach
	// Average is Total / Months; nil when no month has a row.
	Average *float64
}

// AverageReachOf is the mean of an account's month rows (ReachBetween with days.Month): the one
// definition of "reach per month", for the reports and the API alike.
func AverageReachOf(months []Reach) AverageReach {
	var a AverageReach
	for _, m := range months {
		a.Total += m.Reach
	}
	a.Months = len(months)
	if a.Months > 0 {
		avg := float64(a.Total) / float64(a.Months)
		a.Average = &avg
	}
	return a
}
