package zoom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

// Zoom webinar types.
const (
	webinarOnce            = 5
	webinarRecurringNoTime = 6
	webinarRecurringFixed  = 9
)

// webinar is an entry of GET /users/{userId}/webinars.
type webinar struct {
	ID        int64  `json:"id"`
	Topic     string `json:"topic"`
	Type      int    `json:"type"`
	StartTime string `json:"start_time"`
}

// instance is a held occurrence of a webinar (GET /past_webinars/{id}/instances).
type instance struct {
	UUID      string `json:"uuid"`
	StartTime string `json:"start_time"`
}

// reportSummary is GET /report/webinars/{uuid}, and an entry of GET /report/users/{id}/meetings.
type reportSummary struct {
	UUID      string `json:"uuid"`
	ID        int64  `json:"id"`
	Topic     string `json:"topic"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// collectWebinars finds the webinar instances held in window and adds each with its attendance.
// Zoom lists a host's webinars (unexpired ones), and each webinar's held instances. A webinar that
// fails does not cost the others theirs: its failure is returned with the others' once all are
// done, unless it ends the run (token, rate limit).
func (c *collector) collectWebinars(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	webinars, err := c.webinars(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, w := range webinars {
		if !c.mayHaveInstanceIn(w, window) {
			continue
		}
		held, err := c.heldInstances(ctx, w.ID)
		if isGone(err) {
			_, _, said := apiCode(err)
			if c.shouldHaveBeenHeld(w, window) {
				// Scheduled once, in this window and in the past: Zoom should list it as held.
				errs = append(errs, fmt.Errorf("zoom: webinar %d %q scheduled %s: Zoom answered that it has no held instances (%s); its attendance is not stored",
					w.ID, collectors.HideEmailAddresses(w.Topic), localDay(w.StartTime, c.loc), said))
				continue
			}
			sink.Note("zoom: webinar %d %q: Zoom has no held instances of it (%s): not held in %s, or Zoom no longer has them; nothing is stored for it",
				w.ID, collectors.HideEmailAddresses(w.Topic), said, window)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("zoom: held instances of webinar %d: %w", w.ID, err))
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		for _, inst := range held {
			start, err := time.Parse(time.RFC3339, inst.StartTime)
			if err != nil {
				errs = append(errs, fmt.Errorf("zoom: webinar %d: instance start_time %q is not a time", w.ID, inst.StartTime))
				continue
			}
			if !c.inWindow(start, window) {
				continue
			}
			if err := c.addWebinar(ctx, w, inst, sink); err != nil {
				errs = append(errs, err)
				if collectors.EndsRun(ctx, err) {
					return errors.Join(errs...)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// webinars lists the host's webinars, once per run: the steps of a backfill share the list.
func (c *collector) webinars(ctx context.Context) ([]webinar, error) {
	c.mu.Lock()
	held, ok := c.webinarList, c.now().Sub(c.webinarListAt) < cacheFor
	c.mu.Unlock()
	if ok && held != nil {
		return held, nil
	}
	path := "/users/" + escapeID(c.userID) + "/webinars"
	webinars, err := fetchAll(ctx, c, path, url.Values{"type": {"scheduled"}},
		func(p *struct {
			listPage
			Webinars []webinar `json:"webinars"`
		}) ([]webinar, listPage) {
			return p.Webinars, p.listPage
		})
	if err != nil {
		return nil, fmt.Errorf("zoom: list the webinars of user %s: %w", c.userID, err)
	}
	if webinars == nil {
		webinars = []webinar{}
	}
	c.mu.Lock()
	c.webinarList, c.webinarListAt = webinars, c.now()
	c.mu.Unlock()
	return webinars, nil
}

// heldInstances lists a webinar's held instances, once per run.
func (c *collector) heldInstances(ctx context.Context, id int64) ([]instance, error) {
	c.mu.Lock()
	h, ok := c.instances[id]
	c.mu.Unlock()
	if ok && c.now().Sub(h.at) < cacheFor {
		return h.list, h.err
	}
	var held struct {
		Webinars []instance `json:"webinars"`
	}
	err := c.get(ctx, "/past_webinars/"+escapeID(strconv.FormatInt(id, 10))+"/instances", nil, &held)
	if err == nil || isGone(err) {
		// A 404 stands too: asking again within the run would get the same answer.
		c.mu.Lock()
		c.instances[id] = heldList{list: held.Webinars, err: err, at: c.now()}
		c.mu.Unlock()
	}
	return held.Webinars, err
}

// shouldHaveBeenHeld tells whether a one-time webinar was scheduled on a day of window before today.
func (c *collector) shouldHaveBeenHeld(w webinar, window days.Range) bool {
	if w.Type != webinarOnce {
		return false
	}
	start, err := time.Parse(time.RFC3339, w.StartTime)
	if err != nil {
		return false
	}
	d := days.Of(start, c.loc)
	return c.inWindow(start, window) && d.Before(days.Of(c.now(), c.loc))
}

// mayHaveInstanceIn skips webinars that cannot have been held in window: a one-time webinar is
// held on its scheduled day (a day's slack for the time zone and a late start); recurring ones
// are always asked.
func (c *collector) mayHaveInstanceIn(w webinar, window days.Range) bool {
	if w.Type == webinarRecurringNoTime || w.Type == webinarRecurringFixed {
		return true
	}
	start, err := time.Parse(time.RFC3339, w.StartTime)
	if err != nil {
		return true
	}
	if start.After(c.now()) {
		return false // not held yet: nothing to ask
	}
	d := days.Of(start, c.loc)
	return !d.Before(window.From.AddDate(0, 0, -1)) && !d.After(window.To.AddDate(0, 0, 1))
}

// addWebinar adds one held webinar instance: registrants and unique attendees, by sector.
func (c *collector) addWebinar(ctx context.Context, w webinar, inst instance, sink *collectors.Sink) error {
	// A topic may name a contact address; notes and errors are stored with the run.
	what := fmt.Sprintf("webinar %q on %s", collectors.HideEmailAddresses(w.Topic), localDay(inst.StartTime, c.loc))
	var summary reportSummary
	err := c.get(ctx, "/report/webinars/"+escapeID(inst.UUID), nil, &summary)
	if c.reportExpired(err, inst.StartTime) {
		sink.Note("zoom: %s: Zoom no longer has its report (reports are kept for six months); import its figures with `rekkevidde import events`", what)
		return nil
	}
	if err != nil {
		return fmt.Errorf("zoom: %s: report: %w", what, err)
	}
	if summary.StartTime == "" {
		summary.StartTime = inst.StartTime
	}
	if summary.Topic == "" {
		summary.Topic = w.Topic
	}
	var registered *sectors.Counts
	var bySector map[string]string
	// A failed registrant list costs the webinar its registrations only: its attendance is still
	// stored, and the failure makes the run partial.
	var registrantsErr error
	if w.Type == webinarOnce {
		counts, sectorOf, err := c.registrants(ctx, w.ID)
		switch {
		case isGone(err):
			sink.Note("zoom: %s: Zoom no longer lists its registrants; registrations are left empty", what)
		case err != nil && collectors.EndsRun(ctx, err):
			return fmt.Errorf("zoom: %s: registrants: %w", what, err)
		case err != nil:
			registrantsErr = fmt.Errorf("zoom: %s: registrants not stored (its attendance is): %w", what, err)
		default:
			registered, bySector = &counts, sectorOf
		}
	} else {
		sink.Note("zoom: %s is one of a recurring series, whose registrants Zoom counts for the whole series: registrations are left empty", what)
	}
	attended, err := c.attendees(ctx, "/report/webinars/"+escapeID(inst.UUID)+"/participants", bySector)
	if c.reportExpired(err, inst.StartTime) {
		sink.Note("zoom: %s: Zoom no longer has its participants (reports are kept for six months); import its figures with `rekkevidde import events`", what)
		return nil
	}
	if err != nil {
		return errors.Join(fmt.Errorf("zoom: %s: participants: %w", what, err), registrantsErr)
	}
	return errors.Join(c.addEvent(figures.KindWebinar, "zoom-"+inst.UUID, summary, registered, attended, sink), registrantsErr)
}

// reportExpired tells whether Zoom refused a report because it no longer has it: "does not
// exist" (404, code 3001), or "can not access a webinar a year ago" (code 12702) for an event
// older than the six months Zoom keeps. Code 12702 for a recent event means the plan lacks
// reports, which is an error.
func (c *collector) reportExpired(err error, started string) bool {
	if isGone(err) {
		return true
	}
	start, parseErr := time.Parse(time.RFC3339, started)
	_, code, _ := apiCode(err)
	return code == codeNoPlan && parseErr == nil && days.Of(start, c.loc).Before(c.reportHorizon())
}

// registrants counts a webinar's approved registrants by sector, and returns each registrant's
// sector by registrant id (to place attendees who joined without an e-mail address). Addresses are
// dropped as soon as they are counted.
func (c *collector) registrants(ctx context.Context, webinarID int64) (sectors.Counts, map[string]string, error) {
	type registrant struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	list, err := fetchAll(ctx, c, "/webinars/"+escapeID(strconv.FormatInt(webinarID, 10))+"/registrants", url.Values{"status": {"approved"}},
		func(p *struct {
			listPage
			Registrants []registrant `json:"registrants"`
		}) ([]registrant, listPage) {
			return p.Registrants, p.listPage
		})
	if err != nil {
		return nil, nil, err
	}
	counts := sectors.NewCounts()
	bySector := map[string]string{}
	for _, r := range list {
		s := c.sectors.Sector(r.Email)
		counts[s]++
		if r.ID != "" {
			bySector[r.ID] = s
		}
	}
	return counts, bySector, nil
}

// collectMeetings adds the host's meetings held in window whose topic matches meeting_topics.
// Zoom's meeting report lists a user's past meetings between two dates, at most a month apart
// and no further back than six months.
func (c *collector) collectMeetings(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	// A day either side, since Zoom's dates need not be the configured zone's; nothing after today.
	from, to := window.From.AddDate(0, 0, -1), window.To.AddDate(0, 0, 1)
	if today := days.Of(c.now(), c.loc); to.After(today) {
		to = today
	}
	if horizon := c.reportHorizon(); from.Before(horizon) {
		if to.Before(horizon) {
			sink.Note("zoom: meetings before %s are past Zoom's six months of reports and cannot be listed; import them with `rekkevidde import events`", days.Format(horizon))
			return nil
		}
		if window.From.Before(horizon) {
			sink.Note("zoom: meetings before %s are past Zoom's six months of reports and cannot be listed; import them with `rekkevidde import events`", days.Format(horizon))
		}
		from = horizon
	}
	path := "/report/users/" + escapeID(c.userID) + "/meetings"
	seen := map[string]bool{}
	var errs []error
	today := days.Of(c.now(), c.loc)
	// A backfill goes a calendar month per step and asks for a day either side; Zoom serves a month
	// per request. Each request reaches a month on from the first day not yet listed (up to today),
	// and the days it listed stand for the steps that follow within cacheFor: every day is listed
	// once.
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		c.mu.Lock()
		at, listed := c.meetingDays[d]
		c.mu.Unlock()
		if listed && c.now().Sub(at) < cacheFor && !c.now().Before(at) {
			continue
		}
		piece := days.Range{From: d, To: days.Earlier(d.AddDate(0, 1, -1), today)}
		q := url.Values{"from": {days.Format(piece.From)}, "to": {days.Format(piece.To)}, "type": {"past"}}
		meetings, err := fetchAll(ctx, c, path, q, func(p *struct {
			listPage
			Meetings []reportSummary `json:"meetings"`
		}) ([]reportSummary, listPage) {
			return p.Meetings, p.listPage
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("zoom: list the meetings of user %s %s: %w", c.userID, piece, err))
			if collectors.EndsRun(ctx, err) {
				break
			}
			d = piece.To
			continue
		}
		now := c.now()
		c.mu.Lock()
		piece.Each(func(day time.Time) { c.meetingDays[day] = now })
		for _, m := range meetings {
			c.meetingList[m.UUID] = m
		}
		c.mu.Unlock()
		d = piece.To
	}
	c.mu.Lock()
	var meetings []reportSummary
	for _, m := range c.meetingList {
		meetings = append(meetings, m)
	}
	c.mu.Unlock()
	slices.SortFunc(meetings, func(a, b reportSummary) int { return strings.Compare(a.StartTime+a.UUID, b.StartTime+b.UUID) })
	{
		for _, m := range meetings {
			start, err := time.Parse(time.RFC3339, m.StartTime)
			if err != nil {
				return fmt.Errorf("zoom: meeting %d: start_time %q is not a time", m.ID, m.StartTime)
			}
			if seen[m.UUID] || !c.inWindow(start, window) || !c.selected(m.Topic) {
				continue
			}
			seen[m.UUID] = true
			if err := c.addMeeting(ctx, m, sink); err != nil {
				errs = append(errs, err)
				if collectors.EndsRun(ctx, err) {
					return errors.Join(errs...)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// selected tells whether a meeting's topic names it as one of the configured events.
func (c *collector) selected(topic string) bool {
	t := strings.ToLower(topic)
	for _, want := range c.meetingTopics {
		if strings.Contains(t, want) {
			return true
		}
	}
	return false
}

// addMeeting adds one held meeting with its unique attendees by sector. Meetings have no
// registration here, so registrations are left empty.
func (c *collector) addMeeting(ctx context.Context, m reportSummary, sink *collectors.Sink) error {
	what := fmt.Sprintf("meeting %q on %s", collectors.HideEmailAddresses(m.Topic), localDay(m.StartTime, c.loc))
	attended, err := c.attendees(ctx, "/report/meetings/"+escapeID(m.UUID)+"/participants", nil)
	if isGone(err) {
		sink.Note("zoom: %s: Zoom no longer has its participants (reports are kept for six months); import its figures with `rekkevidde import events`", what)
		return nil
	}
	if err != nil {
		return fmt.Errorf("zoom: %s: participants: %w", what, err)
	}
	return c.addEvent(c.meetingKind, "zoom-"+m.UUID, m, nil, attended, sink)
}

// addEvent adds the event and its whole sector set; the sectors add up to the event's counts.
func (c *collector) addEvent(kind, id string, s reportSummary, registered *sectors.Counts, attended sectors.Counts, sink *collectors.Sink) error {
	start, err := time.Parse(time.RFC3339, s.StartTime)
	if err != nil {
		return fmt.Errorf("zoom: %s %q: start_time %q is not a time", kind, collectors.HideEmailAddresses(s.Topic), s.StartTime)
	}
	ev := figures.Event{
		AccountID:       c.account,
		EventID:         id,
		Kind:            kind,
		Title:           collectors.HideEmailAddresses(strings.TrimSpace(s.Topic)),
		StartsAt:        start.UTC(),
		AttendedDigital: collectors.Uint32(attended.Total()),
	}
	if end, err := time.Parse(time.RFC3339, s.EndTime); err == nil && end.After(start) {
		end = end.UTC()
		ev.EndsAt = &end
	}
	if registered != nil {
		ev.Registered = collectors.Uint32(registered.Total())
	}
	records := []figures.Record{ev}
	for _, sector := range figures.Sectors() {
		row := figures.EventSector{AccountID: c.account, EventID: id, Sector: sector, Attended: attended[sector]}
		if registered != nil {
			row.Registered = (*registered)[sector]
		}
		records = append(records, row)
	}
	sink.Add(records...)
	return nil
}

// localDay is an instant's calendar day in loc, for messages.
func localDay(instant string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, instant)
	if err != nil {
		return instant
	}
	return days.Format(days.Of(t, loc))
}
