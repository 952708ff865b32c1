package linkedin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
)

// shareMonth is what the fake reports for a month's share statistics; nil counts are left out.
type shareMonth struct {
	unique, impressions *int64
}

// fault lets a test replace an answer: it returns a status and a testdata file (or raw body), or
// false to let the fake answer normally. n counts API requests, from 1.
type fault func(r *http.Request, n int) (status int, body string, header http.Header, ok bool)

// fakeLinkedIn serves the LinkedIn REST endpoints and the OAuth token endpoint the way api-formats
// §3 documents them: versioned headers, Rest.li 2.0 (or dotted) timeIntervals with LinkedIn's
// window rules, start/count paging, and LinkedIn's error bodies.
type fakeLinkedIn struct {
	t       testing.TB
	clock   *collectortest.Clock // the collector's clock too
	orgID   string
	version string

	mu sync.Mutex
	// tokens maps each access token to how the fake treats it: "ok", "expired", "revoked", "invalid".
	tokens       map[string]string
	refreshToken string
	clientID     string
	clientSecret string
	// renewals are the access tokens successive refreshes hand out.
	renewals         []string
	expiresIn        int64
	refreshExpiresIn int64
	refreshFails     string // testdata file answered (400) to every refresh, "" to succeed
	refreshCalls     int

	// The truth: followers at the start of firstDay, then each UTC day's net gain, which lands at
	// gainHour UTC. omitted days are true gains that LinkedIn leaves out of its answers.
	firstDay time.Time
	base     int64
	gains    map[time.Time]int64
	omitted  map[time.Time]bool
	gainHour int
	months   map[time.Time]shareMonth

	// ignoreCount sends every element in one page, whatever count asks for.
	ignoreCount bool
	fault       fault
	requests    int
	seen        []*http.Request
	// faults, when set, picks a transport-level fault for API request n (collectortest.Faulty).
	faults func(n int, r *http.Request) collectortest.Fault
	faulty *collectortest.Faulty
}

func newFake(t testing.TB, clock *collectortest.Clock) *fakeLinkedIn {
	return &fakeLinkedIn{
		t: t, clock: clock, orgID: "2414183", version: defaultAPIVersion,
		tokens:       map[string]string{"AQVconfigured-access-token": "ok"},
		refreshToken: "AQWconfigured-refresh-token", clientID: "86abcdefgh", clientSecret: "WPL_AP1.client-secret",
		renewals:  []string{"AQVrenewed-access-token-1", "AQVrenewed-access-token-2"},
		expiresIn: 5184000, refreshExpiresIn: 26697600,
		gains: map[time.Time]int64{}, omitted: map[time.Time]bool{}, months: map[time.Time]shareMonth{},
		gainHour: 12,
	}
}

func (f *fakeLinkedIn) start() *httptest.Server {
	f.faulty = &collectortest.Faulty{Handler: f, Plan: func(n int, r *http.Request) collectortest.Fault {
		f.mu.Lock()
		plan := f.faults
		f.mu.Unlock()
		if plan == nil || !strings.HasPrefix(r.URL.Path, "/rest/") {
			return collectortest.NoFault
		}
		return plan(n, r)
	}}
	return collectortest.Server(f.t, f.faulty)
}

// followersAt is the true follower count at instant t.
func (f *fakeLinkedIn) followersAt(t time.Time) int64 {
	n := f.base
	day := utcDay(t)
	for d := f.firstDay; d.Before(day); d = d.AddDate(0, 0, 1) {
		n += f.gains[d]
	}
	if t.UTC().Hour() >= f.gainHour {
		n += f.gains[day]
	}
	return n
}

// followersEndOf is the true count at the end of UTC day d.
func (f *fakeLinkedIn) followersEndOf(d time.Time) int64 {
	return f.followersAt(d.AddDate(0, 0, 1).Add(-time.Second))
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (f *fakeLinkedIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/oauth/v2/accessToken" {
		f.serveToken(w, r)
		return
	}
	f.requests++
	f.seen = append(f.seen, r.Clone(r.Context()))
	if f.fault != nil {
		if status, body, header, ok := f.fault(r, f.requests); ok {
			for k, vs := range header {
				w.Header()[k] = vs
			}
			f.write(w, status, body)
			return
		}
	}
	switch v := r.Header.Get("LinkedIn-Version"); {
	case v == "":
		f.write(w, http.StatusUpgradeRequired, "error_426_version_missing.json")
		return
	case v != f.version:
		f.write(w, http.StatusUpgradeRequired, "error_426_nonexistent_version.json")
		return
	}
	if r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" {
		f.write(w, http.StatusBadRequest, `{"status":400,"message":"Protocol version 2.0.0 is required"}`)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch f.tokens[token] {
	case "ok":
	case "expired":
		f.write(w, http.StatusUnauthorized, "error_401_expired.json")
		return
	case "revoked":
		f.write(w, http.StatusUnauthorized, "error_401_revoked.json")
		return
	default:
		f.write(w, http.StatusUnauthorized, "error_401_invalid.json")
		return
	}
	urn := "urn:li:organization:" + f.orgID
	switch r.URL.Path {
	case "/rest/networkSizes/" + urn:
		if r.URL.Query().Get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER" {
			f.write(w, http.StatusBadRequest, `{"status":400,"message":"edgeType is required"}`)
			return
		}
		f.writeJSON(w, map[string]int64{"firstDegreeSize": f.followersAt(f.clock.Now())})
	case "/rest/organizationalEntityFollowerStatistics", "/rest/organizationalEntityShareStatistics":
		q := r.URL.Query()
		if q.Get("q") != "organizationalEntity" || q.Get("organizationalEntity") != urn {
			f.write(w, http.StatusBadRequest, `{"status":400,"message":"unknown finder or entity"}`)
			return
		}
		start, end, granularity, ok := parseTimeIntervals(q)
		now := f.clock.Now()
		if !ok || start.Before(now.Add(-365*24*time.Hour)) || end.After(now.Add(-48*time.Hour)) || !start.Before(end) {
			f.write(w, http.StatusBadRequest, "error_400_time_intervals.json")
			return
		}
		var elements []any
		if strings.HasSuffix(r.URL.Path, "FollowerStatistics") && granularity == "DAY" {
			elements = f.gainElements(start, end, urn)
		} else if strings.HasSuffix(r.URL.Path, "ShareStatistics") && granularity == "MONTH" {
			elements = f.shareElements(start, end, urn)
		} else {
			f.write(w, http.StatusBadRequest, `{"status":400,"message":"granularity not served by this fake"}`)
			return
		}
		f.writePage(w, q, elements)
	default:
		f.write(w, http.StatusNotFound, `{"status":404,"message":"Not Found"}`)
	}
}

func (f *fakeLinkedIn) gainElements(start, end time.Time, urn string) []any {
	var out []any
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		g, ok := f.gains[d]
		if !ok || f.omitted[d] {
			continue
		}
		organic, paid := g, int64(0)
		if g >= 3 { // some of a busy day's gains come from sponsored content
			organic, paid = g-1, 1
		}
		out = append(out, map[string]any{
			"timeRange":            map[string]int64{"start": d.UnixMilli(), "end": d.AddDate(0, 0, 1).UnixMilli()},
			"followerGains":        map[string]int64{"organicFollowerGain": organic, "paidFollowerGain": paid},
			"organizationalEntity": urn,
		})
	}
	return out
}

func (f *fakeLinkedIn) shareElements(start, end time.Time, urn string) []any {
	var out []any
	for m := start; m.Before(end); m = m.AddDate(0, 1, 0) {
		s, ok := f.months[m]
		if !ok {
			continue
		}
		total := map[string]any{"shareCount": 6, "clickCount": 40, "likeCount": 75, "commentCount": 5,
			"shareMentionsCount": 0, "commentMentionsCount": 0, "engagement": 0.0}
		if s.unique != nil {
			total["uniqueImpressionsCount"] = *s.unique
		}
		if s.impressions != nil {
			total["impressionCount"] = *s.impressions
			if *s.impressions > 0 {
				total["engagement"] = float64(40+75+5+6) / float64(*s.impressions)
			}
		}
		out = append(out, map[string]any{
			"organizationalEntity": urn,
			"timeRange":            map[string]int64{"start": m.UnixMilli(), "end": m.AddDate(0, 1, 0).UnixMilli()},
			"totalShareStatistics": total,
		})
	}
	return out
}

func (f *fakeLinkedIn) writePage(w http.ResponseWriter, q map[string][]string, elements []any) {
	get := func(k string, def int) int {
		if vs := q[k]; len(vs) > 0 {
			if n, err := strconv.Atoi(vs[0]); err == nil {
				return n
			}
		}
		return def
	}
	start, count := get("start", 0), get("count", 10)
	if f.ignoreCount {
		start, count = 0, len(elements)
	}
	page := []any{}
	if start < len(elements) {
		page = elements[start:min(start+count, len(elements))]
	}
	f.writeJSON(w, map[string]any{
		"paging":   map[string]any{"count": count, "start": start, "links": []any{}},
		"elements": page,
	})
}

var (
	restliStart = regexp.MustCompile(`start:(\d+)`)
	restliEnd   = regexp.MustCompile(`end:(\d+)`)
	restliGran  = regexp.MustCompile(`timeGranularityType:([A-Z]+)`)
)

// parseTimeIntervals reads both forms LinkedIn accepts: Rest.li 2.0
// timeIntervals=(timeRange:(start:…,end:…),timeGranularityType:DAY) and the dotted
// timeIntervals.timeRange.start=… parameters.
func parseTimeIntervals(q map[string][]string) (start, end time.Time, granularity string, ok bool) {
	ms := func(s string) (time.Time, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return time.UnixMilli(n).UTC(), err == nil
	}
	first := func(k string) string {
		if vs := q[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	if v := first("timeIntervals"); v != "" {
		s, e, g := restliStart.FindStringSubmatch(v), restliEnd.FindStringSubmatch(v), restliGran.FindStringSubmatch(v)
		if s == nil || e == nil || g == nil {
			return start, end, "", false
		}
		start, ok1 := ms(s[1])
		end, ok2 := ms(e[1])
		return start, end, g[1], ok1 && ok2
	}
	start, ok1 := ms(first("timeIntervals.timeRange.start"))
	end, ok2 := ms(first("timeIntervals.timeRange.end"))
	return start, end, first("timeIntervals.timeGranularityType"), ok1 && ok2
}

func (f *fakeLinkedIn) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		f.write(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"POST a form"}`)
		return
	}
	f.refreshCalls++
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.clientSecret {
		f.write(w, http.StatusUnauthorized, "token_error_invalid_client.json")
		return
	}
	if f.refreshFails != "" || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != f.refreshToken {
		f.write(w, http.StatusBadRequest, "token_error_invalid_grant.json")
		return
	}
	if len(f.renewals) == 0 {
		f.t.Errorf("fake: more refreshes than renewal tokens")
		f.write(w, http.StatusInternalServerError, `{"error":"server_error"}`)
		return
	}
	token := f.renewals[0]
	f.renewals = f.renewals[1:]
	f.tokens[token] = "ok"
	f.writeJSON(w, map[string]any{"access_token": token, "expires_in": f.expiresIn,
		"refresh_token": f.refreshToken, "refresh_token_expires_in": f.refreshExpiresIn})
}

// write answers with status and body: a testdata file name, or the body itself.
func (f *fakeLinkedIn) write(w http.ResponseWriter, status int, body string) {
	if strings.HasSuffix(body, ".json") && !strings.HasPrefix(body, "{") {
		raw, err := os.ReadFile(filepath.Join("testdata", body))
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		body = string(raw)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
}

func (f *fakeLinkedIn) writeJSON(w http.ResponseWriter, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		f.t.Errorf("fake: %v", err)
	}
	f.write(w, http.StatusOK, string(raw))
}

// requestCount is how many API requests (not token requests) the fake has served.
func (f *fakeLinkedIn) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}
