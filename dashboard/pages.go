package dashboard

import "github.com/gofiber/fiber/v2"

// pageRoutes registers the pages people sign in to see.
func (h *handler) pageRoutes(r fiber.Router) {
	r.Get("/", h.visitorsPage)
}
