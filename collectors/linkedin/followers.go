package linkedin

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// anchorStateName is the state file holding the first follower snapshot, the fixed point that
// every reconstructed day is counted back from.
const anchorStateName = "followers_anchor"

// anchor is the page's first snapshot. Reconstructing from this one count, rather than from each
// run's current count, keeps every reconstructed day the same on every re-run and makes the series
// join the live snapshots without a step: counting back from "now" would shift all past days by
// the gains of the last two days, which LinkedIn has not published yet, differently on every run.
type anchor struct {
	OrganizationID string    `json:"organization_id"`
	Day            string    `json:"day"` // YYYY-MM-DD in the configured time zone
	Followers      int64     `json:"followers"`
	TakenAt        time.Time `json:"taken_at"`
}

// followerGain is one element of time-bound follower statistics (DAY granularity).
type followerGain struct {
	TimeRange     *timeRange `json:"timeRange"`
	FollowerGains *struct {
		Organic int64 `json:"organicFollowerGain"`
		Paid    int64 `json:"paidFollowerGain"`
	} `json:"followerGains"`
}

// snapshot adds today's follower count when the window reaches today, or when there is no anchor
// yet to count back from (it then becomes the anchor). It returns the anchor, if there is one.
func (c *Collector) snapshot(ctx context.Context, window days.Range, today, now time.Time, sink *collectors.Sink) (anchor, bool, error) {
	a, ok, err := c.loadAnchor()
	if err != nil {
		return anchor{}, false, err
	}
	if !window.To.Before(today) || !ok {
		n, err := c.followerCount(ctx)
		if err != nil {
			return a, ok, err
		}
		sink.Add(figures.FollowersDay{Platform: figures.PlatformLinkedIn, AccountID: c.orgID, Date: today, Followers: uint64(n)})
		if !ok {
			a = anchor{OrganizationID: c.orgID, Day: days.Format(today), Followers: n, TakenAt: now.UTC()}
			if err := c.state.Save(anchorStateName, a); err != nil {
				return anchor{}, false, fmt.Errorf("linkedin: organization %s: keep the first follower snapshot: %w", c.orgID, err)
			}
		}
	}
	return a, true, nil
}

func (c *Collector) loadAnchor() (anchor, bool, error) {
	var a anchor
	ok, err := c.state.Load(anchorStateName, &a)
	if err != nil {
		return anchor{}, false, fmt.Errorf("linkedin: organization %s: %w", c.orgID, err)
	}
	if !ok || a.OrganizationID != c.orgID {
		return anchor{}, false, nil
	}
	if _, err := days.Parse(a.Day); err != nil {
		return anchor{}, false, fmt.Errorf("linkedin: organization %s: state %s: day: %w (delete the file to start afresh)", c.orgID, anchorStateName, err)
	}
	return a, true, nil
}

// followerCount is the page's follower total now (networkSizes firstDegreeSize).
func (c *Collector) followerCount(ctx context.Context) (int64, error) {
	var size struct {
		FirstDegreeSize *int64 `json:"firstDegreeSize"`
	}
	u := c.baseURL + "/networkSizes/" + c.orgURN + "?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
	if err := c.get(ctx, u, &size); err != nil {
		return 0, fmt.Errorf("linkedin: organization %s: follower count: %w", c.orgID, err)
	}
	if size.FirstDegreeSize == nil || *size.FirstDegreeSize < 0 {
		return 0, fmt.Errorf("linkedin: organization %s: networkSizes answered without a follower count (firstDegreeSize); check base_url", c.orgID)
	}
	return *size.FirstDegreeSize, nil
}

// reconstruct adds the follower totals of the window's days before the anchor day F:
//
//	total(end of D) = total(F) − Σ gains of the days D+1 … F
//
// where total(F) is the first snapshot, taken as the count at the end of its day, and a day's gain
// is organicFollowerGain + paidFollowerGain of the UTC day it starts on. The gains are taken as the
// net change (LinkedIn does not report unfollows separately), so Follows and Unfollows stay nil.
// A day is reconstructed only when every gain after it is known: days older than LinkedIn's
// 12-month window, or before a day LinkedIn left out, stay empty.
func (c *Collector) reconstruct(ctx context.Context, window days.Range, a anchor, now time.Time, sink *collectors.Sink) error {
	anchorDay, _ := days.Parse(a.Day)
	last := window.To
	if before := anchorDay.AddDate(0, 0, -1); before.Before(last) {
		last = before
	}
	if last.Before(window.From.AddDate(0, 0, -1)) {
		return nil
	}
	stats := statsWindowAt(now)
	if anchorDay.After(stats.Last) {
		ready := anchorDay.AddDate(0, 0, 1).Add(publishDelay)
		sink.Note("follower totals before %s are counted back from that day's snapshot using LinkedIn's daily gains, which LinkedIn publishes about two days late: "+
			"run the backfill of %s again after %s UTC", a.Day, window, ready.Format("2006-01-02 15:04"))
		return nil
	}
	// The day before the window too: a period starting on the window's first day starts from
	// its count. The day before the first day with a gain can still be counted back to.
	first := window.From.AddDate(0, 0, -1)
	if earliest := stats.First.AddDate(0, 0, -1); first.Before(earliest) {
		first = earliest
		if first.After(last) {
			sink.Note("no follower totals for %s: LinkedIn serves daily follower gains for the last 12 months only", days.Range{From: window.From, To: last})
			return nil
		}
		sink.Note("no follower totals for %s: LinkedIn serves daily follower gains for the last 12 months only", days.Range{From: window.From, To: first.AddDate(0, 0, -1)})
	}
	gains, err := c.allGains(ctx, first.AddDate(0, 0, 1), anchorDay)
	if err != nil {
		return err
	}
	total := a.Followers
	for d := anchorDay; d.After(first); d = d.AddDate(0, 0, -1) {
		gain, ok := gains[d]
		if !ok {
			sink.Note("LinkedIn gave no follower gain for %s: the totals of the days before it cannot be counted back and stay empty", days.Format(d))
			return nil
		}
		total -= gain
		if total < 0 {
			sink.Note("LinkedIn's follower gains up to %s exceed the first snapshot's %d followers: the totals before it are left empty", days.Format(d), a.Followers)
			return nil
		}
		if day := d.AddDate(0, 0, -1); !day.After(last) {
			sink.Add(figures.FollowersDay{Platform: figures.PlatformLinkedIn, AccountID: c.orgID, Date: day, Followers: uint64(total)})
		}
	}
	return nil
}

// allGains returns the daily gains from..to. The steps of a backfill, oldest first, all count back
// to the same anchor: the first step reads the span that holds every later one, and the later steps
// take their days from it instead of asking again.
func (c *Collector) allGains(ctx context.Context, from, to time.Time) (map[time.Time]int64, error) {
	c.mu.Lock()
	held := c.gains
	c.mu.Unlock()
	if !held.from.After(from) && held.to.Equal(to) && c.now().Sub(held.at) < cacheFor && !c.now().Before(held.at) {
		return held.gains, nil
	}
	gains, err := c.followerGains(ctx, from, to)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.gains = gainSpan{from: from, to: to, gains: gains, at: c.now()}
	c.mu.Unlock()
	return gains, nil
}

// cacheFor is how long the daily gains stand: the steps of one backfill share them, a later run
// asks again.
const cacheFor = time.Hour

// gainSpan is the daily gains of the days from..to as read at at.
type gainSpan struct {
	from, to, at time.Time
	gains        map[time.Time]int64
}

// followerGains returns the net follower gain of each UTC day from..to that LinkedIn reports.
func (c *Collector) followerGains(ctx context.Context, from, to time.Time) (map[time.Time]int64, error) {
	query := c.baseURL + "/organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=" + c.orgURN +
		"&timeIntervals=" + timeIntervals(from, to, "DAY")
	elements, err := fetchAll(ctx, c, query, func(e followerGain) int64 {
		if e.TimeRange == nil {
			return -1
		}
		return e.TimeRange.Start
	})
	if err != nil {
		return nil, fmt.Errorf("linkedin: organization %s: daily follower gains %s: %w", c.orgID, days.Range{From: from, To: to}, err)
	}
	gains := map[time.Time]int64{}
	for _, e := range elements {
		// An element without its span or its gains says nothing about a day: that day stays unknown.
		if e.TimeRange == nil || e.FollowerGains == nil {
			continue
		}
		d := e.TimeRange.day()
		if !e.TimeRange.covers(d, d) || d.Before(from) || d.After(to) {
			continue
		}
		gains[d] = e.FollowerGains.Organic + e.FollowerGains.Paid
	}
	return gains, nil
}
