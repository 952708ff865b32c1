package zoom

import (
	"encoding/base64"
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
	"github.com/innomed/rekkevidde/internal/days"
)

// fakeZoom answers like Zoom's API and token endpoint, from the fixtures in testdata: S2S token
// requests with Basic auth, Bearer checks with Zoom's 401 code 124, lists paged by page_size and
// opaque next_page_tokens, instance UUIDs that must be double-encoded when they start with "/" or
// hold "//", the meeting report's one-month and six-month limits, and 404 code 3001 for
// meetings and webinars it has no report of.
type fakeZoom struct {
	t            testing.TB
	accountID    string
	clientID     string
	clientSecret string
	// today is the fake's date, for the six-month report limit.
	today time.Time

	webinars            []json.RawMessage
	instances           map[string]string // webinar id → fixture
	summaries           map[string]string // instance UUID → fixture
	webinarParticipants map[string]string // instance UUID → fixture
	registrants         map[string]string // webinar id → fixture
	meetings            []json.RawMessage
	meetingParticipants map[string]string // meeting UUID → fixture

	mu          sync.Mutex
	tokens      int    // tokens issued
	validToken  string // the one token the API accepts
	pageTokens  map[string]pageToken
	requests    []fakeRequest
	expirePages bool // the next page token presented is refused as expired (once)
	// intercept, when set, may answer request n (1-based, token requests included) itself.
	// It runs with mu held.
	intercept func(n int, r *http.Request, w http.ResponseWriter) bool
	// faults, when set, picks a transport-level fault for API request n (collectortest.Faulty).
	faults func(n int, r *http.Request) collectortest.Fault
	faulty *collectortest.Faulty
}

type pageToken struct {
	list   string
	offset int
}

type fakeRequest struct {
	Method string
	Path   string // decoded once, as Zoom routes it
	Query  url.Values
}

func newFake(t testing.TB) *fakeZoom {
	t.Helper()
	f := &fakeZoom{
		t: t, accountID: "Ab1Cd2Ef3Gh4Ij5Kl6Mn7", clientID: "zoom-test-client-id-7d1e", clientSecret: "zoom-test-client-secret-9f3b2a",
		today:      days.Date(2026, 1, 20),
		pageTokens: map[string]pageToken{},
		instances: map[string]string{
			"89012345678": "instances_89012345678.json",
			"85678901234": "instances_85678901234.json",
			"83456789012": "instances_83456789012.json",
			"81234567890": "instances_81234567890.json",
		},
		summaries: map[string]string{
			"xK3v9QpLRwO2m7TzY1aBcA==": "report_webinar_81234567890.json",
			"Vg8IdgluR5WDeWIkpJlElQ==": "report_webinar_83456789012.json",
			"/ajXp112QmuoKj4854875==":  "report_webinar_85678901234_2025-09-11.json",
			"kq0gW3pUQnGbc//xvNQ6Cg==": "report_webinar_85678901234_2025-11-13.json",
		},
		webinarParticipants: map[string]string{
			"xK3v9QpLRwO2m7TzY1aBcA==": "participants_webinar_81234567890.json",
			"Vg8IdgluR5WDeWIkpJlElQ==": "participants_webinar_83456789012.json",
			"/ajXp112QmuoKj4854875==":  "participants_webinar_85678901234_2025-09-11.json",
			"kq0gW3pUQnGbc//xvNQ6Cg==": "participants_webinar_85678901234_2025-11-13.json",
		},
		registrants: map[string]string{
			"81234567890": "registrants_81234567890.json",
			"83456789012": "registrants_83456789012.json",
		},
		meetingParticipants: map[string]string{
			"Mt1oK8sB2nR4vD6fH8jL0A==": "participants_meeting_91234567890.json",
			"Mt2pL9tC3oS5wE7gJ9kM1B==": "participants_meeting_92345678901.json",
		},
	}
	var webinars struct {
		Webinars []json.RawMessage `json:"webinars"`
	}
	readFixture(t, "webinars.json", &webinars)
	f.webinars = webinars.Webinars
	var meetings struct {
		Meetings []json.RawMessage `json:"meetings"`
	}
	readFixture(t, "report_meetings.json", &meetings)
	f.meetings = meetings.Meetings
	return f
}

func readFixture(t testing.TB, name string, into any) {
	t.Helper()
	if err := json.Unmarshal(collectortest.Fixture(t, name), into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func (f *fakeZoom) server() *httptest.Server {
	f.faulty = &collectortest.Faulty{Handler: http.HandlerFunc(f.serve), Plan: func(n int, r *http.Request) collectortest.Fault {
		f.mu.Lock()
		plan := f.faults
		f.mu.Unlock()
		if plan == nil || !strings.HasPrefix(r.URL.Path, "/v2/") {
			return collectortest.NoFault
		}
		return plan(n, r)
	}}
	return collectortest.Server(f.t, f.faulty)
}

// update changes the fake while its server may be running.
func (f *fakeZoom) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// requestsTo returns the requests whose path starts with prefix.
func (f *fakeZoom) requestsTo(prefix string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// expireToken makes the API refuse the token it issued last, as when an hour has passed.
func (f *fakeZoom) expireToken() { f.update(func() { f.validToken = "" }) }

func (f *fakeZoom) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	segments, ok := f.zoomPath(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 3001, "message": "Meeting does not exist."})
		return
	}
	path := strings.Join(segments, "/")
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: path, Query: r.URL.Query()})
	if f.intercept != nil && f.intercept(len(f.requests), r, w) {
		return
	}
	if path == "/oauth/token" {
		f.serveToken(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.validToken || f.validToken == "" {
		writeFixture(f.t, w, http.StatusUnauthorized, "error_124_invalid_token.json")
		return
	}
	if len(segments) < 2 || segments[1] != "v2" {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not found: " + path})
		return
	}
	f.serveAPI(w, r, segments[2:])
}

// zoomPath decodes the path's segments once, as Zoom does. A UUID that starts with "/" or holds
// "//" only reaches its meeting when it was encoded twice, so it still holds %2F after one
// decoding.
func (f *fakeZoom) zoomPath(r *http.Request) ([]string, bool) {
	segments := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segments {
		once, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		if strings.Contains(once, "%") {
			if once, err = url.PathUnescape(once); err != nil {
				return nil, false
			}
		} else if strings.HasPrefix(once, "/") || strings.Contains(once, "//") {
			return nil, false // encoded once only: Zoom cannot find it
		}
		segments[i] = once
	}
	return segments, true
}

func (f *fakeZoom) serveToken(w http.ResponseWriter, r *http.Request) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.clientID+":"+f.clientSecret))
	q := r.URL.Query()
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != want || q.Get("grant_type") != "account_credentials" {
		writeFixture(f.t, w, http.StatusBadRequest, "token_invalid_client.json")
		return
	}
	if q.Get("account_id") != f.accountID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "Invalid account_id", "error": "invalid_request"})
		return
	}
	var token map[string]any
	readFixture(f.t, "token.json", &token)
	f.tokens++
	f.validToken = fmt.Sprintf("%s-%d", token["access_token"], f.tokens)
	token["access_token"] = f.validToken
	writeJSON(w, http.StatusOK, token)
}

func (f *fakeZoom) serveAPI(w http.ResponseWriter, r *http.Request, parts []string) {
	q := r.URL.Query()
	switch {
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "webinars":
		f.servePage(w, q, "webinars", "webinars", f.webinars)
	case len(parts) == 3 && parts[0] == "past_webinars" && parts[2] == "instances":
		f.serveFile(w, f.instances[parts[1]], "error_3001_webinar.json")
	case len(parts) == 3 && parts[0] == "report" && parts[1] == "webinars":
		f.serveFile(w, f.summaries[parts[2]], "error_3001_webinar.json")
	case len(parts) == 4 && parts[0] == "report" && parts[1] == "webinars" && parts[3] == "participants":
		f.servePagedFile(w, q, "participants", f.webinarParticipants[parts[2]], "error_3001_webinar.json")
	case len(parts) == 3 && parts[0] == "webinars" && parts[2] == "registrants":
		if q.Get("status") != "approved" {
			f.t.Errorf("registrants asked with status %q, want approved", q.Get("status"))
		}
		f.servePagedFile(w, q, "registrants", f.registrants[parts[1]], "error_3001_webinar.json")
	case len(parts) == 4 && parts[0] == "report" && parts[1] == "users" && parts[3] == "meetings":
		f.serveMeetingReport(w, q)
	case len(parts) == 4 && parts[0] == "report" && parts[1] == "meetings" && parts[3] == "participants":
		f.servePagedFile(w, q, "participants", f.meetingParticipants[parts[2]], "error_3001_meeting.json")
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not found: " + strings.Join(parts, "/")})
	}
}

// serveMeetingReport lists past meetings between from and to (UTC dates), refusing ranges Zoom
// refuses: longer than a month, starting more than six months back, or ending in the future.
func (f *fakeZoom) serveMeetingReport(w http.ResponseWriter, q url.Values) {
	from, err1 := days.Parse(q.Get("from"))
	to, err2 := days.Parse(q.Get("to"))
	if err1 != nil || err2 != nil || q.Get("type") != "past" || to.Before(from) ||
		to.After(from.AddDate(0, 1, 0)) || from.Before(f.today.AddDate(0, -6, 0)) || to.After(f.today) {
		writeFixture(f.t, w, http.StatusBadRequest, "error_300_date_range.json")
		return
	}
	var in []json.RawMessage
	for _, m := range f.meetings {
		var head struct {
			StartTime time.Time `json:"start_time"`
		}
		_ = json.Unmarshal(m, &head)
		if d := days.Of(head.StartTime, time.UTC); !d.Before(from) && !d.After(to) {
			in = append(in, m)
		}
	}
	f.servePage(w, q, "meetings:"+q.Get("from")+q.Get("to"), "meetings", in)
}

func (f *fakeZoom) serveFile(w http.ResponseWriter, name, missing string) {
	if name == "" {
		writeFixture(f.t, w, http.StatusNotFound, missing)
		return
	}
	writeFixture(f.t, w, http.StatusOK, name)
}

func (f *fakeZoom) servePagedFile(w http.ResponseWriter, q url.Values, field, name, missing string) {
	if name == "" {
		writeFixture(f.t, w, http.StatusNotFound, missing)
		return
	}
	var doc map[string]json.RawMessage
	readFixture(f.t, name, &doc)
	var items []json.RawMessage
	if err := json.Unmarshal(doc[field], &items); err != nil {
		f.t.Fatalf("%s: %v", name, err)
	}
	f.servePage(w, q, name, field, items)
}

// servePage answers one page of items in Zoom's envelope.
func (f *fakeZoom) servePage(w http.ResponseWriter, q url.Values, list, field string, items []json.RawMessage) {
	size := 30
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 300 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 300, "message": "Invalid field.", "errors": []map[string]string{{"field": "page_size", "message": "must be 1-300"}}})
			return
		}
		size = n
	}
	offset := 0
	if tok := q.Get("next_page_token"); tok != "" {
		pt, ok := f.pageTokens[tok]
		if !ok || pt.list != list || f.expirePages {
			f.expirePages = false
			writeFixture(f.t, w, http.StatusBadRequest, "error_300_page_token.json")
			return
		}
		offset = pt.offset
	}
	end := min(offset+size, len(items))
	next := ""
	if end < len(items) {
		next = fmt.Sprintf("tok%04d", len(f.pageTokens)+1)
		f.pageTokens[next] = pageToken{list: list, offset: end}
	}
	page := items[offset:end]
	if page == nil {
		page = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"page_count": (len(items) + size - 1) / size, "page_size": size, "total_records": len(items),
		"next_page_token": next, field: page,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeFixture(t testing.TB, w http.ResponseWriter, status int, name string) {
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Errorf("fixture %s: %v", name, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
