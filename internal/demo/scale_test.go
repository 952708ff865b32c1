package demo_test

import (
	"context"
	"testing"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/demo"
)

func TestLoadScaleFillsEverySiteAndYear(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	sum, err := demo.LoadScale(ctx, st, demo.ScaleOptions{Sites: []string{"a", "b"}, FirstYear: 2020, LastYear: 2021})
	if err != nil {
		t.Fatal(err)
	}
	// Per site and year: 12 months + 4 quarters + 1 year of uniques, 12 pages a month.
	if got := sum.Rows("web_visitors_period"); got != 2*2*17 {
		t.Fatalf("web_visitors_period: %d rows, want %d", got, 2*2*17)
	}
	if got := sum.Rows("web_top_pages"); got != 2*2*12*12 {
		t.Fatalf("web_top_pages: %d rows, want %d", got, 2*2*12*12)
	}
	var sites, days uint64
	err = st.Conn().QueryRow(ctx, "SELECT uniqExact(site_id), uniqExact(date) FROM web_traffic_daily").Scan(&sites, &days)
	if err != nil {
		t.Fatal(err)
	}
	if sites != 2 || days != 731 {
		t.Fatalf("web_traffic_daily covers %d sites and %d days, want 2 and 731", sites, days)
	}
	if _, err := demo.LoadScale(ctx, st, demo.ScaleOptions{FirstYear: 2020, LastYear: 2021}); err == nil {
		t.Fatal("no sites: want an error")
	}
}
