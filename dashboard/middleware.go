package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/i18n"
)

type localKey int

const (
	nonceKey localKey = iota
	langKey
	sessionKey // *auth.Session of the signed-in person (auth.go)
)

// langCookie remembers the language chosen with ?lang=.
const langCookie = "lang"

// securityHeaders sets the headers every response carries. The CSP allows scripts only from this
// origin and inline scripts only with this request's nonce: go-echarts emits its chart setup as an
// inline <script>, and the templates put the nonce on every script tag they write.
//
// style-src-attr allows inline style attributes (not <style> elements): ECharts builds its tooltip
// with innerHTML that carries style="…", and there is no way to nonce attributes. Script injection
// stays closed; the worst a style attribute can do is restyle the page.
func (h *handler) securityHeaders(c *fiber.Ctx) error {
	nonce, err := newNonce()
	if err != nil {
		return err
	}
	c.Locals(nonceKey, nonce)
	c.Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src 'self' 'nonce-%s'; "+
		"style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "+
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'", nonce))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	return c.Next()
}

func newNonce() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("csp nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func nonceOf(c *fiber.Ctx) string {
	s, _ := c.Locals(nonceKey).(string)
	return s
}

// language picks the page language: ?lang= (remembered in a cookie for the following pages), else
// the cookie, else the configured default. An unsupported ?lang= is ignored rather than refused,
// since the page is still perfectly readable in the default language.
func (h *handler) language(c *fiber.Ctx) error {
	lang := h.defaultLang
	if l, ok := i18n.Parse(c.Cookies(langCookie)); ok {
		lang = l
	}
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		lang = l
		c.Cookie(&fiber.Cookie{
			Name:     langCookie,
			Value:    string(l),
			Path:     "/",
			MaxAge:   int((365 * 24 * time.Hour).Seconds()),
			HTTPOnly: true,
			Secure:   c.Protocol() == "https",
			SameSite: fiber.CookieSameSiteLaxMode,
		})
	}
	c.Locals(langKey, lang)
	return c.Next()
}

func langOf(c *fiber.Ctx, fallback i18n.Lang) i18n.Lang {
	if l, ok := c.Locals(langKey).(i18n.Lang); ok {
		return l
	}
	return fallback
}
