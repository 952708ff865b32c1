package dashboard_test

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/config"
)

// formClient posts to the app as a browser would, keeping the cookies it is given.
type formClient struct {
	t       *testing.T
	app     *fiber.App
	cookies map[string]*http.Cookie
}

func (c *formClient) do(method, target string, form url.Values) (int, string) {
	c.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A browser's Accept: without a session a page would answer 303, so a 403 below is the CSRF
	// check and not the sign-in check.
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	resp, err := c.app.Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return resp.StatusCode, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestEveryFormPostNeedsTheCSRFToken posts, signed in as an admin, to every route the real app
// registers for POST (and PUT, PATCH, DELETE) without the CSRF token: each must be refused with
// 403 before its handler runs, so a form added later is covered without a test of its own.
// auth_test.go checks the token itself (wrong, another session's, in a header) on a test route.
func TestEveryFormPostNeedsTheCSRFToken(t *testing.T) {
	password := "skjema-passord-for-test"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Sites = []config.Site{{ID: "innomed.no", Name: "innomed.no"}}
	cfg.Auth.Users = []config.User{{Name: "skjema", PasswordHash: string(hash), Role: config.RoleAdmin}}
	key := make([]byte, auth.MinKeyBytes)
	_, _ = rand.Read(key)
	// No database: the check must refuse before anything would need one.
	app := dashboard.New(dashboard.Deps{Config: cfg, SessionKey: key, Log: slog.New(slog.DiscardHandler)})

	c := &formClient{t: t, app: app, cookies: map[string]*http.Cookie{}}
	status, page := c.do(http.MethodGet, "/login", url.Values{})
	token := csrfField.FindStringSubmatch(page)
	if status != http.StatusOK || token == nil {
		t.Fatalf("GET /login: %d, CSRF field %v", status, token)
	}
	if status, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {token[1]}, "username": {"skjema"}, "password": {password}}); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", status)
	}
	// Signed in: even the not-found page answers (no redirect) and carries the session's token.
	status, page = c.do(http.MethodGet, "/finnes-ikke", url.Values{})
	if status != http.StatusNotFound || !csrfField.MatchString(page) {
		t.Fatalf("not signed in after the form: GET /finnes-ikke %d", status)
	}
	sessionToken := csrfField.FindStringSubmatch(page)[1]

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
		status, body := c.do(r.Method, target, url.Values{"name": {"forged"}, "published": {"1"}, "replace": {"1"}})
		if status != http.StatusForbidden {
			t.Errorf("%s %s without a CSRF token, signed in: %d, want 403\n%.300s", r.Method, target, status, body)
		}
	}
	if posts < 5 {
		t.Errorf("only %d form routes found; the app registers more", posts)
	}

	// The session was good all along: with its token, signing out works.
	if status, _ := c.do(http.MethodPost, "/logout", url.Values{"csrf": {sessionToken}}); status != http.StatusSeeOther {
		t.Errorf("sign-out with the token: %d, want 303", status)
	}
}
