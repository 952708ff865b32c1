package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

// testClock is the fake's "now": 20 January 2026, noon in Oslo, so Teams' year of attendance
// reports reaches back to 21 January 2025.
func testClock() time.Time { return time.Date(2026, 1, 20, 12, 0, 0, 0, collectortest.Oslo) }

type testSetup struct {
	fake *fakeGraph
	c    *collector
	logs *collectortest.LogBuffer
}

// rules is the kinds block the tests use: InnoMed's network meetings, meeting places and courses.
const rules = `kinds:
  - {contains: Kompetansenettverksmøte, kind: network_meeting}
  - {contains: "Nasjonal møteplass", kind: national_meeting_place}
  - {contains: "Kurs:", kind: course}
`

// setup builds a collector against a fresh fake. extra is YAML appended to the settings block.
func setup(t *testing.T, extra string, tune func(*collectors.HTTPOptions)) testSetup {
	t.Helper()
	f := newFake(t)
	c, logs, err := build(t, settingsBlock(f, extra), tune)
	if err != nil {
		t.Fatal(err)
	}
	c.pageSize = 2 // the calendar view in pages of two; the fake pages everything else by three
	return testSetup{fake: f, c: c, logs: logs}
}

func settingsBlock(f *fakeGraph, extra string) string {
	return fmt.Sprintf("tenant_id: %s\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v1.0\nlogin_url: %s\norganizers: [%s, %s]\n%s%s",
		testTenant, testClientID, testSecret, f.srv.URL, f.srv.URL, orgNettverk, orgMoteplass, rules, extra)
}

func build(t *testing.T, block string, tune func(*collectors.HTTPOptions)) (*collector, *collectortest.LogBuffer, error) {
	t.Helper()
	logs := &collectortest.LogBuffer{}
	s := collectortest.Settings(t, "teams", block, nil)
	s.Log, s.Now = logs.Logger(), testClock
	c, err := newCollector(s, func(o *collectors.HTTPOptions) {
		o.WaitMin, o.WaitMax = time.Millisecond, 50*time.Millisecond
		o.RequestsPerSecond, o.Burst = 1000, 1000
		if tune != nil {
			tune(o)
		}
	})
	return c, logs, err
}

func collect(t *testing.T, c *collector, from, to time.Time) (*collectors.Sink, error) {
	t.Helper()
	sink := &collectors.Sink{}
	err := c.Collect(context.Background(), days.Range{From: from, To: to}, sink)
	return sink, err
}

// wantEvent is what the fixtures hold for one event, counted by hand. Sector arrays follow
// figures.Sectors(): municipality, health_trust, regional_health_authority, ks, other, unknown.
type wantEvent struct {
	day, kind, title string
	registered       int // -1: not known
	attended         int
	sectorRegistered [6]uint32
	sectorAttended   [6]uint32
}

// expected2025 are the Teams events of 2025 in testdata that Graph still has (after 21 January),
// with how each count follows from the fixture records.
var expected2025 = []wantEvent{
	// A report of the monthly series: Silje (organiser, innomed.no), Hilde, Geir (ahus), Mette (ks).
	{"2025-02-12", figures.KindNetworkMeeting, "Kompetansenettverksmøte februar", -1, 4, [6]uint32{}, [6]uint32{1, 1, 0, 1, 1, 0}},
	// 8 registrations, 6 "registered" (a cancelled and a waitlisted one left out). 7 records:
	// Kari rejoined (two intervals, one record), Ola's address in capitals, Per as an anonymous
	// guest placed by his registration (KS), Silje (other), Trond anonymous and unregistered (unknown), Mona only
	// in the lobby (0 seconds).
	{"2025-03-12", figures.KindWebinar, "Webinar: Digital hjemmeoppfølging", 6, 6, [6]uint32{2, 1, 1, 1, 1, 0}, [6]uint32{1, 1, 1, 1, 1, 1}},
	{"2025-05-14", figures.KindNetworkMeeting, "Kompetansenettverksmøte mai", -1, 3, [6]uint32{}, [6]uint32{0, 1, 1, 0, 1, 0}},
	// Silje, Lise (sintef, an external tenant), Rune, Unni, Knut, Mette.
	{"2025-06-05", figures.KindNationalMeetingPlace, "Nasjonal møteplass: Velferdsteknologi", -1, 6, [6]uint32{}, [6]uint32{1, 1, 1, 1, 2, 0}},
	// 10 registrations, 8 "registered" (pending and rejected left out). Two reports (restarted
	// after a break): Hilde in both (address in capitals the second time), Geir in both (no
	// address the second time, same Entra user), "iPhone" twice with different anonymous ids,
	// Rune without address (placed by his registration), Bjørn external without address. The
	// "iPhone" person and Bjørn have no address: unknown.
	{"2025-09-18", figures.KindWebinar, "Webinar: Innkjøp av innovasjon", 8, 8, [6]uint32{2, 3, 1, 1, 1, 0}, [6]uint32{2, 2, 1, 0, 1, 2}},
	// Two reports: Silje, Hilde twice, Eva twice, Jon, "Ukjent deltaker" twice (anonymous: unknown).
	{"2025-10-15", figures.KindNetworkMeeting, "Kompetansenettverksmøte oktober", -1, 5, [6]uint32{}, [6]uint32{1, 2, 0, 0, 1, 1}},
	// A course of two sessions: registrations are for the whole course.
	{"2025-11-05", figures.KindCourse, "Kurs: Gevinstrealisering i praksis", -1, 3, [6]uint32{}, [6]uint32{1, 1, 0, 0, 1, 0}},
	// Hilde, and an anonymous attendee without a name or address (unknown).
	{"2025-11-12", figures.KindCourse, "Kurs: Gevinstrealisering i praksis", -1, 2, [6]uint32{}, [6]uint32{1, 0, 0, 0, 0, 1}},
	// Silje, Kari, Anne, Per, Nina, Trude, Erik (external, no address: unknown).
	{"2025-12-10", figures.KindNetworkMeeting, "Kompetansenettverksmøte desember", -1, 7, [6]uint32{}, [6]uint32{2, 0, 2, 1, 1, 1}},
}

// checkEvents compares a sink's records with want, and checks that every event has its whole
// sector set adding up to its counts.
func checkEvents(t *testing.T, records []figures.Record, want []wantEvent) {
	t.Helper()
	loc := testClock().Location()
	var evs []figures.Event
	bySector := map[string]map[string]figures.EventSector{}
	for _, r := range records {
		switch v := r.(type) {
		case figures.Event:
			evs = append(evs, v)
		case figures.EventSector:
			if bySector[v.EventID] == nil {
				bySector[v.EventID] = map[string]figures.EventSector{}
			}
			if _, dup := bySector[v.EventID][v.Sector]; dup {
				t.Errorf("event %s: sector %s added twice", v.EventID, v.Sector)
			}
			bySector[v.EventID][v.Sector] = v
		case figures.Credential:
		default:
			t.Errorf("unexpected record %T", r)
		}
	}
	slices.SortFunc(evs, func(a, b figures.Event) int { return a.StartsAt.Compare(b.StartsAt) })
	if len(evs) != len(want) {
		var got []string
		for _, e := range evs {
			got = append(got, days.Format(days.Of(e.StartsAt, loc))+" "+e.Title)
		}
		t.Fatalf("%d events, want %d: %v", len(evs), len(want), got)
	}
	ids := map[string]bool{}
	for i, w := range want {
		e := evs[i]
		name := w.day + " " + w.title
		if day := days.Format(days.Of(e.StartsAt, loc)); day != w.day || e.Kind != w.kind || e.Title != w.title {
			t.Errorf("event %d = %s %s %q, want %s %s", i, day, e.Kind, e.Title, w.kind, name)
		}
		if e.AccountID != "innomed" || !strings.HasPrefix(e.EventID, "teams-") || len(e.EventID) != len("teams-")+24 || e.AttendedOnSite != nil || e.Deleted || ids[e.EventID] {
			t.Errorf("%s: %+v", name, e)
		}
		ids[e.EventID] = true
		if e.AttendedDigital == nil || int(*e.AttendedDigital) != w.attended {
			t.Errorf("%s: attended %v, want %d", name, e.AttendedDigital, w.attended)
		}
		switch {
		case w.registered < 0 && e.Registered != nil:
			t.Errorf("%s: registered %d, want unknown", name, *e.Registered)
		case w.registered >= 0 && (e.Registered == nil || int(*e.Registered) != w.registered):
			t.Errorf("%s: registered %v, want %d", name, e.Registered, w.registered)
		}
		set := bySector[e.EventID]
		if len(set) != len(figures.Sectors()) {
			t.Errorf("%s: %d sector rows, want the whole set of %d", name, len(set), len(figures.Sectors()))
		}
		var sumReg, sumAtt uint32
		for j, s := range figures.Sectors() {
			row := set[s]
			if row.Registered != w.sectorRegistered[j] || row.Attended != w.sectorAttended[j] {
				t.Errorf("%s: sector %s = %d registered / %d attended, want %d / %d", name, s, row.Registered, row.Attended, w.sectorRegistered[j], w.sectorAttended[j])
			}
			sumReg += row.Registered
			sumAtt += row.Attended
		}
		if e.AttendedDigital != nil && sumAtt != *e.AttendedDigital {
			t.Errorf("%s: sectors add up to %d attendees, the event has %d", name, sumAtt, *e.AttendedDigital)
		}
		if e.Registered != nil && sumReg != *e.Registered {
			t.Errorf("%s: sectors add up to %d registrants, the event has %d", name, sumReg, *e.Registered)
		}
	}
	if len(bySector) != len(evs) {
		t.Errorf("sector rows for %d events, %d events", len(bySector), len(evs))
	}
}

func notes(sink *collectors.Sink) string { return strings.Join(sink.Notes(), "\n") }

func TestCollectsWebinarsAndMeetingsAcrossManyPages(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2025, 1, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
	// 7 webinars, 10 registrations, 6 and 5 records in pages of three; the calendar in pages of two.
	for part, want := range map[string]int{
		"/solutions/virtualEvents/webinars":                                      3,
		"/3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e02@" + testTenant + "/registrations": 4,
		"c9b6db1c-d5eb-427d-a5c0-20088d9b22a1/attendanceRecords":                 2,
		"c9b6db1c-d5eb-427d-a5c0-20088d9b22b1/attendanceRecords":                 2,
		"/users/" + orgNettverk + "/calendarView":                                4,
	} {
		got := 0
		for _, r := range s.fake.requestsTo(part) {
			if strings.HasSuffix(r.Path, part) || strings.HasSuffix(part, "webinars") && strings.HasSuffix(r.Path, "/webinars") {
				got++
			}
		}
		if got != want {
			t.Errorf("%s: %d pages, want %d", part, got, want)
		}
	}
	// The series' online meeting is looked up once for its three occurrences, and its reports
	// listed once; the meeting no rule selects is never looked up.
	lookups, lists := 0, 0
	for _, r := range s.fake.requestsTo("/users/" + orgNettverk + "/onlineMeetings") {
		switch {
		case strings.HasSuffix(r.Path, "/onlineMeetings"):
			lookups++
		case strings.HasSuffix(r.Path, "/attendanceReports"):
			lists++
		}
	}
	if lookups != 2 || lists != 3 { // the series' five reports fill two pages
		t.Errorf("%d online-meeting lookups and %d report lists for the network organiser, want 2 and 3", lookups, lists)
	}
	for _, r := range s.fake.requestsTo("/onlineMeetings") {
		if f := r.Query.Get("$filter"); strings.Contains(f, "OTllMGYx") || strings.Contains(f, "SW52aXRhc2pvbi") {
			t.Errorf("the internal meeting or an invitation from someone else was looked up: %v", r.Query)
		}
	}
	n := notes(sink)
	for _, want := range []string{
		`webinar "Webinar: Helsedata og personvern" on 2025-01-14 is older than the year`,
		"meetings before 2025-01-21 are older than the year",
		`"Kompetansenettverksmøte juni (fysisk, Oslo)" on 2025-06-11 is not a Teams meeting`,
		"one session of a multi-session webinar",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("notes lack %q:\n%s", want, n)
		}
	}
	if strings.Contains(n, "Avlyst") || strings.Contains(n, "legevakt") || strings.Contains(n, "planlegging") || strings.Contains(n, "invitasjon") {
		t.Errorf("notes name a cancelled, draft or internal event:\n%s", n)
	}
	if s.fake.tokens != 1 {
		t.Errorf("%d tokens requested, want one for the whole run", s.fake.tokens)
	}
}

// TestReportNotYetAvailable: the webinar of 19 January has no reports yet (Graph answers 404), the
// meeting of the same day an empty list; both are notes until their reports appear.
func TestReportNotYetAvailable(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2026, 1, 10), days.Date(2026, 1, 20))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), nil)
	n := notes(sink)
	for _, want := range []string{
		`webinar "Webinar: KI i klinikken" on 2026-01-19 has no attendance report yet`,
		`"Kompetansenettverksmøte januar 2026" on 2026-01-19 has no attendance report yet`,
	} {
		if !strings.Contains(n, want) {
			t.Errorf("notes lack %q:\n%s", want, n)
		}
	}

	// The reports appear: the next run stores both events, without a note.
	s.fake.update(func() {
		for id, file := range s.fake.sessionReports {
			if file == "" {
				s.fake.reports[id] = []json.RawMessage{json.RawMessage(`{"id":"late-w6","totalParticipantCount":2,"meetingStartDateTime":"2026-01-19T11:58:00Z","meetingEndDateTime":"2026-01-19T13:02:00Z"}`)}
			}
		}
		for id, file := range s.fake.meetingReports {
			if file == "reports_m3.json" {
				s.fake.reports[id] = []json.RawMessage{json.RawMessage(`{"id":"late-m3","totalParticipantCount":1,"meetingStartDateTime":"2026-01-19T07:59:00Z","meetingEndDateTime":"2026-01-19T08:31:00Z"}`)}
			}
		}
		s.fake.records["late-w6"] = []json.RawMessage{
			json.RawMessage(`{"emailAddress":"marit.kvam@asker.kommune.no","totalAttendanceInSeconds":3000,"role":"Attendee","registrationId":"00000601-5b1c-4d2e-8f3a-4b5c6d7e8f90","identity":{"id":"m1","displayName":"Marit Kvam","tenantId":null}}`),
			json.RawMessage(`{"emailAddress":"silje.aas@innomed.no","totalAttendanceInSeconds":3800,"role":"Organizer","identity":{"id":"s1","displayName":"Silje Aas","tenantId":"` + testTenant + `"}}`),
		}
		s.fake.records["late-m3"] = []json.RawMessage{
			json.RawMessage(`{"emailAddress":"silje.aas@innomed.no","totalAttendanceInSeconds":1900,"role":"Organizer","identity":{"id":"s1","displayName":"Silje Aas","tenantId":"` + testTenant + `"}}`),
		}
	})
	sink, err = collect(t, s.c, days.Date(2026, 1, 10), days.Date(2026, 1, 20))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), []wantEvent{
		{"2026-01-19", figures.KindNetworkMeeting, "Kompetansenettverksmøte januar 2026", -1, 1, [6]uint32{}, [6]uint32{0, 0, 0, 0, 1, 0}},
		{"2026-01-19", figures.KindWebinar, "Webinar: KI i klinikken", 1, 2, [6]uint32{1, 0, 0, 0, 0, 0}, [6]uint32{1, 0, 0, 0, 1, 0}},
	})
	if strings.Contains(notes(sink), "no attendance report yet") {
		t.Errorf("notes after the reports appeared: %s", notes(sink))
	}
}

func TestLaterReportReplacesTheCounts(t *testing.T) {
	s := setup(t, "", nil)
	window := days.Range{From: days.Date(2025, 12, 1), To: days.Date(2025, 12, 31)}
	first, err := collect(t, s.c, window.From, window.To)
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, first.Records(), expected2025[8:])
	// Graph's report grows (a late-processed attendee): the next run adds the whole event again.
	var doc struct {
		Value []json.RawMessage `json:"value"`
	}
	readFixture(t, "records_2c2c2454-7613-4d6e-9c7c-4cf7a6cd0212.json", &doc)
	late := json.RawMessage(`{"id":"x","emailAddress":"late.comer@lillestrom.kommune.no","totalAttendanceInSeconds":600,"role":"Attendee","identity":{"id":"aa","displayName":"Late Comer","tenantId":"` + testTenant + `"}}`)
	s.fake.update(func() { s.fake.records["2c2c2454-7613-4d6e-9c7c-4cf7a6cd0212"] = append(doc.Value, late) })
	second, err := collect(t, s.c, window.From, window.To)
	if err != nil {
		t.Fatal(err)
	}
	want := expected2025[8]
	want.attended, want.sectorAttended = 8, [6]uint32{3, 0, 2, 1, 1, 1}
	checkEvents(t, second.Records(), []wantEvent{want})
	if firstID, secondID := eventIDs(first)[0], eventIDs(second)[0]; firstID != secondID {
		t.Errorf("the event's id changed between runs: %s, %s", firstID, secondID)
	}
}

func eventIDs(sink *collectors.Sink) []string {
	var ids []string
	for _, r := range sink.Records() {
		if e, ok := r.(figures.Event); ok {
			ids = append(ids, e.EventID)
		}
	}
	return ids
}

func TestExpiredTokenIsReplacedOnce(t *testing.T) {
	s := setup(t, "", nil)
	if _, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31)); err != nil {
		t.Fatal(err)
	}
	s.fake.expireToken()
	sink, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025[8:])
	if s.fake.tokens != 2 {
		t.Errorf("%d tokens, want a second one after Graph refused the first", s.fake.tokens)
	}
	if !strings.Contains(s.logs.String(), "fetching a new one") {
		t.Errorf("the refused token is not logged: %s", s.logs.String())
	}
}

func TestTokenRenewedBeforeItExpires(t *testing.T) {
	s := setup(t, "", nil)
	clock := collectortest.NewClock(testClock())
	s.c.now = clock.Now
	if _, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(56 * time.Minute) // within five minutes of the hour Entra ID gave
	if _, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31)); err != nil {
		t.Fatal(err)
	}
	if s.fake.tokens != 2 {
		t.Errorf("%d tokens, want a new one before the first expired", s.fake.tokens)
	}
}

func TestTokenRefusedEvenWhenFresh(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasPrefix(r.URL.Path, "/v1.0/") {
				writeFixture(t, w, http.StatusUnauthorized, "error_401_expired.json")
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "refused a fresh access token too") {
		t.Fatalf("err = %v", err)
	}
	if len(sink.Records()) != 0 || !strings.Contains(notes(sink), "not fetched in this run after webinars failed: meetings, registrations, attendance") {
		t.Errorf("records %d, notes %s", len(sink.Records()), notes(sink))
	}
}

func TestWrongCredentials(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(f *fakeGraph) string
		want   string
	}{
		"wrong secret":   {func(f *fakeGraph) string { f.secret = "another"; return "" }, "the client secret is wrong"},
		"expired secret": {func(f *fakeGraph) string { return "" }, "the client secret has expired"},
		"unknown tenant": {func(f *fakeGraph) string { return "00000000-dead-beef-0000-000000000000" }, "does not know tenant_id"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			tenant := tc.change(f)
			block := settingsBlock(f, "")
			if tenant != "" {
				block = strings.Replace(block, testTenant, tenant, 1)
			}
			if name == "expired secret" {
				f.update(func() {
					f.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
						if strings.HasSuffix(r.URL.Path, "/token") {
							writeFixture(t, w, http.StatusUnauthorized, "token_expired_secret.json")
							return true
						}
						return false
					}
				})
			}
			c, logs, err := build(t, block, nil)
			if err != nil {
				t.Fatal(err)
			}
			sink, err := collect(t, c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
			if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "Trace ID") || strings.Contains(err.Error(), "Correlation") {
				t.Errorf("the error keeps Entra's trace lines: %v", err)
			}
			if len(sink.Records()) != 0 {
				t.Errorf("%d records from a refused run", len(sink.Records()))
			}
			collectortest.NoLeak(t, "error", err.Error()+notes(sink)+logs.String(), testSecret)
		})
	}
}

func TestMissingAccessPolicy(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.Contains(r.URL.Path, "/onlineMeetings") {
				writeFixture(t, w, http.StatusForbidden, "error_403_policy.json")
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "Grant-CsApplicationAccessPolicy") {
		t.Fatalf("err = %v", err)
	}
	// The webinars were found before the meetings failed, but the refusal ends the run: nothing
	// after it is fetched, and the notes say what was left out.
	if !strings.Contains(notes(sink), "not fetched in this run after meetings failed: registrations, attendance") {
		t.Errorf("notes: %s", notes(sink))
	}
}

func TestOneWebinarsRegistrationsFailingCostsOnlyThatWebinar(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.Contains(r.URL.Path, "7e02@") && strings.HasSuffix(r.URL.Path, "/registrations") {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"error": map[string]string{"code": "InternalServerError", "message": "An internal server error occurred."}})
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 1, 1), days.Date(2025, 12, 31))
	var fe *collectors.FamilyError
	if !errors.As(err, &fe) || fe.Family != "registrations" {
		t.Fatalf("err = %v, want the registrations family's failure", err)
	}
	var want []wantEvent
	for _, w := range expected2025 {
		if w.day != "2025-09-18" {
			want = append(want, w)
		}
	}
	checkEvents(t, sink.Records(), want)
	if n := notes(sink); !strings.Contains(n, `webinar "Webinar: Innkjøp av innovasjon" on 2025-09-18 not stored in this run: its registrations could not be read`) ||
		!strings.Contains(n, "registrations not stored (the other figures were)") {
		t.Errorf("notes: %s", n)
	}
}

func TestThrottling(t *testing.T) {
	for name, tc := range map[string]struct {
		status     int
		retryAfter string
		fixture    string
	}{
		"429 with Retry-After": {http.StatusTooManyRequests, "1", "error_429.json"},
		"503 with Retry-After": {http.StatusServiceUnavailable, "1", "error_503.json"},
		"503 without":          {http.StatusServiceUnavailable, "", "error_503.json"},
	} {
		t.Run(name, func(t *testing.T) {
			s := setup(t, "", func(o *collectors.HTTPOptions) { o.WaitMax = 2 * time.Second })
			throttled := 0
			s.fake.update(func() {
				s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
					if strings.HasSuffix(r.URL.Path, "/attendanceRecords") && throttled < 2 {
						throttled++
						if tc.retryAfter != "" {
							w.Header().Set("Retry-After", tc.retryAfter)
						}
						writeFixture(t, w, tc.status, tc.fixture)
						return true
					}
					return false
				}
			})
			start := time.Now()
			sink, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
			if err != nil {
				t.Fatal(err)
			}
			checkEvents(t, sink.Records(), expected2025[8:])
			if throttled != 2 {
				t.Errorf("throttled %d times", throttled)
			}
			if tc.retryAfter != "" && time.Since(start) < 2*time.Second {
				t.Errorf("Retry-After: 1 twice waited only %s", time.Since(start))
			}
		})
	}
}

func TestLongRetryAfterStopsTheRunWithARetryTime(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasSuffix(r.URL.Path, "/attendanceRecords") {
				w.Header().Set("Retry-After", "600")
				writeFixture(t, w, http.StatusTooManyRequests, "error_429.json")
				return true
			}
			return false
		}
	})
	before := time.Now()
	sink, err := collect(t, s.c, days.Date(2025, 1, 1), days.Date(2025, 12, 31))
	var apiErr *collectors.APIError
	if !errors.Is(err, collectors.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAt.Before(before.Add(590*time.Second)) {
		t.Fatalf("err = %v, want rate limited with a retry time ten minutes on", err)
	}
	if time.Since(before) > 5*time.Second {
		t.Errorf("the run waited %s instead of stopping", time.Since(before))
	}
	if len(sink.Records()) != 0 || len(s.fake.requestsTo("/attendanceRecords")) != 1 {
		t.Errorf("%d records, %d record requests after the first refusal", len(sink.Records()), len(s.fake.requestsTo("/attendanceRecords")))
	}
}

func TestMalformedJSONNamesNobody(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasSuffix(r.URL.Path, "/attendanceRecords") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"value":[{"emailAddress":"kari.nordmann@bergen.kommune.no","identity":{"displayName":"Kari Nordmann"`))
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "answered malformed JSON (") {
		t.Fatalf("err = %v", err)
	}
	collectortest.NoLeak(t, "error", err.Error()+notes(sink), "kari.nordmann@bergen.kommune.no", "Kari Nordmann")
}

func TestNextLinkOutsideBaseURLIsRefused(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasSuffix(r.URL.Path, "/webinars") {
				writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.nextLink": "https://evil.example/v1.0/solutions/virtualEvents/webinars?$skiptoken=1"})
				return true
			}
			return false
		}
	})
	_, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "outside base_url") {
		t.Fatalf("err = %v", err)
	}
}

func TestWebinarsOnlyAndClientSecretExpiry(t *testing.T) {
	f := newFake(t)
	block := fmt.Sprintf("tenant_id: %s\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v1.0\nlogin_url: %s\nclient_secret_expires: \"2026-02-28\"\naccount: innomed-kurs\n",
		testTenant, testClientID, testSecret, f.srv.URL, f.srv.URL)
	c, _, err := build(t, block, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := collect(t, c, days.Date(2025, 9, 1), days.Date(2025, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	var cred *figures.Credential
	events := 0
	for _, r := range sink.Records() {
		switch v := r.(type) {
		case figures.Credential:
			cred = &v
		case figures.Event:
			events++
			if v.AccountID != "innomed-kurs" || v.Kind != figures.KindWebinar {
				t.Errorf("event %+v", v)
			}
		}
	}
	if events != 1 || len(f.requestsTo("/users/")) != 0 {
		t.Errorf("%d events, %d calendar requests; want the September webinar only", events, len(f.requestsTo("/users/")))
	}
	// The secret stops some time on 28 February: the strip counts from the start of that day in Oslo.
	if cred == nil || cred.Name != "client_secret" || cred.ExpiresAt == nil || !cred.ExpiresAt.Equal(time.Date(2026, 2, 27, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("credential %+v", cred)
	}
}

func TestSettings(t *testing.T) {
	f := newFake(t)
	base := settingsBlock(f, "")
	for name, tc := range map[string]struct{ block, want string }{
		"no tenant":        {strings.Replace(base, "tenant_id: "+testTenant, "tenant_id: \"\"", 1), "tenant_id is required"},
		"common tenant":    {strings.Replace(base, "tenant_id: "+testTenant, "tenant_id: common", 1), "is not a tenant"},
		"no client id":     {strings.Replace(base, "client_id: "+testClientID, "client_id: \"\"", 1), "client_id is required"},
		"no secret":        {strings.Replace(base, "client_secret: "+testSecret+"\n", "", 1), "REKKEVIDDE_SOURCE_TEAMS_CLIENT_SECRET"},
		"bad expiry":       {base + "client_secret_expires: 31.12.2026\n", "client_secret_expires"},
		"bad kind":         {strings.Replace(base, "kind: course", "kind: party", 1), "kinds[2].kind must be one of"},
		"empty pattern":    {strings.Replace(base, `contains: "Kurs:"`, `contains: " "`, 1), "kinds[2].contains is empty"},
		"organisers alone": {strings.Replace(base, rules, "", 1), "no kinds"},
		"bad base url":     {base + "base_url: graph.microsoft.com\n", "base_url"},
		"unknown key":      {base + "colour: blue\n", "unknown key colour"},
		"bad organiser":    {strings.Replace(base, orgMoteplass, `"a b"`, 1), "organizers[1]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := build(t, tc.block, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	s := collectortest.Settings(t, "teams", "tenant_id: innomed.onmicrosoft.com\nclient_id: x\n", map[string]string{"REKKEVIDDE_SOURCE_TEAMS_CLIENT_SECRET": "from-env"})
	k, err := Kind().New(s)
	if err != nil {
		t.Fatal(err)
	}
	c := k.(*collector)
	if c.credentials.ClientSecret != "from-env" || c.credentials.TokenURL != "https://login.microsoftonline.com/innomed.onmicrosoft.com/oauth2/v2.0/token" ||
		c.baseURL != defaultBaseURL || !c.webinars || len(c.organizers) != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestCountPeople(t *testing.T) {
	table, err := sectors.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	secs := func(n int) *int { return &n }
	type id = struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		TenantID    string `json:"tenantId"`
	}
	records := []record{
		{EmailAddress: "a@oslo.kommune.no", Identity: &id{"u1", "A", "t"}},
		{Identity: &id{"u1", "A", "t"}},                              // A again, by Entra user
		{EmailAddress: "B@AHUS.NO", Identity: &id{"x1", "B", ""}},    // B, an external guest
		{EmailAddress: "b@ahus.no"},                                  // B again, by address
		{Identity: &id{"v1", "Guest", ""}},                           // anonymous
		{Identity: &id{"v2", "guest ", ""}},                          // the same name: once
		{RegistrationID: "r1", Identity: &id{"v3", "C", ""}},         // placed by registration
		{EmailAddress: "d@ks.no", TotalAttendanceInSeconds: secs(0)}, // never in the meeting
		{Identity: &id{"", "", ""}},                                  // nothing to match on
		{EmailAddress: "e@gmail.com", Identity: &id{"v4", "A", ""}},  // another person named A
		{EmailAddress: "f@helse-vest.no", TotalAttendanceInSeconds: secs(30)},
		{Identity: &id{"u9", "G", "t"}},                                      // G first without an address,
		{EmailAddress: "g@bergen.kommune.no", Identity: &id{"u9", "G", "t"}}, // then with one: municipality
	}
	got := countPeople(records, table, map[string]string{"r1": figures.SectorKS})
	// Unknown: the anonymous guest and the record with nothing to match on; other: gmail.
	want := sectors.Counts{figures.SectorMunicipality: 2, figures.SectorHealthTrust: 1, figures.SectorRegionalHealthAuthority: 1,
		figures.SectorKS: 1, figures.SectorOther: 1, figures.SectorUnknown: 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestDateTimeTimeZone(t *testing.T) {
	for _, tc := range []struct {
		in   dateTimeTimeZone
		want string // RFC 3339 in UTC; "" when not a time
	}{
		{dateTimeTimeZone{"2025-03-12T09:00:00.0000000", "W. Europe Standard Time"}, "2025-03-12T08:00:00Z"},
		{dateTimeTimeZone{"2025-07-01T09:00:00.0000000", "W. Europe Standard Time"}, "2025-07-01T07:00:00Z"},
		{dateTimeTimeZone{"2025-09-18T07:00:00.0000000", "UTC"}, "2025-09-18T07:00:00Z"},
		{dateTimeTimeZone{"2025-09-18T07:00:00", "Europe/Oslo"}, "2025-09-18T05:00:00Z"},
		{dateTimeTimeZone{"2025-09-18T07:00:00.0000000", "Mars Standard Time"}, "2025-09-18T07:00:00Z"},
		{dateTimeTimeZone{"18.09.2025 07:00", "UTC"}, ""},
	} {
		got, ok := tc.in.instant()
		if s := got.UTC().Format(time.RFC3339); (tc.want == "" && ok) || (tc.want != "" && (!ok || s != tc.want)) {
			t.Errorf("%+v = %s %v, want %q", tc.in, s, ok, tc.want)
		}
	}
}

// TestAddressInAWebinarTitleStaysOutOfNotes names a contact address in the displayName of the
// webinar whose attendance report Teams has not made yet (a session's attendanceReports list is
// empty until the session ends: https://learn.microsoft.com/en-us/graph/api/meetingattendancereport-list).
// The note saying so is stored with the run, so it must not hold the address.
func TestAddressInAWebinarTitleStaysOutOfNotes(t *testing.T) {
	const address = "kurs@innomed.no"
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(_ int, r *http.Request, w http.ResponseWriter) bool {
			if !strings.HasSuffix(r.URL.Path, "/solutions/virtualEvents/webinars") {
				return false
			}
			var doc struct {
				Value []json.RawMessage `json:"value"`
			}
			readFixture(t, "webinars.json", &doc)
			for i, v := range doc.Value {
				doc.Value[i] = json.RawMessage(strings.Replace(string(v), "Webinar: KI i klinikken", "Webinar: KI i klinikken (spørsmål til "+address+")", 1))
			}
			s.fake.servePage(w, r, doc.Value)
			return true
		}
	})
	sink, err := collect(t, s.c, days.Date(2026, 1, 10), days.Date(2026, 1, 20))
	if err != nil {
		t.Fatal(err)
	}
	n := notes(sink)
	if !strings.Contains(n, "KI i klinikken") || !strings.Contains(n, "has no attendance report yet") {
		t.Fatalf("the note on the missing report is missing:\n%s", n)
	}
	collectortest.NoLeak(t, "notes", n, address)
}
