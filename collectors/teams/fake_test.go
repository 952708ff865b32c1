package teams

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors/collectortest"
)

// Fixture ids (testdata was written with them; see the README's fixture notes in the tests).
const (
	testTenant   = "5c3e2f6a-1b7d-4e8f-9a0b-2c4d6e8f0a1b"
	testClientID = "7f3c9b2e-4d1a-4c8e-9b6f-1a2b3c4d5e6f"
	testSecret   = "teams-test-secret~Qx8Yz.3Kp7Lm"
	orgNettverk  = "nettverk@innomed.no"
	orgMoteplass = "moteplass@innomed.no"
)

// fakeGraph answers like Entra ID's token endpoint and Microsoft Graph, from the fixtures in
// testdata: the client credentials grant with AADSTS errors, Bearer checks with Graph's 401
// InvalidAuthenticationToken, every collection paged with an absolute @odata.nextLink (a
// $skiptoken, or $skip for the calendar view, whose page size $top sets), the calendar view's
// window and Prefer: outlook.timezone, online meetings found only by $filter=JoinWebUrl eq '…',
// and 404 NotFound for anything it does not know.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server
	// pageSize is the page Graph serves when the request sets no $top.
	pageSize int

	webinarSessions map[string]string // webinar id → sessions fixture
	registrations   map[string]string // webinar id → registrations fixture
	sessionReports  map[string]string // session id → reports fixture
	meetingReports  map[string]string // online meeting id → reports fixture
	calendars       map[string]string // organiser → calendar view fixture
	onlineMeetings  map[string]string // organiser → online meetings fixture

	mu         sync.Mutex
	secret     string // the client secret the tenant accepts
	tokens     int
	validToken string
	requests   []fakeRequest
	// reports and records override a session's or meeting's reports (by its id) and a report's
	// records (by report id), for reports that appear or change late.
	reports map[string][]json.RawMessage
	records map[string][]json.RawMessage
	// intercept, when set, may answer request n (1-based, token requests included) itself. It
	// runs with mu held.
	intercept func(n int, r *http.Request, w http.ResponseWriter) bool
}

type fakeRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
}

func newFake(t *testing.T) *fakeGraph {
	t.Helper()
	const (
		w1 = "3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e01@" + testTenant
		w2 = "3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e02@" + testTenant
		w3 = "3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e03@" + testTenant
		w4 = "3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e04@" + testTenant
		w6 = "3f1a0c52-7a4e-4c1b-9d2e-1a0b5c6d7e06@" + testTenant
	)
	f := &fakeGraph{
		t: t, pageSize: 3, secret: testSecret, records: map[string][]json.RawMessage{}, reports: map[string][]json.RawMessage{},
		webinarSessions: map[string]string{w1: "sessions_w1.json", w2: "sessions_w2.json", w3: "sessions_w3.json", w4: "sessions_w4.json", w6: "sessions_w6.json"},
		registrations:   map[string]string{w1: "registrations_w1.json", w2: "registrations_w2.json", w3: "registrations_w3.json", w6: "registrations_w6.json"},
		sessionReports:  map[string]string{},
		meetingReports:  map[string]string{},
		calendars:       map[string]string{orgNettverk: "calendarview_nettverk.json", orgMoteplass: "calendarview_moteplass.json"},
		onlineMeetings:  map[string]string{orgNettverk: "onlinemeetings_nettverk.json", orgMoteplass: "onlinemeetings_moteplass.json"},
	}
	for _, pair := range [][2]string{{"sessions_w1.json", "reports_s1.json"}, {"sessions_w2.json", "reports_s2.json"},
		{"sessions_w3.json", "reports_s3a.json"}, {"sessions_w6.json", ""}} {
		var list struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
		}
		readFixture(t, pair[0], &list)
		f.sessionReports[list.Value[0].ID] = pair[1]
		if pair[0] == "sessions_w3.json" {
			f.sessionReports[list.Value[1].ID] = "reports_s3b.json"
		}
	}
	for org, file := range f.onlineMeetings {
		var list struct {
			Value []struct {
				ID      string `json:"id"`
				Subject string `json:"subject"`
			} `json:"value"`
		}
		readFixture(t, file, &list)
		for _, m := range list.Value {
			switch {
			case org == orgMoteplass:
				f.meetingReports[m.ID] = "reports_m4.json"
			case m.Subject == "Kompetansenettverksmøte":
				f.meetingReports[m.ID] = "reports_m1.json"
			case strings.HasSuffix(m.Subject, "desember"):
				f.meetingReports[m.ID] = "reports_m2.json"
			case strings.HasSuffix(m.Subject, "2026"):
				f.meetingReports[m.ID] = "reports_m3.json"
			}
		}
	}
	f.srv = collectortest.Server(t, http.HandlerFunc(f.serve))
	return f
}

func readFixture(t *testing.T, name string, into any) {
	t.Helper()
	if err := json.Unmarshal(collectortest.Fixture(t, name), into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// update changes the fake while its server may be running.
func (f *fakeGraph) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// requestsTo returns the requests whose path contains part.
func (f *fakeGraph) requestsTo(part string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if strings.Contains(r.Path, part) {
			out = append(out, r)
		}
	}
	return out
}

// expireToken makes Graph refuse the token it issued last, as when its hour has passed.
func (f *fakeGraph) expireToken() { f.update(func() { f.validToken = "" }) }

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()})
	if f.intercept != nil && f.intercept(len(f.requests), r, w) {
		return
	}
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		f.serveToken(w, r)
		return
	}
	if f.validToken == "" || r.Header.Get("Authorization") != "Bearer "+f.validToken {
		writeFixture(f.t, w, http.StatusUnauthorized, "error_401_expired.json")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/")
	if !strings.HasPrefix(r.URL.Path, "/v1.0/") {
		writeFixture(f.t, w, http.StatusNotFound, "error_404.json")
		return
	}
	f.serveAPI(w, r, parts)
}

func (f *fakeGraph) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "AADSTS900144: The request body must contain the following parameter: 'grant_type'."})
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/"+testTenant+"/") {
		writeFixture(f.t, w, http.StatusBadRequest, "token_unknown_tenant.json")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "https://graph.microsoft.com/.default" {
		f.t.Errorf("token request form: %v", r.PostForm)
	}
	if r.PostForm.Get("client_id") != testClientID || r.PostForm.Get("client_secret") != f.secret {
		writeFixture(f.t, w, http.StatusUnauthorized, "token_invalid_client.json")
		return
	}
	var token map[string]any
	readFixture(f.t, "token.json", &token)
	f.tokens++
	f.validToken = fmt.Sprintf("%s-%d", token["access_token"], f.tokens)
	token["access_token"] = f.validToken
	writeJSON(w, http.StatusOK, token)
}

func (f *fakeGraph) serveAPI(w http.ResponseWriter, r *http.Request, p []string) {
	q := r.URL.Query()
	ve := len(p) >= 3 && p[0] == "solutions" && p[1] == "virtualEvents" && p[2] == "webinars"
	switch {
	case ve && len(p) == 3:
		f.servePagedFile(w, r, "webinars.json")
	case ve && len(p) == 5 && p[4] == "sessions":
		f.servePagedFile(w, r, f.webinarSessions[p[3]])
	case ve && len(p) == 5 && p[4] == "registrations":
		f.servePagedFile(w, r, f.registrations[p[3]])
	case ve && len(p) == 7 && p[4] == "sessions" && p[6] == "attendanceReports":
		if items, ok := f.reports[p[5]]; ok {
			f.servePage(w, r, items)
			return
		}
		f.servePagedFile(w, r, f.sessionReports[p[5]])
	case ve && len(p) == 9 && p[4] == "sessions" && p[8] == "attendanceRecords":
		f.serveRecords(w, r, p[7])
	case len(p) == 3 && p[0] == "users" && p[2] == "calendarView":
		f.serveCalendar(w, r, p[1])
	case len(p) == 3 && p[0] == "users" && p[2] == "onlineMeetings":
		f.serveOnlineMeetings(w, q, p[1])
	case len(p) == 5 && p[0] == "users" && p[2] == "onlineMeetings" && p[4] == "attendanceReports":
		if items, ok := f.reports[p[3]]; ok {
			f.servePage(w, r, items)
			return
		}
		f.servePagedFile(w, r, f.meetingReports[p[3]])
	case len(p) == 7 && p[0] == "users" && p[2] == "onlineMeetings" && p[6] == "attendanceRecords":
		f.serveRecords(w, r, p[5])
	default:
		writeFixture(f.t, w, http.StatusNotFound, "error_404.json")
	}
}

func (f *fakeGraph) serveRecords(w http.ResponseWriter, r *http.Request, reportID string) {
	if got := r.URL.Query().Get("$select"); got != recordSelect {
		f.t.Errorf("attendance records asked with $select=%q", got)
	}
	if items, ok := f.records[reportID]; ok {
		f.servePage(w, r, items)
		return
	}
	f.servePagedFile(w, r, "records_"+reportID+".json")
}

// serveCalendar lists an organiser's calendar events that start in [startDateTime, endDateTime).
func (f *fakeGraph) serveCalendar(w http.ResponseWriter, r *http.Request, org string) {
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("startDateTime"))
	to, err2 := time.Parse(time.RFC3339, q.Get("endDateTime"))
	if err1 != nil || err2 != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "ErrorInvalidParameter", "message": "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."}})
		return
	}
	if r.Header.Get("Prefer") != `outlook.timezone="UTC"` {
		f.t.Errorf("calendar view asked without Prefer: outlook.timezone=\"UTC\": %q", r.Header.Get("Prefer"))
	}
	if q.Get("$select") != calendarSelect {
		f.t.Errorf("calendar view asked with $select=%q", q.Get("$select"))
	}
	file, ok := f.calendars[org]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "ErrorInvalidUser", "message": "The requested user '" + org + "' is invalid."}})
		return
	}
	var doc struct {
		Value []json.RawMessage `json:"value"`
	}
	readFixture(f.t, file, &doc)
	var in []json.RawMessage
	for _, ev := range doc.Value {
		var head struct {
			Start dateTimeTimeZone `json:"start"`
		}
		_ = json.Unmarshal(ev, &head)
		start, _ := time.Parse("2006-01-02T15:04:05.9999999", head.Start.DateTime)
		if !start.Before(from) && start.Before(to) {
			in = append(in, ev)
		}
	}
	f.servePage(w, r, in)
}

// serveOnlineMeetings answers GET /users/{id}/onlineMeetings, which Graph only serves with a
// $filter, here on JoinWebUrl.
func (f *fakeGraph) serveOnlineMeetings(w http.ResponseWriter, q url.Values, org string) {
	filter := q.Get("$filter")
	joinURL, ok := strings.CutPrefix(filter, "JoinWebUrl eq '")
	if !ok || !strings.HasSuffix(joinURL, "'") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Filter expression expected - /onlineMeetings?$filter={ParameterName} eq '{id}'."}})
		return
	}
	joinURL = strings.ReplaceAll(strings.TrimSuffix(joinURL, "'"), "''", "'")
	var doc struct {
		Value []json.RawMessage `json:"value"`
	}
	if file, ok := f.onlineMeetings[org]; ok {
		readFixture(f.t, file, &doc)
	}
	found := []json.RawMessage{}
	for _, m := range doc.Value {
		var head struct {
			JoinWebURL string `json:"joinWebUrl"`
		}
		_ = json.Unmarshal(m, &head)
		if head.JoinWebURL == joinURL {
			found = append(found, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/onlineMeetings", "value": found})
}

func (f *fakeGraph) servePagedFile(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" {
		writeFixture(f.t, w, http.StatusNotFound, "error_404.json")
		return
	}
	if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
		writeFixture(f.t, w, http.StatusNotFound, "error_404.json")
		return
	}
	var doc struct {
		Value []json.RawMessage `json:"value"`
	}
	readFixture(f.t, name, &doc)
	f.servePage(w, r, doc.Value)
}

// servePage answers one page of items with an absolute @odata.nextLink, as Graph does.
func (f *fakeGraph) servePage(w http.ResponseWriter, r *http.Request, items []json.RawMessage) {
	q := r.URL.Query()
	size := f.pageSize
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Invalid $top"}})
			return
		}
		size = n
	}
	offset := 0
	skipKey := "$skiptoken"
	if strings.HasSuffix(r.URL.Path, "/calendarView") {
		skipKey = "$skip"
	}
	if v := q.Get(skipKey); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "tok-"))
		if err != nil || n < 0 || n > len(items) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Invalid skip token"}})
			return
		}
		offset = n
	}
	end := min(offset+size, len(items))
	body := map[string]any{"value": append([]json.RawMessage{}, items[offset:end]...)}
	if end < len(items) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		if skipKey == "$skip" {
			next.Set(skipKey, strconv.Itoa(end))
		} else {
			next.Set(skipKey, "tok-"+strconv.Itoa(end))
		}
		body["@odata.nextLink"] = f.srv.URL + r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeFixture(t *testing.T, w http.ResponseWriter, status int, name string) {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Errorf("fixture %s: %v", name, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
