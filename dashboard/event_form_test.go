package dashboard

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// fakeCollections records the sources started from the dashboard.
type fakeCollections struct {
	mu        sync.Mutex
	triggered []string
	running   map[string]bool
}

func (f *fakeCollections) Trigger(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "broken" {
		return errors.New("trigger failed")
	}
	f.triggered = append(f.triggered, id)
	return nil
}

func (f *fakeCollections) Running(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[id]
}

func (f *fakeCollections) Progress(id string) (int, int, bool) {
	if f.Running(id) {
		return 2, 5, true
	}
	return 0, 0, false
}

// writableApp is the real dashboard with a store to write to and a fake scheduler.
func writableApp(t *testing.T, st *store.Store, cfg config.Config, col Collections) *fiber.App {
	t.Helper()
	return New(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: cfg, Store: st, Collections: col, Log: quietLog()})
}

func browserAs(t *testing.T, app *fiber.App, role auth.Role) *browser {
	b := newBrowser(t, app)
	b.cookies[signin.SessionCookie] = testSessionCookie(t, role)
	return b
}

// post sends form with the CSRF token of the page at from.
func (b *browser) postFrom(from, target string, form url.Values) response {
	b.t.Helper()
	page := b.get(from)
	if page.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", from, page.status, page.body)
	}
	form.Set("csrf", csrfIn(b.t, page.body))
	return b.do(http.MethodPost, target, form)
}

var fieldErrorOf = regexp.MustCompile(`<p class="notice notice-error field-error" id="err-([a-z_]+)"[^>]*>([^<]*)</p>`)

func fieldErrors(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrorOf.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestEventFormNeedsAnEditorAndTheCSRFToken(t *testing.T) {
	st := chtest.Open(t)
	app := writableApp(t, st, testConfig(), nil)
	viewer := browserAs(t, app, auth.Viewer)
	if r := viewer.get("/arrangementer/ny"); r.status != http.StatusForbidden {
		t.Fatalf("viewer GET form: %d", r.status)
	}
	form := url.Values{"kind": {"course"}, "title": {"Kurs"}, "date": {"2023-03-01"}}
	if r := viewer.postFrom("/", "/arrangementer/ny", form); r.status != http.StatusForbidden {
		t.Fatalf("viewer POST form: %d", r.status)
	}
	if r := viewer.get("/arrangementer"); strings.Contains(r.body, "Registrer arrangement") {
		t.Error("a viewer is offered the entry form")
	}
	editor := browserAs(t, app, auth.Editor)
	form.Del("csrf")
	if r := editor.do(http.MethodPost, "/arrangementer/ny", form); r.status != http.StatusForbidden {
		t.Fatalf("editor POST without CSRF: %d", r.status)
	}
	if n := scalar(t, st, "SELECT count() FROM events"); n != "0" {
		t.Fatalf("refused forms wrote %s events", n)
	}
}

func TestEventFormCreateEditDelete(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)

	page := editor.get("/arrangementer/ny")
	if page.status != http.StatusOK || !strings.Contains(page.body, `<option value="national_meeting_place">Nasjonal møteplass</option>`) {
		t.Fatalf("form: %d\n%s", page.status, page.body)
	}
	created := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", url.Values{
		"kind": {"national_meeting_place"}, "title": {"Nasjonal møteplass for DHO"}, "date": {"07.11.2022"},
		"start_time": {"10:00"}, "end_time": {"15:30"}, "registered": {"117"}, "attended_on_site": {"40"},
		"attended_digital": {""}, "account": {"innomed"},
	})
	if created.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", created.status, created.body)
	}
	editPage := created.header.Get("Location")
	if !strings.HasPrefix(editPage, "/arrangementer/entry-2022-11-07-national-meeting-place-") {
		t.Fatalf("create led to %q", editPage)
	}
	id := strings.TrimPrefix(strings.Split(editPage, "/endre")[0], "/arrangementer/")

	// In the query layer: digital attendance is unknown, not zero.
	q := query.New(st.Conn())
	ev, err := q.EventByID(ctx, events.DefaultAccount, id)
	if err != nil || ev == nil {
		t.Fatalf("EventByID: %v, %v", ev, err)
	}
	if ev.Title != "Nasjonal møteplass for DHO" || *ev.Registered != 117 || *ev.AttendedOnSite != 40 || ev.AttendedDigital != nil ||
		ev.Source != "form" || ev.StartsAt.Format(time.RFC3339) != "2022-11-07T09:00:00Z" {
		t.Fatalf("stored: %+v", ev)
	}
	// On the events page, with an edit link for the editor.
	list := editor.get("/arrangementer?period=year&year=2022")
	if !strings.Contains(list.body, "Nasjonal møteplass for DHO") || !strings.Contains(list.body, `href="/arrangementer/ny"`) ||
		!strings.Contains(list.body, `<a href="/arrangementer/`+id+`/endre">Endre</a>`) {
		t.Fatalf("events page lacks the event or the links:\n%s", figureHTML(list.body, "arrangementer"))
	}
	if csv := editor.get("/arrangementer/arrangementer.csv?period=year&year=2022"); strings.Contains(csv.body, "Endre") {
		t.Errorf("the CSV carries the edit column:\n%s", csv.body)
	}

	shown := editor.get(editPage)
	for _, want := range []string{"Arrangementet er registrert.", `name="start_time" type="text" autocomplete="off" value="10:00"`,
		`id="ev-date" name="date" type="text" autocomplete="off"`, `placeholder="dd.mm.åååå" value="07.11.2022"`, "Endringer", "Registrert", "test-editor"} {
		if !strings.Contains(shown.body, want) {
			t.Errorf("edit page lacks %q", want)
		}
	}
	// Edit: the count changes, the id stays.
	updated := editor.postFrom(editPage, "/arrangementer/"+id+"/endre", url.Values{
		"kind": {"national_meeting_place"}, "title": {"Nasjonal møteplass for DHO"}, "date": {"2022-11-07"},
		"start_time": {"10:00"}, "end_time": {"15:30"}, "registered": {"120"}, "attended_on_site": {"40"},
		"attended_digital": {"60"}, "account": {"innomed"},
	})
	if updated.status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", updated.status, updated.body)
	}
	changes, err := q.EventChanges(ctx, events.DefaultAccount, id, 10)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes: %v %+v", err, changes)
	}
	if changes[1].Action != "created" || changes[1].Before != nil || *changes[1].After.Registered != 117 || changes[1].By != "test-editor" {
		t.Errorf("created row: %+v", changes[1])
	}
	if changes[0].Action != "updated" || *changes[0].Before.Registered != 117 || *changes[0].After.Registered != 120 ||
		changes[0].Before.AttendedDigital != nil || *changes[0].After.AttendedDigital != 60 {
		t.Errorf("updated row: %+v / %+v", changes[0].Before, changes[0].After)
	}
	if page := editor.get(updated.header.Get("Location")); !strings.Contains(page.body, "Påmeldte: 117 → 120") ||
		!strings.Contains(page.body, "Deltok digitalt: tomt → 60") {
		t.Errorf("the change list does not say what changed:\n%s", page.body)
	}

	// Delete: gone from the page, kept in ClickHouse, audited.
	deleted := editor.postFrom(editPage, "/arrangementer/"+id+"/slett", url.Values{})
	if deleted.status != http.StatusSeeOther || deleted.header.Get("Location") != "/arrangementer?period=year&year=2022" {
		t.Fatalf("delete: %d %q", deleted.status, deleted.header.Get("Location"))
	}
	if list := editor.get("/arrangementer?period=year&year=2022"); strings.Contains(list.body, "Nasjonal møteplass for DHO") {
		t.Error("a deleted event is still listed")
	}
	ev, err = q.EventByID(ctx, events.DefaultAccount, id)
	if err != nil || ev == nil || !ev.Deleted {
		t.Fatalf("after delete: %+v %v", ev, err)
	}
	changes, err = q.EventChanges(ctx, events.DefaultAccount, id, 10)
	if err != nil || len(changes) != 3 || changes[0].Action != "deleted" || !changes[0].After.Deleted || changes[0].Before.Deleted {
		t.Fatalf("changes after delete: %v %+v", err, changes)
	}
	if page := editor.get(editPage); !strings.Contains(page.body, "Arrangementet er slettet") || strings.Contains(page.body, "/slett") {
		t.Errorf("edit page of a deleted event:\n%s", page.body)
	}
}

func TestEventFormKeepsWhatWasTypedAndShowsFieldErrors(t *testing.T) {
	st := chtest.Open(t)
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)
	r := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", url.Values{
		"kind": {"webinar"}, "title": {"   "}, "date": {"31.02.2022"}, "start_time": {"25:00"},
		"registered": {"-5"}, "attended_on_site": {"12"}, "attended_digital": {"1 234"},
	})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d\n%s", r.status, r.body)
	}
	got := fieldErrors(r.body)
	want := map[string]string{
		"title":            "Skriv en tittel.",
		"date":             "«31.02.2022» er ikke en dato.",
		"start_time":       "«25:00» er ikke et klokkeslett.",
		"registered":       "Et antall kan ikke være negativt.",
		"attended_on_site": "Et webinar har ingen fysiske deltakere.",
	}
	for field, prefix := range want {
		if !strings.HasPrefix(got[field], prefix) {
			t.Errorf("%s: %q, want %q…", field, got[field], prefix)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors: %v", got)
	}
	for _, typed := range []string{`value="31.02.2022"`, `value="25:00"`, `value="-5"`, `value="12"`, `value="1 234"`,
		`<option value="webinar" selected>`, `aria-invalid="true" aria-describedby="err-registered"`, "5 felt må rettes"} {
		if !strings.Contains(r.body, typed) {
			t.Errorf("refused form lacks %s", typed)
		}
	}
	if n := scalar(t, st, "SELECT count() FROM events"); n != "0" {
		t.Errorf("a refused form wrote %s events", n)
	}
	if n := scalar(t, st, "SELECT count() FROM event_changes"); n != "0" {
		t.Errorf("a refused form wrote %s audit rows", n)
	}
}

// The form's days are text in the reader's notation, as the period picker's: dd.mm.åååå in bokmål,
// ISO in English (a date field follows the browser's locale). Both notations are the same day.
func TestEventFormDatesInTheReadersNotation(t *testing.T) {
	st := chtest.Open(t)
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)
	form := func(date, endDate string) url.Values {
		return url.Values{"kind": {"course"}, "title": {"Introduksjonskurs"}, "date": {date}, "start_time": {"09:00"},
			"end_date": {endDate}, "end_time": {"15:00"}, "registered": {"1 200"}, "attended_on_site": {"31"}}
	}
	nb := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", form("14.02.2023", "15.2.2023"))
	iso := editor.postFrom("/arrangementer/ny", "/arrangementer/ny", form("2023-02-14", "2023-02-15"))
	if nb.status != http.StatusSeeOther || iso.status != http.StatusSeeOther {
		t.Fatalf("create: %d %v / %d %v", nb.status, fieldErrors(nb.body), iso.status, fieldErrors(iso.body))
	}
	// The same event (kind, day, title): the second replaces the first.
	at := strings.TrimSuffix(nb.header.Get("Location"), "?ny=1")
	if at != strings.TrimSuffix(iso.header.Get("Location"), "?ny=1") || !strings.HasPrefix(at, "/arrangementer/entry-2023-02-14-course-") {
		t.Fatalf("14.02.2023 led to %q, 2023-02-14 to %q", nb.header.Get("Location"), iso.header.Get("Location"))
	}
	if n := scalar(t, st, "SELECT uniqExact(starts_at, ends_at) FROM events"); n != "1" {
		t.Errorf("%s different start/end pairs stored, want 1", n)
	}
	if n := scalar(t, st, "SELECT count() FROM events WHERE starts_at = toDateTime('2023-02-14 08:00:00', 'UTC') AND ends_at = toDateTime('2023-02-15 14:00:00', 'UTC')"); n != "2" {
		t.Errorf("%s rows start 09:00 Oslo time on 14 February and end on the 15th, want both versions", n)
	}

	// Editing shows the days as the reader writes them, with the notation said under the field.
	page := editor.get(at)
	for _, want := range []string{`name="date" type="text" autocomplete="off"`, `placeholder="dd.mm.åååå" value="14.02.2023"`,
		`placeholder="dd.mm.åååå" value="15.02.2023"`, `aria-describedby="note-ev-date"`, "Datoer skrives dd.mm.åååå"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("bokmål edit page lacks %q", want)
		}
	}
	if strings.Contains(page.body, `type="date"`) {
		t.Error("the form still has a date field, which Chromium writes as mm/dd/yyyy in an English browser")
	}
	if en := editor.get(at + "?lang=en"); !strings.Contains(en.body, `placeholder="yyyy-mm-dd" value="2023-02-14"`) ||
		!strings.Contains(en.body, "Dates are written yyyy-mm-dd") {
		t.Errorf("English edit page does not show the day as 2023-02-14:\n%s", en.body)
	}

	// A day that does not exist: the message names the reader's notation, everything typed comes back.
	for _, c := range []struct{ lang, msg string }{
		{"nb", "«31.02.2023» er ikke en dato. Skriv den som dd.mm.åååå, for eksempel 07.11.2022."},
		{"en", `"31.02.2023" is not a date. Write it as yyyy-mm-dd, for example 2022-11-07.`},
	} {
		target := "/arrangementer/ny?lang=" + c.lang
		r := editor.postFrom(target, target, form("31.02.2023", "2023-02-15"))
		errs := fieldErrors(html.UnescapeString(r.body))
		if r.status != http.StatusUnprocessableEntity || errs["date"] != c.msg || len(errs) != 1 {
			t.Errorf("%s: %d %v, want the date's error %q", c.lang, r.status, errs, c.msg)
		}
		end := map[string]string{"nb": "15.02.2023", "en": "2023-02-15"}[c.lang]
		for _, kept := range []string{`value="31.02.2023"`, `value="Introduksjonskurs"`, `value="09:00"`, `value="15:00"`,
			`value="` + end + `"`, `value="1 200"`, `value="31"`, `<option value="course" selected>`, `aria-invalid="true" aria-describedby="note-ev-date err-date"`} {
			if !strings.Contains(r.body, kept) {
				t.Errorf("%s: the refused form lacks %s", c.lang, kept)
			}
		}
	}
	if n := scalar(t, st, "SELECT count() FROM event_changes"); n != "2" {
		t.Errorf("%s audit rows, want 2 (the refused forms wrote nothing)", n)
	}
}

func TestEventsFromAnAPIAreNotEditable(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	zone, _ := time.LoadLocation("Europe/Oslo")
	if _, err := events.Save(ctx, st, events.Input{AccountID: "innomed", EventID: "zoom-123", Kind: "webinar",
		Title: "Webinar om innovasjon", Date: "2023-02-01", StartTime: "09:00", AttendedDigital: "80", Zone: zone}, "zoom"); err != nil {
		t.Fatal(err)
	}
	if _, err := events.Save(ctx, st, events.Input{AccountID: "innomed", EventID: "teams-4f2a9c0e11d8b37a5e6c2d10", Kind: "network_meeting",
		Title: "Kompetansenettverksmøte", Date: "2023-02-08", StartTime: "09:00", AttendedDigital: "31", Zone: zone}, "teams"); err != nil {
		t.Fatal(err)
	}
	app := writableApp(t, st, testConfig(), nil)
	editor := browserAs(t, app, auth.Editor)
	page := editor.get("/arrangementer/zoom-123/endre")
	if page.status != http.StatusOK || !strings.Contains(page.body, "hentes automatisk fra et API") || strings.Contains(page.body, `name="title"`) {
		t.Fatalf("API event's page: %d\n%s", page.status, page.body)
	}
	form := url.Values{"kind": {"webinar"}, "title": {"Endret"}, "date": {"2023-02-01"}}
	if r := editor.postFrom("/", "/arrangementer/zoom-123/endre", form); r.status != http.StatusConflict {
		t.Errorf("edit of an API event: %d", r.status)
	}
	if r := editor.postFrom("/", "/arrangementer/zoom-123/slett", url.Values{}); r.status != http.StatusConflict {
		t.Errorf("delete of an API event: %d", r.status)
	}
	if list := editor.get("/arrangementer?period=year&year=2023"); strings.Contains(list.body, "/arrangementer/zoom-123/endre") ||
		strings.Contains(list.body, "/arrangementer/teams-4f2a9c0e11d8b37a5e6c2d10/endre") || strings.Count(list.body, "fra API") != 2 {
		t.Errorf("events page offers to edit an API event:\n%s", figureHTML(list.body, "arrangementer"))
	}
	if ev, _ := query.New(st.Conn()).EventByID(ctx, "innomed", "zoom-123"); ev.Title != "Webinar om innovasjon" || ev.Deleted {
		t.Errorf("API event changed: %+v", ev)
	}
	if r := editor.get("/arrangementer/finnes-ikke/endre"); r.status != http.StatusNotFound {
		t.Errorf("unknown event: %d", r.status)
	}
}

func insertRun(t *testing.T, st *store.Store, source, status string, started time.Time, finished *time.Time, rows uint64, errText string) {
	t.Helper()
	day := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	err := st.Insert(context.Background(), "collector_runs",
		[]string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
			"rows_written", "error", "notes", "retry_at", "version"},
		[][]any{{source + started.Format("150405"), source, "incremental", day, day.AddDate(0, 0, 6), started, finished, status,
			rows, errText, "2 kanaler uten navn", (*time.Time)(nil), store.NewVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SummarizeRuns(context.Background()); err != nil { // as the scheduler folds the runs it records
		t.Fatal(err)
	}
}

func TestAdminStartsASourceAndFollowsItsRuns(t *testing.T) {
	st := chtest.Open(t)
	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "ga4", Type: "ga4"}, {ID: "gammel", Type: "plausible", Disabled: true}}
	started := time.Date(2023, 3, 8, 4, 0, 0, 0, time.UTC)
	finished := started.Add(time.Minute)
	insertRun(t, st, "ga4", "ok", started, &finished, 1234, "")
	insertRun(t, st, "ga4", "failed", started.Add(time.Hour), ptrTime(started.Add(time.Hour+time.Second)), 0, "HTTP 403: permission denied")
	col := &fakeCollections{running: map[string]bool{}}
	app := writableApp(t, st, cfg, col)

	admin := browserAs(t, app, auth.Admin)
	overview := admin.get("/")
	if !strings.Contains(overview.body, `action="/admin/kilder/ga4/start"`) || !strings.Contains(overview.body, `href="/admin/kilder/ga4"`) ||
		strings.Contains(overview.body, `action="/admin/kilder/gammel/start"`) {
		t.Fatalf("strip lacks the admin's controls:\n%s", overview.body)
	}
	for _, role := range []auth.Role{auth.Viewer, auth.Editor} {
		b := browserAs(t, app, role)
		if strings.Contains(b.get("/").body, "/admin/kilder/") {
			t.Errorf("%s is offered the source controls", role)
		}
		if r := b.postFrom("/", "/admin/kilder/ga4/start", url.Values{}); r.status != http.StatusForbidden {
			t.Errorf("%s starts a source: %d", role, r.status)
		}
		if r := b.get("/admin/kilder/ga4"); r.status != http.StatusForbidden {
			t.Errorf("%s on the runs page: %d", role, r.status)
		}
	}
	if r := admin.do(http.MethodPost, "/admin/kilder/ga4/start", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("start without CSRF: %d", r.status)
	}
	if len(col.triggered) != 0 {
		t.Fatalf("refused starts triggered %v", col.triggered)
	}

	r := admin.postFrom("/", "/admin/kilder/ga4/start", url.Values{})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/kilder/ga4?startet=1" || len(col.triggered) != 1 || col.triggered[0] != "ga4" {
		t.Fatalf("start: %d %q, triggered %v", r.status, r.header.Get("Location"), col.triggered)
	}
	page := admin.get("/admin/kilder/ga4?startet=1")
	for _, want := range []string{"Innhenting av ga4 er startet.", `<meta http-equiv="refresh" content="5; url=/admin/kilder/ga4">`,
		"HTTP 403: permission denied", "1 234", "feilet", "i orden", "2 kanaler uten navn"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("runs page lacks %q", want)
		}
	}
	if strings.Index(page.body, "feilet") > strings.Index(page.body, "i orden") {
		t.Error("runs are not newest first")
	}
	if page := admin.get("/admin/kilder/ga4"); strings.Contains(page.body, "http-equiv") {
		t.Error("an idle source's page reloads itself")
	}

	// While it runs: "pågår" with the progress on the strip and the page, no Start button.
	col.mu.Lock()
	col.running["ga4"] = true
	col.mu.Unlock()
	overview = admin.get("/")
	if !strings.Contains(overview.body, "Pågår … 2 av 5 deler ferdig") || strings.Contains(overview.body, `action="/admin/kilder/ga4/start"`) {
		t.Errorf("strip while running:\n%s", overview.body)
	}
	if page := admin.get("/admin/kilder/ga4"); !strings.Contains(page.body, `content="5; url=/admin/kilder/ga4"`) {
		t.Error("runs page does not reload while running")
	}
	// A run recorded by another process counts as running too.
	insertRun(t, st, "gammel", "running", started, nil, 0, "")
	if page := admin.get("/admin/kilder/gammel"); !strings.Contains(page.body, "Pågår …") || !strings.Contains(page.body, "slått av i oppsettet") {
		t.Errorf("disabled source with a run under way:\n%s", page.body)
	}
	if r := admin.postFrom("/", "/admin/kilder/gammel/start", url.Values{}); r.status != http.StatusConflict {
		t.Errorf("start a disabled source: %d", r.status)
	}
	if r := admin.postFrom("/", "/admin/kilder/ukjent/start", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("start an unknown source: %d", r.status)
	}
	if r := admin.get("/admin/kilder/ukjent"); r.status != http.StatusNotFound {
		t.Errorf("runs of an unknown source: %d", r.status)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
