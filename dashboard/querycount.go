package dashboard

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/query"
)

// countQueries gives each request a query.Request, which counts its ClickHouse queries and shares
// its discovery, and reports the count in the standard Server-Timing header, where the browser's
// developer tools and `make bench` read it: `Server-Timing: db;desc="12 queries"`.
func (h *handler) countQueries(c *fiber.Ctx) error {
	ctx, qr := query.NewRequest(c.UserContext())
	c.SetUserContext(ctx)
	err := c.Next()
	c.Append(fiber.HeaderServerTiming, `db;desc="`+strconv.FormatInt(qr.Queries(), 10)+` queries"`)
	return err
}
