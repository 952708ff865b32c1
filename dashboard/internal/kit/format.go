package kit

import (
	"strconv"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// Dates as every part writes them.

// MonthShort is "mar" / "Mar".
func MonthShort(l i18n.Lang, m time.Month) string {
	if l == i18n.EN {
		return m.String()[:3]
	}
	return [12]string{"jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"}[m-1]
}

// DayLayout is how a reader writes a day in a form: 31.03.2022 in bokmål, ISO in English.
func DayLayout(l i18n.Lang) string {
	if l == i18n.NB {
		return "02.01.2006"
	}
	return time.DateOnly
}

// ReaderDay writes a day typed in either notation (days.ParseDay) as the reader of l writes it;
// anything else is returned as typed, for the reader to correct.
func ReaderDay(l i18n.Lang, typed string) string {
	d, err := days.ParseDay(typed)
	if err != nil {
		return typed
	}
	return d.Format(DayLayout(l))
}

// ShortDate is "31.03.2022" / "31 Mar 2022".
func ShortDate(l i18n.Lang, d time.Time) string {
	if l == i18n.EN {
		return strconv.Itoa(d.Day()) + " " + MonthShort(l, d.Month()) + " " + strconv.Itoa(d.Year())
	}
	return d.Format("02.01.2006")
}

// DateTime is an instant in the organisation's zone: "10.03.2024 kl. 04.00" / "10 Mar 2024, 04:00".
func DateTime(l i18n.Lang, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if l == i18n.EN {
		return ShortDate(l, t) + ", " + t.Format("15:04")
	}
	return ShortDate(l, t) + " kl. " + t.Format("15.04")
}
