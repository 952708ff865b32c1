package dashboard

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/query"
)

// countQueries counts the ClickHouse queries each request makes (query.Counter) and reports them
// in the standard Server-Timing header, where the browser's developer tools and `make bench` read
// them: `Server-Timing: db;desc="12 queries"`.
func (h *handler) countQueries(c *fiber.Ctx) error {
	ctx, counter := query.WithCounter(c.UserContext())
	c.SetUserContext(ctx)
	err := c.Next()
	c.Append(fiber.HeaderServerTiming, `db;desc="`+strconv.FormatInt(counter.Queries(), 10)+` queries"`)
	return err
}
