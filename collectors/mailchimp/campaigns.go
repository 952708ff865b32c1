package mailchimp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// report is one entry of GET /reports, trimmed by reportFields. Counts are pointers so that a
// missing one is an error rather than a silent zero.
type report struct {
	ID            string  `json:"id"`
	CampaignTitle string  `json:"campaign_title"`
	ListID        string  `json:"list_id"`
	SubjectLine   string  `json:"subject_line"`
	EmailsSent    *uint64 `json:"emails_sent"`
	Unsubscribed  *uint64 `json:"unsubscribed"`
	SendTime      string  `json:"send_time"`
	Bounces       struct {
		Hard *uint64 `json:"hard_bounces"`
		Soft *uint64 `json:"soft_bounces"`
	} `json:"bounces"`
	Opens struct {
		Unique *uint64 `json:"unique_opens"`
		// Rate is a fraction 0–1 (the list's stats give percents 0–100 instead).
		Rate *float64 `json:"open_rate"`
	} `json:"opens"`
	Clicks struct {
		// UniqueSubscriberClicks counts people who clicked; unique_clicks counts distinct links
		// clicked and is not what the click rate is based on.
		UniqueSubscriberClicks *uint64 `json:"unique_subscriber_clicks"`
		// Rate is a fraction 0–1: unique_subscriber_clicks / (emails_sent − bounces).
		Rate *float64 `json:"click_rate"`
	} `json:"clicks"`
}

var reportFields = strings.Join([]string{
	"reports.id", "reports.campaign_title", "reports.list_id", "reports.subject_line", "reports.emails_sent",
	"reports.unsubscribed", "reports.send_time", "reports.bounces.hard_bounces", "reports.bounces.soft_bounces",
	"reports.opens.unique_opens", "reports.opens.open_rate",
	"reports.clicks.unique_subscriber_clicks", "reports.clicks.click_rate", "total_items",
}, ",")

// span is a half-open range of send times [from, to).
type span struct{ from, to time.Time }

// sendSpans returns the send times to ask for: the window's, and the last refreshDays' so that
// young campaigns get their late opens and clicks. Overlapping or touching spans become one.
func sendSpans(window, recent span) []span {
	if recent.from.After(window.to) || window.from.After(recent.to) {
		return []span{window, recent}
	}
	merged := window
	if recent.from.Before(merged.from) {
		merged.from = recent.from
	}
	if recent.to.After(merged.to) {
		merged.to = recent.to
	}
	return []span{merged}
}

// mailchimpTime writes an instant the way Mailchimp's parameters take it (2022-01-01T00:00:00+00:00).
func mailchimpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// collectCampaigns adds the report of every campaign to the list sent in the window or in the last
// refreshDays. Older campaigns outside the window are left as stored: their figures have settled.
// A report that cannot be read is skipped and reported; the others are still added.
func (c *collector) collectCampaigns(ctx context.Context, window days.Range, now time.Time, sink *collectors.Sink) error {
	windowSpan := span{from: days.Start(window.From, c.loc), to: days.Start(window.To.AddDate(0, 0, 1), c.loc)}
	recent := span{from: now.AddDate(0, 0, -c.refreshDays), to: now}
	spans := sendSpans(windowSpan, recent)
	seen := map[string]bool{}
	var errs []error
	var mine *sentReports // what this call has fetched
	for _, s := range spans {
		reports, err := c.reportsSent(ctx, s, now, window, &mine)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, r := range reports {
			// /reports covers every audience of the account.
			if r.ListID != c.listID || seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			campaign, err := c.campaign(r, sink)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sink.Add(campaign)
		}
	}
	return errors.Join(errs...)
}

// reportsSent returns the reports of the campaigns sent in s. A backfill goes a month per step, but
// Mailchimp pages 1000 reports at a time: the first step asks for everything sent from its start
// until now, and the steps after it, and the span of young campaigns, take their reports from that
// answer while it is fresh (cacheFor) instead of asking again. Only the step that follows uses it
// (and passes it on): any other run, such as the next scheduled one, asks afresh, since young
// campaigns' figures grow.
func (c *collector) reportsSent(ctx context.Context, s span, now time.Time, window days.Range, mine **sentReports) ([]report, error) {
	// A second's overlap: whether Mailchimp's bounds are inclusive is not documented, and a
	// campaign on a boundary fetched twice is stored once.
	from := s.from.Add(-time.Second)
	// Nothing is sent after now: an answer up to now covers a span that ends later.
	to := s.to
	if to.After(now) {
		to = now
	}
	c.mu.Lock()
	held := c.reports
	c.mu.Unlock()
	covers := held.fresh(c.now()) && !held.value.from.After(from) && !held.value.to.Before(to)
	if m := *mine; m != nil && !m.from.After(from) && !m.to.Before(to) {
		held, covers = cached[sentReports]{value: *m, fetched: c.now()}, true
		held.value.step = days.Range{} // fetched by this call: usable whatever the window
	} else if covers && held.value.step.To.AddDate(0, 0, 1).Equal(window.From) {
		// The next step of the backfill that asked: the answer passes on to it.
		c.mu.Lock()
		c.reports.value.step = window
		c.mu.Unlock()
		passed := held.value
		*mine = &passed
	} else {
		to := now
		if s.to.After(to) {
			to = s.to
		}
		what := fmt.Sprintf("campaign reports sent %s..%s", mailchimpTime(s.from), mailchimpTime(to))
		query := url.Values{
			"fields":           {reportFields},
			"since_send_time":  {mailchimpTime(from)},
			"before_send_time": {mailchimpTime(to)},
		}
		reports, err := getAll[report](ctx, c, "/reports", query, "reports", what)
		if err != nil {
			return nil, err
		}
		fetched := cached[sentReports]{value: sentReports{from: from, to: to, reports: reports, step: window}, fetched: c.now()}
		if !covers {
			// Kept for the next steps; an answer that merely refreshed part of the held one (the
			// young campaigns, asked again by a run of the same window) does not replace it.
			c.mu.Lock()
			c.reports = fetched
			c.mu.Unlock()
		}
		held = fetched
		*mine = &fetched.value
	}
	var out []report
	for _, r := range held.value.reports {
		// A send time that cannot be read is kept: campaign() names the problem.
		if t, err := time.Parse(time.RFC3339, r.SendTime); err == nil && (t.Before(from) || !t.Before(s.to)) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// sentReports is a /reports answer: the reports sent from..to, asked by the step of window step.
type sentReports struct {
	from, to time.Time
	reports  []report
	step     days.Range
}

// campaign turns a report into the stored counts. Delivered is emails_sent less hard and soft
// bounces, the base of Mailchimp's own open and click rates.
func (c *collector) campaign(r report, sink *collectors.Sink) (figures.Campaign, error) {
	var missing []string
	need := func(name string, v *uint64) uint64 {
		if v == nil {
			missing = append(missing, name)
			return 0
		}
		return *v
	}
	sent := need("emails_sent", r.EmailsSent)
	hard := need("bounces.hard_bounces", r.Bounces.Hard)
	soft := need("bounces.soft_bounces", r.Bounces.Soft)
	opens := need("opens.unique_opens", r.Opens.Unique)
	clicks := need("clicks.unique_subscriber_clicks", r.Clicks.UniqueSubscriberClicks)
	unsubscribed := need("unsubscribed", r.Unsubscribed)
	if r.ID == "" {
		missing = append(missing, "id")
	}
	if len(missing) > 0 {
		return figures.Campaign{}, fmt.Errorf("mailchimp: list %s: campaign %q: the report lacks %s", c.listID, r.ID, strings.Join(missing, ", "))
	}
	sendTime, err := time.Parse(time.RFC3339, r.SendTime)
	if err != nil {
		return figures.Campaign{}, fmt.Errorf("mailchimp: list %s: campaign %s: send_time %q is not an ISO 8601 time", c.listID, r.ID, r.SendTime)
	}
	if hard+soft > sent {
		return figures.Campaign{}, fmt.Errorf("mailchimp: list %s: campaign %s: %d bounces of %d e-mails sent", c.listID, r.ID, hard+soft, sent)
	}
	// A subject may name a contact address ("questions to kurs@…"); no address is stored.
	subject := collectors.HideEmailAddresses(strings.TrimSpace(r.SubjectLine))
	title := collectors.HideEmailAddresses(strings.TrimSpace(r.CampaignTitle))
	if title == "" {
		title = subject
	}
	return figures.Campaign{
		ListID:            c.listID,
		CampaignID:        r.ID,
		Title:             title,
		Subject:           subject,
		SendTime:          sendTime.UTC(),
		EmailsSent:        sent,
		Delivered:         sent - hard - soft,
		UniqueOpens:       opens,
		UniqueClicks:      clicks,
		Unsubscribed:      unsubscribed,
		HardBounces:       hard,
		SoftBounces:       soft,
		ProviderOpenRate:  c.fraction(r.Opens.Rate, "open_rate", r.ID, sink),
		ProviderClickRate: c.fraction(r.Clicks.Rate, "click_rate", r.ID, sink),
	}, nil
}

// fraction checks that a provider rate is a fraction 0–1. One outside it (a percent, say) is not
// stored: the counts are, and the query layer computes the rate from them.
func (c *collector) fraction(v *float64, name, campaignID string, sink *collectors.Sink) *float64 {
	if v == nil {
		return nil
	}
	if *v < 0 || *v > 1 {
		sink.Note("mailchimp: campaign %s: Mailchimp's %s %v is not a fraction 0–1 and was not stored", campaignID, name, *v)
		return nil
	}
	return collectors.Float64(*v)
}
