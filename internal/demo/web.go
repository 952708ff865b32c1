package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// Canonical channel and device keys, as stored (the dashboard translates them).
const (
	ChannelOrganicSearch = "organic_search"
	ChannelDirect        = "direct"
	ChannelSocial        = "social"
	ChannelReferral      = "referral"
	ChannelEmail         = "email"

	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
)

// webYear pins one year's web figures. 2022 is the annual report; the others are chosen around it.
type webYear struct {
	year int
	// sessions per quarter: the report's "Totalt besøkende" (visits).
	sessions [4]int
	// uniques per quarter: the provider's deduplicated "Unike besøkende".
	uniques  [4]int
	channels []string
	// channelShares of the year's sessions, in channels' order.
	channelShares []float64
	// deviceShares of the year's sessions: desktop, mobile, tablet.
	deviceShares []float64
}

func webYears() []webYear {
	four := []string{ChannelOrganicSearch, ChannelDirect, ChannelSocial, ChannelReferral}
	five := []string{ChannelOrganicSearch, ChannelDirect, ChannelSocial, ChannelReferral, ChannelEmail}
	return []webYear{
		{year: 2021, sessions: [4]int{8420, 7390, 7710, 8290}, uniques: [4]int{6650, 5860, 6010, 6690},
			channels: five, channelShares: []float64{0.48, 0.355, 0.095, 0.06, 0.01},
			deviceShares: []float64{0.812, 0.163, 0.025}},
		// Report 2022: visits 10 234 / 9 068 / 9 634 / 9 709, uniques 8 001 / 7 157 / 7 435 / 8 059,
		// channels 46 / 35 / 13 / 6 %, nearly 80 % desktop. No email channel that year.
		{year: 2022, sessions: [4]int{10234, 9068, 9634, 9709}, uniques: [4]int{8001, 7157, 7435, 8059},
			channels: four, channelShares: []float64{0.46, 0.35, 0.13, 0.06},
			deviceShares: []float64{0.795, 0.178, 0.027}},
		{year: 2023, sessions: [4]int{11390, 10120, 10480, 10960}, uniques: [4]int{8870, 7930, 8120, 8950},
			channels: five, channelShares: []float64{0.44, 0.34, 0.15, 0.052, 0.018},
			deviceShares: []float64{0.782, 0.193, 0.025}},
	}
}

func devices() []string { return []string{DeviceDesktop, DeviceMobile, DeviceTablet} }

// deviceWeights per channel: people follow social links on their phones, search at their desks.
func deviceWeights(channel string) []float64 {
	switch channel {
	case ChannelDirect:
		return []float64{0.85, 0.13, 0.02}
	case ChannelSocial:
		return []float64{0.60, 0.36, 0.04}
	case ChannelEmail:
		return []float64{0.70, 0.27, 0.03}
	default:
		return []float64{0.80, 0.17, 0.03}
	}
}

// Ratios between the web figures. A period's unique visitors are fewer than the sum over its parts
// (people come back): a quarter's Σ daily visitors > Σ of its monthly uniques > its uniques, and a
// year's uniques < Σ of its quarters' uniques. With the report's visits and uniques this puts daily
// visitors at 0.80–0.86 × sessions.
const (
	dailyVisitorsOverQuarterUniques  = 1.03  // Σ daily visitors of a quarter ÷ its uniques
	monthlyUniquesOverQuarterUniques = 1.015 // Σ of a quarter's three monthly uniques ÷ its uniques
	yearUniquesOverQuarterUniques    = 0.865 // year uniques ÷ Σ quarter uniques (≈ 26 500 in 2022)
	newVisitorShare                  = 0.15  // the report: 15 % of the year's visitors were new
	minPageviewsPerSession           = 2.25
	maxPageviewsPerSession           = 2.55
)

// webCell is one web_traffic_daily row.
type webCell struct {
	date                                      time.Time
	channel, device                           string
	sessions, visitors, pageviews, newVisitor int
}

// monthTotals are the sums of one month's daily rows, which the period rows and top pages build on.
type monthTotals struct {
	start                            time.Time
	visitors, newVisitors, pageviews int
}

func buildWeb(siteID string, h happenings, version uint64) ([]batch, error) {
	traffic := batch{table: "web_traffic_daily", columns: []string{"site_id", "date", "channel", "device",
		"visitors", "sessions", "pageviews", "new_visitors", "source", "version"}}
	periods := batch{table: "web_visitors_period", columns: []string{"site_id", "period", "period_start",
		"period_end", "visitors", "new_visitors", "returning_visitors", "source", "version"}}
	pages := batch{table: "web_top_pages", columns: []string{"site_id", "month", "path", "title", "pageviews",
		"source", "version"}}
	campaignDays := campaignDays()
	for _, y := range webYears() {
		cells, months, err := webTrafficYear(y, h, campaignDays)
		if err != nil {
			return nil, fmt.Errorf("%d: %w", y.year, err)
		}
		for _, c := range cells {
			traffic.rows = append(traffic.rows, []any{siteID, c.date, c.channel, c.device, u64(c.visitors),
				u64(c.sessions), u64(c.pageviews), u64(c.newVisitor), Source, version})
		}
		rows, err := visitorPeriods(y, months)
		if err != nil {
			return nil, fmt.Errorf("%d: %w", y.year, err)
		}
		for _, p := range rows {
			periods.rows = append(periods.rows, append([]any{siteID}, append(p, Source, version)...))
		}
		for _, m := range months {
			for _, p := range topPages(y.year, m, h) {
				pages.rows = append(pages.rows, []any{siteID, m.start, p.path, p.title, u64(p.pageviews), Source, version})
			}
		}
	}
	return []batch{traffic, periods, pages}, nil
}

// webTrafficYear spreads a year's quarter totals over days, channels and devices. Quarter sessions
// and the year's channel and device totals are exact; the daily pattern carries weekday, holiday and
// event seasonality plus noise.
func webTrafficYear(y webYear, h happenings, campaignDays map[time.Time]bool) ([]webCell, []monthTotals, error) {
	r := newRand("web-traffic-" + strconv.Itoa(y.year))
	days := daysOf(day(y.year, time.January, 1), day(y.year, time.December, 31))

	// 1. Sessions per day, exact per quarter.
	daySessions := make([]int, len(days))
	for q := 1; q <= 4; q++ {
		var idx []int
		var w []float64
		for i, d := range days {
			if quarterOf(d) != q {
				continue
			}
			trend := 1 + 0.08*float64(d.YearDay())/365 // the site grew through each year
			nl := 1.0
			if campaignDays[d] {
				nl = 1.15
			} else if campaignDays[d.AddDate(0, 0, -1)] {
				nl = 1.05
			}
			idx = append(idx, i)
			w = append(w, trend*weekdayFactor(d)*holidayFactor(d)*h.boost(d)*nl*noise(r, 0.12))
		}
		for k, n := range allocate(y.sessions[q-1], w) {
			daySessions[idx[k]] = n
		}
	}

	// 2. Channels per day, then pinned to the year's shares.
	chCells := make([][]int, len(days))
	for i, d := range days {
		w := make([]float64, len(y.channels))
		for c, ch := range y.channels {
			w[c] = y.channelShares[c] * noise(r, 0.15)
			switch ch {
			case ChannelSocial:
				w[c] *= h.boost(d) * h.boost(d) // events are promoted on social media
			case ChannelEmail:
				switch {
				case campaignDays[d]:
					w[c] *= 6
				case campaignDays[d.AddDate(0, 0, -1)]:
					w[c] *= 3
				default:
					w[c] *= 0.4
				}
			}
		}
		chCells[i] = allocate(daySessions[i], w)
	}
	yearTotal := 0
	for _, s := range y.sessions {
		yearTotal += s
	}
	if err := rebalance(chCells, allocate(yearTotal, y.channelShares), r.Perm(len(days))); err != nil {
		return nil, nil, fmt.Errorf("channels: %w", err)
	}

	// 3. Devices per day and channel, then pinned to the year's shares.
	devCells := make([][]int, 0, len(days)*len(y.channels))
	for i, d := range days {
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		for c, ch := range y.channels {
			w := deviceWeights(ch)
			jittered := make([]float64, len(w))
			for k := range w {
				jittered[k] = w[k] * noise(r, 0.1)
				if weekend && k > 0 {
					jittered[k] *= 1.8 // evenings and weekends are read on phones and tablets
				}
			}
			devCells = append(devCells, allocate(chCells[i][c], jittered))
		}
	}
	if err := rebalance(devCells, allocate(yearTotal, y.deviceShares), r.Perm(len(devCells))); err != nil {
		return nil, nil, fmt.Errorf("devices: %w", err)
	}

	// 4. One row per day × channel × device, zeros included: the day's whole set under one version.
	var cells []webCell
	for i, d := range days {
		for c, ch := range y.channels {
			for k, dev := range devices() {
				cells = append(cells, webCell{date: d, channel: ch, device: dev,
					sessions: devCells[i*len(y.channels)+c][k]})
			}
		}
	}
	if err := fillVisitors(r, y, cells); err != nil {
		return nil, nil, err
	}

	months := make([]monthTotals, 12)
	for m := range months {
		months[m].start = day(y.year, time.Month(m+1), 1)
	}
	for i := range cells {
		c := &cells[i]
		pvPerSession := uniform(r, minPageviewsPerSession, maxPageviewsPerSession)
		c.pageviews = stochasticRound(r, float64(c.sessions)*pvPerSession)
		c.newVisitor = min(c.visitors, stochasticRound(r, float64(c.visitors)*newVisitorShare*noise(r, 0.1)))
		m := &months[c.date.Month()-1]
		m.visitors += c.visitors
		m.newVisitors += c.newVisitor
		m.pageviews += c.pageviews
	}
	return cells, months, nil
}

// fillVisitors sets each row's visitors so a quarter's daily visitors add up to
// dailyVisitorsOverQuarterUniques × its unique visitors: every row with a session has at least one
// visitor, and no row has more visitors than sessions.
func fillVisitors(r *rand.Rand, y webYear, cells []webCell) error {
	for q := 1; q <= 4; q++ {
		var idx []int
		var w []float64
		withSessions := 0
		for i, c := range cells {
			if quarterOf(c.date) != q || c.sessions == 0 {
				continue
			}
			withSessions++
			idx = append(idx, i)
			w = append(w, float64(c.sessions-1)*noise(r, 0.04))
		}
		target := int(float64(y.uniques[q-1])*dailyVisitorsOverQuarterUniques + 0.5)
		extra := target - withSessions
		if extra < 0 {
			return fmt.Errorf("quarter %d: %d rows with sessions need more visitors than the %d planned", q, withSessions, target)
		}
		for k, n := range allocate(extra, w) {
			c := &cells[idx[k]]
			c.visitors = 1 + min(n, c.sessions-1)
		}
	}
	return nil
}

// visitorPeriods returns the month, quarter and year rows of web_visitors_period for one year
// (period, period_start, period_end, visitors, new_visitors, returning_visitors).
func visitorPeriods(y webYear, months []monthTotals) ([][]any, error) {
	row := func(period string, start, end time.Time, visitors, newVisitors int) []any {
		v, n, ret := u64(visitors), u64(newVisitors), u64(visitors-newVisitors)
		return []any{period, start, end, &v, &n, &ret}
	}
	var out [][]any
	quarterSum := 0
	for q := 1; q <= 4; q++ {
		qMonths := months[3*(q-1) : 3*q]
		unique := y.uniques[q-1]
		quarterSum += unique
		w := make([]float64, 3)
		dailySum, dailyNew := 0, 0
		for i, m := range qMonths {
			w[i] = float64(m.visitors)
			dailySum += m.visitors
			dailyNew += m.newVisitors
		}
		monthUniques := allocate(int(float64(unique)*monthlyUniquesOverQuarterUniques+0.5), w)
		for i, m := range qMonths {
			u := monthUniques[i]
			if u > unique || u > m.visitors {
				return nil, fmt.Errorf("%s: monthly uniques %d exceed the quarter's %d or the month's daily visitors %d",
					m.start.Format("2006-01"), u, unique, m.visitors)
			}
			// New visitors keep the share they have in the month's daily rows.
			newShare := float64(m.newVisitors) / float64(max(m.visitors, 1))
			out = append(out, row("month", m.start, monthEnd(m.start), u, int(float64(u)*newShare+0.5)))
		}
		start := quarterStart(y.year, q)
		newShare := float64(dailyNew) / float64(max(dailySum, 1))
		out = append(out, row("quarter", start, start.AddDate(0, 3, -1), unique, int(float64(unique)*newShare+0.5)))
	}
	yearUniques := int(float64(quarterSum)*yearUniquesOverQuarterUniques + 0.5)
	out = append(out, row("year", day(y.year, time.January, 1), day(y.year, time.December, 31),
		yearUniques, int(float64(yearUniques)*newVisitorShare+0.5)))
	return out, nil
}

// pageSpec is one page of innomed.no and its share of a month's pageviews per year (0: not published).
type pageSpec struct {
	path, title string
	share       map[int]float64
}

// pageCatalogue is innomed.no's most visited pages. In 2022 the front page leads, then "Mal for
// fremdriftsplan", "Søknadsskjema for prosessveiledning" and "Om InnoMed", as the report says; the
// progress-plan template was published in January 2022, so in 2021 the application form was second.
func pageCatalogue() []pageSpec {
	s := func(y21, y22, y23 float64) map[int]float64 { return map[int]float64{2021: y21, 2022: y22, 2023: y23} }
	return []pageSpec{
		{"/", "InnoMed – nasjonalt kompetansenettverk for behovsdrevet innovasjon", s(0.170, 0.165, 0.160)},
		{"/verktoy/mal-for-fremdriftsplan", "Mal for fremdriftsplan", s(0, 0.074, 0.066)},
		{"/prosessveiledning/soknadsskjema", "Søknadsskjema for prosessveiledning", s(0.062, 0.058, 0.061)},
		{"/om-innomed", "Om InnoMed", s(0.050, 0.046, 0.043)},
		{"/prosessveiledning", "Prosessveiledning", s(0.040, 0.037, 0.036)},
		{"/arrangementer", "Arrangementer", s(0.030, 0.032, 0.038)},
		{"/aktuelt", "Aktuelt", s(0.029, 0.030, 0.033)},
		{"/behovsdrevet-innovasjon", "Behovsdrevet innovasjon", s(0.031, 0.028, 0.027)},
		{"/verktoy", "Verktøy", s(0.022, 0.027, 0.029)},
		{"/digital-hjemmeoppfolging", dhoTitle, s(0.016, 0.022, 0.025)},
		{"/om-innomed/ansatte", "Ansatte", s(0.022, 0.021, 0.020)},
		{"/kontakt", "Kontakt oss", s(0.021, 0.020, 0.019)},
		{"/prosjekter", "Prosjekter vi har veiledet", s(0.017, 0.019, 0.022)},
		{"/verktoy/veileder-behovskartlegging", "Veileder for behovskartlegging", s(0.019, 0.018, 0.017)},
		{"/kompetansenettverk", "Kompetansenettverket", s(0.016, 0.017, 0.018)},
		{"/nyhetsbrev", "Meld deg på nyhetsbrevet", s(0.012, 0.015, 0.016)},
	}
}

// topPagesPerMonth is how many pages the provider's "top pages" report keeps per month.
const topPagesPerMonth = 12

type pageViews struct {
	path, title string
	pageviews   int
}

// topPages is one month's most visited pages, as a share of that month's pageviews.
func topPages(year int, m monthTotals, h happenings) []pageViews {
	r := newRand("web-top-pages-" + m.start.Format("2006-01"))
	var all []pageViews
	for _, p := range pageCatalogue() {
		share := p.share[year]
		if share == 0 {
			continue
		}
		switch p.path {
		case "/verktoy/mal-for-fremdriftsplan":
			if m.start.Equal(day(2022, time.January, 1)) {
				share *= 0.7 // published on 10 January 2022
			}
		case "/prosessveiledning/soknadsskjema":
			if mo := m.start.Month(); mo == time.February || mo == time.May || mo == time.October {
				share *= 1.4 // allocation-round deadlines
			} else {
				share *= 0.9
			}
		case "/digital-hjemmeoppfolging":
			if h.dhoMonth(m.start) {
				share *= 1.8
			}
		case "/arrangementer":
			if h.dhoMonth(m.start) {
				share *= 1.3
			}
		}
		all = append(all, pageViews{p.path, p.title, stochasticRound(r, float64(m.pageviews)*share*noise(r, 0.1))})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].pageviews != all[j].pageviews {
			return all[i].pageviews > all[j].pageviews
		}
		return all[i].path < all[j].path
	})
	return all[:min(topPagesPerMonth, len(all))]
}
