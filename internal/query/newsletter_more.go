package query

import (
	"context"
	"fmt"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// OpenRate is our open rate of one send: UniqueOpens / Delivered, 0–1; nil when nothing was
// delivered. It sits next to ProviderOpenRate, which each provider defines its own way.
func (c Campaign) OpenRate() *float64 { return ratio(c.UniqueOpens, c.Delivered) }

// ClickRate is our click rate of one send: UniqueClicks / Delivered, 0–1 (people who clicked per
// email delivered); nil when nothing was delivered.
func (c Campaign) ClickRate() *float64 { return ratio(c.UniqueClicks, c.Delivered) }

func ratio(n, d uint64) *float64 {
	if d == 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// CampaignTotals adds up a set of sends.
type CampaignTotals struct {
	Campaigns                 int
	EmailsSent, Delivered     uint64
	UniqueOpens, UniqueClicks uint64
	Unsubscribed              uint64
	// OpenRate and ClickRate are the pooled rates Σ UniqueOpens / Σ Delivered and Σ UniqueClicks /
	// Σ Delivered — the one definition of a set of sends' rates (KPIs, reports, API):
	// every delivered email weighs the same. Nil when nothing was delivered.
	OpenRate, ClickRate *float64
	// MeanClickRate is the plain mean of the sends' own click rates (Campaign.ClickRate), shown
	// beside the pooled rate and labelled as such: a small send counts as much as a large one.
	// Nil when no send was delivered.
	MeanClickRate *float64
}

// SumCampaigns adds up campaigns.
func SumCampaigns(cs []Campaign) CampaignTotals {
	var t CampaignTotals
	for _, c := range cs {
		t.Campaigns++
		t.EmailsSent += c.EmailsSent
		t.Delivered += c.Delivered
		t.UniqueOpens += c.UniqueOpens
		t.UniqueClicks += c.UniqueClicks
		t.Unsubscribed += c.Unsubscribed
	}
	t.OpenRate, t.ClickRate = ratio(t.UniqueOpens, t.Delivered), ratio(t.UniqueClicks, t.Delivered)
	var sum float64
	n := 0
	for _, c := range cs {
		if r := c.ClickRate(); r != nil {
			sum += *r
			n++
		}
	}
	if n > 0 {
		mean := sum / float64(n)
		t.MeanClickRate = &mean
	}
	return t
}

// SpanCampaigns returns a list's campaigns sent on the days of span s in loc, oldest first. It
// reads whole years (campaignYears), shared within a request.
func (q *Queries) SpanCampaigns(ctx context.Context, listID string, s days.Span, loc *time.Location) ([]Campaign, error) {
	if loc == nil {
		return nil, fmt.Errorf("campaigns of %s: nil time zone", listID)
	}
	from, to := s.Instants(loc)
	return q.campaignsIn(ctx, listID, loc, s.From, s.To, func(c Campaign) bool {
		return !c.SendTime.Before(from) && c.SendTime.Before(to)
	})
}

// campaignsIn is the campaigns of the years from..to touches (days in loc) that keep accepts, oldest first.
func (q *Queries) campaignsIn(ctx context.Context, listID string, loc *time.Location, from, to time.Time, keep func(Campaign) bool) ([]Campaign, error) {
	all, err := q.campaignYears(ctx, listID, loc, from, to)
	if err != nil {
		return nil, err
	}
	var out []Campaign
	for y := from.Year(); y <= to.Year(); y++ {
		for _, c := range all[y] {
			if keep(c) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// campaignYears is a list's campaigns by the year of their send in loc, for the years yearsFor
// gives from..to (with the lead years, where the newest send before a range is looked for); the
// years no part of the request has read are read in one query.
func (q *Queries) campaignYears(ctx context.Context, listID string, loc *time.Location, from, to time.Time) (map[int][]Campaign, error) {
	return blocks(ctx, "campaigns\x00"+listID+"\x00"+loc.String(), yearsFor(ctx, from, to, true), func(years []int) ([][]Campaign, error) {
		where, args := instantsIn("send_time", years, loc)
		cs, err := q.readCampaigns(ctx, listID, where, args...)
		if err != nil {
			return nil, err
		}
		return splitYears(cs, years, loc, func(c Campaign) time.Time { return c.SendTime }), nil
	})
}

// lastCampaignBefore is a list's newest campaign sent before day (its start in loc), or nil: looked
// for in the years before day the request reads anyway, and only when those hold none and the list
// sent earlier (or nobody said when it first sent), in the rest of its history, once per request.
func (q *Queries) lastCampaignBefore(ctx context.Context, listID string, loc *time.Location, day time.Time) (*Campaign, error) {
	dayBefore := day.AddDate(0, 0, -1)
	earliest := readBack(ctx, dayBefore.Year()-1, true)
	limit := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	earlier, err := q.campaignsIn(ctx, listID, loc, earliest, dayBefore, func(c Campaign) bool { return c.SendTime.Before(limit) })
	if err != nil {
		return nil, err
	}
	if n := len(earlier); n > 0 {
		return &earlier[n-1], nil
	}
	if firsts, ok := primedFirstDays(ctx, sendsFirstKey); ok {
		if first, has := firsts[listID]; !has || !first.Before(earliest) {
			return nil, nil
		}
	}
	start := time.Date(earliest.Year(), earliest.Month(), earliest.Day(), 0, 0, 0, 0, loc).Unix()
	return once(ctx, fmt.Sprintf("campaign-before\x00%s\x00%s\x00%d", listID, loc, start), func() (*Campaign, error) {
		cs, err := q.readCampaigns(ctx, listID, `send_time < toDateTime(?) AND send_time >= (
    SELECT max(send_time) FROM newsletter_campaigns FINAL WHERE list_id = ? AND send_time < toDateTime(?))`, start, listID, start)
		if err != nil || len(cs) == 0 {
			return nil, err
		}
		return &cs[len(cs)-1], nil
	})
}

// subscriberHistory is a list's subscriber levels over from..to. The level before from is looked
// for like followerHistory's: in the years before from the request reads anyway, and only when
// those hold none and the list was counted earlier (or nobody said when it first was), in the
// rest of its history, once per request.
func (q *Queries) subscriberHistory(ctx context.Context, listID string, from, to time.Time) (levels, error) {
	var h levels
	snaps, err := q.Subscribers(ctx, listID, from, to)
	if err != nil {
		return h, err
	}
	for _, s := range snaps {
		h.days = append(h.days, level{s.Date.UTC(), s.Subscribers})
	}
	dayBefore := from.AddDate(0, 0, -1)
	earliest := readBack(ctx, dayBefore.Year()-1, true)
	earlier, err := q.Subscribers(ctx, listID, earliest, dayBefore)
	if err != nil {
		return h, err
	}
	if n := len(earlier); n > 0 {
		h.before = &level{earlier[n-1].Date.UTC(), earlier[n-1].Subscribers}
		return h, nil
	}
	if firsts, ok := primedFirstDays(ctx, subscribersFirstKey); ok {
		if first, has := firsts[listID]; !has || !first.Before(earliest) {
			return h, nil // nothing before from
		}
	}
	before, err := once(ctx, fmt.Sprintf("subscribers-before\x00%s\x00%s", listID, dateArg(earliest)), func() (*level, error) {
		var n, subs uint64
		var d time.Time
		err := q.conn.QueryRow(ctx, `
SELECT count(), argMax(subscribers, date), max(date)
FROM newsletter_subscribers_daily FINAL
WHERE list_id = ? AND date < toDate(?)`, listID, dateArg(earliest)).Scan(&n, &subs, &d)
		if err != nil || n == 0 {
			return nil, err
		}
		return &level{d.UTC(), subs}, nil
	})
	if err != nil {
		return h, fmt.Errorf("subscribers of %s before %s: %w", listID, dateArg(from), err)
	}
	h.before = before
	return h, nil
}
