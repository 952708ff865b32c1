package dashboard

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// healthz tells a supervisor the process is alive. It deliberately touches nothing else: a
// ClickHouse outage must not get the dashboard restarted, only taken out of rotation by /readyz.
func (h *handler) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

type readiness struct {
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`
}

// readyz tells a load balancer whether the dashboard can serve figures right now.
func (h *handler) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if h.ready == nil {
		return c.JSON(readiness{Status: "ready"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	if err := h.ready(ctx); err != nil {
		problem := h.redact(err.Error())
		h.log.WarnContext(ctx, "not ready", "problem", problem)
		return c.Status(fiber.StatusServiceUnavailable).JSON(readiness{Status: "unavailable", Problem: problem})
	}
	return c.JSON(readiness{Status: "ready"})
}

// redact removes the ClickHouse password from a message that is about to leave the process. The
// driver does not put it in errors today; this keeps it that way whatever a future version does.
func (h *handler) redact(msg string) string {
	if pw := h.cfg.ClickHouse.Password.Value(); pw != "" {
		msg = strings.ReplaceAll(msg, pw, "[redacted]")
	}
	return msg
}
