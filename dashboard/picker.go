package dashboard

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
)

// pickerView is the period picker form: a plain GET form, so it works without JavaScript; CSS
// (:has) shows only the fields of the chosen kind of period.
type pickerView struct {
	Action   string
	Kind     string
	Kinds    []option
	Year     int
	Years    []int
	Month    string
	Months   []option
	Quarter  string
	Quarters []option
	From     string
	To       string
	Compare  string
	// Grain is offered on pages with time charts.
	ShowGrain bool
	Grain     string
	Grains    []option
	Sites     []config.Site
	Site      string
	Lists     []string
	List      string
	Accounts  []string
	Account   string
}

type option struct {
	Value, Label string
}

func (p *pages) picker(r *request, action string, grain bool) pickerView {
	l := r.lang
	v := pickerView{
		Action:    action,
		Kind:      string(r.span.Kind),
		Year:      r.span.To.Year(),
		Month:     strconv.Itoa(int(r.span.From.Month())),
		Quarter:   strconv.Itoa(r.span.Quarter()),
		From:      r.span.From.Format(time.DateOnly),
		To:        r.span.End.Format(time.DateOnly),
		Compare:   r.compare,
		ShowGrain: grain,
		Sites:     p.h.cfg.Sites,
		Site:      r.site.ID,
		Lists:     r.lists,
		List:      r.list,
		Accounts:  r.accounts,
		Account:   r.account,
	}
	if r.grainGiven {
		v.Grain = string(r.grain)
	}
	for _, k := range []days.Kind{days.Month, days.Quarter, days.Year, days.Custom} {
		v.Kinds = append(v.Kinds, option{string(k), l.T("period.kind." + string(k))})
	}
	for m := time.January; m <= time.December; m++ {
		v.Months = append(v.Months, option{strconv.Itoa(int(m)), l.Month(m)})
	}
	for q := 1; q <= 4; q++ {
		v.Quarters = append(v.Quarters, option{strconv.Itoa(q), l.Quarter(q)})
	}
	v.Grains = []option{{"", l.T("grain.auto")}}
	for _, g := range []days.Kind{days.Day, days.Week, days.Month} {
		v.Grains = append(v.Grains, option{string(g), l.T("grain." + string(g))})
	}
	// Exactly the years that hold figures (discovery), newest first; the shown period's year is
	// added only when it has none, so the form still says what is shown.
	v.Years = r.extent.Years()
	if !slices.Contains(v.Years, v.Year) {
		v.Years = append(v.Years, v.Year)
		slices.SortFunc(v.Years, func(a, b int) int { return b - a })
	}
	return v
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
	for _, k := range periodParams() {
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
