package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/innomed/rekkevidde/internal/report"
)

// The testdata/published-*.json and tables-*.json files were written by the code before Figure
// and Cell shared their marks (report.Marks), from the stopped-source data set with the 2022
// history imported: a stored publication must read back whole and write back byte for byte (its
// checksum stays right).
func TestStoredPublicationsReadAndWriteUnchanged(t *testing.T) {
	for _, c := range []struct {
		file    string
		decoded any
	}{
		{"testdata/published-annual-2022.json", &report.Annual{}},
		{"testdata/published-quarterly-2023-Q3.json", &report.Quarterly{}},
		{"testdata/tables-annual-2022.json", &[]report.Table{}},
	} {
		stored, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(stored, c.decoded); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		again, err := json.Marshal(c.decoded)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, stored) {
			t.Errorf("%s: read and written again, it differs:\n%s", c.file, again)
		}
	}

	// The marks really were read, not dropped: the 2022 history has them.
	var a report.Annual
	stored, err := os.ReadFile("testdata/published-annual-2022.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stored, &a); err != nil {
		t.Fatal(err)
	}
	dev := a.Devices[0].Current
	if dev.Origin != report.Imported || dev.Qualifier != report.QualifierNearly || dev.Source == "" || dev.Value == nil {
		t.Errorf("desktop share read back as %+v: want an imported, qualified value with its source", dev)
	}
	computed := false
	for _, p := range a.Social {
		computed = computed || p.Growth.Current.Computed != nil
	}
	if !computed {
		t.Error("no growth read back with its computed value beside the printed one")
	}
}

// Every field, set: Figure and Cell write what the structs before Marks wrote (copied here as they
// were), key for key and in the same order, so publications written before and after are alike.
func TestFigureAndCellJSONAsBeforeMarks(t *testing.T) {
	v, c := 0.5, 0.25
	type oldFigure struct {
		Value      *float64      `json:"value"`
		Origin     report.Origin `json:"origin,omitempty"`
		Partial    bool          `json:"partial,omitempty"`
		Qualifier  string        `json:"qualifier,omitempty"`
		Computed   *float64      `json:"computed,omitempty"`
		MeasuredOn string        `json:"measured_on,omitempty"`
		Source     string        `json:"source,omitempty"`
	}
	type oldCell struct {
		Key        string        `json:"key"`
		Unit       report.Unit   `json:"unit"`
		Value      *float64      `json:"value,omitempty"`
		Text       string        `json:"text,omitempty"`
		Origin     report.Origin `json:"origin,omitempty"`
		Partial    bool          `json:"partial,omitempty"`
		Qualifier  string        `json:"qualifier,omitempty"`
		Computed   *float64      `json:"computed,omitempty"`
		MeasuredOn string        `json:"measured_on,omitempty"`
		Source     string        `json:"source,omitempty"`
		Today      *oldCell      `json:"today,omitempty"`
	}
	marks := report.Marks{Origin: report.Imported, Partial: true, Qualifier: report.QualifierNearly, Computed: &c,
		MeasuredOn: "2023-05-20", Source: "Årsrapport 2022"}
	was := oldFigure{Value: &v, Origin: marks.Origin, Partial: true, Qualifier: marks.Qualifier, Computed: &c,
		MeasuredOn: marks.MeasuredOn, Source: marks.Source}
	wasCell := oldCell{Key: "k", Unit: report.UnitShare, Value: &v, Text: "t", Origin: marks.Origin, Partial: true,
		Qualifier: marks.Qualifier, Computed: &c, MeasuredOn: marks.MeasuredOn, Source: marks.Source,
		Today: &oldCell{Key: "k", Unit: report.UnitShare}}
	for _, pair := range [][2]any{
		{was, report.Figure{Value: &v, Marks: marks}},
		{oldFigure{}, report.Figure{}},
		{wasCell, report.Cell{Key: "k", Unit: report.UnitShare, Value: &v, Text: "t", Marks: marks,
			Today: &report.Cell{Key: "k", Unit: report.UnitShare}}},
	} {
		old, err := json.Marshal(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		now, err := json.Marshal(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, now) {
			t.Errorf("JSON changed:\nbefore %s\nnow    %s", old, now)
		}
	}
}
