package ga4

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
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

// Keys are generated once per test binary: RSA generation is slow under -race.
var (
	googleKnownKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
	unknownKey     = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
)

func mustRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

const (
	testProperty = "312345678"
	testSite     = "innomed.no"
	testKeyID    = "5f3c0a9e1d2b4c6f8a7e9d0c1b2a3f4e5d6c7b8a"
	testEmail    = "rekkevidde@innomed-analytics.iam.gserviceaccount.com"
	jwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// fakeGA is Google's token endpoint and the GA4 Data API in one server. It checks requests as
// Google does (a JWT assertion signed with the service account's key, a bearer token it issued,
// the runReport body), answers runReport from the generated dataset, and lets tests put their own
// answer or a fault in front.
type fakeGA struct {
	t    testing.TB
	srv  *httptest.Server
	mux  *http.ServeMux
	data dataset

	mu         sync.Mutex
	tokens     map[string]bool
	tokenCalls int
	requests   []fakeRequest // every authorised runReport request, in order
	refuseKey  bool
	// answer, when set, replaces the dataset (fixture tests); nil falls through to the dataset.
	answer func(req fakeRequest) *fakeAnswer
	// fault, when set, may answer runReport request n (counted from 1, before auth) instead.
	fault func(n int, req fakeRequest) *fakeAnswer
	hits  int
	// tokenFault, when set, may answer token request n (counted from 1) instead.
	tokenFault func(n int) *fakeAnswer
	// front, when set, answers every request in front of the fake (collectortest.Faulty).
	front http.Handler
}

type fakeAnswer struct {
	status int
	header http.Header
	body   []byte
	delay  time.Duration
}

func newFakeGA(t testing.TB) *fakeGA {
	f := &fakeGA{t: t, tokens: map[string]bool{}, data: newDataset()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /v1beta/", f.runReport)
	f.srv = collectortest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		front := f.front
		f.mu.Unlock()
		if front != nil {
			front.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	f.mux = mux
	return f
}

// setFront puts wrap(the fake) in front of it, so a test can inject faults around its answers.
func (f *fakeGA) setFront(wrap func(http.Handler) http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.front = wrap(f.mux)
}

// expireTokens makes every access token issued so far invalid, as when they expire.
func (f *fakeGA) expireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

func (f *fakeGA) fixtureAnswer(status int, name string) *fakeAnswer {
	return &fakeAnswer{status: status, body: collectortest.Fixture(f.t, name)}
}

// keyFile writes a service-account key JSON signed by key, whose token_uri is this server.
func (f *fakeGA) keyFile(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "innomed-analytics",
		"private_key_id":              testKeyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                testEmail,
		"client_id":                   "104766930411859227561",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   f.srv.URL + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/rekkevidde%40innomed-analytics.iam.gserviceaccount.com",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ga4-key.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// token implements the JWT bearer grant (RFC 7523) as oauth2.googleapis.com/token does.
func (f *fakeGA) token(w http.ResponseWriter, r *http.Request) {
	// Reading the body first lets the server notice a client that gives up.
	formErr := r.ParseForm()
	f.mu.Lock()
	f.tokenCalls++
	refuse, fault, n := f.refuseKey, f.tokenFault, f.tokenCalls
	f.mu.Unlock()
	if fault != nil {
		if a := fault(n); a != nil {
			f.write(w, r, a)
			return
		}
	}
	invalid := func(description string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"error":"invalid_grant","error_description":%q}`, description)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	if formErr != nil || r.PostForm.Get("grant_type") != jwtGrantType {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"unsupported_grant_type","error_description":"Invalid grant_type: "}`)
		return
	}
	if refuse {
		invalid("Invalid JWT Signature.")
		return
	}
	if problem := f.checkAssertion(r.PostForm.Get("assertion")); problem != "" {
		invalid(problem)
		return
	}
	token := "ya29.c.fake" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.mu.Lock()
	f.tokens[token] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, token)
}

func (f *fakeGA) checkAssertion(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "Invalid JWT: not a JWS compact serialization."
	}
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		return "Invalid JWT: undecodable segment."
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "Invalid JWT Signature."
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&googleKnownKey().PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return "Invalid JWT Signature."
	}
	now := time.Now().Unix()
	switch {
	case header.Alg != "RS256" || header.Kid != testKeyID:
		return "Invalid JWT: unexpected header."
	case claims.Iss != testEmail || claims.Aud != f.srv.URL+"/token":
		return "Invalid JWT: unexpected issuer or audience."
	case claims.Scope != "https://www.googleapis.com/auth/analytics.readonly":
		return "Invalid JWT: unexpected scope."
	case claims.Exp-claims.Iat > 3600 || claims.Exp < now || claims.Iat > now+60:
		return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	}
	return ""
}

func decodeSegment(seg string, into any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

// fakeRequest is a runReport body as Google reads it; limit and offset are int64, which the
// official clients send as strings and others as numbers.
type fakeRequest struct {
	DateRanges []struct {
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
	} `json:"dateRanges"`
	Dimensions      []struct{ Name string } `json:"dimensions"`
	Metrics         []struct{ Name string } `json:"metrics"`
	DimensionFilter *struct {
		Filter struct {
			FieldName    string `json:"fieldName"`
			InListFilter struct {
				Values []string `json:"values"`
			} `json:"inListFilter"`
		} `json:"filter"`
	} `json:"dimensionFilter"`
	OrderBys []struct {
		Dimension *struct {
			DimensionName string `json:"dimensionName"`
		} `json:"dimension"`
		Metric *struct {
			MetricName string `json:"metricName"`
		} `json:"metric"`
		Desc bool `json:"desc"`
	} `json:"orderBys"`
	Limit  jsonInt64 `json:"limit"`
	Offset jsonInt64 `json:"offset"`
}

type jsonInt64 int64

func (n *jsonInt64) UnmarshalJSON(raw []byte) error {
	v, err := strconv.ParseInt(string(bytes.Trim(raw, `"`)), 10, 64)
	*n = jsonInt64(v)
	return err
}

func (r fakeRequest) dims() string {
	var names []string
	for _, d := range r.Dimensions {
		names = append(names, d.Name)
	}
	return strings.Join(names, ",")
}

func (r fakeRequest) from() time.Time {
	d, _ := time.Parse(time.DateOnly, r.DateRanges[0].StartDate)
	return d
}
func (r fakeRequest) to() time.Time {
	d, _ := time.Parse(time.DateOnly, r.DateRanges[0].EndDate)
	return d
}

func (f *fakeGA) runReport(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req fakeRequest
	decodeErr := json.Unmarshal(body, &req)
	f.mu.Lock()
	f.hits++
	n := f.hits
	fault, answer := f.fault, f.answer
	f.mu.Unlock()
	if fault != nil {
		if a := fault(n, req); a != nil {
			f.write(w, r, a)
			return
		}
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	authorised := f.tokens[bearer]
	f.mu.Unlock()
	if !authorised {
		f.write(w, r, f.fixtureAnswer(http.StatusUnauthorized, "error_401_unauthenticated.json"))
		return
	}
	if r.URL.Path != "/v1beta/properties/"+testProperty+":runReport" {
		f.write(w, r, f.fixtureAnswer(http.StatusForbidden, "error_403_permission_denied.json"))
		return
	}
	if decodeErr != nil || len(req.DateRanges) != 1 || req.from().IsZero() || req.to().Before(req.from()) || req.Limit <= 0 {
		f.write(w, r, badRequest(fmt.Sprintf("test fake: malformed runReport body %s", body)))
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if answer != nil {
		if a := answer(req); a != nil {
			f.write(w, r, a)
			return
		}
	}
	f.write(w, r, f.fromDataset(req))
}

func (f *fakeGA) write(w http.ResponseWriter, r *http.Request, a *fakeAnswer) {
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(cmp.Or(a.status, http.StatusOK))
	_, _ = w.Write(a.body)
}

func badRequest(message string) *fakeAnswer {
	raw, _ := json.Marshal(map[string]any{"error": map[string]any{"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
	return &fakeAnswer{status: http.StatusBadRequest, body: raw}
}

// fakeRow is one row before the requested columns are picked.
type fakeRow struct {
	dims    map[string]string
	metrics map[string]uint64
}

func (f *fakeGA) fromDataset(req fakeRequest) *fakeAnswer {
	from, to := req.from(), req.to()
	var rows []fakeRow
	switch req.dims() {
	case "date,sessionDefaultChannelGroup,deviceCategory":
		for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
			for _, c := range f.data.traffic(day) {
				rows = append(rows, fakeRow{
					dims:    map[string]string{"date": day.Format("20060102"), "sessionDefaultChannelGroup": c.channel, "deviceCategory": c.device},
					metrics: map[string]uint64{"totalUsers": c.users, "sessions": c.sessions, "screenPageViews": c.views, "newUsers": c.newUsers},
				})
			}
		}
	case "":
		if u := f.data.uniques(from, to); u > 0 {
			rows = append(rows, fakeRow{metrics: map[string]uint64{"totalUsers": u}})
		}
	case "newVsReturning":
		for _, s := range f.data.newVsReturning(from, to) {
			rows = append(rows, fakeRow{dims: map[string]string{"newVsReturning": s.kind}, metrics: map[string]uint64{"totalUsers": s.users}})
		}
	case "pagePath", "pagePath,pageTitle":
		var only map[string]bool
		if req.DimensionFilter != nil {
			if req.DimensionFilter.Filter.FieldName != "pagePath" {
				return badRequest("test fake: filter on " + req.DimensionFilter.Filter.FieldName)
			}
			only = map[string]bool{}
			for _, v := range req.DimensionFilter.Filter.InListFilter.Values {
				only[v] = true
			}
		}
		views := f.data.pageViews(from, to)
		keys := slices.SortedFunc(maps.Keys(views), func(a, b pageKey) int {
			return cmp.Or(strings.Compare(a.path, b.path), strings.Compare(a.title, b.title))
		})
		for _, k := range keys {
			if only != nil && !only[k.path] {
				continue
			}
			rows = append(rows, fakeRow{dims: map[string]string{"pagePath": k.path, "pageTitle": k.title}, metrics: map[string]uint64{"screenPageViews": views[k]}})
		}
		if req.dims() == "pagePath" {
			rows = sumByPath(rows)
		}
	default:
		return badRequest("test fake: no such report: dimensions " + req.dims())
	}
	return f.render(req, rows)
}

func sumByPath(rows []fakeRow) []fakeRow {
	total := map[string]uint64{}
	for _, r := range rows {
		total[r.dims["pagePath"]] += r.metrics["screenPageViews"]
	}
	var out []fakeRow
	for _, p := range slices.Sorted(maps.Keys(total)) {
		out = append(out, fakeRow{dims: map[string]string{"pagePath": p}, metrics: map[string]uint64{"screenPageViews": total[p]}})
	}
	return out
}

// render orders, pages and serialises rows in the RunReportResponse shape: metric values as
// strings, and neither rows nor rowCount when there is no data.
func (f *fakeGA) render(req fakeRequest, rows []fakeRow) *fakeAnswer {
	for _, m := range req.Metrics {
		if len(rows) > 0 {
			if _, ok := rows[0].metrics[m.Name]; !ok {
				return badRequest("test fake: metric " + m.Name + " is not served with dimensions " + req.dims())
			}
		}
	}
	if len(req.OrderBys) == 0 {
		// Google gives no order unless asked; scramble so a collector cannot rely on one.
		slices.SortStableFunc(rows, func(a, b fakeRow) int { return cmp.Compare(scramble(a), scramble(b)) })
	}
	slices.SortStableFunc(rows, func(a, b fakeRow) int {
		for _, o := range req.OrderBys {
			var c int
			switch {
			case o.Dimension != nil:
				c = strings.Compare(a.dims[o.Dimension.DimensionName], b.dims[o.Dimension.DimensionName])
			case o.Metric != nil:
				c = cmp.Compare(a.metrics[o.Metric.MetricName], b.metrics[o.Metric.MetricName])
			}
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	resp := map[string]any{"kind": "analyticsData#runReport", "metadata": map[string]any{"currencyCode": "NOK", "timeZone": "Europe/Oslo"}}
	var dimHeaders, metricHeaders []map[string]string
	for _, d := range req.Dimensions {
		dimHeaders = append(dimHeaders, map[string]string{"name": d.Name})
	}
	for _, m := range req.Metrics {
		metricHeaders = append(metricHeaders, map[string]string{"name": m.Name, "type": "TYPE_INTEGER"})
	}
	if len(dimHeaders) > 0 {
		resp["dimensionHeaders"] = dimHeaders
	}
	resp["metricHeaders"] = metricHeaders
	if len(rows) > 0 {
		resp["rowCount"] = len(rows)
		offset := min(int(req.Offset), len(rows))
		end := min(offset+int(req.Limit), len(rows))
		var out []map[string]any
		for _, r := range rows[offset:end] {
			var dv, mv []map[string]string
			for _, d := range req.Dimensions {
				dv = append(dv, map[string]string{"value": r.dims[d.Name]})
			}
			for _, m := range req.Metrics {
				mv = append(mv, map[string]string{"value": strconv.FormatUint(r.metrics[m.Name], 10)})
			}
			row := map[string]any{"metricValues": mv}
			if len(dv) > 0 {
				row["dimensionValues"] = dv
			}
			out = append(out, row)
		}
		if len(out) > 0 {
			resp["rows"] = out
		}
	}
	raw, err := json.Marshal(resp)
	if err != nil {
		f.t.Error(err)
	}
	return &fakeAnswer{body: raw}
}

func scramble(r fakeRow) uint64 {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(r.dims)) {
		_, _ = io.WriteString(h, r.dims[k]+"|")
	}
	return h.Sum64()
}

// requestsFor returns the runReport requests with the given dimensions.
func (f *fakeGA) requestsFor(dims string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.dims() == dims {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeGA) tokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

func (f *fakeGA) hitCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func (f *fakeGA) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeGA) setFault(fault func(n int, req fakeRequest) *fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

func (f *fakeGA) setAnswer(answer func(req fakeRequest) *fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

func (f *fakeGA) setTokenFault(fault func(n int) *fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenFault = fault
}

func (f *fakeGA) setRefuseKey(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseKey = refuse
}

// --- the data the fake serves -------------------------------------------------------------

// dataset is a site's traffic, generated from a hash so that it is the same on every call: about a
// hundred sessions a day over GA's channel names and devices, with days of no traffic at all.
type dataset struct {
	noTraffic map[time.Time]bool
}

func newDataset() dataset {
	return dataset{noTraffic: map[time.Time]bool{
		time.Date(2022, 7, 14, 0, 0, 0, 0, time.UTC):  true,
		time.Date(2022, 12, 24, 0, 0, 0, 0, time.UTC): true,
	}}
}

// gaChannels are GA's sessionDefaultChannelGroup values with their share of traffic, including
// pairs that map onto one canonical channel (Paid Search + Paid Social, Organic Search + Organic
// Shopping) and names that map to "other".
var gaChannels = []struct {
	name   string
	weight uint64
}{
	{"Organic Search", 42}, {"Direct", 25}, {"Organic Social", 8}, {"Referral", 7}, {"Email", 5},
	{"Paid Search", 3}, {"Paid Social", 2}, {"Unassigned", 2}, {"Organic Shopping", 1}, {"Affiliates", 1}, {"(not set)", 1},
}

var gaDevices = []struct {
	name   string
	weight uint64
}{{"desktop", 60}, {"mobile", 35}, {"tablet", 4}, {"smart tv", 1}}

type trafficCell struct {
	channel, device                  string
	users, sessions, views, newUsers uint64
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, strings.Join(parts, "|"))
	return h.Sum64()
}

func (d dataset) traffic(day time.Time) []trafficCell {
	if d.noTraffic[day] {
		return nil
	}
	var out []trafficCell
	date := day.Format("20060102")
	for _, ch := range gaChannels {
		for _, dev := range gaDevices {
			h := hash64(date, ch.name, dev.name)
			sessions := ch.weight * dev.weight * (70 + h%60) / 10000
			if sessions == 0 && h%11 == 0 {
				sessions = 1
			}
			if sessions == 0 || h%9 == 0 {
				continue
			}
			users := sessions - sessions/8
			out = append(out, trafficCell{channel: ch.name, device: dev.name,
				users: users, sessions: sessions, views: sessions*2 + h%5, newUsers: users * 2 / 5})
		}
	}
	return out
}

// dailyUsers sums the days' totalUsers over a range: what a collector that summed days would get.
func (d dataset) dailyUsers(from, to time.Time) uint64 {
	var sum uint64
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		for _, c := range d.traffic(day) {
			sum += c.users
		}
	}
	return sum
}

// uniques is GA's deduplicated totalUsers for a range: fewer than the days' sum, the more so the
// longer the range, as returning visitors are counted once. Months do not add up to the quarter.
func (d dataset) uniques(from, to time.Time) uint64 {
	n := uint64(to.Sub(from).Hours()/24) + 1
	return d.dailyUsers(from, to) * 200 / (200 + n)
}

type visitorSplit struct {
	kind  string
	users uint64
}

// newVsReturning splits a range's users; a user who was new and came back is in both.
func (d dataset) newVsReturning(from, to time.Time) []visitorSplit {
	u := d.uniques(from, to)
	if u == 0 {
		return nil
	}
	return []visitorSplit{{"(not set)", u / 100}, {"new", u * 2 / 5}, {"returning", u * 7 / 10}}
}

type pageKey struct{ path, title string }

// testPages are the site's paths. Every third path was retitled on the 11th of each month, so its
// views split over two titles.
var testPages = func() []string {
	paths := []string{"/", "/verktoy/innovasjonsguiden", "/om-oss", "/arrangementer", "/nyheter", "/kontakt"}
	for i := 1; len(paths) < 70; i++ {
		paths = append(paths, fmt.Sprintf("/nyheter/sak-%03d", i))
	}
	return paths
}()

func (d dataset) pageViews(from, to time.Time) map[pageKey]uint64 {
	views := map[pageKey]uint64{}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		if d.noTraffic[day] {
			continue
		}
		for i, path := range testPages {
			v := (300/uint64(i+1) + hash64(day.Format(time.DateOnly), path)%13) / 2
			if v == 0 {
				continue
			}
			title := d.title(i, day)
			views[pageKey{path, title}] += v
		}
	}
	return views
}

func (d dataset) title(i int, day time.Time) string {
	if i%3 == 1 && day.Day() <= 10 {
		return fmt.Sprintf("Gammel tittel %d - InnoMed", i)
	}
	return fmt.Sprintf("Side %d - InnoMed", i)
}

// --- test collectors ------------------------------------------------------------------------

var testNow = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// testSettings builds a source's settings from a YAML block, as the config loader does.
func testSettings(t testing.TB, block string, env map[string]string, log *slog.Logger) collectors.Settings {
	t.Helper()
	s := collectortest.Settings(t, "ga4", block, env)
	s.Log = log
	s.Now = func() time.Time { return testNow }
	return s
}

// fastOptions keeps retries real but short.
func fastOptions() collectors.HTTPOptions {
	return collectors.HTTPOptions{WaitMin: time.Millisecond, WaitMax: 20 * time.Millisecond, RequestsPerSecond: 10000, Burst: 100, AttemptTimeout: 5 * time.Second}
}

// newTestCollector returns a collector signed in with the key Google knows, talking to f.
func newTestCollector(t testing.TB, f *fakeGA, extra string, opts collectors.HTTPOptions) (*Collector, *collectortest.LogBuffer) {
	t.Helper()
	return newCollectorWithKey(t, f, googleKnownKey(), extra, opts)
}

func newCollectorWithKey(t testing.TB, f *fakeGA, key *rsa.PrivateKey, extra string, opts collectors.HTTPOptions) (*Collector, *collectortest.LogBuffer) {
	t.Helper()
	logs := &collectortest.LogBuffer{}
	log := logs.Logger()
	block := fmt.Sprintf("site: %s\nproperty_id: %q\nbase_url: %s\ncredentials: {file: %q}\n%s", testSite, testProperty, f.srv.URL, f.keyFile(t, key), extra)
	c, err := newCollector(testSettings(t, block, nil, log), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}
