package dashboard

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
)

// handleError is the one exit for every failed request: user errors get their message, fiber's own
// errors (404, 405) a translated one, and everything else a generic 500 page with the cause logged.
func (h *handler) handleError(c *fiber.Ctx, err error) error {
	lang := kit.LangOf(c, h.defaultLang)
	status := fiber.StatusInternalServerError
	heading, message := lang.T("error.title"), lang.T("error.internal")

	var ue *kit.UserError
	var fe *fiber.Error
	switch {
	case errors.As(err, &ue):
		status, heading, message = ue.Status, lang.T("error.bad_request"), lang.T(ue.Key, ue.Args...)
	case errors.As(err, &fe):
		status = fe.Code
		switch {
		case fe.Code == fiber.StatusNotFound:
			heading, message = lang.T("error.not_found"), lang.T("error.not_found_msg")
		case fe.Code == fiber.StatusMethodNotAllowed:
			heading, message = lang.T("error.bad_request"), lang.T("error.method")
		case fe.Code < 500:
			heading, message = lang.T("error.bad_request"), fe.Message
		}
	}
	if status >= 500 {
		h.log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
	} else {
		h.log.DebugContext(c.UserContext(), "request rejected", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
	}

	if renderErr := h.render.SendError(c, lang, status, heading, message); renderErr != nil {
		h.log.ErrorContext(c.UserContext(), "render error page", "err", renderErr)
		c.Status(status)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.SendString(heading + ": " + message)
	}
	return nil
}

// logPanic records a recovered panic with its stack; the recover middleware then hands the panic
// to handleError as an ordinary error.
func (h *handler) logPanic(c *fiber.Ctx, v any) {
	h.log.ErrorContext(c.UserContext(), "panic in handler", "method", c.Method(), "path", c.Path(),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}
