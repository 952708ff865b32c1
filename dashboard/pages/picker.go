package pages

import (
	"slices"
	"strconv"
	"time"

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

func (p *Pages) picker(r *request, action string, grain bool) pickerView {
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
		Sites:     p.cfg.Sites,
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
