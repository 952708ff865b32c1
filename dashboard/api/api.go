// Package api is the read API, /api/v1: reports and KPI series for programs, behind bearer tokens
// (internal/apitokens), documented in openapi.yaml beside this file. The dashboard registers it
// before its sign-in middleware, so no cookie session is ever read or required here, and every
// request under /api/v1 — a mistyped path too — is answered by this package in JSON.
//
// The handlers hold no figures of their own: reports are internal/report's views (the published
// report where there is one) and series internal/query's.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

//go:embed openapi.yaml
var spec string

// Spec is the API's OpenAPI description, as GET /api/v1/openapi.yaml answers it.
func Spec() string { return spec }

// Prefix is where the API lives; everything under it is answered here.
const Prefix = "/api/v1"

// RequestsPerMinute is each token's budget. A dashboard-sized install serves a few scripts and a
// BI tool; 120 a minute is far above their need and far below what would load ClickHouse.
const RequestsPerMinute = 120

// apiLocalKey is the type of the Locals key holding the authenticated token; a type of its own so
// it cannot collide with the dashboard's keys.
type apiLocalKey int

const apiTokenKey apiLocalKey = 0

// Deps is what the API needs from the dashboard.
type Deps struct {
	// Queries reads the figures; nil answers 503.
	Queries *query.Queries
	// Config supplies the sites, the time zone and the targets.
	Config config.Config
	// Lang is the reports' language when ?lang= is not given.
	Lang i18n.Lang
	Log  *slog.Logger
	// Tokens is where API tokens live; nil when the dashboard has no database (every
	// authenticated endpoint then answers 503). An interface holding a nil pointer is not nil:
	// pass a plain nil.
	Tokens apitokens.DB
	// PerMinute is each token's budget (RequestsPerMinute in production; tests pass their own).
	PerMinute int
	// Site resolves ?site= against the configured sites, as the dashboard's pages do.
	Site func(id string) (config.Site, error)
	// LogPanic records a recovered panic with its stack.
	LogPanic func(c *fiber.Ctx, v any)
}

// API is the read API's state, built once by New; the dashboard's routes table registers its
// handlers (Middleware under Prefix, Authenticated before every endpoint that needs a token).
type API struct {
	Deps
	loc *time.Location
	// tokens is nil when Deps.Tokens is; every authenticated endpoint then answers 503.
	tokens *apitokens.Manager
	// authed are the handlers in front of every endpoint that needs a token; one limiter for all.
	authed []fiber.Handler
}

// New builds the API over d.
func New(d Deps) *API {
	a := &API{Deps: d, loc: kit.Zone(d.Config)}
	if d.Tokens != nil {
		a.tokens = apitokens.New(d.Tokens, d.Log, nil)
	}
	perMinute := d.PerMinute
	a.authed = []fiber.Handler{a.authenticate, limiter.New(limiter.Config{
		Max:        perMinute,
		Expiration: time.Minute,
		// Per token, not per address: behind a proxy every client has the proxy's address.
		KeyGenerator: func(c *fiber.Ctx) string { return tokenOf(c).ID },
		LimitReached: func(c *fiber.Ctx) error {
			return apiErrorf(fiber.StatusTooManyRequests, "rate limit: at most %d requests per minute per token", perMinute)
		},
	})}
	return a
}

// Middleware is what runs in front of everything under Prefix: every error (a panic too) answered
// in JSON, nothing cached.
func (a *API) Middleware() []fiber.Handler { return []fiber.Handler{a.jsonErrors, a.noStore} }

// Authenticated is what runs in front of every endpoint that needs a token: the bearer token
// checked, then the token's budget of PerMinute requests.
func (a *API) Authenticated() []fiber.Handler { return a.authed }

// apiError is an answer other than 200, with a message for the caller (in English: programs and
// their developers read it, not the dashboard's readers).
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.msg) }

func apiErrorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// badParam is a 400 naming the parameter at fault.
func badParam(name, format string, args ...any) error {
	return apiErrorf(fiber.StatusBadRequest, "parameter %s: %s", name, fmt.Sprintf(format, args...))
}

// jsonErrors turns every error under /api/v1, a panic too, into {"error": "…"}, so the dashboard's
// HTML error page never answers a program.
func (a *API) jsonErrors(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			a.LogPanic(c, v)
			err = a.sendError(c, fmt.Errorf("panic: %v", v))
		}
	}()
	if err := c.Next(); err != nil {
		return a.sendError(c, err)
	}
	return nil
}

// sendError answers err as JSON with the status it calls for.
func (a *API) sendError(c *fiber.Ctx, err error) error {
	status, msg := fiber.StatusInternalServerError, "internal error; it has been logged"
	var ae *apiError
	var ue *kit.UserError
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae):
		status, msg = ae.status, ae.msg
	case errors.As(err, &ue):
		status, msg = ue.Status, i18n.EN.T(ue.Key, ue.Args...)
	case errors.As(err, &fe):
		status, msg = fe.Code, fe.Message
	}
	log := a.Log.DebugContext
	if status >= 500 {
		log = a.Log.ErrorContext
	}
	log(c.UserContext(), "api request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
	if status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="rekkevidde"`)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(fiber.Map{"error": msg})
}

// noStore keeps every answer out of caches: figures are per token and change daily.
func (a *API) noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// badTokenMessage answers every token that is not valid: unknown, wrong, malformed or revoked.
const badTokenMessage = "invalid token"

// authenticate lets a request through with a valid bearer token and refuses everything else with
// 401. Tokens are never logged; the token's id is.
func (a *API) authenticate(c *fiber.Ctx) error {
	header := c.Get(fiber.HeaderAuthorization)
	if header == "" {
		return apiErrorf(fiber.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return apiErrorf(fiber.StatusUnauthorized, "the Authorization header must be Bearer <token>")
	}
	if a.tokens == nil {
		return apiErrorf(fiber.StatusServiceUnavailable, "the API is not available: this dashboard has no database for tokens")
	}
	tok, err := a.tokens.Authenticate(c.UserContext(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, apitokens.ErrRevoked):
		// Logged for the admin, but answered like any other bad token: the answer must not tell
		// someone holding a leaked token whether it ever was a real one.
		a.Log.InfoContext(c.UserContext(), "api request with a revoked token", "token_id", tok.ID, "path", c.Path())
		return apiErrorf(fiber.StatusUnauthorized, badTokenMessage)
	case errors.Is(err, apitokens.ErrInvalid):
		return apiErrorf(fiber.StatusUnauthorized, badTokenMessage)
	case err != nil:
		return fmt.Errorf("check api token: %w", err)
	}
	c.Locals(apiTokenKey, tok)
	a.Log.DebugContext(c.UserContext(), "api request", "token_id", tok.ID, "path", c.Path())
	return c.Next()
}

func tokenOf(c *fiber.Ctx) apitokens.Token {
	t, _ := c.Locals(apiTokenKey).(apitokens.Token)
	return t
}

// Unknown answers whatever else is asked under Prefix, so it never falls through to the
// dashboard's sign-in.
func (a *API) Unknown(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		c.Set(fiber.HeaderAllow, "GET, HEAD")
		return apiErrorf(fiber.StatusMethodNotAllowed, "method %s not allowed: the API is read-only", c.Method())
	}
	return apiErrorf(fiber.StatusNotFound, "no such endpoint %s; see %s/openapi.yaml", kit.Clip(c.Path()), Prefix)
}

// OpenAPI answers the API's description (Spec).
func (a *API) OpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	return c.SendString(spec)
}

// parseFormat reads ?format= (json or csv); without it the Accept header decides, and JSON is the
// default for anything else.
func parseFormat(c *fiber.Ctx) (string, error) {
	switch f := c.Query("format"); f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", badParam("format", "must be json or csv, got %q", kit.Clip(f))
	}
	if c.Accepts(fiber.MIMEApplicationJSON, "text/csv") == "text/csv" {
		return "csv", nil
	}
	return "json", nil
}

// representation reads a report's ?format= and ?lang= (the labels', sentences' and CSV's
// language; default the configured one).
func (a *API) representation(c *fiber.Ctx) (string, i18n.Lang, error) {
	lang := a.Lang
	if raw := c.Query("lang"); raw != "" {
		l, ok := i18n.Parse(raw)
		if !ok {
			return "", lang, badParam("lang", "must be nb or en, got %q", kit.Clip(raw))
		}
		lang = l
	}
	f, err := parseFormat(c)
	return f, lang, err
}

func (a *API) location() *time.Location { return a.loc }

// builder is internal/report's builder for ?site=.
func (a *API) builder(c *fiber.Ctx) (*report.Builder, error) {
	if a.Queries == nil {
		return nil, apiErrorf(fiber.StatusServiceUnavailable, "the API is not available: no database")
	}
	site, err := a.Site(c.Query("site"))
	if err != nil {
		return nil, err
	}
	return report.New(a.Queries, report.Options{Site: site, Location: a.location(), Targets: a.Config.Targets})
}

// AnnualReport answers /reports/annual/:year.
func (a *API) AnnualReport(c *fiber.Ctx) error {
	raw := c.Params("year")
	year, quarter, err := report.ParsePeriod(raw)
	if err != nil || quarter != 0 || len(raw) != 4 {
		return badParam("year", "must be a year between 2000 and 2100 such as 2022, got %q", kit.Clip(raw))
	}
	return a.sendPeriod(c, "annual report "+raw, func(b *report.Builder) (report.View, error) {
		return b.AnnualView(c.UserContext(), year)
	})
}

// QuarterlyReport answers /reports/quarterly/:period.
func (a *API) QuarterlyReport(c *fiber.Ctx) error {
	raw := c.Params("period")
	year, quarter, err := report.ParsePeriod(raw)
	if err != nil || quarter == 0 {
		return badParam("period", "must be a quarter written YEAR-Qn such as 2022-Q3, got %q", kit.Clip(raw))
	}
	return a.sendPeriod(c, "quarterly report "+raw, func(b *report.Builder) (report.View, error) {
		return b.QuarterlyView(c.UserContext(), year, quarter)
	})
}

// sendPeriod answers with the report build makes for ?site=, in the representation asked for.
func (a *API) sendPeriod(c *fiber.Ctx, what string, build func(*report.Builder) (report.View, error)) error {
	format, lang, err := a.representation(c)
	if err != nil {
		return err
	}
	b, err := a.builder(c)
	if err != nil {
		return err
	}
	v, err := build(b)
	if err != nil {
		return fmt.Errorf("api %s: %w", what, err)
	}
	return a.sendReport(c, v, format, lang)
}

// apiReport is a report as the API answers it, like the dashboard's JSON download plus what it is.
type apiReport struct {
	Kind   string `json:"kind"`
	Period string `json:"period"`
	Site   string `json:"site"`
	// Status is "published" when Report is the frozen publication, "provisional" when it is built
	// from today's data.
	Status      string              `json:"status"`
	Publication *report.Publication `json:"publication"`
	Report      report.Document     `json:"report"`
	Differences []report.Difference `json:"differences"`
}

// sendReport answers with view v, or 404 when the period is unpublished and holds no figure at all
// (a year before the data starts, a quarter not yet begun): a report of nothing but unknowns is
// more likely a wrong period than an answer.
func (a *API) sendReport(c *fiber.Ctx, v report.View, format string, lang i18n.Lang) error {
	if v.Published == nil && !hasFigures(v.Today) {
		return apiErrorf(fiber.StatusNotFound, "no figures for %s report %s: nothing collected or imported for that period", v.Kind, v.Period)
	}
	site := c.Query("site")
	if site == "" && len(a.Config.Sites) > 0 {
		site = a.Config.Sites[0].ID
	}
	if format == "csv" {
		var buf bytes.Buffer
		if err := report.CSV(&buf, lang, v); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+report.FileName(lang, v, site, "csv")+`"`)
		return c.Send(buf.Bytes())
	}
	body := apiReport{Kind: v.Kind, Period: v.Period, Site: site, Status: "provisional", Report: v.Shown(),
		Publication: v.Publication, Differences: report.Differences(lang, v.Tables(lang))}
	if v.Published != nil {
		body.Status = "published"
	}
	if body.Differences == nil {
		body.Differences = []report.Difference{}
	}
	return sendJSON(c, body)
}

// hasFigures tells whether a built report holds any figure for its own period.
func hasFigures(d report.Document) bool {
	var kpis []report.KPI
	switch r := d.(type) {
	case *report.Annual:
		kpis = r.KPIs
	case *report.Quarterly:
		kpis = r.KPIs
	default:
		return true // a kind this file does not know: let it through rather than hide it
	}
	for _, k := range kpis {
		if k.Current.Known() {
			return true
		}
	}
	return false
}

func sendJSON(c *fiber.Ctx, body any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("api json: %w", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(buf.Bytes())
}

// kpiSeriesJSON is the answer of /api/v1/kpis.
type kpiSeriesJSON struct {
	Site        string       `json:"site"`
	From        string       `json:"from"`
	To          string       `json:"to"`
	Granularity string       `json:"granularity"`
	Series      []seriesJSON `json:"series"`
}

type seriesJSON struct {
	KPI      string      `json:"kpi"`
	Shape    string      `json:"shape"`
	Platform string      `json:"platform,omitempty"`
	Account  string      `json:"account,omitempty"`
	Points   []pointJSON `json:"points"`
}

type pointJSON struct {
	Start string   `json:"start"`
	End   string   `json:"end"`
	Full  bool     `json:"full"`
	Value *float64 `json:"value"`
	// MeasuredOn is the day a level (or new followers) was last measured when that is before the
	// bucket's end; omitted when measured on the end day.
	MeasuredOn string `json:"measured_on,omitempty"`
	// Partial: the value covers only part of the bucket's period, which is still running today or
	// has traffic for only some of its days (query.SeriesPoint.Partial, the reports' "partial").
	// Full says whether the range cut the bucket; the two are independent.
	Partial bool `json:"partial,omitempty"`
}

// KPIs answers the raw series (internal/query.KPISeries).
func (a *API) KPIs(c *fiber.Ctx) error {
	span, err := apiRange(c)
	if err != nil {
		return err
	}
	from, to := span.From, span.To
	var grain days.Kind = days.Month
	if raw := c.Query("granularity"); raw != "" {
		g, ok := days.ParseGrain(raw)
		if !ok {
			return badParam("granularity", "must be day, week, month, quarter or year, got %q", kit.Clip(raw))
		}
		grain = g
	}
	defs, reach, wanted, err := kpiFilter(c.Query("kpi"))
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	if a.Queries == nil {
		return apiErrorf(fiber.StatusServiceUnavailable, "the API is not available: no database")
	}
	site, err := a.Site(c.Query("site"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	scope, err := a.Queries.DefaultKPIScope(ctx, site.ID, a.location())
	if err != nil {
		return fmt.Errorf("api kpis: %w", err)
	}
	series, err := a.Queries.KPISeries(ctx, defs, scope, span, grain, reach)
	if err != nil {
		return fmt.Errorf("api kpis: %w", err)
	}
	out := kpiSeriesJSON{Site: site.ID, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly),
		Granularity: string(grain), Series: []seriesJSON{}}
	for _, s := range series {
		if wanted != nil && !wanted[s.KPI] {
			continue
		}
		sj := seriesJSON{KPI: s.KPI, Shape: string(s.Shape), Platform: s.Platform, Account: s.Account,
			Points: make([]pointJSON, len(s.Points))}
		for i, p := range s.Points {
			sj.Points[i] = pointJSON{Start: p.Start.Format(time.DateOnly), End: p.End.Format(time.DateOnly), Full: p.Full, Value: p.Value, Partial: p.Partial}
			if p.MeasuredOn != nil {
				sj.Points[i].MeasuredOn = p.MeasuredOn.Format(time.DateOnly)
			}
		}
		out.Series = append(out.Series, sj)
	}
	if format == "csv" {
		return sendSeriesCSV(c, out)
	}
	return sendJSON(c, out)
}

// kpiFilter reads ?kpi=a,b (names of metrics.APISeries): which KPI definitions to compute, in
// the order asked for, whether reach is wanted, and the set of names to keep (nil: all).
func kpiFilter(raw string) (defs []metrics.Metric, reach bool, wanted map[string]bool, err error) {
	names := metrics.Names(metrics.APISeries())
	if strings.TrimSpace(raw) != "" {
		names, wanted = strings.Split(raw, ","), map[string]bool{}
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		m, ok := metrics.Lookup(name)
		switch {
		case name == "" || wanted[name]:
			continue
		case !ok || !m.On(metrics.API):
			return nil, false, nil, badParam("kpi", "%q is not a KPI; see %s/openapi.yaml for the list", kit.Clip(name), Prefix)
		case m.Reader == metrics.ReadReach:
			reach = true // every account's reach, read per account (query.KPISeries)
		default:
			defs = append(defs, m)
		}
		if wanted != nil {
			wanted[name] = true
		}
	}
	return defs, reach, wanted, nil
}

// sendSeriesCSV writes one line per point: kpi,platform,account,start,end,full,value,measured_on,partial. It is the
// API's file for programs, so it is written in English notation ("," and a decimal point) whatever
// the configured language, by the same rules as every other file (internal/export): byte-order
// mark, CRLF, every cell escaped; an unknown value is empty.
func sendSeriesCSV(c *fiber.Ctx, s kpiSeriesJSON) error {
	rows := [][]string{{"kpi", "platform", "account", "start", "end", "full", "value", "measured_on", "partial"}}
	for _, ser := range s.Series {
		for _, p := range ser.Points {
			rows = append(rows, []string{ser.KPI, ser.Platform, ser.Account, p.Start, p.End, strconv.FormatBool(p.Full), floatText(p.Value), p.MeasuredOn,
				strconv.FormatBool(p.Partial)})
		}
	}
	return sendAPICSV(c, rows, export.FileName("csv", "kpis", s.Site, s.From+"_"+s.To, s.Granularity))
}
