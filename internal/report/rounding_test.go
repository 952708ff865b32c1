package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// A rate's change is taken between the rates as shown, so the row adds up: 20,4 % against
// 16,8 % is +3,6 points, although the unrounded difference (3,65) would round to 3,7.
func TestRateChangeAddsUpFromTheShownValues(t *testing.T) {
	d := metrics.MustLookup(metrics.NewsletterClickRate)
	k := KPI{Name: string(d.Name), Shape: d.Shape}
	k.Current = Figure{Value: f64(0.2043)}
	k.Previous = Figure{Value: f64(0.1678)}
	k.ChangePrevious = change(d, k.Current, k.Previous)
	if k.ChangePrevious == nil {
		t.Fatal("no change between two known rates")
	}
	cells := []Cell{figureCell("c", UnitShare, k.Current), figureCell("p", UnitShare, k.Previous), changeCell("d", k, k.ChangePrevious)}
	for _, c := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.NB, []string{"20,4 %", "16,8 %", "+3,6 prosentpoeng"}},
		{i18n.EN, []string{"20.4%", "16.8%", "+3.6 percentage points"}},
	} {
		for i, cell := range cells {
			if got := cell.Format(c.lang); got != c.want[i] {
				t.Errorf("%s cell %s = %q, want %q", c.lang, cell.Key, got, c.want[i])
			}
		}
	}
	s := moveSentence(i18n.NB, k, "forrige kvartal")
	if !strings.Contains(s, "3,6 prosentpoeng") || !strings.Contains(s, "fra 16,8 % til 20,4 %") {
		t.Errorf("summary sentence %q does not carry the shown values", s)
	}
	// A fall is written with the minus sign and one decimal.
	down := changeCell("d", k, change(d, k.Previous, k.Current))
	if got := down.Format(i18n.NB); got != "−3,6 prosentpoeng" {
		t.Errorf("fall = %q", got)
	}
}

// The CSV has no display format, so its numbers are rounded as the report shows them; the XLSX
// keeps full precision in the cell and rounds only in its number format.
func TestExportsRoundRatesAsShown(t *testing.T) {
	tables := []Table{{ID: "t", Title: "T", Columns: []Column{{Label: "A"}, {Label: "rate", Numeric: true}, {Label: "change", Numeric: true}, {Label: "points", Numeric: true}, {Label: "count", Numeric: true}}, Rows: []Row{{
		Key: "r", Header: "r", Cells: []Cell{
			{Key: "rate", Unit: UnitShare, Value: f64(0.460008), Marks: Marks{Origin: Collected}},
			{Key: "change", Unit: UnitChange, Value: f64(0.12345), Marks: Marks{Origin: Collected}},
			{Key: "points", Unit: UnitPoints, Value: f64(3.6), Marks: Marks{Origin: Collected}},
			{Key: "count", Unit: UnitCount, Value: f64(10234), Marks: Marks{Origin: Collected}},
		},
	}}}}
	for _, c := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.NB, "r;46,0 %;12 %;3,6;10234;"},
		{i18n.EN, "r,46.0%,12%,3.6,10234,"},
	} {
		var b bytes.Buffer
		if err := WriteCSV(&b, c.lang, tables); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want+"\r\n") {
			t.Errorf("%s CSV = %q, want a line %q", c.lang, b.String(), c.want)
		}
	}
	for _, c := range []struct {
		lang i18n.Lang
		cell Cell
		want string
	}{
		{i18n.NB, Cell{Unit: UnitShare}, "0.0 %"},
		{i18n.EN, Cell{Unit: UnitShare}, "0.0%"},
		{i18n.NB, Cell{Unit: UnitShare, Marks: Marks{Qualifier: "just_over"}}, `"drøyt "0.0 %`},
		{i18n.NB, Cell{Unit: UnitPoints}, `+0.0" p.p.";-0.0" p.p.";0.0" p.p."`},
	} {
		if got := NumberFormat(c.lang, c.cell); got != c.want {
			t.Errorf("%s number format of %s = %q, want %q", c.lang, c.cell.Unit, got, c.want)
		}
	}
}
