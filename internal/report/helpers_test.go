package report_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/importer"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// The tests' shared setup: the site, its time zone, builders over a test database, imports of
// testdata files and the XLSX download opened.

var site = config.Site{ID: "innomed", Name: "innomed.no"}

// builder is the tests' report builder over st on 1 February 2023, when 2022 has closed.
func builder(t testing.TB, st *store.Store, targets ...config.Target) *report.Builder {
	t.Helper()
	return builderAt(t, st, func() time.Time { return time.Date(2023, time.February, 1, 12, 0, 0, 0, time.UTC) }, targets...)
}

// builderAt is the tests' report builder over st with the clock now (a test may move it).
func builderAt(t testing.TB, st *store.Store, now func() time.Time, targets ...config.Target) *report.Builder {
	t.Helper()
	b, err := report.New(query.New(st.Conn()), report.Options{Site: site, Location: chtest.Oslo(t), Targets: targets, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openXLSX writes tables as the XLSX download in lang and opens the workbook, closed at the end.
func openXLSX(t *testing.T, lang i18n.Lang, tables []report.Table) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, lang, tables); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// importFile runs `rekkevidde import KIND FILE` on a testdata file through the importer.
func importFile(t *testing.T, st *store.Store, kind, file string) {
	t.Helper()
	k, ok := importer.Lookup(kind)
	if !ok {
		t.Fatalf("importer has no kind %q", kind)
	}
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := importer.Import(context.Background(), st, k, f, importer.Options{AccountID: "innomed", Zone: chtest.Oslo(t)}); err != nil {
		t.Fatalf("import %s %s: %v", kind, file, err)
	}
}

func value(t *testing.T, what string, f report.Figure) float64 {
	t.Helper()
	if f.Value == nil {
		t.Fatalf("%s: unknown, want a value", what)
	}
	return *f.Value
}

// near compares fractions and counts that went through a percentage: 0.46 is 46 / 100.
func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

// clockedBuilder is a builder over an empty database whose clock starts at now and moves when the
// test sets *clock.
func clockedBuilder(t *testing.T, now time.Time) (*store.Store, *report.Builder, *time.Time) {
	t.Helper()
	st := chtest.Open(t)
	clock := &now
	return st, builderAt(t, st, func() time.Time { return *clock }), clock
}

func loadDemo(t *testing.T) *store.Store {
	t.Helper()
	st := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: site.ID, Location: chtest.Oslo(t)}); err != nil {
		t.Fatal(err)
	}
	return st
}

func kpi(t *testing.T, kpis []report.KPI, name string) report.KPI {
	t.Helper()
	for _, k := range kpis {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no KPI %s", name)
	return report.KPI{}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
