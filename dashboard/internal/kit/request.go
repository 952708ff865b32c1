package kit

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// What the middleware learns about a request, kept in its Locals under keys of this package's own
// type so nothing else can collide with them.
type localKey int

const (
	nonceKey     localKey = iota
	langKey               // the page's language
	sessionKey            // *auth.Session of the signed-in person
	renderingKey          // the page is being rendered for the cache
)

// SetNonce keeps the request's CSP nonce.
func SetNonce(c *fiber.Ctx, nonce string) { c.Locals(nonceKey, nonce) }

// NonceOf is the request's CSP nonce.
func NonceOf(c *fiber.Ctx) string {
	s, _ := c.Locals(nonceKey).(string)
	return s
}

// SetLang keeps the page's language.
func SetLang(c *fiber.Ctx, l i18n.Lang) { c.Locals(langKey, l) }

// LangOf is the page's language, or fallback before the language middleware has run.
func LangOf(c *fiber.Ctx, fallback i18n.Lang) i18n.Lang {
	if l, ok := c.Locals(langKey).(i18n.Lang); ok {
		return l
	}
	return fallback
}

// SetUser keeps the signed-in person's session.
func SetUser(c *fiber.Ctx, s *auth.Session) { c.Locals(sessionKey, s) }

// CurrentUser is the signed-in person, or nil on the public routes.
func CurrentUser(c *fiber.Ctx) *auth.Session {
	s, _ := c.Locals(sessionKey).(*auth.Session)
	return s
}

// SetRenderingForCache marks (or unmarks) a request whose page is rendered for the cache.
func SetRenderingForCache(c *fiber.Ctx, on bool) { c.Locals(renderingKey, on) }

// RenderingForCache tells whether the page is rendered for the cache: NewLayout then puts the
// placeholders in.
func RenderingForCache(c *fiber.Ctx) bool {
	b, _ := c.Locals(renderingKey).(bool)
	return b
}

// Account is what the layout shows about the signed-in person. Pages put CSRF in their forms:
// <input type="hidden" name="csrf" value="{{.Account.CSRF}}">.
type Account struct {
	Name string
	Role string // in the page's language
	CSRF string
	// Level is the role itself, for the admin menu.
	Level auth.Role
}

// AccountOf is the signed-in person as the layout shows them, nil when nobody is signed in.
func AccountOf(c *fiber.Ctx, lang i18n.Lang) *Account {
	s := CurrentUser(c)
	if s == nil {
		return nil
	}
	return &Account{Name: s.Name, Role: lang.T("role." + string(s.Role)), CSRF: s.CSRF.Token(), Level: s.Role}
}

// Placeholders are this process's stand-ins for a cached page's per-request parts. They are
// random, so no figure or title can contain them by accident, and plain letters and digits, so
// html/template writes them unchanged in any context.
type Placeholders struct {
	Nonce, CSRF, Name string
}

// NewPlaceholders makes this process's placeholders.
func NewPlaceholders() Placeholders {
	var b [12]byte
	_, _ = rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	return Placeholders{Nonce: "rkvNonce" + tag, CSRF: "rkvCsrf" + tag, Name: "rkvName" + tag}
}

// EditorName is who made a change, as the audit trail records it.
func EditorName(c *fiber.Ctx) string {
	if s := CurrentUser(c); s != nil {
		return s.Name
	}
	return "unknown"
}
