package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

// TestEveryKPIAgreesAcrossSurfaces reads every KPI of a year and of a quarter on the demo data
// through the query layer (which the overview's cards show, TestOverviewShowsTheQueryLayersFigures),
// the read API's series and the read API's report (the report builder's JSON, which the report
// page, CSV, XLSX and e-mail present), and wants one value. A quarter whose unique visitors were
// fetched while it ran has none on any of them.
func TestEveryKPIAgreesAcrossSurfaces(t *testing.T) {
	st := demoStore(t)
	ctx := context.Background()
	// Q1 2024 (after the demo's years) with unique visitors fetched on 15 February, while it ran.
	running := uint64(time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC).UnixNano())
	err := st.Insert(ctx, "web_visitors_period", []string{"site_id", "period", "period_start", "period_end", "visitors",
		"new_visitors", "returning_visitors", "source", "version"},
		[][]any{{"innomed.no", "quarter", days.Date(2024, 1, 1), days.Date(2024, 3, 31), u64p(4000), u64p(3000), u64p(1000), "test", running}})
	if err != nil {
		t.Fatal(err)
	}
	app := apiApp(t, st, testConfig(), api.RequestsPerMinute)
	token := createToken(t, st)
	q := query.New(st.Conn())
	scope, err := q.DefaultKPIScope(ctx, "innomed.no", oslo)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		span                  days.Span
		reportPath, seriesArg string
	}{
		{days.YearSpan(2022), "/api/v1/reports/annual/2022", "from=2022-01-01&to=2022-12-31&granularity=year"},
		{days.QuarterSpan(2022, 3), "/api/v1/reports/quarterly/2022-Q3", "from=2022-07-01&to=2022-09-30&granularity=quarter"},
		{days.QuarterSpan(2024, 1), "/api/v1/reports/quarterly/2024-Q1", "from=2024-01-01&to=2024-03-31&granularity=quarter"},
	} {
		values, err := q.KPIValues(ctx, metrics.OverviewKPIs(), scope, c.span, days.Month, nil)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Report struct {
				KPIs []report.KPI `json:"kpis"`
			} `json:"report"`
		}
		r := apiGet(t, app, c.reportPath, token)
		if r.status != 200 || json.Unmarshal([]byte(r.body), &doc) != nil {
			t.Fatalf("%s: %d %.300s", c.reportPath, r.status, r.body)
		}
		inReport := map[string]*float64{}
		for _, k := range doc.Report.KPIs {
			inReport[k.Name] = k.Current.Value
		}
		series := getSeries(t, app, token, c.seriesArg)
		inSeries := map[string]*float64{}
		for _, s := range series.Series {
			if len(s.Points) == 1 {
				inSeries[s.KPI] = s.Points[0].Value
			}
		}
		if len(values) != len(metrics.OverviewKPIs()) || len(inSeries) < len(values) {
			t.Fatalf("%s: %d KPI values, %d series; want every KPI on both", c.reportPath, len(values), len(inSeries))
		}
		known := 0
		for _, v := range values {
			name := string(v.Def.Name)
			if v.Current != nil {
				known++
			}
			want := show(v.Current)
			if got := show(inSeries[name]); got != want {
				t.Errorf("%s %s: API series %s, query layer (overview) %s", c.reportPath, name, got, want)
			}
			if rv, ok := inReport[name]; !ok {
				t.Errorf("%s: the report lacks %s", c.reportPath, name)
			} else if got := show(rv); got != want {
				t.Errorf("%s %s: report %s, query layer (overview) %s", c.reportPath, name, got, want)
			}
		}
		if c.span.From.Year() == 2022 && known < len(values)-1 {
			t.Errorf("%s: only %d of %d KPIs known on the demo; the comparison would prove little", c.reportPath, known, len(values))
		}
		if c.span.From.Year() == 2024 && show(inSeries[string(metrics.WebUniqueVisitors)]) != "none" {
			t.Errorf("a quarter fetched while running shows unique visitors %s", show(inSeries[string(metrics.WebUniqueVisitors)]))
		}
	}
}

func u64p(n uint64) *uint64 { return &n }

func show(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.6g", *v)
}
