package report

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/innomed/rekkevidde/internal/query"
)

// Every sheet name fits Excel's 31 characters, keeps the table's year and does not end on a small
// joining word.
func TestSheetNamesKeepTheYear(t *testing.T) {
	used := map[string]bool{}
	for title, want := range map[string]string{
		"Kanaler for inngang til nettsiden i 2022":      "Kanaler for inngang 2022",
		"Entry channels to the website in 2022":         "Entry channels 2022",
		"Antall besøkende av nettsiden i 2022":          "Antall besøkende 2022",
		"Nye og tilbakevendende besøkende i 2022":       "Nye og tilbakevendende 2022",
		"Nøkkeltall for 3. kvartal 2022":                "Nøkkeltall for 3. kvartal 2022",
		"Endringer siden publisering":                   "Endringer siden publisering",
		"Arrangementsdeltakelsesoversiktstabellen 2022": "Arrangementsdeltakelsesove 2022",
	} {
		got := sheetName(title, used)
		if got != want {
			t.Errorf("sheetName(%q) = %q, want %q", title, got, want)
		}
		if utf8.RuneCountInString(got) > 31 {
			t.Errorf("sheetName(%q) = %q is longer than 31", title, got)
		}
	}
	// A second table of the same shortened name stays unique and keeps its year.
	again := sheetName("Kanaler for inngang til nettsiden i 2022", used)
	if again != "Kanaler for inngang 2022 (2)" || utf8.RuneCountInString(again) > 31 {
		t.Errorf("second sheet = %q", again)
	}
}

// The report JSON (API and stored publications) uses snake_case keys all through, the sector lists
// included.
func TestReportJSONKeysAreSnakeCase(t *testing.T) {
	a := Annual{Year: 2022}
	a.Events.Items = []Event{{ID: "e1", Sectors: []query.SectorAttendance{{Sector: "hospital", Registered: 3, Attended: 2}}}}
	a.Events.BySector = []SectorTotal{{Sector: "hospital", Registered: 3, Attended: 2, Events: 1}}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if strings.IndexFunc(k, unicode.IsUpper) >= 0 {
					t.Errorf("key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"[]", c)
			}
		}
	}
	walk("annual", doc)
	if !strings.Contains(string(b), `"sectors":[{"sector":"hospital","registered":3,"attended":2}]`) {
		t.Errorf("sector list not written as expected: %s", b)
	}
}
