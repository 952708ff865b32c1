package dashboard

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
)

func TestStaticFiles(t *testing.T) {
	app := offlineApp()
	a, err := kit.LoadAssets()
	if err != nil {
		t.Fatal(err)
	}
	css := a.URL("style.css")
	if !strings.HasPrefix(css, "/static/") || !strings.HasSuffix(css, "/style.css") {
		t.Fatalf("style.css URL %q", css)
	}
	if dir := a.Dir("echarts/echarts.min.js"); !strings.HasSuffix(dir, "/echarts/") {
		t.Fatalf("ECharts dir %q must end in /echarts/ for go-echarts' AssetsHost", dir)
	}

	r := get(t, app, css)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s: %d %s", css, r.status, r.header.Get("Content-Type"))
	}
	etag := r.header.Get("ETag")
	if r := get(t, app, css, "If-None-Match", etag); r.status != http.StatusNotModified {
		t.Errorf("revalidation with ETag: %d, want 304", r.status)
	}
	// A page from an older build asks with an old checksum: it gets the file, but not for a year.
	old := get(t, app, "/static/000000000000/style.css")
	if old.status != http.StatusOK || old.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old checksum: %d, Cache-Control %q", old.status, old.header.Get("Cache-Control"))
	}

	js := get(t, app, a.URL("echarts/echarts.min.js"), "Accept-Encoding", "gzip, br")
	if js.header.Get("Content-Encoding") != "gzip" || js.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("ECharts with Accept-Encoding gzip: Content-Encoding %q Vary %q", js.header.Get("Content-Encoding"), js.header.Get("Vary"))
	}
	zr, err := gzip.NewReader(strings.NewReader(js.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	embedded, _ := kit.StaticFile("echarts/echarts.min.js")
	if !bytes.Equal(plain, embedded) {
		t.Error("gzipped ECharts does not decompress to the embedded file")
	}
	if !bytes.Contains(embedded[:2000], []byte("Apache")) {
		t.Error("vendored echarts.min.js lacks its licence header")
	}
}
