// Package metafake is a Graph API test server that answers in Meta's documented shapes
// (shared/reference/api-formats.md §2): Page fields and Page Insights, the Instagram user node and its
// insights, /debug_token, Meta's error bodies, paging links that run into the future, and days that
// end at midnight US Pacific. The tests of meta, facebook and instagram run against it.
package metafake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
)

// Day is one account's insights for one day.
type Day struct {
	Follows, Unfollows, Reach uint64
}

// Account is a simulated Page or Instagram account.
type Account struct {
	ID        string
	Instagram bool
	// Followers is the count at the end of each day; followers_count answers the count of the
	// current day. It has no gaps: an account always has a count.
	Followers map[time.Time]uint64
	// Insights holds each day's figures. A day left out has no insights: Meta leaves it out of
	// series and answers an empty data list, never 0.
	Insights map[time.Time]Day
	// FollowHistoryDays limits Instagram's follows_and_unfollows to the last N days (0: no limit).
	FollowHistoryDays int
}

// RangeReach is the account's reach over the days from..to (both included) that have insights:
// the best day plus half of the others, since people reached on several days count once. It
// reports false when no day of the range has insights.
func (a *Account) RangeReach(from, to time.Time) (uint64, bool) {
	var best, sum uint64
	found := false
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day, ok := a.Insights[d]
		if !ok {
			continue
		}
		found = true
		sum += day.Reach
		best = max(best, day.Reach)
	}
	return best + (sum-best)/2, found
}

// Server is the fake Graph API. Change its fields through Update while requests may be running.
type Server struct {
	*httptest.Server
	Version  string
	Token    string
	AppToken string

	mu       sync.Mutex
	pacific  *time.Location
	now      func() time.Time
	accounts map[string]*Account
	requests []string

	// Deprecated metrics are refused with (#100) The value must be a valid insights metric.
	Deprecated map[string]bool
	// PageMaxRangeDays and IGMaxRangeDays are the longest since..until spans served, counted in
	// seconds as Meta does (defaults 90 and 30).
	PageMaxRangeDays, IGMaxRangeDays int
	// PageDays splits day series into pages of this many days (0: one page).
	PageDays int
	// TokenExpiresAt and DataAccessExpiresAt are what /debug_token reports (zero: never).
	TokenExpiresAt, DataAccessExpiresAt time.Time
	// TokenExpired answers every request with code 190, subcode 463.
	TokenExpired bool
	// Header is added to every answer (usage headers).
	Header http.Header
	// Intercept may answer a request itself (faults); n counts requests from 1. It is called
	// without the server's lock held.
	Intercept func(w http.ResponseWriter, r *http.Request, n int) bool
	// Faults picks a transport-level fault for the n-th request (collectortest.Faulty: 429 with
	// Retry-After 0, 503, a body cut off or malformed, a reset, a slow answer, or Meta's throttle,
	// code 4 with HTTP 400); nil: none.
	Faults func(n int, r *http.Request) collectortest.Fault
	faulty *collectortest.Faulty
}

// New starts a server for the accounts, with now as its clock; it stops when the test ends.
func New(t testing.TB, now func() time.Time, accounts ...*Account) *Server {
	t.Helper()
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Version: "v25.0", Token: "EAAGtestPageToken0123456789secret", AppToken: "1234567890|appSecretXYZ",
		pacific: pacific, now: now, accounts: map[string]*Account{},
		Deprecated: map[string]bool{}, PageMaxRangeDays: 90, IGMaxRangeDays: 30,
	}
	for _, a := range accounts {
		s.accounts[a.ID] = a
	}
	s.faulty = &collectortest.Faulty{
		Handler: http.HandlerFunc(s.serve),
		Plan: func(n int, r *http.Request) collectortest.Fault {
			s.mu.Lock()
			plan := s.Faults
			s.mu.Unlock()
			if plan == nil {
				return collectortest.NoFault
			}
			return plan(n, r)
		},
		Throttle: func(w http.ResponseWriter, _ *http.Request) {
			Error(w, http.StatusBadRequest, 4, 0, "(#4) Application request limit reached")
		},
	}
	s.Server = collectortest.Server(t, s.faulty)
	return s
}

// Injected counts the faults Faults injected, by kind.
func (s *Server) Injected() map[collectortest.Fault]int { return s.faulty.Injected() }

// Update changes the server's settings under its lock.
func (s *Server) Update(fn func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// Requests lists the requests served so far (path and query, tokens removed).
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// EndTime formats the end of Meta's day for calendar day d, as Meta stamps d's value.
func (s *Server) EndTime(d time.Time) string {
	return s.dayStart(d.AddDate(0, 0, 1)).UTC().Format("2006-01-02T15:04:05+0000")
}

func (s *Server) dayStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.pacific)
}

func (s *Server) dayOf(t time.Time) time.Time {
	y, m, d := t.In(s.pacific).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Error writes Meta's error body.
func Error(w http.ResponseWriter, status, code, subcode int, message string) {
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AXk3fakeTrace"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if code == 4 || code == 17 || code == 32 || code == 613 || code >= 80000 {
		e["is_transient"] = true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	q := r.URL.Query()
	q.Del("access_token")
	q.Del("input_token")
	s.requests = append(s.requests, r.URL.Path+"?"+q.Encode())
	n := len(s.requests)
	intercept := s.Intercept
	s.mu.Unlock()
	if intercept != nil && intercept(w, r, n) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, vs := range s.Header {
		w.Header()[k] = vs
	}
	token := r.URL.Query().Get("access_token")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimPrefix(auth, "Bearer ")
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != s.Version {
		Error(w, http.StatusBadRequest, 2500, 0, "Unknown path components: "+r.URL.Path)
		return
	}
	if s.TokenExpired {
		Error(w, http.StatusBadRequest, 190, 463, "Error validating access token: Session has expired on Tuesday, 02-Sep-25 10:00:00 PDT. The current time is Wednesday, 03-Sep-25 01:00:00 PDT.")
		return
	}
	if parts[1] == "debug_token" && len(parts) == 2 {
		s.debugToken(w, r, token)
		return
	}
	if token != s.Token {
		Error(w, http.StatusBadRequest, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	a, ok := s.accounts[parts[1]]
	if !ok {
		Error(w, http.StatusBadRequest, 100, 33, fmt.Sprintf("Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", parts[1]))
		return
	}
	switch {
	case len(parts) == 2:
		s.fields(w, r, a)
	case len(parts) == 3 && parts[2] == "insights":
		s.insights(w, r, a, token)
	default:
		Error(w, http.StatusBadRequest, 2500, 0, "Unknown path components: /"+strings.Join(parts[2:], "/"))
	}
}

func (s *Server) debugToken(w http.ResponseWriter, r *http.Request, inspector string) {
	if inspector != s.Token && inspector != s.AppToken {
		Error(w, http.StatusBadRequest, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	unix := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Unix()
	}
	data := map[string]any{
		"app_id": "1234567890", "type": "PAGE", "application": "Rekkevidde",
		"expires_at": unix(s.TokenExpiresAt), "data_access_expires_at": unix(s.DataAccessExpiresAt),
		"is_valid": r.URL.Query().Get("input_token") == s.Token,
		"scopes":   []string{"pages_show_list", "pages_read_engagement", "read_insights", "instagram_basic", "instagram_manage_insights"},
	}
	if data["is_valid"] == false {
		data["error"] = map[string]any{"code": 190, "subcode": 467, "message": "The access token is invalid"}
	}
	writeJSON(w, map[string]any{"data": data})
}

func (s *Server) fields(w http.ResponseWriter, r *http.Request, a *Account) {
	today := s.dayOf(s.now())
	var count uint64
	for d := today; d.After(today.AddDate(-5, 0, 0)); d = d.AddDate(0, 0, -1) {
		if n, ok := a.Followers[d]; ok {
			count = n
			break
		}
	}
	known := map[string]any{"id": a.ID, "name": "InnoMed", "followers_count": count}
	if a.Instagram {
		known["username"] = "innomed_no"
		known["follows_count"] = 180
		known["media_count"] = 143
	} else {
		known["fan_count"] = count - count/30
	}
	out := map[string]any{"id": a.ID}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		v, ok := known[f]
		if !ok {
			node := "Page"
			if a.Instagram {
				node = "IGUser"
			}
			Error(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) Tried accessing nonexisting field (%s) on node type (%s)", f, node))
			return
		}
		out[f] = v
	}
	writeJSON(w, out)
}

var descriptions = map[string][2]string{
	"page_follows":                 {"Followers", "Lifetime: The total number of people who follow your Page."},
	"page_daily_follows_unique":    {"Daily New Follows", "Daily: The number of new follows of your Page."},
	"page_daily_unfollows_unique":  {"Daily Unfollows", "Daily: The number of unfollows of your Page."},
	"page_total_media_view_unique": {"Total Media Viewers", "Daily: The number of people who saw any content from your Page."},
	"page_impressions_unique":      {"Daily Total Reach", "Daily: The number of people who had any content from your Page enter their screen."},
	"reach":                        {"Accounts reached", "The number of unique accounts that have seen your content, at least once, including in ads."},
	"follows_and_unfollows":        {"Follows and unfollows", "The number of accounts that followed you and the number of accounts that unfollowed you or left Instagram in the selected time period."},
}

func isReach(metric string) bool {
	return metric == "reach" || metric == "page_total_media_view_unique" || metric == "page_impressions_unique"
}

func (s *Server) insights(w http.ResponseWriter, r *http.Request, a *Account, token string) {
	q := r.URL.Query()
	since, err1 := parseTime(q.Get("since"))
	until, err2 := parseTime(q.Get("until"))
	if err1 != nil || err2 != nil || !since.Before(until) {
		Error(w, http.StatusBadRequest, 100, 0, "(#100) This test server needs since < until as unix seconds or dates")
		return
	}
	maxDays := s.PageMaxRangeDays
	if a.Instagram {
		maxDays = s.IGMaxRangeDays
	}
	if until.Sub(since) > time.Duration(maxDays)*24*time.Hour {
		Error(w, http.StatusBadRequest, 100, 0, fmt.Sprintf("(#100) There cannot be more than %d days (%d s) between since and until", maxDays, maxDays*86400))
		return
	}
	metrics := strings.Split(q.Get("metric"), ",")
	period, metricType := q.Get("period"), q.Get("metric_type")
	if a.Instagram && metricType == "" {
		metricType = "time_series"
	}
	for _, m := range metrics {
		if _, known := descriptions[m]; !known || s.Deprecated[m] || a.Instagram != (m == "reach" || m == "follows_and_unfollows") {
			Error(w, http.StatusBadRequest, 100, 0, "(#100) The value must be a valid insights metric")
			return
		}
		if m == "follows_and_unfollows" && metricType != "total_value" {
			Error(w, http.StatusBadRequest, 100, 0, "(#100) follows_and_unfollows requires metric_type=total_value")
			return
		}
	}
	first, end := s.dayOf(since), s.dayOf(until) // days first..end-1
	today := s.dayOf(s.now())
	total := period == "total_over_range" || metricType == "total_value"
	if period != "day" && !(period == "total_over_range" && !a.Instagram) {
		Error(w, http.StatusBadRequest, 100, 0, "(#100) Invalid period: "+period)
		return
	}
	pageEnd := end
	if !total && s.PageDays > 0 && first.AddDate(0, 0, s.PageDays).Before(end) {
		pageEnd = first.AddDate(0, 0, s.PageDays)
	}
	data := []map[string]any{}
	for _, m := range metrics {
		entry := map[string]any{"name": m, "period": period, "title": descriptions[m][0],
			"description": descriptions[m][1], "id": a.ID + "/insights/" + m + "/" + period}
		switch {
		case a.Instagram && total:
			v, ok := s.igTotal(a, m, first, end.AddDate(0, 0, -1), today)
			if !ok {
				continue // Instagram leaves out what it has no data for
			}
			entry["total_value"] = v
		case total:
			values := []map[string]any{}
			if v, ok := a.RangeReach(first, end.AddDate(0, 0, -1)); ok && isReach(m) {
				values = append(values, map[string]any{"value": v, "end_time": until.UTC().Format("2006-01-02T15:04:05+0000")})
			}
			entry["values"] = values
		default:
			values := []map[string]any{}
			for d := first; d.Before(pageEnd) && d.Before(today); d = d.AddDate(0, 0, 1) {
				day, ok := a.Insights[d]
				if !ok {
					continue
				}
				var v uint64
				switch m {
				case "page_follows":
					v = a.Followers[d]
				case "page_daily_follows_unique":
					v = day.Follows
				case "page_daily_unfollows_unique":
					v = day.Unfollows
				default:
					v = day.Reach
				}
				values = append(values, map[string]any{"value": v, "end_time": s.EndTime(d)})
			}
			if a.Instagram && len(values) == 0 {
				continue
			}
			entry["values"] = values
		}
		data = append(data, entry)
	}
	body := map[string]any{"data": data}
	// Paging links in Meta's form: full URLs with unix since/until; next runs on into the future.
	link := func(from, to time.Time) string {
		lq := r.URL.Query()
		lq.Set("access_token", token)
		lq.Set("since", strconv.FormatInt(from.Unix(), 10))
		lq.Set("until", strconv.FormatInt(to.Unix(), 10))
		return "https://graph.facebook.com" + r.URL.Path + "?" + lq.Encode()
	}
	span := until.Sub(since)
	next := link(until, until.Add(span))
	if pageEnd.Before(end) {
		next = link(s.dayStart(pageEnd), until)
	}
	body["paging"] = map[string]any{"previous": link(since.Add(-span), since), "next": next}
	writeJSON(w, body)
}

// igTotal is Instagram's total_value over days from..to.
func (s *Server) igTotal(a *Account, metric string, from, to, today time.Time) (map[string]any, bool) {
	if metric == "reach" {
		v, ok := a.RangeReach(from, to)
		if !ok {
			return nil, false
		}
		return map[string]any{"value": v}, true
	}
	var follows, unfollows uint64
	found := false
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day, ok := a.Insights[d]
		if !ok || (a.FollowHistoryDays > 0 && d.Before(today.AddDate(0, 0, -a.FollowHistoryDays+1))) {
			continue
		}
		found = true
		follows += day.Follows
		unfollows += day.Unfollows
	}
	if !found {
		return nil, false
	}
	return map[string]any{"breakdowns": []map[string]any{{
		"dimension_keys": []string{"follow_type"},
		"results": []map[string]any{
			{"dimension_values": []string{"FOLLOWER"}, "value": follows},
			{"dimension_values": []string{"NON_FOLLOWER"}, "value": unfollows},
		},
	}}}, true
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Parse(time.DateOnly, s)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// Query returns a request's parameters, for assertions.
func Query(request string) url.Values {
	_, raw, _ := strings.Cut(request, "?")
	v, _ := url.ParseQuery(raw)
	return v
}

// Simulate builds an account with figures for every day from..to in a fixed pattern: 1–5 follows
// a day, an unfollow on every third day, reach between 40 and 129. It has start followers at the
// end of the day before from.
func Simulate(id string, instagram bool, from, to time.Time, start uint64) *Account {
	a := &Account{ID: id, Instagram: instagram, Followers: map[time.Time]uint64{}, Insights: map[time.Time]Day{}}
	count := start
	a.Followers[from.AddDate(0, 0, -1)] = count
	for i, d := 0, from; !d.After(to); i, d = i+1, d.AddDate(0, 0, 1) {
		day := Day{Follows: uint64(1 + i*7%5), Reach: uint64(40 + i*37%90)}
		if i%3 == 0 {
			day.Unfollows = 1
		}
		count += day.Follows - day.Unfollows
		a.Followers[d] = count
		a.Insights[d] = day
	}
	return a
}
