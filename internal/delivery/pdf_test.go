package delivery

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

// logLines keeps what the deliverer logs, to check what it says about a missing PDF.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestQuarterlyEmailCarriesTheReportAsPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse and Chromium")
	}
	chromium := os.Getenv("REKKEVIDDE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	f := newFixture(t)
	cfg := config.Defaults()
	cfg.Sites = []config.Site{f.opts.Site}
	// The dashboard's printer: the same page and print rules as "Last ned PDF".
	_, printer := dashboard.NewWithPrinter(dashboard.Deps{Queries: query.New(f.st.Conn()), Config: cfg, Store: f.st,
		Log: slog.New(slog.DiscardHandler), PDF: pdf.New(pdf.Options{Chromium: chromium, Timeout: 90 * time.Second})})
	if err := printer.Available(); err != nil {
		t.Fatalf("no Chromium for the PDF (set REKKEVIDDE_CHROMIUM): %v", err)
	}
	f.opts.PDF = func(ctx context.Context, year, quarter int) ([]byte, error) {
		return printer.QuarterlyPDF(ctx, year, quarter, f.opts.Lang)
	}
	f.clock.set(time.Date(2022, 4, 5, 8, 0, 0, 0, f.opts.Location))
	check(t, f.deliverer(t), Sent)

	msgs := f.smtp.received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	msg := parseMessage(t, msgs[0].Data)
	if msg.pdfName != "kvartalsrapport-2022-q1-innomed.no.pdf" || !bytes.HasPrefix(msg.pdf, []byte("%PDF-")) {
		t.Fatalf("PDF attachment %q, %d bytes (%.8q)", msg.pdfName, len(msg.pdf), msg.pdf)
	}
	file := filepath.Join(t.TempDir(), msg.pdfName)
	if err := os.WriteFile(file, msg.pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// Q1 2022 of the demo: InnoMed's annual report's first quarter.
	for _, want := range []string{"Kvartalsrapport: 1. kvartal 2022", "10 234", "8 001"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

func TestQuarterlyEmailWithoutChromiumGoesWithoutPDFAndSaysSo(t *testing.T) {
	f := newFixture(t)
	var logs logLines
	f.opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
	missing := pdf.New(pdf.Options{Chromium: "/nonexistent/chromium"})
	f.opts.PDF = func(ctx context.Context, year, quarter int) ([]byte, error) {
		return nil, fmt.Errorf("quarterly report PDF: %w", missing.Available())
	}
	f.clock.set(time.Date(2022, 4, 5, 8, 0, 0, 0, f.opts.Location))
	check(t, f.deliverer(t), Sent)
	msgs := f.smtp.received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msg := parseMessage(t, msgs[0].Data); msg.pdf != nil || msg.csv == nil {
		t.Errorf("without Chromium: PDF %d bytes, CSV %d bytes; want the CSV only", len(msg.pdf), len(msg.csv))
	}
	if l := logs.String(); !strings.Contains(l, "sent without PDF") || !strings.Contains(l, "apt-get install chromium") {
		t.Errorf("the log does not say the PDF is missing and how to get it:\n%s", l)
	}
}

func TestQuarterlyEmailNeverSendsAPublicationOfAnUnfinishedQuarter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Frozen on 15 March 2022 by a version without the publishing guard: Q1's last two weeks missing.
	body := `{"year":2022,"quarter":1,"period":"2022-Q1","kpis":[]}`
	err := f.st.Insert(ctx, "report_publications", []string{"report", "scope", "period", "published_at", "published_by", "body", "checksum"},
		[][]any{{report.KindQuarterly, f.opts.Site.ID, "2022-Q1", time.Date(2022, 3, 15, 10, 0, 0, 0, time.UTC), "kari", body, "early"}})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.set(time.Date(2022, 4, 5, 8, 0, 0, 0, f.opts.Location))
	check(t, f.deliverer(t), Sent)
	msg := parseMessage(t, f.smtp.received()[0].Data)
	if strings.Contains(msg.text, "15. mars 2022") || !strings.Contains(msg.text, "10 234") {
		t.Errorf("the message sends the early publication instead of the whole quarter:\n%s", msg.text)
	}
	if want := i18n.NB.T("delivery.not_published", "5. april 2022"); !strings.Contains(msg.text, want) {
		t.Errorf("the message should say the figures are today's (%q):\n%s", want, msg.text)
	}
}
