package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
)

// calendarEvent is an entry of GET /users/{id}/calendarView, asked with $select and in UTC.
type calendarEvent struct {
	Subject         string           `json:"subject"`
	Start           dateTimeTimeZone `json:"start"`
	End             dateTimeTimeZone `json:"end"`
	IsOnlineMeeting bool             `json:"isOnlineMeeting"`
	IsCancelled     bool             `json:"isCancelled"`
	// IsOrganizer is false for an invitation from someone else, whose online meeting (and
	// report) this organiser does not own.
	IsOrganizer   *bool `json:"isOrganizer"`
	OnlineMeeting *struct {
		JoinURL string `json:"joinUrl"`
	} `json:"onlineMeeting"`
}

// occurrence is one held meeting of an organiser that a kinds rule selects.
type occurrence struct {
	organizer int // index in organizers: messages name the setting, not the mailbox
	subject   string
	kind      string
	start     time.Time
	end       time.Time
	joinURL   string
	meetingID string
}

func (o *occurrence) key() string {
	return "meeting:" + o.meetingID + "/" + o.start.UTC().Format(time.RFC3339)
}

// calendarSelect keeps the calendar view's answers small: no bodies, attendees or organiser.
const calendarSelect = "subject,start,end,isOnlineMeeting,isCancelled,isOrganizer,onlineMeeting"

// findMeetings reads each organiser's calendar view over the window and keeps the Teams meetings
// they organised whose subject a kinds rule selects (an invitation from someone else is theirs), then finds each one's online meeting by its join URL (the
// calendar does not give the online meeting's id). Days older than Teams' year of attendance
// reports are not listed: a note says so.
func (r *run) findMeetings(ctx context.Context) error {
	c := r.c
	from, to := r.window.From, r.window.To
	if today := days.Of(c.now(), c.loc); to.After(today) {
		to = today
	}
	if horizon := c.retentionHorizon(); from.Before(horizon) {
		r.sink.Note("teams: meetings before %s are older than the year Teams keeps attendance reports and are not read; import them with `rekkevidde import events`", days.Format(horizon))
		from = horizon
	}
	if to.Before(from) {
		return nil
	}
	q := url.Values{
		"startDateTime": {days.Start(from, c.loc).UTC().Format(time.RFC3339)},
		"endDateTime":   {days.Start(to.AddDate(0, 0, 1), c.loc).UTC().Format(time.RFC3339)},
		"$select":       {calendarSelect},
		"$top":          {strconv.Itoa(c.pageSize)},
	}
	// Graph gives calendar times in UTC when asked to; otherwise in the mailbox's zone.
	header := http.Header{"Prefer": {`outlook.timezone="UTC"`}}
	var errs []error
	for i, org := range c.organizers {
		events, err := getAll[calendarEvent](ctx, c, "/users/"+url.PathEscape(org)+"/calendarView", q, header)
		if err == nil {
			err = r.selectMeetings(ctx, i, events)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("teams: meetings of organizers[%d]: %w", i, err))
			if collectors.EndsRun(ctx, err) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// selectMeetings keeps an organiser's held Teams meetings that a rule selects and finds their
// online meetings; a recurring meeting's occurrences share one online meeting.
func (r *run) selectMeetings(ctx context.Context, org int, events []calendarEvent) error {
	c := r.c
	ids := map[string]string{}
	for _, ev := range events {
		kind := c.kindOf(ev.Subject)
		if kind == "" || ev.IsCancelled || (ev.IsOrganizer != nil && !*ev.IsOrganizer) {
			continue
		}
		start, ok1 := ev.Start.instant()
		end, ok2 := ev.End.instant()
		if !ok1 || !ok2 {
			return fmt.Errorf("calendar event %q has no readable start or end", collectors.HideEmailAddresses(ev.Subject))
		}
		if !c.inWindow(start, r.window) || start.After(c.now()) {
			continue
		}
		if !ev.IsOnlineMeeting || ev.OnlineMeeting == nil || ev.OnlineMeeting.JoinURL == "" {
			r.sink.Note("teams: %q on %s is not a Teams meeting: enter its attendance with the events form or `rekkevidde import events`", collectors.HideEmailAddresses(ev.Subject), c.localDay(start))
			continue
		}
		join := ev.OnlineMeeting.JoinURL
		id, found := ids[join]
		if !found {
			var err error
			if id, err = r.onlineMeetingID(ctx, org, join); err != nil {
				return fmt.Errorf("the online meeting of %q on %s: %w", collectors.HideEmailAddresses(ev.Subject), c.localDay(start), err)
			}
			ids[join] = id
		}
		if id == "" {
			r.sink.Note("teams: %q on %s: Graph finds no online meeting of this organiser for its join link (organised by someone else?); it is skipped", collectors.HideEmailAddresses(ev.Subject), c.localDay(start))
			continue
		}
		r.occurrences = append(r.occurrences, &occurrence{organizer: org, subject: ev.Subject, kind: kind,
			start: start, end: end, joinURL: join, meetingID: id})
	}
	return nil
}

// onlineMeetingID finds an organiser's online meeting by its join URL; "" when there is none.
func (r *run) onlineMeetingID(ctx context.Context, org int, joinURL string) (string, error) {
	filter := "JoinWebUrl eq '" + strings.ReplaceAll(joinURL, "'", "''") + "'"
	var answer page[struct {
		ID string `json:"id"`
	}]
	path := "/users/" + url.PathEscape(r.c.organizers[org]) + "/onlineMeetings"
	if err := r.c.get(ctx, path, url.Values{"$filter": {filter}}, nil, &answer); err != nil {
		return "", err
	}
	if len(answer.Value) == 0 {
		return "", nil
	}
	return answer.Value[0].ID, nil
}

// meetingReportsPath is an online meeting's attendance reports.
func (r *run) meetingReportsPath(o *occurrence) string {
	return "/users/" + url.PathEscape(r.c.organizers[o.organizer]) + "/onlineMeetings/" + url.PathEscape(o.meetingID) + "/attendanceReports"
}

// addMeeting adds a held meeting with its unique attendees by sector. Meetings have no
// registration, so registrations are left empty.
func (r *run) addMeeting(o *occurrence, a *attendance) {
	end := o.end
	r.addEvent(eventID("meeting", o.meetingID, o.start.UTC().Format(time.RFC3339)), o.kind, o.subject, o.start, &end, nil, a.counts)
}
