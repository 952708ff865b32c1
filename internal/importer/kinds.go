package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/figures"
)

// eventsKind imports events through events.Input, the same validation as the entry form.
func eventsKind() Kind {
	return Kind{
		Name:    "events",
		Summary: "events without an API (on-site meetings, courses, conferences) and past years",
		Target:  "account",
		Columns: []Column{
			{events.FieldKind, true, "webinar, network_meeting, national_meeting_place, course, conference, other (or nettverksmøte, nasjonal møteplass, kurs, konferanse, annet)"},
			{events.FieldTitle, true, "the event's title"},
			{events.FieldDate, true, "first day, YYYY-MM-DD or DD.MM.YYYY"},
			{events.FieldStartTime, false, "HH:MM local time; empty: 00:00"},
			{events.FieldEndDate, false, "last day of an event over several days"},
			{events.FieldEndTime, false, "HH:MM local time"},
			{events.FieldRegistered, false, "count; empty: unknown"},
			{events.FieldAttendedOnSite, false, "count; empty: unknown or not applicable (always empty for a webinar)"},
			{events.FieldAttendedDigital, false, "count; empty: unknown or not applicable"},
			{events.FieldSector(figures.SectorMunicipality), false, "attendees from municipalities (sector columns: all or none; together at most the attendance)"},
			{events.FieldSector(figures.SectorHealthTrust), false, "attendees from health trusts"},
			{events.FieldSector(figures.SectorRegionalHealthAuthority), false, "attendees from regional health authorities"},
			{events.FieldSector(figures.SectorKS), false, "attendees from KS"},
			{events.FieldSector(figures.SectorOther), false, "attendees from elsewhere"},
			{events.FieldSector(figures.SectorUnknown), false, "attendees nobody knows the organisation of (no address)"},
		},
		needs: func(opts Options) error {
			if strings.TrimSpace(opts.AccountID) == "" {
				return errors.New("import events: no account given (the events register, e.g. innomed)")
			}
			return nil
		},
		parse: func(r row, opts Options) (parsed, []Problem) {
			in := events.Input{
				AccountID:       opts.AccountID,
				Kind:            r.get(events.FieldKind),
				Title:           r.get(events.FieldTitle),
				Date:            r.get(events.FieldDate),
				StartTime:       r.get(events.FieldStartTime),
				EndDate:         r.get(events.FieldEndDate),
				EndTime:         r.get(events.FieldEndTime),
				Registered:      r.get(events.FieldRegistered),
				AttendedOnSite:  r.get(events.FieldAttendedOnSite),
				AttendedDigital: r.get(events.FieldAttendedDigital),
				Sectors:         map[string]string{},
				Zone:            opts.Zone,
			}
			for _, s := range figures.Sectors() {
				in.Sectors[s] = r.get(events.FieldSector(s))
			}
			ev, err := in.Event()
			if err != nil {
				var fieldErrs events.Errors
				if !errors.As(err, &fieldErrs) {
					return parsed{}, []Problem{{Line: r.line, Reason: err.Error()}}
				}
				problems := make([]Problem, len(fieldErrs))
				for i, fe := range fieldErrs {
					problems[i] = Problem{Line: r.line, Column: fe.Field, Reason: fe.Reason}
				}
				return parsed{}, problems
			}
			return parsed{key: ev.EventID, records: in.Records(ev), what: "the same event (kind, date and title)"}, nil
		},
	}
}

// Newsletter columns.
const (
	colCampaignID   = "campaign_id"
	colTitle        = "title"
	colSubject      = "subject"
	colSendDate     = "send_date"
	colSendTime     = "send_time"
	colEmailsSent   = "emails_sent"
	colDelivered    = "delivered"
	colUniqueOpens  = "unique_opens"
	colUniqueClicks = "unique_clicks"
	colUnsubscribed = "unsubscribed"
	colHardBounces  = "hard_bounces"
	colSoftBounces  = "soft_bounces"
	colDate         = "date"
	colSubscribers  = "subscribers"
	colCleaned      = "cleaned"
)

func needsList(kind string) func(Options) error {
	return func(opts Options) error {
		if strings.TrimSpace(opts.ListID) == "" {
			return fmt.Errorf("import %s: no list given: name the newsletter list the figures belong to (the id its collector uses, e.g. the Mailchimp audience id)", kind)
		}
		return nil
	}
}

// newsletterKind imports one campaign (one send) per line.
func newsletterKind() Kind {
	return Kind{
		Name:    "newsletter",
		Summary: "newsletter sends from other providers and past years, one campaign per line",
		Target:  "list",
		Columns: []Column{
			{colCampaignID, false, "the provider's id; empty: derived from send_date and title"},
			{colTitle, true, "the campaign's name"},
			{colSubject, false, "the e-mail's subject line"},
			{colSendDate, true, "YYYY-MM-DD or DD.MM.YYYY"},
			{colSendTime, false, "HH:MM local time; empty: 00:00"},
			{colEmailsSent, true, "count"},
			{colDelivered, false, "count; empty: emails_sent − hard_bounces − soft_bounces"},
			{colUniqueOpens, true, "count of people who opened"},
			{colUniqueClicks, true, "count of people who clicked"},
			{colUnsubscribed, false, "count; empty: 0"},
			{colHardBounces, false, "count; empty: 0"},
			{colSoftBounces, false, "count; empty: 0"},
		},
		needs: needsList("newsletter"),
		parse: parseCampaign,
	}
}

func parseCampaign(r row, opts Options) (parsed, []Problem) {
	c := cells{row: r}
	title := strings.Join(strings.Fields(r.get(colTitle)), " ")
	if title == "" {
		c.bad(colTitle, "required")
	}
	day := c.date(colSendDate)
	sendClock := c.clock(colSendTime)
	sent := c.count(colEmailsSent, true)
	opens := c.count(colUniqueOpens, true)
	clicks := c.count(colUniqueClicks, true)
	unsubscribed := c.count(colUnsubscribed, false)
	hard := c.count(colHardBounces, false)
	soft := c.count(colSoftBounces, false)
	delivered := c.count(colDelivered, false)
	if len(c.problems) > 0 {
		return parsed{}, c.problems
	}
	if hard+soft > sent {
		c.bad(colHardBounces, "hard_bounces + soft_bounces (%d) is more than emails_sent (%d)", hard+soft, sent)
		return parsed{}, c.problems
	}
	if r.get(colDelivered) == "" {
		delivered = sent - hard - soft
	} else if delivered > sent {
		c.bad(colDelivered, "%d is more than emails_sent (%d)", delivered, sent)
	}
	for _, v := range []struct {
		col string
		n   uint64
	}{{colUniqueOpens, opens}, {colUniqueClicks, clicks}, {colUnsubscribed, unsubscribed}} {
		if v.n > delivered {
			c.bad(v.col, "%d is more than were delivered (%d)", v.n, delivered)
		}
	}
	id := r.get(colCampaignID)
	if id == "" {
		sum := sha256.Sum256([]byte(day.Format(time.DateOnly) + "\x00" + strings.ToLower(title)))
		id = "import-" + day.Format(time.DateOnly) + "-" + hex.EncodeToString(sum[:6])
	}
	if len(c.problems) > 0 {
		return parsed{}, c.problems
	}
	return parsed{key: id, what: "the same campaign (campaign_id, or send_date and title)", records: []figures.Record{figures.Campaign{
		ListID:       opts.ListID,
		CampaignID:   id,
		Title:        title,
		Subject:      strings.TrimSpace(r.get(colSubject)),
		SendTime:     events.At(day, sendClock, opts.Zone).UTC(),
		EmailsSent:   sent,
		Delivered:    delivered,
		UniqueOpens:  opens,
		UniqueClicks: clicks,
		Unsubscribed: unsubscribed,
		HardBounces:  hard,
		SoftBounces:  soft,
	}}}, nil
}

// subscribersKind imports a list's size on given days.
func subscribersKind() Kind {
	return Kind{
		Name:    "subscribers",
		Summary: "a newsletter list's subscriber count per date, for other providers and past years",
		Target:  "list",
		Columns: []Column{
			{colDate, true, "YYYY-MM-DD or DD.MM.YYYY"},
			{colSubscribers, true, "subscribed members that day"},
			{colUnsubscribed, false, "running total of unsubscribed members; empty: 0"},
			{colCleaned, false, "running total of cleaned (bounced) members; empty: 0"},
		},
		needs: needsList("subscribers"),
		parse: func(r row, opts Options) (parsed, []Problem) {
			c := cells{row: r}
			day := c.date(colDate)
			subscribers := c.count(colSubscribers, true)
			unsubscribed := c.count(colUnsubscribed, false)
			cleaned := c.count(colCleaned, false)
			if len(c.problems) > 0 {
				return parsed{}, c.problems
			}
			return parsed{key: day.Format(time.DateOnly), what: "the same date", records: []figures.Record{figures.SubscribersDay{
				ListID: opts.ListID, Date: day, Subscribers: subscribers, Unsubscribed: unsubscribed, Cleaned: cleaned,
			}}}, nil
		},
	}
}

// cells reads one line's values with the same rules as events.Input, collecting problems.
type cells struct {
	row      row
	problems []Problem
}

func (c *cells) bad(column, format string, args ...any) {
	c.problems = append(c.problems, Problem{Line: c.row.line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

func (c *cells) date(column string) time.Time {
	d, err := events.ParseDate(c.row.get(column))
	if err != nil {
		c.bad(column, "%s", err)
	}
	return d
}

func (c *cells) clock(column string) *events.Clock {
	clock, err := events.ParseClock(c.row.get(column))
	if err != nil {
		c.bad(column, "%s", err)
	}
	return clock
}

// count reads a count; a required one must not be empty, an optional empty one is 0 (these
// tables have no "unknown").
func (c *cells) count(column string, required bool) uint64 {
	n, err := events.ParseCount(c.row.get(column))
	switch {
	case err != nil:
		c.bad(column, "%s", err)
	case n == nil && required:
		c.bad(column, "required: a count")
	case n != nil:
		return uint64(*n)
	}
	return 0
}
