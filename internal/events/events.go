// Package events is the one validated write path for events entered by hand: the dashboard's entry
// form and the CSV `events` import both turn their text fields into an Input, and Input.Validate
// decides for both, so the two accept exactly the same data. See README.md for the rules.
package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

// DefaultAccount is the events register InnoMed's figures are kept under.
const DefaultAccount = "innomed"

// Field names, as the entry form and the CSV header name them.
const (
	FieldAccount         = "account_id"
	FieldEventID         = "event_id"
	FieldKind            = "kind"
	FieldTitle           = "title"
	FieldDate            = "date"
	FieldStartTime       = "start_time"
	FieldEndDate         = "end_date"
	FieldEndTime         = "end_time"
	FieldRegistered      = "registered"
	FieldAttendedOnSite  = "attended_on_site"
	FieldAttendedDigital = "attended_digital"
)

// maxTitle bounds a title; longer text is a pasted paragraph, not a title.
const maxTitle = 300

// Input is one event as typed by a person: every field is text, exactly as the form or the CSV
// cell holds it. Empty counts mean "not counted or not applicable" and are stored as NULL.
type Input struct {
	AccountID string
	// EventID keeps an existing event's id when it is edited; empty derives one from kind, date and
	// title (ID), so entering or importing the same event again replaces it.
	EventID string
	// Kind is a canonical kind (figures.EventKinds) or a Norwegian name for one (see Kind).
	Kind  string
	Title string
	// Date is the day the event starts: YYYY-MM-DD or DD.MM.YYYY.
	Date string
	// StartTime is the local start, HH:MM (or HH.MM); empty means the start of the day.
	StartTime string
	// EndDate is the last day of an event over several days; empty means Date.
	EndDate string
	// EndTime is the local end, HH:MM; empty means no end is recorded.
	EndTime string
	// Counts: whole numbers ≥ 0, optionally with spaces between groups of three ("1 234").
	Registered      string
	AttendedOnSite  string
	AttendedDigital string
	// Sectors are attendees by sector (figures.Sectors), as typed; see sectors.go.
	Sectors map[string]string
	// Zone is the organisation's time zone (config timezone): local dates and times are read in it.
	Zone *time.Location
}

// FieldError is one problem with one field.
type FieldError struct {
	Field  string
	Reason string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// Errors lists every problem of an Input, in the order of the fields.
type Errors []FieldError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// Validate checks every field and reports all problems at once as Errors.
func (in Input) Validate() error {
	_, err := in.Event()
	return err
}

// Event validates the input and returns the record it stands for. On failure the error is Errors.
func (in Input) Event() (figures.Event, error) {
	if in.Zone == nil {
		return figures.Event{}, errors.New("events: Input.Zone is not set (the configured time zone)")
	}
	var errs Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	account := strings.TrimSpace(in.AccountID)
	if account == "" {
		bad(FieldAccount, "required")
	}
	id := strings.TrimSpace(in.EventID)
	if id != "" && !eventIDPattern.MatchString(id) {
		bad(FieldEventID, "%q is not an event id", in.EventID)
	}
	kind, ok := Kind(in.Kind)
	switch {
	case strings.TrimSpace(in.Kind) == "":
		bad(FieldKind, "required: one of %s", strings.Join(figures.EventKinds(), ", "))
	case !ok:
		bad(FieldKind, "%q is not a kind of event: use one of %s (or nettverksmøte, nasjonal møteplass, kurs, konferanse, annet)",
			in.Kind, strings.Join(figures.EventKinds(), ", "))
	}
	title := strings.Join(strings.Fields(in.Title), " ")
	switch {
	case title == "":
		bad(FieldTitle, "required")
	case utf8.RuneCountInString(title) > maxTitle:
		bad(FieldTitle, "longer than %d characters", maxTitle)
	case strings.ContainsFunc(title, unicode.IsControl):
		bad(FieldTitle, "holds a control character")
	}
	var starts time.Time
	var ends *time.Time
	timesOK := true
	day, err := ParseDate(in.Date)
	if err != nil {
		bad(FieldDate, "%s", err)
		timesOK = false
	}
	startClock, err := ParseClock(in.StartTime)
	if err != nil {
		bad(FieldStartTime, "%s", err)
		timesOK = false
	}
	endDay := day
	if strings.TrimSpace(in.EndDate) != "" {
		if endDay, err = ParseDate(in.EndDate); err != nil {
			bad(FieldEndDate, "%s", err)
			timesOK = false
		} else if strings.TrimSpace(in.EndTime) == "" {
			bad(FieldEndTime, "required when end_date is given")
			timesOK = false
		}
	}
	endClock, err := ParseClock(in.EndTime)
	if err != nil {
		bad(FieldEndTime, "%s", err)
		timesOK = false
	}
	if timesOK {
		starts = At(day, startClock, in.Zone)
		if endClock != nil {
			e := At(endDay, endClock, in.Zone).UTC()
			if !e.After(starts) {
				bad(FieldEndTime, "the event must end after it starts (%s)", starts.Format("2006-01-02 15:04"))
			}
			ends = &e
		}
	}
	registered := count(FieldRegistered, in.Registered, &errs)
	onSite := count(FieldAttendedOnSite, in.AttendedOnSite, &errs)
	digital := count(FieldAttendedDigital, in.AttendedDigital, &errs)
	if kind == figures.KindWebinar && onSite != nil {
		bad(FieldAttendedOnSite, "a webinar has no on-site attendance: leave it empty and give attended_digital")
	}
	in.checkSectors(onSite, digital, &errs)
	if len(errs) > 0 {
		return figures.Event{}, errs
	}
	if id == "" {
		id = ID(kind, day, title)
	}
	return figures.Event{
		AccountID:       account,
		EventID:         id,
		Kind:            kind,
		Title:           title,
		StartsAt:        starts.UTC(),
		EndsAt:          ends,
		Registered:      registered,
		AttendedOnSite:  onSite,
		AttendedDigital: digital,
	}, nil
}

var eventIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/+=-]{0,199}$`)

// count parses one count field, adding a problem to errs when it is not a count.
func count(field, s string, errs *Errors) *uint32 {
	n, err := ParseCount(s)
	if err != nil {
		*errs = append(*errs, FieldError{Field: field, Reason: err.Error()})
	}
	return n
}

// ID is the stable id of an entered event: its kind, local start day and title (case and spacing
// ignored), so the same event entered or imported twice is one event.
func ID(kind string, day time.Time, title string) string {
	norm := strings.ToLower(strings.Join(strings.Fields(title), " "))
	sum := sha256.Sum256([]byte(kind + "\x00" + day.Format(time.DateOnly) + "\x00" + norm))
	return "entry-" + day.Format(time.DateOnly) + "-" + strings.ReplaceAll(kind, "_", "-") + "-" + hex.EncodeToString(sum[:6])
}

// kindNames maps what people type (lower case, spaces for _ and -) to canonical kinds.
var kindNames = map[string]string{
	"webinar":                 figures.KindWebinar,
	"nettseminar":             figures.KindWebinar,
	"network meeting":         figures.KindNetworkMeeting,
	"nettverksmøte":           figures.KindNetworkMeeting,
	"kompetansenettverksmøte": figures.KindNetworkMeeting,
	"national meeting place":  figures.KindNationalMeetingPlace,
	"nasjonal møteplass":      figures.KindNationalMeetingPlace,
	"course":                  figures.KindCourse,
	"kurs":                    figures.KindCourse,
	"introduksjonskurs":       figures.KindCourse,
	"conference":              figures.KindConference,
	"konferanse":              figures.KindConference,
	"other":                   figures.KindOther,
	"annet":                   figures.KindOther,
}

// Kind returns the canonical kind for s: a canonical name or a Norwegian one, in any case, with
// spaces, hyphens or underscores between the words.
func Kind(s string) (string, bool) {
	norm := strings.Join(strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(s))), " ")
	k, ok := kindNames[norm]
	return k, ok
}

// ParseDate reads a day as days.ParseDay does: YYYY-MM-DD or, as bokmål readers and Norwegian
// spreadsheets write it, DD.MM.YYYY (one-digit day and month allowed). Years outside 2000–2099
// are refused as typing mistakes: the organisation's events are all of this century.
func ParseDate(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, errors.New("required: a date YYYY-MM-DD or DD.MM.YYYY")
	}
	d, err := days.ParseDay(s)
	if err != nil {
		return time.Time{}, err
	}
	if d.Year() < 2000 {
		return time.Time{}, fmt.Errorf("%q: the year %d looks mistyped", strings.TrimSpace(s), d.Year())
	}
	return d, nil
}

// Clock is a local time of day.
type Clock struct{ Hour, Minute int }

// ParseClock reads HH:MM or HH.MM (one-digit hours allowed); empty is nil.
func ParseClock(s string) (*Clock, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	h, m, ok := strings.Cut(strings.ReplaceAll(s, ".", ":"), ":")
	hour, herr := strconv.Atoi(h)
	minute, merr := strconv.Atoi(m)
	if !ok || herr != nil || merr != nil || len(m) != 2 || len(h) > 2 || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return nil, fmt.Errorf("%q is not a time of day: use HH:MM, e.g. 09:30", s)
	}
	return &Clock{hour, minute}, nil
}

// At is the instant of local time c (nil: midnight) on day in zone.
func At(day time.Time, c *Clock, zone *time.Location) time.Time {
	var h, m int
	if c != nil {
		h, m = c.Hour, c.Minute
	}
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, zone)
}

var countPattern = regexp.MustCompile(`^(\d+|\d{1,3}( \d{3})+)$`)

// ParseCount reads a count: a whole number ≥ 0, with spaces (also the no-break spaces Excel
// writes) allowed between groups of three digits. Empty is nil: not counted.
func ParseCount(s string) (*uint32, error) {
	s = strings.TrimSpace(strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s))
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "-") {
		return nil, fmt.Errorf("%q is negative: a count is 0 or more", s)
	}
	if !countPattern.MatchString(s) {
		return nil, fmt.Errorf("%q is not a whole number (write 1234 or 1 234; no decimals, no other text)", s)
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(s, " ", ""), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%q is too large", s)
	}
	v := uint32(n)
	return &v, nil
}

// Save validates in and stores it as the event's newest version, under source label by (e.g.
// "form" or "import"; never a person's e-mail address).
func Save(ctx context.Context, st *store.Store, in Input, by string) (figures.Event, error) {
	if err := checkSource(by); err != nil {
		return figures.Event{}, err
	}
	ev, err := in.Event()
	if err != nil {
		return figures.Event{}, err
	}
	if err := st.Write(ctx, by, store.NewVersion(), in.Records(ev)); err != nil {
		return figures.Event{}, fmt.Errorf("save event %s: %w", ev.EventID, err)
	}
	return ev, nil
}

// Delete withdraws ev (as stored) by writing it again, flagged deleted, as its newest version:
// queries leave it and its sector counts out, and nothing is removed from ClickHouse.
func Delete(ctx context.Context, st *store.Store, ev figures.Event, by string) error {
	if err := checkSource(by); err != nil {
		return err
	}
	if strings.TrimSpace(ev.AccountID) == "" || strings.TrimSpace(ev.EventID) == "" {
		return errors.New("delete event: account and event id are required")
	}
	ev.Deleted = true
	if err := st.Write(ctx, by, store.NewVersion(), []figures.Record{ev}); err != nil {
		return fmt.Errorf("delete event %s: %w", ev.EventID, err)
	}
	return nil
}

var sourcePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// checkSource keeps the source label a plain label: it is shown on the dashboard and must not
// carry an e-mail address.
func checkSource(by string) error {
	if !sourcePattern.MatchString(by) {
		return fmt.Errorf("events: source label %q must be letters, digits, '.', ':', '_' or '-' (e.g. form or import)", by)
	}
	return nil
}
