package report_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

// The demo's 2021 and 2022 are pinned (internal/demo: web.go, social.go, newsletter.go): the
// expectations below are those pinned figures, not anything the builder computed.
func TestBuildersOnTheDemo(t *testing.T) {
	st := loadDemo(t)
	ctx := context.Background()
	b := builder(t, st,
		config.Target{KPI: "web.visits", Year: 2022, Value: 40000},
		config.Target{KPI: "social.followers.linkedin", Year: 2022, Value: 500},
		config.Target{KPI: "newsletter.click_rate", Year: 2022, Value: 25})

	t.Run("annual 2022 against 2021, all collected", func(t *testing.T) {
		a, err := b.Annual(ctx, 2022)
		if err != nil {
			t.Fatal(err)
		}
		visits := [][2]float64{{10234, 8420}, {9068, 7390}, {9634, 7710}, {9709, 8290}}
		unique := [][2]float64{{8001, 6650}, {7157, 5860}, {7435, 6010}, {8059, 6690}}
		for i, q := range a.Visitors.Quarters {
			got := [4]float64{value(t, "v", q.Visits.Current), value(t, "v", q.Visits.Previous), value(t, "u", q.Unique.Current), value(t, "u", q.Unique.Previous)}
			if got != [4]float64{visits[i][0], visits[i][1], unique[i][0], unique[i][1]} || q.Visits.Current.Origin != report.Collected {
				t.Errorf("Q%d: %v (%s)", i+1, got, q.Visits.Current.Origin)
			}
		}
		if v := value(t, "year", a.Visitors.Year.Visits.Current); v != 38645 {
			t.Errorf("year visits %v", v)
		}
		// The demo's year uniques are 0.865 × Σ quarter uniques (web.go), never the sum.
		if v := value(t, "year unique", a.Visitors.Year.Unique.Current); v != math.Floor(0.865*(8001+7157+7435+8059)+0.5) {
			t.Errorf("year unique %v", v)
		}
		wantShares := map[string]float64{"organic_search": 46, "direct": 35, "social": 13, "referral": 6}
		for _, c := range a.Channels {
			if c.Key == "email" && !c.Current.Known() && c.Previous.Known() {
				continue // 2021 had newsletter traffic as a channel, 2022 none
			}
			if !c.Current.Known() || math.Round(*c.Current.Value*100) != wantShares[c.Key] {
				t.Errorf("channel %s %v", c.Key, *c.Current.Value)
			}
		}
		if a.TopPagesOrigin != report.Collected || len(a.TopPages) != 10 || a.TopPages[1].Title != "Mal for fremdriftsplan" {
			t.Errorf("top pages %s %+v", a.TopPagesOrigin, a.TopPages)
		}
		social := map[string][6]float64{ // followers, previous, new, growth, reach, previous reach
			"facebook": {616, 266, 350, 350.0 / 266, 300, 210}, "linkedin": {514, 219, 295, 295.0 / 219, 250, 160},
			"instagram": {501, 121, 380, 380.0 / 121, 200, 95},
		}
		for _, p := range a.Social {
			w := social[p.Platform]
			got := [6]float64{value(t, "f", p.Followers.Current), value(t, "f", p.Followers.Previous), value(t, "n", p.NewFollowers.Current),
				value(t, "g", p.Growth.Current), value(t, "r", p.ReachPerMonth.Current), value(t, "r", p.ReachPerMonth.Previous)}
			for i := range w {
				if !near(got[i], w[i]) {
					t.Errorf("%s: %v, want %v", p.Platform, got, w)
					break
				}
			}
			if p.Growth.Current.Computed != nil || len(p.Months) != 12 {
				t.Errorf("%s: collected growth has no printed twin; want 12 months, got %d", p.Platform, len(p.Months))
			}
		}
		if v := value(t, "subscribers", a.Newsletter.Subscribers.Current); v != 312 {
			t.Errorf("subscribers %v, want 312", v)
		}
		if v := value(t, "click rate", a.Newsletter.ClickRate.Current); math.Abs(v-0.204) > 0.0005 {
			t.Errorf("click rate %v, want 0.204", v)
		}
		if value(t, "held", a.Events.Held.Current) != 20 || value(t, "attendance", a.Events.Attendance.Current) < 300 {
			t.Errorf("events %v held, %v attended", *a.Events.Held.Current.Value, *a.Events.Attendance.Current.Value)
		}
		if s := kpi(t, a.KPIs, "web.visits").Target; s == nil || s.Status != report.StatusMissed {
			t.Errorf("web.visits target %+v, want missed (38 645 of 40 000)", s)
		}
		if s := kpi(t, a.KPIs, "social.followers.linkedin").Target; s == nil || s.Status != report.StatusMet {
			t.Errorf("linkedin target %+v, want met (514 of 500)", s)
		}
		if s := kpi(t, a.KPIs, "newsletter.click_rate").Target; s == nil || s.Value != 0.25 || s.Status != report.StatusMissed {
			t.Errorf("click rate target %+v, want 25 %% missed", s)
		}
	})

	t.Run("quarterly 2022-Q3 against Q2 and 2021-Q3", func(t *testing.T) {
		q, err := b.Quarterly(ctx, 2022, 3)
		if err != nil {
			t.Fatal(err)
		}
		if q.Period != "2022-Q3" || q.PreviousPeriod != "2022-Q2" || q.YearEarlierPeriod != "2021-Q3" {
			t.Errorf("periods %s %s %s", q.Period, q.PreviousPeriod, q.YearEarlierPeriod)
		}
		v := kpi(t, q.KPIs, "web.visits")
		if value(t, "cur", v.Current) != 9634 || value(t, "prev", v.Previous) != 9068 || value(t, "ye", *v.YearEarlier) != 7710 {
			t.Errorf("visits %+v", v.Compared)
		}
		if v.ChangePrevious == nil || !near(*v.ChangePrevious.Relative, 9634.0/9068-1) {
			t.Errorf("change %+v", v.ChangePrevious)
		}
		u := kpi(t, q.KPIs, "web.unique_visitors")
		if value(t, "cur", u.Current) != 7435 || value(t, "prev", u.Previous) != 7157 || value(t, "ye", *u.YearEarlier) != 6010 {
			t.Errorf("unique %+v", u.Compared)
		}
		// Facebook's followers at the ends of Q2 and Q3, read straight from the query layer.
		g, err := query.New(st.Conn()).FollowerGrowthBetween(ctx, "facebook", demo.AccountID, time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 9, 30, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		from, to := float64(*g.FollowersAtStart), float64(*g.FollowersAtEnd)
		nb := fmt.Sprintf("Facebook-følgere økte med %s sammenlignet med forrige kvartal (fra %s til %s).",
			i18n.NB.Percent(to/from-1), i18n.NB.Number(int64(from)), i18n.NB.Number(int64(to)))
		en := fmt.Sprintf("Facebook followers rose by %s compared with the previous quarter (from %s to %s).",
			i18n.EN.Percent(to/from-1), i18n.EN.Number(int64(from)), i18n.EN.Number(int64(to)))
		if !slices.Contains(q.Summary.NB, nb) || !slices.Contains(q.Summary.EN, en) {
			t.Errorf("summary lacks %q / %q:\n%q\n%q", nb, en, q.Summary.NB, q.Summary.EN)
		}
		if !slices.Contains(q.Summary.NB, "Besøk på nettsiden ligger bak målet for 2022 (40 000): 28 936 så langt.") {
			t.Errorf("summary lacks the visits target: %q", q.Summary.NB)
		}
		if s := kpi(t, q.KPIs, "web.visits").Target; s == nil || s.Status != report.StatusBehind {
			// Jan–Sep 2022: 28 936 visits against 40 000 × 273/365 = 29 918 expected.
			t.Errorf("visits target in Q3 %+v, want behind", s)
		}
	})
}

func TestPublishedFiguresNeverChangeAndDifferencesAreFlagged(t *testing.T) {
	st := loadDemo(t)
	ctx := context.Background()
	b := builder(t, st)
	published, pub, err := b.PublishAnnual(ctx, st, 2022, "kari.nordmann")
	if err != nil {
		t.Fatal(err)
	}
	if pub.PublishedBy != "kari.nordmann" || pub.Period != "2022" || len(pub.Checksum) != 64 {
		t.Errorf("publication %+v", pub)
	}
	if _, _, err := b.PublishAnnual(ctx, st, 2022, " "); err == nil {
		t.Error("publishing without a name: want an error")
	}

	// Re-collection with different source data: Q1's unique visitors and Facebook's year end.
	v := store.NewVersion()
	insert := func(table string, columns []string, row ...any) {
		if err := st.Insert(ctx, table, columns, [][]any{row}); err != nil {
			t.Fatal(err)
		}
	}
	n := uint64(9000)
	insert("web_visitors_period", []string{"site_id", "period", "period_start", "period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"},
		site.ID, "quarter", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 3, 31, 0, 0, 0, 0, time.UTC), &n, nil, nil, "ga4", v)
	insert("social_followers_daily", []string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"},
		"facebook", demo.AccountID, time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC), uint64(700), nil, nil, "meta", v)

	view, err := b.AnnualView(ctx, 2022)
	if err != nil {
		t.Fatal(err)
	}
	if view.Publication == nil || view.Publication.Checksum != pub.Checksum {
		t.Fatalf("publication %+v", view.Publication)
	}
	shown := view.Shown().(*report.Annual)
	if *shown.Visitors.Quarters[0].Unique.Current.Value != 8001 || *shown.Social[0].Followers.Current.Value != 616 ||
		*published.Visitors.Quarters[0].Unique.Current.Value != 8001 {
		t.Errorf("published figures changed: Q1 unique %v, facebook %v", *shown.Visitors.Quarters[0].Unique.Current.Value, *shown.Social[0].Followers.Current.Value)
	}
	today := view.Today.(*report.Annual)
	if *today.Visitors.Quarters[0].Unique.Current.Value != 9000 || *today.Social[0].Followers.Current.Value != 700 {
		t.Fatalf("today's report does not see the new data")
	}
	flagged := map[string][2]string{}
	for _, d := range report.Differences(i18n.NB, view.Tables(i18n.NB)) {
		flagged[d.Key] = [2]string{d.Published, d.Today}
	}
	want := map[string][2]string{
		"visitors/q1/unique/2022":            {"8 001", "9 000"},
		"social/followers/facebook/2022":     {"616", "700"},
		"social/new_followers/facebook/2022": {"350", "434"},
		"social/growth/facebook/2022":        {"131,6 %", "163,2 %"},
		// The month table carries December's end too.
		"social_months/2022-12/facebook/followers":     {"616", "700"},
		"social_months/2022-12/facebook/new_followers": {"25", "109"},
	}
	for k, w := range want {
		if flagged[k] != w {
			t.Errorf("%s flagged %v, want published %q beside today %q", k, flagged[k], w[0], w[1])
		}
	}
	if _, ok := flagged["visitors/q2/unique/2022"]; ok || len(flagged) != len(want) {
		t.Errorf("flagged %v: only the changed figures (and those computed from them) may be flagged", flagged)
	}

	// The downloads show the published figures too, with the changes in a table of their own.
	tables := view.Tables(i18n.NB)
	tables = append(tables, report.ChangesTable(i18n.NB, tables))
	var csv bytes.Buffer
	if err := report.WriteCSV(&csv, i18n.NB, tables); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "1. kvartal;10234;8001;8420;6650;demo\r\n") || !strings.Contains(csv.String(), "Endringer siden publisering\r\n") ||
		!strings.Contains(csv.String(), "Antall besøkende av nettsiden i 2022;1. kvartal;Unike besøkende 2022;8001;9000") {
		t.Errorf("csv of the published report:\n%s", csv.String()[:min(len(csv.String()), 1500)])
	}
}

func TestSpreadsheetCellsNeverStartAFormula(t *testing.T) {
	minus := -5.0
	tables := []report.Table{{ID: "t", Title: "=HYPERLINK(\"x\")", Columns: []report.Column{{Label: "@rad"}, {Label: "+tekst"}, {Label: "tall", Numeric: true}},
		Rows: []report.Row{{Key: "r", Header: "-1+1", Cells: []report.Cell{
			{Key: "t/r/a", Unit: report.UnitText, Text: "=SUM(A1:A9)"},
			{Key: "t/r/b", Unit: report.UnitCount, Value: &minus},
		}}, {Key: "s", Header: "\tTAB", Cells: []report.Cell{
			{Key: "t/s/a", Unit: report.UnitText, Text: "@cmd"},
			{Key: "t/s/b", Unit: report.UnitCount},
		}}}}}
	var csv bytes.Buffer
	if err := report.WriteCSV(&csv, i18n.NB, tables); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimPrefix(csv.String(), "\ufeff"), "\r\n") {
		for _, field := range strings.Split(line, ";") {
			field = strings.TrimPrefix(field, `"`)
			// Every cell, numbers too, is escaped (internal/export).
			if field != "" && strings.ContainsRune("=+-@\t\r", rune(field[0])) {
				t.Errorf("csv field %q starts a formula", field)
			}
		}
	}
	for _, want := range []string{"'=SUM(A1:A9);'-5", "'-1+1;", "'@cmd;", "'=HYPERLINK", "'@rad;'+tekst;tall"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("csv lacks %q:\n%s", want, csv.String())
		}
	}

	f := openXLSX(t, i18n.NB, tables)
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])) || strings.HasPrefix(cell, "-") && cell != "-5" {
				t.Errorf("xlsx cell %q starts a formula", cell)
			}
		}
	}
	if typ, _ := f.GetCellType(sheet, "C3"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("C3 type %v, want the number -5", typ)
	}
	if v, _ := f.GetCellValue(sheet, "C3", excelize.Options{RawCellValue: true}); v != "-5" {
		t.Errorf("C3 = %q, want -5", v)
	}
	if formula, _ := f.GetCellFormula(sheet, "B3"); formula != "" {
		t.Errorf("B3 holds the formula %q", formula)
	}
	if v, _ := f.GetCellValue(sheet, "C4"); v != "" {
		t.Errorf("an unknown figure is an empty cell, got %q", v)
	}
}
