package query

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Campaign is one newsletter send with its provider counts.
type Campaign struct {
	ID       string
	Title    string
	Subject  string
	SendTime time.Time // UTC
	// Delivered is EmailsSent − HardBounces − SoftBounces.
	EmailsSent, Delivered     uint64
	UniqueOpens, UniqueClicks uint64 // people who opened / clicked (Mailchimp unique_subscriber_clicks)
	Unsubscribed              uint64
	HardBounces, SoftBounces  uint64
	ProviderOpenRate          *float64 // as the provider reports it, 0–1; nil when not reported
	ProviderClickRate         *float64
}

// readCampaigns reads a list's campaigns whose send_time meets where (fixed text with its bound
// arguments), oldest first.
func (q *Queries) readCampaigns(ctx context.Context, listID, where string, args ...any) ([]Campaign, error) {
	return collect(ctx, q.conn, "campaigns of "+listID, `
SELECT campaign_id, title, subject, send_time, emails_sent, delivered, unique_opens, unique_clicks,
       unsubscribed, hard_bounces, soft_bounces, provider_open_rate, provider_click_rate
FROM newsletter_campaigns FINAL
WHERE list_id = ? AND `+where+`
ORDER BY send_time, campaign_id`, append([]any{listID}, args...),
		func(rows driver.Rows) (Campaign, error) {
			var c Campaign
			err := rows.Scan(&c.ID, &c.Title, &c.Subject, &c.SendTime, &c.EmailsSent, &c.Delivered, &c.UniqueOpens,
				&c.UniqueClicks, &c.Unsubscribed, &c.HardBounces, &c.SoftBounces, &c.ProviderOpenRate, &c.ProviderClickRate)
			c.SendTime = c.SendTime.UTC()
			return c, err
		})
}

// SubscriberSnapshot is one day's list size; Unsubscribed and Cleaned are running totals.
type SubscriberSnapshot struct {
	Date         time.Time
	Subscribers  uint64
	Unsubscribed uint64
	Cleaned      uint64
}

// Subscribers returns a list's daily snapshots from..to (calendar days, both included), oldest
// first. It reads whole years of every list's snapshots (levelYears), shared within a request.
func (q *Queries) Subscribers(ctx context.Context, listID string, from, to time.Time) ([]SubscriberSnapshot, error) {
	all, err := q.levelYears(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("subscribers of %s: %w", listID, err)
	}
	return levelsBetween(all, from, to, func(l levelYear) []SubscriberSnapshot { return l.subscribers[listID] },
		func(s SubscriberSnapshot) time.Time { return s.Date }), nil
}
