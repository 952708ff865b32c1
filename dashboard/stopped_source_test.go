package dashboard

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// The annual and quarterly report pages and their CSV, XLSX and JSON say when a level was last
// measured, and show no level for a quarter after the source stopped.
func TestReportsSayWhenALevelWasLastMeasured(t *testing.T) {
	st := chtest.OpenStopped(t)
	app := newApp(t, st, testConfig())

	page := get(t, app, "/rapporter/ar/2023")
	if page.status != 200 {
		t.Fatalf("status %d: %.400s", page.status, page.body)
	}
	// Facebook's count of 20 May 2023 (1000 + 504 days) and the subscribers' (2000 + 504).
	for _, want := range []string{`>1 504<span class="measured">sist målt 20.05.2023</span>`, `>2 504<span class="measured">sist målt 20.05.2023</span>`, "«Sist målt»"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("annual page lacks %q", want)
		}
	}
	// The page shows the day under the value, so its Kilde column names the source only.
	if strings.Contains(page.body, "Facebook 2023: sist målt") {
		t.Error("annual page's Kilde column repeats the day the value shows")
	}
	if en := get(t, app, "/rapporter/ar/2023?lang=en"); !strings.Contains(en.body, `<span class="measured">last measured 20 May 2023</span>`) {
		t.Error("English annual page lacks «last measured 20 May 2023»")
	}

	csv := get(t, app, "/rapporter/ar/2023/csv")
	if !strings.Contains(csv.body, "Facebook 2023: sist målt 20.05.2023") || strings.Contains(csv.body, "LinkedIn 2023: sist målt") {
		t.Errorf("annual CSV's Source column:\n%s", csv.body)
	}

	x := get(t, app, "/rapporter/ar/2023/xlsx")
	f, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	found := false
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			found = found || (len(r) > 0 && strings.Contains(r[len(r)-1], "Facebook 2023: sist målt 20.05.2023"))
		}
	}
	if !found {
		t.Error("no XLSX Source cell names Facebook 2023's last measurement")
	}

	var doc struct {
		Report struct {
			Social []struct {
				Platform  string
				Followers struct {
					Current struct {
						Value      *float64
						MeasuredOn string `json:"measured_on"`
					}
				}
			}
		}
	}
	js := get(t, app, "/rapporter/ar/2023/json")
	if err := json.Unmarshal([]byte(js.body), &doc); err != nil {
		t.Fatalf("json: %v\n%.300s", err, js.body)
	}
	for _, p := range doc.Report.Social {
		if p.Platform == "facebook" && (p.Followers.Current.MeasuredOn != "2023-05-20" || p.Followers.Current.Value == nil || *p.Followers.Current.Value != 1504) {
			t.Errorf("JSON Facebook followers %+v", p.Followers.Current)
		}
	}

	// Q3 2023: no Facebook count, not the May count carried forward.
	q := get(t, app, "/rapporter/kvartal/2023-Q3")
	row := regexp.MustCompile(`(?s)<th scope="row">[^<]*Facebook[^<]*</th>(.*?)</tr>`).FindAllStringSubmatch(q.body, -1)
	if len(row) == 0 {
		t.Fatalf("no Facebook row on the quarterly page:\n%s", q.body)
	}
	for _, r := range row {
		cells := regexp.MustCompile(`<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(r[1], -1)
		if len(cells) < 2 || !strings.HasPrefix(cells[0][1], "–") {
			t.Errorf("Q3 2023 Facebook row shows a value: %s", r[1])
		}
	}
	if !strings.Contains(q.body, `<span class="measured">sist målt 20.05.2023</span>`) {
		t.Error("the quarterly page does not say when Q2's Facebook count was measured")
	}
}

// The social page: months after the last measurement are gaps (no new followers, no bar at 0),
// the month of the last measurement says so, and the growth table's end count too.
func TestSocialPageLeavesMonthsAfterTheLastMeasurementEmpty(t *testing.T) {
	st := chtest.OpenStopped(t)
	app := newApp(t, st, testConfig())
	r := get(t, app, "/sosiale-medier?period=year&year=2023")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	rows := csvRows(t, get(t, app, "/sosiale-medier/nye-folgere.csv?period=year&year=2023"), ';')
	col := -1
	for i, h := range rows[0] {
		if h == "Facebook" {
			col = i
		}
	}
	if col < 0 || len(rows) != 13 {
		t.Fatalf("nye-folgere.csv: %q", rows)
	}
	for m, row := range rows[1:] {
		if m < 5 && row[col] == "" {
			t.Errorf("%s: no Facebook new followers before the source stopped", row[0])
		}
		if m >= 5 && row[col] != "" {
			t.Errorf("%s: Facebook new followers %q after the source stopped, want none", row[0], row[col])
		}
	}
	nf := figureHTML(r.body, "nye-folgere")
	if !strings.Contains(nf, "(sist målt 20.05.2023)") {
		t.Errorf("new followers table does not say May was last measured on 20 May:\n%s", nf)
	}
	bars := regexp.MustCompile(`(?s)"name":"Facebook","type":"bar".*?"data":\[(.*?)\]`).FindStringSubmatch(r.body)
	if bars == nil || strings.Count(bars[1], `{"value":"-"}`) != 7 {
		t.Errorf("Facebook's new-follower bars should be empty June–December: %v", bars)
	}
	if g := figureHTML(r.body, "vekst"); !strings.Contains(g, `1 504 <span class="cell-note">(sist målt 20.05.2023)</span>`) {
		t.Errorf("growth table lacks the end count's day:\n%s", g)
	}
	// 2024: nothing measured, so no count, no growth, no new followers for Facebook.
	r = get(t, app, "/sosiale-medier?period=custom&from=2024-01-01&to=2024-12-31")
	if g := figureHTML(r.body, "vekst"); r.status != 200 || !strings.Contains(g, `<p class="empty">`) || strings.Contains(g, "1 504") {
		t.Errorf("2024 growth: %d, want no figures rather than the old count carried forward:\n%s", r.status, g)
	}
	rows = csvRows(t, get(t, app, "/sosiale-medier/vekst.csv?period=custom&from=2024-01-01&to=2024-12-31"), ';')
	for _, row := range rows[1:] {
		if row[0] == "Facebook" && (row[2] != "" || row[3] != "" || row[4] != "") {
			t.Errorf("2024 Facebook growth row %q: want no end count, new followers or growth", row)
		}
	}
}

// The API's series and reports carry measured_on for a level measured before a bucket's or
// period's end, and no value after the last measurement.
func TestAPIExposesWhenALevelWasLastMeasured(t *testing.T) {
	st := chtest.OpenStopped(t)
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)

	var series struct {
		Series []struct {
			KPI    string
			Points []struct {
				Start      string
				Value      *float64
				MeasuredOn *string `json:"measured_on"`
			}
		}
	}
	r := apiGet(t, app, "/api/v1/kpis?from=2023-01-01&to=2023-12-31&granularity=quarter&kpi=social.followers.facebook,social.new_followers.facebook,newsletter.subscribers,social.followers.linkedin", token)
	if r.status != 200 || json.Unmarshal([]byte(r.body), &series) != nil {
		t.Fatalf("kpis: %d %.300s", r.status, r.body)
	}
	if len(series.Series) != 4 {
		t.Fatalf("series %+v", series.Series)
	}
	for _, s := range series.Series {
		for i, p := range s.Points {
			switch {
			case s.KPI == "social.followers.linkedin" || i == 0:
				if p.Value == nil || p.MeasuredOn != nil {
					t.Errorf("%s %s: value %v measured_on %v, want a value measured on the quarter's end", s.KPI, p.Start, p.Value, p.MeasuredOn)
				}
			case i == 1:
				if p.Value == nil || p.MeasuredOn == nil || *p.MeasuredOn != "2023-05-20" {
					t.Errorf("%s %s: value %v measured_on %v, want measured_on 2023-05-20", s.KPI, p.Start, p.Value, p.MeasuredOn)
				}
			default:
				if p.Value != nil || p.MeasuredOn != nil {
					t.Errorf("%s %s: value %v measured_on %v after the source stopped, want null", s.KPI, p.Start, p.Value, p.MeasuredOn)
				}
			}
		}
	}
	if !strings.Contains(r.body, `"measured_on": "2023-05-20"`) || strings.Contains(r.body, `"measured_on": ""`) {
		t.Errorf("measured_on is not an ISO date omitted when empty:\n%.600s", r.body)
	}
	csv := apiGet(t, app, "/api/v1/kpis?from=2023-04-01&to=2023-06-30&granularity=quarter&kpi=social.followers.facebook", token, "Accept", "text/csv")
	if !strings.Contains(csv.body, "social.followers.facebook,facebook,,2023-04-01,2023-06-30,true,1504,2023-05-20,false\r\n") {
		t.Errorf("kpis CSV:\n%s", csv.body)
	}

	var annual struct {
		Report struct {
			Newsletter struct {
				Subscribers struct {
					Current struct {
						Value      *float64
						MeasuredOn string `json:"measured_on"`
					}
				}
			}
		}
	}
	r = apiGet(t, app, "/api/v1/reports/annual/2023", token)
	if r.status != 200 || json.Unmarshal([]byte(r.body), &annual) != nil {
		t.Fatalf("annual 2023: %d %.300s", r.status, r.body)
	}
	if s := annual.Report.Newsletter.Subscribers.Current; s.Value == nil || *s.Value != 2504 || s.MeasuredOn != "2023-05-20" {
		t.Errorf("API annual 2023 subscribers %+v, want 2504 measured 2023-05-20", s)
	}
}

// A source that stopped delivering is flagged on the overview, even with no collector run on
// record (imports, a collector whose runs still succeed but bring nothing): the figure, its last
// measurement and how long it has been silent. A level measured to the span's end is not flagged.
func TestOverviewFlagsALevelWhoseSourceStoppedDelivering(t *testing.T) {
	st := chtest.OpenStopped(t)
	app := newApp(t, st, testConfig())
	silent := func(body string) string {
		i := strings.Index(body, `<ul class="silent">`)
		if i < 0 {
			return ""
		}
		return body[i : i+strings.Index(body[i:], "</ul>")]
	}
	r := get(t, app, "/?period=year&year=2023")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	s := silent(r.body)
	// 20 May to 31 December 2023 is 225 days.
	for _, want := range []string{"Følgere på Facebook: sist målt 20.05.2023, ingen måling på 225 dager.", "Abonnenter på nyhetsbrevet: sist målt 20.05.2023, ingen måling på 225 dager."} {
		if !strings.Contains(s, want) {
			t.Errorf("overview 2023 lacks %q in its notice:\n%s", want, s)
		}
	}
	if strings.Contains(s, "LinkedIn") {
		t.Errorf("LinkedIn, measured to 31.12.2023, is flagged:\n%s", s)
	}
	if en := silent(get(t, app, "/?lang=en&period=year&year=2023").body); !strings.Contains(en, "Followers on Facebook: last measured "+kit.ShortDate(i18n.EN, chtest.StoppedOn())+", no measurement for 225 days") {
		t.Errorf("English notice:\n%s", en)
	}
	// The all-KPIs table of 2024 marks the previous year's Facebook count with its day and shows
	// none for 2024.
	r = get(t, app, "/?period=custom&from=2024-01-01&to=2024-12-31")
	if !strings.Contains(r.body, `1 504 <span class="cell-note">(sist målt 20.05.2023)</span>`) {
		t.Error("overview 2024: the previous year's Facebook count lacks (sist målt 20.05.2023)")
	}
	if s := silent(r.body); !strings.Contains(s, "Følgere på Facebook: sist målt 20.05.2023, ingen måling på 591 dager.") {
		t.Errorf("overview 2024 notice:\n%s", s)
	}
	// Before the stop nothing is flagged.
	if s := silent(get(t, app, "/?period=year&year=2022").body); s != "" {
		t.Errorf("overview 2022 flags a source:\n%s", s)
	}
}

// The silence threshold follows the source's schedule: a level 5 days behind is silent for a
// source collected every 6 hours (the default, so 3 days) but not for one collected weekly
// (twice its interval, 14 days); a level with no configured source (imports) keeps 3 days.
func TestOverviewSilenceFollowsTheSourcesInterval(t *testing.T) {
	st := chtest.OpenStopped(t)
	silent := func(app *fiber.App) string {
		// The stopped levels were last measured on 20 May 2023; the span ends 5 days later.
		body := get(t, app, "/?period=custom&from=2023-05-01&to=2023-05-25").body
		i := strings.Index(body, `<ul class="silent">`)
		if i < 0 {
			return ""
		}
		return body[i : i+strings.Index(body[i:], "</ul>")]
	}
	facebook := "Følgere på Facebook: sist målt 20.05.2023, ingen måling på 5 dager."
	subscribers := "Abonnenter på nyhetsbrevet: sist målt 20.05.2023, ingen måling på 5 dager."

	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "fb", Type: "facebook"}}
	s := silent(newApp(t, st, cfg))
	for _, want := range []string{facebook, subscribers} {
		if !strings.Contains(s, want) {
			t.Errorf("default interval: notice lacks %q:\n%s", want, s)
		}
	}

	cfg.Sources = []config.Source{{ID: "fb", Type: "facebook", Interval: 7 * 24 * time.Hour}}
	s = silent(newApp(t, st, cfg))
	if strings.Contains(s, "Facebook") {
		t.Errorf("a weekly Facebook source 5 days behind is flagged:\n%s", s)
	}
	if !strings.Contains(s, subscribers) {
		t.Errorf("subscribers (no configured source) 5 days behind are not flagged:\n%s", s)
	}
}
