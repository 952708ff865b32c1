package dashboard

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// The admin page for the read API's tokens, /admin/api-tokens: list, create (the token is shown
// once, in the answer to the form), revoke. The routes table (routes.go) lists it
// for admins, so it sits behind requireSession, checkCSRF and requireRole.

const adminTokensPath = "/admin/api-tokens"

// newTokenPages is the token page over db (nil: no database, the page answers 503).
func newTokenPages(h *handler, db apitokens.DB) *tokenPages {
	p := &tokenPages{h: h}
	if db != nil {
		p.tokens = apitokens.New(db, h.log, nil)
	}
	return p
}

type tokenPages struct {
	h      *handler
	tokens *apitokens.Manager // nil without a database: the page says so
}

// tokensView is the data of templates/admin_tokens.html.
type tokensView struct {
	kit.Layout
	Tokens listTable
	// Unavailable is set when the dashboard has no database for tokens.
	Unavailable bool
	// Name is the name field's value after a refused form.
	Name string
	// Flash: Notice after a revocation, Error when a name or revocation was refused.
	Flash
	// New is the token just created, shown this once.
	New *newToken
}

type newToken struct {
	Name, Secret string
}

func (p *tokenPages) view(c *fiber.Ctx) (tokensView, error) {
	lang := kit.LangOf(c, p.h.defaultLang)
	v := tokensView{Layout: p.h.layout(c, lang, lang.T("api.tokens.title"))}
	if p.tokens == nil {
		v.Unavailable = true
		return v, nil
	}
	list, err := p.tokens.List(c.UserContext())
	if err != nil {
		return v, fmt.Errorf("api tokens page: %w", err)
	}
	loc := kit.Zone(p.h.cfg)
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	v.Tokens = listTable{Empty: lang.T("api.tokens.none"), Head: heads(lang, "api.tokens.col.id", "api.tokens.col.name",
		"api.tokens.col.created", "api.tokens.col.last_used", "api.tokens.col.status", "api.tokens.revoke")}
	v.Tokens.Head[5].Hidden = true
	csrf := csrfOf(v.Layout)
	for _, t := range list {
		lastUsed, status := lang.T("api.tokens.never"), lang.T("api.tokens.active")
		if t.LastUsed != nil {
			lastUsed = stamp(*t.LastUsed)
		}
		revoke := listCell{Button: &cellButton{Action: adminTokensPath + "/" + t.ID + "/revoke", Text: lang.T("api.tokens.revoke"),
			Label: lang.T("api.tokens.revoke_label", t.ID, t.Name), CSRF: csrf}}
		if t.RevokedAt != nil {
			status, revoke = lang.T("api.tokens.revoked", stamp(*t.RevokedAt), t.RevokedBy), listCell{}
		}
		v.Tokens.Rows = append(v.Tokens.Rows, listRow{Cells: []listCell{{Text: t.ID, Code: true}, {Text: t.Name, Header: true},
			{Text: lang.T("api.tokens.by", stamp(t.CreatedAt), t.CreatedBy)}, {Text: lastUsed}, {Text: status}, revoke}})
	}
	return v, nil
}

func (p *tokenPages) list(c *fiber.Ctx) error {
	return p.show(c, fiber.StatusOK, func(v *tokensView) {
		if id := c.Query("revoked"); id != "" {
			v.Notice = v.Lang.T("api.tokens.revoked_ok", kit.Clip(id))
		}
	})
}

// show answers with the tokens page, as set tells, and status.
func (p *tokenPages) show(c *fiber.Ctx, status int, set func(*tokensView)) error {
	v, err := p.view(c)
	if err != nil {
		return err
	}
	set(&v)
	c.Status(status)
	return p.h.sendPage(c, "admin_tokens", v)
}

// create makes a token and shows it in this answer only. Answering the POST with the page, not a
// redirect, is what keeps the secret out of any URL, cookie or later page; no-store keeps it out of
// the browser's cache.
func (p *tokenPages) create(c *fiber.Ctx) error {
	if p.tokens == nil {
		return p.list(c)
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

func (p *tokenPages) revoke(c *fiber.Ctx) error {
	if p.tokens == nil {
		return p.list(c)
	}
	id := c.Params("id")
	_, err := p.tokens.Revoke(c.UserContext(), id, adminName(c))
	status, key := fiber.StatusNotFound, "api.tokens.not_found"
	switch {
	case err == nil:
		return c.Redirect(adminTokensPath+"?revoked="+url.QueryEscape(id), fiber.StatusSeeOther)
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
