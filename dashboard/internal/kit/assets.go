package kit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// staticFS holds the CSS and the vendored ECharts (see static/echarts/README.md).
//
//go:embed static
var staticFS embed.FS

// asset is one embedded file, read and compressed once at start-up.
type asset struct {
	body        []byte
	gzipped     []byte // nil when compression would not pay
	contentType string
	sum         string
}

// StaticFile is the embedded static file name (relative to static/), for tests.
func StaticFile(name string) ([]byte, error) { return staticFS.ReadFile("static/" + name) }

// Assets serves embedded files at checksummed URLs, /static/<sum>/<path>, as Miniflux does: a URL
// names exactly one content, so browsers may cache it for a year, and a new build changes the URL.
type Assets struct {
	files map[string]asset
}

// LoadAssets reads and compresses the embedded static files.
func LoadAssets() (*Assets, error) {
	fsys, root := staticFS, "static"
	a := &Assets{files: map[string]asset{}}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		name := strings.TrimPrefix(p, root+"/")
		sum := sha256.Sum256(body)
		f := asset{body: body, contentType: contentType(name), sum: hex.EncodeToString(sum[:])[:12]}
		if f.gzipped, err = gzipIfSmaller(body); err != nil {
			return fmt.Errorf("compress %s: %w", p, err)
		}
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard static files: %w", err)
	}
	return a, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case "", ".md":
		return fiber.MIMETextPlainCharsetUTF8 // LICENSE, NOTICE, README.md
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func gzipIfSmaller(body []byte) ([]byte, error) {
	if len(body) < 1024 {
		return nil, nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() >= len(body) {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// URL is the address of the embedded file name (relative to static/). It panics on an unknown
// name: templates and charts only name files that are embedded, and tests render every page.
func (a *Assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		panic(fmt.Sprintf("dashboard: no embedded static file %q", name))
	}
	return "/static/" + f.sum + "/" + name
}

// Dir is the URL prefix, ending in "/", under which file name is served; go-echarts' AssetsHost
// takes a directory and appends the file name itself.
func (a *Assets) Dir(name string) string {
	return strings.TrimSuffix(a.URL(name), path.Base(name))
}

// Serve answers /static/:sum/* with an embedded file. A request with an outdated checksum (a page
// rendered by the previous build) still gets the current file, but without the long cache lifetime.
func (a *Assets) Serve(c *fiber.Ctx) error {
	name := c.Params("*")
	f, ok := a.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + f.sum + `"`
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Params("sum") == f.sum {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if f.gzipped != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(f.gzipped)
	}
	return c.Send(f.body)
}
