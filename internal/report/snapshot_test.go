package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// level is the test data's count on day d for base (1000 Facebook, 2000 subscribers, 500 LinkedIn).
func level(base int, d time.Time) float64 {
	return float64(base + int(d.Sub(time.Date(2022, time.January, 1, 0, 0, 0, 0, time.UTC)).Hours()/24))
}

func platform(t *testing.T, a *report.Annual, name string) report.Platform {
	t.Helper()
	for _, p := range a.Social {
		if p.Platform == name {
			return p
		}
	}
	t.Fatalf("no platform %s in %+v", name, a.Social)
	return report.Platform{}
}

// A level measured before the period's end is the last measurement, marked with its day; one not
// measured in the period at all is unknown, never carried forward: in the annual report's structs,
// its page tables, CSV, XLSX and JSON.
func TestReportsNeverCarryALevelPastItsLastMeasurement(t *testing.T) {
	st := chtest.OpenStopped(t)
	ctx := context.Background()
	b := builder(t, st)
	end22 := time.Date(2022, time.December, 31, 0, 0, 0, 0, time.UTC)

	a, err := b.Annual(ctx, 2023)
	if err != nil {
		t.Fatal(err)
	}
	fb := platform(t, a, "facebook")
	if v := value(t, "fb followers", fb.Followers.Current); v != level(1000, chtest.StoppedOn()) || fb.Followers.Current.MeasuredOn != "2023-05-20" {
		t.Errorf("Facebook followers 2023 = %v measured %q, want %v measured 2023-05-20", v, fb.Followers.Current.MeasuredOn, level(1000, chtest.StoppedOn()))
	}
	if fb.Followers.Previous.MeasuredOn != "" {
		t.Errorf("Facebook followers 2022 were measured on 31.12., not %q", fb.Followers.Previous.MeasuredOn)
	}
	// New followers and growth up to the last measurement, labelled the same way.
	wantNew := level(1000, chtest.StoppedOn()) - level(1000, end22)
	if v := value(t, "fb new", fb.NewFollowers.Current); v != wantNew || fb.NewFollowers.Current.MeasuredOn != "2023-05-20" {
		t.Errorf("Facebook new followers 2023 = %v measured %q, want %v measured 2023-05-20", v, fb.NewFollowers.Current.MeasuredOn, wantNew)
	}
	if v := value(t, "fb growth", fb.Growth.Current); !near(v, wantNew/level(1000, end22)) || fb.Growth.Current.MeasuredOn != "2023-05-20" {
		t.Errorf("Facebook growth 2023 = %v measured %q", v, fb.Growth.Current.MeasuredOn)
	}
	li := platform(t, a, "linkedin")
	if li.Followers.Current.MeasuredOn != "" || value(t, "li", li.Followers.Current) != level(500, time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("LinkedIn, measured on 31.12.2023, reads %+v", li.Followers.Current)
	}
	if s := a.Newsletter.Subscribers.Current; s.MeasuredOn != "2023-05-20" || value(t, "subs", s) != level(2000, chtest.StoppedOn()) {
		t.Errorf("subscribers 2023 %+v, want %v measured 2023-05-20", s, level(2000, chtest.StoppedOn()))
	}
	// Months after the last measurement are gaps: no count, no new followers.
	for i, m := range fb.Months {
		switch {
		case i < 4:
			if m.Followers == nil || m.MeasuredOn != "" {
				t.Errorf("%s: %+v, want a count measured on the month's last day", m.Month, m)
			}
		case i == 4:
			if m.Followers == nil || *m.Followers != level(1000, chtest.StoppedOn()) || m.MeasuredOn != "2023-05-20" || m.NewFollowers == nil {
				t.Errorf("%s: %+v, want the count of 20 May, so marked", m.Month, m)
			}
		default:
			if m.Followers != nil || m.NewFollowers != nil || m.MeasuredOn != "" {
				t.Errorf("%s: %+v, want no count after the last measurement", m.Month, m)
			}
		}
	}

	// The tables say so on the page, in the CSV's Source column, in the XLSX and in the JSON.
	var social, months, newsletter report.Table
	for _, tb := range a.Tables(i18n.NB) {
		switch tb.ID {
		case "social":
			social = tb
		case "social_months":
			months = tb
		case "newsletter":
			newsletter = tb
		}
	}
	cell := func(tb report.Table, key string) report.Cell {
		t.Helper()
		for _, r := range tb.Rows {
			for _, c := range r.Cells {
				if c.Key == key {
					return c
				}
			}
		}
		t.Fatalf("no cell %s in %s", key, tb.ID)
		return report.Cell{}
	}
	for _, c := range []report.Cell{cell(social, "social/followers/facebook/2023"), cell(social, "social/new_followers/facebook/2023"),
		cell(social, "social/growth/facebook/2023"), cell(newsletter, "newsletter/subscribers/2023"),
		cell(months, "social_months/2023-05/facebook/followers")} {
		if got := c.LastMeasured(i18n.NB); got != "sist målt 20.05.2023" {
			t.Errorf("%s says %q, want sist målt 20.05.2023", c.Key, got)
		}
		if got := c.LastMeasured(i18n.EN); got != "last measured 20 May 2023" {
			t.Errorf("%s says %q in English", c.Key, got)
		}
	}
	for _, c := range []report.Cell{cell(social, "social/followers/linkedin/2023"), cell(social, "social/followers/facebook/2022"),
		cell(months, "social_months/2023-04/facebook/followers")} {
		if c.MeasuredOn != "" {
			t.Errorf("%s is marked %q", c.Key, c.MeasuredOn)
		}
	}
	if c := cell(months, "social_months/2023-06/facebook/followers"); c.Value != nil || c.Format(i18n.NB) != "–" {
		t.Errorf("June 2023 Facebook followers %q, want –", c.Format(i18n.NB))
	}
	if !strings.Contains(strings.Join(social.Notes, " "), "«Sist målt»") {
		t.Errorf("social table lacks the note on «sist målt»: %q", social.Notes)
	}

	var csvBuf bytes.Buffer
	if err := report.WriteCSV(&csvBuf, i18n.NB, a.Tables(i18n.NB)); err != nil {
		t.Fatal(err)
	}
	csv := csvBuf.String()
	for _, want := range []string{"Facebook 2023: sist målt 20.05.2023", "2023: sist målt 20.05.2023"} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv)
		}
	}
	if strings.Contains(csv, "LinkedIn 2023: sist målt") {
		t.Error("CSV marks LinkedIn, measured on the year's last day")
	}

	f := openXLSX(t, i18n.EN, a.Tables(i18n.EN))
	found := false
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			// The Source column names the rows' source first (Kilde), then the measurement.
			if len(r) > 0 && r[len(r)-1] == "test; Facebook 2023: last measured 20 May 2023" {
				found = true
			}
		}
	}
	if !found {
		t.Error("no XLSX Source cell says test; Facebook 2023: last measured 20 May 2023")
	}

	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Social []struct {
			Platform  string `json:"platform"`
			Followers struct {
				Current struct {
					Value      *float64 `json:"value"`
					MeasuredOn string   `json:"measured_on"`
				} `json:"current"`
			} `json:"followers"`
		} `json:"social"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for _, p := range back.Social {
		want := ""
		if p.Platform == "facebook" {
			want = "2023-05-20"
		}
		if p.Followers.Current.MeasuredOn != want {
			t.Errorf("JSON %s followers measured_on %q, want %q", p.Platform, p.Followers.Current.MeasuredOn, want)
		}
	}
	if n := strings.Count(string(raw), `"measured_on":""`); n > 0 {
		t.Errorf("JSON writes %d empty measured_on; it is omitted when measured on the end day", n)
	}

	// The summary's sentence on Facebook's followers names the day they were last measured.
	found = false
	for _, line := range a.Summary.NB {
		found = found || (strings.Contains(line, report.KPILabel(i18n.NB, "social.followers.facebook")) && strings.Contains(line, "til 1 504, sist målt 20.05.2023)"))
	}
	if !found {
		t.Errorf("no summary sentence on Facebook's followers measured 20 May: %q", a.Summary.NB)
	}

	// A year after the last measurement: no count, no new followers, no growth — not the old count.
	a24, err := b.Annual(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	fb24 := platform(t, a24, "facebook")
	for name, f := range map[string]report.Figure{"followers": fb24.Followers.Current, "new followers": fb24.NewFollowers.Current,
		"growth": fb24.Growth.Current, "subscribers": a24.Newsletter.Subscribers.Current} {
		if f.Known() {
			t.Errorf("2024 %s = %v (measured %q), want unknown", name, *f.Value, f.MeasuredOn)
		}
	}
	if fb24.Followers.Previous.MeasuredOn != "2023-05-20" {
		t.Errorf("2024's previous year: %+v", fb24.Followers.Previous)
	}
}

// The quarterly review: the quarter after the last measurement has no level and no change; the
// quarter of the last measurement is marked in every comparison column it appears in.
func TestQuarterlyReviewAfterASourceStopped(t *testing.T) {
	st := chtest.OpenStopped(t)
	b := builder(t, st)
	q, err := b.Quarterly(context.Background(), 2023, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"social.followers.facebook", "social.new_followers.facebook", "social.growth.facebook", "newsletter.subscribers"} {
		k := kpi(t, q.KPIs, name)
		if k.Current.Known() || k.ChangePrevious != nil || k.ChangeYearEarlier != nil {
			t.Errorf("%s Q3 2023 = %+v, changes %v / %v: want unknown, no change", name, k.Current, k.ChangePrevious, k.ChangeYearEarlier)
		}
		if k.Previous.MeasuredOn != "2023-05-20" || !k.Previous.Known() {
			t.Errorf("%s Q2 2023 = %+v, want a value measured 2023-05-20", name, k.Previous)
		}
		if k.YearEarlier == nil || !k.YearEarlier.Known() || k.YearEarlier.MeasuredOn != "" {
			t.Errorf("%s Q3 2022 = %+v, want measured on the quarter's end", name, k.YearEarlier)
		}
	}
	if k := kpi(t, q.KPIs, "social.followers.linkedin"); !k.Current.Known() || k.Current.MeasuredOn != "" {
		t.Errorf("LinkedIn Q3 2023 = %+v", k.Current)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, i18n.NB, q.Tables(i18n.NB)); err != nil {
		t.Fatal(err)
	}
	label := report.KPILabel(i18n.NB, "social.followers.facebook")
	var line string
	for _, l := range strings.Split(buf.String(), "\r\n") {
		if strings.HasPrefix(l, label+";") {
			line = l
		}
	}
	if want := label + ";;" + strconv.FormatFloat(level(1000, chtest.StoppedOn()), 'f', -1, 64) + ";"; !strings.HasPrefix(line, want) ||
		!strings.HasSuffix(line, `;"test; `+i18n.NB.T("report.quarter_year", i18n.NB.Quarter(2), 2023)+`: sist målt 20.05.2023"`) {
		t.Errorf("CSV row %q: want an empty Q3, Q2's count and its Source note", line)
	}
}
