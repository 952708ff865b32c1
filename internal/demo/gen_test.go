package demo

import (
	"reflect"
	"testing"
	"time"
)

func TestBuildIsDeterministic(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{SiteID: "innomed", Location: loc}
	a, err := build(opts, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(opts, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two builds with the same options differ")
	}
	tables := map[string]bool{}
	for _, bt := range a {
		tables[bt.table] = true
		for i, row := range bt.rows {
			if len(row) != len(bt.columns) {
				t.Fatalf("%s row %d: %d values for %d columns", bt.table, i, len(row), len(bt.columns))
			}
		}
	}
	if len(tables) != 11 || tables["collector_runs"] {
		t.Errorf("tables written: %v; want the 11 figure tables and not collector_runs", tables)
	}
}

func TestBuildRejectsIncompleteOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"no site":     {Location: time.UTC},
		"no location": {SiteID: "innomed"},
	} {
		if _, err := build(opts, 1); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestAllocateKeepsTheTotal(t *testing.T) {
	cases := map[string]struct {
		total   int
		weights []float64
		want    []int
	}{
		"proportional":    {10, []float64{1, 1, 2}, []int{3, 2, 5}},
		"largest first":   {38645, []float64{0.46, 0.35, 0.13, 0.06}, []int{17777, 13526, 5024, 2318}},
		"all zero":        {5, []float64{0, 0}, []int{3, 2}},
		"nothing to hand": {0, []float64{1, 2}, []int{0, 0}},
	}
	for name, c := range cases {
		if got := allocate(c.total, c.weights); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: allocate(%d, %v) = %v, want %v", name, c.total, c.weights, got, c.want)
		}
	}
}

func TestRebalanceReachesTargetsAndKeepsRows(t *testing.T) {
	cells := [][]int{{5, 1, 0}, {3, 3, 2}, {0, 4, 4}}
	if err := rebalance(cells, []int{6, 10, 6}, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	rowSums := []int{6, 8, 8}
	cols := make([]int, 3)
	for i, row := range cells {
		s := 0
		for c, v := range row {
			if v < 0 {
				t.Fatalf("negative cell %v", cells)
			}
			s += v
			cols[c] += v
		}
		if s != rowSums[i] {
			t.Errorf("row %d sums to %d, want %d", i, s, rowSums[i])
		}
	}
	if !reflect.DeepEqual(cols, []int{6, 10, 6}) {
		t.Errorf("columns %v, want [6 10 6]", cols)
	}
	if err := rebalance([][]int{{1, 1}}, []int{3, 0}, []int{0}); err == nil {
		t.Error("targets with another total: want an error")
	}
}

func TestEasterAndSlug(t *testing.T) {
	for year, want := range map[int]time.Time{2021: day(2021, time.April, 4), 2022: day(2022, time.April, 17), 2023: day(2023, time.April, 9)} {
		if got := easterSunday(year); !got.Equal(want) {
			t.Errorf("easter %d = %s, want %s", year, got.Format("2006-01-02"), want.Format("2006-01-02"))
		}
	}
	if got := slug("Søknadsskjema for prosessveiledning – frist 15. mai"); got != "soknadsskjema-for-prosessveiledning-frist-15-mai" {
		t.Errorf("slug = %q", got)
	}
}
