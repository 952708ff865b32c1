package kit

import (
	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// Renderer renders pages through the shared layout. The server builds one and hands it to every
// part, so each part's pages carry the server's menus without importing it.
type Renderer struct {
	Views        *Views
	Placeholders Placeholders
	// Menus are a layout's menus: the main navigation and the editors' and admins' menu.
	Menus func(l Layout) (main, admin []NavLink)
	// Lang is the language before the language middleware has run.
	Lang i18n.Lang
}

// Layout is the shared layout of a page titled title in lang, with the server's menus.
func (r *Renderer) Layout(c *fiber.Ctx, lang i18n.Lang, title string) Layout {
	l := NewLayout(c, lang, title, r.Placeholders)
	if r.Menus != nil {
		l.MainNav, l.AdminNav = r.Menus(l)
	}
	return l
}

// Send renders page with data as an HTML response. Pages carry a per-request nonce and live
// figures, so browsers never cache them.
func (r *Renderer) Send(c *fiber.Ctx, page string, data any) error {
	body, err := r.Views.Render(page, data)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

// ErrorPage is the data of templates/error.html.
type ErrorPage struct {
	Layout
	Status  int
	Heading string
	Message string
}

// Refuse answers with the error page, a heading and a message of our choosing.
func (r *Renderer) Refuse(c *fiber.Ctx, status int, headingKey, msgKey string, args ...any) error {
	lang := LangOf(c, r.Lang)
	return r.SendError(c, lang, status, lang.T(headingKey), lang.T(msgKey, args...))
}

// SendError answers with the error page (templates/error.html) in lang; an error means the page
// could not be rendered and nothing was sent.
func (r *Renderer) SendError(c *fiber.Ctx, lang i18n.Lang, status int, heading, message string) error {
	page := ErrorPage{Layout: r.Layout(c, lang, heading), Status: status, Heading: heading, Message: message}
	body, err := r.Views.Render("error", page)
	if err != nil {
		return err // before the status is set, so the caller can still answer otherwise
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
