// Package admin is the dashboard's pages for editors and admins that stand apart from the figures'
// pages: the read API's tokens and the sources with their runs (admins), the events entry form and
// the manual notes on the time charts (editors).
// The server lists their handlers in its routes table with the role each needs.
package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// The admin page for the read API's tokens, /admin/api-tokens: list, create (the token is shown
// once, in the answer to the form), revoke. The dashboard's routes table lists it for admins, so
// it sits behind the session, CSRF and role checks.

// TokensPath is the tokens page's address.
const TokensPath = "/admin/api-tokens"

// Deps is what the admin pages need from the server.
type Deps struct {
	// Config supplies the time zone.
	Config config.Config
	Log    *slog.Logger
	// Render draws the pages through the server's layout.
	Render *kit.Renderer
	// Queries reads the sources' runs.
	Queries *query.Queries
	// Collections starts sources and tells which are running; nil: no scheduler in this process.
	// An interface holding a nil pointer is not nil: pass a plain nil.
	Collections kit.Collections
	// Site resolves ?site= against the configured sites, as the dashboard's pages do.
	Site func(id string) (config.Site, error)
	// Store is where notes and entered events are kept; nil leaves the notes pages answering 503.
	Store *store.Store
	// Tokens is where API tokens live; nil when there is no database (the page then says so).
	// An interface holding a nil pointer is not nil: pass a plain nil.
	Tokens apitokens.DB
}

// Tokens is the tokens page, built once by NewTokens; read-only afterwards.
type Tokens struct {
	loc    *time.Location
	render *kit.Renderer
	lang   i18n.Lang
	tokens *apitokens.Manager // nil without a database: the page says so
}

// NewTokens builds the tokens page over d.
func NewTokens(d Deps) *Tokens {
	p := &Tokens{loc: kit.Zone(d.Config), render: d.Render, lang: d.Render.Lang}
	if d.Tokens != nil {
		p.tokens = apitokens.New(d.Tokens, d.Log, nil)
	}
	return p
}

// tokensView is the data of kit's templates/admin_tokens.html.
type tokensView struct {
	kit.Layout
	Tokens kit.ListTable
	// Unavailable is set when the dashboard has no database for tokens.
	Unavailable bool
	// Name is the name field's value after a refused form.
	Name string
	// Flash: Notice after a revocation, Error when a name or revocation was refused.
	kit.Flash
	// New is the token just created, shown this once.
	New *newToken
}

type newToken struct {
	Name, Secret string
}

func (p *Tokens) view(c *fiber.Ctx) (tokensView, error) {
	lang := kit.LangOf(c, p.lang)
	v := tokensView{Layout: p.render.Layout(c, lang, lang.T("api.tokens.title"))}
	if p.tokens == nil {
		v.Unavailable = true
		return v, nil
	}
	list, err := p.tokens.List(c.UserContext())
	if err != nil {
		return v, fmt.Errorf("api tokens page: %w", err)
	}
	loc := p.loc
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	v.Tokens = kit.ListTable{Empty: lang.T("api.tokens.none"), Head: kit.Heads(lang, "api.tokens.col.id", "api.tokens.col.name",
		"api.tokens.col.created", "api.tokens.col.last_used", "api.tokens.col.status", "api.tokens.revoke")}
	v.Tokens.Head[5].Hidden = true
	csrf := kit.CSRFOf(v.Layout)
	for _, t := range list {
		lastUsed, status := lang.T("api.tokens.never"), lang.T("api.tokens.active")
		if t.LastUsed != nil {
			lastUsed = stamp(*t.LastUsed)
		}
		revoke := kit.ListCell{Button: &kit.CellButton{Action: TokensPath + "/" + t.ID + "/revoke", Text: lang.T("api.tokens.revoke"),
			Label: lang.T("api.tokens.revoke_label", t.ID, t.Name), CSRF: csrf}}
		if t.RevokedAt != nil {
			status, revoke = lang.T("api.tokens.revoked", stamp(*t.RevokedAt), t.RevokedBy), kit.ListCell{}
		}
		v.Tokens.Rows = append(v.Tokens.Rows, kit.ListRow{Cells: []kit.ListCell{{Text: t.ID, Code: true}, {Text: t.Name, Header: true},
			{Text: lang.T("api.tokens.by", stamp(t.CreatedAt), t.CreatedBy)}, {Text: lastUsed}, {Text: status}, revoke}})
	}
	return v, nil
}

// List shows the tokens.
func (p *Tokens) List(c *fiber.Ctx) error {
	return p.show(c, fiber.StatusOK, func(v *tokensView) {
		if id := c.Query("revoked"); id != "" {
			v.Notice = v.Lang.T("api.tokens.revoked_ok", kit.Clip(id))
		}
	})
}

// show answers with the tokens page, as set tells, and status.
func (p *Tokens) show(c *fiber.Ctx, status int, set func(*tokensView)) error {
	v, err := p.view(c)
	if err != nil {
		return err
	}
	set(&v)
	c.Status(status)
	return p.render.Send(c, "admin_tokens", v)
}

// Create makes a token and shows it in this answer only. Answering the POST with the page, not a
// redirect, is what keeps the secret out of any URL, cookie or later page; no-store keeps it out of
// the browser's cache.
func (p *Tokens) Create(c *fiber.Ctx) error {
	if p.tokens == nil {
		return p.List(c)
	}
	name := c.FormValue("name")
	tok, secret, err := p.tokens.Create(c.UserContext(), name, adminName(c))
	switch {
	case errors.Is(err, apitokens.ErrBadName):
		return p.show(c, fiber.StatusBadRequest, func(v *tokensView) {
			v.Name, v.Error = kit.Clip(name), v.Lang.T("api.tokens.bad_name")
		})
	case err != nil:
		return err
	}
	return p.show(c, fiber.StatusOK, func(v *tokensView) { v.New = &newToken{Name: tok.Name, Secret: secret} })
}

// Revoke revokes a token; it stays listed as revoked.
func (p *Tokens) Revoke(c *fiber.Ctx) error {
	if p.tokens == nil {
		return p.List(c)
	}
	id := c.Params("id")
	_, err := p.tokens.Revoke(c.UserContext(), id, adminName(c))
	status, key := fiber.StatusNotFound, "api.tokens.not_found"
	switch {
	case err == nil:
		return c.Redirect(TokensPath+"?revoked="+url.QueryEscape(id), fiber.StatusSeeOther)
	case errors.Is(err, apitokens.ErrAlreadyRevoked):
		status, key = fiber.StatusConflict, "api.tokens.already_revoked"
	case !errors.Is(err, apitokens.ErrNotFound):
		return err
	}
	return p.show(c, status, func(v *tokensView) { v.Error = v.Lang.T(key, kit.Clip(id)) })
}

// adminName is who created or revoked a token, as the token list shows it.
func adminName(c *fiber.Ctx) string {
	if s := kit.CurrentUser(c); s != nil {
		return s.Name
	}
	return i18n.EN.T("role.admin")
}
