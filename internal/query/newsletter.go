package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
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

// Campaigns returns a list's campaigns sent in [from, to) (instants), oldest first.
func (q *Queries) Campaigns(ctx context.Context, listID string, from, to time.Time) ([]Campaign, error) {
	return q.readCampaigns(ctx, listID, "send_time >= toDateTime(?) AND send_time < toDateTime(?)", from.Unix(), to.Unix())
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

// NewsletterYear is the annual report's newsletter figures.
type NewsletterYear struct {
	Year int
	// SubscribersAtStart is the last daily snapshot before 1 January; SubscribersAtEnd the last one
	// on or before 31 December. Nil when there is no such snapshot.
	SubscribersAtStart *uint64
	SubscribersAtEnd   *uint64
	// Campaigns counts the sends of the year (newsletters and invitations alike), by local send date.
	Campaigns    int
	EmailsSent   uint64
	Delivered    uint64
	UniqueOpens  uint64
	UniqueClicks uint64
	Unsubscribed uint64
	// ClickRate and OpenRate are SumCampaigns' pooled rates over the year's campaigns.
	ClickRate *float64
	OpenRate  *float64
}

// NewsletterYear returns a list's figures for a calendar year in loc (the organisation's time zone,
// which decides the year of a send around midnight on New Year's Eve).
func (q *Queries) NewsletterYear(ctx context.Context, listID string, year int, loc *time.Location) (NewsletterYear, error) {
	y := NewsletterYear{Year: year}
	if loc == nil {
		return y, errors.New("newsletter year: nil time zone")
	}
	ys := days.YearSpan(year)
	first, last := ys.From, ys.To
	var nStart, atStart, nEnd, atEnd uint64
	err := q.conn.QueryRow(ctx, `
SELECT countIf(date < toDate(?)), argMaxIf(subscribers, date, date < toDate(?)), count(), argMax(subscribers, date)
FROM newsletter_subscribers_daily FINAL
WHERE list_id = ? AND date <= toDate(?)`, dateArg(first), dateArg(first), listID, dateArg(last)).
		Scan(&nStart, &atStart, &nEnd, &atEnd)
	if err != nil {
		return y, fmt.Errorf("newsletter subscribers of %s %d: %w", listID, year, err)
	}
	if nStart > 0 {
		y.SubscribersAtStart = &atStart
	}
	if nEnd > 0 {
		y.SubscribersAtEnd = &atEnd
	}
	campaigns, err := q.Campaigns(ctx, listID, time.Date(year, time.January, 1, 0, 0, 0, 0, loc),
		time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc))
	if err != nil {
		return y, err
	}
	// The year's totals and rates are SumCampaigns', the one definition of the pooled rates.
	t := SumCampaigns(campaigns)
	y.Campaigns, y.EmailsSent, y.Delivered, y.UniqueOpens, y.UniqueClicks, y.Unsubscribed =
		t.Campaigns, t.EmailsSent, t.Delivered, t.UniqueOpens, t.UniqueClicks, t.Unsubscribed
	y.ClickRate, y.OpenRate = t.ClickRate, t.OpenRate
	return y, nil
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
