package dashboard

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/days"
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

// cover tells the request's readers the days its page reads (query.Cover): the span, both
// comparison spans (the overview's cards show both), the whole months a monthly figure shows and
// the year of the yearly charts. Every table is then read once for the page, over whole years.
func (r *request) cover() {
	from := r.span.From
	for _, d := range []time.Time{r.cmp.From, r.span.Previous().From, r.span.YearEarlier().From,
		days.BucketStart(days.Month, r.span.From), days.YearSpan(r.span.To.Year()).From} {
		if d.Before(from) {
			from = d
		}
	}
	query.Cover(r.ctx, from, r.span.To)
}
