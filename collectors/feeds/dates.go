package feeds

import (
	"strings"
	"time"
	"unicode"

	"github.com/mmcdole/gofeed"
)

// Dates outside what the table's DateTime holds are treated as missing.
var (
	earliest = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// itemDate is the item's publication date, else its update date; false when it has neither.
//
// RSS 2.0 wants RFC 822 dates with a zone, and gofeed reads those and many variants. Two kinds of
// date it misreads are read here first: a date without a zone, which gofeed takes as UTC but which
// a Norwegian site writes in its own time (an item at 23:30 on the last of the month would count
// in the next month), and a date with Norwegian month or day names ("tir, 14 jan 2025",
// "14. januar 2025 kl. 09:30"), which gofeed cannot read at all.
func itemDate(it *gofeed.Item, loc *time.Location) (time.Time, bool) {
	for _, d := range []struct {
		raw    string
		parsed *time.Time
	}{{it.Published, it.PublishedParsed}, {it.Updated, it.UpdatedParsed}} {
		t, ok := localDate(d.raw, loc)
		if !ok && d.parsed != nil {
			t, ok = *d.parsed, true
		}
		if ok && t.After(earliest) && t.Before(latest) {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

// norwegian maps Norwegian month names and their abbreviations onto the English ones Go parses.
var norwegian = map[string]string{
	"januar": "Jan", "februar": "Feb", "mars": "Mar", "april": "Apr", "mai": "May", "juni": "Jun",
	"juli": "Jul", "august": "Aug", "september": "Sep", "oktober": "Oct", "okt": "Oct",
	"november": "Nov", "desember": "Dec", "des": "Dec",
}

// weekdays are day names a date may start with (true: Norwegian); they say nothing the date does
// not.
var weekdays = map[string]bool{
	"mon": false, "tue": false, "wed": false, "thu": false, "fri": false, "sat": false, "sun": false,
	"monday": false, "tuesday": false, "wednesday": false, "thursday": false, "friday": false, "saturday": false, "sunday": false,
	"man": true, "tir": true, "ons": true, "tor": true, "fre": true, "lør": true, "søn": true,
	"mandag": true, "tirsdag": true, "onsdag": true, "torsdag": true, "fredag": true, "lørdag": true, "søndag": true,
}

var (
	// zonedLayouts are read only for dates with Norwegian names; gofeed reads the English ones.
	// Zone names are left out: Go reads an unknown one ("CET") as UTC.
	zonedLayouts = []string{"2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04 -0700"}
	// localLayouts carry no zone: the time is the site's own.
	localLayouts = []string{
		"2 Jan 2006 15:04:05", "2 Jan 2006 15:04", "2 Jan 2006",
		"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
	}
)

// localDate reads a date without a zone in loc, and a date with Norwegian names; false for
// anything else, which is left to gofeed.
func localDate(raw string, loc *time.Location) (time.Time, bool) {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
	translated := false
	var kept []string
	for i, f := range fields {
		lower := strings.ToLower(f)
		if f, ok := strings.CutSuffix(f, "."); ok && f != "" && f[0] >= '0' && f[0] <= '9' {
			translated = true // "14. januar": Norwegian writes the day as an ordinal
		}
		f = strings.TrimSuffix(f, ".") // "14." and "jan."
		lower = strings.TrimSuffix(lower, ".")
		if norwegianDay, ok := weekdays[lower]; ok && i == 0 {
			translated = translated || norwegianDay
			continue
		}
		if lower == "kl" || lower == "klokken" {
			translated = true
			continue
		}
		if en, ok := norwegian[lower]; ok {
			f, translated = en, true
		}
		kept = append(kept, f)
	}
	text := strings.Join(kept, " ")
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, text, loc); err == nil {
			return t, true
		}
	}
	if translated {
		for _, layout := range zonedLayouts {
			if t, err := time.Parse(layout, text); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
