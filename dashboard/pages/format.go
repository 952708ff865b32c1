package pages

import (
	"math"
	"strconv"
	"strings"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// Formatting that i18n.Lang does not offer: decimals, signed changes, dates and period names.
// Bokmål writes "20,4 %", "31. mars 2022", "uke 5"; English "20.4%", "31 March 2022", "week 5".

// decimalMark is the language's decimal separator.
func decimalMark(l i18n.Lang) string {
	if l == i18n.EN {
		return "."
	}
	return ","
}

// decimal formats x with digits decimals and grouped thousands ("10 234,5" / "10,234.5").
func decimal(l i18n.Lang, x float64, digits int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', digits, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseUint(intPart, 10, 64)
	out := l.Count(n)
	if frac != "" {
		out += decimalMark(l) + frac
	}
	if x < 0 && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

// percent formats a fraction as a percentage with digits decimals: "20,4 %" / "20.4%".
func percent(l i18n.Lang, frac float64, digits int) string {
	s := decimal(l, frac*100, digits)
	if s == "–" {
		return s
	}
	if l == i18n.EN {
		return s + "%"
	}
	return s + " %"
}

// count formats a count held as float64 (KPI values) as a whole number.
func count(l i18n.Lang, x float64) string { return l.Number(int64(math.Round(x))) }

// minus is the typographic minus sign used in changes; figures in tables and CSV keep "-".
const minus = "−"

// signed puts an explicit sign before a formatted magnitude: "+12 %", "−3".
func signed(negative, zero bool, magnitude string) string {
	switch {
	case zero:
		return "±" + magnitude
	case negative:
		return minus + magnitude
	}
	return "+" + magnitude
}

// changeText describes how a KPI moved: "+12 %" for counts (relative, with the absolute change
// when there is no relative one), "+1,2 pp" (percentage points) for rates.
func changeText(l i18n.Lang, def metrics.Metric, ch *metrics.Change) string {
	if ch == nil {
		return "–"
	}
	if def.Percent() {
		pp := ch.Delta * 100
		mag := decimal(l, math.Abs(pp), 1)
		return signed(pp < 0, mag == decimal(l, 0, 1), mag) + " " + l.T("change.pp")
	}
	if ch.Relative != nil {
		mag := percent(l, math.Abs(*ch.Relative), 0)
		return signed(*ch.Relative < 0, mag == percent(l, 0, 0), mag)
	}
	mag := count(l, math.Abs(ch.Delta))
	return signed(ch.Delta < 0, ch.Delta == 0, mag)
}

// changeClass is the CSS class of a change: up, down or flat. It only colours the text; the sign
// carries the meaning for everyone.
func changeClass(ch *metrics.Change) string {
	switch {
	case ch == nil || ch.Delta == 0:
		return "flat"
	case ch.Delta > 0:
		return "up"
	}
	return "down"
}

// kpiText formats a KPI value in its unit.
func kpiText(l i18n.Lang, def metrics.Metric, v *float64) string {
	if v == nil {
		return "–"
	}
	if def.Percent() {
		return percent(l, *v, 1)
	}
	return count(l, *v)
}

// spanName names a span: "mars 2022", "1. kvartal 2022", "2022", "01.03.2022–10.03.2022"; a
// clipped span adds its last day ("mars 2023 til og med 15.03.2023").
func spanName(l i18n.Lang, s days.Span) string {
	name := periodName(l, s)
	if s.Clipped() && s.Kind != days.Custom {
		name += " " + l.T("period.so_far", kit.ShortDate(l, s.To))
	}
	return name
}

// periodName is the calendar period's name without the clipping.
func periodName(l i18n.Lang, s days.Span) string {
	var name string
	switch s.Kind {
	case days.Month:
		// Lower case in bokmål ("mars 2022"), as the month stands inside a sentence.
		name = l.Month(s.From.Month()) + " " + strconv.Itoa(s.From.Year())
	case days.Quarter:
		name = l.Quarter(s.Quarter()) + " " + strconv.Itoa(s.From.Year())
	case days.Year:
		name = strconv.Itoa(s.From.Year())
	default:
		return kit.ShortDate(l, s.From) + "–" + kit.ShortDate(l, s.To)
	}
	return name
}

// showing is the line that says which period a page shows.
func showing(l i18n.Lang, s days.Span) string {
	if s.Clipped() {
		return l.T("period.showing_so_far", periodName(l, s), spanDates(l, s))
	}
	name, dates := spanName(l, s), spanDates(l, s)
	if name == dates {
		// A custom range is named by its days: say them once.
		return l.T("period.showing_days", dates)
	}
	return l.T("period.showing", name, dates)
}

// spanDates is the span's days written out: "1.1.2022–31.3.2022".
func spanDates(l i18n.Lang, s days.Span) string {
	if s.From.Equal(s.To) {
		return kit.ShortDate(l, s.From)
	}
	return kit.ShortDate(l, s.From) + "–" + kit.ShortDate(l, s.To)
}

// bucketLabel names one chart point. Labels carry the year when the span crosses a year, so every
// label of a chart is distinct (annotation lines are placed by label).
func bucketLabel(l i18n.Lang, g days.Kind, b days.Bucket, withYear bool) string {
	var s string
	switch g {
	case days.Week:
		_, w := b.Start.ISOWeek()
		s = l.T("grain.week_n", w)
		if withYear {
			y, _ := b.Start.ISOWeek()
			s += " " + strconv.Itoa(y)
		}
		return s
	case days.Month:
		s = kit.MonthShort(l, b.Start.Month())
		if withYear {
			s += " " + strconv.Itoa(b.Start.Year())
		}
		return s
	}
	if l == i18n.EN {
		s = strconv.Itoa(b.Start.Day()) + " " + kit.MonthShort(l, b.Start.Month())
	} else {
		s = strconv.Itoa(b.Start.Day()) + ". " + kit.MonthShort(l, b.Start.Month())
	}
	if withYear {
		s += " " + strconv.Itoa(b.Start.Year())
	}
	return s
}

// labelsNeedYear tells whether bucket labels of grain g need the year to be distinct: weeks are
// counted in ISO years, so a calendar year starting on a Saturday begins with week 52.
func labelsNeedYear(s days.Span, g days.Kind) bool {
	if g == days.Week {
		first, _ := days.BucketStart(g, s.From).ISOWeek()
		last, _ := days.BucketStart(g, s.To).ISOWeek()
		return first != last
	}
	return s.From.Year() != s.To.Year()
}
