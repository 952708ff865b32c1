package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

// testClock is the fake's "now": 20 January 2026, noon in Oslo, so Zoom's six months of reports
// reach back to 20 July 2025.
func testClock() time.Time { return time.Date(2026, 1, 20, 12, 0, 0, 0, collectortest.Oslo) }

type testSetup struct {
	fake  *fakeZoom
	c     *collector
	logs  *collectortest.LogBuffer
	block string // the settings block, to build the same collector again
}

// setup builds a collector against a fresh fake. extra is YAML appended to the settings block.
func setup(t testing.TB, extra string, tune func(*collectors.HTTPOptions)) testSetup {
	t.Helper()
	f := newFake(t)
	srv := f.server()
	block := fmt.Sprintf("account_id: %s\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v2\ntoken_url: %s/oauth/token\nmeeting_topics: [Kompetansenettverksmøte]\n%s",
		f.accountID, f.clientID, f.clientSecret, srv.URL, srv.URL, extra)
	c, logs, err := build(t, block, tune)
	if err != nil {
		t.Fatal(err)
	}
	c.pageSize = 4 // many pages from small fixtures
	return testSetup{fake: f, c: c, logs: logs, block: block}
}

func build(t testing.TB, block string, tune func(*collectors.HTTPOptions)) (*collector, *collectortest.LogBuffer, error) {
	t.Helper()
	return buildWithSectors(t, block, nil, tune)
}

func buildWithSectors(t testing.TB, block string, rules []config.SectorRule, tune func(*collectors.HTTPOptions)) (*collector, *collectortest.LogBuffer, error) {
	t.Helper()
	logs := &collectortest.LogBuffer{}
	s := collectortest.Settings(t, "zoom", block, nil)
	s.Sectors, s.Log, s.Now = rules, logs.Logger(), testClock
	c, err := newCollector(s, func(o *collectors.HTTPOptions) {
		o.WaitMin, o.WaitMax = time.Millisecond, 50*time.Millisecond
		o.RequestsPerSecond, o.Burst = 1000, 1000
		if tune != nil {
			tune(o)
		}
	})
	return c, logs, err
}

func collect(t testing.TB, c *collector, from, to time.Time) (*collectors.Sink, error) {
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

// expected2025 are the events of September–December 2025 in testdata, with how each count
// follows from the fixture rows.
var expected2025 = []wantEvent{
	// Instance 1 of a recurring series (registrants not per instance). Eva (molde.kommune.no)
	// joins twice with the same id; Rune (helse-mr.no); Unni (helse-sorost.no).
	{"2025-09-11", figures.KindWebinar, "Webinarserie: Gevinstrealisering", -1, 3,
		[6]uint32{}, [6]uint32{1, 1, 1, 0, 0, 0}},
	// 6 registrants: stavanger.kommune, sus, helse-midt, ks, tromso.kommune, sintef. 6 rows:
	// Kjersti twice, Mona only in the waiting room, Sindre without e-mail (placed by her
	// registration: municipality), Trond (hnt.no) unregistered.
	{"2025-10-16", figures.KindWebinar, "Webinar: Kunstig intelligens i klinikken", 6, 4,
		[6]uint32{2, 1, 1, 1, 1, 0}, [6]uint32{2, 2, 0, 0, 0, 0}},
	// Silje (innomed.no: other), Hilde (drammen.kommune.no), Frode (sshf.no), a name-only guest
	// (no address: unknown).
	{"2025-10-22", figures.KindNetworkMeeting, "Kompetansenettverksmøte oktober", -1, 4,
		[6]uint32{}, [6]uint32{1, 1, 0, 0, 1, 1}},
	// Eva again, and a guest with only a name (unknown).
	{"2025-11-13", figures.KindWebinar, "Webinarserie: Gevinstrealisering", -1, 2,
		[6]uint32{}, [6]uint32{1, 0, 0, 0, 0, 1}},
	// 14 registrants; 20 rows: Kari twice, Lise by e-mail then by name only, Jon failing over
	// (same participant_user_id), Erik twice (e-mail in other case), two "iPhone" rows, Per and a
	// "Galaxy S21" only in the waiting room, Ingrid first in the waiting room then admitted
	// without e-mail, Ola without e-mail (his registration says health trust), Trude unregistered.
	// The two "iPhone" rows are one person without an address: unknown.
	{"2025-12-08", figures.KindWebinar, "Webinar: Sykehus hjemme i praksis", 14, 12,
		[6]uint32{4, 5, 2, 1, 2, 0}, [6]uint32{3, 3, 2, 1, 2, 1}},
	// Silje, Hilde twice, Geir (ahus.no), Knut (helse-sorost.no), Mette (ks.no).
	{"2025-12-10", figures.KindNetworkMeeting, "Kompetansenettverksmøte desember", -1, 5,
		[6]uint32{}, [6]uint32{1, 1, 1, 1, 1, 0}},
}

// checkEvents compares a sink's records with want, and checks that every event has its whole
// sector set adding up to its counts.
func checkEvents(t testing.TB, records []figures.Record, want []wantEvent) {
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
	for i, w := range want {
		e := evs[i]
		name := w.day + " " + w.title
		if day := days.Format(days.Of(e.StartsAt, loc)); day != w.day || e.Kind != w.kind || e.Title != w.title {
			t.Errorf("event %d = %s %s %q, want %s", i, day, e.Kind, e.Title, name)
		}
		if e.AccountID != "innomed" || !strings.HasPrefix(e.EventID, "zoom-") || e.AttendedOnSite != nil || e.Deleted {
			t.Errorf("%s: %+v", name, e)
		}
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

func TestCollectsWebinarsAndMeetingsAcrossManyPages(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
	// 14 registrants and 20 participant rows in pages of 4.
	if n := len(s.fake.requestsTo("/v2/webinars/81234567890/registrants")); n != 4 {
		t.Errorf("registrant pages = %d, want 4", n)
	}
	if n := len(s.fake.requestsTo("/v2/report/webinars/xK3v9QpLRwO2m7TzY1aBcA==/participants")); n != 5 {
		t.Errorf("participant pages = %d, want 5", n)
	}
	for _, r := range s.fake.requestsTo("/v2/report/webinars/") {
		if strings.HasSuffix(r.Path, "/participants") && r.Query.Get("include_fields") != "registrant_id" {
			t.Errorf("%s without include_fields=registrant_id", r.Path)
		}
	}
	if n := len(s.fake.requestsTo("/v2/report/meetings/Mt3qM0uD4pT6xF8hK0lN2C==")); n != 0 {
		t.Error("a meeting whose topic is not selected must not be read")
	}
	if n := len(s.fake.requestsTo("/v2/past_webinars/87654321098")); n != 0 {
		t.Error("a webinar scheduled outside the window must not be looked up")
	}
	if n := len(s.fake.requestsTo("/oauth/token")); n != 1 {
		t.Errorf("token requests = %d, want 1: the token is kept for the run", n)
	}
	if !slices.ContainsFunc(sink.Notes(), func(n string) bool { return strings.Contains(n, "recurring series") }) {
		t.Errorf("notes %q do not explain the missing registrations of the recurring webinar", sink.Notes())
	}
}

func TestMeetingKindAndAccountSettings(t *testing.T) {
	s := setup(t, "meeting_kind: national_meeting_place\naccount: helse-test\n", nil)
	sink, err := collect(t, s.c, days.Date(2025, 12, 10), days.Date(2025, 12, 10))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range sink.Records() {
		if ev, ok := r.(figures.Event); ok {
			kinds = append(kinds, ev.Kind+"/"+ev.AccountID)
		}
	}
	if !slices.Equal(kinds, []string{"national_meeting_place/helse-test"}) {
		t.Errorf("events = %v", kinds)
	}
}

func TestConfiguredSectorTable(t *testing.T) {
	f := newFake(t)
	srv := f.server()
	rules := []config.SectorRule{{Domain: "*.no", Sector: figures.SectorKS}, {Domain: "gmail.com", Sector: figures.SectorMunicipality}}
	c, _, err := buildWithSectors(t, fmt.Sprintf("account_id: %s\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v2\ntoken_url: %s/oauth/token\n",
		f.accountID, f.clientID, f.clientSecret, srv.URL, srv.URL), rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := collect(t, c, days.Date(2025, 12, 8), days.Date(2025, 12, 8))
	if err != nil {
		t.Fatal(err)
	}
	// The configured table replaces the built-in one: every .no address is "ks", Anne's gmail.com
	// a municipality, and only the two "iPhone" sessions (one person, no address) are "unknown".
	got := map[string]uint32{}
	for _, r := range sink.Records() {
		if row, ok := r.(figures.EventSector); ok {
			got[row.Sector] = row.Attended
		}
	}
	want := map[string]uint32{figures.SectorKS: 10, figures.SectorMunicipality: 1, figures.SectorOther: 0, figures.SectorUnknown: 1, figures.SectorHealthTrust: 0, figures.SectorRegionalHealthAuthority: 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attended by sector = %v, want %v", got, want)
	}
	if _, _, err := buildWithSectors(t, "account_id: A\nclient_id: b\nclient_secret: c\n", []config.SectorRule{{Domain: "x.no", Sector: "hospital"}}, nil); err == nil ||
		!strings.Contains(err.Error(), "sectors[0].sector") {
		t.Errorf("a bad sector rule: %v", err)
	}
}

func TestNoMeetingTopicsMeansWebinarsOnly(t *testing.T) {
	f := newFake(t)
	srv := f.server()
	c, _, err := build(t, fmt.Sprintf("account_id: %s\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v2\ntoken_url: %s/oauth/token\n",
		f.accountID, f.clientID, f.clientSecret, srv.URL, srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, c, days.Date(2025, 9, 1), days.Date(2025, 12, 31)); err != nil {
		t.Fatal(err)
	}
	if n := len(f.requestsTo("/v2/report/users/")); n != 0 {
		t.Errorf("meetings listed %d times without meeting_topics", n)
	}
}

func TestEmptyWindow(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2025, 8, 1), days.Date(2025, 8, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.Records()) != 0 || len(sink.Notes()) != 0 {
		t.Errorf("records %v, notes %v, want none", sink.Records(), sink.Notes())
	}
}

func TestWindowUpToToday(t *testing.T) {
	s := setup(t, "", nil)
	// An incremental run: the lookback window ends today; Zoom refuses meeting reports ending later.
	sink, err := collect(t, s.c, days.Date(2026, 1, 7), days.Date(2026, 1, 20))
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("records = %v", sink.Records())
	}
	reqs := s.fake.requestsTo("/v2/report/users/")
	if len(reqs) != 1 || reqs[0].Query.Get("from") != "2026-01-06" || reqs[0].Query.Get("to") != "2026-01-20" {
		t.Errorf("meeting report requests = %v", reqs)
	}
}

func TestExpiredReportIsANote(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2025, 3, 1), days.Date(2025, 3, 31))
	if err != nil {
		t.Fatalf("an expired report must not fail the run: %v", err)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("records = %v", sink.Records())
	}
	notes := strings.Join(sink.Notes(), "\n")
	for _, want := range []string{`webinar "Webinar: Helsedata og personvern" on 2025-03-20: Zoom no longer has its report`,
		"meetings before 2025-07-21 are past Zoom's six months"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q do not say %q", notes, want)
		}
	}
	if n := len(s.fake.requestsTo("/v2/report/users/")); n != 0 {
		t.Errorf("meetings listed for a window past the six months (%d requests)", n)
	}
}

func TestReportOlderThanAYear(t *testing.T) {
	s := setup(t, "", nil)
	noPlan := func(message string) {
		s.fake.update(func() {
			s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
				if strings.HasPrefix(r.URL.Path, "/v2/report/webinars/") {
					writeJSON(w, http.StatusBadRequest, map[string]any{"code": 12702, "message": message})
					return true
				}
				return false
			}
		})
	}
	// An old webinar: a note, as for an expired report.
	noPlan("Can not access a webinar a year ago.")
	sink, err := collect(t, s.c, days.Date(2025, 3, 1), days.Date(2025, 3, 31))
	if err != nil || !slices.ContainsFunc(sink.Notes(), func(n string) bool { return strings.Contains(n, "no longer has its report") }) {
		t.Errorf("old webinar: err %v, notes %q", err, sink.Notes())
	}
	// A recent one: the account's plan lacks reports, which must be fixed.
	noPlan("Only available for Paid or ZMP account: Ab1Cd2Ef3Gh4Ij5Kl6Mn7.")
	_, err = collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "reports need a paid plan") {
		t.Errorf("recent webinar without reports: err = %v", err)
	}
}

func TestWindowStraddlingTheReportHorizon(t *testing.T) {
	s := setup(t, "", nil)
	sink, err := collect(t, s.c, days.Date(2025, 7, 1), days.Date(2025, 7, 31))
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.fake.requestsTo("/v2/report/users/")
	if len(reqs) == 0 || reqs[0].Query.Get("from") != "2025-07-21" {
		t.Errorf("meeting report requests %v, want the first from 2025-07-21", reqs)
	}
	if !slices.ContainsFunc(sink.Notes(), func(n string) bool { return strings.Contains(n, "before 2025-07-21") }) {
		t.Errorf("notes = %q", sink.Notes())
	}
}

func TestExpiredTokenIsReplacedOnce(t *testing.T) {
	s := setup(t, "", nil)
	// After a few requests Zoom stops accepting the token, as when its hour is over.
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if n == 6 {
				s.fake.validToken = ""
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
	if n := len(s.fake.requestsTo("/oauth/token")); n != 2 {
		t.Errorf("token requests = %d, want 2 (one at the start, one after the 401)", n)
	}
}

func TestTokenRenewedAfterItsHour(t *testing.T) {
	s := setup(t, "", nil)
	now := testClock()
	s.c.now = func() time.Time { return now }
	if _, err := s.c.accessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute)
	if _, err := s.c.accessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.requestsTo("/oauth/token")); n != 1 {
		t.Errorf("token requests after 50 minutes = %d, want 1", n)
	}
	now = now.Add(10 * time.Minute)
	if _, err := s.c.accessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.requestsTo("/oauth/token")); n != 2 {
		t.Errorf("token requests after an hour = %d, want 2", n)
	}
}

func TestWrongCredentials(t *testing.T) {
	f := newFake(t)
	srv := f.server()
	cases := map[string]struct {
		block string
		want  string
	}{
		"wrong secret": {fmt.Sprintf("account_id: %s\nclient_id: %s\nclient_secret: wrong-secret-123\nbase_url: %s/v2\ntoken_url: %s/oauth/token\n",
			f.accountID, f.clientID, srv.URL, srv.URL), "invalid_client: Invalid client_id or client_secret"},
		"wrong account": {fmt.Sprintf("account_id: NoSuchAccount\nclient_id: %s\nclient_secret: %s\nbase_url: %s/v2\ntoken_url: %s/oauth/token\n",
			f.clientID, f.clientSecret, srv.URL, srv.URL), "Invalid account_id"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, logs, err := build(t, tc.block, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = collect(t, c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
			if !errors.Is(err, collectors.ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			for _, want := range []string{"zoom:", tc.want, "client_secret", "Server-to-Server OAuth app"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			assertNoSecrets(t, err.Error()+logs.String(), "wrong-secret-123", f.clientSecret)
		})
	}
}

func TestTokenRefusedEvenWhenFresh(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasPrefix(r.URL.Path, "/v2/") {
				writeFixture(t, w, http.StatusUnauthorized, "error_124_invalid_token.json")
				return true
			}
			return false
		}
	})
	_, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "refused a fresh access token too") {
		t.Fatalf("err = %v", err)
	}
	if n := len(s.fake.requestsTo("/oauth/token")); n != 2 {
		t.Errorf("token requests = %d, want 2: one new token, then give up", n)
	}
	assertNoSecrets(t, err.Error()+s.logs.String(), s.fake.clientSecret, "fake-zoom-access-token")
}

func TestMissingScope(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasPrefix(r.URL.Path, "/v2/report/") {
				writeFixture(t, w, http.StatusBadRequest, "error_4711_scopes.json")
				return true
			}
			return false
		}
	})
	_, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if !errors.Is(err, collectors.ErrUnauthorized) || !strings.Contains(err.Error(), "lacks a scope") {
		t.Fatalf("err = %v", err)
	}
}

func TestRateLimitWithRetryAfterDate(t *testing.T) {
	s := setup(t, "", func(o *collectors.HTTPOptions) { o.WaitMax = 3 * time.Second })
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			switch n {
			case 3: // per-second limit, headers but no Retry-After
				w.Header().Set("X-RateLimit-Category", "Heavy")
				w.Header().Set("X-RateLimit-Type", "QPS")
				writeFixture(t, w, http.StatusTooManyRequests, "error_429_qps.json")
				return true
			case 5: // Retry-After as an ISO-8601 date, as Zoom sends it
				w.Header().Set("X-RateLimit-Category", "Heavy")
				w.Header().Set("X-RateLimit-Type", "Daily-limit")
				w.Header().Set("X-RateLimit-Limit", "30000")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(time.RFC3339))
				writeFixture(t, w, http.StatusTooManyRequests, "error_429_daily.json")
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
}

func TestDailyLimitStopsTheRunWithARetryTime(t *testing.T) {
	retryAt := time.Now().Add(5 * time.Hour).UTC().Truncate(time.Second)
	sink, _, err := collectUnderDailyLimit(t, retryAt.Format(time.RFC3339))
	if !errors.Is(err, collectors.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(retryAt) {
		t.Errorf("RetryAt = %v, want %v", apiErr, retryAt)
	}
	// The webinars read before the refused one are complete and kept (meetings come after webinars).
	checkEvents(t, sink.Records(), []wantEvent{expected2025[0], expected2025[1], expected2025[3]})
}

// Zoom's daily limit resets at 00:00 UTC. When Zoom leaves Retry-After out, the run still stops at
// the first refusal, without retries that would only be refused and counted, and comes back at
// the next midnight UTC.
func TestDailyLimitWithoutRetryAfterComesBackAtMidnightUTC(t *testing.T) {
	sink, refused, err := collectUnderDailyLimit(t, "")
	if !errors.Is(err, collectors.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	// The clock stands at 2026-01-20 12:00 in Oslo, 11:00 UTC.
	want := time.Date(2026, 1, 21, 0, 0, 0, 0, time.UTC)
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) || !apiErr.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v", apiErr, want)
	}
	if refused != 1 {
		t.Errorf("the daily limit was asked %d times, want once: retries before midnight UTC are refused", refused)
	}
	checkEvents(t, sink.Records(), []wantEvent{expected2025[0], expected2025[1], expected2025[3]})
}

// collectUnderDailyLimit collects September to December 2025 while Zoom refuses the report of the
// second webinar with its daily limit, sending retryAfter as Retry-After ("": none). It returns how
// many times Zoom refused.
func collectUnderDailyLimit(t testing.TB, retryAfter string) (*collectors.Sink, int, error) {
	s := setup(t, "", nil)
	refused := 0
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if !strings.HasPrefix(r.URL.Path, "/v2/report/webinars/xK3v9QpLRwO2m7TzY1aBcA==") {
				return false
			}
			refused++
			w.Header().Set("X-RateLimit-Type", "Daily-limit")
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeFixture(t, w, http.StatusTooManyRequests, "error_429_daily.json")
			return true
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	n := 0
	s.fake.update(func() { n = refused }) // under the fake's lock, as the handler counted
	return sink, n, err
}

func TestServerErrorsRecover(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if n >= 4 && n <= 6 {
				w.WriteHeader([]int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError}[n-4])
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
}

func TestServerErrorsThatPersist(t *testing.T) {
	s := setup(t, "", func(o *collectors.HTTPOptions) { o.RetryMax = 2 })
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if strings.Contains(r.URL.Path, "/registrants") {
				writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "Internal error."})
				return true
			}
			return false
		}
	})
	_, err := collect(t, s.c, days.Date(2025, 10, 1), days.Date(2025, 10, 31))
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "registrants") {
		t.Fatalf("err = %v", err)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	s := setup(t, "", func(o *collectors.HTTPOptions) { o.AttemptTimeout = 200 * time.Millisecond })
	var once sync.Once
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			slow := false
			if strings.HasSuffix(r.URL.Path, "/participants") {
				once.Do(func() { slow = true })
			}
			if slow {
				s.fake.mu.Unlock()
				time.Sleep(time.Second)
				s.fake.mu.Lock()
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
}

func TestMalformedJSONNamesNobody(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasSuffix(r.URL.Path, "/participants") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"page_size":4,"next_page_token":"","participants":[{"id":"","name":"Kari Nordmann","user_email":"kari.nordmann@bergen.kommune.no","status":"in_meet`))
				return true
			}
			return false
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("err = %v", err)
	}
	if len(sink.Records()) != 0 {
		t.Errorf("an event whose participants could not be read must not be added: %v", sink.Records())
	}
	assertNoSecrets(t, err.Error()+s.logs.String(), "Kari", "kari.nordmann", "bergen.kommune.no")
}

func TestWrongTypeInJSON(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if strings.HasSuffix(r.URL.Path, "/registrants") {
				writeJSON(w, http.StatusOK, map[string]any{"next_page_token": "", "registrants": []map[string]any{{"id": 7, "email": "ola.hansen@helse-bergen.no"}}})
				return true
			}
			return false
		}
	})
	_, err := collect(t, s.c, days.Date(2025, 12, 1), days.Date(2025, 12, 31))
	if err == nil || !strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("err = %v", err)
	}
	assertNoSecrets(t, err.Error(), "ola.hansen", "helse-bergen.no")
}

func TestExpiredPageTokenRestartsTheList(t *testing.T) {
	s := setup(t, "", nil)
	s.fake.update(func() { s.fake.expirePages = true })
	sink, err := collect(t, s.c, days.Date(2025, 9, 1), days.Date(2025, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	checkEvents(t, sink.Records(), expected2025)
	if !strings.Contains(s.logs.String(), "page token expired") {
		t.Error("the restart is not logged")
	}
}

func TestSettings(t *testing.T) {
	base := "account_id: A1\nclient_id: id\nclient_secret: secret\n"
	cases := map[string]string{
		"client_secret: x\nclient_id: y\n":   "account_id is required",
		"account_id: A1\nclient_secret: x\n": "client_id is required",
		"account_id: A1\nclient_id: y\n":     "client_secret is required",
		base + "base_url: ftp://x\n":         "base_url",
		base + "token_url: /oauth\n":         "token_url",
		base + "meeting_kind: seminar\n":     "meeting_kind must be one of",
		base + "meeting_topics: ['']\n":      "meeting_topics[0] is empty",
		base + "unknown_key: 1\n":            "unknown key unknown_key",
	}
	for block, want := range cases {
		_, _, err := build(t, block, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "zoom: ") {
			t.Errorf("settings %q: err = %v, want one naming %q", block, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret\n") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
	c, _, err := build(t, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != defaultBaseURL || c.tokenURL != defaultTokenURL || c.userID != "me" || c.meetingKind != figures.KindNetworkMeeting ||
		c.account != "innomed" || len(c.meetingTopics) != 0 {
		t.Errorf("defaults: %+v", c)
	}
	k := Kind()
	if k.Name != "zoom" || k.Interval != 6*time.Hour || k.LookbackDays != 14 || k.ChunkDays != 31 {
		t.Errorf("Kind() = %+v", k)
	}
}

func TestDoubleEncoding(t *testing.T) {
	for id, want := range map[string]string{
		"Vg8IdgluR5WDeWIkpJlElQ==": "Vg8IdgluR5WDeWIkpJlElQ==",
		"/ajXp112QmuoKj4854875==":  "%252FajXp112QmuoKj4854875==",
		"kq0gW3pUQnGbc//xvNQ6Cg==": "kq0gW3pUQnGbc%252F%252FxvNQ6Cg==",
		"ab/cd==":                  "ab%2Fcd==",
		"81234567890":              "81234567890",
	} {
		if got := escapeID(id); got != want {
			t.Errorf("escapeID(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestCountPeopleDocumentedExample is api-formats.md §7's example: 4 rows, 2 people admitted.
func TestCountPeopleDocumentedExample(t *testing.T) {
	table, err := sectors.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := []participant{
		{ID: "8b29rgg4bb2ylA-iOYzA5A", RegistrantID: "rj7lqHbAR2S8vD7kK_1Bjg", Name: "Deltaker 1", Email: "a@example.no", Status: "in_meeting"},
		{ID: "8b29rgg4bb2ylA-iOYzA5A", RegistrantID: "rj7lqHbAR2S8vD7kK_1Bjg", Name: "Deltaker 1", Email: "a@example.no", Status: "in_meeting"},
		{RegistrantID: "Zx2m0kLpRxe1p7q2s3t4uA", Name: "Deltaker 2", Status: "in_meeting"},
		{Name: "iPhone", Status: statusWaitingRoom},
	}
	counts := countPeople(rows, table, map[string]string{"Zx2m0kLpRxe1p7q2s3t4uA": figures.SectorKS})
	if counts.Total() != 2 || counts[figures.SectorKS] != 1 || counts[figures.SectorOther] != 1 {
		t.Errorf("counts = %v, want 2 people: one ks (by registration), one other", counts)
	}
	if got := countPeople(nil, table, nil); got.Total() != 0 || len(got) != len(figures.Sectors()) {
		t.Errorf("no rows: %v", got)
	}
	// Two people with the same name but their own registrations stay two.
	same := []participant{{RegistrantID: "a", Name: "Kari Hansen"}, {RegistrantID: "b", Name: "Kari Hansen"}, {Name: "kari  hansen"}}
	if got := countPeople(same, table, nil); got.Total() != 2 {
		t.Errorf("namesakes: %d people, want 2", got.Total())
	}
}

// assertNoSecrets fails if text holds any of the given strings in any case: a name or an address
// in other letters has leaked all the same.
func assertNoSecrets(t testing.TB, text string, secrets ...string) {
	t.Helper()
	collectortest.NoLeak(t, "errors or logs", strings.ToLower(text), lowered(secrets)...)
}

func lowered(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}

// TestAddressInATopicStaysOutOfNotes gives the webinar whose report Zoom no longer has (404, code
// 3001, as in api-formats §7 and Zoom's "Get a webinar report" reference:
// https://developers.zoom.us/docs/api/meetings/#tag/reports) a topic that names a contact address.
// The note that says its report is gone is stored with the run, so it must not hold the address.
func TestAddressInATopicStaysOutOfNotes(t *testing.T) {
	const address = "kurs@innomed.no"
	s := setup(t, "", nil)
	s.fake.update(func() {
		for i, w := range s.fake.webinars {
			s.fake.webinars[i] = json.RawMessage(strings.Replace(string(w), "Webinar: Helsedata og personvern", "Webinar: Helsedata og personvern (spørsmål til "+address+")", 1))
		}
	})
	sink, err := collect(t, s.c, days.Date(2025, 3, 1), days.Date(2025, 3, 31))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(sink.Notes(), "\n")
	if !strings.Contains(notes, "Helsedata og personvern") || !strings.Contains(notes, "no longer has its report") {
		t.Fatalf("the note on the expired report is missing: %q", notes)
	}
	collectortest.NoLeak(t, "notes", notes, address)
}
