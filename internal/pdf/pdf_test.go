package pdf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chromium")
	}
	p := os.Getenv("REKKEVIDDE_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no Chromium at %s (set REKKEVIDDE_CHROMIUM): %v", p, err)
	}
	return p
}

// page is a handler for the printed page: a chart box that a script fills, and an image from
// another host, which the browser must never fetch.
func testPage(t *testing.T, seen *[]string, mu *sync.Mutex) Fetcher {
	mux := http.NewServeMux()
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><style>@page { size: A4; margin: 12mm }</style></head><body>
<h1>Årsrapport 10 234</h1><div class="chart"></div><img src="https://cdn.example.com/x.png">
<script src="/static/draw.js"></script></body></html>`)
	})
	mux.HandleFunc("/static/draw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(w, `document.querySelector('.chart').appendChild(document.createElement('canvas'));`)
	})
	return func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		*seen = append(*seen, req.URL.String())
		mu.Unlock()
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Result(), nil
	}
}

func TestRenderPrintsThePageWithoutTheNetwork(t *testing.T) {
	r := New(Options{Chromium: chromium(t), Timeout: 60 * time.Second})
	if err := r.Available(); err != nil {
		t.Fatal(err)
	}
	var seen []string
	var mu sync.Mutex
	out, err := r.Render(context.Background(), "http://rekkevidde.render/report", testPage(t, &seen, &mu))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", out)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range seen {
		if !strings.HasPrefix(u, "http://rekkevidde.render/") {
			t.Errorf("the fetcher was asked for %s", u)
		}
	}
	if len(seen) < 2 {
		t.Errorf("the page's own script was not fetched through the fetcher: %q", seen)
	}
}

func TestRenderFailsClearly(t *testing.T) {
	missing := New(Options{Chromium: "/nonexistent/chromium"})
	_, err := missing.Render(context.Background(), "http://rekkevidde.render/report", nil)
	if !errors.Is(err, ErrNoChromium) || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("without Chromium: %v", err)
	}
	r := New(Options{Chromium: chromium(t), Timeout: 3 * time.Second})
	// A page whose chart never draws: the render gives up at the timeout and says so.
	never := func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(rec, `<!DOCTYPE html><div class="chart"></div>`)
		return rec.Result(), nil
	}
	start := time.Now()
	_, err = r.Render(context.Background(), "http://rekkevidde.render/report", never)
	if err == nil || !strings.Contains(err.Error(), "no PDF within 3s") || time.Since(start) > 20*time.Second {
		t.Errorf("a page that never draws: %v after %s", err, time.Since(start))
	}
	// A page that answers 500 is an error, not a PDF of an error page.
	broken := func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		rec.WriteHeader(http.StatusInternalServerError)
		return rec.Result(), nil
	}
	r = New(Options{Chromium: chromium(t), Timeout: 60 * time.Second})
	if _, err := r.Render(context.Background(), "http://rekkevidde.render/report", broken); err == nil || !strings.Contains(err.Error(), "pdf /report: load") {
		t.Errorf("a page answering 500: %v", err)
	}
}
