package teams

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/sectors"
)

// report is an entry of an attendanceReports list (meetingAttendanceReport): one per time the
// meeting or session ran, generated when it ends. Its records are read separately.
type report struct {
	ID                   string    `json:"id"`
	MeetingStartDateTime time.Time `json:"meetingStartDateTime"`
	MeetingEndDateTime   time.Time `json:"meetingEndDateTime"`
}

// record is an attendanceRecord: one person in one report, with every interval they were in
// the meeting (a person who left and came back has several intervals, one record). Only what
// tells people apart and places them in a sector is decoded, and only while they are counted.
type record struct {
	EmailAddress             string `json:"emailAddress"`
	RegistrationID           string `json:"registrationId"`
	TotalAttendanceInSeconds *int   `json:"totalAttendanceInSeconds"`
	Identity                 *struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		TenantID    string `json:"tenantId"`
	} `json:"identity"`
}

// recordSelect keeps attendance records small: no intervals, roles or registration details.
const recordSelect = "emailAddress,identity,registrationId,totalAttendanceInSeconds"

// attendance is one event's people by sector, or why there is none.
type attendance struct {
	start, end time.Time
	counts     sectors.Counts
	// pending: Teams has no report yet (it makes one some time after the event ends).
	pending bool
	err     error
}

// readAttendance reads the attendance reports of every webinar session and selected meeting.
// An event whose reports fail is noted; the others go on, unless the failure ends the run.
func (r *run) readAttendance(ctx context.Context) error {
	var errs []error
	fail := func(key string, err error) bool {
		r.attendance[key] = &attendance{err: err}
		errs = append(errs, err)
		return collectors.EndsRun(ctx, err)
	}
	for _, s := range r.sessions {
		a, err := r.sessionAttendance(ctx, s)
		if err != nil {
			if fail(s.key(), fmt.Errorf("teams: attendance of webinar %q: %w", s.title(), err)) {
				return errors.Join(errs...)
			}
			continue
		}
		r.attendance[s.key()] = a
	}
	reports := map[string][]report{}
	for _, o := range r.occurrences {
		a, err := r.meetingAttendance(ctx, o, reports)
		if err != nil {
			if fail(o.key(), fmt.Errorf("teams: attendance of %q on %s: %w", collectors.HideEmailAddresses(o.subject), r.c.localDay(o.start), err)) {
				return errors.Join(errs...)
			}
			continue
		}
		r.attendance[o.key()] = a
	}
	return errors.Join(errs...)
}

// sessionAttendance reads a webinar session's reports; nil when the session was not held in the
// window. A session restarted after everyone left has a report per run, counted together.
func (r *run) sessionAttendance(ctx context.Context, s *webinarSession) (*attendance, error) {
	base := webinarsPath + "/" + url.PathEscape(s.webinar.ID) + "/sessions/" + url.PathEscape(s.session.ID) + "/attendanceReports"
	reports, err := getAll[report](ctx, r.c, base, nil, nil)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if len(reports) == 0 {
		if s.scheduled.Before(r.c.now()) && r.c.inWindow(s.scheduled, r.window) {
			return &attendance{start: s.scheduled, pending: true}, nil
		}
		return nil, nil
	}
	a := &attendance{start: reports[0].MeetingStartDateTime, end: reports[0].MeetingEndDateTime}
	for _, rep := range reports {
		if rep.MeetingStartDateTime.Before(a.start) {
			a.start = rep.MeetingStartDateTime
		}
		if rep.MeetingEndDateTime.After(a.end) {
			a.end = rep.MeetingEndDateTime
		}
	}
	if !r.c.inWindow(a.start, r.window) {
		return nil, nil
	}
	var regSectors map[string]string
	if rc := r.registrations[s.webinar.ID]; rc != nil && rc.err == nil {
		regSectors = rc.sectorOf
	}
	a.counts, err = r.people(ctx, base, reports, regSectors)
	return a, err
}

// meetingAttendance reads the reports of the meeting an occurrence belongs to (once per online
// meeting: a recurring meeting has one, with a report per occurrence) and counts the people of
// the reports that ran from an hour before the occurrence to an hour after its planned end.
func (r *run) meetingAttendance(ctx context.Context, o *occurrence, cache map[string][]report) (*attendance, error) {
	base := r.meetingReportsPath(o)
	reports, ok := cache[o.meetingID]
	if !ok {
		var err error
		reports, err = getAll[report](ctx, r.c, base, nil, nil)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		cache[o.meetingID] = reports
	}
	var mine []report
	for _, rep := range reports {
		if !rep.MeetingStartDateTime.Before(o.start.Add(-time.Hour)) && rep.MeetingStartDateTime.Before(o.end.Add(time.Hour)) {
			mine = append(mine, rep)
		}
	}
	if len(mine) == 0 {
		return &attendance{start: o.start, pending: true}, nil
	}
	counts, err := r.people(ctx, base, mine, nil)
	return &attendance{start: o.start, end: o.end, counts: counts}, err
}

// people reads the records of reports and counts each person once, by sector.
func (r *run) people(ctx context.Context, base string, reports []report, regSectors map[string]string) (sectors.Counts, error) {
	var all []record
	for _, rep := range reports {
		recs, err := getAll[record](ctx, r.c, base+"/"+url.PathEscape(rep.ID)+"/attendanceRecords", url.Values{"$select": {recordSelect}}, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return countPeople(all, r.c.sectors, regSectors), nil
}

// countPeople groups attendance records into people and counts the people per sector. Within a
// report Teams already gives one record per person; across the reports of one event (a meeting
// that ended and was started again) two records are one person when they share a registration
// id, an Entra ID user (identity id with a tenant), or an e-mail address (any case). An anonymous
// record (no address, no tenant) is matched by its display name — to a person of that name if
// there is one — or else by its anonymous id. Records with no time in the meeting are dropped.
func countPeople(records []record, table *sectors.Table, regSectors map[string]string) sectors.Counts {
	var present []record
	for _, rec := range records {
		if rec.TotalAttendanceInSeconds == nil || *rec.TotalAttendanceInSeconds > 0 {
			present = append(present, rec)
		}
	}
	people := make([]collectors.Attendee, len(present))
	for i, rec := range present {
		p := collectors.Attendee{Keys: identities(rec), NameOfKeyed: nameKey(rec), Sector: table.Sector(rec.EmailAddress)}
		if len(p.Keys) == 0 {
			p.Name = nameKey(rec)
			if p.Name == "" && rec.Identity != nil && rec.Identity.ID != "" {
				p.Name = "anon:" + rec.Identity.ID
			}
		}
		if rs, ok := regSectors[rec.RegistrationID]; ok && rec.RegistrationID != "" {
			p.Sector = sectors.Better(p.Sector, rs)
		}
		people[i] = p
	}
	return collectors.CountPeople(people)
}

// identities are the keys that tell a person apart.
func identities(rec record) []string {
	var keys []string
	if v := strings.TrimSpace(rec.RegistrationID); v != "" {
		keys = append(keys, "registration:"+v)
	}
	if rec.Identity != nil && strings.TrimSpace(rec.Identity.TenantID) != "" && strings.TrimSpace(rec.Identity.ID) != "" {
		keys = append(keys, "user:"+strings.TrimSpace(rec.Identity.ID))
	}
	if v := strings.ToLower(strings.TrimSpace(rec.EmailAddress)); v != "" {
		keys = append(keys, "email:"+v)
	}
	return keys
}

func nameKey(rec record) string {
	if rec.Identity == nil {
		return ""
	}
	return collectors.NameKey(rec.Identity.DisplayName)
}

// addEvents adds every event whose figures are complete, in start order, and notes the rest.
func (r *run) addEvents() {
	c := r.c
	type held struct {
		start time.Time
		add   func()
	}
	var events []held
	for _, s := range r.sessions {
		a, ok := r.attendance[s.key()]
		switch {
		case !ok || a == nil || a.err != nil:
			// Not held in the window, or the failure is already a note of its family.
		case a.pending:
			r.sink.Note("teams: webinar %q on %s has no attendance report yet (Teams makes it after the webinar ends); it is read again on the next runs", s.title(), c.localDay(a.start))
		default:
			events = append(events, held{a.start, func() { r.addWebinarSession(s, a) }})
		}
	}
	for _, o := range r.occurrences {
		a, ok := r.attendance[o.key()]
		switch {
		case !ok || a == nil || a.err != nil:
		case a.pending:
			r.sink.Note("teams: %q on %s has no attendance report yet (Teams makes it after the meeting ends, and lists a meeting's 50 newest only); it is read again on the next runs",
				collectors.HideEmailAddresses(o.subject), c.localDay(o.start))
		default:
			events = append(events, held{o.start, func() { r.addMeeting(o, a) }})
		}
	}
	slices.SortStableFunc(events, func(a, b held) int { return a.start.Compare(b.start) })
	for _, e := range events {
		e.add()
	}
}
