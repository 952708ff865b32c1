package importer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
)

func TestEventsImportTakesAttendanceBySector(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	const header = "kind;title;date;attended_on_site;attended_digital;sector_municipality;sector_health_trust;sector_regional_health_authority;sector_ks;sector_other\n"
	bad := header +
		"kurs;A;2022-03-17;18;;10;5;;;\n" +
		"kurs;B;2022-03-18;18;;10;9;;;\n" + // 19 > 18
		"kurs;C;2022-03-19;;;1;;;;\n" + // no attendance to break down
		"kurs;D;2022-03-20;18;;x;;;;\n"
	_, err := Import(ctx, st, kind(t, "events"), strings.NewReader(bad), options(t))
	var problems Problems
	if !errors.As(err, &problems) || len(problems) != 3 {
		t.Fatalf("Import = %v, want 3 problems", err)
	}
	for i, want := range []string{"line 3: sectors: the sectors add up to 19, more than the 18", "line 4: sectors: attendance by sector needs", `line 5: sector_municipality: "x" is not a whole number`} {
		if !strings.HasPrefix(problems[i].String(), want) {
			t.Errorf("problem %d = %q, want %q…", i, problems[i], want)
		}
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM event_attendance_by_sector").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused file wrote %d sector rows (%v)", n, err)
	}
	assertEmpty(t, st)

	good := header + "kurs;A;2022-03-17;18;;10;5;;;\nwebinar;W;2022-03-18;;40;;;;;\n"
	if _, err := Import(ctx, st, kind(t, "events"), strings.NewReader(good), options(t)); err != nil {
		t.Fatal(err)
	}
	var sum, rows uint64
	if err := st.Conn().QueryRow(ctx, "SELECT sum(attended), count() FROM event_attendance_by_sector FINAL").Scan(&sum, &rows); err != nil {
		t.Fatal(err)
	}
	// Course A's whole breakdown (all six sectors, unknown as 0 since a file from before it existed
	// has no sector_unknown column; 15 placed of 18); webinar W has none.
	if sum != 15 || rows != 6 {
		t.Errorf("stored %d sector rows holding %d attendees, want 6 rows and 15", rows, sum)
	}

	withUnknown := strings.TrimSuffix(header, "\n") + ";sector_unknown\n" + "webinar;U;2022-03-21;;40;10;5;;;20;5\n"
	if _, err := Import(ctx, st, kind(t, "events"), strings.NewReader(withUnknown), options(t)); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	r, err := st.Conn().Query(ctx, "SELECT sector, attended FROM event_attendance_by_sector FINAL WHERE event_id IN (SELECT event_id FROM events FINAL WHERE title = 'U')")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var s string
		var n uint32
		if err := r.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		got[s] = n
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got["unknown"] != 5 || got["other"] != 20 || got["municipality"] != 10 {
		t.Errorf("webinar U's breakdown = %v, want six sectors with unknown 5, other 20, municipality 10", got)
	}
}
