package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/importer"
	"github.com/innomed/rekkevidde/internal/report"
)

// The Kilde/Source column names, for every row, where its figures come from: the source that wrote
// the collected rows (here the demo loader, "demo") and the import an imported figure was taken
// from; the same text on the page (Tables), in the CSV and the XLSX, and per figure in the JSON.
func TestEveryRowNamesItsSource(t *testing.T) {
	st := loadDemo(t)
	ctx := context.Background()
	k, _ := importer.Lookup("history")
	file := "kpi;period;scope;item;value;text;qualifier;note\n" +
		"web.visits;2020-Q1;;;7 100;;;Årsrapport 2020, 2.4\n" +
		"web.unique_visitors;2020-Q1;;;5 900;;;Årsrapport 2020, 2.4\n"
	if _, err := importer.Import(ctx, st, k, strings.NewReader(file), importer.Options{Zone: chtest.Oslo(t)}); err != nil {
		t.Fatal(err)
	}
	b := builder(t, st)
	a, err := b.Annual(ctx, 2021)
	if err != nil {
		t.Fatal(err)
	}
	q1 := a.Visitors.Quarters[0]
	if q1.Visits.Current.Source != "demo" || q1.Unique.Current.Source != "demo" {
		t.Errorf("collected Q1 2021: sources %q and %q, want demo", q1.Visits.Current.Source, q1.Unique.Current.Source)
	}
	if p := q1.Visits.Previous; p.Origin != report.Imported || p.Source != "Årsrapport 2020, 2.4" || value(t, "Q1 2020", p) != 7100 {
		t.Errorf("imported Q1 2020: %+v", p)
	}

	const mixed = "demo; importert i Totalt besøkende 2020, Unike besøkende 2020: Årsrapport 2020, 2.4"
	tables := a.Tables(i18n.NB)
	notes := map[string]string{}
	known := map[string]bool{}
	for _, tb := range tables {
		for _, r := range tb.Rows {
			notes[tb.ID+"/"+r.Key] = report.SourceNote(i18n.NB, tb, r)
			for _, c := range r.Cells {
				known[tb.ID+"/"+r.Key] = known[tb.ID+"/"+r.Key] || c.Value != nil
			}
		}
	}
	for key, want := range map[string]string{
		"visitors/q1":             mixed,
		"visitors/q2":             "demo", // 2020 unknown: only the collected 2021 figures
		"channels/organic_search": "demo",
		"social/followers":        "demo",
		"newsletter/click_rate":   "demo",
	} {
		if notes[key] != want {
			t.Errorf("Kilde of %s = %q, want %q", key, notes[key], want)
		}
	}
	for key, note := range notes {
		if note == "" && known[key] {
			t.Errorf("row %s has an empty Kilde", key)
		}
	}

	var csv bytes.Buffer
	if err := report.WriteCSV(&csv, i18n.NB, tables); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "1. kvartal;") || !strings.Contains(csv.String(), `;"`+mixed+"\"\r\n") {
		t.Errorf("CSV lacks the mixed Kilde:\n%.800s", csv.String())
	}
	f := openXLSX(t, i18n.NB, tables)
	sheet := f.GetSheetName(0)
	head, _ := f.GetCellValue(sheet, "F2")
	cell, _ := f.GetCellValue(sheet, "F3")
	if head != "Kilde" || cell != mixed {
		t.Errorf("XLSX %s F2/F3 = %q / %q, want Kilde / %q", sheet, head, cell, mixed)
	}
	body, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"source":"demo"`) || !strings.Contains(string(body), `"source":"Årsrapport 2020, 2.4"`) {
		t.Errorf("JSON figures lack their sources: %.400s", body)
	}

	qr, err := b.Quarterly(ctx, 2022, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range qr.Tables(i18n.EN) {
		for _, r := range tb.Rows {
			// The source first; a level last measured before its quarter's end says so after it.
			if note := report.SourceNote(i18n.EN, tb, r); tb.ID == "kpis" && note != "demo" && !strings.HasPrefix(note, "demo; ") {
				t.Errorf("quarterly %s: Source %q, want demo first", r.Key, note)
			}
		}
	}
}
