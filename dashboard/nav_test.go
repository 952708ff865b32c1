package dashboard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/config"
)

func TestEverySignedInPageHasTheNavigationAndAdminsTheirMenu(t *testing.T) {
	st := chtest.Open(t)
	cfg := testConfig()
	cfg.Sources = []config.Source{{ID: "plausible", Type: "plausible", Disabled: true}}
	app := writableApp(t, st, cfg, nil)
	const mainNav, menu = `<nav class="main-nav"`, `class="nav-admin"`
	admin := browserAs(t, app, auth.Admin)
	for _, path := range []string{"/admin/api-tokens", "/admin/kilder", "/admin/kilder/plausible", "/markeringer", "/rapporter", "/arrangementer/ny"} {
		r := admin.get(path)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", path, r.status)
			continue
		}
		if !strings.Contains(r.body, mainNav) || !strings.Contains(r.body, `href="/nettsted"`) {
			t.Errorf("%s has no main navigation", path)
		}
		for _, link := range []string{`href="/markeringer"`, `href="/admin/kilder"`, `href="/admin/api-tokens"`} {
			if !strings.Contains(r.body, link) {
				t.Errorf("%s: the admin menu lacks %s", path, link)
			}
		}
	}
	if r := admin.get("/admin/kilder"); !strings.Contains(r.body, `<a href="/admin/kilder/plausible">plausible</a>`) ||
		!strings.Contains(r.body, `href="/admin/kilder" aria-current="page"`) {
		t.Errorf("the sources index does not list the source or mark itself current")
	}
	editor := browserAs(t, app, auth.Editor).get("/")
	if !strings.Contains(editor.body, `href="/markeringer"`) || strings.Contains(editor.body, `href="/admin/api-tokens"`) {
		t.Error("an editor's menu: the notes, never the admin pages")
	}
	viewer := browserAs(t, app, auth.Viewer).get("/")
	if strings.Contains(viewer.body, menu) {
		t.Error("a viewer sees the admin menu")
	}
	if r := browserAs(t, app, auth.Editor).get("/admin/kilder"); r.status != http.StatusForbidden {
		t.Errorf("an editor opens the sources index: %d", r.status)
	}
}
