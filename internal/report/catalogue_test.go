package report_test

import (
	"context"
	"math"
	"testing"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/report"
)

// The report's own figures (metrics.ReportKPIs beyond the overview's) are rows of the reports in
// the catalogue's order, and may carry a yearly target like the overview's KPIs: a rate's target
// is configured in percent and read as a fraction, its progress is the year's figure.
func TestReportOnlyFiguresFollowTheCatalogue(t *testing.T) {
	st := loadDemo(t)
	b := builder(t, st,
		config.Target{KPI: "social.growth.linkedin", Year: 2022, Value: 50},
		config.Target{KPI: "social.reach_per_month.facebook", Year: 2022, Value: 100000})
	a, err := b.Annual(context.Background(), 2022)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range a.KPIs {
		names = append(names, k.Name)
	}
	if want := metrics.Names(metrics.ReportKPIs()); len(names) != len(want) {
		t.Fatalf("annual KPIs %q, want the catalogue's %q", names, want)
	} else {
		for i := range want {
			if names[i] != want[i] {
				t.Fatalf("annual KPI %d is %s, want %s (catalogue order)", i, names[i], want[i])
			}
		}
	}
	growth := kpi(t, a.KPIs, "social.growth.linkedin")
	if growth.Target == nil || growth.Target.Value != 0.5 || growth.Current.Value == nil || growth.Target.Progress == nil ||
		*growth.Target.Progress != *growth.Current.Value {
		t.Fatalf("growth target %+v for growth %+v: want 0.5 (50 %%) with the year's growth as progress", growth.Target, growth.Current)
	}
	want := report.StatusMissed // the year is over
	if *growth.Current.Value >= 0.5 {
		want = report.StatusMet
	}
	if growth.Target.Status != want {
		t.Errorf("growth %v against 50 %%: status %s, want %s", *growth.Current.Value, growth.Target.Status, want)
	}
	reach := kpi(t, a.KPIs, "social.reach_per_month.facebook")
	if reach.Target == nil || reach.Target.Value != 100000 || reach.Target.Status != report.StatusMissed ||
		reach.Current.Value == nil || math.Abs(*reach.Target.Share-*reach.Current.Value/100000) > 1e-12 {
		t.Fatalf("reach target %+v for reach %+v: want 100000, missed, share = reach / target", reach.Target, reach.Current)
	}
}
