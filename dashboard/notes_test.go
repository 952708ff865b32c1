package dashboard

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
)

var noteEditLink = regexp.MustCompile(`href="(/markeringer/innomed\.no/note-2022-03-15-[0-9a-f]+)"`)

func TestNotesAreAddedEditedDeletedAndDrawnOnTheCharts(t *testing.T) {
	st := demoStore(t)
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)
	if r := browserAs(t, app, auth.Viewer).get("/markeringer"); r.status != http.StatusForbidden {
		t.Errorf("a viewer opens the notes page: %d", r.status)
	}

	// Bad input: a message per field, nothing written, nothing typed lost.
	bad := editor.postFrom("/markeringer", "/markeringer", url.Values{"scope": {"innomed.no"}, "date": {"2022-02-30"},
		"title": {"Påskekampanje"}, "link": {"javascript:alert(1)"}})
	errs := fieldErrors(bad.body)
	if bad.status != http.StatusUnprocessableEntity || errs["date"] == "" || errs["link"] == "" || !strings.Contains(bad.body, `value="Påskekampanje"`) {
		t.Fatalf("bad note: %d %v", bad.status, errs)
	}
	if n := scalar(t, st, "SELECT count() FROM annotation_changes"); n != "0" {
		t.Fatalf("a refused note wrote %s changes", n)
	}

	const title = "Påskekampanje på LinkedIn"
	created := editor.postFrom("/markeringer", "/markeringer", url.Values{"scope": {"innomed.no"}, "date": {"2022-03-15"},
		"title": {title}, "link": {"https://www.innomed.no/paske"}})
	if created.status != http.StatusSeeOther {
		t.Fatalf("create: %d %v", created.status, fieldErrors(created.body))
	}
	list := editor.get("/markeringer")
	m := noteEditLink.FindStringSubmatch(list.body)
	if m == nil || !strings.Contains(list.body, title) {
		t.Fatalf("the list lacks the new note: %.3000s", list.body)
	}
	edit := m[1]

	// Drawn on the website's time chart: a marker line on 15 March, labelled with the note.
	web := get(t, app, "/nettsted?period=month&year=2022&month=3")
	if !strings.Contains(chartScripts(web.body), `{"name":"Notat: `+title+`","xAxis":"15. mar"`) {
		t.Fatalf("the visits chart has no marker for the note:\n%.2000s", chartScripts(web.body))
	}

	// Edited: the chart shows the new text; the audit trail has both changes.
	const changed = "Påskekampanje på LinkedIn og Facebook"
	if r := editor.postFrom(edit, edit, url.Values{"date": {"2022-03-15"}, "title": {changed}, "link": {""}}); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %v", r.status, fieldErrors(r.body))
	}
	page := editor.get(edit)
	for _, want := range []string{title + " → " + changed, "test-editor", "Registrert", "Endret"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the note's changes lack %q", want)
		}
	}
	if s := chartScripts(get(t, app, "/nettsted?period=month&year=2022&month=3").body); !strings.Contains(s, changed) || strings.Contains(s, `"Notat: `+title+`"`) {
		t.Errorf("the chart does not show the edited note")
	}

	// Deleted: gone from the chart, kept in the table and the trail.
	if r := editor.postFrom(edit, edit+"/slett", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	if s := chartScripts(get(t, app, "/nettsted?period=month&year=2022&month=3").body); strings.Contains(s, changed) {
		t.Error("a deleted note is still drawn")
	}
	if r := editor.get(edit); r.status != http.StatusNotFound {
		t.Errorf("the deleted note's page: %d", r.status)
	}
	if n := scalar(t, st, "SELECT count() FROM annotations WHERE title = '"+changed+"'"); n != "2" {
		t.Errorf("%s stored versions of the note, want 2 (the change and the deletion): nothing is removed", n)
	}
	if n := scalar(t, st, "SELECT count() FROM annotation_changes"); n != "3" {
		t.Errorf("%s audit rows, want 3 (created, updated, deleted)", n)
	}
}

// chartScripts is every inline script of a page (the charts' options), not the tables above them.
func chartScripts(body string) string {
	i := strings.Index(body, "<script nonce=")
	if i < 0 {
		return ""
	}
	return body[i:]
}

// A note's day is text in the reader's notation (dd.mm.åååå in bokmål, ISO in English), as the
// period picker's; both notations are the same stored day.
func TestNoteDatesInTheReadersNotation(t *testing.T) {
	st := chtest.Open(t)
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)
	created := editor.postFrom("/markeringer", "/markeringer", url.Values{"scope": {"innomed.no"}, "date": {"14.02.2023"},
		"title": {"Ny forside"}, "link": {""}})
	if created.status != http.StatusSeeOther {
		t.Fatalf("create: %d %v", created.status, fieldErrors(created.body))
	}
	m := regexp.MustCompile(`href="(/markeringer/innomed\.no/note-2023-02-14-[0-9a-f]+)"`).FindStringSubmatch(editor.get("/markeringer").body)
	if m == nil {
		t.Fatal("the list has no note of 14 February 2023")
	}
	edit := m[1]
	page := editor.get(edit)
	for _, want := range []string{`id="note-date" name="date" type="text" autocomplete="off"`, `placeholder="dd.mm.åååå" value="14.02.2023"`,
		`aria-describedby="note-note-date"`, "Datoer skrives dd.mm.åååå"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("bokmål edit page lacks %q", want)
		}
	}
	if en := editor.get(edit + "?lang=en"); !strings.Contains(en.body, `placeholder="yyyy-mm-dd" value="2023-02-14"`) {
		t.Error("English edit page does not show the day as 2023-02-14")
	}
	if r := editor.postFrom(edit, edit, url.Values{"date": {"2023-02-14"}, "title": {"Ny forside på innomed.no"}, "link": {""}}); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %v", r.status, fieldErrors(r.body))
	}
	if n := scalar(t, st, "SELECT count() FROM annotations WHERE date = toDate('2023-02-14')"); n != "2" {
		t.Errorf("%s versions stored on 14 February 2023, want 2 (typed 14.02.2023, then 2023-02-14)", n)
	}
	if n := scalar(t, st, "SELECT uniqExact(date) FROM annotations"); n != "1" {
		t.Errorf("%s different days stored, want 1", n)
	}

	for _, c := range []struct{ lang, msg string }{
		{"nb", "«31.02.2023» er ikke en dato. Skriv den som dd.mm.åååå, for eksempel 07.11.2022."},
		{"en", `"31.02.2023" is not a date. Write it as yyyy-mm-dd, for example 2022-11-07.`},
	} {
		target := "/markeringer?lang=" + c.lang
		r := editor.postFrom(target, target, url.Values{"scope": {"global"}, "date": {"31.02.2023"},
			"title": {"Kampanje"}, "link": {"https://www.innomed.no/k"}})
		errs := fieldErrors(html.UnescapeString(r.body))
		if r.status != http.StatusUnprocessableEntity || errs["date"] != c.msg || len(errs) != 1 {
			t.Errorf("%s: %d %v, want the date's error %q", c.lang, r.status, errs, c.msg)
		}
		for _, kept := range []string{`value="31.02.2023"`, `value="Kampanje"`, `value="https://www.innomed.no/k"`, `value="global" selected`} {
			if !strings.Contains(r.body, kept) {
				t.Errorf("%s: the refused note lacks %s", c.lang, kept)
			}
		}
	}
	if n := scalar(t, st, "SELECT count() FROM annotation_changes"); n != "2" {
		t.Errorf("%s audit rows, want 2 (the refused notes wrote nothing)", n)
	}
}
