package events

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/figures"
)

func TestSectorBreakdownRules(t *testing.T) {
	cases := []struct {
		name    string
		onSite  string
		digital string
		sectors map[string]string
		field   string // the field in error; empty: valid
		reason  string
	}{
		{"within the attendance", "40", "60", map[string]string{"municipality": "30", "health_trust": "25", "ks": "5"}, "", ""},
		{"exactly the attendance", "40", "60", map[string]string{"municipality": "50", "other": "50"}, "", ""},
		{"all empty: no breakdown", "40", "60", map[string]string{"municipality": "", "other": " "}, "", ""},
		{"more than attended", "40", "60", map[string]string{"municipality": "80", "health_trust": "30"}, FieldSectors, "add up to 110, more than the 100 who attended"},
		{"without attendance", "", "", map[string]string{"ks": "3"}, FieldSectors, "needs the attendance it breaks down"},
		{"not a count", "40", "", map[string]string{"ks": "3,5"}, "sector_ks", "not a whole number"},
		{"negative", "40", "", map[string]string{"other": "-2"}, "sector_other", "negative"},
		{"unknown sector", "40", "", map[string]string{"hospital": "2"}, "sector_hospital", "is not a sector"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput(t)
			in.AttendedOnSite, in.AttendedDigital, in.Sectors = c.onSite, c.digital, c.sectors
			_, err := in.Event()
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			for _, fe := range errs {
				if fe.Field == c.field && strings.Contains(fe.Reason, c.reason) {
					return
				}
			}
			t.Errorf("errors %v, want %s: …%s…", errs, c.field, c.reason)
		})
	}
}

func TestSavedEventKeepsItsWholeSectorBreakdown(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	in := validInput(t)
	in.Sectors = map[string]string{"municipality": "30", "health_trust": "1 0", "regional_health_authority": "", "ks": "5", "other": ""}
	if _, err := Save(ctx, st, in, "form"); err == nil {
		t.Fatal(`"1 0" saved as a count`)
	}
	in.Sectors["health_trust"] = "25"
	ev, err := Save(ctx, st, in, "form")
	if err != nil {
		t.Fatal(err)
	}
	read := func() map[string]uint32 {
		rows, err := st.Conn().Query(ctx, `SELECT sector, attended, registered FROM event_attendance_by_sector FINAL WHERE account_id = ? AND event_id = ?`,
			ev.AccountID, ev.EventID)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rows.Close() }()
		out := map[string]uint32{}
		for rows.Next() {
			var s string
			var a, r uint32
			if err := rows.Scan(&s, &a, &r); err != nil {
				t.Fatal(err)
			}
			if r != 0 {
				t.Errorf("sector %s: %d registered stored from an entered breakdown", s, r)
			}
			out[s] = a
		}
		return out
	}
	got := read()
	want := map[string]uint32{"municipality": 30, "health_trust": 25, "regional_health_authority": 0, "ks": 5, "other": 0}
	if len(got) != len(figures.Sectors()) {
		t.Fatalf("stored sectors %v, want all five %v", got, want)
	}
	for s, n := range want {
		if got[s] != n {
			t.Errorf("sector %s = %d, want %d", s, got[s], n)
		}
	}
	// Saving again without sectors leaves the breakdown; with one, it replaces the whole set.
	in.Sectors = nil
	if _, err := Save(ctx, st, in, "form"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["municipality"] != 30 {
		t.Errorf("saving without sectors changed the breakdown: %v", got)
	}
	in.Sectors = map[string]string{"other": "7"}
	if _, err := Save(ctx, st, in, "form"); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["municipality"] != 0 || got["other"] != 7 {
		t.Errorf("a new breakdown did not replace the old: %v", got)
	}
}
