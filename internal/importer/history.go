package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/metrics"
)

// History columns.
const (
	colKPI       = "kpi"
	colPeriod    = "period"
	colScope     = "scope"
	colItem      = "item"
	colValue     = "value"
	colText      = "text"
	colQualifier = "qualifier"
	colNote      = "note"
)

// historyKind imports figures of past periods known only as totals — a quarter's visits, a year's
// channel shares, followers at year end — from old reports and spreadsheets, into history_figures.
// internal/report/README.md documents the KPIs and how reports use them.
func historyKind() Kind {
	// The KPIs and their definitions are the catalogue's (internal/metrics).
	var kpis []Value
	for _, m := range metrics.Importable() {
		kpis = append(kpis, Value{Column: colKPI, Name: string(m.Name), Help: m.Definition.EN})
	}
	return Kind{
		Name:    "history",
		Summary: "figures of past periods known only as totals (old reports, spreadsheets); see internal/report/README.md",
		// The rows name their own site, account or list in scope; --account is not used.
		Target: "account",
		Columns: []Column{
			{colKPI, true, "one of the KPIs below; a percentage is written as printed (46 for 46 %)"},
			{colPeriod, true, "YYYY (a year), YYYY-Qn or YYYY-Kn (a quarter), YYYY-MM (a month)"},
			{colScope, false, "site id, social account or newsletter list; empty: the only one"},
			{colItem, false, "channel (web.channel_share), device (web.device_share) or rank 1, 2, … (web.top_page)"},
			{colValue, false, "the figure: a count (1 234), or a percentage for shares and rates (46 or 20,4 or 46 %); required except for web.top_page"},
			{colText, false, "the page title (web.top_page)"},
			{colQualifier, false, "how the source gave it: empty (exact), about, over, just_over, nearly, under (or ca., over, drøyt, nesten, under)"},
			{colNote, false, "free text kept with the figure, e.g. where it comes from"},
		},
		Values: kpis,
		needs:  func(Options) error { return nil },
		parse:  parseHistory,
	}
}

// historyRecord is one row of history_figures.
type historyRecord struct {
	kpi, scope, period string
	start, end         time.Time
	item               string
	value              *float64
	text, qualifier    string
	note               string
}

func (historyRecord) Table() string { return "history_figures" }
func (historyRecord) Columns() []string {
	return []string{"kpi", "scope", "period", "period_start", "period_end", "item", "value", "text", "qualifier", "note", "deleted"}
}
func (r historyRecord) Values() []any {
	return []any{r.kpi, r.scope, r.period, r.start, r.end, r.item, r.value, r.text, r.qualifier, r.note, uint8(0)}
}

func parseHistory(r row, _ Options) (parsed, []Problem) {
	c := cells{row: r}
	name := strings.ToLower(r.get(colKPI))
	kpi, ok := metrics.Lookup(name)
	ok = ok && kpi.On(metrics.Import) // pageviews, publications, …: collected only
	if !ok {
		if name == "" {
			c.bad(colKPI, "required: a KPI name such as web.visits")
		} else {
			c.bad(colKPI, "unknown KPI %q: see rekkevidde import --help for the list", r.get(colKPI))
		}
	}
	period, start, end, err := parseHistoryPeriod(r.get(colPeriod))
	if err != nil {
		c.bad(colPeriod, "%s", err)
	}
	qualifier, err := parseQualifier(r.get(colQualifier))
	if err != nil {
		c.bad(colQualifier, "%s", err)
	}
	if !ok {
		return parsed{}, c.problems
	}
	item := historyItem(&c, kpi, r.get(colItem))
	text := strings.Join(strings.Fields(r.get(colText)), " ")
	if kpi.Import.TextRequired && text == "" {
		c.bad(colText, "required for %s: the page title", kpi.Name)
	}
	if !kpi.Import.TextRequired && text != "" {
		c.bad(colText, "only web.top_page has a text; put remarks in note")
	}
	value := historyValue(&c, kpi, r.get(colValue))
	if len(c.problems) > 0 {
		return parsed{}, c.problems
	}
	scope := strings.TrimSpace(r.get(colScope))
	key := strings.Join([]string{string(kpi.Name), strings.ToLower(scope), period, start.Format(time.DateOnly), item}, "\x00")
	return parsed{key: key, what: "the same figure (kpi, scope, period and item)", records: []figures.Record{historyRecord{
		kpi: string(kpi.Name), scope: scope, period: period, start: start, end: end, item: item, value: value,
		text: text, qualifier: qualifier, note: strings.TrimSpace(r.get(colNote)),
	}}}, nil
}

var (
	yearPattern    = regexp.MustCompile(`^(\d{4})$`)
	quarterPattern = regexp.MustCompile(`^(\d{4})-[QqKk]([1-4])$`)
	monthPattern   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
)

// parseHistoryPeriod reads 2022, 2022-Q3 (or 2022-K3, kvartal) or 2022-03 into the period kind
// and its first and last day.
func parseHistoryPeriod(s string) (period string, start, end time.Time, err error) {
	s = strings.TrimSpace(s)
	year := func(digits string) (int, error) {
		y, _ := strconv.Atoi(digits)
		if y < 2000 || y > 2099 {
			return 0, fmt.Errorf("%q: the year %d looks mistyped", s, y)
		}
		return y, nil
	}
	switch {
	case s == "":
		return "", start, end, fmt.Errorf("required: a year (2022), quarter (2022-Q3) or month (2022-03)")
	case yearPattern.MatchString(s):
		y, err := year(s)
		if err != nil {
			return "", start, end, err
		}
		start = time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
		return string(days.Year), start, start.AddDate(1, 0, -1), nil
	case quarterPattern.MatchString(s):
		m := quarterPattern.FindStringSubmatch(s)
		y, err := year(m[1])
		if err != nil {
			return "", start, end, err
		}
		q, _ := strconv.Atoi(m[2])
		start = days.QuarterStart(y, q)
		return string(days.Quarter), start, start.AddDate(0, 3, -1), nil
	case monthPattern.MatchString(s):
		m := monthPattern.FindStringSubmatch(s)
		y, err := year(m[1])
		if err != nil {
			return "", start, end, err
		}
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return "", start, end, fmt.Errorf("%q: there is no month %d", s, mo)
		}
		start = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		return string(days.Month), start, start.AddDate(0, 1, -1), nil
	}
	return "", start, end, fmt.Errorf("%q is not a period: write 2022 (a year), 2022-Q3 (a quarter) or 2022-03 (a month)", s)
}

// qualifierAliases maps what people write before an inexact figure to the stored qualifier.
func qualifierAliases() map[string]string {
	return map[string]string{
		"":      "",
		"exact": "", "eksakt": "",
		"about": "about", "ca": "about", "ca.": "about", "cirka": "about", "omtrent": "about", "~": "about", "≈": "about",
		"over": "over", "more than": "over", "mer enn": "over", "flere enn": "over", ">": "over",
		"just_over": "just_over", "just over": "just_over", "drøyt": "just_over", "i overkant av": "just_over", "litt over": "just_over",
		"nearly": "nearly", "almost": "nearly", "nesten": "nearly", "nærmere": "nearly", "snaut": "nearly",
		"under": "under", "less than": "under", "mindre enn": "under", "<": "under",
	}
}

func parseQualifier(s string) (string, error) {
	q, ok := qualifierAliases()[strings.ToLower(strings.Join(strings.Fields(s), " "))]
	if !ok {
		return "", fmt.Errorf("%q is not a qualifier: leave it empty for an exact figure, or write about, over, just_over, nearly or under", s)
	}
	return q, nil
}

func channelAliases() map[string]string {
	return map[string]string{
		"organisk søk": figures.ChannelOrganicSearch, "organic search": figures.ChannelOrganicSearch, "søk": figures.ChannelOrganicSearch,
		"direkte":        figures.ChannelDirect,
		"sosiale medier": figures.ChannelSocial, "social media": figures.ChannelSocial, "sosiale": figures.ChannelSocial,
		"via link": figures.ChannelReferral, "via lenke": figures.ChannelReferral, "lenker": figures.ChannelReferral, "henvisning": figures.ChannelReferral,
		"e-post": figures.ChannelEmail, "epost": figures.ChannelEmail, "nyhetsbrev": figures.ChannelEmail,
		"betalt": figures.ChannelPaid, "annonser": figures.ChannelPaid,
		"annet": figures.ChannelOther,
	}
}

func deviceAliases() map[string]string {
	return map[string]string{
		"pc": figures.DeviceDesktop, "datamaskin": figures.DeviceDesktop, "computer": figures.DeviceDesktop,
		"mobil": figures.DeviceMobile, "mobiltelefon": figures.DeviceMobile, "nettbrett": figures.DeviceTablet,
		"mobile+tablet": metrics.DeviceMobileTablet, "mobile and tablet": metrics.DeviceMobileTablet,
		"mobil og nettbrett": metrics.DeviceMobileTablet, "mobil/nettbrett": metrics.DeviceMobileTablet, "mobil eller nettbrett": metrics.DeviceMobileTablet,
		"annet": figures.DeviceOther,
	}
}

// historyItem checks and normalises the item column for the KPI.
func historyItem(c *cells, kpi metrics.Metric, raw string) string {
	s := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	switch kpi.Item {
	case metrics.NoItem:
		if s != "" {
			c.bad(colItem, "%s has no item; leave it empty", kpi.Name)
		}
		return ""
	case metrics.ItemChannel:
		for _, ch := range figures.Channels() {
			if s == ch {
				return ch
			}
		}
		if ch, ok := channelAliases()[s]; ok {
			return ch
		}
		c.bad(colItem, "%q is not a channel: write one of %s", raw, strings.Join(figures.Channels(), ", "))
	case metrics.ItemDevice:
		for _, d := range append(figures.Devices(), metrics.DeviceMobileTablet) {
			if s == d {
				return d
			}
		}
		if d, ok := deviceAliases()[s]; ok {
			return d
		}
		c.bad(colItem, "%q is not a device: write one of %s", raw, strings.Join(append(figures.Devices(), metrics.DeviceMobileTablet), ", "))
	case metrics.ItemRank:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			c.bad(colItem, "%q is not a rank: write the page's place in the list, 1 for the most visited", raw)
			return ""
		}
		return strconv.Itoa(n)
	}
	return ""
}

var (
	wholePattern   = regexp.MustCompile(`^(\d+|\d{1,3}( \d{3})+)$`)
	decimalPattern = regexp.MustCompile(`^(\d+|\d{1,3}( \d{3})+)([.,]\d{1,2})?$`)
)

// historyValue reads the value column in the KPI's unit. Counts are whole numbers grouped with
// spaces as the other kinds read them; a percentage or an average may have up to two decimals after
// "," or "." — three would read as a thousands group in one language and as decimals in the other.
func historyValue(c *cells, kpi metrics.Metric, raw string) *float64 {
	s := strings.TrimSpace(strings.NewReplacer("\u00a0", " ", "\u202f", " ", "\u2212", "-").Replace(raw))
	if kpi.Percent() {
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	if s == "" {
		if !kpi.Import.TextRequired {
			c.bad(colValue, "required: the figure")
		}
		return nil
	}
	negative := strings.HasPrefix(s, "-")
	if negative {
		if !kpi.Import.Signed {
			c.bad(colValue, "%q is negative: %s is 0 or more", raw, kpi.Name)
			return nil
		}
		s = strings.TrimSpace(s[1:])
	}
	pattern, form := wholePattern, "a whole number (1234 or 1 234)"
	if kpi.Import.Decimals {
		pattern, form = decimalPattern, "a number with at most two decimals (46, 20,4 or 20.4)"
	}
	if !pattern.MatchString(s) {
		c.bad(colValue, "%q is not %s", raw, form)
		return nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", "."), 64)
	if err != nil || math.IsInf(v, 0) {
		c.bad(colValue, "%q is not a number", raw)
		return nil
	}
	if negative {
		v = -v
	}
	if kpi.Percent() && !kpi.Import.AboveHundred && v > 100 {
		c.bad(colValue, "%q: a share or rate is at most 100 %%", raw)
		return nil
	}
	return &v
}
