package events

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/figures"
)

func validInput(t *testing.T) Input {
	return Input{
		AccountID: DefaultAccount, Kind: "nasjonal møteplass", Title: "  Nasjonal  møteplass for DHO ",
		Date: "07.11.2022", StartTime: "10:00", EndTime: "15.30",
		Registered: "117", AttendedOnSite: "40", AttendedDigital: "60", Zone: chtest.Oslo(t),
	}
}

func TestValidInput(t *testing.T) {
	ev, err := validInput(t).Event()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != figures.KindNationalMeetingPlace || ev.Title != "Nasjonal møteplass for DHO" {
		t.Errorf("kind/title = %q/%q", ev.Kind, ev.Title)
	}
	// 10:00 in Oslo on 7 November (CET, UTC+1) is 09:00 UTC.
	if want := time.Date(2022, 11, 7, 9, 0, 0, 0, time.UTC); !ev.StartsAt.Equal(want) || ev.StartsAt.Location() != time.UTC {
		t.Errorf("StartsAt = %v, want %v", ev.StartsAt, want)
	}
	if want := time.Date(2022, 11, 7, 14, 30, 0, 0, time.UTC); ev.EndsAt == nil || !ev.EndsAt.Equal(want) {
		t.Errorf("EndsAt = %v, want %v", ev.EndsAt, want)
	}
	if *ev.Registered != 117 || *ev.AttendedOnSite != 40 || *ev.AttendedDigital != 60 {
		t.Errorf("counts = %d/%d/%d", *ev.Registered, *ev.AttendedOnSite, *ev.AttendedDigital)
	}
	if !strings.HasPrefix(ev.EventID, "entry-2022-11-07-national-meeting-place-") {
		t.Errorf("EventID = %s", ev.EventID)
	}
}

func TestDateOnlyStartsAtLocalMidnightAndEmptyCountsAreUnknown(t *testing.T) {
	in := Input{AccountID: "innomed", Kind: "kurs", Title: "Introduksjonskurs", Date: "2022-06-16", Zone: chtest.Oslo(t)}
	ev, err := in.Event()
	if err != nil {
		t.Fatal(err)
	}
	// Midnight in Oslo in June (CEST, UTC+2).
	if want := time.Date(2022, 6, 15, 22, 0, 0, 0, time.UTC); !ev.StartsAt.Equal(want) {
		t.Errorf("StartsAt = %v, want %v", ev.StartsAt, want)
	}
	if ev.EndsAt != nil || ev.Registered != nil || ev.AttendedOnSite != nil || ev.AttendedDigital != nil {
		t.Errorf("empty fields must stay unknown: %+v", ev)
	}
}

func TestEventIDIsStable(t *testing.T) {
	a, err := validInput(t).Event()
	if err != nil {
		t.Fatal(err)
	}
	in := validInput(t)
	in.Kind, in.Title, in.Date = "national_meeting_place", "nasjonal møteplass FOR dho", "2022-11-07"
	in.StartTime, in.AttendedOnSite = "09:00", "41"
	b, err := in.Event()
	if err != nil {
		t.Fatal(err)
	}
	if a.EventID != b.EventID {
		t.Errorf("same kind, day and title (case and spacing aside) must give the same id: %s vs %s", a.EventID, b.EventID)
	}
	in.Title = "Nasjonal møteplass for DHO, del 2"
	c, err := in.Event()
	if err != nil {
		t.Fatal(err)
	}
	if c.EventID == a.EventID {
		t.Error("another title must give another id")
	}
	in.EventID = a.EventID
	d, err := in.Event()
	if err != nil {
		t.Fatal(err)
	}
	if d.EventID != a.EventID {
		t.Error("an edited event keeps its id")
	}
}

func TestEveryProblemIsReportedByField(t *testing.T) {
	in := Input{Kind: "seminar", Date: "31.02.2022", StartTime: "25:00", EndTime: "abc",
		Registered: "-3", AttendedOnSite: "12,5", AttendedDigital: "mange", Zone: chtest.Oslo(t)}
	err := in.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	var fields []string
	for _, fe := range errs {
		fields = append(fields, fe.Field)
	}
	want := []string{FieldAccount, FieldKind, FieldTitle, FieldDate, FieldStartTime, FieldEndTime,
		FieldRegistered, FieldAttendedOnSite, FieldAttendedDigital}
	if !slices.Equal(fields, want) {
		t.Errorf("fields = %v, want %v\n%v", fields, want, err)
	}
	for _, s := range []string{"negative", `"12,5" is not a whole number`, `"seminar" is not a kind`, "31.02.2022"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*Input)
		problem string // empty: valid
	}{
		{"webinar with on-site attendance", func(in *Input) { in.Kind = "webinar" }, FieldAttendedOnSite},
		{"webinar digital only", func(in *Input) { in.Kind = "webinar"; in.AttendedOnSite = "" }, ""},
		{"more attended than registered (walk-ins)", func(in *Input) { in.Registered = "10" }, ""},
		{"ends before it starts", func(in *Input) { in.EndTime = "09:00" }, FieldEndTime},
		{"end date without end time", func(in *Input) { in.EndDate = "08.11.2022"; in.EndTime = "" }, FieldEndTime},
		{"over two days", func(in *Input) { in.EndDate = "2022-11-08"; in.EndTime = "12:00" }, ""},
		{"thousands with a space", func(in *Input) { in.Registered = "1 234" }, ""},
		{"thousands with a no-break space", func(in *Input) { in.Registered = "1\u00a0234" }, ""},
		{"badly grouped", func(in *Input) { in.Registered = "12 34" }, FieldRegistered},
		{"thousands with a dot", func(in *Input) { in.Registered = "1.234" }, FieldRegistered},
		{"too large", func(in *Input) { in.Registered = "5000000000" }, FieldRegistered},
		{"zero", func(in *Input) { in.AttendedOnSite = "0" }, ""},
		{"year mistyped", func(in *Input) { in.Date = "07.11.0022" }, FieldDate},
		{"one-digit day and month", func(in *Input) { in.Date = "7.3.2022" }, ""},
		{"no such day, bokmål notation", func(in *Input) { in.Date = "31.02.2023" }, FieldDate},
		{"American notation", func(in *Input) { in.Date = "11/07/2022" }, FieldDate},
		{"end date, no such day", func(in *Input) { in.EndDate = "31.02.2023"; in.EndTime = "12:00" }, FieldEndDate},
		{"kind with other case and hyphens", func(in *Input) { in.Kind = "Network-Meeting" }, ""},
		{"Norwegian kind", func(in *Input) { in.Kind = "Nettverksmøte" }, ""},
		{"bad id", func(in *Input) { in.EventID = "a b" }, FieldEventID},
		{"long title", func(in *Input) { in.Title = strings.Repeat("x", maxTitle+1) }, FieldTitle},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput(t)
			c.change(&in)
			err := in.Validate()
			if c.problem == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != c.problem {
				t.Fatalf("want one problem with %s, got %v", c.problem, err)
			}
		})
	}
}

func TestKindAliasesAllResolve(t *testing.T) {
	for name, kind := range kindNames {
		if !slices.Contains(figures.EventKinds(), kind) {
			t.Errorf("alias target %s is not a kind", kind)
		}
		if k, ok := Kind(strings.ToUpper(name)); !ok || k != kind {
			t.Errorf("Kind(%q) = %s, %v", name, k, ok)
		}
	}
	for _, k := range figures.EventKinds() {
		if got, ok := Kind(k); !ok || got != k {
			t.Errorf("canonical kind %s not accepted", k)
		}
	}
}

func TestSaveAndDelete(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	if _, err := Save(ctx, st, Input{Zone: chtest.Oslo(t)}, "form"); err == nil {
		t.Fatal("an invalid input must not be saved")
	}
	if _, err := Save(ctx, st, validInput(t), "kari@innomed.no"); err == nil {
		t.Fatal("an e-mail address is not a source label")
	}
	ev, err := Save(ctx, st, validInput(t), "form")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		title             string
		onSite, digital   uint32
		deleted           uint8
		source            string
		versions, visible uint64
	}
	read := func() row {
		t.Helper()
		var r row
		err := st.Conn().QueryRow(ctx, `
SELECT title, assumeNotNull(attended_on_site), assumeNotNull(attended_digital), deleted, source,
       (SELECT count() FROM events WHERE event_id = ?),
       (SELECT count() FROM events FINAL WHERE deleted = 0)
FROM events FINAL WHERE account_id = ? AND event_id = ?`, ev.EventID, ev.AccountID, ev.EventID).
			Scan(&r.title, &r.onSite, &r.digital, &r.deleted, &r.source, &r.versions, &r.visible)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := read(); got.title != "Nasjonal møteplass for DHO" || got.onSite != 40 || got.digital != 60 || got.deleted != 0 || got.source != "form" || got.visible != 1 {
		t.Fatalf("after save: %+v", got)
	}
	// Entering the same event again with a corrected count replaces it.
	in := validInput(t)
	in.AttendedOnSite = "42"
	if _, err := Save(ctx, st, in, "form"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.onSite != 42 || got.visible != 1 || got.versions != 2 {
		t.Fatalf("after correction: %+v", got)
	}
	if err := Delete(ctx, st, ev, "form"); err != nil {
		t.Fatal(err)
	}
	got := read()
	if got.deleted != 1 || got.visible != 0 || got.versions != 3 {
		t.Fatalf("after delete: %+v", got)
	}
	if got.title != "Nasjonal møteplass for DHO" {
		t.Errorf("the deleted version keeps the event's fields, got title %q", got.title)
	}
}

// The form shows days in the reader's notation and the CSV import takes what Excel writes: both
// notations are the same day, the same start and the same event id.
func TestBothDateNotationsAreTheSameEvent(t *testing.T) {
	nb, iso := validInput(t), validInput(t)
	nb.Date, nb.EndDate, nb.EndTime = "14.02.2023", "15.2.2023", "12:00"
	iso.Date, iso.EndDate, iso.EndTime = "2023-02-14", " 2023-02-15 ", "12:00"
	a, err := nb.Event()
	if err != nil {
		t.Fatal(err)
	}
	b, err := iso.Event()
	if err != nil {
		t.Fatal(err)
	}
	if a.EventID != b.EventID || !a.StartsAt.Equal(b.StartsAt) || !a.EndsAt.Equal(*b.EndsAt) {
		t.Fatalf("14.02.2023 gives %s %s–%s, 2023-02-14 gives %s %s–%s", a.EventID, a.StartsAt, a.EndsAt, b.EventID, b.StartsAt, b.EndsAt)
	}
	if want := time.Date(2023, 2, 14, 9, 0, 0, 0, time.UTC); !a.StartsAt.Equal(want) {
		t.Errorf("starts %s, want %s (10:00 in Oslo)", a.StartsAt, want)
	}
}
