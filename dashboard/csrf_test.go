package dashboard

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestEveryFormPostNeedsTheCSRFToken posts, signed in as an admin, to every route the real app
// registers for POST (and PUT, PATCH, DELETE) without the CSRF token: each must be refused with
// 403 before its handler runs, so a form added later is covered without a test of its own.
// auth_test.go checks the token itself (wrong, another session's, in a header) on a test route.
func TestEveryFormPostNeedsTheCSRFToken(t *testing.T) {
	// No database: the check must refuse before anything would need one.
	app := offlineApp()
	b := newBrowser(t, app)
	if r := b.signIn("test-admin", testAdminPassword, "/"); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.status)
	}
	// Signed in: even the not-found page answers (no redirect) and carries the session's token.
	page := b.get("/finnes-ikke")
	if page.status != http.StatusNotFound || !hiddenCSRF.MatchString(page.body) {
		t.Fatalf("not signed in after the form: GET /finnes-ikke %d", page.status)
	}
	sessionToken := csrfIn(t, page.body)

	param := regexp.MustCompile(`:[^/]+|\*`)
	posts := 0
	for _, r := range app.GetRoutes(true) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue
		}
		if strings.HasPrefix(r.Path, "/api/") {
			continue // bearer tokens, never cookies: nothing for a forged form to ride on
		}
		target := param.ReplaceAllString(r.Path, "x")
		posts++
		if got := b.do(r.Method, target, url.Values{"name": {"forged"}, "published": {"1"}, "replace": {"1"}}); got.status != http.StatusForbidden {
			t.Errorf("%s %s without a CSRF token, signed in: %d, want 403\n%.300s", r.Method, target, got.status, got.body)
		}
	}
	if posts < 5 {
		t.Errorf("only %d form routes found; the app registers more", posts)
	}

	// The session was good all along: with its token, signing out works.
	if r := b.do(http.MethodPost, "/logout", url.Values{"csrf": {sessionToken}}); r.status != http.StatusSeeOther {
		t.Errorf("sign-out with the token: %d, want 303", r.status)
	}
}
