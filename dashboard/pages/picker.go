package pages

import (
	"slices"
	"strconv"
	"time"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
)

// pickerView is the period picker form: a plain GET form, so it works without JavaScript; CSS
// (:has) shows only the fields of the chosen kind of period.
type pickerView struct {
	Action string
	Kind   string
	Kinds  []option
	// Periods are the year, quarter and month fields; Choices the comparison, the grain (on pages
	// with time charts) and the site, list and register (when there is more than one).
	Periods, Choices []pickerSelect
	From, To         string
}

// pickerSelect is one of the picker's drop-down fields: {{template "picker-select" .}}.
type pickerSelect struct {
	// Name is the parameter; the field's id is "p-" + Name.
	Name, Label string
	// Class is added to "field": the kind of period that shows it (f-year).
	Class   string
	Options []option
}

type option struct {
	Value, Label string
	Selected     bool
}

// choose is a field of options from values, labelled by label, with chosen selected.
func choose(name, label, class string, values []string, chosen string, optLabel func(string) string) pickerSelect {
	f := pickerSelect{Name: name, Label: label, Class: class}
	for _, v := range values {
		f.Options = append(f.Options, option{Value: v, Label: optLabel(v), Selected: v == chosen})
	}
	return f
}

func (p *Pages) picker(r *request, action string, grain bool) pickerView {
	l := r.lang
	v := pickerView{
		Action: action,
		Kind:   string(r.span.Kind),
		From:   r.span.From.Format(kit.DayLayout(l)),
		To:     r.span.End.Format(kit.DayLayout(l)),
	}
	for _, k := range []days.Kind{days.Month, days.Quarter, days.Year, days.Custom} {
		v.Kinds = append(v.Kinds, option{Value: string(k), Label: l.T("period.kind." + string(k))})
	}
	same := func(s string) string { return s }
	number := func(s string) int { n, _ := strconv.Atoi(s); return n }
	// Exactly the years that hold figures (discovery), newest first; the shown period's year is
	// added only when it has none, so the form still says what is shown.
	year := r.span.To.Year()
	years := r.extent.Years()
	if !slices.Contains(years, year) {
		years = append(years, year)
		slices.SortFunc(years, func(a, b int) int { return b - a })
	}
	yearValues := make([]string, len(years))
	for i, y := range years {
		yearValues[i] = strconv.Itoa(y)
	}
	v.Periods = []pickerSelect{
		choose("year", l.T("form.year"), "f-year", yearValues, strconv.Itoa(year), same),
		choose("quarter", l.T("quarter.heading"), "f-quarter", []string{"1", "2", "3", "4"}, strconv.Itoa(r.span.Quarter()),
			func(q string) string { return l.Quarter(number(q)) }),
		choose("month", l.T("period.month"), "f-month", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"},
			strconv.Itoa(int(r.span.From.Month())), func(m string) string { return l.Month(time.Month(number(m))) }),
	}
	v.Choices = []pickerSelect{choose("compare", l.T("compare.label"), "", []string{comparePrevious, compareYear}, r.compare,
		func(c string) string { return l.T("compare." + c) })}
	if grain {
		chosen := ""
		if r.grainGiven {
			chosen = string(r.grain)
		}
		v.Choices = append(v.Choices, choose("grain", l.T("grain.label"), "", []string{"", string(days.Day), string(days.Week), string(days.Month)},
			chosen, func(g string) string {
				if g == "" {
					return l.T("grain.auto")
				}
				return l.T("grain." + g)
			}))
	}
	if len(p.cfg.Sites) > 1 {
		names := map[string]string{}
		for _, s := range p.cfg.Sites {
			names[s.ID] = s.Name
		}
		v.Choices = append(v.Choices, choose("site", l.T("form.site"), "", p.cfg.SiteIDs(), r.site.ID, func(id string) string { return names[id] }))
	}
	if len(r.lists) > 1 {
		v.Choices = append(v.Choices, choose("list", l.T("form.list"), "", r.lists, r.list, same))
	}
	if len(r.accounts) > 1 {
		v.Choices = append(v.Choices, choose("account", l.T("form.account"), "", r.accounts, r.account, same))
	}
	return v
}
