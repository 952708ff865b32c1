package dashboard

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/query"
)

// testChromium is the browser the PDF tests print with (REKKEVIDDE_CHROMIUM, as the browser test).
// A missing browser fails rather than skips: a skipped PDF test would look green while nothing
// was printed.
func testChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("PDF test: needs ClickHouse and Chromium")
	}
	p := os.Getenv("REKKEVIDDE_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no Chromium at %s (set REKKEVIDDE_CHROMIUM; scripts/chromium.sh installs it): %v", p, err)
	}
	return p
}

// pdfText is the PDF's text as pdftotext gives it, with its pages written as PNGs to
// REKKEVIDDE_SCREENSHOTS (when set) for a person to look at.
func pdfText(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", name, err)
	}
	if shots := os.Getenv("REKKEVIDDE_SCREENSHOTS"); shots != "" {
		if err := exec.Command("pdftoppm", "-png", "-r", "60", file, filepath.Join(shots, "pdf-"+name)).Run(); err != nil {
			t.Errorf("pdftoppm %s: %v", name, err)
		}
	}
	return string(out)
}

func pdfPages(t *testing.T, data []byte) int {
	t.Helper()
	file := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfinfo", file).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			var n int
			for _, r := range strings.TrimSpace(v) {
				n = n*10 + int(r-'0')
			}
			return n
		}
	}
	t.Fatalf("pdfinfo gave no page count: %s", out)
	return 0
}

func TestReportsDownloadAsPDF(t *testing.T) {
	chromium := testChromium(t)
	st := demoStore(t)
	cfg := testConfig()
	app := New(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: cfg, Store: st, Log: quietLog(),
		PDF: pdf.New(pdf.Options{Chromium: chromium, Timeout: 90 * time.Second})})

	page := get(t, app, "/rapporter/ar/2022")
	if !strings.Contains(page.body, `href="/rapporter/ar/2022/pdf"`) || !strings.Contains(page.body, "Last ned PDF") {
		t.Fatalf("the annual report offers no PDF: %.2000s", page.body)
	}
	for _, c := range []struct {
		path, file string
		want       []string
		maxPages   int
	}{
		// The 2022 demo is InnoMed's annual report: its figures must be in the PDF as text.
		{"/rapporter/ar/2022/pdf", "arsrapport-2022-innomed.no.pdf", []string{"InnoMed", "årsrapport", "Kommunikasjon 2022", "10 234", "8 001", "9 068", "7 157"}, 3},
		{"/rapporter/kvartal/2022-Q3/pdf", "kvartalsrapport-2022-q3-innomed.no.pdf", []string{"InnoMed", "kvartalsrapport", "Kvartalsrapport: 3. kvartal 2022",
			// The quarter's figures in every section: web, social media, newsletter, events.
			"9 634", "7 435", "519", "406", "282", "20,2 %", "125", "Deltok digitalt", "Definisjoner og kilder"}, 2},
		// In English the same documents fit the same pages (longer dates and kinds).
		{"/rapporter/ar/2022/pdf?lang=en", "annual-report-2022-innomed.no.pdf", []string{"InnoMed", "annual report", "Communication 2022", "10,234", "Definitions and sources"}, 3},
		{"/rapporter/kvartal/2022-Q3/pdf?lang=en", "quarterly-report-2022-q3-innomed.no.pdf", []string{"Quarterly review: Q3 2022", "9,634", "Attended digitally"}, 2},
	} {
		r := get(t, app, c.path)
		if r.status != 200 {
			t.Fatalf("%s: status %d: %.500s", c.path, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("%s: Content-Type %q", c.path, ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, c.file) {
			t.Errorf("%s: Content-Disposition %q, want file %s", c.path, cd, c.file)
		}
		text := pdfText(t, strings.TrimSuffix(c.file, ".pdf"), []byte(r.body))
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", c.path, w, text)
			}
		}
		// Printed pages only: no navigation, no buttons.
		for _, not := range []string{"Last ned PDF", "Last ned tallene", "Logg ut", "Logget inn"} {
			if strings.Contains(text, not) {
				t.Errorf("%s: the PDF shows %q, which is for the screen", c.path, not)
			}
		}
		if n := pdfPages(t, []byte(r.body)); n < 1 || n > c.maxPages {
			t.Errorf("%s: %d pages, want 1–%d", c.path, n, c.maxPages)
		}
	}
}

func TestReportPDFWithoutChromiumSaysHowToInstallIt(t *testing.T) {
	st := chtest.Open(t)
	importReportFixture(t, st)
	app := New(Deps{Queries: query.New(st.Conn()), Ready: st.Ping, Config: testConfig(), Log: quietLog(),
		PDF: pdf.New(pdf.Options{Chromium: "/nonexistent/chromium"})})
	page := get(t, app, "/rapporter/ar/2022")
	if page.status != 200 || strings.Contains(page.body, "/rapporter/ar/2022/pdf") || !strings.Contains(page.body, "apt-get install chromium") {
		t.Fatalf("without Chromium the page should explain and offer no PDF link: %d %.3000s", page.status, page.body)
	}
	if !strings.Contains(page.body, "/rapporter/ar/2022/csv") {
		t.Error("without Chromium the CSV download must stay")
	}
	for _, lang := range []string{"nb", "en"} {
		r := get(t, app, "/rapporter/kvartal/2022-Q3/pdf?lang="+lang)
		if r.status != 503 || !strings.Contains(r.body, "apt-get install chromium") {
			t.Errorf("%s: PDF without Chromium: %d %.600s", lang, r.status, r.body)
		}
	}
}
