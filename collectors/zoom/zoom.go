// Package zoom collects webinar and network-meeting attendance from Zoom: registrants and unique
// attendees per held webinar or meeting, also broken down by sector (from e-mail domains, which
// are counted and then forgotten). Zoom keeps reports for six months only, so this source runs
// often and re-reads the last weeks; older events are imported from CSV. See README.md.
package zoom

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

const (
	defaultBaseURL  = "https://api.zoom.us/v2"
	defaultTokenURL = "https://zoom.us/oauth/token"
	defaultUserID   = "me"
	defaultAccount  = "innomed"
	// maxPageSize is the largest page Zoom serves for lists, registrants and participants.
	maxPageSize = 300
	// Report endpoints are labelled Heavy: 10 requests a second on Pro. Half of that leaves room
	// for other apps on the same account.
	requestsPerSecond = 5
)

// Kind registers the source type "zoom".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:        "zoom",
		Description: "Webinar and network-meeting attendance from Zoom: registrants, unique attendees, and both by sector",
		New:         New,
		Interval:    6 * time.Hour,
		// Reports appear up to an hour after an event and registrants trickle in: re-read two weeks.
		LookbackDays: 14,
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	// AccountID, ClientID and ClientSecret are the Server-to-Server OAuth app's credentials.
	AccountID    string        `yaml:"account_id"`
	ClientID     config.Secret `yaml:"client_id"`
	ClientSecret config.Secret `yaml:"client_secret"`
	// UserID is the Zoom user who hosts the webinars and meetings (id or e-mail; default "me").
	UserID string `yaml:"user_id"`
	// BaseURL is the Zoom API (https://api.zoom.us/v2) and TokenURL its token endpoint; tests and
	// proxies point them elsewhere.
	BaseURL  string `yaml:"base_url"`
	TokenURL string `yaml:"token_url"`
	// MeetingTopics selects the meetings that are events: a meeting is collected when its topic
	// contains one of these (case-insensitive). Empty: no meetings, webinars only.
	MeetingTopics []string `yaml:"meeting_topics"`
	// MeetingKind is the event kind meetings are stored as (default network_meeting).
	MeetingKind string `yaml:"meeting_kind"`
	// Account is the Rekkevidde events register the events go to (default innomed).
	Account string `yaml:"account"`
}

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// collector fetches one Zoom account's events.
type collector struct {
	accountID     string
	clientID      config.Secret
	clientSecret  config.Secret
	userID        string
	baseURL       string
	tokenURL      string
	meetingTopics []string
	meetingKind   string
	account       string
	sectors       *sectors.Table
	http          *collectors.HTTPClient
	pageSize      int
	loc           *time.Location
	now           func() time.Time
	log           *slog.Logger

	// token is the access token of this process: kept in memory only, never written or logged.
	tokenMu      sync.Mutex
	token        string
	tokenExpires time.Time

	// mu guards what one run's steps share (see cacheFor).
	mu            sync.Mutex
	webinarList   []webinar
	webinarListAt time.Time
	instances     map[int64]heldList
	// meetingList holds the meetings listed so far by UUID, meetingDays when each day was listed.
	meetingList map[string]reportSummary
	meetingDays map[time.Time]time.Time
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits and lift the rate limit).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("zoom: %w", err)
	}
	set.AccountID = strings.TrimSpace(set.AccountID)
	if set.AccountID == "" {
		return nil, fmt.Errorf("zoom: settings: account_id is required: the Account ID of the Server-to-Server OAuth app (Zoom App Marketplace → Manage → your app → App Credentials)")
	}
	if !set.ClientID.IsSet() {
		return nil, fmt.Errorf("zoom: settings: client_id is required: the app's Client ID, given as {env: NAME}, {file: PATH} or through %s", collectors.SecretEnvName(s.ID, "client_id"))
	}
	if !set.ClientSecret.IsSet() {
		return nil, fmt.Errorf("zoom: settings: client_secret is required: the app's Client Secret, given as {env: NAME}, {file: PATH} or through %s", collectors.SecretEnvName(s.ID, "client_secret"))
	}
	if set.UserID = strings.TrimSpace(set.UserID); set.UserID == "" {
		set.UserID = defaultUserID
	}
	base, err := collectors.BaseURL("zoom", "base_url", set.BaseURL, defaultBaseURL)
	if err != nil {
		return nil, err
	}
	tokenURL, err := collectors.BaseURL("zoom", "token_url", set.TokenURL, defaultTokenURL)
	if err != nil {
		return nil, err
	}
	if set.MeetingKind = strings.TrimSpace(set.MeetingKind); set.MeetingKind == "" {
		set.MeetingKind = figures.KindNetworkMeeting
	}
	if !slices.Contains(figures.EventKinds(), set.MeetingKind) {
		return nil, fmt.Errorf("zoom: settings: meeting_kind must be one of %s, got %q", strings.Join(figures.EventKinds(), ", "), set.MeetingKind)
	}
	var topics []string
	for i, t := range set.MeetingTopics {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			return nil, fmt.Errorf("zoom: settings: meeting_topics[%d] is empty: give a word the meetings' topics contain, e.g. Kompetansenettverksmøte", i)
		}
		topics = append(topics, t)
	}
	if set.Account = strings.TrimSpace(set.Account); set.Account == "" {
		set.Account = defaultAccount
	}
	table, err := sectors.New(s.Sectors)
	if err != nil {
		return nil, fmt.Errorf("zoom: %w", err)
	}
	opts := collectors.HTTPOptions{
		Source:            "zoom",
		RequestsPerSecond: requestsPerSecond,
		Burst:             requestsPerSecond,
		// Requests are made one after another; one slot is all that is ever used.
		Concurrency: 1,
		Secrets:     []string{set.ClientID.Value(), set.ClientSecret.Value()},
		RetryAt:     dailyLimitReset,
		Now:         s.Clock(),
		Log:         s.Logger(),
	}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		instances:     map[int64]heldList{},
		meetingList:   map[string]reportSummary{},
		meetingDays:   map[time.Time]time.Time{},
		accountID:     set.AccountID,
		clientID:      set.ClientID,
		clientSecret:  set.ClientSecret,
		userID:        set.UserID,
		baseURL:       base,
		tokenURL:      tokenURL,
		meetingTopics: topics,
		meetingKind:   set.MeetingKind,
		account:       set.Account,
		sectors:       table,
		http:          collectors.NewHTTPClient(opts),
		pageSize:      maxPageSize,
		loc:           s.Zone(),
		now:           s.Clock(),
		log:           s.Logger(),
	}, nil
}

// dailyLimitReset is the HTTP client's RetryAt hook. Zoom's daily limit (X-RateLimit-Type:
// Daily-limit) resets at 00:00 UTC; Zoom usually says when in Retry-After, and when it does not,
// every request before midnight is refused all the same, so the time is sure. Zoom's per-second
// limits (Light, Medium, Heavy) mend in moments and are left to the backoff.
func dailyLimitReset(status int, header http.Header, _ []byte, now time.Time) (time.Time, bool) {
	if status != http.StatusTooManyRequests || !strings.EqualFold(header.Get("X-RateLimit-Type"), "Daily-limit") {
		return time.Time{}, false
	}
	return days.Of(now, time.UTC).AddDate(0, 0, 1), true
}

// Collect adds every webinar instance and selected meeting held in window, each with its whole
// sector set. Webinars and meetings are fetched on their own (collectors.RunFamilies), and within
// them one event that fails does not cost the others theirs; an event whose report Zoom no longer
// has is a note, not a failure.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	families := []collectors.Family{{Name: "webinars (with registrants and participants)", Run: func(ctx context.Context) error {
		return c.collectWebinars(ctx, window, sink)
	}}}
	if len(c.meetingTopics) > 0 {
		families = append(families, collectors.Family{Name: "meetings (with participants)", Run: func(ctx context.Context) error {
			return c.collectMeetings(ctx, window, sink)
		}})
	}
	defer c.http.NoteRetries(sink)
	return collectors.RunFamilies(ctx, sink, families...)
}

// cacheFor is how long the webinar list and a webinar's held instances stand: the steps of one
// backfill share them, a scheduled run hours later asks again.
const cacheFor = time.Hour

// heldList is a webinar's held instances as Zoom answered them (a 404 included).
type heldList struct {
	list []instance
	err  error
	at   time.Time
}

// Interface guard.
var _ collectors.Collector = (*collector)(nil)

// inWindow tells whether instant t falls on a day of window in the configured zone.
func (c *collector) inWindow(t time.Time, window days.Range) bool {
	d := days.Of(t, c.loc)
	return !d.Before(window.From) && !d.After(window.To)
}

// reportHorizon is the first day Zoom still has reports for: six months back, plus a day so
// that Zoom's own count of six months never refuses the request.
func (c *collector) reportHorizon() time.Time {
	return days.Of(c.now(), c.loc).AddDate(0, -6, 1)
}
