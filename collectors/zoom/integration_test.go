package zoom

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

// TestBackfill2025Integration backfills all of 2025 through the runner into ClickHouse: the
// events and sector counts equal the fixtures', a second backfill changes nothing, a quota stop
// part-way resumes without gaps or duplicates, and no e-mail address or name from the fixtures
// reaches any table or log line.
func TestBackfill2025Integration(t *testing.T) {
	st := chtest.Open(t)
	s := setup(t, "", nil)
	ctx := context.Background()
	loc := testClock().Location()
	runner := scheduler.NewRunner(st, loc, slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	src := scheduler.Source{ID: "zoom", Kind: "zoom", Collector: s.c, ChunkDays: Kind().ChunkDays}
	year := days.Range{From: days.Date(2025, 1, 1), To: days.Date(2025, 12, 31)}

	// A daily limit hit part-way: every API request after the 20th is refused until tomorrow.
	retryAt := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	s.fake.update(func() {
		s.fake.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
			if n > 20 && strings.HasPrefix(r.URL.Path, "/v2/") {
				w.Header().Set("X-RateLimit-Type", "Daily-limit")
				w.Header().Set("Retry-After", retryAt.Format(time.RFC3339))
				writeFixture(t, w, http.StatusTooManyRequests, "error_429_daily.json")
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
		t.Fatalf("first backfill: %+v, want a throttled stop with the retry time", sum)
	}
	stoppedAt := sum.ResumeAt

	s.fake.update(func() { s.fake.intercept = nil })
	sum, err = runner.Backfill(ctx, src, year, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StatusOK || sum.Skipped == 0 {
		t.Fatalf("resumed backfill: %+v, want ok after skipping the chunks done before %s", sum, days.Format(stoppedAt))
	}
	checkStored(t, st, loc)

	before := snapshot(t, st)
	if sum, err = runner.Backfill(ctx, src, year, true, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("second backfill: %+v %v", sum, err)
	}
	checkStored(t, st, loc)
	if after := snapshot(t, st); after != before {
		t.Errorf("a second backfill changed the figures:\nbefore %s\nafter  %s", before, after)
	}

	var notes string
	if err := st.Conn().QueryRow(ctx, "SELECT arrayStringConcat(groupArray(notes), '\n') FROM collector_runs FINAL WHERE source = 'zoom'").Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notes, "Helsedata og personvern") || !strings.Contains(notes, "six months") {
		t.Errorf("the expired March webinar is not noted: %q", notes)
	}

	personal := personalData(t)
	if len(personal) < 40 {
		t.Fatalf("found only %d names and addresses in the fixtures", len(personal))
	}
	stored := strings.ToLower(collectortest.StoredText(t, st.Conn(), 10))
	logs := strings.ToLower(s.logs.String())
	collectortest.NoLeak(t, "ClickHouse", stored, lowered(personal)...)
	collectortest.NoLeak(t, "the logs", logs, lowered(personal)...)
	assertNoSecrets(t, stored+logs, s.fake.clientSecret, s.fake.clientID, "fake-zoom-access-token")
}

// checkStored reads 2025's events as the dashboard does and compares them with the fixtures.
func checkStored(t testing.TB, st *store.Store, loc *time.Location) {
	t.Helper()
	ctx := context.Background()
	evs, err := query.New(st.Conn()).Events(ctx, "innomed", time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 1, 1, 0, 0, 0, 0, loc))
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
	checkEvents(t, records, expected2025)
	var events, sectorRows uint64
	if err := st.Conn().QueryRow(ctx, "SELECT (SELECT count() FROM events FINAL), (SELECT count() FROM event_attendance_by_sector FINAL)").Scan(&events, &sectorRows); err != nil {
		t.Fatal(err)
	}
	if events != uint64(len(expected2025)) || sectorRows != uint64(len(expected2025)*len(figures.Sectors())) {
		t.Errorf("stored %d events and %d sector rows, want %d and %d", events, sectorRows, len(expected2025), len(expected2025)*len(figures.Sectors()))
	}
}

// snapshot is the stored figures as text, versions aside.
func snapshot(t testing.TB, st *store.Store) string {
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

// personalData is every name and e-mail address in the fixtures.
func personalData(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"name", "user_email", "email", "user_name"} {
				if s, ok := x[k].(string); ok && s != "" {
					seen[s] = true
				}
			}
			if first, ok := x["first_name"].(string); ok {
				last, _ := x["last_name"].(string)
				seen[strings.TrimSpace(first+" "+last)] = true
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
