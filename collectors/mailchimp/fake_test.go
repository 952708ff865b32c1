package mailchimp

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/collectortest"
)

const (
	testListID = "a1b2c3d4e5"
	testKey    = "0123456789abcdef0123456789abcdef-us21"
)

var oslo = collectortest.Oslo

// testNow is the clock of most tests: 10 January 2023, noon in Oslo. The December 2022 newsletter
// (13 December) is then inside the 30-day refresh window, the November one is not.
var testNow = time.Date(2023, time.January, 10, 12, 0, 0, 0, oslo)

// fakeMailchimp answers /3.0/lists/{id}, /3.0/lists/{id}/growth-history and /3.0/reports the way
// Mailchimp does: HTTP Basic with the key as password, problem+json errors, count (≤ 1000) and
// offset paging with total_items, since_send_time/before_send_time filters that refuse a "+" sent
// unencoded, and the fields parameter honoured, so a field the collector reads but does not ask
// for comes back missing, as it would from the real API.
type fakeMailchimp struct {
	t      testing.TB
	key    string
	listID string

	mu      sync.Mutex
	list    map[string]any
	history []any
	reports []map[string]any
	// requests are the URLs asked for, in order.
	requests []*url.URL
	// served lists the campaign ids each /reports answer held.
	served []string
	// intercept, when set, may answer request n (1-based) itself. It runs with mu held.
	intercept func(n int, r *http.Request, w http.ResponseWriter) bool
	// faults, when set, picks a transport-level fault for request n (collectortest.Faulty).
	faults func(n int, r *http.Request) collectortest.Fault
	faulty *collectortest.Faulty
	server *httptest.Server
}

func newFake(t testing.TB) *fakeMailchimp {
	t.Helper()
	f := &fakeMailchimp{t: t, key: testKey, listID: testListID}
	readJSON(t, "list.json", &f.list)
	var history struct {
		History []any `json:"history"`
	}
	readJSON(t, "growth_history.json", &history)
	f.history = history.History
	f.reports = fixtureReports(t)
	f.faulty = &collectortest.Faulty{Handler: http.HandlerFunc(f.serve), Plan: func(n int, r *http.Request) collectortest.Fault {
		f.mu.Lock()
		plan := f.faults
		f.mu.Unlock()
		if plan == nil {
			return collectortest.NoFault
		}
		return plan(n, r)
	}}
	f.server = collectortest.Server(t, f.faulty)
	return f
}

// base is what base_url is set to.
func (f *fakeMailchimp) base() string { return f.server.URL + "/3.0" }

// update changes the fake while its server may be running.
func (f *fakeMailchimp) update(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func (f *fakeMailchimp) requestLog() []*url.URL {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeMailchimp) servedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.served)
}

// report returns the fixture report with id (to change it in place, inside update).
func (f *fakeMailchimp) report(id string) map[string]any {
	for _, r := range f.reports {
		if r["id"] == id {
			return r
		}
	}
	f.t.Fatalf("no fixture report %s", id)
	return nil
}

func (f *fakeMailchimp) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL)
	if f.intercept != nil && f.intercept(len(f.requests), r, w) {
		return
	}
	if _, pass, ok := r.BasicAuth(); !ok || pass != f.key {
		problemAnswer(w, http.StatusUnauthorized, "error_401.json")
		return
	}
	q := r.URL.Query()
	path := strings.TrimPrefix(r.URL.Path, "/3.0")
	switch {
	case path == "/lists/"+f.listID:
		f.answer(w, q, f.list)
	case path == "/lists/"+f.listID+"/growth-history":
		page, ok := pageOf(w, q, f.history)
		if ok {
			f.answer(w, q, map[string]any{"history": page, "list_id": f.listID, "total_items": len(f.history), "_links": []any{}})
		}
	case strings.HasPrefix(path, "/lists/"):
		problemAnswer(w, http.StatusNotFound, "error_404.json")
	case path == "/reports":
		f.serveReports(w, q)
	default:
		problemAnswer(w, http.StatusNotFound, "error_404.json")
	}
}

func (f *fakeMailchimp) serveReports(w http.ResponseWriter, q url.Values) {
	bound := func(name string) (time.Time, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, true
		}
		// An unencoded "+" arrives as a space and is not a date.
		t, err := time.Parse(time.RFC3339, v)
		return t, err == nil
	}
	since, ok1 := bound("since_send_time")
	before, ok2 := bound("before_send_time")
	if !ok1 || !ok2 {
		problemAnswer(w, http.StatusBadRequest, "error_400_invalid_param.json")
		return
	}
	var matching []any
	for _, r := range f.reports {
		sent, err := time.Parse(time.RFC3339, r["send_time"].(string))
		if err != nil {
			f.t.Errorf("fixture send_time %v: %v", r["send_time"], err)
		}
		// Both bounds exclusive: the least the API may give.
		if (!since.IsZero() && !sent.After(since)) || (!before.IsZero() && !sent.Before(before)) {
			continue
		}
		matching = append(matching, r)
	}
	page, ok := pageOf(w, q, matching)
	if !ok {
		return
	}
	for _, r := range page {
		f.served = append(f.served, r.(map[string]any)["id"].(string))
	}
	f.answer(w, q, map[string]any{"reports": page, "total_items": len(matching), "_links": []any{}})
}

// pageOf slices items by count (default 10, at most 1000) and offset.
func pageOf(w http.ResponseWriter, q url.Values, items []any) ([]any, bool) {
	count, offset := 10, 0
	if v := q.Get("count"); v != "" {
		count, _ = strconv.Atoi(v)
	}
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if count < 1 || count > 1000 || offset < 0 {
		problemAnswer(w, http.StatusBadRequest, "error_400_invalid_param.json")
		return nil, false
	}
	if offset >= len(items) {
		return []any{}, true
	}
	return items[offset:min(offset+count, len(items))], true
}

// answer writes v trimmed to the fields parameter, as Mailchimp does.
func (f *fakeMailchimp) answer(w http.ResponseWriter, q url.Values, v any) {
	if fields := q.Get("fields"); fields != "" {
		var paths [][]string
		for _, p := range strings.Split(fields, ",") {
			paths = append(paths, strings.Split(p, "."))
		}
		v = pick(v, paths)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake answer: %v", err)
	}
}

// pick keeps only the dotted paths of v; arrays pass the paths on to their elements.
func pick(v any, paths [][]string) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = pick(e, paths)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		deeper := map[string][][]string{}
		for _, p := range paths {
			if len(p) == 1 {
				if val, ok := v[p[0]]; ok {
					out[p[0]] = val
				}
				continue
			}
			deeper[p[0]] = append(deeper[p[0]], p[1:])
		}
		for k, sub := range deeper {
			if val, ok := v[k]; ok {
				out[k] = pick(val, sub)
			}
		}
		return out
	}
	return v
}

func problemAnswer(w http.ResponseWriter, status int, fixture string) {
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(collectortest.Fixture(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// fixtureReports returns the raw report objects of testdata/reports.json.
func fixtureReports(t testing.TB) []map[string]any {
	var all struct {
		Reports []map[string]any `json:"reports"`
	}
	readJSON(t, "reports.json", &all)
	return all.Reports
}

// testSettings builds the settings of source id from a YAML settings block.
func testSettings(t testing.TB, id, block string, log io.Writer) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, id, block, nil)
	s.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.Now = func() time.Time { return testNow }
	return s
}

// fastHTTP lifts the rate limit and shortens the waits so that retries take milliseconds.
func fastHTTP(o *collectors.HTTPOptions) {
	o.RequestsPerSecond = 10000
	o.Burst = 100
	o.WaitMin = time.Millisecond
	o.WaitMax = 20 * time.Millisecond
	o.AttemptTimeout = 2 * time.Second
}

// newTestCollector builds a collector against the fake with a page size that forces paging.
func newTestCollector(t testing.TB, f *fakeMailchimp, log io.Writer, tune func(*collectors.HTTPOptions)) *collector {
	t.Helper()
	block := "list_id: " + testListID + "\napi_key: " + testKey + "\nbase_url: " + f.base() + "\n"
	if tune == nil {
		tune = fastHTTP
	}
	c, err := newCollector(testSettings(t, "newsletter", block, log), tune)
	if err != nil {
		t.Fatal(err)
	}
	c.pageSize = 4
	return c
}
