package dashboard

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/importer"
	"github.com/innomed/rekkevidde/internal/store"
)

// importReportFixture loads the 2022 figures of the annual report the way an install without
// collectors would: the history CSV and the events CSV (internal/report/testdata).
func importReportFixture(t *testing.T, st *store.Store) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][2]string{{"history", "history-2022.csv"}, {"events", "events-2022.csv"}} {
		kind, ok := importer.Lookup(f[0])
		if !ok {
			t.Fatalf("no import kind %s", f[0])
		}
		file, err := os.Open("../internal/report/testdata/" + f[1])
		if err != nil {
			t.Fatal(err)
		}
		_, err = importer.Import(context.Background(), st, kind, file, importer.Options{AccountID: "innomed", Zone: loc})
		_ = file.Close()
		if err != nil {
			t.Fatalf("import %s: %v", f[1], err)
		}
	}
}

func TestAnnualReportPageShowsTheImportedFiguresMarked(t *testing.T) {
	st := chtest.Open(t)
	importReportFixture(t, st)
	app := newApp(t, st, testConfig())

	r := get(t, app, "/rapporter/ar/2022")
	if r.status != 200 {
		t.Fatalf("status %d: %.400s", r.status, r.body)
	}
	for _, want := range []string{
		"<h1>Kommunikasjon 2022</h1>",
		"<caption>Antall besøkende av nettsiden i 2022</caption>",
		">10 234<", ">8 001<", ">9 068<", ">7 157<", ">9 634<", ">7 435<", ">9 709<", ">8 059<",
		">46,0 %<", ">35,0 %<", ">13,0 %<", ">6,0 %<", ">nesten 80,0 %<", ">ca. 20,0 %<", ">15,0 %<", ">85,0 %<",
		"Mal for fremdriftsplan", "Søknadsskjema for prosessveiledning", "Om InnoMed",
		">616<", ">514<", ">501<", ">350<", ">295<", ">380<", ">133,0 %<", ">135,0 %<", ">314,0 %<", ">300<", ">250<", ">200<",
		">over 300<", ">drøyt 20,0 %<",
		"Nasjonal møteplass for DHO: oppfølging av gevinster ved DHO", ">40<", ">60<",
		`<th scope="col" class="num">Totalt besøkende 2022</th>`,
		"(importert)", "Importert: tall fra tidligere rapporter",
		// Every row says where its figures come from, as the downloads do.
		`<th scope="col">Kilde</th>`, ">importert: Årsrapport 2022, 2.4<",
		"131,6 %", // the computed growth beside the printed 133,0 %
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("annual page lacks %q", want)
		}
	}
	if strings.Count(r.body, `class="report-section"`) < 3 {
		t.Error("want the report in sections (pages when printed)")
	}
	if !strings.Contains(r.body, `<div id="report_visitors" class="chart" role="img" aria-label=`) {
		t.Error("no visitors chart")
	}
	for _, script := range strings.Split(r.body, "<script")[1:] {
		if !strings.Contains(strings.SplitN(script, ">", 2)[0], "nonce=") {
			t.Errorf("script without nonce: <script%.80s", script)
		}
	}
}

func TestReportDownloadsAndPrintCSS(t *testing.T) {
	st := chtest.Open(t)
	importReportFixture(t, st)
	app := newApp(t, st, testConfig())

	csv := get(t, app, "/rapporter/ar/2022/csv")
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.header.Get("Content-Disposition"), "arsrapport-2022-innomed.no.csv") {
		t.Fatalf("csv: %d %v", csv.status, csv.header)
	}
	for _, want := range []string{"Antall besøkende av nettsiden i 2022\r\n", "1. kvartal;10234;8001;;;importert: Årsrapport 2022, 2.4\r\n", "Organisk søk;46,0 %;;importert\r\n"} {
		if !strings.Contains(csv.body, want) {
			t.Errorf("csv lacks %q:\n%.600s", want, csv.body)
		}
	}
	xlsx := get(t, app, "/rapporter/ar/2022/xlsx")
	if xlsx.status != 200 || !strings.HasPrefix(xlsx.body, "PK") {
		t.Errorf("xlsx: %d, %.10q", xlsx.status, xlsx.body)
	}
	js := get(t, app, "/rapporter/ar/2022/json")
	var body struct {
		Report struct {
			Year     int `json:"year"`
			Visitors struct {
				Quarters []struct {
					Visits struct {
						Current struct{ Value float64 } `json:"current"`
					} `json:"visits"`
				} `json:"quarters"`
			} `json:"visitors"`
		} `json:"report"`
		Publication *struct{} `json:"publication"`
		Differences []any     `json:"differences"`
	}
	if err := json.Unmarshal([]byte(js.body), &body); err != nil || body.Report.Year != 2022 ||
		body.Report.Visitors.Quarters[0].Visits.Current.Value != 10234 || body.Publication != nil || body.Differences == nil {
		t.Errorf("json %v: %.300s", err, js.body)
	}
	q := get(t, app, "/rapporter/kvartal/2022-Q3")
	if q.status != 200 || !strings.Contains(q.body, ">9 634<") || !strings.Contains(q.body, ">7 435<") {
		t.Errorf("quarterly page: %d, lacks Q3 2022 visits 9 634 or unique 7 435", q.status)
	}
	for _, bad := range []string{"/rapporter/ar/22", "/rapporter/ar/2022-Q3", "/rapporter/kvartal/2022", "/rapporter/kvartal/2022-Q5", "/rapporter/ar/2022/doc"} {
		if r := get(t, app, bad); r.status != 400 {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
	if r := get(t, app, "/rapporter"); r.status != 200 || !strings.Contains(r.body, `href="/rapporter/kvartal/2022-Q3"`) {
		t.Errorf("index: %d", r.status)
	}

	page := get(t, app, "/rapporter/ar/2022")
	css := get(t, app, between(page.body, `<link rel="stylesheet" href="`, `"`))
	if css.status != 200 {
		t.Fatalf("stylesheet: %d", css.status)
	}
	print := css.body[strings.Index(css.body, "reports (dashboard/pages/reports.go"):]
	for _, want := range []string{"@page { size: A4", "@media print", ".site-header", "form", ".chart, .chart-side, .report-chart .chart { width: 180mm", "break-inside: avoid"} {
		if !strings.Contains(print, want) {
			t.Errorf("print CSS lacks %q", want)
		}
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	return s[:strings.Index(s, end)]
}

// On the demo data every collected row's Kilde names the source that wrote its rows ("demo"), on
// the page and in the downloads alike (internal/report's TestEveryRowNamesItsSource covers mixed
// and imported rows).
func TestReportRowsNameTheirSource(t *testing.T) {
	_, _, fetch := demoApp(t)
	for _, path := range []string{"/rapporter/ar/2022", "/rapporter/kvartal/2022-Q3"} {
		page := fetch(path)
		if page.status != 200 || !strings.Contains(page.body, `<th scope="col">Kilde</th>`) || !strings.Contains(page.body, ">demo<") {
			t.Errorf("%s: %d, lacks the Kilde column or a row naming demo", path, page.status)
		}
		csv := fetch(path + "/csv")
		if csv.status != 200 || !strings.Contains(csv.body, ";Kilde\r\n") || !strings.Contains(csv.body, ";demo\r\n") {
			t.Errorf("%s/csv: %d, lacks Kilde or demo:\n%.500s", path, csv.status, csv.body)
		}
	}
}
