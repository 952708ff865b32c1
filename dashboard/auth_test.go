package dashboard

import (
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/dashboard/signin"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/auth/authtest"
	"github.com/innomed/rekkevidde/internal/config"
)

// The session key and users testConfig carries. The hashes are bcrypt cost 4 of the passwords,
// so signing in during tests costs nothing.
const (
	testSessionKey    = "dashboard-tests-session-key-0123456789abcdef"
	testAdminPassword = "admin-passord-for-test"
	testAdminHash     = "$2a$04$VlCnYuPwjgBUoH9QJaKV5.GRfCYC9baOA0LOx/MNv6flsW72emOLG"
	testEditorHash    = "$2a$04$SqOiV1ok8gw/mwopzKJ9fOu8/2zVyMFz/O6IF3w1NIPAJBe6i9GDK" // redaktor-passord-test
	testViewerHash    = "$2a$04$blXjswQWCNng2OC/VquG1.vy92P/joAjFd4qEob5X1LxvPzUUYmhe" // leser-passord-for-test
)

func setSecret(s *config.Secret, value string) {
	_ = s.Override("V", func(k string) string {
		if k == "V" {
			return value
		}
		return ""
	})
}

// withTestUsers gives cfg a fixed session key and one user per role: test-admin, test-editor,
// test-viewer.
func withTestUsers(cfg *config.Config) {
	setSecret(&cfg.Auth.SessionKey, testSessionKey)
	cfg.Auth.Users = []config.User{
		{Name: "test-admin", PasswordHash: testAdminHash, Role: config.RoleAdmin},
		{Name: "test-editor", PasswordHash: testEditorHash, Role: config.RoleEditor},
		{Name: "test-viewer", PasswordHash: testViewerHash, Role: config.RoleViewer},
	}
}

// testSession signs test-<role> in, as if through the form, with testConfig's key.
func testSession(t testing.TB, role auth.Role, now func() time.Time) (*http.Cookie, *auth.Session) {
	t.Helper()
	a, err := auth.New(auth.Settings{Config: testConfig().Auth, Key: []byte(testSessionKey), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.NewSession("test-"+string(role), role, auth.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: signin.SessionCookie, Value: v}, s
}

// testSessionCookie is the cookie get() sends.
func testSessionCookie(t testing.TB, role auth.Role) *http.Cookie {
	c, _ := testSession(t, role, nil)
	return c
}

// browser keeps cookies between requests, as a browser would (paths aside).
type browser struct {
	t       *testing.T
	app     *fiber.App
	cookies map[string]*http.Cookie
	// set are the cookies the last response set, by name.
	set map[string]*http.Cookie
}

func newBrowser(t *testing.T, app *fiber.App) *browser {
	return &browser{t: t, app: app, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(method, target string, form url.Values, headers ...string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	r := exchange(b.t, b.app, req)
	b.set = map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		b.set[c.Name] = c
		if c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return r
}

func (b *browser) get(target string) response { return b.do(http.MethodGet, target, nil) }

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfIn is the first CSRF token in a page.
func csrfIn(t *testing.T, body string) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in:\n%s", body)
	}
	return m[1]
}

// signIn fills in and posts the sign-in form.
func (b *browser) signIn(name, password, next string) response {
	b.t.Helper()
	page := b.get("/login")
	if page.status != http.StatusOK {
		b.t.Fatalf("GET /login: %d", page.status)
	}
	return b.do(http.MethodPost, "/login", url.Values{
		"csrf": {csrfIn(b.t, page.body)}, "username": {name}, "password": {password}, "next": {next},
	})
}

// authApp is a dashboard without ClickHouse plus test-only routes behind its middleware.
func authApp(t *testing.T, cfg config.Config) *fiber.App {
	t.Helper()
	h, app := build(Deps{Config: cfg, Log: quietLog()})
	app.Get("/test/whoami", func(c *fiber.Ctx) error {
		s := kit.CurrentUser(c)
		return c.SendString(s.Name + " " + string(s.Role))
	})
	app.Post("/test/save", func(c *fiber.Ctx) error { return c.SendString("saved") })
	app.Get("/test/editor", h.signin.RequireRole(auth.Editor), func(c *fiber.Ctx) error { return c.SendString("editor page") })
	app.Get("/test/admin", h.signin.RequireRole("admin"), func(c *fiber.Ctx) error { return c.SendString("admin page") })
	return app
}

// publicRoute matches the routes that do not take a session: the probes, static files and sign-in
// itself, and the read API under /api/v1, which checks its own bearer tokens (dashboard/api).
var publicRoute = regexp.MustCompile(`^(/healthz|/readyz|/static/.*|/login|/logout|/auth/.*|/api/v1(/.*)?)$`)

func TestEveryPageNeedsASession(t *testing.T) {
	app := offlineApp()
	anon := newBrowser(t, app)
	pages := 0
	for _, r := range app.GetRoutes(true) {
		if publicRoute.MatchString(r.Path) || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		target := regexp.MustCompile(`:[^/]+|\*`).ReplaceAllString(r.Path, "x")
		resp := anon.do(r.Method, target+"?year=2022", nil)
		download := r.Method != http.MethodGet || strings.Contains(r.Path, ".")
		switch {
		case download && resp.status != http.StatusUnauthorized:
			t.Errorf("%s %s without a session: %d, want 401", r.Method, target, resp.status)
		case !download && (resp.status != http.StatusSeeOther ||
			resp.header.Get("Location") != "/login?next="+url.QueryEscape(target+"?year=2022")):
			t.Errorf("GET %s without a session: %d Location %q, want 303 to the sign-in form", target, resp.status, resp.header.Get("Location"))
		}
		if !download {
			pages++
		}
		if strings.Contains(resp.body, "innomed.no") {
			t.Errorf("%s %s leaks page content without a session", r.Method, target)
		}
	}
	if pages == 0 {
		t.Fatal("no page routes found")
	}
	// Addresses that do not exist are not told apart from ones that do.
	if r := anon.get("/finnes-ikke"); r.status != http.StatusSeeOther {
		t.Errorf("unknown page without a session: %d", r.status)
	}
	// The public ones stay public.
	for _, target := range []string{"/healthz", "/readyz", "/login"} {
		if r := anon.get(target); r.status != http.StatusOK {
			t.Errorf("GET %s without a session: %d", target, r.status)
		}
	}
	css := regexp.MustCompile(`href="(/static/[^"]+\.css)"`).FindStringSubmatch(anon.get("/login").body)
	if css == nil || anon.get(css[1]).status != http.StatusOK {
		t.Errorf("style sheet without a session: %v", css)
	}
}

func TestNonPageRequestsGet401(t *testing.T) {
	app := authApp(t, testConfig())
	anon := newBrowser(t, app)
	for name, c := range map[string]struct{ target, accept string }{
		"CSV download":        {"/nettsted/kanaler.csv?year=2022", "text/html,*/*"},
		"CSV at the top":      {"/nettsted.csv", "text/csv"},
		"page asked as CSV":   {"/", "text/csv"},
		"JSON":                {"/test/whoami", "application/json"},
		"API even from pages": {"/api/figures", "text/html"},
		"curl":                {"/", "*/*"},
	} {
		t.Run(name, func(t *testing.T) {
			r := anon.do(http.MethodGet, c.target, nil, "Accept", c.accept)
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "logge inn") {
				t.Errorf("status %d body %q, want 401", r.status, r.body)
			}
			if r.header.Get("Location") != "" {
				t.Error("a 401 should not redirect")
			}
		})
	}
	if r := anon.do(http.MethodPost, "/test/save", url.Values{"x": {"1"}}); r.status != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d, want 401", r.status)
	}
}

func TestSignInWithPassword(t *testing.T) {
	app := authApp(t, testConfig())
	b := newBrowser(t, app)

	page := b.get("/login?next=%2Ftest%2Fwhoami")
	for _, want := range []string{
		`<h1 id="login-title">Logg inn</h1>`, `<label for="username">Brukernavn</label>`,
		`<label for="password">Passord</label>`, `autocomplete="current-password"`,
		`<form class="login-form" method="post" action="/login">`, `name="next" value="/test/whoami"`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Microsoft") {
		t.Error("login page offers OpenID Connect, which is not configured")
	}
	lc := b.set[signin.LoginCookie]
	if lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteLaxMode || lc.Path != "/login" || lc.Secure {
		t.Fatalf("login cookie %+v: want HttpOnly, SameSite=Lax, Path=/login, not Secure on loopback", lc)
	}
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login page Cache-Control %q", cc)
	}
	if !strings.Contains(page.header.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Error("login page lacks the CSP")
	}

	// Wrong password and unknown user get the same answer.
	wrong := b.signIn("test-editor", "not-the-password", "/test/whoami")
	unknown := b.signIn("nobody-here", "not-the-password", "/test/whoami")
	for name, r := range map[string]response{"wrong password": wrong, "unknown user": unknown} {
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Feil brukernavn eller passord.") {
			t.Errorf("%s: %d\n%s", name, r.status, r.body)
		}
		if b.cookies[signin.SessionCookie] != nil {
			t.Errorf("%s: got a session", name)
		}
	}
	strip := regexp.MustCompile(`value="[^"]*"|nonce="[^"]*"`)
	if strip.ReplaceAllString(wrong.body, "") != strip.ReplaceAllString(unknown.body, "") {
		t.Error("the answers for a wrong password and an unknown user differ")
	}

	r := b.signIn("TEST-ADMIN", testAdminPassword, "/test/whoami")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/test/whoami" {
		t.Fatalf("sign-in: %d Location %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	sc := b.set[signin.SessionCookie]
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.MaxAge != int((12*time.Hour).Seconds()) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, 12h", sc)
	}
	if b.cookies[signin.LoginCookie] != nil {
		t.Error("the login cookie outlived the sign-in")
	}
	who := b.get("/test/whoami")
	if who.status != http.StatusOK || who.body != "test-admin admin" {
		t.Errorf("after sign-in: %d %q", who.status, who.body)
	}
	if who.header.Get("Cache-Control") != "no-store" {
		t.Errorf("signed-in response Cache-Control %q, want no-store", who.header.Get("Cache-Control"))
	}
	// Signed in, the layout names the person and offers sign-out; /login sends them on.
	nf := b.get("/finnes-ikke")
	for _, want := range []string{"Innlogget som <strong>test-admin</strong>", "(administrator)", `action="/logout"`, `name="csrf" value="`} {
		if !strings.Contains(nf.body, want) {
			t.Errorf("signed-in page lacks %q", want)
		}
	}
	if r := b.get("/login?next=/test/whoami"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/test/whoami" {
		t.Errorf("GET /login signed in: %d %q", r.status, r.header.Get("Location"))
	}
	// English, too.
	en := newBrowser(t, app).get("/login?lang=en")
	if !strings.Contains(en.body, `<label for="username">User name</label>`) || !strings.Contains(en.body, "<h1 id=\"login-title\">Sign in</h1>") {
		t.Errorf("English login page:\n%s", en.body)
	}
}

func TestSignInIsThrottled(t *testing.T) {
	app := authApp(t, testConfig())
	b := newBrowser(t, app)
	for i := range 5 {
		if r := b.signIn("test-editor", "gjetning-nummer", "/"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r := b.signIn("test-editor", "redaktor-passord-test", "/")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "For mange mislykkede innloggingsforsøk. Vent 1 min") {
		t.Fatalf("sixth attempt with the right password: %d\n%s", r.status, r.body)
	}
	if r.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if b.cookies[signin.SessionCookie] != nil {
		t.Error("a throttled attempt got a session")
	}
	// Another person is not locked out by it.
	if r := newBrowser(t, app).signIn("test-viewer", "leser-passord-for-test", "/test/whoami"); r.status != http.StatusSeeOther {
		t.Errorf("another user: %d", r.status)
	}
}

func TestSignOut(t *testing.T) {
	app := authApp(t, testConfig())
	b := newBrowser(t, app)
	if r := b.signIn("test-viewer", "leser-passord-for-test", "/"); r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	old := *b.cookies[signin.SessionCookie]
	page := b.get("/finnes-ikke")
	if r := b.do(http.MethodPost, "/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("sign-out without a CSRF token: %d, want 403", r.status)
	}
	r := b.do(http.MethodPost, "/logout", url.Values{"csrf": {csrfIn(t, page.body)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("sign-out: %d %q", r.status, r.header.Get("Location"))
	}
	if b.cookies[signin.SessionCookie] != nil {
		t.Error("the session cookie was not cleared")
	}
	if r := b.get("/test/whoami"); r.status != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", r.status)
	}
	// A copy of the old cookie is refused too.
	copied := newBrowser(t, app)
	copied.cookies[signin.SessionCookie] = &old
	if r := copied.get("/test/whoami"); r.status != http.StatusSeeOther {
		t.Errorf("old cookie after sign-out: %d", r.status)
	}
}

func TestFormsNeedTheSessionsCSRFToken(t *testing.T) {
	app := authApp(t, testConfig())
	cookie, s := testSession(t, auth.Editor, nil)
	_, other := testSession(t, auth.Editor, nil)
	b := newBrowser(t, app)
	b.cookies[signin.SessionCookie] = cookie

	cases := map[string]struct {
		form    url.Values
		headers []string
		want    int
	}{
		"no token":                {url.Values{"x": {"1"}}, nil, http.StatusForbidden},
		"empty token":             {url.Values{"csrf": {""}}, nil, http.StatusForbidden},
		"wrong token":             {url.Values{"csrf": {"AAAA"}}, nil, http.StatusForbidden},
		"another session's token": {url.Values{"csrf": {other.CSRF.Token()}}, nil, http.StatusForbidden},
		"right token in the form": {url.Values{"csrf": {s.CSRF.Token()}}, nil, http.StatusOK},
		"right token in a header": {url.Values{}, []string{"X-CSRF-Token", s.CSRF.Token()}, http.StatusOK},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := b.do(http.MethodPost, "/test/save", c.form, c.headers...)
			if r.status != c.want {
				t.Fatalf("status %d, want %d\n%s", r.status, c.want, r.body)
			}
			if c.want == http.StatusForbidden && !strings.Contains(r.body, "Skjemaet kunne ikke sendes") {
				t.Errorf("refusal page:\n%s", r.body)
			}
		})
	}
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if r := b.do(m, "/test/save", url.Values{}); r.status != http.StatusForbidden {
			t.Errorf("%s without a token: %d", m, r.status)
		}
	}

	// The sign-in form: its token is bound to the login cookie.
	anon := newBrowser(t, app)
	page := anon.get("/login")
	token := csrfIn(t, page.body)
	form := url.Values{"username": {"test-admin"}, "password": {testAdminPassword}}
	if r := anon.do(http.MethodPost, "/login", form); r.status != http.StatusForbidden {
		t.Errorf("sign-in without a token: %d", r.status)
	}
	form.Set("csrf", token)
	cookieless := newBrowser(t, app)
	if r := cookieless.do(http.MethodPost, "/login", form); r.status != http.StatusForbidden {
		t.Errorf("sign-in with a token but no login cookie: %d", r.status)
	}
	if r := anon.do(http.MethodPost, "/login", form); r.status != http.StatusSeeOther {
		t.Errorf("sign-in with both: %d", r.status)
	}
}

func TestRoles(t *testing.T) {
	app := authApp(t, testConfig())
	for role, want := range map[auth.Role]map[string]int{
		auth.Viewer: {"/test/whoami": 200, "/test/editor": 403, "/test/admin": 403},
		auth.Editor: {"/test/whoami": 200, "/test/editor": 200, "/test/admin": 403},
		auth.Admin:  {"/test/whoami": 200, "/test/editor": 200, "/test/admin": 200},
	} {
		b := newBrowser(t, app)
		b.cookies[signin.SessionCookie] = testSessionCookie(t, role)
		for target, status := range want {
			r := b.get(target)
			if r.status != status {
				t.Errorf("%s GET %s: %d, want %d", role, target, r.status, status)
			}
			if status == http.StatusForbidden && !strings.Contains(r.body, "Ingen tilgang") {
				t.Errorf("%s GET %s: refusal page:\n%s", role, target, r.body)
			}
		}
	}
	b := newBrowser(t, app)
	b.cookies[signin.SessionCookie] = testSessionCookie(t, auth.Viewer)
	if r := b.get("/test/editor"); !strings.Contains(r.body, "Denne siden krever rollen redaktør, og din rolle er leser.") {
		t.Errorf("viewer refused without saying why:\n%s", r.body)
	}
	if r := newBrowser(t, app).get("/test/editor"); r.status != http.StatusSeeOther {
		t.Errorf("no session on a role route: %d", r.status)
	}
	defer func() {
		if recover() == nil {
			t.Error("requireRole accepted an unknown role")
		}
	}()
	h, _ := build(Deps{Config: testConfig(), Log: quietLog()})
	h.signin.RequireRole("superuser")
}

func TestBadSessionCookiesAreRefused(t *testing.T) {
	app := authApp(t, testConfig())
	good, _ := testSession(t, auth.Admin, nil)
	hoursAgo := func() time.Time { return time.Now().Add(-13 * time.Hour) }
	expired, _ := testSession(t, auth.Admin, hoursAgo)

	otherKey, err := auth.New(auth.Settings{Config: testConfig().Auth, Key: []byte(strings.Repeat("x", 40))})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := otherKey.NewSession("test-admin", auth.Admin, auth.MethodPassword)
	forged, _ := otherKey.Encode(s)
	gone, _ := otherKey.NewSession("former-employee", auth.Admin, auth.MethodPassword)
	a, _ := auth.New(auth.Settings{Config: testConfig().Auth, Key: []byte(testSessionKey)})
	goneValue, _ := a.Encode(gone)

	i := strings.LastIndexByte(good.Value, '.')
	tampered := good.Value[:i-1] + string(good.Value[i-1]^1) + good.Value[i:]
	for name, v := range map[string]string{
		"tampered":             tampered,
		"expired":              expired.Value,
		"signed with another":  forged,
		"user no longer there": goneValue,
		"garbage":              "not-a-session",
	} {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, app)
			b.cookies[signin.SessionCookie] = &http.Cookie{Name: signin.SessionCookie, Value: v}
			r := b.get("/test/whoami")
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
				t.Errorf("status %d Location %q, want a redirect to /login", r.status, r.header.Get("Location"))
			}
			if b.cookies[signin.SessionCookie] != nil {
				t.Error("the refused cookie was not cleared")
			}
		})
	}
	b := newBrowser(t, app)
	b.cookies[signin.SessionCookie] = good
	if r := b.get("/test/whoami"); r.status != http.StatusOK {
		t.Errorf("the good cookie: %d", r.status)
	}
}

func TestSignInNextStaysOnThisSite(t *testing.T) {
	app := authApp(t, testConfig())
	if r := newBrowser(t, app).signIn("test-admin", testAdminPassword, "//evil.example/steal"); r.header.Get("Location") != "/" {
		t.Errorf("sign-in with an outside next: Location %q", r.header.Get("Location"))
	}
}

func TestCookiesAreSecureOffLoopbackOrOverHTTPS(t *testing.T) {
	public := testConfig()
	public.HTTP.Listen = "0.0.0.0:8080"
	// app.Test's requests come from 0.0.0.0.
	behindProxy := testConfig()
	behindProxy.HTTP.TrustedProxies = []string{"0.0.0.0"}
	for name, c := range map[string]struct {
		cfg     config.Config
		headers []string
		secure  bool
	}{
		"loopback, plain HTTP":                    {testConfig(), nil, false},
		"loopback behind a trusted HTTPS proxy":   {behindProxy, []string{"X-Forwarded-Proto", "https"}, true},
		"loopback, X-Forwarded-Proto from anyone": {testConfig(), []string{"X-Forwarded-Proto", "https"}, false},
		"all interfaces":                          {public, nil, true},
	} {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t, authApp(t, c.cfg))
			b.do(http.MethodGet, "/login", nil, c.headers...)
			if lc := b.set[signin.LoginCookie]; lc == nil || lc.Secure != c.secure {
				t.Errorf("login cookie %+v, want Secure=%v", lc, c.secure)
			}
		})
	}
}

func TestSignInWithOpenIDConnect(t *testing.T) {
	p := authtest.New(t, "rekkevidde", "client-secret")
	cfg := testConfig()
	cfg.Auth.Users = nil
	cfg.Auth.OIDC = &config.OIDC{
		Issuer:      p.URL,
		ClientID:    "rekkevidde",
		RedirectURL: "http://127.0.0.1:8080/auth/callback",
		Roles:       map[string]string{"Rekkevidde.Admin": "admin", "Rekkevidde.Reader": "viewer"},
	}
	setSecret(&cfg.Auth.OIDC.ClientSecret, "client-secret")
	app := authApp(t, cfg)
	admin := map[string]any{"preferred_username": "kari.nordmann@helse-vest.no", "roles": []string{"Rekkevidde.Reader", "Rekkevidde.Admin"}}

	// start walks from the sign-in page to the provider and returns the callback path it sends
	// the browser back to.
	start := func(b *browser, claims map[string]any) string {
		t.Helper()
		login := b.get("/login?next=%2Ftest%2Fwhoami")
		if !strings.Contains(login.body, `<a class="button-link" href="/auth/oidc?next=%2Ftest%2Fwhoami">Logg inn med Microsoft</a>`) {
			t.Fatalf("login page lacks the Microsoft button:\n%s", login.body)
		}
		if strings.Contains(login.body, `type="password"`) {
			t.Error("password form shown although no local user exists")
		}
		r := b.get("/auth/oidc?next=%2Ftest%2Fwhoami")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), p.URL+"/authorize?") {
			t.Fatalf("GET /auth/oidc: %d %q", r.status, r.header.Get("Location"))
		}
		if oc := b.set[signin.OIDCCookie]; oc == nil || !oc.HttpOnly || oc.Path != "/auth/" || oc.SameSite != http.SameSiteLaxMode {
			t.Fatalf("state cookie %+v", oc)
		}
		cb, err := url.Parse(p.Authorize(t, r.header.Get("Location"), claims))
		if err != nil {
			t.Fatal(err)
		}
		return cb.RequestURI()
	}

	t.Run("full flow", func(t *testing.T) {
		b := newBrowser(t, app)
		r := b.get(start(b, admin))
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/test/whoami" {
			t.Fatalf("callback: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
		}
		if b.cookies[signin.OIDCCookie] != nil {
			t.Error("state cookie outlived the sign-in")
		}
		if who := b.get("/test/whoami"); who.body != "kari.nordmann@helse-vest.no admin" {
			t.Errorf("signed in as %q", who.body)
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		b := newBrowser(t, app)
		cb := start(b, admin)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		r := b.get(u.RequestURI())
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "startet i en annen fane") || b.cookies[signin.SessionCookie] != nil {
			t.Errorf("%d\n%s", r.status, r.body)
		}
		// A second try with the right state fails as well: the state cookie is spent.
		if r := b.get(cb); r.status != http.StatusBadRequest {
			t.Errorf("replayed callback: %d", r.status)
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		forger, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		p.SignWith = forger
		defer func() { p.SignWith = nil }()
		b := newBrowser(t, app)
		r := b.get(start(b, admin))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "kunne ikke bekreftes") || b.cookies[signin.SessionCookie] != nil {
			t.Errorf("%d\n%s", r.status, r.body)
		}
	})
	t.Run("no role", func(t *testing.T) {
		b := newBrowser(t, app)
		r := b.get(start(b, map[string]any{"preferred_username": "per@kommune.no", "roles": []string{"Other.App"}}))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Du er logget inn som per@kommune.no, men har ingen rolle i Rekkevidde.") {
			t.Errorf("%d\n%s", r.status, r.body)
		}
	})
	t.Run("provider reports an error", func(t *testing.T) {
		b := newBrowser(t, app)
		start(b, admin)
		r := b.get("/auth/callback?error=access_denied&error_description=AADSTS50105")
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "(access_denied)") {
			t.Errorf("%d\n%s", r.status, r.body)
		}
	})
	t.Run("configured label, and a password form beside it", func(t *testing.T) {
		both := cfg
		o := *cfg.Auth.OIDC
		o.Label = "Logg inn med helseforetakets konto"
		both.Auth.OIDC = &o
		withTestUsers(&both)
		r := newBrowser(t, authApp(t, both)).get("/login")
		if !strings.Contains(r.body, ">Logg inn med helseforetakets konto</a>") || !strings.Contains(r.body, `type="password"`) ||
			!strings.Contains(r.body, `<p class="login-or"><span>eller</span></p>`) {
			t.Errorf("login page:\n%s", r.body)
		}
	})
	if p.Exchanges() < 3 {
		t.Errorf("only %d codes redeemed", p.Exchanges())
	}
	// Without OIDC configured its endpoints do not exist (and are not public).
	if r := newBrowser(t, authApp(t, testConfig())).get("/auth/oidc"); r.status != http.StatusSeeOther {
		t.Errorf("/auth/oidc without OIDC: %d", r.status)
	}
}
