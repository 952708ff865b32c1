package pages

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// The period picker's query parameters. Every page and CSV link takes the same ones, so a period
// chosen on one page stays chosen when the reader moves to another (the server's main navigation
// keeps PeriodParams).
//
//	period   month | quarter | year | custom   (default: the month of the newest figures)
//	year     YYYY                              (month, quarter, year)
//	month    1–12                              (period=month)
//	quarter  1–4                               (period=quarter)
//	from, to YYYY-MM-DD or DD.MM.YYYY          (period=custom, both days included; days.ParseDay)
//	compare  previous | year                   what tables and charts compare with (default previous)
//	grain    day | week | month                points of the time charts (default by length)
//	site     a configured site id              (default the first)
//	list     a newsletter list                 (default the first that has figures)
//	account  an event register                 (default the first that has events)
//
// A bare ?year=2022 (the old quarterly page's address) means period=year.
func PeriodParams() []string {
	return []string{"period", "year", "quarter", "month", "from", "to", "compare", "site"}
}

// Comparison choices.
const (
	comparePrevious = "previous"
	compareYear     = "year"
)

// request is one page or CSV request with its parameters resolved and checked.
type request struct {
	c    *fiber.Ctx
	ctx  context.Context
	lang i18n.Lang
	loc  *time.Location
	now  time.Time
	// today is the current calendar day in the organisation's zone.
	today time.Time

	site   config.Site
	extent query.DataExtent

	span    days.Span
	compare string
	// cmp is the span compared with: span.Previous() or span.YearEarlier().
	cmp        days.Span
	grain      days.Kind
	grainGiven bool

	social   []query.SocialAccount
	lists    []string
	list     string
	accounts []string
	account  string
	feeds    []string

	// markers are the annotation kinds the page shows; anns caches them, since several charts of a
	// page show them, built at the same time (topicPage).
	markers  []query.AnnotationKind
	annsOnce sync.Once
	anns     []query.Annotation
	annsErr  error
}

// parseRequest resolves and checks the parameters; a wrong one is a 400 naming the problem.
func (p *Pages) parseRequest(c *fiber.Ctx) (*request, error) {
	if p.queries == nil {
		return nil, errors.New("dashboard started without a query layer (Deps.Queries)")
	}
	r := &request{c: c, ctx: c.UserContext(), lang: kit.LangOf(c, p.defaultLang), loc: p.loc, now: p.now()}
	r.today = utcDate(r.now.In(r.loc))
	site, err := kit.Site(p.cfg, c.Query("site"))
	if err != nil {
		return nil, err
	}
	r.site = site
	d, err := p.discovery(r.ctx, site.ID, r.loc)
	if err != nil {
		return nil, fmt.Errorf("parse request: %w", err)
	}
	r.extent = d.Extent
	if err := r.parseSpan(); err != nil {
		return nil, err
	}
	if err := r.discover(d); err != nil {
		return nil, err
	}
	return r, nil
}

func utcDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// reference is the day the default period holds: today, or the newest figure when collection
// stopped earlier (or the database holds only demo data), so the page never opens empty.
func (r *request) reference() time.Time {
	if !r.extent.Empty && r.extent.Last.Before(r.today) {
		return r.extent.Last
	}
	return r.today
}

func (r *request) parseSpan() error {
	c := r.c
	kind := c.Query("period")
	if kind == "" && c.Query("year") != "" {
		kind = string(days.Year)
	}
	ref := r.reference()
	year := ref.Year()
	if raw := c.Query("year"); raw != "" && kind != string(days.Custom) {
		y, err := strconv.Atoi(raw)
		if err != nil || y < 1900 || y > 9999 {
			return kit.BadRequest("error.bad_year", kit.Clip(raw))
		}
		if years := r.extent.Years(); len(years) > 0 && !slices.Contains(years, y) && y != r.today.Year() {
			list := make([]string, len(years))
			for i, y := range years {
				list[i] = strconv.Itoa(y)
			}
			return kit.BadRequest("error.no_figures_year", y, strings.Join(list, ", "))
		}
		year = y
	}
	switch days.Kind(kind) {
	case "":
		r.span = days.MonthSpan(ref.Year(), ref.Month())
	case days.Month:
		m, err := intParam(c.Query("month"), 1, 12)
		if err != nil {
			return kit.BadRequest("error.bad_month", kit.Clip(c.Query("month")))
		}
		r.span = days.MonthSpan(year, time.Month(m))
	case days.Quarter:
		q, err := intParam(c.Query("quarter"), 1, 4)
		if err != nil {
			return kit.BadRequest("error.bad_quarter", kit.Clip(c.Query("quarter")))
		}
		r.span = days.QuarterSpan(year, q)
	case days.Year:
		r.span = days.YearSpan(year)
	case days.Custom:
		from, err := days.ParseDay(c.Query("from"))
		if err != nil {
			return kit.BadRequest("error.bad_from", kit.Clip(c.Query("from")))
		}
		to, err := days.ParseDay(c.Query("to"))
		if err != nil {
			return kit.BadRequest("error.bad_to", kit.Clip(c.Query("to")))
		}
		if to.Before(from) {
			return kit.BadRequest("error.range_backwards", c.Query("from"), c.Query("to"))
		}
		s, err := days.CustomSpan(from, to)
		if err != nil {
			return kit.BadRequest("error.range_too_long", days.MaxCustomDays)
		}
		r.span = s
	default:
		return kit.BadRequest("error.bad_period", kit.Clip(kind))
	}
	r.span = r.span.Clip(r.today)

	switch cmp := c.Query("compare"); cmp {
	case "", comparePrevious:
		r.compare, r.cmp = comparePrevious, r.span.Previous()
	case compareYear:
		r.compare, r.cmp = compareYear, r.span.YearEarlier()
	default:
		return kit.BadRequest("error.bad_compare", kit.Clip(cmp))
	}

	switch g := days.Kind(c.Query("grain")); g {
	case "":
		r.grain = days.DefaultGrain(r.span)
	case days.Day, days.Week, days.Month:
		r.grain, r.grainGiven = g, true
	default:
		return kit.BadRequest("error.bad_grain", kit.Clip(string(g)))
	}
	return nil
}

func intParam(raw string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not between %d and %d", raw, lo, hi)
	}
	return n, nil
}

// discover keeps the accounts, lists, registers and feeds that hold figures, and resolves ?list=
// and ?account= among them.
func (r *request) discover(d query.Discovery) error {
	r.social, r.lists, r.accounts, r.feeds = d.Social, d.Lists, d.EventAccounts, d.Feeds
	var err error
	if r.list, err = pick(r.c.Query("list"), r.lists, "error.unknown_list"); err != nil {
		return err
	}
	if r.account, err = pick(r.c.Query("account"), r.accounts, "error.unknown_account"); err != nil {
		return err
	}
	return nil
}

// pick resolves a choice among what exists: empty takes the first, anything else must be listed.
func pick(raw string, among []string, key string) (string, error) {
	if raw == "" {
		if len(among) == 0 {
			return "", nil
		}
		return among[0], nil
	}
	if !slices.Contains(among, raw) {
		return "", kit.BadRequest(key, kit.Clip(raw), strings.Join(among, ", "))
	}
	return raw, nil
}

// params are the request's resolved choices as query parameters, for links that keep them.
func (r *request) params() url.Values {
	v := url.Values{}
	s := r.span
	v.Set("period", string(s.Kind))
	switch s.Kind {
	case days.Month:
		v.Set("year", strconv.Itoa(s.From.Year()))
		v.Set("month", strconv.Itoa(int(s.From.Month())))
	case days.Quarter:
		v.Set("year", strconv.Itoa(s.From.Year()))
		v.Set("quarter", strconv.Itoa(s.Quarter()))
	case days.Year:
		v.Set("year", strconv.Itoa(s.From.Year()))
	default:
		v.Set("from", s.From.Format(time.DateOnly))
		v.Set("to", s.End.Format(time.DateOnly))
	}
	if r.compare != comparePrevious {
		v.Set("compare", r.compare)
	}
	if r.grainGiven {
		v.Set("grain", string(r.grain))
	}
	if r.c.Query("site") != "" {
		v.Set("site", r.site.ID)
	}
	if r.c.Query("list") != "" {
		v.Set("list", r.list)
	}
	if r.c.Query("account") != "" {
		v.Set("account", r.account)
	}
	return v
}

// link is path with the request's choices.
func (r *request) link(path string) string { return path + "?" + r.params().Encode() }

// compareName says what the comparison is: "forrige periode (desember 2021)".
func (r *request) compareName() string {
	key := "compare.previous_named"
	if r.compare == compareYear {
		key = "compare.year_named"
	}
	return r.lang.T(key, spanName(r.lang, r.cmp))
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
