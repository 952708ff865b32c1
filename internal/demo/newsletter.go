package demo

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// campaignSpec is one Mailchimp campaign to the newsletter list.
type campaignSpec struct {
	id, title, subject string
	date               time.Time // local send date
	hour, minute       int       // local send time
	invitation         bool
}

// campaignCatalogue is the monthly newsletter (second Tuesday, 09:00) plus an invitation three weeks
// before every national meeting place and conference.
func campaignCatalogue() []campaignSpec {
	var out []campaignSpec
	newsletterDays := map[time.Time]bool{}
	for y := FirstYear; y <= LastYear; y++ {
		for m := time.January; m <= time.December; m++ {
			d := nthWeekday(y, m, time.Tuesday, 2)
			newsletterDays[d] = true
			label := norwegianMonth(m) + " " + strconv.Itoa(y)
			out = append(out, campaignSpec{id: fmt.Sprintf("demo-%d-%02d-nyhetsbrev", y, m),
				title: "Nyhetsbrev " + label, subject: "Nytt fra InnoMed – " + label, date: d, hour: 9})
		}
	}
	for _, e := range eventCatalogue() {
		if e.deleted || (e.kind != KindNationalMeetingPlace && e.kind != KindConference) {
			continue
		}
		d := nextWorkday(e.date.AddDate(0, 0, -21))
		if newsletterDays[d] {
			d = nextWorkday(d.AddDate(0, 0, 1)) // never two sends on one day
		}
		when := fmt.Sprintf("%d. %s %d", e.date.Day(), norwegianMonth(e.date.Month()), e.date.Year())
		name := e.title
		if e.kind == KindNationalMeetingPlace {
			name = dhoTitle
		}
		out = append(out, campaignSpec{id: "demo-" + d.Format("2006-01-02") + "-invitasjon",
			title: "Invitasjon: " + name + " " + when, subject: "Velkommen til " + name + " " + when,
			date: d, hour: 10, invitation: true})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].date.Before(out[j].date) })
	return out
}

// campaignDays are the local dates a campaign went out (web traffic and sign-ups react to them).
func campaignDays() map[time.Time]bool {
	days := map[time.Time]bool{}
	for _, c := range campaignCatalogue() {
		days[c.date] = true
	}
	return days
}

// newsletterYear pins the list size at the end of each year and the year's click rate.
type newsletterYear struct {
	year             int
	subscribersAtEnd int
	// clickRate is Σ unique_clicks ÷ Σ delivered over the year's campaigns.
	clickRate float64
}

// newsletterYears: the report says "over 300 subscribers after strong growth in 2022" and "click rate
// just over 20 %"; about 190 at the start of 2022.
func newsletterYears() []newsletterYear {
	return []newsletterYear{
		{year: 2021, subscribersAtEnd: 189, clickRate: 0.187},
		{year: 2022, subscribersAtEnd: 312, clickRate: 0.204},
		{year: 2023, subscribersAtEnd: 405, clickRate: 0.212},
	}
}

// The list as it stood on 2020-12-31, before the demo's first day.
const (
	subscribersBeforeDemo  = 118
	unsubscribedBeforeDemo = 9
	cleanedBeforeDemo      = 4
)

// campaignFigures are one campaign's counts.
type campaignFigures struct {
	spec                                   campaignSpec
	sent, hard, soft, unsub, opens, clicks int
}

func (c campaignFigures) delivered() int { return c.sent - c.hard - c.soft }

// buildNewsletter simulates the list day by day: sign-ups (more around events and sends),
// unsubscribes and cleaned (hard-bounced) addresses on send days. A campaign's emails_sent is the
// list size the evening before, so the campaign and subscriber tables agree with each other.
func buildNewsletter(loc *time.Location, h happenings, version uint64) ([]batch, error) {
	subs := batch{table: "newsletter_subscribers_daily", columns: []string{"list_id", "date", "subscribers",
		"unsubscribed", "cleaned", "source", "version"}}
	camps := batch{table: "newsletter_campaigns", columns: []string{"list_id", "campaign_id", "title", "subject",
		"send_time", "emails_sent", "delivered", "unique_opens", "unique_clicks", "unsubscribed", "hard_bounces",
		"soft_bounces", "provider_open_rate", "provider_click_rate", "source", "version"}}

	r := newRand("newsletter")
	byDay := map[time.Time]*campaignFigures{}
	var figures []*campaignFigures
	for _, spec := range campaignCatalogue() {
		c := &campaignFigures{spec: spec, hard: r.IntN(2), soft: r.IntN(4), unsub: r.IntN(3)}
		if spec.invitation {
			c.unsub = r.IntN(2)
		}
		if byDay[spec.date] != nil {
			return nil, fmt.Errorf("two campaigns on %s", spec.date.Format("2006-01-02"))
		}
		byDay[spec.date] = c
		figures = append(figures, c)
	}

	subscribers, unsubscribed, cleaned := subscribersBeforeDemo, unsubscribedBeforeDemo, cleanedBeforeDemo
	for _, ny := range newsletterYears() {
		days := daysOf(day(ny.year, time.January, 1), day(ny.year, time.December, 31))
		leaving := 0
		w := make([]float64, len(days))
		for i, d := range days {
			if c := byDay[d]; c != nil {
				leaving += c.unsub + c.hard
			}
			afterSend := 1.0
			if byDay[d.AddDate(0, 0, -1)] != nil {
				afterSend = 1.5 // forwarded newsletters bring sign-ups
			}
			b := h.boost(d)
			w[i] = weekdayFactor(d) * holidayFactor(d) * b * b * b * afterSend * noise(r, 0.3)
		}
		signups := ny.subscribersAtEnd - subscribers + leaving
		if signups < 0 {
			return nil, fmt.Errorf("%d: the list cannot shrink to %d with %d leaving", ny.year, ny.subscribersAtEnd, leaving)
		}
		daily := allocate(signups, w)
		for i, d := range days {
			if c := byDay[d]; c != nil {
				c.sent = subscribers // sent in the morning, to the list as it stood
				subscribers -= c.unsub + c.hard
				unsubscribed += c.unsub
				cleaned += c.hard
			}
			subscribers += daily[i]
			subs.rows = append(subs.rows, []any{ListID, d, u64(subscribers), u64(unsubscribed), u64(cleaned), Source, version})
		}
		if subscribers != ny.subscribersAtEnd {
			return nil, fmt.Errorf("%d: list ends at %d, want %d", ny.year, subscribers, ny.subscribersAtEnd)
		}

		// Opens per campaign, then the year's clicks spread so Σ clicks ÷ Σ delivered is the target.
		var yearCamps []*campaignFigures
		var weights []float64
		delivered := 0
		for _, c := range figures {
			if c.spec.date.Year() != ny.year {
				continue
			}
			lo, hi, pull := 0.44, 0.56, 1.0
			if c.spec.invitation {
				lo, hi, pull = 0.50, 0.62, 1.35 // invitations are clicked to sign up
			}
			c.opens = int(float64(c.delivered())*uniform(r, lo, hi) + 0.5)
			yearCamps = append(yearCamps, c)
			weights = append(weights, float64(c.delivered())*pull*noise(r, 0.1))
			delivered += c.delivered()
		}
		for i, n := range allocate(int(float64(delivered)*ny.clickRate+0.5), weights) {
			c := yearCamps[i]
			if n > c.opens {
				return nil, fmt.Errorf("campaign %s: %d clicks exceed %d opens", c.spec.id, n, c.opens)
			}
			c.clicks = n
		}
	}

	for _, c := range figures {
		delivered := c.delivered()
		if delivered <= 0 {
			return nil, fmt.Errorf("campaign %s: nothing delivered", c.spec.id)
		}
		// Mailchimp's report rates are fractions of delivered: opens.open_rate, clicks.click_rate
		// (the latter from unique_subscriber_clicks, which is what unique_clicks holds).
		openRate := float64(c.opens) / float64(delivered)
		clickRate := float64(c.clicks) / float64(delivered)
		camps.rows = append(camps.rows, []any{ListID, c.spec.id, c.spec.title, c.spec.subject,
			localTime(loc, c.spec.date, c.spec.hour, c.spec.minute), u64(c.sent), u64(delivered), u64(c.opens),
			u64(c.clicks), u64(c.unsub), u64(c.hard), u64(c.soft), &openRate, &clickRate, Source, version})
	}
	return []batch{subs, camps}, nil
}
