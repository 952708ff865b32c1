package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

func TestSafeCell(t *testing.T) {
	cases := map[string]string{
		"":                        "",
		"10234":                   "10234",
		"46 %":                    "46 %",
		"=HYPERLINK(\"x\")":       "'=HYPERLINK(\"x\")",
		"+47 22 00 00 00":         "'+47 22 00 00 00",
		"-12":                     "'-12",
		"@SUM(A1:A2)":             "'@SUM(A1:A2)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"'=already escaped":       "'=already escaped",
		"Mal for fremdriftsplan":  "Mal for fremdriftsplan",
		"a=1":                     "a=1",
		"−12 (U+2212, not ASCII)": "−12 (U+2212, not ASCII)",
	}
	for in, want := range cases {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
		if got := SafeCell(SafeCell(in)); got != want {
			t.Errorf("SafeCell twice on %q = %q, want %q", in, got, want)
		}
	}
}

func TestSafeCSVEscapesEveryCellAndKeepsTheRest(t *testing.T) {
	in := "\ufeffTitle\nKey;Value;Note\n\"=cmd|' /C calc'!A0\";-5;\"line one\nline two; with separator\"\n\nshort\n"
	var out bytes.Buffer
	if err := SafeCSV(&out, []byte(in), ';'); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "\ufeff") {
		t.Fatalf("byte-order mark lost: %q", out.String())
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\ufeff")))
	r.Comma, r.FieldsPerRecord = ';', -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Title"}, {"Key", "Value", "Note"}, {"'=cmd|' /C calc'!A0", "'-5", "line one\nline two; with separator"}, {"short"}}
	if len(recs) != len(want) {
		t.Fatalf("records %q, want %q", recs, want)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
	assertSafe(t, out.Bytes(), ';')
}

func TestReportCSVOfAViewIsSafe(t *testing.T) {
	v := report.View{Kind: report.KindQuarterly, Period: "2023-Q1", Today: fakeDoc{}}
	var out bytes.Buffer
	if err := ReportCSV(&out, i18n.NB, v); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "'=1+1") || !strings.Contains(s, "'-3") || !strings.Contains(s, "Mal for fremdriftsplan") {
		t.Fatalf("csv:\n%s", s)
	}
	assertSafe(t, out.Bytes(), ';')
	if got := FileName(i18n.NB, v, "innomed.no"); got != "kvartalsrapport-2023-q1-innomed.no.csv" {
		t.Errorf("file name %q", got)
	}
	if got := FileName(i18n.EN, v, "Inno Med/x"); got != "quarterly-report-2023-q1-inno-med-x.csv" {
		t.Errorf("file name %q", got)
	}
}

// fakeDoc is a report with the kinds of cells that need escaping: text that looks like a formula
// (a page title anyone can set in the CMS) and a negative number.
type fakeDoc struct{}

func (fakeDoc) Tables(lang i18n.Lang) []report.Table {
	minus3 := -3.0
	return []report.Table{{ID: "t", Title: "Sider", Columns: []report.Column{{Label: "Side"}, {Label: "Tittel"}, {Label: "Endring", Numeric: true}},
		Rows: []report.Row{
			{Key: "a", Header: "1", Cells: []report.Cell{{Key: "a/t", Unit: report.UnitText, Text: "=1+1"}, {Key: "a/c", Unit: report.UnitCount, Value: &minus3}}},
			{Key: "b", Header: "2", Cells: []report.Cell{{Key: "b/t", Unit: report.UnitText, Text: "Mal for fremdriftsplan"}, {Key: "b/c", Unit: report.UnitCount}}},
		}}}
}

// assertSafe fails when any cell of a CSV starts with a formula character.
func assertSafe(t *testing.T, data []byte, comma rune) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma, r.FieldsPerRecord = comma, -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("unsafe cell %q", cell)
			}
		}
	}
}
