package report_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/report"
)

// The done-when of the Reports issue: an empty database, the 2022 figures of the annual report
// imported through the history CSV and the events CSV, nothing else; the annual report for 2022
// must give back every number of docs' innomed-communication.md, in the struct, the JSON, the
// XLSX and the tables the page shows.
func TestAnnual2022FromImportedHistoryReproducesTheAnnualReport(t *testing.T) {
	st := chtest.Open(t)
	importFile(t, st, "history", "history-2022.csv")
	importFile(t, st, "events", "events-2022.csv")
	ctx := context.Background()
	a, err := builder(t, st).Annual(ctx, 2022)
	if err != nil {
		t.Fatal(err)
	}

	visits := []float64{10234, 9068, 9634, 9709}
	unique := []float64{8001, 7157, 7435, 8059}
	t.Run("visitors per quarter", func(t *testing.T) {
		if len(a.Visitors.Quarters) != 4 {
			t.Fatalf("%d quarters", len(a.Visitors.Quarters))
		}
		for i, q := range a.Visitors.Quarters {
			if v := value(t, "visits", q.Visits.Current); v != visits[i] || q.Visits.Current.Origin != report.Imported {
				t.Errorf("Q%d visits %v (%s), want %v imported", i+1, v, q.Visits.Current.Origin, visits[i])
			}
			if v := value(t, "unique", q.Unique.Current); v != unique[i] || q.Unique.Current.Origin != report.Imported {
				t.Errorf("Q%d unique %v (%s), want %v imported", i+1, v, q.Unique.Current.Origin, unique[i])
			}
			if q.Visits.Previous.Known() || q.Unique.Previous.Known() {
				t.Errorf("Q%d 2021: %+v, want unknown (nothing imported for 2021)", i+1, q)
			}
		}
		// Visits add up; unique visitors do not, and no year figure was imported.
		if v := value(t, "year visits", a.Visitors.Year.Visits.Current); v != 38645 {
			t.Errorf("year visits %v, want 38 645 (the quarters' sum)", v)
		}
		if a.Visitors.Year.Unique.Current.Known() {
			t.Errorf("year unique visitors %v: must not be summed from quarters", *a.Visitors.Year.Unique.Current.Value)
		}
	})

	t.Run("channels, devices, new and returning", func(t *testing.T) {
		want := []struct {
			key   string
			share float64
		}{{"organic_search", 0.46}, {"direct", 0.35}, {"social", 0.13}, {"referral", 0.06}}
		if len(a.Channels) != len(want) {
			t.Fatalf("channels %+v", a.Channels)
		}
		for i, w := range want {
			c := a.Channels[i]
			if c.Key != w.key || !near(value(t, c.Key, c.Current), w.share) || c.Current.Origin != report.Imported {
				t.Errorf("channel %d: %s %v, want %s %v imported", i, c.Key, *c.Current.Value, w.key, w.share)
			}
		}
		if len(a.Devices) != 2 || a.Devices[0].Key != "desktop" || !near(*a.Devices[0].Current.Value, 0.80) ||
			a.Devices[0].Current.Qualifier != report.QualifierNearly || a.Devices[1].Key != metrics.DeviceMobileTablet ||
			!near(*a.Devices[1].Current.Value, 0.20) || a.Devices[1].Current.Qualifier != report.QualifierAbout {
			t.Errorf("devices %+v, want nearly 80 %% desktop, about 20 %% mobile or tablet", a.Devices)
		}
		if !near(value(t, "new", a.NewVisitors.Current), 0.15) || !near(value(t, "returning", a.ReturningVisitors.Current), 0.85) {
			t.Errorf("new %v, returning %v; want 15 %% and 85 %%", *a.NewVisitors.Current.Value, *a.ReturningVisitors.Current.Value)
		}
	})

	t.Run("top pages in order", func(t *testing.T) {
		want := []string{"Mal for fremdriftsplan", "Søknadsskjema for prosessveiledning", "Om InnoMed"}
		if len(a.TopPages) != 3 || a.TopPagesOrigin != report.Imported {
			t.Fatalf("top pages %+v (%s)", a.TopPages, a.TopPagesOrigin)
		}
		for i, p := range a.TopPages {
			if p.Rank != i+1 || p.Title != want[i] {
				t.Errorf("page %d: %d %q, want %q", i, p.Rank, p.Title, want[i])
			}
		}
	})

	t.Run("social media as printed", func(t *testing.T) {
		want := map[string][4]float64{ // followers, new, growth as printed, reach per month
			"facebook": {616, 350, 1.33, 300}, "linkedin": {514, 295, 1.35, 250}, "instagram": {501, 380, 3.14, 200},
		}
		if len(a.Social) != 3 || a.Social[0].Platform != "facebook" || a.Social[1].Platform != "linkedin" || a.Social[2].Platform != "instagram" {
			t.Fatalf("platforms %+v, want facebook, linkedin, instagram", a.Social)
		}
		for _, p := range a.Social {
			w := want[p.Platform]
			got := [4]float64{value(t, "followers", p.Followers.Current), value(t, "new", p.NewFollowers.Current),
				value(t, "growth", p.Growth.Current), value(t, "reach", p.ReachPerMonth.Current)}
			for i := range w {
				if !near(got[i], w[i]) {
					t.Errorf("%s: %v, want %v", p.Platform, got, w)
					break
				}
			}
			for _, f := range []report.Figure{p.Followers.Current, p.NewFollowers.Current, p.Growth.Current, p.ReachPerMonth.Current} {
				if f.Origin != report.Imported {
					t.Errorf("%s: a figure is %q, want imported", p.Platform, f.Origin)
				}
			}
		}
		// 350 / (616 − 350) = 131.6 %: the printed 133 % is shown, the computed 132 % beside it.
		fb := a.Social[0].Growth.Current
		if fb.Computed == nil || !near(*fb.Computed, 350.0/266) {
			t.Errorf("facebook growth computed %v, want 350/266", fb.Computed)
		}
		if a.Social[1].Growth.Current.Computed != nil || a.Social[2].Growth.Current.Computed != nil {
			t.Errorf("linkedin and instagram growth agree with new/start once rounded: no computed figure wanted")
		}
	})

	t.Run("newsletter", func(t *testing.T) {
		s, c := a.Newsletter.Subscribers.Current, a.Newsletter.ClickRate.Current
		if value(t, "subscribers", s) != 300 || s.Qualifier != report.QualifierOver || s.Origin != report.Imported {
			t.Errorf("subscribers %+v, want over 300 imported", s)
		}
		if !near(value(t, "click rate", c), 0.20) || c.Qualifier != report.QualifierJustOver {
			t.Errorf("click rate %+v, want just over 20 %%", c)
		}
	})

	t.Run("events with attendance", func(t *testing.T) {
		if len(a.Events.Items) != 20 {
			t.Errorf("%d events, want 20 (6 webinars, 8 network meetings, 3 national meeting places, 3 courses)", len(a.Events.Items))
		}
		kinds := map[string]int{}
		for _, k := range a.Events.ByKind {
			kinds[k.Kind] = k.Events
		}
		if kinds["webinar"] != 6 || kinds["network_meeting"] != 8 || kinds["national_meeting_place"] != 3 || kinds["course"] != 3 {
			t.Errorf("events by kind %v", kinds)
		}
		att := map[string][3]any{}
		for _, e := range a.Events.Items {
			if e.Kind == "national_meeting_place" {
				att[e.Date] = [3]any{deref(e.OnSite), deref(e.Digital), deref(e.Attended)}
			}
		}
		want := map[string][3]any{"2022-03-31": {nil, uint32(100), uint32(100)}, "2022-08-24": {nil, uint32(100), uint32(100)},
			"2022-11-07": {uint32(40), uint32(60), uint32(100)}}
		for d, w := range want {
			if att[d] != w {
				t.Errorf("national meeting place %s: on site, digital, attended %v, want %v", d, att[d], w)
			}
		}
		if value(t, "attendance", a.Events.Attendance.Current) != 300 || value(t, "held", a.Events.Held.Current) != 20 {
			t.Errorf("events held %v, attendance %v; want 20 and 300", *a.Events.Held.Current.Value, *a.Events.Attendance.Current.Value)
		}
	})

	t.Run("JSON", func(t *testing.T) {
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back report.Annual
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{`"value":10234`, `"value":8059`, `"value":0.46`, `"value":0.06`, `"value":616`, `"value":1.33`,
			`"value":3.14`, `"qualifier":"over"`, `"title":"Om InnoMed"`, `"origin":"imported"`} {
			if !strings.Contains(string(raw), s) {
				t.Errorf("JSON lacks %s", s)
			}
		}
		if *back.Visitors.Quarters[3].Unique.Current.Value != 8059 || *back.Social[2].Growth.Current.Value != 3.14 {
			t.Error("JSON does not read back")
		}
	})

	t.Run("XLSX", func(t *testing.T) {
		f := openXLSX(t, i18n.NB, a.Tables(i18n.NB))
		sheet := func(prefix string) string {
			for _, s := range f.GetSheetList() {
				if strings.HasPrefix(s, prefix) {
					return s
				}
			}
			t.Fatalf("no sheet %q in %v", prefix, f.GetSheetList())
			return ""
		}
		number := func(sh, cell string, want float64) {
			t.Helper()
			typ, err := f.GetCellType(sh, cell)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := f.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s!%s is %v, want a number", sh, cell, typ)
			}
			var got float64
			if err := json.Unmarshal([]byte(raw), &got); err != nil || !near(got, want) {
				t.Errorf("%s!%s = %q, want the number %v", sh, cell, raw, want)
			}
		}
		text := func(sh, cell, want string) {
			t.Helper()
			got, err := f.GetCellValue(sh, cell)
			if err != nil || got != want {
				t.Errorf("%s!%s = %q, want %q", sh, cell, got, want)
			}
		}
		format := func(sh, cell, want string) {
			t.Helper()
			id, err := f.GetCellStyle(sh, cell)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != want {
				t.Errorf("%s!%s has number format %v, want %q", sh, cell, st, want)
			}
		}
		v := sheet("Antall besøkende")
		text(v, "A2", "Kvartal")
		text(v, "B2", "Totalt besøkende 2022")
		text(v, "C2", "Unike besøkende 2022")
		for i := range visits {
			row := string(rune('3' + i))
			text(v, "A"+row, i18n.NB.Quarter(i+1))
			number(v, "B"+row, visits[i])
			number(v, "C"+row, unique[i])
		}
		format(v, "B3", "#,##0") // Excel groups thousands as the reader's locale does: 10 234 in Norway
		c := sheet("Kanaler")
		text(c, "A3", "Organisk søk")
		number(c, "B3", 0.46)
		format(c, "B3", "0.0 %")
		number(c, "B6", 0.06)
		d := sheet("Enheter")
		number(d, "B3", 0.80)
		format(d, "B3", `"nesten "0.0 %`)
		format(d, "B4", `"ca. "0.0 %`)
		s := sheet("Sosiale medier")
		text(s, "B2", "Facebook 2022")
		for i, w := range [][4]float64{{616, 350, 1.33, 300}, {514, 295, 1.35, 250}, {501, 380, 3.14, 200}} {
			col := string(rune('B' + i))
			for r, x := range w {
				number(s, col+string(rune('3'+r)), x)
			}
		}
		format(s, "B5", "0.0 %")
		format(s, "B3", "#,##0")
		n := sheet("Nyhetsbrev")
		number(n, "B3", 300)
		text(n, "B3", "over 300")
		format(n, "B3", `"over "#,##0`)
		number(n, "B4", 0.20)
		format(n, "B4", `"drøyt "0.0 %`)
		tp := sheet("Mest besøkte")
		text(tp, "B3", "Mal for fremdriftsplan")
		text(tp, "B4", "Søknadsskjema for prosessveiledning")
		text(tp, "B5", "Om InnoMed")
	})

	t.Run("the page's tables", func(t *testing.T) {
		got := map[string]string{}
		for _, tb := range a.Tables(i18n.NB) {
			for _, r := range tb.Rows {
				for _, c := range r.Cells {
					got[c.Key] = c.Format(i18n.NB)
				}
			}
		}
		want := map[string]string{
			"visitors/q1/visits/2022": "10 234", "visitors/q1/unique/2022": "8 001", "visitors/q2/visits/2022": "9 068",
			"visitors/q2/unique/2022": "7 157", "visitors/q3/visits/2022": "9 634", "visitors/q3/unique/2022": "7 435",
			"visitors/q4/visits/2022": "9 709", "visitors/q4/unique/2022": "8 059",
			"channels/organic_search/2022": "46,0 %", "channels/direct/2022": "35,0 %", "channels/social/2022": "13,0 %", "channels/referral/2022": "6,0 %",
			"devices/desktop/2022": "nesten 80,0 %", "devices/mobile_tablet/2022": "ca. 20,0 %",
			"new_returning/new/2022": "15,0 %", "new_returning/returning/2022": "85,0 %",
			"top_pages/1/title": "Mal for fremdriftsplan", "top_pages/2/title": "Søknadsskjema for prosessveiledning", "top_pages/3/title": "Om InnoMed",
			"social/followers/facebook/2022": "616", "social/followers/linkedin/2022": "514", "social/followers/instagram/2022": "501",
			"social/new_followers/facebook/2022": "350", "social/new_followers/linkedin/2022": "295", "social/new_followers/instagram/2022": "380",
			"social/growth/facebook/2022": "133,0 %", "social/growth/linkedin/2022": "135,0 %", "social/growth/instagram/2022": "314,0 %",
			"social/reach_per_month/facebook/2022": "300", "social/reach_per_month/linkedin/2022": "250", "social/reach_per_month/instagram/2022": "200",
			"newsletter/subscribers/2022": "over 300", "newsletter/click_rate/2022": "drøyt 20,0 %",
			"events_by_kind/webinar/events": "6", "events_by_kind/national_meeting_place/attended": "300",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s = %q, want %q", k, got[k], w)
			}
		}
	})
}
