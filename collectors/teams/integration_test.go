package teams

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
	"github.com/innomed/rekkevidde/internal/store"
)

// TestBackfill2025Integration backfills all of 2025 through the runner into ClickHouse: a
// throttle part-way stops the backfill with Graph's retry time and the next one resumes; the
// stored events and sector counts equal the fixtures'; a second backfill changes nothing; the
// scheduled runs of January 2026 note the reports not made yet, then store them when they appear
// and replace their counts when a report changes; the client secret's expiry reaches the
// freshness strip; and no name, address or user id from the fixtures reaches any table or log.
func TestBackfill2025Integration(t *testing.T) {
	st := chtest.Open(t)
	s := setup(t, "client_secret_expires: \"2026-03-31\"\n", nil)
	ctx := context.Background()
	loc := testClock().Location()
	clock := collectortest.NewClock(testClock())
	s.c.now = clock.Now
	runner := scheduler.NewRunner(st, loc, slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	runner.SetClock(clock.Now)
	src := scheduler.Source{ID: "teams", Kind: "teams", Collector: s.c, ChunkDays: Kind().ChunkDays, LookbackDays: Kind().LookbackDays}
	year := days.Range{From: days.Date(2025, 1, 1), To: days.Date(2025, 12, 31)}

	// Graph throttles part-way, for longer than a run waits: every API request after the 60th.
	retryAt := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if n > 60 && strings.HasPrefix(r.URL.Path, "/v1.0/") {
				w.Header().Set("Retry-After", retryAt.Format(http.TimeFormat))
				writeFixture(t, w, http.StatusTooManyRequests, "error_429.json")
				return true
			}
			return false
		}
	})
	sum, err := runner.Backfill(ctx, src, year, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StatusThrottled || !sum.RetryAt.Equal(retryAt) || sum.ResumeAt.IsZero() {
		t.Fatalf("first backfill: %+v, want a throttled stop with Graph's retry time", sum)
	}
	s.fake.update(func() { s.fake.intercept = nil })
	if sum, err = runner.Backfill(ctx, src, year, false, nil); err != nil || sum.Status != scheduler.StatusOK || sum.Skipped == 0 {
		t.Fatalf("resumed backfill: %+v %v, want ok after skipping the months done", sum, err)
	}
	checkStored(t, st, loc, expected2025)

	before := snapshot(t, st)
	if sum, err = runner.Backfill(ctx, src, year, true, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("second backfill: %+v %v", sum, err)
	}
	if after := snapshot(t, st); after != before {
		t.Errorf("a second backfill changed the figures:\nbefore %s\nafter  %s", before, after)
	}
	var notes string
	if err := st.Conn().QueryRow(ctx, "SELECT arrayStringConcat(groupArray(notes), '\n') FROM collector_runs FINAL WHERE source = 'teams'").Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notes, "Helsedata og personvern") || !strings.Contains(notes, "older than the year Teams keeps attendance reports") {
		t.Errorf("the webinar past the year of reports is not noted: %q", notes)
	}

	// Scheduled runs: on 20 January the reports of the 19th are not made yet.
	if sum, err = runner.Incremental(ctx, src, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("incremental run: %+v %v", sum, err)
	}
	if got := eventTitles(t, st, loc, 2026); len(got) != 0 {
		t.Errorf("events of January 2026 stored before their reports: %q", got)
	}
	// The meeting's report appears; the next run stores it, a later one replaces its count.
	var meeting3 string
	for id, file := range s.fake.meetingReports {
		if file == "reports_m3.json" {
			meeting3 = id
		}
	}
	silje := json.RawMessage(`{"emailAddress":"silje.aas@innomed.no","totalAttendanceInSeconds":1900,"role":"Organizer","identity":{"id":"s1","displayName":"Silje Aas","tenantId":"` + testTenant + `"}}`)
	hilde := json.RawMessage(`{"emailAddress":"hilde.rud@drammen.kommune.no","totalAttendanceInSeconds":1500,"role":"Attendee","identity":{"id":"h1","displayName":"Hilde Rud","tenantId":"ext"}}`)
	s.fake.update(func() {
		s.fake.reports[meeting3] = []json.RawMessage{json.RawMessage(`{"id":"late-m3","totalParticipantCount":1,"meetingStartDateTime":"2026-01-19T07:59:00Z","meetingEndDateTime":"2026-01-19T08:31:00Z"}`)}
		s.fake.records["late-m3"] = []json.RawMessage{silje}
	})
	clock.Advance(6 * time.Hour)
	if sum, err = runner.Incremental(ctx, src, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("incremental run: %+v %v", sum, err)
	}
	s.fake.update(func() { s.fake.records["late-m3"] = []json.RawMessage{silje, hilde} })
	clock.Advance(6 * time.Hour)
	if sum, err = runner.Incremental(ctx, src, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("incremental run: %+v %v", sum, err)
	}
	checkStored(t, st, loc, []wantEvent{
		{"2026-01-19", figures.KindNetworkMeeting, "Kompetansenettverksmøte januar 2026", -1, 2, [6]uint32{}, [6]uint32{1, 0, 0, 0, 1, 0}},
	})

	// The secret's expiry reaches the freshness strip.
	fresh, err := query.New(st.Conn()).SourceFreshness(ctx, query.FreshnessOptions{Enabled: []string{"teams"}, Now: clock.Now(), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 1 || fresh[0].FirstExpiry == nil || !fresh[0].FirstExpiry.Equal(time.Date(2026, 3, 30, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("freshness %+v, want the secret's expiry at the start of 31 March in Oslo", fresh)
	}

	personal := personalData(t)
	if len(personal) < 60 {
		t.Fatalf("found only %d names, addresses and user ids in the fixtures", len(personal))
	}
	stored := strings.ToLower(collectortest.StoredText(t, st.Conn(), 10))
	logs := strings.ToLower(s.logs.String())
	collectortest.NoLeak(t, "ClickHouse", stored, personal...)
	collectortest.NoLeak(t, "the logs", logs, personal...)
	var token struct {
		AccessToken string `json:"access_token"`
	}
	readFixture(t, "token.json", &token)
	collectortest.NoLeak(t, "ClickHouse and the logs", stored+logs, strings.ToLower(testSecret), strings.ToLower(token.AccessToken))
}

// checkStored reads the events of want's years as the dashboard does and compares them.
func checkStored(t *testing.T, st *store.Store, loc *time.Location, want []wantEvent) {
	t.Helper()
	year := want[0].day[:4]
	from, _ := time.ParseInLocation("2006", year, loc)
	evs, err := query.New(st.Conn()).Events(context.Background(), "innomed", from, from.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var records []figures.Record
	for _, e := range evs {
		records = append(records, figures.Event{AccountID: "innomed", EventID: e.ID, Kind: e.Kind, Title: e.Title, StartsAt: e.StartsAt,
			Registered: e.Registered, AttendedOnSite: e.AttendedOnSite, AttendedDigital: e.AttendedDigital})
		for _, sa := range e.Sectors {
			records = append(records, figures.EventSector{EventID: e.ID, Sector: sa.Sector, Registered: sa.Registered, Attended: sa.Attended})
		}
	}
	checkEvents(t, records, want)
}

func eventTitles(t *testing.T, st *store.Store, loc *time.Location, year int) []string {
	t.Helper()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	evs, err := query.New(st.Conn()).Events(context.Background(), "innomed", from, from.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Title)
	}
	return out
}

// snapshot is the stored figures as text, versions aside.
func snapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	var events, sectors string
	err := st.Conn().QueryRow(context.Background(), `
SELECT
  (SELECT arrayStringConcat(groupArray(concat(event_id, kind, title, toString(starts_at), toString(ifNull(registered, 0)), toString(ifNull(attended_digital, 0)))), '|')
   FROM (SELECT * FROM events FINAL ORDER BY event_id)),
  (SELECT arrayStringConcat(groupArray(concat(event_id, sector, toString(registered), toString(attended))), '|')
   FROM (SELECT * FROM event_attendance_by_sector FINAL ORDER BY event_id, sector))`).Scan(&events, &sectors)
	if err != nil {
		t.Fatal(err)
	}
	return events + "\n" + sectors
}

// personalData is every name, e-mail address and user id in the fixtures, lower-cased: people's
// addresses and names, and the Entra ids of identities, which Graph's meeting ids also encode.
func personalData(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(v any) {
		if s, ok := v.(string); ok && len(strings.TrimSpace(s)) > 2 {
			seen[strings.ToLower(s)] = true
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"emailAddress", "email", "userId"} {
				add(x[k])
			}
			if first, ok := x["firstName"].(string); ok {
				last, _ := x["lastName"].(string)
				add(first + " " + last)
			}
			for _, k := range []string{"identity", "user"} {
				if id, ok := x[k].(map[string]any); ok {
					add(id["id"])
					add(id["displayName"])
				}
			}
			for _, child := range x {
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(doc)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
