package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/query"
)

// Rendered pages are cached (Deps.Cache) under everything that decides what they show: address
// and parameters, language, role, the data version, the calendar day (the default period and a
// running quarter move with it; the overview's freshness strip with the minute) and which sources
// are being collected right now. What differs between two people with the same role — the CSP
// nonce, the CSRF token in the forms and the name in the header — is rendered as placeholders and
// filled in as the page is sent, so a cached answer never carries one person's token or name to
// another.

// The slots a cached page has, in placeholders order.
const (
	slotNonce = iota
	slotCSRF
	slotName
)

// cachedPage is a rendered answer cut at its placeholders: parts[i] is followed by the value of
// slots[i].
type cachedPage struct {
	status      int
	contentType string
	disposition string
	parts       [][]byte
	slots       []int
	size        int64
}

func (p *cachedPage) bytes() int64 { return p.size }

// cut splits body at every placeholder.
func cutPage(ph kit.Placeholders, body []byte) ([][]byte, []int) {
	marks := [][]byte{slotNonce: []byte(ph.Nonce), slotCSRF: []byte(ph.CSRF), slotName: []byte(ph.Name)}
	var parts [][]byte
	var slots []int
	rest := bytes.Clone(body)
	for {
		at, which := -1, -1
		for i, m := range marks {
			if j := bytes.Index(rest, m); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			return append(parts, rest), slots
		}
		parts = append(parts, rest[:at:at])
		slots = append(slots, which)
		rest = rest[at+len(marks[which]):]
	}
}

// errUncacheable carries an answer that is not kept (not a 200: a redirect, a refusal) to every
// request that waited for it; each sends it with its own per-request parts.
type errUncacheable struct{ page *cachedPage }

func (e *errUncacheable) Error() string {
	return "page not cacheable: status " + strconv.Itoa(e.page.status)
}

// Cached serves next's GET answers from the cache when the dashboard has one. Only routes whose
// answer depends on nothing else than what pageKey holds may be wrapped: the pages behind
// requireSession whose per-person parts all come from layout.
func (p *Pages) Cached(next fiber.Handler) fiber.Handler {
	if p.cache == nil || p.version == nil {
		return next
	}
	return func(c *fiber.Ctx) error {
		s := kit.CurrentUser(c)
		// Only GET fills and reads the cache: a HEAD answer has no body to keep.
		if s == nil || c.Method() != fiber.MethodGet {
			return next(c)
		}
		page, err := cache.Do(p.cache, p.pageKey(c, s), (*cachedPage).bytes, func() (*cachedPage, error) {
			kit.SetRenderingForCache(c, true)
			err := func() error {
				// Reset even on a panic, so the error page gets this request's real nonce.
				defer kit.SetRenderingForCache(c, false)
				return next(c)
			}()
			if err != nil {
				return nil, err
			}
			resp := &c.Response().Header
			parts, slots := cutPage(p.render.Placeholders, c.Response().Body())
			cp := &cachedPage{status: c.Response().StatusCode(), contentType: string(resp.ContentType()),
				disposition: string(resp.Peek(fiber.HeaderContentDisposition)), parts: parts, slots: slots}
			for _, part := range parts {
				cp.size += int64(len(part))
			}
			if cp.status != fiber.StatusOK {
				return nil, &errUncacheable{page: cp}
			}
			return cp, nil
		})
		var unc *errUncacheable
		switch {
		case errors.As(err, &unc):
			page = unc.page
		case err != nil:
			return err
		}
		return sendCached(c, s, page)
	}
}

// sendCached sends a cached answer with this request's nonce, CSRF token and name.
func sendCached(c *fiber.Ctx, s *auth.Session, p *cachedPage) error {
	values := [...]string{slotNonce: kit.NonceOf(c), slotCSRF: html.EscapeString(s.CSRF.Token()), slotName: html.EscapeString(s.Name)}
	c.Status(p.status)
	c.Set(fiber.HeaderContentType, p.contentType)
	if p.disposition != "" {
		c.Set(fiber.HeaderContentDisposition, p.disposition)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The body goes into fasthttp's pooled response buffer: no page-sized allocation per request.
	resp := c.Response()
	resp.ResetBody()
	for i, part := range p.parts {
		resp.AppendBody(part)
		if i < len(p.slots) {
			resp.AppendBodyString(values[p.slots[i]])
		}
	}
	return nil
}

// pageKey names everything a cached page depends on.
func (p *Pages) pageKey(c *fiber.Ctx, s *auth.Session) string {
	now := p.now().In(p.loc)
	clock := now.Format(time.DateOnly)
	if c.Path() == "/" {
		clock = now.Format("2006-01-02T15:04") // the freshness strip says how long ago sources ran
	}
	// Parameters in a canonical order; a query string that does not parse is kept as it came, so
	// it can never share an entry with a valid one.
	raw := string(c.Request().URI().QueryString())
	params := "raw:" + raw
	if q, err := url.ParseQuery(raw); err == nil {
		params = q.Encode()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "page|%s|%s|%s|%s|%d|%s|", c.Path(), params, kit.LangOf(c, p.defaultLang), s.Role, p.version(), clock)
	if p.collections != nil {
		for _, src := range p.cfg.Sources {
			if !p.collections.Running(src.ID) {
				continue
			}
			b.WriteString(src.ID)
			if pr, ok := p.collections.(kit.Progressor); ok {
				if done, total, ok := pr.Progress(src.ID); ok {
					fmt.Fprintf(&b, ":%d/%d", done, total)
				}
			}
			b.WriteByte(',')
		}
	}
	return b.String()
}

// discovery is the site's data extent, accounts, lists, registers and feeds (one query,
// query.Queries.Discover), which every page asks first: answered from the cache under the data
// version when there is one. The answer is small, so it is counted as 1 KB. Callers must not
// modify what they get: it is shared.
func (p *Pages) discovery(ctx context.Context, siteID string, loc *time.Location) (query.Discovery, error) {
	get := func() (query.Discovery, error) { return p.queries.Discover(ctx, siteID, loc) }
	if p.cache == nil || p.version == nil {
		return get()
	}
	key := "q|discover|" + siteID + "|" + loc.String() + "|" + strconv.FormatUint(p.version(), 10)
	return cache.Do(p.cache, key, func(query.Discovery) int64 { return 1 << 10 }, get)
}
