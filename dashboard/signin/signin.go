// Package signin is the dashboard's sign-in: the sign-in form and OpenID Connect, sign-out, the
// session cookie, and the middleware that reads it (LoadSession), requires it (RequireSession,
// RequireRole) and guards every change with the session's CSRF token (CheckCSRF). Throttling and
// the sessions themselves are internal/auth's.
package signin

import (
	"errors"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// Only /healthz, /readyz, /static/*, the sign-in pages, the OpenID Connect endpoints and the read
// API (its own tokens) are public; the dashboard's routes() puts RequireSession and CheckCSRF in
// front of every page, so a page added to the routes table is protected without doing anything.
//
// Cookies (all HttpOnly, SameSite=Lax, signed by internal/auth):
//   - rekkevidde_session: the session (name, role, expiry, CSRF secret), Path=/.
//   - rekkevidde_login: the sign-in form's CSRF secret before anyone is signed in, Path=/login.
//   - rekkevidde_oidc: state, nonce and PKCE verifier of a sign-in in progress, Path=/auth/.
//
// SameSite=Lax rather than Strict: the browser comes back from the identity provider by a
// cross-site redirect, and a Strict cookie would be missing from that request and the next one.
// Lax still keeps the cookies off cross-site POSTs; the CSRF token is the real defence.
const (
	SessionCookie = "rekkevidde_session"
	LoginCookie   = "rekkevidde_login"
	OIDCCookie    = "rekkevidde_oidc"
	// csrfField is the hidden field every POST form carries; scripts may send CSRFHeader instead.
	csrfField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// Deps is what sign-in needs from the server.
type Deps struct {
	Auth *auth.Auth
	Log  *slog.Logger
	// Render draws the sign-in form and the refusals through the server's layout.
	Render *kit.Renderer
	// Lang is the configured language, for answers before the language is known.
	Lang i18n.Lang
	// SecureCookies: the listener is not loopback, so cookies are Secure whatever the request
	// says (decided once from http.listen).
	SecureCookies bool
	// TrustedProxies is http.trusted_proxies, for finding the client in X-Forwarded-For.
	TrustedProxies []string
}

// Signin holds sign-in's state, built once by New; read-only afterwards.
type Signin struct {
	auth           *auth.Auth
	log            *slog.Logger
	render         *kit.Renderer
	defaultLang    i18n.Lang
	secureCookies  bool
	trustedProxies []netip.Prefix
}

// New builds sign-in over d.
func New(d Deps) *Signin {
	return &Signin{auth: d.Auth, log: d.Log, render: d.Render, defaultLang: d.Lang,
		secureCookies: d.SecureCookies, trustedProxies: proxyPrefixes(d.TrustedProxies)}
}

// LoadSession reads the session cookie. It refuses nothing: RequireSession does, after the public
// routes have had their turn.
func (h *Signin) LoadSession(c *fiber.Ctx) error {
	value := c.Cookies(SessionCookie)
	if value == "" {
		return c.Next()
	}
	s, err := h.auth.Decode(value)
	if err != nil {
		// Expired, signed out, tampered with or from another key: drop it so the browser stops
		// sending it.
		h.log.DebugContext(c.UserContext(), "session cookie refused", "path", c.Path(), "err", err)
		h.clearCookie(c, SessionCookie, "/")
		return c.Next()
	}
	kit.SetUser(c, s)
	return c.Next()
}

// RequireSession lets signed-in requests through, marked no-store so that no cache keeps a page
// meant for one person. A browser asking for a page without a session is sent to the sign-in form
// and brought back afterwards; anything else (CSV, JSON, /api, scripts) gets a bare 401.
func (h *Signin) RequireSession(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if kit.CurrentUser(c) != nil {
		return c.Next()
	}
	if wantsPage(c) {
		target := "/login"
		if next := c.OriginalURL(); next != "/" {
			target += "?next=" + url.QueryEscape(next)
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	lang := kit.LangOf(c, h.defaultLang)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusUnauthorized).SendString(lang.T("auth.required") + "\n")
}

// wantsPage tells whether a request is a browser navigating to a page, which is worth a redirect.
func wantsPage(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return false
	}
	p := c.Path()
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		return false
	}
	if ext := path.Ext(p); ext != "" && ext != ".html" {
		return false // a download such as /nettsted.csv
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMETextHTML)
}

// CheckCSRF refuses a request that changes anything (POST, PUT, PATCH, DELETE) unless it carries
// a token made from this session's CSRF secret, in the csrf form field or the X-CSRF-Token header.
func (h *Signin) CheckCSRF(c *fiber.Ctx) error {
	if isSafeMethod(c.Method()) {
		return c.Next()
	}
	if s := kit.CurrentUser(c); s == nil || !s.CSRF.Check(csrfTokenOf(c)) {
		return h.refuseCSRF(c)
	}
	return c.Next()
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions || m == fiber.MethodTrace
}

func csrfTokenOf(c *fiber.Ctx) string {
	if t := c.Get(CSRFHeader); t != "" {
		return t
	}
	return c.FormValue(csrfField)
}

func (h *Signin) refuseCSRF(c *fiber.Ctx) error {
	h.log.InfoContext(c.UserContext(), "request refused: missing or wrong CSRF token", "method", c.Method(), "path", c.Path())
	return h.render.Refuse(c, fiber.StatusForbidden, "auth.csrf_title", "auth.csrf")
}

// RequireRole guards a route that needs more than a viewer:
//
//	r.Post("/registrer", h.RequireRole(auth.Editor), h.saveEntry)
//
// The role may also be written as a plain "editor". An unknown role panics when routes are
// registered, which every test run catches.
func (h *Signin) RequireRole(role auth.Role) fiber.Handler {
	need, err := auth.ParseRole(string(role))
	if err != nil {
		panic(err)
	}
	return func(c *fiber.Ctx) error {
		s := kit.CurrentUser(c)
		if s == nil {
			return h.RequireSession(c)
		}
		if !s.Role.AtLeast(need) {
			lang := kit.LangOf(c, h.defaultLang)
			return h.render.Refuse(c, fiber.StatusForbidden, "error.forbidden", "auth.role_required",
				lang.T("role."+string(need)), lang.T("role."+string(s.Role)))
		}
		return c.Next()
	}
}

type loginPage struct {
	kit.Layout
	Next     string
	CSRF     string
	Username string
	Error    string
	// PasswordForm is false when only OpenID Connect is configured.
	PasswordForm bool
	OIDCURL      string
	OIDCLabel    string
}

func (h *Signin) newLoginPage(c *fiber.Ctx, next string, csrf auth.CSRF) loginPage {
	lang := kit.LangOf(c, h.defaultLang)
	p := loginPage{
		Layout:       h.render.Layout(c, lang, lang.T("auth.login_title")),
		Next:         next,
		CSRF:         csrf.Token(),
		PasswordForm: h.auth.HasUsers() || h.auth.OIDC() == nil,
	}
	if o := h.auth.OIDC(); o != nil {
		p.OIDCURL = "/auth/oidc"
		if next != "/" {
			p.OIDCURL += "?next=" + url.QueryEscape(next)
		}
		p.OIDCLabel = o.Label()
		if p.OIDCLabel == "" {
			p.OIDCLabel = lang.T("auth.oidc_button")
		}
	}
	return p
}

// LoginPage shows the sign-in form, or sends someone already signed in on to where they wanted.
func (h *Signin) LoginPage(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if kit.CurrentUser(c) != nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	// One login cookie serves every tab: a valid one is kept rather than replaced, so a form left
	// open in another tab still posts.
	csrf, err := h.auth.LoginCSRF(c.Cookies(LoginCookie))
	if err != nil {
		var cookie string
		cookie, csrf, err = h.auth.NewLoginCSRF()
		if err != nil {
			return err
		}
		h.setCookie(c, LoginCookie, cookie, "/login", auth.LoginFormTTL)
	}
	return h.render.Send(c, "login", h.newLoginPage(c, next, csrf))
}

// Login checks the posted form. Its CSRF token is bound to the login cookie, since there is no
// session yet; a wrong name and a wrong password get the same answer.
func (h *Signin) Login(c *fiber.Ctx) error {
	csrf, err := h.auth.LoginCSRF(c.Cookies(LoginCookie))
	if err != nil || !csrf.Check(csrfTokenOf(c)) {
		return h.refuseCSRF(c)
	}
	lang := kit.LangOf(c, h.defaultLang)
	next := safeNext(c.FormValue("next"))
	name := c.FormValue("username")
	page := h.newLoginPage(c, next, csrf)
	page.Username = kit.Clip(strings.TrimSpace(name))

	s, err := h.auth.Login(c.UserContext(), h.clientIP(c), name, c.FormValue("password"))
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(throttled.Wait.Seconds()))))
		page.Error = lang.T("auth.throttled", int(math.Ceil(throttled.Wait.Minutes())))
		c.Status(fiber.StatusTooManyRequests)
		return h.render.Send(c, "login", page)
	case errors.Is(err, auth.ErrBadCredentials):
		page.Error = lang.T("auth.bad_credentials")
		c.Status(fiber.StatusUnauthorized)
		return h.render.Send(c, "login", page)
	case err != nil:
		return err
	}
	if err := h.startSession(c, s); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// Logout ends the session: the cookie is cleared and the session refused from now on, even if a
// copy of the cookie turns up. Signing out without a session is a harmless no-op.
func (h *Signin) Logout(c *fiber.Ctx) error {
	if s := kit.CurrentUser(c); s != nil {
		if !s.CSRF.Check(csrfTokenOf(c)) {
			return h.refuseCSRF(c)
		}
		h.auth.Revoke(s)
		h.log.InfoContext(c.UserContext(), "signed out", "user", s.Name)
	}
	h.clearCookie(c, SessionCookie, "/")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// OIDCStart sends the browser to the identity provider.
func (h *Signin) OIDCStart(c *fiber.Ctx) error {
	authURL, cookie, err := h.auth.OIDC().Begin(c.UserContext(), safeNext(c.Query("next")))
	if err != nil {
		return h.oidcFailed(c, err)
	}
	h.setCookie(c, OIDCCookie, cookie, "/auth/", auth.OIDCStateTTL)
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

// OIDCCallback is where the identity provider sends the browser back with a code.
func (h *Signin) OIDCCallback(c *fiber.Ctx) error {
	cookie := c.Cookies(OIDCCookie)
	h.clearCookie(c, OIDCCookie, "/auth/") // good for one try, whatever its outcome
	if code := c.Query("error"); code != "" {
		// The person cancelled, or the provider refused them (e.g. not assigned to the app).
		h.log.InfoContext(c.UserContext(), "identity provider returned an error", "error", kit.Clip(code))
		return h.render.Refuse(c, fiber.StatusForbidden, "auth.oidc_title", "auth.oidc_provider_error", kit.Clip(code))
	}
	id, next, err := h.auth.OIDC().Finish(c.UserContext(), cookie, c.Query("state"), c.Query("code"))
	if err != nil {
		return h.oidcFailed(c, err)
	}
	s, err := h.auth.NewSession(id.Name, id.Role, auth.MethodOIDC)
	if err != nil {
		return err
	}
	if err := h.startSession(c, s); err != nil {
		return err
	}
	return c.Redirect(safeNext(next), fiber.StatusSeeOther)
}

func (h *Signin) oidcFailed(c *fiber.Ctx, err error) error {
	var noRole *auth.NoRoleError
	switch {
	case errors.As(err, &noRole):
		return h.render.Refuse(c, fiber.StatusForbidden, "error.forbidden", "auth.oidc_no_role", noRole.Name)
	case errors.Is(err, auth.ErrOIDCState):
		h.log.InfoContext(c.UserContext(), "OpenID Connect callback refused", "err", err)
		return h.render.Refuse(c, fiber.StatusBadRequest, "auth.oidc_title", "auth.oidc_state")
	case errors.Is(err, auth.ErrOIDCToken):
		h.log.WarnContext(c.UserContext(), "OpenID Connect ID token refused", "err", err)
		return h.render.Refuse(c, fiber.StatusForbidden, "auth.oidc_title", "auth.oidc_refused")
	case errors.Is(err, auth.ErrOIDCUnavailable):
		h.log.ErrorContext(c.UserContext(), "OpenID Connect provider unavailable", "err", err)
		return h.render.Refuse(c, fiber.StatusServiceUnavailable, "auth.oidc_title", "auth.oidc_unavailable")
	}
	return err
}

// startSession sets the session cookie for a new sign-in and drops the login form's cookie. A
// session the browser already had (signing in as someone else) ends.
func (h *Signin) startSession(c *fiber.Ctx, s *auth.Session) error {
	value, err := h.auth.Encode(s)
	if err != nil {
		return err
	}
	if old := kit.CurrentUser(c); old != nil {
		h.auth.Revoke(old)
	}
	h.setCookie(c, SessionCookie, value, "/", s.ExpiresAt.Sub(s.IssuedAt))
	h.clearCookie(c, LoginCookie, "/login")
	return nil
}

// setCookie sets one of our cookies. Secure is set when the request came over HTTPS (directly or
// as a trusted proxy's X-Forwarded-Proto says), and always when the dashboard listens on anything but loopback: such
// an install is reached from other machines, and its session must never cross a network in clear.
// A plain-HTTP install on a non-loopback address therefore cannot sign in at all, by design; put
// TLS in front of it. A loopback listener (make run, or behind a local proxy that says https)
// gets Secure only over HTTPS, so local trials over http://127.0.0.1 work.
func (h *Signin) setCookie(c *fiber.Ctx, name, value, path string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   int(maxAge.Seconds()),
		HTTPOnly: true,
		Secure:   h.secureCookies || c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (h *Signin) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{
		Name:     name,
		Path:     path,
		Expires:  time.Unix(0, 0),
		HTTPOnly: true,
		Secure:   h.secureCookies || c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// safeNext keeps a return address only if it is a path on this site, so that the sign-in form
// cannot be used to send someone elsewhere ("//evil.example", "/\evil.example", "https://…").
func safeNext(next string) string {
	const home = "/"
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\t\r\n") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	// Coming back to the sign-in pages would only loop.
	if u.Path == "/login" || u.Path == "/logout" || strings.HasPrefix(u.Path, "/auth/") {
		return home
	}
	return next
}

// clientIP is the address a sign-in attempt is throttled by: the peer's own, unless the peer is a
// trusted proxy (http.trusted_proxies). Then it is the nearest X-Forwarded-For entry that is not
// itself a trusted proxy: proxies append the address they saw, so entries further left were
// written by the client and could be anything.
func (h *Signin) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	if len(h.trustedProxies) == 0 || !c.IsProxyTrusted() {
		return peer
	}
	ips := c.IPs() // fiber's parse of X-Forwarded-For, invalid entries dropped (EnableIPValidation)
	for i := len(ips) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(ips[i])
		if err != nil {
			break
		}
		if !h.isTrustedProxy(a) {
			return a.Unmap().String()
		}
	}
	return peer
}

func (h *Signin) isTrustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range h.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// proxyPrefixes parses http.trusted_proxies, which config.Load has validated; a single address
// becomes a prefix of its full length.
func proxyPrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
