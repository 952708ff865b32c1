package dashboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/store"
)

// cardHTML is the HTML of the overview's KPI card titled title.
func cardHTML(t *testing.T, body, title string) string {
	t.Helper()
	for _, c := range strings.Split(body, `<li class="card">`)[1:] {
		c, _, _ = strings.Cut(c, "</section>")
		if strings.Contains(c, ">"+title+"<") {
			end := strings.Index(c, `<div class="target`)
			if end < 0 {
				end = len(c)
			}
			return c[:end]
		}
	}
	t.Fatalf("no card %q in\n%s", title, body)
	return ""
}

// A year after the demo data ends has no follower figure: the last count is not carried forward
// as "per <today>" with ±0 %, and the all-KPIs table and its CSV leave the cell and its change empty.
func TestOverviewCarriesNoSnapshotIntoAnEmptyYear(t *testing.T) {
	_, _, fetch := demoApp(t)
	r := fetch("/?period=custom&from=2024-01-01&to=2024-03-31")
	if r.status != 200 {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	for _, k := range []string{"kpi.social.followers.facebook", "kpi.newsletter.subscribers", "kpi.newsletter.last_click_rate"} {
		c := cardHTML(t, r.body, i18n.NB.T(k))
		if !strings.Contains(c, `<p class="card-value">–`) {
			t.Errorf("%s card shows a value for 2024:\n%s", k, c)
		}
		if strings.Contains(c, "±0") || strings.Contains(c, `class="change up"`) || strings.Contains(c, `class="change down"`) {
			t.Errorf("%s card shows a change for 2024:\n%s", k, c)
		}
	}
	rows := csvRows(t, fetch("/oversikt.csv?period=custom&from=2024-01-01&to=2024-03-31"), ';')
	found := false
	for _, row := range rows {
		if strings.HasSuffix(row[0], "(social.followers.facebook)") {
			found = true
			if row[1] != "" || row[3] != "" || row[2] == "" {
				t.Errorf("2024 Facebook followers row %q: want no value and no change beside 2023's count", row)
			}
		}
	}
	if !found {
		t.Fatalf("no Facebook followers row in %q", rows)
	}
}

// A span whose last snapshot is before its end shows the count "sist målt <day>" and still compares
// it with the previous period.
func TestOverviewSaysWhenALevelWasLastMeasured(t *testing.T) {
	st, _, fetch := demoApp(t)
	var last time.Time
	if err := st.Conn().QueryRow(context.Background(),
		"SELECT max(date) FROM social_followers_daily WHERE platform = 'facebook'").Scan(&last); err != nil {
		t.Fatal(err)
	}
	from, to := last.AddDate(0, 0, -20), last.AddDate(0, 0, 20)
	q := "period=custom&from=" + from.Format("2006-01-02") + "&to=" + to.Format("2006-01-02")
	r := fetch("/?" + q)
	if r.status != 200 {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	c := cardHTML(t, r.body, i18n.NB.T("kpi.social.followers.facebook"))
	want := "sist målt " + last.Format("02.01.2006")
	if !strings.Contains(c, `<p class="card-asof">`+want+`</p>`) {
		t.Errorf("card lacks %q:\n%s", want, c)
	}
	if strings.Contains(c, "per "+to.Format("02.01.2006")) || strings.Contains(c, i18n.NB.T("overview.no_comparison")) {
		t.Errorf("card claims the count on %s or has no comparison:\n%s", to.Format("02.01.2006"), c)
	}
	if !strings.Contains(r.body, "("+want+")") {
		t.Errorf("the all-KPIs table lacks (%s)", want)
	}
	en := fetch("/?lang=en&" + q)
	if w := "last measured " + kit.ShortDate(i18n.EN, last); !strings.Contains(en.body, w) {
		t.Errorf("English overview lacks %q", w)
	}
}

// A source that stopped delivering (its last run succeeded, ten days ago, and none ran since) is
// flagged on the overview's freshness strip, so its carried levels are not read as flat growth.
func TestOverviewFlagsASourceThatStoppedDelivering(t *testing.T) {
	st, _, _ := demoApp(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	stopped := now.AddDate(0, 0, -10)
	day := time.Date(stopped.Year(), stopped.Month(), stopped.Day(), 0, 0, 0, 0, time.UTC)
	fin := stopped.Add(time.Minute)
	if err := st.Insert(ctx, "collector_runs", []string{"run_id", "source", "mode", "window_from", "window_to", "started_at",
		"finished_at", "status", "rows_written", "error", "notes", "retry_at", "version"}, [][]any{
		{"s1", "meta", "incremental", day, day, stopped, &fin, "ok", uint64(3), "", "", nil, store.NewVersion()},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.SummarizeRuns(ctx); err != nil { // as the scheduler folds the runs it records
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "meta", Type: "meta"}}
	r := get(t, newApp(t, st, cfg), "/")
	i := strings.Index(r.body, `<section class="freshness"`)
	if i < 0 {
		t.Fatalf("no freshness strip:\n%s", r.body)
	}
	strip := r.body[i:]
	strip = strip[:strings.Index(strip, "</section>")]
	for _, want := range []string{`<li class="source state-broken">`, `<strong class="source-name">meta</strong> <span class="badge">Feil</span>`,
		"Tallene er 3 dager eller mer på etterskudd.", "Tall til og med " + day.Format("02.01.2006")} {
		if !strings.Contains(strip, want) {
			t.Errorf("freshness strip lacks %q:\n%s", want, strip)
		}
	}
}
