// Package i18n holds the dashboard's languages: Norwegian bokmål (the default, the language of the
// annual report) and English. A Lang translates message keys and formats numbers, percentages and
// month names the way readers of that language expect.
package i18n

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lang is a supported language, named by its BCP 47 tag (it goes straight into <html lang>).
type Lang string

// The supported languages.
const (
	NB Lang = "nb"
	EN Lang = "en"
)

// Default is the language used when nothing else is asked for.
const Default = NB

// Supported lists the languages in the order a language switch shows them.
func Supported() []Lang { return []Lang{NB, EN} }

// Parse returns the language for a tag such as "nb" or "EN"; ok is false for anything unsupported.
func Parse(tag string) (l Lang, ok bool) {
	switch Lang(strings.ToLower(strings.TrimSpace(tag))) {
	case NB:
		return NB, true
	case EN:
		return EN, true
	}
	return Default, false
}

// valid maps the zero value and unknown values to Default, so a Lang never formats in a third way.
func (l Lang) valid() Lang {
	if l == EN {
		return EN
	}
	return NB
}

// Name is the language's own name for itself, which is what a language switch should show.
func (l Lang) Name() string {
	if l.valid() == EN {
		return "English"
	}
	return "Norsk bokmål"
}

// T returns the message for key, formatted with args (fmt verbs) when any are given. An unknown key
// comes back as itself so a page still renders; TestCatalogueIsComplete keeps that from shipping.
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalogue[l.valid()][key]
	if !ok {
		msg, ok = catalogue[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has tells whether key is in the catalogue for l.
func (l Lang) Has(key string) bool {
	_, ok := catalogue[l.valid()][key]
	return ok
}

// GroupSeparator is what separates thousands: a plain ASCII space in bokmål ("10 234", so that a
// figure pasted into a spreadsheet or a report stays one token), a comma in English ("10,234").
func (l Lang) GroupSeparator() string {
	if l.valid() == EN {
		return ","
	}
	return " "
}

// Number formats a whole number with thousands grouped: "10 234" in bokmål, "10,234" in English.
func (l Lang) Number(n int64) string {
	if n < 0 {
		// Via uint64 so that math.MinInt64 does not overflow on negation.
		return "-" + group(strconv.FormatUint(uint64(-(n+1))+1, 10), l.GroupSeparator())
	}
	return group(strconv.FormatInt(n, 10), l.GroupSeparator())
}

// Count is Number for unsigned counters, which is what ClickHouse hands back for most figures.
func (l Lang) Count(n uint64) string {
	return group(strconv.FormatUint(n, 10), l.GroupSeparator())
}

func group(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Percent formats a fraction (0.46) as a whole percentage: "46 %" in bokmål, which puts a space
// before the sign, and "46%" in English. NaN and infinities, which come from dividing by zero
// followers or subscribers, show as "–" rather than as a misleading number.
func (l Lang) Percent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	p := math.Round(x * 100)
	if p == 0 {
		p = 0 // no "-0 %"
	}
	s := l.Number(int64(p))
	if l.valid() == EN {
		return s + "%"
	}
	return s + " %"
}

// Rate formats a rate (0.2043, a click rate or growth rate) with one decimal: "20,4 %" in bokmål,
// "20.4%" in English. Whole percent would make "just over 20 %" read as "20 %" and keep a change in
// percentage points from adding up. NaN and infinities show as "–".
func (l Lang) Rate(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := l.Decimal1(x * 100)
	if l.valid() == EN {
		return s + "%"
	}
	return s + " %"
}

// Decimal1 writes x rounded to one decimal, with the language's decimal mark and grouping:
// "1 234,5" in bokmål, "1,234.5" in English; "-0,0" is written "0,0".
func (l Lang) Decimal1(x float64) string {
	tenths := int64(math.Round(x * 10))
	neg := tenths < 0
	if neg {
		tenths = -tenths
	}
	mark := ","
	if l.valid() == EN {
		mark = "."
	}
	s := l.Number(tenths/10) + mark + strconv.FormatInt(tenths%10, 10)
	if neg {
		s = "-" + s
	}
	return s
}

// Month is the month's name as it stands inside a sentence: "januar" in bokmål (lower case, as
// Norwegian writes it), "January" in English.
func (l Lang) Month(m time.Month) string {
	if m < time.January || m > time.December {
		return strconv.Itoa(int(m))
	}
	if l.valid() == EN {
		return m.String()
	}
	return monthsNB[m-1]
}

// Quarter names a quarter (1–4): "1. kvartal" in bokmål, "Q1" in English.
func (l Lang) Quarter(q int) string {
	return l.T("quarter.name", q)
}

var monthsNB = [12]string{
	"januar", "februar", "mars", "april", "mai", "juni",
	"juli", "august", "september", "oktober", "november", "desember",
}
