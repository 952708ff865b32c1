package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// langCookie remembers the language chosen with ?lang=.
const langCookie = "lang"

// securityHeaders sets the headers every response carries. The CSP allows scripts only from this
// origin and inline scripts only with this request's nonce: go-echarts emits its chart setup as an
// inline <script>, and the templates put the nonce on every script tag they write.
//
// Styles come only from this origin's style sheet: no <style> element and no style attribute
// (style-src covers both). ECharts still sizes and places its elements, since it sets styles
// through the CSSOM (element.style), which CSP does not govern; its tooltips are drawn on the
// canvas rather than as HTML (canvasTooltips in chart.go), because HTML tooltips carry style attributes.
// The browser test watches every page for CSP violations.
//
// HSTS is sent on HTTPS only (TLS here, or a trusted proxy's X-Forwarded-Proto: https): over plain
// HTTP the header means nothing and would only mislead. It leaves out includeSubDomains, since the
// dashboard often sits on a subdomain of an organisation whose other hosts are not ours to decide.
func (h *handler) securityHeaders(c *fiber.Ctx) error {
	nonce, err := newNonce()
	if err != nil {
		return err
	}
	kit.SetNonce(c, nonce)
	c.Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src 'self' 'nonce-%s'; "+
		"style-src 'self'; img-src 'self' data:; object-src 'none'; "+
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'", nonce))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if c.Protocol() == "https" {
		c.Set(fiber.HeaderStrictTransportSecurity, hsts)
	}
	return c.Next()
}

// hsts: a year, the usual floor for browsers' preload lists.
const hsts = "max-age=31536000"

func newNonce() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("csp nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
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
	kit.SetLang(c, lang)
	return c.Next()
}
