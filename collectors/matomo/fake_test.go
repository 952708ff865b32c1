package matomo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// cell is the fake's ground truth for one day, referrer type and device type.
type cell struct {
	// referrer is the referrerType segment value: direct, search, …
	referrer string
	// device is the deviceType segment value, decoded ("feature phone"); "" is Matomo's Unknown.
	device string
	// medium is a campaign visit's campaign medium as MarketingCampaignsReporting records it
	// (lowercased); "" when the tagged link carried none.
	medium string

	visits, uniques, newVisits, newUniques, pageviews uint64
}

// periodTruth is what the fake Matomo holds for one month, quarter or year: its own
// deduplicated figures, deliberately not the sum of shorter periods.
type periodTruth struct {
	visits, uniques, uniquesNew, uniquesReturning uint64
}

// pageRow is one flattened row of Actions.getPageUrls or Actions.getPageTitles.
type pageRow struct {
	label, url string
	hits       uint64
}

// world is everything the fake Matomo knows about one site.
type world struct {
	days     map[time.Time][]cell
	months   map[time.Time]periodTruth
	quarters map[time.Time]periodTruth
	years    map[time.Time]periodTruth
	pages    map[time.Time][]pageRow
	titles   map[time.Time][]pageRow
}

// Referrer types as Matomo 5 knows them, with the Norwegian labels a Norwegian user's token gets.
var fakeReferrers = []struct {
	segment string
	id      int
	label   string
	weight  float64
}{
	{"direct", 1, "Direkte trafikk", 0.30},
	{"search", 2, "Søkemotorer", 0.42},
	{"website", 3, "Nettsteder", 0.10},
	{"campaign", 6, "Kampanjer", 0.05},
	{"social", 7, "Sosiale nettverk", 0.10},
	{"ai", 8, "KI-assistenter", 0.03},
}

// Device types in DevicesDetection.getType order; segment "" is the Unknown row, which has none.
var fakeDeviceTypes = []struct {
	label, segment string
	weight         float64
}{
	{"Desktop", "desktop", 0.55}, {"Smartphone", "smartphone", 0.30}, {"Tablet", "tablet", 0.06},
	{"Feature phone", "feature phone", 0.01}, {"Console", "console", 0}, {"Tv", "tv", 0.01},
	{"Car browser", "car browser", 0}, {"Smart display", "smart display", 0}, {"Camera", "camera", 0},
	{"Portable media player", "portable media player", 0}, {"Phablet", "phablet", 0.03},
	{"Smart speaker", "smart speaker", 0}, {"Wearable", "wearable", 0}, {"Peripheral", "peripheral", 0},
	{"Unknown", "", 0.04},
}

// The canonical names the tests expect, written independently of collectors/channels.go.
var (
	wantChannel = map[string]string{
		"direct": figures.ChannelDirect, "search": figures.ChannelOrganicSearch, "website": figures.ChannelReferral,
		"campaign": figures.ChannelEmail, "social": figures.ChannelSocial, "ai": figures.ChannelReferral,
	}
	wantDevice = map[string]string{
		"desktop": figures.DeviceDesktop, "smartphone": figures.DeviceMobile, "phablet": figures.DeviceMobile,
		"feature phone": figures.DeviceMobile, "tablet": figures.DeviceTablet, "tv": figures.DeviceOther, "": figures.DeviceOther,
	}
)

// emptyDay has no visits at all, so every report answers [] for it.
var emptyDay = days.Date(2022, time.July, 14)

// newWorld makes a deterministic site history for from..to: weekday traffic over six referrer
// types and seven device types, a day without visits, visits that cross midnight (pageviews on a
// day whose visits count the next day), and period figures, pages and titles per month.
func newWorld(from, to time.Time, seed uint64) *world {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &world{days: map[time.Time][]cell{}, months: map[time.Time]periodTruth{}, quarters: map[time.Time]periodTruth{},
		years: map[time.Time]periodTruth{}, pages: map[time.Time][]pageRow{}, titles: map[time.Time][]pageRow{}}
	days.Range{From: from, To: to}.Each(func(day time.Time) {
		if day.Equal(emptyDay) {
			return
		}
		total := 150 + rng.Float64()*250
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			total /= 3
		}
		for _, ref := range fakeReferrers {
			for _, dev := range fakeDeviceTypes {
				visits := uint64(total * ref.weight * dev.weight * (0.6 + 0.8*rng.Float64()))
				if visits == 0 {
					continue
				}
				uniques := visits - uint64(rng.IntN(int(visits/6)+1))
				newVisits := uint64(float64(visits) * (0.3 + 0.4*rng.Float64()))
				newUniques := min(newVisits, uniques) - uint64(rng.IntN(int(newVisits/8)+1))
				newUniques = min(newUniques, newVisits)
				pageviews := visits*uint64(1+rng.IntN(3)) + uint64(rng.IntN(4))
				w.days[day] = append(w.days[day], cell{referrer: ref.segment, device: dev.segment, visits: visits,
					uniques: uniques, newVisits: newVisits, newUniques: newUniques, pageviews: pageviews})
			}
		}
		if day.YearDay()%23 == 0 && !day.Equal(to) {
			// A campaign visit on a tablet crossing midnight: its pageviews count today, the visit tomorrow.
			w.crossMidnight(day, "campaign", "tablet", 2)
		}
	})
	w.addPeriods(from, to, rng)
	w.addMediums()
	return w
}

// fakeMediums are the campaign mediums the world's tagged links carry: newsletters mostly, some
// social posts and ads, some links without a medium.
var fakeMediums = []string{"email", "newsletter", "email", "social", "cpc", ""}

// addMediums gives every campaign cell a medium, by day and device type.
func (w *world) addMediums() {
	for day, cells := range w.days {
		for i := range cells {
			if cells[i].referrer == "campaign" {
				cells[i].medium = fakeMediums[(day.YearDay()+len(cells[i].device))%len(fakeMediums)]
			}
		}
	}
}

// crossMidnight gives (referrer, device) pageviews without a visit on day and makes sure the
// next day has the visit.
func (w *world) crossMidnight(day time.Time, referrer, device string, pageviews uint64) {
	w.days[day] = append(w.days[day], cell{referrer: referrer, device: device, pageviews: pageviews})
	next := day.AddDate(0, 0, 1)
	for i, c := range w.days[next] {
		if c.referrer == referrer && c.device == device {
			w.days[next][i].visits++
			w.days[next][i].uniques++
			return
		}
	}
	w.days[next] = append(w.days[next], cell{referrer: referrer, device: device, visits: 1, uniques: 1, pageviews: 1})
}

// addPeriods sets the instance's own period figures: unique visitors below the sum of the
// shorter periods' (people come back), and new + returning above the total (someone new this
// month may return in it).
func (w *world) addPeriods(from, to time.Time, rng *rand.Rand) {
	dailyUniques := map[time.Time]uint64{}
	for day, cells := range w.days {
		month, _ := days.PeriodOf(days.Month, day)
		for _, c := range cells {
			dailyUniques[month.Start] += c.uniques
		}
	}
	for _, p := range days.CompletePeriods(days.Range{From: from, To: to}) {
		var t periodTruth
		for day, cells := range w.days {
			if !day.Before(p.Start) && !day.After(p.End) {
				for _, c := range cells {
					t.visits += c.visits
				}
			}
		}
		switch p.Kind {
		case days.Month:
			t.uniques = dailyUniques[p.Start] * 7 / 10
		case days.Quarter:
			for m := p.Start; m.Before(p.End); m = m.AddDate(0, 1, 0) {
				t.uniques += w.months[m].uniques
			}
			t.uniques = t.uniques * 8 / 10
		case days.Year:
			for q := p.Start; q.Before(p.End); q = q.AddDate(0, 3, 0) {
				t.uniques += w.quarters[q].uniques
			}
			t.uniques = t.uniques * 85 / 100
		}
		t.uniquesReturning = t.uniques * 35 / 100
		t.uniquesNew = t.uniques - t.uniquesReturning + t.uniques/20
		switch p.Kind {
		case days.Month:
			w.months[p.Start] = t
			w.pages[p.Start], w.titles[p.Start] = makePages(130, rng)
		case days.Quarter:
			w.quarters[p.Start] = t
		case days.Year:
			w.years[p.Start] = t
		}
	}
}

// makePages makes n pages of a month with flattened labels as Matomo writes them ("/index" for
// the root, "verktoy/guide-7" below it), two rows without url ("Others" of a truncated archive,
// "Page URL not defined"), and titles: most pages have one, some have had two (the one with more
// pageviews is theirs), a few share one title (its row links only one of them), and one page has
// only "Page Name not defined".
func makePages(n int, rng *rand.Rand) (pages, titles []pageRow) {
	const host = "https://innomed.example"
	for i := range n {
		label, address := fmt.Sprintf("verktoy/guide-%d", i), fmt.Sprintf("%s/verktoy/guide-%d", host, i)
		if i == 0 {
			label, address = "/index", host+"/"
		}
		hits := uint64(5000/(i+1) + rng.IntN(7))
		pages = append(pages, pageRow{label: label, url: address, hits: hits})
		switch {
		case i%10 == 3:
			titles = append(titles,
				pageRow{label: fmt.Sprintf(" Guide %d (new title)", i), url: address, hits: hits * 2 / 3},
				pageRow{label: fmt.Sprintf(" Guide %d (old title)", i), url: address, hits: hits / 3})
		case i%10 == 7:
			// Shares the title of page i-1, whose row links only page i-1.
			titles[len(titles)-1].hits += hits
		case i == 11:
			titles = append(titles, pageRow{label: untitled, url: address, hits: hits})
		default:
			titles = append(titles, pageRow{label: fmt.Sprintf(" Guide %d – InnoMed", i), url: address, hits: hits})
		}
	}
	pages = append(pages, pageRow{label: "Others", hits: 300}, pageRow{label: "Page URL not defined", hits: 4})
	titles = append(titles, pageRow{label: "Others", hits: 310})
	return pages, titles
}

// wantTitle is the title a page of makePages should be stored with.
func wantTitle(label string) string {
	i := -1
	if label != "/index" {
		i, _ = strconv.Atoi(strings.TrimPrefix(label, "verktoy/guide-"))
	}
	switch {
	case i == -1:
		return "Guide 0 – InnoMed"
	case i%10 == 3:
		return fmt.Sprintf("Guide %d (new title)", i)
	case i%10 == 7, i == 11:
		return ""
	}
	return fmt.Sprintf("Guide %d – InnoMed", i)
}

// trafficKey identifies one stored daily row.
type trafficKey struct {
	day             time.Time
	channel, device string
}

// wantTraffic is the stored daily rows the world should give for window, by canonical name.
func (w *world) wantTraffic(site string, window days.Range) map[trafficKey]figures.WebTrafficDay {
	out := map[trafficKey]figures.WebTrafficDay{}
	window.Each(func(day time.Time) {
		for _, c := range w.days[day] {
			k := trafficKey{day, wantChannel[c.referrer], wantDevice[c.device]}
			r := out[k]
			r.SiteID, r.Date, r.Channel, r.Device = site, day, k.channel, k.device
			r.Sessions += c.visits
			r.Visitors += c.uniques
			r.NewVisitors += c.newUniques
			r.Pageviews += c.pageviews
			out[k] = r
		}
	})
	return out
}

// fakeMatomo answers like Matomo's Reporting API from a world. It reads token_auth from the POST
// body only (a token in the URL is refused like a Matomo 5 "secure only" token), answers
// multi-date requests with objects keyed by date and [] for days without data, lists every device
// type (zero rows included, Unknown without a segment), applies segments, sorts and pages
// flattened Actions reports, and leaves unique visitors out of ranges and years unless the
// instance is set to process them.
type fakeMatomo struct {
	t     testing.TB
	world *world
	token string
	site  int
	// authStatus is how a wrong token is answered: 401 (Matomo 5) or 200 with an error body.
	authStatus int
	// rangeUniques and yearUniques: enable_processing_unique_visitors_range / _year = 1.
	rangeUniques, yearUniques bool
	// stringNumbers sends every count as a numeric string.
	stringNumbers bool
	// unprocessedSegments answers [] for every segmented day report, as Matomo does when it may
	// not process segments in real time (browser_archiving_disabled_enforce = 1).
	unprocessedSegments bool
	// mediums: the MarketingCampaignsReporting plugin is installed (getMedium, campaignMedium).
	mediums bool

	mu       sync.Mutex
	requests []url.Values
	// intercept may answer request n (1-based) itself; it returns true when it did.
	intercept func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newFake(t testing.TB, w *world) *fakeMatomo {
	return &fakeMatomo{t: t, world: w, token: testToken, site: testIDSite, authStatus: http.StatusUnauthorized}
}

// calls returns the query strings received so far.
func (f *fakeMatomo) calls() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeMatomo) setIntercept(fn func(n int, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

func (f *fakeMatomo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Query())
	n, intercept := len(f.requests), f.intercept
	f.mu.Unlock()
	if intercept != nil && intercept(n, w, r) {
		return
	}
	if !authorised(w, r, f.token, f.site, f.authStatus) {
		return
	}
	q := r.URL.Query()
	answer, problem := f.answer(q)
	if strings.HasPrefix(problem, "fake:") {
		f.t.Errorf("request the fake does not serve (%s): %s", q.Encode(), problem)
	}
	if problem != "" {
		writeJSON(w, http.StatusOK, map[string]string{"result": "error", "message": problem})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// authorised checks the request like Matomo does and answers the refusal itself.
func authorised(w http.ResponseWriter, r *http.Request, token string, site, authStatus int) bool {
	if r.URL.Query().Has("token_auth") || r.Method != http.MethodPost {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"result": "error",
			"message": "Unable to authenticate with the provided token. It is either invalid, expired or is required to be sent as a POST parameter."})
		return false
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token_auth") != token {
		msg := "Unable to authenticate with the provided token. It is either invalid, expired or is required to be sent as a POST parameter."
		if authStatus == http.StatusOK {
			msg = fmt.Sprintf("You can't access this resource as it requires 'view' access for the website id = %s.", r.URL.Query().Get("idSite"))
		}
		writeJSON(w, authStatus, map[string]string{"result": "error", "message": msg})
		return false
	}
	q := r.URL.Query()
	if q.Get("module") != "API" || !strings.EqualFold(q.Get("format"), "json") {
		writeJSON(w, http.StatusOK, map[string]string{"result": "error", "message": "Please specify a module and format=JSON."})
		return false
	}
	if q.Get("idSite") != strconv.Itoa(site) {
		writeJSON(w, http.StatusOK, map[string]string{"result": "error",
			"message": fmt.Sprintf("You can't access this resource as it requires 'view' access for the website id = %s.", q.Get("idSite"))})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// answer computes the answer to one API request, or Matomo's error message.
func (f *fakeMatomo) answer(q url.Values) (any, string) {
	seg, err := parseSegment(q.Get("segment"))
	if err != nil {
		return nil, err.Error()
	}
	method := q.Get("method")
	switch method {
	case "Referrers.getReferrerType", "DevicesDetection.getType", "Actions.get":
		if q.Get("period") != "day" {
			return nil, "fake: daily reports are asked for with period=day"
		}
		from, to, err := dateRange(q.Get("date"))
		if err != nil {
			return nil, err.Error()
		}
		out := map[string]any{}
		days.Range{From: from, To: to}.Each(func(day time.Time) {
			var cells []cell
			if !(f.unprocessedSegments && len(seg) > 0) {
				cells = f.matching(day, seg)
			}
			out[days.Format(day)] = f.dayAnswer(method, cells, seg["visitorType"] == "new")
		})
		return out, ""
	case "MarketingCampaignsReporting.getMedium":
		if !f.mediums {
			return nil, "The method 'getMedium' does not exist or is not available in the module 'MarketingCampaignsReporting'."
		}
		from, to, err := dateRange(q.Get("date"))
		if err != nil || q.Get("period") != "day" {
			return nil, "fake: getMedium is asked for with period=day and a date range"
		}
		out := map[string]any{}
		days.Range{From: from, To: to}.Each(func(day time.Time) {
			visits, uniques := map[string]uint64{}, map[string]uint64{}
			for _, c := range f.world.days[day] {
				if c.referrer == "campaign" && c.medium != "" {
					visits[c.medium] += c.visits
					uniques[c.medium] += c.uniques
				}
			}
			rows := []map[string]any{}
			for _, m := range slices.Sorted(maps.Keys(visits)) {
				if visits[m] > 0 {
					rows = append(rows, map[string]any{"label": m, "nb_visits": f.num(visits[m]), "nb_uniq_visitors": f.num(uniques[m]),
						"nb_actions": f.num(visits[m] * 2), "segment": "campaignMedium==" + url.QueryEscape(m)})
				}
			}
			if len(rows) == 0 {
				out[days.Format(day)] = []any{}
			} else {
				out[days.Format(day)] = rows
			}
		})
		return out, ""
	case "VisitsSummary.get", "VisitFrequency.get":
		truth, hasUniques, problem := f.period(q.Get("period"), q.Get("date"))
		if problem != "" {
			return nil, problem
		}
		return f.periodAnswer(method, truth, hasUniques), ""
	case "Actions.getPageUrls", "Actions.getPageTitles":
		return f.flatAnswer(method, q)
	}
	return nil, fmt.Sprintf("The method '%s' does not exist or is not available in the module 'API'.", strings.TrimPrefix(method, "API."))
}

// parseSegment reads an AND of == conditions, decoding values as Matomo does.
func parseSegment(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, cond := range strings.Split(s, ";") {
		name, encoded, ok := strings.Cut(cond, "==")
		value, err := url.QueryUnescape(encoded)
		if !ok || err != nil || strings.Contains(cond, ",") {
			return nil, fmt.Errorf("The segment condition '%s' is not valid.", cond)
		}
		switch name {
		case "referrerType", "deviceType":
		case "campaignMedium": // MarketingCampaignsReporting's segment; "" matches visits without one
		case "visitorType":
			if value != "new" {
				return nil, fmt.Errorf("fake: visitorType==%s is not served", value)
			}
		default:
			return nil, fmt.Errorf("Segment '%s' is not a supported segment.", name)
		}
		out[name] = value
	}
	return out, nil
}

func dateRange(s string) (time.Time, time.Time, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return time.Time{}, time.Time{}, fmt.Errorf("fake: expected date=A,B, got %q", s)
	}
	from, err1 := days.Parse(a)
	to, err2 := days.Parse(b)
	if err1 != nil || err2 != nil || to.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("fake: bad date range %q", s)
	}
	return from, to, nil
}

func (f *fakeMatomo) matching(day time.Time, seg map[string]string) []cell {
	var out []cell
	for _, c := range f.world.days[day] {
		if ref, ok := seg["referrerType"]; ok && c.referrer != ref {
			continue
		}
		if dev, ok := seg["deviceType"]; ok && (c.device == "" || c.device != dev) {
			continue
		}
		if medium, ok := seg["campaignMedium"]; ok && (c.referrer != "campaign" || c.medium != medium) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// num writes a count as a JSON number or, for instances that do, a numeric string.
func (f *fakeMatomo) num(v uint64) any {
	if f.stringNumbers {
		return strconv.FormatUint(v, 10)
	}
	return v
}

// dayAnswer is one day's value in a multi-date answer: [] when there is nothing.
func (f *fakeMatomo) dayAnswer(method string, cells []cell, newOnly bool) any {
	visitsOf := func(c cell) (uint64, uint64) {
		if newOnly {
			return c.newVisits, c.newUniques
		}
		return c.visits, c.uniques
	}
	var visits, pageviews uint64
	for _, c := range cells {
		v, _ := visitsOf(c)
		visits += v
		pageviews += c.pageviews
	}
	switch method {
	case "Actions.get":
		if pageviews == 0 && visits == 0 {
			return []any{}
		}
		return map[string]any{"nb_pageviews": f.num(pageviews), "nb_uniq_pageviews": f.num(pageviews * 4 / 5),
			"nb_downloads": f.num(visits / 20), "nb_uniq_downloads": f.num(visits / 20), "nb_outlinks": f.num(visits / 10),
			"nb_uniq_outlinks": f.num(visits / 10), "nb_searches": 0, "nb_keywords": 0}
	case "Referrers.getReferrerType":
		rows := []map[string]any{}
		for _, ref := range fakeReferrers {
			var v, u, pv uint64
			for _, c := range cells {
				if c.referrer == ref.segment {
					cv, cu := visitsOf(c)
					v, u, pv = v+cv, u+cu, pv+c.pageviews
				}
			}
			if v == 0 {
				continue // a type without visits is left out
			}
			row := f.visitRow(ref.label, v, u, pv)
			row["segment"], row["referrer_type"] = "referrerType=="+ref.segment, ref.id
			if ref.segment != "direct" {
				row["idsubdatatable"] = ref.id
			}
			rows = append(rows, row)
		}
		slices.SortStableFunc(rows, func(a, b map[string]any) int { return cmp.Compare(b["_visits"].(uint64), a["_visits"].(uint64)) })
		return stripHidden(rows)
	case "DevicesDetection.getType":
		if visits == 0 {
			return []any{}
		}
		var rows, zeros []map[string]any
		for _, dev := range fakeDeviceTypes {
			var v, u, pv uint64
			for _, c := range cells {
				if c.device == dev.segment {
					cv, cu := visitsOf(c)
					v, u, pv = v+cv, u+cu, pv+c.pageviews
				}
			}
			var row map[string]any
			if v == 0 {
				row = map[string]any{"label": dev.label, "nb_visits": 0, "_visits": uint64(0)}
				zeros = append(zeros, row)
			} else {
				row = f.visitRow(dev.label, v, u, pv)
				rows = append(rows, row)
			}
			if dev.segment != "" {
				row["segment"] = "deviceType==" + url.QueryEscape(dev.segment)
			}
			row["logo"] = "plugins/Morpheus/icons/dist/devices/" + strings.ReplaceAll(strings.ToLower(dev.label), " ", "_") + ".png"
		}
		slices.SortStableFunc(rows, func(a, b map[string]any) int { return cmp.Compare(b["_visits"].(uint64), a["_visits"].(uint64)) })
		return stripHidden(append(rows, zeros...))
	}
	return nil
}

func (f *fakeMatomo) visitRow(label string, visits, uniques, pageviews uint64) map[string]any {
	return map[string]any{"label": label, "nb_uniq_visitors": f.num(uniques), "nb_visits": f.num(visits),
		"nb_actions": f.num(pageviews + visits/10), "nb_users": 0, "max_actions": 17, "sum_visit_length": f.num(visits * 143),
		"bounce_count": f.num(visits / 2), "nb_visits_converted": 0, "_visits": visits}
}

// stripHidden drops the sort key the fake keeps in its rows.
func stripHidden(rows []map[string]any) []map[string]any {
	for _, r := range rows {
		delete(r, "_visits")
	}
	return rows
}

// period finds the truth for one period request and whether Matomo would give its unique visitors.
func (f *fakeMatomo) period(period, date string) (periodTruth, bool, string) {
	switch period {
	case "month":
		d, err := days.Parse(date)
		if err != nil || d.Day() != 1 {
			return periodTruth{}, false, "fake: month periods are asked for by their first day"
		}
		return f.world.months[d], true, ""
	case "year":
		d, err := days.Parse(date)
		if err != nil || d.YearDay() != 1 {
			return periodTruth{}, false, "fake: years are asked for by their first day"
		}
		return f.world.years[d], f.yearUniques, ""
	case "range":
		from, to, err := dateRange(date)
		if err != nil {
			return periodTruth{}, false, err.Error()
		}
		// A running quarter is asked for up to today; the fake serves its figures so far as the
		// quarter's.
		q, _ := days.PeriodOf(days.Quarter, from)
		if !from.Equal(q.Start) || to.After(q.End) {
			return periodTruth{}, false, fmt.Sprintf("fake: range %s is not a quarter", date)
		}
		return f.world.quarters[from], f.rangeUniques, ""
	}
	return periodTruth{}, false, fmt.Sprintf("fake: period %q is not served", period)
}

func (f *fakeMatomo) periodAnswer(method string, t periodTruth, hasUniques bool) any {
	if t.visits == 0 {
		return []any{}
	}
	returning := t.visits * 35 / 100
	if method == "VisitsSummary.get" {
		out := map[string]any{"nb_visits": f.num(t.visits), "nb_actions": f.num(t.visits * 3), "nb_visits_converted": 0,
			"bounce_count": f.num(t.visits / 2), "sum_visit_length": f.num(t.visits * 150), "max_actions": 61,
			"bounce_rate": "50%", "nb_actions_per_visit": 3, "avg_time_on_site": 150}
		if hasUniques {
			out["nb_uniq_visitors"], out["nb_users"] = f.num(t.uniques), 0
		}
		return out
	}
	out := map[string]any{"nb_visits_returning": f.num(returning), "nb_actions_returning": f.num(returning * 4),
		"max_actions_returning": 61, "bounce_rate_returning": "41%", "nb_actions_per_visit_returning": 4,
		"avg_time_on_site_returning": 210, "nb_visits_new": f.num(t.visits - returning),
		"nb_actions_new": f.num((t.visits - returning) * 2), "max_actions_new": 30, "bounce_rate_new": "55%",
		"nb_actions_per_visit_new": 2, "avg_time_on_site_new": 120}
	if hasUniques {
		out["nb_uniq_visitors_returning"], out["nb_users_returning"] = f.num(t.uniquesReturning), 0
		out["nb_uniq_visitors_new"], out["nb_users_new"] = f.num(t.uniquesNew), 0
	}
	return out
}

// flatAnswer serves a month's flattened Actions report, sorted and paged like Matomo's generic
// filters do.
func (f *fakeMatomo) flatAnswer(method string, q url.Values) (any, string) {
	if q.Get("period") != "month" || q.Get("flat") != "1" {
		return nil, "fake: Actions reports are asked for with period=month and flat=1"
	}
	month, err := days.Parse(q.Get("date"))
	if err != nil {
		return nil, err.Error()
	}
	if q.Get("filter_sort_column") != "nb_hits" || q.Get("filter_sort_order") != "desc" {
		return nil, "fake: expected filter_sort_column=nb_hits&filter_sort_order=desc"
	}
	limit, err1 := strconv.Atoi(q.Get("filter_limit"))
	offset, err2 := strconv.Atoi(q.Get("filter_offset"))
	if err1 != nil || err2 != nil || limit < 1 || offset < 0 {
		return nil, "fake: expected filter_limit and filter_offset"
	}
	rows := f.world.pages[month]
	if method == "Actions.getPageTitles" {
		rows = f.world.titles[month]
	}
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b pageRow) int { return cmp.Or(cmp.Compare(b.hits, a.hits), strings.Compare(a.label, b.label)) })
	out := []map[string]any{}
	for _, r := range rows[min(offset, len(rows)):min(offset+limit, len(rows))] {
		row := map[string]any{"label": r.label, "nb_visits": f.num(r.hits * 3 / 4), "nb_hits": f.num(r.hits),
			"sum_time_spent": f.num(r.hits * 60), "avg_time_on_page": 60, "bounce_rate": "30%", "exit_rate": "45%"}
		if r.url != "" {
			row["url"] = r.url
		}
		out = append(out, row)
	}
	return out, ""
}
