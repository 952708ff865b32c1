package dashboard

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
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
		problem := kit.Redact(h.cfg, err.Error())
		h.log.WarnContext(ctx, "not ready", "problem", problem)
		return c.Status(fiber.StatusServiceUnavailable).JSON(readiness{Status: "unavailable", Problem: problem})
	}
	return c.JSON(readiness{Status: "ready"})
}
