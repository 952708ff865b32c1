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
	// Σ Delivered — the one definition of a set of sends' rates (KPIs, reports, NewsletterYear):
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

// SpanCampaigns returns a list's campaigns sent on the days of span s in loc, oldest first.
func (q *Queries) SpanCampaigns(ctx context.Context, listID string, s days.Span, loc *time.Location) ([]Campaign, error) {
	if loc == nil {
		return nil, fmt.Errorf("campaigns of %s: nil time zone", listID)
	}
	from, to := s.Instants(loc)
	return q.Campaigns(ctx, listID, from, to)
}

// LastCampaign returns a list's newest campaign sent before instant before, or nil when none was.
func (q *Queries) LastCampaign(ctx context.Context, listID string, before time.Time) (*Campaign, error) {
	rows, err := q.conn.Query(ctx, `
SELECT campaign_id, send_time
FROM newsletter_campaigns FINAL
WHERE list_id = ? AND send_time < toDateTime(?)
ORDER BY send_time DESC, campaign_id DESC
LIMIT 1`, listID, before.Unix())
	if err != nil {
		return nil, fmt.Errorf("last campaign of %s before %s: %w", listID, before.Format(time.RFC3339), err)
	}
	var id string
	var sent time.Time
	found := rows.Next()
	if found {
		err = rows.Scan(&id, &sent)
	}
	if err == nil {
		err = rows.Err()
	}
	_ = rows.Close()
	if err != nil {
		return nil, fmt.Errorf("last campaign of %s before %s: %w", listID, before.Format(time.RFC3339), err)
	}
	if !found {
		return nil, nil
	}
	// Read it through Campaigns, so a campaign is always read the same way.
	cs, err := q.Campaigns(ctx, listID, sent, sent.Add(time.Second))
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].ID == id {
			return &cs[i], nil
		}
	}
	return nil, fmt.Errorf("last campaign of %s: %s vanished between two reads", listID, id)
}

// subscriberHistory is a list's subscriber levels over from..to.
func (q *Queries) subscriberHistory(ctx context.Context, listID string, from, to time.Time) (levels, error) {
	var h levels
	snaps, err := q.Subscribers(ctx, listID, from, to)
	if err != nil {
		return h, err
	}
	for _, s := range snaps {
		h.days = append(h.days, level{s.Date.UTC(), s.Subscribers})
	}
	var n, subs uint64
	var d time.Time
	err = q.conn.QueryRow(ctx, `
SELECT count(), argMax(subscribers, date), max(date)
FROM newsletter_subscribers_daily FINAL
WHERE list_id = ? AND date < toDate(?)`, listID, dateArg(from)).Scan(&n, &subs, &d)
	if err != nil {
		return h, fmt.Errorf("subscribers of %s before %s: %w", listID, dateArg(from), err)
	}
	if n > 0 {
		h.before = &level{d.UTC(), subs}
	}
	return h, nil
}
