package plausible

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// fakePlausible answers POST /api/v2/query the way Plausible does: Bearer key and site checks with
// Plausible's error bodies, positional metrics and dimensions in the order the request asked for,
// order_by, pagination with meta.total_rows, days without visits left out, and the date range
// echoed as datetimes in the site's time zone.
type fakePlausible struct {
	t      testing.TB
	key    string
	siteID string
	tz     *time.Location
	today  time.Time

	// rows holds each day's rows by Plausible's channel and device names.
	rows map[time.Time][]fakeRow
	// uniques holds the deduplicated visitors of whole ranges; other ranges get 97 % of the sum of
	// their daily visitors.
	uniques map[[2]time.Time]uint64
	// pages holds each month's pageviews by path.
	pages map[time.Time]map[string]uint64

	mu       sync.Mutex
	requests []fakeRequest
	// intercept, when set, may answer request n (1-based) itself. It runs with mu held.
	intercept func(n int, req fakeRequest, w http.ResponseWriter) bool
}

// update changes the fake while its server may be running.
func (f *fakePlausible) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

type fakeRow struct {
	channel, device             string
	visitors, visits, pageviews uint64
}

type fakeRequest struct {
	Auth       string      `json:"-"`
	SiteID     string      `json:"site_id"`
	Metrics    []string    `json:"metrics"`
	DateRange  any         `json:"date_range"`
	Dimensions []string    `json:"dimensions"`
	OrderBy    [][2]string `json:"order_by"`
	Include    struct {
		Imports   *bool `json:"imports"`
		TotalRows bool  `json:"total_rows"`
	} `json:"include"`
	Pagination *struct {
		Limit  int `json:"limit"`
		Offset int `json:"offset"`
	} `json:"pagination"`
}

// kind tells the collector's four queries apart.
func (r fakeRequest) kind() string {
	switch {
	case r.DateRange == "all":
		return "first"
	case len(r.Dimensions) == 0:
		return "period"
	case slices.Contains(r.Dimensions, "event:page"):
		return "pages"
	default:
		return "daily"
	}
}

func (r fakeRequest) rangeKey() string {
	if rs, ok := r.DateRange.([]any); ok && len(rs) == 2 {
		return fmt.Sprintf("%v..%v", rs[0], rs[1])
	}
	return fmt.Sprint(r.DateRange)
}

func newFake(t testing.TB) *fakePlausible {
	return &fakePlausible{
		t: t, key: "plausible-test-key-4f9a1c7e", siteID: "innomed.no", tz: collectortest.Oslo,
		today:   days.Date(2026, 3, 15),
		rows:    map[time.Time][]fakeRow{},
		uniques: map[[2]time.Time]uint64{},
		pages:   map[time.Time]map[string]uint64{},
	}
}

func (f *fakePlausible) server() *httptest.Server {
	return collectortest.Server(f.t, http.HandlerFunc(f.serve))
}

func (f *fakePlausible) requestsOf(kind string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.kind() == kind {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakePlausible) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func plausibleError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (f *fakePlausible) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/query" {
		plausibleError(w, http.StatusNotFound, "Not found")
		return
	}
	var req fakeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		plausibleError(w, http.StatusBadRequest, "Invalid JSON body")
		return
	}
	req.Auth = r.Header.Get("Authorization")
	// One request at a time, as the collector sends them; tests change the fake through update.
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if f.intercept != nil && f.intercept(len(f.requests), req, w) {
		return
	}

	key, ok := strings.CutPrefix(req.Auth, "Bearer ")
	switch {
	case !ok || key == "":
		plausibleError(w, http.StatusUnauthorized, "Missing API key. Please use a valid Plausible API key as a Bearer Token.")
		return
	case req.SiteID == "":
		plausibleError(w, http.StatusBadRequest, "Missing site ID. Please provide the required site_id parameter with your request.")
		return
	case key != f.key || req.SiteID != f.siteID:
		plausibleError(w, http.StatusUnauthorized, "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.")
		return
	}
	resp, status, msg := f.answer(req)
	if status != http.StatusOK {
		plausibleError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

type fakeResult struct {
	Metrics    []uint64 `json:"metrics"`
	Dimensions []string `json:"dimensions"`
}

func (f *fakePlausible) firstDataDay() (time.Time, bool) {
	var first time.Time
	for d, rows := range f.rows {
		if len(rows) > 0 && (first.IsZero() || d.Before(first)) {
			first = d
		}
	}
	return first, !first.IsZero()
}

func (f *fakePlausible) answer(req fakeRequest) (map[string]any, int, string) {
	var from, to time.Time
	switch dr := req.DateRange.(type) {
	case string:
		if dr != "all" {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid date_range '%q'.", dr)
		}
		first, ok := f.firstDataDay()
		if !ok {
			first = f.today
		}
		from, to = first, f.today
	case []any:
		if len(dr) != 2 {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid date_range '%v'.", dr)
		}
		var err1, err2 error
		s1, _ := dr[0].(string)
		s2, _ := dr[1].(string)
		from, err1 = days.Parse(s1)
		to, err2 = days.Parse(s2)
		if err1 != nil || err2 != nil {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid date_range '%v'.", dr)
		}
	default:
		return nil, http.StatusBadRequest, "Invalid date_range."
	}
	for _, m := range req.Metrics {
		if !slices.Contains([]string{"visitors", "visits", "pageviews"}, m) {
			return nil, http.StatusBadRequest, fmt.Sprintf("Unknown metric '%q'.", m)
		}
	}
	for _, o := range req.OrderBy {
		if !slices.Contains(req.Metrics, o[0]) && !slices.Contains(req.Dimensions, o[0]) {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid order_by entry '{:%s, :%s}'. Entry is not a queried metric or dimension.", o[0], o[1])
		}
	}

	results := []fakeResult{} // Plausible sends [] when nothing matches, never null
	switch {
	case len(req.Dimensions) == 0:
		results = []fakeResult{{Metrics: f.metrics(req.Metrics, f.totals(from, to)), Dimensions: []string{}}}
	case slices.Equal(req.Dimensions, []string{"event:page"}):
		if !slices.Equal(req.Metrics, []string{"pageviews"}) || from.Day() != 1 || to != from.AddDate(0, 1, -1) {
			return nil, http.StatusBadRequest, "fake: event:page is served for one whole month's pageviews only"
		}
		for path, views := range f.pages[from] {
			results = append(results, fakeResult{Metrics: []uint64{views}, Dimensions: []string{path}})
		}
	default:
		groups := map[string]*fakeRow{}
		var order []string
		dimsOf := map[string][]string{}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			for _, row := range f.rows[d] {
				var dims []string
				for _, dim := range req.Dimensions {
					switch dim {
					case "time:day":
						dims = append(dims, days.Format(d))
					case "visit:channel":
						dims = append(dims, row.channel)
					case "visit:device":
						dims = append(dims, row.device)
					default:
						return nil, http.StatusBadRequest, fmt.Sprintf("Invalid dimensions '%v'", req.Dimensions)
					}
				}
				k := strings.Join(dims, "\x00")
				g := groups[k]
				if g == nil {
					g = &fakeRow{}
					groups[k] = g
					order = append(order, k)
					dimsOf[k] = dims
				}
				g.visitors += row.visitors
				g.visits += row.visits
				g.pageviews += row.pageviews
			}
		}
		for _, k := range order {
			results = append(results, fakeResult{Metrics: f.metrics(req.Metrics, *groups[k]), Dimensions: dimsOf[k]})
		}
	}

	orderBy := req.OrderBy
	if len(orderBy) == 0 {
		if slices.Contains(req.Dimensions, "time:day") {
			orderBy = [][2]string{{"time:day", "asc"}}
		} else {
			orderBy = [][2]string{{req.Metrics[0], "desc"}}
		}
	}
	slices.SortStableFunc(results, func(a, b fakeResult) int {
		for _, o := range orderBy {
			var c int
			if i := slices.Index(req.Metrics, o[0]); i >= 0 {
				c = cmp.Compare(a.Metrics[i], b.Metrics[i])
			} else {
				i := slices.Index(req.Dimensions, o[0])
				c = cmp.Compare(a.Dimensions[i], b.Dimensions[i])
			}
			if o[1] == "desc" {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})

	total := len(results)
	limit, offset := 10000, 0
	if req.Pagination != nil {
		limit, offset = req.Pagination.Limit, req.Pagination.Offset
	}
	results = results[min(offset, total):min(offset+limit, total)]

	meta := map[string]any{}
	if req.Include.TotalRows {
		meta["total_rows"] = total
	}
	if req.Include.Imports != nil && *req.Include.Imports {
		meta["imports_included"] = false
	}
	return map[string]any{
		"results": results,
		"meta":    meta,
		"query": map[string]any{
			"site_id":    f.siteID,
			"metrics":    req.Metrics,
			"date_range": []string{days.Start(from, f.tz).Format(time.RFC3339), days.Start(to.AddDate(0, 0, 1), f.tz).Add(-time.Second).Format(time.RFC3339)},
			"filters":    []any{},
			"dimensions": req.Dimensions,
			"order_by":   req.OrderBy,
			"include":    map[string]any{"total_rows": req.Include.TotalRows},
			"pagination": req.Pagination,
		},
	}, http.StatusOK, ""
}

// metrics lays out a row's values in the order the request named them.
func (f *fakePlausible) metrics(names []string, row fakeRow) []uint64 {
	out := make([]uint64, len(names))
	for i, n := range names {
		switch n {
		case "visitors":
			out[i] = row.visitors
		case "visits":
			out[i] = row.visits
		case "pageviews":
			out[i] = row.pageviews
		}
	}
	return out
}

// totals is an aggregate over a range: visits and pageviews add up, visitors are deduplicated.
func (f *fakePlausible) totals(from, to time.Time) fakeRow {
	var sum fakeRow
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		for _, r := range f.rows[d] {
			sum.visitors += r.visitors
			sum.visits += r.visits
			sum.pageviews += r.pageviews
		}
	}
	if u, ok := f.uniques[[2]time.Time{from, to}]; ok {
		sum.visitors = u
	} else {
		sum.visitors = sum.visitors * 97 / 100
	}
	return sum
}

// fakeCombo is one channel × device combination the fake serves, with what it must be stored as.
type fakeCombo struct {
	channel, device         string
	weight                  uint64
	wantChannel, wantDevice string
}

// combos spread a day's visits; several Plausible names share a canonical channel or device, and
// one channel name is unknown to the mapping table, so it must land in "other".
var combos = []fakeCombo{
	{"Organic Search", "Desktop", 30, figures.ChannelOrganicSearch, figures.DeviceDesktop},
	{"Organic Search", "Laptop", 6, figures.ChannelOrganicSearch, figures.DeviceDesktop},
	{"Organic Search", "Mobile", 10, figures.ChannelOrganicSearch, figures.DeviceMobile},
	{"Direct", "Desktop", 25, figures.ChannelDirect, figures.DeviceDesktop},
	{"Direct", "Mobile", 8, figures.ChannelDirect, figures.DeviceMobile},
	{"Direct", "(not set)", 1, figures.ChannelDirect, figures.DeviceOther},
	{"Organic Social", "Mobile", 6, figures.ChannelSocial, figures.DeviceMobile},
	{"Organic Social", "Desktop", 4, figures.ChannelSocial, figures.DeviceDesktop},
	{"Organic Video", "Tablet", 1, figures.ChannelSocial, figures.DeviceTablet},
	{"Referral", "Desktop", 4, figures.ChannelReferral, figures.DeviceDesktop},
	{"Affiliates", "Tablet", 1, figures.ChannelReferral, figures.DeviceTablet},
	{"Email", "Desktop", 2, figures.ChannelEmail, figures.DeviceDesktop},
	{"Paid Search", "Desktop", 1, figures.ChannelPaid, figures.DeviceDesktop},
	{"Cross-network", "Desktop", 1, figures.ChannelPaid, figures.DeviceDesktop},
	{"Generative AI", "Desktop", 1, figures.ChannelOther, figures.DeviceDesktop},
}

func comboOf(channel, device string) fakeCombo {
	for _, c := range combos {
		if c.channel == channel && c.device == device {
			return c
		}
	}
	panic("unknown combo " + channel + "/" + device)
}

// setDay spreads visits over the combos; visitors and pageviews follow from visits, so the three
// metrics always differ and a metric read from the wrong position shows.
func (f *fakePlausible) setDay(day time.Time, visits uint64) {
	var weights uint64
	for _, c := range combos {
		weights += c.weight
	}
	var rows []fakeRow
	left := visits
	for i, c := range combos {
		v := visits * c.weight / weights
		if i == 0 {
			v += visits - sumShares(visits, weights)
		}
		left -= v
		if v == 0 {
			continue // Plausible leaves out combinations without visits
		}
		rows = append(rows, fakeRow{channel: c.channel, device: c.device, visitors: v - v/8, visits: v, pageviews: 2*v + v/3})
	}
	if left != 0 {
		panic("visits not spread completely")
	}
	if len(rows) == 0 {
		delete(f.rows, day)
		return
	}
	f.rows[day] = rows
}

func sumShares(visits, weights uint64) uint64 {
	var s uint64
	for _, c := range combos {
		s += visits * c.weight / weights
	}
	return s
}

// fill gives every day of from..to the same visits.
func (f *fakePlausible) fill(from, to time.Time, visits uint64) {
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		f.setDay(d, visits)
	}
}

// setPages spreads a month's pageviews over paths; a path with only custom events has 0.
func (f *fakePlausible) setPages(month time.Time, pageviews uint64, paths int) {
	pages := map[string]uint64{"/last-ned-mal": 0}
	for i := range paths {
		path := "/"
		if i > 0 {
			path = fmt.Sprintf("/side-%02d", i)
		}
		// Falling shares, with ties, so that the order of equal counts matters.
		pages[path] = pageviews / uint64(4+i/2*2)
	}
	f.pages[month] = pages
}
