package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

func TestPublishingIsGuardedAndWithdrawalsAreRecorded(t *testing.T) {
	st := chtest.Open(t)
	importReportFixture(t, st)
	app := New(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: testConfig(), Store: st, Log: quietLog()})
	signedIn := func(role auth.Role) *browser {
		b := newBrowser(t, app)
		b.cookies[signin.SessionCookie] = testSessionCookie(t, role)
		return b
	}
	post := func(b *browser, page, action string, form url.Values) response {
		t.Helper()
		r := b.get(page)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", page, r.status)
		}
		form.Set("csrf", csrfIn(t, r.body))
		return b.do(http.MethodPost, action, form)
	}
	editor, admin := signedIn(auth.Editor), signedIn(auth.Admin)

	// The running quarter and a future one: no publish form, a note saying from when, and a
	// request made anyway is refused with that message.
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(oslo)
	year, quarter := now.Year(), (int(now.Month())-1)/3+1
	running := report.PeriodName(year, quarter)
	_, closes := report.PeriodBounds(year, quarter, oslo)
	page := editor.get("/rapporter/kvartal/" + running)
	if strings.Contains(page.body, `action="/rapporter/kvartal/`+running+`/publiser"`) || !strings.Contains(page.body, "kan ikke publiseres før perioden er over") {
		t.Errorf("the running quarter %s offers publishing: %.3000s", running, page.body)
	}
	r := post(editor, "/rapporter/kvartal/2022-Q3", "/rapporter/kvartal/"+running+"/publiser", url.Values{})
	if r.status != http.StatusConflict || !strings.Contains(r.body, closes.Format("02.01.2006")) {
		t.Errorf("publishing the running quarter: %d %.800s", r.status, r.body)
	}
	future := report.PeriodName(year+1, 1)
	if r := post(editor, "/rapporter/kvartal/2022-Q3", "/rapporter/kvartal/"+future+"/publiser", url.Values{}); r.status != http.StatusConflict || !strings.Contains(r.body, "har ikke begynt") {
		t.Errorf("publishing a future quarter: %d %.800s", r.status, r.body)
	}
	if r := post(editor, "/rapporter/ar/2022", "/rapporter/ar/"+report.PeriodName(year, 0)+"/publiser", url.Values{}); r.status != http.StatusConflict {
		t.Errorf("publishing the running year: %d %.800s", r.status, r.body)
	}

	// A closed year is published; only an admin sees the withdraw form and may use it.
	if r := post(editor, "/rapporter/ar/2022", "/rapporter/ar/2022/publiser", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("publishing 2022: %d %.800s", r.status, r.body)
	}
	if page := editor.get("/rapporter/ar/2022"); strings.Contains(page.body, "trekk-tilbake") {
		t.Error("an editor is offered the withdraw form")
	}
	if r := post(editor, "/rapporter/ar/2022", "/rapporter/ar/2022/trekk-tilbake", url.Values{"reason": {"feil"}}); r.status != http.StatusForbidden {
		t.Errorf("an editor withdrawing: %d", r.status)
	}
	page = admin.get("/rapporter/ar/2022")
	if !strings.Contains(page.body, `action="/rapporter/ar/2022/trekk-tilbake"`) {
		t.Fatalf("the admin has no withdraw form: %.3000s", page.body)
	}
	if r := post(admin, "/rapporter/ar/2022", "/rapporter/ar/2022/trekk-tilbake", url.Values{"reason": {" "}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Skriv en grunn") {
		t.Errorf("withdrawing without a reason: %d %.600s", r.status, r.body)
	}
	r = post(admin, "/rapporter/ar/2022", "/rapporter/ar/2022/trekk-tilbake", url.Values{"reason": {"Nettstedstallene for 4. kvartal var ufullstendige"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("withdrawing: %d %.600s", r.status, r.body)
	}
	page = admin.get(r.header.Get("Location"))
	for _, want := range []string{"Publiseringen av 2022 er trukket tilbake.", "ble trukket tilbake", "Nettstedstallene for 4. kvartal var ufullstendige", "Ikke publisert ennå"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("after withdrawing, the page lacks %q: %.3000s", want, page.body)
		}
	}
	rec, err := query.New(st.Conn()).PublicationRecord(t.Context(), report.KindAnnual, "innomed.no", "2022")
	ws := rec.Withdrawals
	if err != nil || len(ws) != 1 || ws[0].WithdrawnBy != "test-admin" || ws[0].Reason != "Nettstedstallene for 4. kvartal var ufullstendige" {
		t.Fatalf("withdrawal record: %+v, %v", ws, err)
	}
	if r := post(admin, "/rapporter/ar/2022", "/rapporter/ar/2022/trekk-tilbake", url.Values{"reason": {"igjen"}}); r.status != http.StatusConflict {
		t.Errorf("withdrawing with nothing in force: %d", r.status)
	}
}
