package kit

import (
	"strconv"
	"time"

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
