package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/pages"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// Handler tests of the dashboard pages on the demo data. Numbers on screen are compared with what
// the query layer returns for the same request, and with the annual report where the demo
// reproduces it.

// figureHTML is the HTML of the figure (or other <section>) with id.
func figureHTML(body, id string) string {
	i := strings.Index(body, `<section class="figure" id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// oslo is the demo's time zone; time.LoadLocation caches, so calling it per use costs nothing.
var oslo = mustZone("Europe/Oslo")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// demoApp is the dashboard over a fresh database holding the demo.
func demoApp(t *testing.T) (*store.Store, *query.Queries, func(target string, headers ...string) response) {
	t.Helper()
	st := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: "innomed.no", Location: oslo}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	app := newApp(t, st, testConfig())
	return st, query.New(st.Conn()), func(target string, headers ...string) response { return get(t, app, target, headers...) }
}

// csvRows checks a CSV response's headers and BOM and parses it with the separator.
func csvRows(t *testing.T, r response, sep rune) [][]string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("CSV status %d\n%s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(r.body, "\ufeff") {
		t.Fatalf("CSV lacks the UTF-8 BOM: %q", r.body[:min(20, len(r.body))])
	}
	if !strings.Contains(r.body, "\r\n") {
		t.Error("CSV lines do not end in CRLF")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff")))
	cr.Comma = sep
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, r.body)
	}
	return rows
}

func TestEveryPageAndCSVAnswersOnTheDemo(t *testing.T) {
	_, _, fetch := demoApp(t)
	// The overview, the topic pages and every table's CSV, each registered with the app.
	addrs, csvs := []string{"/"}, []string{pages.OverviewCSVPath}
	for _, tp := range offlineHandler().pages.Topics() {
		if strings.HasSuffix(tp.Path, ".csv") {
			csvs = append(csvs, tp.Path)
		} else {
			addrs = append(addrs, tp.Path)
		}
	}
	if want := []string{"/", "/nettsted", "/sosiale-medier", "/nyhetsbrev", "/arrangementer"}; !slices.Equal(addrs, want) {
		t.Errorf("pages %q, want %q", addrs, want)
	}
	registered := map[string]bool{}
	for _, rt := range offlineApp().GetRoutes(true) {
		if rt.Method == http.MethodGet {
			registered[rt.Path] = true
		}
	}
	for _, p := range append(append([]string{}, addrs...), csvs...) {
		if !registered[p] {
			t.Errorf("%s is not registered", p)
		}
	}
	if len(csvs) != 22 {
		t.Errorf("%d CSV downloads: %q", len(csvs), csvs)
	}
	for _, params := range []string{"", "?period=year&year=2022", "?period=quarter&year=2022&quarter=3&compare=year",
		"?period=month&year=2021&month=6&grain=week", "?period=custom&from=2021-12-20&to=2022-01-10", "?lang=en&period=year&year=2023"} {
		for _, p := range addrs {
			r := fetch(p + params)
			if r.status != http.StatusOK {
				t.Errorf("GET %s%s: %d\n%s", p, params, r.status, r.body)
				continue
			}
			if !strings.Contains(r.body, `<nav class="main-nav"`) || !strings.Contains(r.body, `aria-current="page"`) {
				t.Errorf("GET %s%s: no main navigation", p, params)
			}
			if strings.Contains(r.body, "%!") {
				t.Errorf("GET %s%s: a message with a wrong format verb: %s", p, params, regexp.MustCompile(`.{40}%!.{40}`).FindString(r.body))
			}
		}
		for _, c := range csvs {
			sep := ';'
			if strings.Contains(params, "lang=en") {
				sep = ','
			}
			rows := csvRows(t, fetch(c+params), sep)
			if len(rows) < 1 {
				t.Errorf("GET %s%s: no header row", c, params)
			}
		}
	}
}

func TestOverviewShowsTheQueryLayersFigures(t *testing.T) {
	st, q, fetch := demoApp(t)
	ctx := context.Background()
	r := fetch("/?period=year&year=2022")
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	d, err := q.Discover(ctx, "innomed.no", oslo)
	if err != nil {
		t.Fatal(err)
	}
	social := d.Social
	scope := query.KPIScope{SiteID: "innomed.no", Social: social, ListID: demo.ListID, EventAccount: demo.AccountID,
		Feeds: []string{demo.FeedID}, Location: oslo}
	values, err := q.KPIValues(ctx, metrics.OverviewKPIs(), scope, days.YearSpan(2022), days.Month, nil)
	if err != nil {
		t.Fatal(err)
	}
	card := regexp.MustCompile(`<h3>(?:<a href="[^"]*">)?([^<]+)(?:</a>)?</h3>\s*<p class="card-value">([^<]+)`)
	shown := map[string]string{}
	for _, m := range card.FindAllStringSubmatch(r.body, -1) {
		shown[m[1]] = m[2]
	}
	for _, v := range values {
		name := i18n.NB.T("kpi." + string(v.Def.Name))
		got, ok := shown[name]
		if !ok {
			continue // not every KPI is a card; the table below has them all
		}
		unit := report.UnitCount
		if v.Def.Percent() {
			unit = report.UnitShare
		}
		// The card writes the figure as the report does.
		if want := report.FormatValue(i18n.NB, unit, v.Current, ""); got != want {
			t.Errorf("card %s shows %q, the query layer says %q", name, got, want)
		}
	}
	// And those are the annual report's figures.
	for name, want := range map[string]string{
		"Følgere på Facebook": "616", "Følgere på Instagram": "501", "Følgere på LinkedIn": "514",
		"Besøk": "38 645", "Abonnenter på nyhetsbrevet": "312", "Arrangementer": "20",
	} {
		if shown[name] != want {
			t.Errorf("card %s = %q, want %q (cards: %q)", name, shown[name], want, shown)
		}
	}
	// html/template writes "+" as "&#43;".
	if !strings.Contains(r.body, `<span class="change up">&#43;132 % (266)</span> <span class="change-label">mot 2021</span>`) {
		t.Error("the Facebook card lacks its change against 2021 (+132 % from 266)")
	}

	// The CSV holds every KPI with the same numbers, unformatted.
	rows := csvRows(t, fetch("/oversikt.csv?period=year&year=2022"), ';')
	if len(rows) != len(values)+1 {
		t.Fatalf("%d CSV rows for %d KPIs", len(rows), len(values))
	}
	byName := map[string][]string{}
	for _, row := range rows[1:] {
		byName[row[0]] = row
	}
	clickRate := 0.0
	if err := st.Conn().QueryRow(ctx, `SELECT sum(unique_clicks) / sum(delivered) FROM newsletter_campaigns
		WHERE toYear(toDate(send_time, 'Europe/Oslo')) = 2022`).Scan(&clickRate); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{
		"Følgere på Facebook (social.followers.facebook)":         {"616", "266", "350", "266", "350"},
		"Nye følgere på LinkedIn (social.new_followers.linkedin)": {"295"},
		"Besøk (web.visits)":                           {"38645", "31810", "6835"},
		"Unike besøkende (web.unique_visitors)":        {"26514"},
		"Klikkrate i perioden (newsletter.click_rate)": {strings.Replace(fmt.Sprintf("%.2f", clickRate*100), ".", ",", 1)},
	} {
		row := byName[key]
		if row == nil {
			t.Errorf("CSV lacks %s: %q", key, rows)
			continue
		}
		for i, w := range want {
			if row[1+i] != w {
				t.Errorf("%s column %d = %q, want %q (row %q)", key, 1+i, row[1+i], w, row)
			}
		}
	}
}

func TestWebPageFiguresMatchTheQueryLayer(t *testing.T) {
	_, q, fetch := demoApp(t)
	ctx := context.Background()
	r := fetch("/nettsted?period=year&year=2022")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	want := [][3]string{{"1. kvartal", "10 234", "8 001"}, {"2. kvartal", "9 068", "7 157"}, {"3. kvartal", "9 634", "7 435"}, {"4. kvartal", "9 709", "8 059"}}
	if got := tableRows(r.body); !equalRows(got, want) {
		t.Errorf("quarterly rows %q, want the report's %q", got, want)
	}
	shares, err := q.ChannelShares(ctx, "innomed.no", days.YearSpan(2022).From, days.YearSpan(2022).To)
	if err != nil {
		t.Fatal(err)
	}
	channels := figureHTML(r.body, "kanaler")
	for _, s := range shares {
		row := fmt.Sprintf(`<th scope="row">%s</th><td class="num">%s</td><td class="num">%s</td>`,
			i18n.NB.T("channel."+s.Key), i18n.NB.Count(s.Sessions), i18n.NB.Percent(s.Share))
		if !strings.Contains(channels, row) {
			t.Errorf("channels table lacks %s", row)
		}
	}
	// The report: 46 % organic search, 35 % direct, 13 % social, 6 % via link.
	for name, pct := range map[string]string{"Organisk søk": "46 %", "Direkte": "35 %", "Sosiale medier": "13 %", "Via lenke": "6 %"} {
		if !regexp.MustCompile(`<th scope="row">` + name + `</th><td class="num">[0-9 ]+</td><td class="num">` + pct + `</td>`).MatchString(channels) {
			t.Errorf("channels lack %s at %s", name, pct)
		}
	}
	rows := csvRows(t, fetch("/nettsted/kanaler.csv?period=year&year=2022"), ';')
	if rows[0][0] != "Kanal" || rows[0][2] != "Andel (%)" || rows[1][0] != "Organisk søk" || rows[1][1] != fmt.Sprint(shares[0].Sessions) ||
		rows[1][2] != strings.Replace(fmt.Sprintf("%.1f", shares[0].Share*100), ".", ",", 1) {
		t.Errorf("kanaler.csv %q", rows)
	}
	if last := rows[len(rows)-1]; last[0] != "Sum" || last[1] != "38645" {
		t.Errorf("kanaler.csv total row %q, want Sum 38645", last)
	}
	// New and returning: the provider's year figure, 15 % new (report).
	if nr := figureHTML(r.body, "nye-og-gjenvendende"); !strings.Contains(nr, `<th scope="row">Nye</th><td class="num">3 977</td><td class="num">15 %</td>`) {
		t.Errorf("new vs returning: %s", nr)
	}
	// A custom range that is exactly a quarter is that quarter (issue 12): its provider figures.
	r = fetch("/nettsted?period=custom&from=2022-01-01&to=2022-03-31")
	if strings.Contains(figureHTML(r.body, "nye-og-gjenvendende"), "finnes bare for hele måneder, kvartaler og år") {
		t.Error("a custom range that is exactly Q1 shows no new and returning visitors")
	}
	// Unique visitors are never summed: any other custom range shows none, with the reason.
	r = fetch("/nettsted?period=custom&from=2022-01-01&to=2022-03-30")
	if !strings.Contains(figureHTML(r.body, "nye-og-gjenvendende"), "finnes bare for hele måneder, kvartaler og år") {
		t.Error("a custom range shows new and returning visitors")
	}
	if !strings.Contains(figureHTML(r.body, "besok"), "Unike besøkende vises bare når punktene er måneder") {
		t.Error("weekly visits chart lacks the note on unique visitors")
	}
}

func TestSocialPageShowsGapsAndNoReachTotal(t *testing.T) {
	_, _, fetch := demoApp(t)
	// Instagram has no snapshot 14–17 June 2021 (demo: an expired token).
	r := fetch("/sosiale-medier?period=month&year=2021&month=6")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	followers := figureHTML(r.body, "folgere")
	if !strings.Contains(followers, "Instagram mangler måling for 4 dager i perioden.") {
		t.Error("the gap is not told")
	}
	if !strings.Contains(r.body, `"connectNulls":false`) {
		t.Error("lines bridge gaps (connectNulls is not false)")
	}
	instagram := regexp.MustCompile(`(?s)"name":"Instagram","type":"line".*?"data":\[(.*?)\]`).FindStringSubmatch(r.body)
	if instagram == nil || strings.Count(instagram[1], `{"value":"-"}`) != 4 {
		t.Errorf("Instagram's June 2021 series should hold 4 empty points: %v", instagram)
	}
	rows := csvRows(t, fetch("/sosiale-medier/folgere.csv?period=month&year=2021&month=6"), ';')
	if rows[0][2] != "Instagram" || rows[14][0] != "2021-06-14" || rows[14][2] != "" || rows[13][2] == "" {
		t.Errorf("folgere.csv around the gap: %q %q %q", rows[0], rows[13], rows[14])
	}
	r = fetch("/sosiale-medier?period=year&year=2022")
	reach := figureHTML(r.body, "rekkevidde")
	if !strings.Contains(reach, "ikke avduplisert") || strings.Contains(reach, ">Sum<") {
		t.Error("reach must be labelled as not de-duplicated and never summed")
	}
	// Growth as the report computes it: LinkedIn 295 / 219 = 135 %.
	if !strings.Contains(figureHTML(r.body, "vekst"), `<th scope="row">LinkedIn</th><td class="num">219</td><td class="num">514</td><td class="num">295</td><td class="num">135 %</td>`) {
		t.Errorf("LinkedIn growth row: %s", figureHTML(r.body, "vekst"))
	}
}

// insertHostileCampaign adds a campaign and an event whose titles try markup, script and formulas.
func insertHostileCampaign(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	sent := time.Date(2022, time.June, 21, 8, 0, 0, 0, time.UTC)
	cols := []string{"list_id", "campaign_id", "title", "subject", "send_time", "emails_sent", "delivered", "unique_opens",
		"unique_clicks", "unsubscribed", "hard_bounces", "soft_bounces", "provider_open_rate", "provider_click_rate", "source", "version"}
	var rows [][]any
	for i, title := range []string{"<script>alert(1)</script>", "=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3+4", "@SUM(1)", "\tTab", "Semi;colon \"quoted\""} {
		rate := 0.5
		rows = append(rows, []any{demo.ListID, fmt.Sprintf("hostile-%d", i), title, "s", sent.Add(time.Duration(i) * time.Minute),
			uint64(100), uint64(100), uint64(50), uint64(20), uint64(0), uint64(0), uint64(0), &rate, &rate, "test", store.NewVersion()})
	}
	if err := st.Insert(ctx, "newsletter_campaigns", cols, rows); err != nil {
		t.Fatal(err)
	}
	ecols := []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at", "registered", "attended_on_site",
		"attended_digital", "deleted", "source", "version"}
	n := uint32(12)
	if err := st.Insert(ctx, "events", ecols, [][]any{{demo.AccountID, "hostile", "webinar", `</script><img src=x onerror=alert(2)> __f__alert(3)__f__`,
		time.Date(2022, time.June, 22, 11, 0, 0, 0, time.UTC), nil, &n, nil, &n, uint8(0), "form", store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
}

func TestTitlesFromSourcesAreTextEverywhere(t *testing.T) {
	st, _, fetch := demoApp(t)
	insertHostileCampaign(t, st)
	for _, target := range []string{"/nyhetsbrev?period=month&year=2022&month=6", "/arrangementer?period=month&year=2022&month=6",
		"/nettsted?period=month&year=2022&month=6", "/?period=month&year=2022&month=6"} {
		r := fetch(target)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", target, r.status)
		}
		for _, bad := range []string{"<script>alert(1)", "<img src=x"} {
			if strings.Contains(r.body, bad) {
				t.Errorf("GET %s: page contains %q unescaped", target, bad)
			}
		}
		// go-echarts turns "__f__…__f__" in its JSON into code: no title may keep the marker there.
		for _, s := range inlineScripts.FindAllStringSubmatch(r.body, -1) {
			if strings.Contains(s[1], "alert(3)") && strings.Contains(s[1], "__f__alert(3)") {
				t.Errorf("GET %s: a chart script holds the function marker from a title", target)
			}
		}
		// Every <script> element is ours: the ECharts file or a nonce'd chart script.
		for _, tag := range scriptTag.FindAllString(r.body, -1) {
			if !strings.Contains(tag, "nonce=") {
				t.Errorf("GET %s: script tag %q without nonce", target, tag)
			}
		}
	}
	r := fetch("/nyhetsbrev?period=month&year=2022&month=6")
	if !strings.Contains(figureHTML(r.body, "utsendelser"), "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Error("the campaign title is not in the table as text")
	}
	// In the chart's options the title is data: a JSON string with <, > escaped for HTML.
	if !strings.Contains(r.body, `21.06.2022 · \u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Errorf("the campaign title is not in the chart JSON as an escaped string:\n%s", scriptOf(r.body))
	}
	ev := fetch("/arrangementer?period=month&year=2022&month=6")
	if !strings.Contains(ev.body, `\u003c/script\u003e\u003cimg src=x onerror=alert(2)\u003e _ _f_ _alert(3)_ _f_ _`) {
		t.Error("the event title is not in the chart JSON as an escaped, marker-free string")
	}
	// Annotations carry the same titles into the web page's time chart, escaped the same way.
	web := fetch("/nettsted?period=month&year=2022&month=6")
	if !strings.Contains(web.body, `Nyhetsbrev: \u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Error("the annotation marker lacks the escaped campaign title")
	}
}

func TestCSVCellsCannotStartFormulas(t *testing.T) {
	st, _, fetch := demoApp(t)
	insertHostileCampaign(t, st)
	for _, lang := range []struct {
		param string
		sep   rune
	}{{"", ';'}, {"&lang=en", ','}} {
		rows := csvRows(t, fetch("/nyhetsbrev/utsendelser.csv?period=month&year=2022&month=6"+lang.param), lang.sep)
		titles := map[string]bool{}
		for _, row := range rows[1:] {
			titles[row[1]] = true
			for i, cell := range row {
				if i == 1 || i == 0 {
					continue
				}
				// Figures are plain numbers in the language's notation (a negative one escaped).
				if !regexp.MustCompile(`^'?-?[0-9]+([.,][0-9]+)?$|^$`).MatchString(cell) {
					t.Errorf("numeric cell %d is %q", i, cell)
				}
			}
		}
		for _, want := range []string{"<script>alert(1)</script>", `'=HYPERLINK("http://evil","x")`, "'+1+2", "'-3+4", "'@SUM(1)", "'\tTab", `Semi;colon "quoted"`} {
			if !titles[want] {
				t.Errorf("lang %q: CSV lacks the title %q; titles %v", lang.param, want, titles)
			}
		}
		for title := range titles {
			if title != "" && strings.ContainsRune("=+-@\t\r", rune(title[0])) {
				t.Errorf("a cell starts with %q: %q", title[0], title)
			}
		}
	}
	// The decimal mark follows the separator: 50,0 in bokmål, 50.0 in English.
	nb := fetch("/nyhetsbrev/utsendelser.csv?period=month&year=2022&month=6")
	en := fetch("/nyhetsbrev/utsendelser.csv?period=month&year=2022&month=6&lang=en")
	if !strings.Contains(nb.body, ";50,00;") || !strings.Contains(en.body, ",50.00,") {
		t.Error("rates are not written with the language's decimal mark")
	}
}

// The custom period's fields are text fields in the reader's notation (a date field follows the
// browser's locale, not the page's language): a bokmål reader types 01.07.2022, which the server
// reads as it reads the ISO days of every link, and the page shows the same period.
func TestCustomPeriodTakesBokmaalDates(t *testing.T) {
	_, _, fetch := demoApp(t)
	showing := func(body string) string {
		i := strings.Index(body, `<p class="showing">`)
		if i < 0 {
			t.Fatalf("no period line:\n%.300s", body)
		}
		return body[i : i+strings.Index(body[i:], "</p>")]
	}
	iso := fetch("/?period=custom&from=2022-07-05&to=2022-09-20")
	typed := fetch("/?period=custom&from=5.7.2022&to=+20.09.2022+")
	if iso.status != 200 || typed.status != 200 {
		t.Fatalf("status %d / %d", iso.status, typed.status)
	}
	if showing(iso.body) != showing(typed.body) {
		t.Errorf("typed dates show %q, ISO %q", showing(typed.body), showing(iso.body))
	}
	// A custom range is named by its days: they are said once.
	if got := showing(iso.body); strings.Count(got, "05.07.2022") != 1 {
		t.Errorf("the period line says the days %d times: %q", strings.Count(got, "05.07.2022"), got)
	}
	for _, want := range []string{`id="p-from" name="from" value="05.07.2022"`, `id="p-to" name="to" value="20.09.2022"`, `placeholder="dd.mm.åååå"`,
		"Datoer skrives dd.mm.åååå"} {
		if !strings.Contains(typed.body, want) {
			t.Errorf("bokmål picker lacks %q", want)
		}
	}
	if strings.Contains(typed.body, `type="date"`) {
		t.Error("the picker still has a date field, which Chromium writes as mm/dd/yyyy in an English browser")
	}
	// Every address the page writes keeps ISO days.
	if !strings.Contains(typed.body, "from=2022-07-05&amp;") || !strings.Contains(typed.body, "to=2022-09-20") || strings.Contains(typed.body, "from=05.07") {
		t.Error("links of the typed period are not in ISO days")
	}
	en := fetch("/?period=custom&from=2022-07-05&to=2022-09-20&lang=en")
	for _, want := range []string{`id="p-from" name="from" value="2022-07-05"`, `placeholder="yyyy-mm-dd"`} {
		if !strings.Contains(en.body, want) {
			t.Errorf("English picker lacks %q", want)
		}
	}
}

func TestBadPeriodParametersAre400(t *testing.T) {
	_, _, fetch := demoApp(t)
	for name, c := range map[string]struct{ target, want string }{
		"unknown period":     {"/?period=week", "«week» er ikke en periodetype."},
		"month out of range": {"/nettsted?period=month&year=2022&month=13", "«13» er ikke en gyldig måned."},
		"month missing":      {"/nettsted?period=month&year=2022", "«» er ikke en gyldig måned."},
		"quarter":            {"/sosiale-medier?period=quarter&year=2022&quarter=5", "«5» er ikke et gyldig kvartal."},
		"year":               {"/nyhetsbrev?period=year&year=20x2", "«20x2» er ikke et gyldig årstall."},
		"year without data":  {"/arrangementer?period=year&year=2015", "Det finnes ingen tall for 2015. År med tall: 2023, 2022, 2021."},
		"bad date":           {"/?period=custom&from=2022-13-01&to=2022-12-31", "Fra og med: «2022-13-01» er ikke en dato. Skriv den som dd.mm.åååå, for eksempel 01.07.2022."},
		"bad typed date":     {"/?period=custom&from=01.01.2022&to=31.02.2022", "Til og med: «31.02.2022» er ikke en dato. Skriv den som dd.mm.åååå"},
		"missing date":       {"/?period=custom&from=2022-01-01", "Til og med: «» er ikke en dato."},
		"bad date, English":  {"/?period=custom&from=2022/01/01&to=2022-12-31&lang=en", "From: “2022/01/01” is not a date. Write it as YYYY-MM-DD"},
		"backwards":          {"/?period=custom&from=2022-03-01&to=2022-02-01", "Perioden starter 2022-03-01, etter at den slutter 2022-02-01."},
		"too long":           {"/?period=custom&from=1990-01-01&to=2022-02-01", "En egendefinert periode kan være høyst 3700 dager lang."},
		"compare":            {"/?compare=lastweek", "«lastweek» er ikke et gyldig sammenligningsvalg."},
		"grain":              {"/nettsted?grain=hour", "«hour» er ikke en gyldig oppløsning."},
		"list":               {"/nyhetsbrev?list=%3Cx%3E", "Ukjent nyhetsbrevliste «&lt;x&gt;». Lister med tall: innomed-nyhetsbrev."},
		"account":            {"/arrangementer?account=nope", "Ukjent arrangementsregister «nope». Registre med tall: innomed."},
		"CSV too":            {"/nettsted/kanaler.csv?period=month&month=0", "«0» er ikke en gyldig måned."},
		"in English":         {"/?period=week&lang=en", "“week” is not a kind of period."},
	} {
		t.Run(name, func(t *testing.T) {
			r := fetch(c.target)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", r.status, r.body)
			}
			if !strings.Contains(r.body, c.want) {
				t.Errorf("body lacks %q:\n%s", c.want, r.body)
			}
		})
	}
}

func TestFreshnessStripShowsBrokenSourcesInRed(t *testing.T) {
	st, _, _ := demoApp(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	day := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC) }
	cols := []string{"run_id", "source", "mode", "window_from", "window_to", "started_at", "finished_at", "status",
		"rows_written", "error", "notes", "retry_at", "version"}
	older, fin := now.Add(-8*24*time.Hour), now.Add(-time.Hour)
	if err := st.Insert(ctx, "collector_runs", cols, [][]any{
		{"r1", "plausible", "incremental", day(now.AddDate(0, 0, -3)), day(now), now.Add(-2 * time.Hour), &fin, "ok", uint64(42), "", "", nil, store.NewVersion()},
		{"r2", "meta", "incremental", day(older), day(older), older, &older, "ok", uint64(3), "", "", nil, store.NewVersion()},
		{"r3", "meta", "incremental", day(now), day(now), now.Add(-time.Hour), &fin, "failed", uint64(0), "meta: <b>token</b> refused", "", nil, store.NewVersion()},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.SummarizeRuns(ctx); err != nil { // as the scheduler folds the runs it records
		t.Fatal(err)
	}
	expiry := now.Add(5 * 24 * time.Hour)
	if err := st.Insert(ctx, "credentials", []string{"credential", "expires_at", "refresh_expires_at", "checked_at", "source", "version"},
		[][]any{{"oauth_token", &expiry, nil, now, "plausible", store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "plausible", Type: "plausible"}, {ID: "meta", Type: "meta"}, {ID: "rss", Type: "rss"}}
	r := get(t, newApp(t, st, cfg), "/")
	strip := r.body[strings.Index(r.body, `<section class="freshness"`):]
	strip = strip[:strings.Index(strip, "</section>")]
	for _, want := range []string{
		`<li class="source state-broken">`, `<strong class="source-name">meta</strong> <span class="badge">Feil</span>`,
		"Siste kjøring feilet.", "Tallene er 3 dager eller mer på etterskudd.", "<code>meta: &lt;b&gt;token&lt;/b&gt; refused</code>",
		`<strong class="source-name">plausible</strong> <span class="badge">Advarsel</span>`, "Tilgangen utløper", "(om 5 dager)",
		"Tall til og med", "Siste vellykkede kjøring:",
		`<strong class="source-name">rss</strong> <span class="badge">Feil</span>`, "Kilden har aldri kjørt.",
	} {
		if !strings.Contains(strip, want) {
			t.Errorf("freshness strip lacks %q:\n%s", want, strip)
		}
	}
}

func TestEnglishPages(t *testing.T) {
	_, _, fetch := demoApp(t)
	r := fetch("/nettsted?period=year&year=2022&lang=en")
	// The language is kept by its cookie, the period by the links.
	for _, want := range []string{`<html lang="en">`, "<h1>Website</h1>", "Channels into the website", ">10,234<", ">46%<",
		"Showing 2022 (1 Jan 2022–31 Dec 2022).", `<a href="/sosiale-medier?period=year&amp;year=2022">Social media</a>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("English web page lacks %q", want)
		}
	}
}

func TestNavigationKeepsThePeriod(t *testing.T) {
	_, _, fetch := demoApp(t)
	r := fetch("/nyhetsbrev?period=quarter&year=2022&quarter=2&compare=year")
	nav := r.body[strings.Index(r.body, `<nav class="main-nav"`):]
	nav = nav[:strings.Index(nav, "</nav>")]
	for _, want := range []string{
		`<a href="/?compare=year&amp;period=quarter&amp;quarter=2&amp;year=2022">Oversikt</a>`,
		`<a href="/nyhetsbrev?compare=year&amp;period=quarter&amp;quarter=2&amp;year=2022" aria-current="page">Nyhetsbrev</a>`,
	} {
		if !strings.Contains(nav, want) {
			t.Errorf("nav lacks %s:\n%s", want, nav)
		}
	}
	// CSV links carry the resolved period.
	if !strings.Contains(r.body, `href="/nyhetsbrev/utsendelser.csv?compare=year&amp;period=quarter&amp;quarter=2&amp;year=2022" download`) {
		t.Error("CSV link does not carry the period")
	}
	// Every chart can be saved as PNG.
	if strings.Count(r.body, `"saveAsImage":{"show":true,"type":"png"`) < 3 {
		t.Error("charts lack the save-as-PNG toolbox")
	}
}

// The dashboard refuses to start with a target naming an unknown KPI.
func TestNewRefusesAnUnknownTargetKPI(t *testing.T) {
	cfg := testConfig()
	cfg.Targets = []config.Target{{KPI: "web.visitors", Year: 2023, Value: 1}}
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), `unknown KPI "web.visitors"`) {
			t.Errorf("New with an unknown KPI: panic %v", p)
		}
	}()
	New(Deps{Config: cfg, Log: quietLog()})
}

func TestTargetProgressOnTheOverview(t *testing.T) {
	st, _, _ := demoApp(t)
	cfg := testConfig()
	cfg.Targets = []config.Target{{KPI: "social.followers.linkedin", Year: 2022, Value: 1000}, {KPI: "web.visits", Year: 2022, Value: 40000}}
	r := get(t, newApp(t, st, cfg), "/?period=quarter&year=2022&quarter=2")
	// LinkedIn on 30 June 2022 against 1 000; visits 1 January – 30 June against 40 000, behind a steady pace.
	for _, want := range []string{"Mål 2022: 1 000 ·", "Mål 2022: 40 000 · 48 % nådd (jevn takt ville gitt 19 836 nå)"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
}

var inlineScripts = regexp.MustCompile(`(?s)<script nonce="[^"]*">(.*?)</script>`)

func TestOverviewListsUpcomingAndRecentEvents(t *testing.T) {
	st, _, _ := demoApp(t)
	soon := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	reg := uint32(40)
	if err := st.Insert(context.Background(), "events", []string{"account_id", "event_id", "kind", "title", "starts_at", "ends_at",
		"registered", "attended_on_site", "attended_digital", "deleted", "source", "version"},
		[][]any{{demo.AccountID, "future", "webinar", "Webinar: <b>neste uke</b>", soon, nil, &reg, nil, nil, uint8(0), "form", store.NewVersion()}}); err != nil {
		t.Fatal(err)
	}
	r := get(t, newApp(t, st, testConfig()), "/?period=month&year=2022&month=11")
	lists := r.body[strings.Index(r.body, `<section class="event-lists"`):]
	lists = lists[:strings.Index(lists, "</section>")]
	upcoming := lists[strings.Index(lists, "Kommende"):strings.Index(lists, "Siste i perioden")]
	if !strings.Contains(upcoming, "Webinar: &lt;b&gt;neste uke&lt;/b&gt;") || !strings.Contains(upcoming, "40 påmeldte") {
		t.Errorf("upcoming events: %s", upcoming)
	}
	// November 2022's events, newest first: the national meeting place of 7 November with 40 + 60.
	recent := lists[strings.Index(lists, "Siste i perioden"):]
	if !strings.Contains(recent, "07.11.2022") || !strings.Contains(recent, "100 deltok av 117 påmeldte") ||
		strings.Index(recent, "24.11.2022") > strings.Index(recent, "07.11.2022") {
		t.Errorf("recent events: %s", recent)
	}
}

func TestPagesOnAnEmptyDatabase(t *testing.T) {
	st := chtest.Open(t)
	app := newApp(t, st, testConfig())
	for _, target := range []string{"/", "/nettsted", "/sosiale-medier", "/nyhetsbrev", "/arrangementer", "/oversikt.csv", "/nyhetsbrev/utsendelser.csv"} {
		r := get(t, app, target)
		if r.status != http.StatusOK {
			t.Errorf("GET %s on an empty database: %d\n%s", target, r.status, r.body)
		}
		if strings.Contains(r.body, "<script") {
			t.Errorf("GET %s on an empty database draws a chart", target)
		}
	}
}
