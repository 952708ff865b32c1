package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
)

func TestEventFormTakesAttendanceBySector(t *testing.T) {
	st := chtest.Open(t)
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)

	page := editor.get("/arrangementer/ny")
	for _, want := range []string{`<input id="ev-date" name="date" type="text" autocomplete="off"`, `name="end_date" type="text" autocomplete="off"`,
		`name="sector_municipality"`, `name="sector_health_trust"`, `name="sector_regional_health_authority"`, `name="sector_ks"`, `name="sector_other"`, `name="sector_unknown"`, ">Ukjent<",
		"Deltakere etter sektor", ">Regionalt helseforetak<"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	form := url.Values{"kind": {"course"}, "title": {"Introduksjonskurs"}, "date": {"2023-03-16"}, "account": {"innomed"},
		"attended_on_site": {"18"}, "sector_municipality": {"10"}, "sector_health_trust": {"9"}, "sector_ks": {"to"}}
	refused := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", form)
	if refused.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad breakdown: %d", refused.status)
	}
	errs := fieldErrors(refused.body)
	if !strings.Contains(errs["sector_ks"], "«to» er ikke et helt tall") {
		t.Errorf("sector_ks error %q", errs["sector_ks"])
	}
	// Nothing typed is lost: the refused form comes back with every value.
	for _, want := range []string{`name="sector_municipality" type="text" inputmode="numeric" autocomplete="off" value="10"`, `value="to"`, `value="16.03.2023"`} {
		if !strings.Contains(refused.body, want) {
			t.Errorf("the refused form lost %q", want)
		}
	}
	form.Set("sector_ks", "")
	refused = editor.postFrom("/arrangementer/ny", "/arrangementer/ny", form)
	if errs := fieldErrors(refused.body); refused.status != http.StatusUnprocessableEntity || !strings.Contains(errs["sectors"], "Sektorene blir til sammen 19, flere enn de 18 som deltok") {
		t.Fatalf("sectors over the attendance: %d %v", refused.status, errs)
	}
	if n := scalar(t, st, "SELECT count() FROM events"); n != "0" {
		t.Fatalf("refused forms wrote %s events", n)
	}

	form.Set("sector_health_trust", "5")
	created := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", form)
	if created.status != http.StatusSeeOther {
		t.Fatalf("create: %d %v", created.status, fieldErrors(created.body))
	}
	for sector, want := range map[string]string{"municipality": "10", "health_trust": "5", "regional_health_authority": "0", "ks": "0", "other": "0"} {
		if got := scalar(t, st, "SELECT sum(attended) FROM event_attendance_by_sector FINAL WHERE sector = '"+sector+"'"); got != want {
			t.Errorf("stored %s: %s, want %s", sector, got, want)
		}
	}
	edit := editor.get(created.header.Get("Location"))
	if !strings.Contains(edit.body, `name="sector_municipality" type="text" inputmode="numeric" autocomplete="off" value="10"`) ||
		!strings.Contains(edit.body, `name="sector_health_trust" type="text" inputmode="numeric" autocomplete="off" value="5"`) {
		t.Errorf("the edit form does not show the stored breakdown")
	}
}
