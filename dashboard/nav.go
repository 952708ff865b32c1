package dashboard

import (
	"net/url"
	"strings"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/dashboard/pages"
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

// navPages are the pages of the main navigation: path and catalogue key.
func navPages() [][2]string {
	return [][2]string{
		{"/", "overview.title"},
		{"/nettsted", "web.title"},
		{"/sosiale-medier", "social.title"},
		{"/nyhetsbrev", "newsletter.title"},
		{"/arrangementer", "events.title"},
		{"/rapporter", "report.index_title"},
	}
}

// mainNav is the navigation shown under the header on every signed-in page (and on error pages),
// with links that keep the chosen period. It reads the current address from the language links,
// which every page's layout carries, so no page type needs a field for it; the layout shows it only
// to a signed-in person.
func mainNav(l kit.Layout) []kit.NavLink {
	if len(l.Languages) == 0 {
		return nil
	}
	u, err := url.Parse(l.Languages[0].URL)
	if err != nil {
		return nil
	}
	current := ""
	for _, p := range navPages() {
		if u.Path == p[0] || (p[0] != "/" && strings.HasPrefix(u.Path, p[0]+"/")) {
			current = p[0]
		}
	}
	// Every signed-in page has the navigation (the admin pages too, with nothing marked current).
	keep := url.Values{}
	for _, k := range pages.PeriodParams() {
		if v := u.Query().Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	out := make([]kit.NavLink, 0, len(navPages()))
	for _, p := range navPages() {
		link := p[0]
		if len(keep) > 0 {
			link += "?" + keep.Encode()
		}
		out = append(out, kit.NavLink{URL: link, Label: l.Lang.T(p[1]), Current: p[0] == current})
	}
	return out
}
