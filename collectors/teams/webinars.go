package teams

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
	"github.com/innomed/rekkevidde/internal/sectors"
)

// dateTimeTimeZone is Graph's local time with a zone name (IANA or Windows).
type dateTimeTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// ianaZone maps the Windows zone names Teams uses in Norway and for guests' organisers to IANA
// names. An unknown zone is read as UTC: the time only picks which webinars to look at, with a
// day's slack, while the attendance report gives the exact start.
func ianaZone(windows string) string {
	switch windows {
	case "W. Europe Standard Time":
		return "Europe/Oslo"
	case "Romance Standard Time":
		return "Europe/Paris"
	case "Central Europe Standard Time":
		return "Europe/Budapest"
	case "Central European Standard Time":
		return "Europe/Warsaw"
	case "GMT Standard Time":
		return "Europe/London"
	case "FLE Standard Time":
		return "Europe/Helsinki"
	case "Eastern Standard Time":
		return "America/New_York"
	case "Pacific Standard Time":
		return "America/Los_Angeles"
	}
	return windows
}

// instant reads the time; ok is false when it is not a time.
func (d dateTimeTimeZone) instant() (time.Time, bool) {
	zone := time.UTC
	if tz := strings.TrimSpace(d.TimeZone); tz != "" && !strings.EqualFold(tz, "UTC") {
		if loc, err := time.LoadLocation(ianaZone(tz)); err == nil {
			zone = loc
		}
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", strings.TrimSuffix(d.DateTime, "Z"), zone)
	return t, err == nil
}

// webinar is an entry of GET /solutions/virtualEvents/webinars.
type webinar struct {
	ID            string           `json:"id"`
	DisplayName   string           `json:"displayName"`
	Status        string           `json:"status"`
	StartDateTime dateTimeTimeZone `json:"startDateTime"`
	EndDateTime   dateTimeTimeZone `json:"endDateTime"`
}

// session is an entry of GET /solutions/virtualEvents/webinars/{id}/sessions.
type session struct {
	ID            string           `json:"id"`
	Subject       string           `json:"subject"`
	StartDateTime dateTimeTimeZone `json:"startDateTime"`
	EndDateTime   dateTimeTimeZone `json:"endDateTime"`
}

// webinarSession is one session of a webinar that may have been held in the window.
type webinarSession struct {
	webinar webinar
	session session
	// single is true when it is the webinar's only session: registrations count for it.
	single bool
	// scheduled is the session's planned start (approximate when its zone is unknown).
	scheduled time.Time
}

func (s *webinarSession) key() string { return "webinar:" + s.webinar.ID + "/" + s.session.ID }

func (s *webinarSession) title() string {
	// A title may name a contact address; it goes into notes and errors stored with the run.
	if t := strings.TrimSpace(s.webinar.DisplayName); t != "" {
		return collectors.HideEmailAddresses(t)
	}
	return collectors.HideEmailAddresses(s.session.Subject)
}

// webinarsPath is the tenant's webinars. Graph lists only webinars whose organiser an
// application access policy covers.
const webinarsPath = "/solutions/virtualEvents/webinars"

// findWebinars lists the tenant's published webinars that may have a session in the window, and
// their sessions. Graph lists every webinar with no date filter, so those scheduled more than a
// day from the window are skipped before their sessions are asked for.
func (r *run) findWebinars(ctx context.Context) error {
	c := r.c
	webinars, err := getAll[webinar](ctx, c, webinarsPath, nil, nil)
	if err != nil {
		return fmt.Errorf("teams: list the webinars: %w", err)
	}
	horizon := c.retentionHorizon()
	slackFrom, slackTo := r.window.From.AddDate(0, 0, -1), r.window.To.AddDate(0, 0, 1)
	for _, w := range webinars {
		if !strings.EqualFold(w.Status, "published") {
			continue // a draft was never held; a cancelled one was called off
		}
		start, ok := w.StartDateTime.instant()
		end, endOK := w.EndDateTime.instant()
		if !endOK || end.Before(start) {
			end = start
		}
		if ok && (days.Of(end, c.loc).Before(slackFrom) || days.Of(start, c.loc).After(slackTo)) {
			continue
		}
		sessions, err := getAll[session](ctx, c, webinarsPath+"/"+url.PathEscape(w.ID)+"/sessions", nil, nil)
		if err != nil {
			return fmt.Errorf("teams: sessions of webinar %q: %w", w.DisplayName, err)
		}
		for _, s := range sessions {
			at, ok := s.StartDateTime.instant()
			if !ok {
				at = start
			}
			d := days.Of(at, c.loc)
			if d.Before(slackFrom) || d.After(slackTo) {
				continue
			}
			ws := &webinarSession{webinar: w, session: s, single: len(sessions) == 1, scheduled: at}
			if d.Before(horizon) {
				if !d.Before(r.window.From) {
					r.sink.Note("teams: webinar %q on %s is older than the year Teams keeps attendance reports; import its figures with `rekkevidde import events`", ws.title(), days.Format(d))
				}
				continue
			}
			r.sessions = append(r.sessions, ws)
		}
	}
	return nil
}

// registration is an entry of GET /solutions/virtualEvents/webinars/{id}/registrations. The
// address is read to find the sector and then dropped.
type registration struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Status string `json:"status"`
}

// registrationCounts are a webinar's registrations by sector, and each registration's sector by
// its id (to place attendees who joined without an address).
type registrationCounts struct {
	counts   sectors.Counts
	sectorOf map[string]string
	err      error
}

// readRegistrations counts the registrations of every webinar with a session in the window.
// Only status "registered" counts: cancelled, waitlisted, pending and rejected ones did not
// register for a place. A webinar whose registrations fail is noted; the others go on.
func (r *run) readRegistrations(ctx context.Context) error {
	var errs []error
	for _, s := range r.sessions {
		id := s.webinar.ID
		if _, done := r.registrations[id]; done {
			continue
		}
		list, err := getAll[registration](ctx, r.c, webinarsPath+"/"+url.PathEscape(id)+"/registrations", nil, nil)
		if err != nil {
			err = fmt.Errorf("teams: registrations of webinar %q: %w", s.title(), err)
			r.registrations[id] = &registrationCounts{err: err}
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		rc := &registrationCounts{counts: sectors.NewCounts(), sectorOf: map[string]string{}}
		for _, reg := range list {
			sector := r.c.sectors.Sector(reg.Email)
			if reg.ID != "" {
				rc.sectorOf[reg.ID] = sector
			}
			if strings.EqualFold(reg.Status, "registered") {
				rc.counts[sector]++
			}
		}
		r.registrations[id] = rc
	}
	return errors.Join(errs...)
}

// addWebinarSession adds a held session whose attendance and (for a single-session webinar)
// registrations are complete.
func (r *run) addWebinarSession(s *webinarSession, a *attendance) {
	c := r.c
	what := fmt.Sprintf("webinar %q on %s", s.title(), c.localDay(a.start))
	var registered *sectors.Counts
	if s.single {
		rc := r.registrations[s.webinar.ID]
		if rc == nil || rc.err != nil {
			r.sink.Note("teams: %s not stored in this run: its registrations could not be read", what)
			return
		}
		registered = &rc.counts
	} else {
		r.sink.Note("teams: %s is one session of a multi-session webinar, whose registrations Teams counts for the whole webinar: registrations are left empty", what)
	}
	kind := c.kindOf(s.title())
	if kind == "" {
		kind = figures.KindWebinar
	}
	end := a.end
	r.addEvent(eventID("webinar", s.webinar.ID, s.session.ID), kind, s.title(), a.start, &end, registered, a.counts)
}
