package dashboard

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
)

// The menu for editors and admins, beside the main navigation on every signed-in page: the notes
// for editors; the API keys and the sources for admins. The pages themselves check the role; the
// menu only leaves out what the reader may not open.

// adminNav is the menu's links for the signed-in person (none for a viewer).
func adminNav(l kit.Layout) []kit.NavLink {
	if l.Account == nil || !l.Account.Level.AtLeast(auth.Editor) {
		return nil
	}
	current := ""
	if len(l.Languages) > 0 {
		if u, err := url.Parse(l.Languages[0].URL); err == nil {
			current = u.Path
		}
	}
	links := [][2]string{{admin.NotesPath, "nav.notes"}}
	if l.Account.Level.AtLeast(auth.Admin) {
		links = append(links, [2]string{sourcesPath, "nav.sources"}, [2]string{admin.TokensPath, "nav.api_tokens"})
	}
	out := make([]kit.NavLink, 0, len(links))
	for _, p := range links {
		out = append(out, kit.NavLink{URL: p[0], Label: l.Lang.T(p[1]),
			Current: current == p[0] || strings.HasPrefix(current, p[0]+"/")})
	}
	return out
}

// sourcesIndex lists the configured sources, each leading to its runs page (/admin/kilder/:id).
type sourcesIndexView struct {
	kit.Layout
	Sources []sourceIndexRow
}

type sourceIndexRow struct {
	ID, Type, URL string
	Disabled      bool
}

func (h *handler) sourcesIndex(c *fiber.Ctx) error {
	lang := kit.LangOf(c, h.defaultLang)
	v := sourcesIndexView{Layout: h.layout(c, lang, lang.T("nav.sources"))}
	for _, s := range h.cfg.Sources {
		v.Sources = append(v.Sources, sourceIndexRow{ID: s.ID, Type: s.Type, URL: sourcesPath + "/" + url.PathEscape(s.ID), Disabled: s.Disabled})
	}
	return h.sendPage(c, "sources_index", v)
}
