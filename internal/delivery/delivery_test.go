package delivery

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/demo"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
	"github.com/innomed/rekkevidde/internal/store"
)

func TestDue(t *testing.T) {
	loc := chtest.Oslo(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		now           string
		year, quarter int
		dueAt         string
		ok            bool
	}{
		{"2023-04-05 07:59", 2023, 1, "2023-04-05 08:00", false},
		{"2023-04-05 08:00", 2023, 1, "2023-04-05 08:00", true},
		{"2023-06-30 23:59", 2023, 1, "2023-04-05 08:00", true},
		{"2023-01-04 12:00", 2022, 4, "2023-01-05 08:00", false},
		{"2023-01-05 09:00", 2022, 4, "2023-01-05 08:00", true},
		{"2023-07-05 08:00", 2023, 2, "2023-07-05 08:00", true},
		{"2023-10-01 00:00", 2023, 3, "2023-10-05 08:00", false},
	}
	for _, c := range cases {
		y, q, dueAt, ok := Due(at(c.now), loc, 5, 8)
		if y != c.year || q != c.quarter || !dueAt.Equal(at(c.dueAt)) || ok != c.ok {
			t.Errorf("Due(%s) = %d-Q%d %s %v, want %d-Q%d %s %v", c.now, y, q, dueAt, ok, c.year, c.quarter, c.dueAt, c.ok)
		}
	}
	// The moment is local: 08:00 in Oslo is 06:00 UTC in summer.
	if _, _, _, ok := Due(time.Date(2023, 4, 5, 5, 59, 0, 0, time.UTC), loc, 5, 8); ok {
		t.Error("due at 05:59 UTC = 07:59 in Oslo")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute,
		160 * time.Minute, 320 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// fixture is a database with the demo data, a fake SMTP server and a clock.
type fixture struct {
	st    *store.Store
	smtp  *fakeSMTP
	clock *clock
	opts  Options
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	loc := chtest.Oslo(t)
	st := chtest.Open(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, demo.Options{SiteID: "innomed.no", Location: loc}); err != nil {
		t.Fatal(err)
	}
	srv := startFakeSMTP(t)
	clk := &clock{t: time.Date(2022, 4, 4, 12, 0, 0, 0, loc)}
	site := config.Site{ID: "innomed.no", Name: "innomed.no"}
	builder, err := report.New(query.New(st.Conn()), report.Options{Site: site, Location: loc, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	email := config.Email{
		Enabled: true, Host: "127.0.0.1", Port: srv.port(), TLS: config.EmailNoTLS,
		From:    "Rekkevidde <rekkevidde@innomed.test>",
		To:      []string{"ressursgruppen@innomed.test", "Kari Nordmann <kari@helse.test>"},
		SendDay: 5, SendHour: 8,
	}
	return &fixture{st: st, smtp: srv, clock: clk, opts: Options{
		Email: email, Site: site, Location: loc, Lang: i18n.NB, Reports: builder, DB: st, Now: clk.now,
	}}
}

func (f *fixture) deliverer(t *testing.T) *Deliverer {
	t.Helper()
	d, err := New(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func check(t *testing.T, d *Deliverer, want Outcome) {
	t.Helper()
	got, err := d.Check(context.Background())
	if got != want {
		t.Fatalf("check at %s: %s (err %v), want %s", d.now(), got, err, want)
	}
}

func TestQuarterlyReportIsSentOnceOnItsDay(t *testing.T) {
	f := newFixture(t)
	d := f.deliverer(t)

	check(t, d, NothingDue) // 4 April: Q1 2022 is due on the 5th
	if n := len(f.smtp.received()); n != 0 {
		t.Fatalf("%d messages before the send day", n)
	}
	f.clock.set(time.Date(2022, 4, 5, 8, 0, 0, 0, f.opts.Location))
	check(t, d, Sent)

	msgs := f.smtp.received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "rekkevidde@innomed.test" || !slices.Equal(m.To, []string{"ressursgruppen@innomed.test", "kari@helse.test"}) {
		t.Fatalf("envelope from %q to %q", m.From, m.To)
	}
	msg := parseMessage(t, m.Data)
	if !strings.Contains(msg.header.Get("To"), "ressursgruppen@innomed.test") || !strings.Contains(msg.header.Get("To"), "kari@helse.test") {
		t.Errorf("To header %q", msg.header.Get("To"))
	}
	if msg.subject != "Rekkevidde: kvartalsrapport for 1. kvartal 2022 – innomed.no" {
		t.Errorf("subject %q", msg.subject)
	}
	if id := msg.header.Get("Message-Id"); id != "<rekkevidde.quarterly.2022-q1.innomed.no@innomed.test>" {
		t.Errorf("Message-ID %q", id)
	}
	// The HTML part shows the quarter's figures as the report writes them in bokmål.
	for _, want := range []string{"<table", report.KPILabel(i18n.NB, "web.visits"), "10 234", "8 001", "1. kvartal 2022"} {
		if !strings.Contains(msg.html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, msg.html)
		}
	}
	if !strings.Contains(msg.text, "10 234") {
		t.Errorf("plain-text part lacks the visits:\n%s", msg.text)
	}
	// The CSV attachment holds the same figures, as numbers, and nothing a spreadsheet runs.
	if msg.csvName != "kvartalsrapport-2022-q1-innomed.no.csv" {
		t.Errorf("attachment name %q", msg.csvName)
	}
	visits, unique := csvRow(t, msg.csv, "web.visits"), csvRow(t, msg.csv, "web.unique_visitors")
	if visits[1] != "10234" || unique[1] != "8001" {
		t.Errorf("CSV visits row %q, unique row %q; want Q1 2022 = 10234 and 8001", visits, unique)
	}
	// Q1 2022 against Q4 2021 (8290 visits) and Q1 2021 (8420), from the demo's pinned quarters.
	if visits[2] != "8290" || visits[4] != "8420" {
		t.Errorf("CSV visits row %q: want 8290 for the quarter before and 8420 for a year before", visits)
	}

	// A second check, later the same day, and a new process after a restart send nothing more.
	f.clock.add(time.Hour)
	check(t, d, AlreadySent)
	check(t, f.deliverer(t), AlreadySent)
	if n := len(f.smtp.received()); n != 1 {
		t.Fatalf("%d messages after further checks, want 1", n)
	}
	attempts, err := d.Attempts(context.Background(), "2022-Q1")
	if err != nil || len(attempts) != 1 || attempts[0].LastStatus != StatusSent || len(attempts[0].Recipients) != 2 {
		t.Fatalf("log: %+v, %v", attempts, err)
	}
	// The next quarter is due on its own day.
	f.clock.set(time.Date(2022, 7, 5, 9, 0, 0, 0, f.opts.Location))
	check(t, d, Sent)
	if msgs := f.smtp.received(); len(msgs) != 2 || !strings.Contains(parseMessage(t, msgs[1].Data).subject, "2. kvartal 2022") {
		t.Fatalf("after Q2's day: %d messages", len(msgs))
	}
}

func TestFailedSendIsRecordedAndRetriedWithBackoff(t *testing.T) {
	f := newFixture(t)
	d := f.deliverer(t)
	f.clock.set(time.Date(2022, 4, 6, 10, 0, 0, 0, f.opts.Location))
	f.smtp.failNext(2)

	check(t, d, Failed)
	attempts, err := d.Attempts(context.Background(), "2022-Q1")
	if err != nil || len(attempts) != 1 || attempts[0].LastStatus != StatusFailed || !strings.Contains(attempts[0].Error, "451") {
		t.Fatalf("after a refused send the log holds %+v, %v; want one failed attempt naming the server's 451", attempts, err)
	}
	check(t, d, Waiting) // the first retry waits 5 minutes
	f.clock.add(Backoff(1))
	check(t, d, Failed)
	f.clock.add(Backoff(2) - time.Second)
	check(t, d, Waiting) // the second waits 10
	f.clock.add(time.Second)
	check(t, d, Sent)
	check(t, d, AlreadySent)
	if n := len(f.smtp.received()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
	attempts, _ = d.Attempts(context.Background(), "2022-Q1")
	var statuses []string
	for _, a := range attempts {
		statuses = append(statuses, a.LastStatus)
	}
	if strings.Join(statuses, ",") != "failed,failed,sent" {
		t.Fatalf("attempts %v, want failed,failed,sent", statuses)
	}
}

func TestAnAttemptLeftSendingIsWaitedForThenRetried(t *testing.T) {
	f := newFixture(t)
	d := f.deliverer(t)
	now := time.Date(2022, 4, 5, 9, 0, 0, 0, f.opts.Location)
	f.clock.set(now)
	// Another process claimed the send a minute ago and has not finished.
	a := Attempt{ID: "other", Period: "2022-Q1", Recipients: f.opts.Email.To}
	f.clock.set(now.Add(-time.Minute))
	if err := d.record(context.Background(), a, StatusSending, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.set(now)
	check(t, d, Waiting)
	// It never finished: once stale, it counts as a failed attempt and the retry pause applies.
	f.clock.set(now.Add(StaleAfter))
	check(t, d, Waiting)
	f.clock.set(now.Add(-time.Minute + Backoff(1)).Add(StaleAfter))
	check(t, d, Sent)
	if n := len(f.smtp.received()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	f := Options{Email: config.Email{Host: "h", To: []string{"a@b.c"}}, Site: config.Site{ID: "s"}, Location: time.UTC}
	if _, err := New(f); err == nil {
		t.Fatal("no reports and no database: want an error")
	}
}

// message is a parsed e-mail.
type message struct {
	header      mail.Header
	subject     string
	html, text  string
	csv         []byte
	csvName     string
	pdf         []byte
	pdfName     string
	attachments int
}

func parseMessage(t *testing.T, data string) message {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	out := message{header: m.Header}
	if out.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	walkParts(t, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), "", m.Body, &out)
	want := 1
	if out.pdf != nil {
		want = 2 // the report printed to PDF, beside the CSV (pdf_test.go)
	}
	if out.html == "" || out.text == "" || out.csv == nil || out.attachments != want {
		t.Fatalf("message parts: html %d bytes, text %d bytes, csv %d bytes, %d attachments\n%s",
			len(out.html), len(out.text), len(out.csv), out.attachments, data)
	}
	return out
}

func walkParts(t *testing.T, contentType, encoding, disposition string, body io.Reader, out *message) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walkParts(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p, out)
		}
	}
	raw, err := io.ReadAll(decoder(t, encoding, body))
	if err != nil {
		t.Fatal(err)
	}
	disp, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case disp == "attachment":
		out.attachments++
		switch mediaType {
		case "text/csv":
			out.csv, out.csvName = raw, dparams["filename"]
		case "application/pdf":
			out.pdf, out.pdfName = raw, dparams["filename"]
		}
	case mediaType == "text/html":
		out.html = string(raw)
	case mediaType == "text/plain":
		out.text = string(raw)
	}
}

// csvRow finds the row of the CSV whose source cells belong to a KPI, by the KPI's label in the
// report's first table: the row whose header is the KPI's bokmål label.
func csvRow(t *testing.T, data []byte, kpi string) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma, r.FieldsPerRecord = ';', -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	label := report.KPILabel(i18n.NB, kpi)
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("unsafe CSV cell %q", cell)
			}
		}
		if rec[0] == label {
			return rec
		}
	}
	t.Fatalf("no CSV row %q (%s) in\n%s", label, kpi, data)
	return nil
}

func decoder(t *testing.T, encoding string, r io.Reader) io.Reader {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "", "7bit", "8bit", "binary":
		return r
	}
	t.Fatalf("unknown transfer encoding %q", encoding)
	return nil
}
