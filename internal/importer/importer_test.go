package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

func options(t testing.TB) Options {
	return Options{AccountID: "innomed", ListID: "a1b2c3d4e5", Zone: chtest.Oslo(t)}
}

func kind(t testing.TB, name string) Kind {
	t.Helper()
	k, ok := Lookup(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

func openFile(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestEventsFileAsExcelWritesIt(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "events-2022.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "\ufeff") || !strings.Contains(string(raw), ";") || !strings.Contains(string(raw), "\r\n") {
		t.Fatal("testdata/events-2022.csv must be as Excel writes it: BOM, ';' and CRLF")
	}
	records, res, err := Parse(kind(t, "events"), strings.NewReader(string(raw)), options(t))
	if err != nil {
		t.Fatal(err)
	}
	// innomed-communication.md: six webinars, eight network meetings, three national meeting
	// places and three introduction courses in 2022.
	want := map[string]int{figures.KindWebinar: 6, figures.KindNetworkMeeting: 8, figures.KindNationalMeetingPlace: 3, figures.KindCourse: 3}
	got := map[string]int{}
	for _, r := range records {
		ev := r.(figures.Event)
		got[ev.Kind]++
		if ev.AccountID != "innomed" || ev.StartsAt.In(chtest.Oslo(t)).Year() != 2022 {
			t.Errorf("event %+v", ev)
		}
	}
	if res.Rows != 20 || len(got) != len(want) {
		t.Fatalf("rows = %d, kinds = %v", res.Rows, got)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d events, want %d", k, got[k], n)
		}
	}
}

func TestEventsImportShowsTheAnnualReportsNationalMeetingPlace(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	for range 2 { // importing the same file twice changes nothing
		res, err := Import(ctx, st, kind(t, "events"), openFile(t, "events-2022.csv"), options(t))
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 20 {
			t.Fatalf("rows = %d", res.Rows)
		}
		rows, err := st.Conn().Query(ctx, `
SELECT toString(toDate(starts_at, 'Europe/Oslo')), attended_on_site, attended_digital, registered, source
FROM events FINAL
WHERE account_id = 'innomed' AND kind = 'national_meeting_place' AND deleted = 0
ORDER BY starts_at`)
		if err != nil {
			t.Fatal(err)
		}
		type dho struct {
			day                         string
			onSite, digital, registered *uint32
			source                      string
		}
		var got []dho
		for rows.Next() {
			var d dho
			if err := rows.Scan(&d.day, &d.onSite, &d.digital, &d.registered, &d.source); err != nil {
				t.Fatal(err)
			}
			got = append(got, d)
		}
		_ = rows.Close()
		// The annual report: 100, 100, and 40 on site + 60 digital; it gives no registrations.
		want := []struct {
			day             string
			onSite, digital int // -1: unknown
		}{{"2022-03-31", -1, 100}, {"2022-08-24", -1, 100}, {"2022-11-07", 40, 60}}
		if len(got) != len(want) {
			t.Fatalf("national meeting places: %+v", got)
		}
		for i, w := range want {
			g := got[i]
			if g.day != w.day || !sameCount(g.onSite, w.onSite) || !sameCount(g.digital, w.digital) || g.registered != nil || g.source != Source {
				t.Errorf("national meeting place %d = %s %v/%v/%v %s, want %+v", i, g.day, g.onSite, g.digital, g.registered, g.source, w)
			}
		}
		var total, attended uint64
		if err := st.Conn().QueryRow(ctx, `
SELECT count(), sum(ifNull(attended_on_site, 0) + ifNull(attended_digital, 0))
FROM events FINAL WHERE account_id = 'innomed' AND deleted = 0`).Scan(&total, &attended); err != nil {
			t.Fatal(err)
		}
		if total != 20 || attended != 300 {
			t.Errorf("events = %d, attended = %d, want 20 and 300", total, attended)
		}
	}
	// Through the query layer as the dashboard reads it.
	loc := chtest.Oslo(t)
	// Per kind as the annual report sums them (query.SumByKind over the year's events).
	events, err := query.New(st.Conn()).Events(ctx, "innomed", time.Date(2022, 1, 1, 0, 0, 0, 0, loc), time.Date(2023, 1, 1, 0, 0, 0, 0, loc))
	if err != nil {
		t.Fatal(err)
	}
	totals := query.SumByKind(events, figures.EventKinds())
	if len(totals) == 0 {
		t.Fatal("no event kinds read back")
	}
	for _, kt := range totals {
		if kt.Kind == figures.KindNationalMeetingPlace && (kt.Events != 3 || kt.Attended != 300 || kt.WithAttendance != 3) {
			t.Errorf("national meeting place totals = %+v", kt)
		}
	}
}

func sameCount(got *uint32, want int) bool {
	if want < 0 {
		return got == nil
	}
	return got != nil && int(*got) == want
}

func TestNewsletterAndSubscribersImport(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	opts := options(t)
	res, err := Import(ctx, st, kind(t, "newsletter"), openFile(t, "newsletter-2022.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 11 {
		t.Errorf("campaigns = %d, want 11", res.Rows)
	}
	if _, err := Import(ctx, st, kind(t, "subscribers"), openFile(t, "subscribers-2022.csv"), opts); err != nil {
		t.Fatal(err)
	}
	// Through the readers the dashboard and the reports use.
	q := query.New(st.Conn())
	campaigns, err := q.SpanCampaigns(ctx, opts.ListID, days.YearSpan(2022), opts.Zone)
	if err != nil {
		t.Fatal(err)
	}
	year := query.SumCampaigns(campaigns)
	snaps, err := q.Subscribers(ctx, opts.ListID, days.YearSpan(2021).From, days.YearSpan(2022).To)
	if err != nil || len(snaps) < 2 {
		t.Fatalf("subscribers: %+v %v", snaps, err)
	}
	// The count 2022 starts with is 2021's last snapshot.
	var start *uint64
	for _, s := range snaps {
		if s.Date.Year() == 2021 {
			start = &s.Subscribers
		}
	}
	end := snaps[len(snaps)-1].Subscribers
	// Sums of testdata/newsletter-2022.csv: delivered = sent − bounces where the column is empty.
	if year.Campaigns != 11 || year.EmailsSent != 2530 || year.Delivered != 2511 || year.UniqueClicks != 524 || year.UniqueOpens != 1251 {
		t.Errorf("year = %+v", year)
	}
	if start == nil || *start != 142 || end != 312 || snaps[len(snaps)-1].Date.Year() != 2022 {
		t.Errorf("subscribers at start/end = %v/%d, want 142/312", start, end)
	}
	if year.ClickRate == nil || *year.ClickRate < 0.20 || *year.ClickRate > 0.21 {
		t.Errorf("click rate = %v, want just over 20 %%", year.ClickRate)
	}
	jan10, err := days.CustomSpan(days.Date(2022, 1, 10), days.Date(2022, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	campaigns, err = q.SpanCampaigns(ctx, opts.ListID, jan10, opts.Zone)
	if err != nil {
		t.Fatal(err)
	}
	if len(campaigns) != 1 || campaigns[0].ID != "nb-2022-01" || campaigns[0].Delivered != 147 ||
		!campaigns[0].SendTime.Equal(time.Date(2022, 1, 10, 8, 0, 0, 0, time.UTC)) || campaigns[0].Subject != "InnoMed – nytt i januar" {
		t.Errorf("January campaign = %+v", campaigns)
	}
}

// TestBadFilesAreRefusedWhole checks that every problem is reported with its line and reason and
// that a file with any problem leaves nothing behind.
func TestBadFilesAreRefusedWhole(t *testing.T) {
	const header = "kind;title;date;registered;attended_on_site;attended_digital\n"
	const good = "kurs;Introduksjonskurs;2022-03-17;20;18;\n"
	cases := []struct {
		name, kind, file string
		want             []string // each a line's problem, in order
	}{
		{"missing required column", "events", "kind;date\nkurs;2022-03-17\n",
			[]string{`line 1: required column "title" is missing`}},
		{"unknown column", "events", "kind;title;date;sted\nkurs;A;2022-03-17;Oslo\n",
			[]string{`line 1: unknown column "sted"`}},
		{"column twice", "events", "kind;title;Title;date\n",
			[]string{`line 1: column "title" appears twice`}},
		{"bad dates", "events", header + good + "kurs;B;31.02.2022;;;\nkurs;C;2022-13-01;;;\nkurs;D;;;;\nkurs;E;03/17/2022;;;\nkurs;F;17.03.22;;;\n",
			[]string{`line 3: date: "31.02.2022" is not a date: use YYYY-MM-DD or DD.MM.YYYY`, `line 4: date: "2022-13-01" is not a date`, `line 5: date: required`,
				`line 6: date: "03/17/2022" is not a date: use YYYY-MM-DD or DD.MM.YYYY`, `line 7: date: "17.03.22" is not a date`}},
		{"negative and non-numeric counts", "events", header + good + "kurs;B;2022-03-18;-4;;\nkurs;C;2022-03-19;12,5;ti;\n",
			[]string{`line 3: registered: "-4" is negative`, `line 4: registered: "12,5" is not a whole number`, `line 4: attended_on_site: "ti" is not a whole number`}},
		{"duplicate event", "events", header + good + "webinar;X;2022-03-18;;;5\nKURS;introduksjonskurs;17.03.2022;;;\n",
			[]string{`line 4: the same event (kind, date and title) as line 2`}},
		{"unknown kind and webinar on site", "events", header + "seminar;A;2022-03-17;;;\nwebinar;B;2022-03-17;;3;4\n",
			[]string{`line 2: kind: "seminar" is not a kind of event`, `line 3: attended_on_site: a webinar has no on-site attendance`}},
		{"shifted line", "events", header + good + "kurs;B;2022-03-18;1\n",
			[]string{`line 3: has 4 values, the header has 6 columns`}},
		{"stray quote", "events", header + good + "kurs;\"B;2022-03-18;;;\n" + good,
			[]string{`line 3: not readable as CSV`}},
		{"not UTF-8", "events", header + "nettverksm\xf8te;A;2022-03-17;;;\n",
			[]string{`line 2: not UTF-8 text`}},
		{"header only", "events", header, []string{`line 2: no rows below the header`}},
		{"empty", "events", "\ufeff\r\n", []string{`line 1: the file is empty`}},
		{"newsletter counts", "newsletter", "title,send_date,emails_sent,unique_opens,unique_clicks,hard_bounces,soft_bounces\n" +
			"A,2022-01-10,100,50,,,\nB,2022-02-10,100,50,20,90,20\nC,2022-03-10,100,150,20,,\n",
			[]string{`line 2: unique_clicks: required`, `line 3: hard_bounces: hard_bounces + soft_bounces (110) is more than emails_sent (100)`,
				`line 4: unique_opens: 150 is more than were delivered (100)`}},
		{"duplicate campaign", "newsletter", "campaign_id,title,send_date,emails_sent,unique_opens,unique_clicks\n" +
			"x1,A,2022-01-10,100,50,20\nx1,B,2022-02-10,100,50,20\n",
			[]string{`line 3: the same campaign (campaign_id, or send_date and title) as line 2`}},
		{"duplicate subscriber date", "subscribers", "date;subscribers\n2022-01-31;10\n31.01.2022;11\n",
			[]string{`line 3: the same date as line 2`}},
	}
	st := chtest.Open(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import(ctx, st, kind(t, c.kind), strings.NewReader(c.file), options(t))
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("Import = %v, want Problems", err)
			}
			if len(problems) != len(c.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(problems), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(problems[i].String(), w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, problems[i], w)
				}
			}
			if !strings.Contains(err.Error(), "nothing was imported") {
				t.Errorf("the message must say nothing was imported: %v", err)
			}
		})
	}
	// Several files above have good lines before and after the bad ones: none may have been written.
	assertEmpty(t, st)
}

func assertEmpty(t *testing.T, st *store.Store) {
	t.Helper()
	for _, table := range []string{"events", "newsletter_campaigns", "newsletter_subscribers_daily"} {
		var n uint64
		if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows after refused imports, want 0", table, n)
		}
	}
}

func TestFormatsAccepted(t *testing.T) {
	cases := map[string]string{
		"comma, no BOM, LF":             "kind,title,date,attended_digital\nwebinar,A,2022-03-17,1 234\n",
		"semicolon, BOM, CRLF":          "\ufeffkind;title;date;attended_digital\r\nwebinar;A;17.03.2022;1234\r\n",
		"header in any case, spaces":    "\ufeff Kind ; TITLE ;Date;Attended_Digital\r\nWebinar;A;17.3.2022;\"1\u00a0234\"\r\n",
		"quoted title with delimiter":   "kind;title;date;attended_digital\nwebinar;\"A; del 1\";2022-03-17;1234\n",
		"trailing delimiters and blank": "kind;title;date;attended_digital;;\nwebinar;A;2022-03-17;1234;;\n;;;;;\n\n",
		"columns in another order":      "attended_digital;date;title;kind\n1234;2022-03-17;A;webinar\n",
	}
	for name, file := range cases {
		t.Run(name, func(t *testing.T) {
			records, res, err := Parse(kind(t, "events"), strings.NewReader(file), options(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 1 {
				t.Fatalf("rows = %d", res.Rows)
			}
			ev := records[0].(figures.Event)
			if ev.Kind != figures.KindWebinar || ev.AttendedDigital == nil || *ev.AttendedDigital != 1234 || ev.AttendedOnSite != nil {
				t.Errorf("event = %+v", ev)
			}
		})
	}
}

func TestOptionsAreChecked(t *testing.T) {
	opts := options(t)
	opts.ListID = ""
	if _, _, err := Parse(kind(t, "newsletter"), openFile(t, "newsletter-2022.csv"), opts); err == nil || !strings.Contains(err.Error(), "no list given") {
		t.Errorf("newsletter without a list: %v", err)
	}
	opts = options(t)
	opts.AccountID = ""
	if _, _, err := Parse(kind(t, "events"), openFile(t, "events-2022.csv"), opts); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("events without an account: %v", err)
	}
}

func TestDocumentedColumns(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		if !strings.Contains(string(raw), "## `"+k.Name+"`") {
			t.Errorf("README.md has no section for %s", k.Name)
		}
		for _, c := range k.Columns {
			if !strings.Contains(string(raw), "| `"+c.Name+"` |") {
				t.Errorf("README.md does not document column %s of %s", c.Name, k.Name)
			}
		}
	}
}
