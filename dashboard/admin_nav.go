package dashboard

import (
	"net/url"
	"strings"

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
		links = append(links, [2]string{admin.SourcesPath, "nav.sources"}, [2]string{admin.TokensPath, "nav.api_tokens"})
	}
	out := make([]kit.NavLink, 0, len(links))
	for _, p := range links {
		out = append(out, kit.NavLink{URL: p[0], Label: l.Lang.T(p[1]),
			Current: current == p[0] || strings.HasPrefix(current, p[0]+"/")})
	}
	return out
}
