package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// The testdata/published-*.json and tables-*.json files were written by the code before Figure
// and Cell shared their marks (report.Marks), from the stopped-source data set with the 2022
// history imported: a stored publication must read back whole, write back byte for byte (its
// checksum stays right), and today's code must write the same report the same way.
func TestStoredPublicationsReadAndWriteUnchanged(t *testing.T) {
	st := chtest.OpenStopped(t)
	importFile(t, st, "history", "history-2022.csv")
	importFile(t, st, "events", "events-2022.csv")
	b := builder(t, st)
	ctx := context.Background()
	annual, err := b.Annual(ctx, 2022)
	if err != nil {
		t.Fatal(err)
	}
	quarterly, err := b.Quarterly(ctx, 2023, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file    string
		today   any
		decoded any
	}{
		{"testdata/published-annual-2022.json", annual, &report.Annual{}},
		{"testdata/published-quarterly-2023-Q3.json", quarterly, &report.Quarterly{}},
		{"testdata/tables-annual-2022.json", annual.Tables(i18n.NB), &[]report.Table{}},
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
		now, err := json.Marshal(c.today)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, stored) {
			t.Errorf("%s: today's code writes it differently:\n%s", c.file, now)
		}
	}

	// The marks really were read, not dropped: the 2022 history has them.
	var a report.Annual
	stored, _ := os.ReadFile("testdata/published-annual-2022.json")
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
