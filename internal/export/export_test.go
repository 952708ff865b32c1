package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"Forside":                "Forside",
		"=HYPERLINK(\"x\")":      "'=HYPERLINK(\"x\")",
		"+1+2":                   "'+1+2",
		"-3+4":                   "'-3+4",
		"@SUM(1)":                "'@SUM(1)",
		"\tTab":                  "'\tTab",
		"\rCR":                   "'\rCR",
		"a=b":                    "a=b",
		"'=already escaped":      "'=already escaped",
		"Mal for fremdriftsplan": "Mal for fremdriftsplan",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
		if got := Cell(Cell(in)); got != want {
			t.Errorf("Cell twice on %q = %q, want %q", in, got, want)
		}
	}
}

func TestNewCSVPerLanguage(t *testing.T) {
	for _, c := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.NB, BOM + "Tittel;Andel\r\n\"a;b\";46,2\r\n"},
		{i18n.EN, BOM + "Title,Share\r\n\"a,b\",46.2\r\n"},
	} {
		var out bytes.Buffer
		w, err := NewCSV(&out, c.lang)
		if err != nil {
			t.Fatal(err)
		}
		head := []string{"Tittel", "Andel"}
		if c.lang == i18n.EN {
			head = []string{"Title", "Share"}
		}
		_ = w.Write(head)
		_ = w.Write([]string{"a" + string(Comma(c.lang)) + "b", "46" + Decimal(c.lang) + "2"})
		w.Flush()
		if out.String() != c.want {
			t.Errorf("%s: %q, want %q", c.lang, out.String(), c.want)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), BOM)))
		r.Comma = Comma(c.lang)
		if recs, err := r.ReadAll(); err != nil || len(recs) != 2 || len(recs[1]) != 2 {
			t.Errorf("%s: read back %q, %v", c.lang, recs, err)
		}
	}
}

func TestFileName(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"kvartalsrapport", "2023-Q1", "innomed.no"}, "kvartalsrapport-2023-q1-innomed.no.csv"},
		{[]string{"quarterly-report", "2023-Q1", "Inno Med/x"}, "quarterly-report-2023-q1-inno-med-x.csv"},
		{[]string{"nettsted", "kanaler", "2022-q3"}, "nettsted-kanaler-2022-q3.csv"},
	} {
		if got := FileName("csv", c.parts...); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
}
