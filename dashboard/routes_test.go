package dashboard

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/dashboard/api"
	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/auth"
)

// TestEveryRouteIsInTheTable checks that the app registers exactly the routes table: no route
// added beside it, none of its rows lost.
func TestEveryRouteIsInTheTable(t *testing.T) {
	h := offlineHandler()
	app := h.app()
	table := h.routeTable(api.New(h.apiDeps(nil, 1)))
	covers := func(r route, method, path string) bool {
		return r.path == path && (r.method == method || r.method == methodAll ||
			(method == http.MethodHead && r.method == http.MethodGet))
	}
	registered := app.GetRoutes(true)
	for _, got := range registered {
		found := false
		for _, r := range table {
			found = found || covers(r, got.Method, got.Path)
		}
		if !found {
			t.Errorf("%s %s is registered but not in the routes table", got.Method, got.Path)
		}
	}
	for _, r := range table {
		found := false
		for _, got := range registered {
			found = found || covers(r, got.Method, got.Path)
		}
		if !found {
			t.Errorf("%s %s (%s) is in the routes table but not registered", r.method, r.path, r.access)
		}
	}
	if len(table) < 40 {
		t.Errorf("only %d routes in the table", len(table))
	}
}

// TestEveryRouteRefusesWhoTheTableKeepsOut walks the routes table: a route for the signed-in
// refuses a stranger, an editor's route a viewer, an admin's route an editor, an API route a
// request without a token; and each lets in the least role the table names.
func TestEveryRouteRefusesWhoTheTableKeepsOut(t *testing.T) {
	h := offlineHandler()
	app := h.app()
	param := regexp.MustCompile(`:[^/]+|\*`)
	ask := func(r route, role auth.Role) response {
		t.Helper()
		method := r.method
		if method == methodAll {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, param.ReplaceAllString(r.path, "x"), nil)
		if role != "" {
			cookie, s := testSession(t, role, nil)
			req.AddCookie(cookie)
			req.Header.Set(signin.CSRFHeader, s.CSRF.Token()) // so that only the role can refuse a POST
		}
		return exchange(t, app, req)
	}
	refused := func(r response) bool {
		return r.status == http.StatusUnauthorized || r.status == http.StatusForbidden ||
			(r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/login"))
	}
	least := map[access]auth.Role{signedIn: auth.Viewer, editor: auth.Editor, adminOnly: auth.Admin}
	below := map[access]auth.Role{signedIn: "", editor: auth.Viewer, adminOnly: auth.Editor}
	counts := map[access]int{}
	for _, r := range h.routeTable(api.New(h.apiDeps(nil, 1))) {
		counts[r.access]++
		switch r.access {
		case infra, public, apiOpen:
			// 403 is allowed: POST /login without its form's CSRF cookie; no role is asked for.
			if got := ask(r, ""); got.status == http.StatusUnauthorized || (got.status == http.StatusSeeOther && strings.HasPrefix(got.header.Get("Location"), "/login?next=")) {
				t.Errorf("%s %s is %s but refuses a stranger: %d", r.method, r.path, r.access, got.status)
			}
		case apiToken:
			if got := ask(r, auth.Admin); got.status != http.StatusUnauthorized {
				t.Errorf("%s %s with a session but no token: %d, want 401", r.method, r.path, got.status)
			}
		default:
			if got := ask(r, below[r.access]); !refused(got) {
				t.Errorf("%s %s (%s) lets in %q: %d", r.method, r.path, r.access, below[r.access], got.status)
			}
			if got := ask(r, least[r.access]); refused(got) {
				t.Errorf("%s %s (%s) refuses %s: %d", r.method, r.path, r.access, least[r.access], got.status)
			}
		}
	}
	// What the table says follows two rules a reader relies on: /admin is for admins, and a
	// signed-in person's change (a POST) needs at least an editor.
	for _, r := range h.routeTable(api.New(h.apiDeps(nil, 1))) {
		if strings.HasPrefix(r.path, "/admin") && r.access != adminOnly {
			t.Errorf("%s %s is %s, want admin", r.method, r.path, r.access)
		}
		if r.method == http.MethodPost && r.access == signedIn {
			t.Errorf("POST %s is for any signed-in person, want editor or admin", r.path)
		}
	}
	for _, a := range []access{infra, apiOpen, apiToken, public, signedIn, editor, adminOnly} {
		if counts[a] == 0 {
			t.Errorf("no %s route in the table", a)
		}
	}
}
