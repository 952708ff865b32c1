// Package teams collects webinar and meeting attendance from Microsoft Teams through Microsoft
// Graph: registrations and unique attendees per Teams webinar session and per selected online
// meeting of configured organisers, also by sector (from e-mail domains, counted and then
// forgotten). Graph keeps attendance reports for a year, and a report appears some time after an
// event ends, so the source re-reads a lookback window on every run. See README.md.
package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

const (
	defaultBaseURL  = "https://graph.microsoft.com/v1.0"
	defaultLoginURL = "https://login.microsoftonline.com"
	defaultAccount  = "innomed"
	// graphScope asks for every application permission the app was granted.
	graphScope = "https://graph.microsoft.com/.default"
	// defaultPageSize is the $top asked of the calendar view (Outlook serves 10 without one).
	defaultPageSize = 100
	// Graph allows far more for one app in one tenant (thousands of requests per 10 s across
	// services, fewer for the meeting artifact APIs); a few a second is plenty for a few events.
	requestsPerSecond = 4
	// credentialName is the row the client secret's expiry is recorded under.
	credentialName = "client_secret"
)

// Kind registers the source type "teams".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:        "teams",
		Description: "Webinar and meeting attendance from Microsoft Teams (Microsoft Graph): registrations, unique attendees, and both by sector",
		New:         New,
		Interval:    6 * time.Hour,
		// Attendance reports appear some minutes to hours after an event ends, and late
		// registrations and cancellations change the counts: re-read two weeks.
		LookbackDays: 14,
		ChunkDays:    31,
	}
}

// KindRule gives the events whose subject contains Contains (any case) the kind Kind.
type KindRule struct {
	Contains string `yaml:"contains"`
	Kind     string `yaml:"kind"`
}

// Settings is the source's settings block.
type Settings struct {
	// TenantID, ClientID and ClientSecret are the Entra ID app registration's credentials
	// (client credentials flow, application permissions).
	TenantID     string        `yaml:"tenant_id"`
	ClientID     string        `yaml:"client_id"`
	ClientSecret config.Secret `yaml:"client_secret"`
	// ClientSecretExpires is the secret's expiry date as Entra shows it (YYYY-MM-DD), for the
	// overview's freshness strip. Graph cannot tell an app when its own secret expires.
	ClientSecretExpires string `yaml:"client_secret_expires"`
	// Webinars turns the Teams webinars off (default on) for a tenant without VirtualEvent.Read.All.
	Webinars *bool `yaml:"webinars"`
	// Organizers are the users (UPN or object id) whose calendars are searched for meetings.
	Organizers []string `yaml:"organizers"`
	// Kinds decides each event's kind from its subject, first match wins. A meeting is collected
	// only when a rule matches; a webinar no rule matches is a webinar.
	Kinds []KindRule `yaml:"kinds"`
	// Account is the Rekkevidde events register the events go to (default innomed).
	Account string `yaml:"account"`
	// BaseURL is Graph (https://graph.microsoft.com/v1.0) and LoginURL Entra ID's authority
	// (https://login.microsoftonline.com); tests and national clouds point them elsewhere.
	BaseURL  string `yaml:"base_url"`
	LoginURL string `yaml:"login_url"`
}

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// collector fetches one tenant's Teams events.
type collector struct {
	tenantID      string
	credentials   clientcredentials.Config
	secretExpires *time.Time
	webinars      bool
	organizers    []string
	kinds         []KindRule
	account       string
	baseURL       string
	sectors       *sectors.Table
	http          *collectors.HTTPClient
	pageSize      int
	loc           *time.Location
	now           func() time.Time
	log           *slog.Logger

	// token is this process's access token: kept in memory only, never written or logged.
	tokenMu      sync.Mutex
	token        *oauth2.Token
	tokenExpires time.Time
}

var _ collectors.Collector = (*collector)(nil)

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits and lift the rate limit).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	set.TenantID = strings.TrimSpace(set.TenantID)
	switch strings.ToLower(set.TenantID) {
	case "":
		return nil, fmt.Errorf("teams: settings: tenant_id is required: the Directory (tenant) ID of the app registration (Entra admin center → App registrations → your app → Overview)")
	case "common", "organizations", "consumers":
		return nil, fmt.Errorf("teams: settings: tenant_id %q is not a tenant: app-only access needs the organisation's own tenant id or domain", set.TenantID)
	}
	if strings.ContainsAny(set.TenantID, "/?# ") {
		return nil, fmt.Errorf("teams: settings: tenant_id %q must be a tenant id (a GUID) or domain, not a URL", set.TenantID)
	}
	if set.ClientID = strings.TrimSpace(set.ClientID); set.ClientID == "" {
		return nil, fmt.Errorf("teams: settings: client_id is required: the Application (client) ID of the app registration")
	}
	if !set.ClientSecret.IsSet() {
		return nil, fmt.Errorf("teams: settings: client_secret is required: a client secret of the app registration, given as {env: NAME}, {file: PATH} or through %s", collectors.SecretEnvName(s.ID, "client_secret"))
	}
	var expires *time.Time
	if v := strings.TrimSpace(set.ClientSecretExpires); v != "" {
		d, err := days.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("teams: settings: client_secret_expires: %w (the Expires date under Certificates & secrets)", err)
		}
		// Entra shows only the date; the secret stops at some time that day, so the strip counts
		// from its start and names the same date the portal shows.
		start := days.Start(d, s.Zone()).UTC()
		expires = &start
	}
	base, err := collectors.BaseURL("teams", "base_url", set.BaseURL, defaultBaseURL)
	if err != nil {
		return nil, err
	}
	login, err := collectors.BaseURL("teams", "login_url", set.LoginURL, defaultLoginURL)
	if err != nil {
		return nil, err
	}
	var organizers []string
	for i, o := range set.Organizers {
		if o = strings.TrimSpace(o); o == "" || strings.ContainsAny(o, "/?# ") {
			return nil, fmt.Errorf("teams: settings: organizers[%d] must be a user principal name or object id", i)
		}
		organizers = append(organizers, o)
	}
	var rules []KindRule
	for i, r := range set.Kinds {
		r.Contains = strings.ToLower(strings.TrimSpace(r.Contains))
		if r.Contains == "" {
			return nil, fmt.Errorf("teams: settings: kinds[%d].contains is empty: give words the events' subjects contain, e.g. Kompetansenettverksmøte", i)
		}
		if !slices.Contains(figures.EventKinds(), r.Kind) {
			return nil, fmt.Errorf("teams: settings: kinds[%d].kind must be one of %s, got %q", i, strings.Join(figures.EventKinds(), ", "), r.Kind)
		}
		rules = append(rules, r)
	}
	if len(organizers) > 0 && len(rules) == 0 {
		return nil, fmt.Errorf("teams: settings: organizers are given but no kinds: a meeting is collected only when its subject matches a kinds rule (an organiser's calendar is full of internal meetings)")
	}
	if set.Account = strings.TrimSpace(set.Account); set.Account == "" {
		set.Account = defaultAccount
	}
	table, err := sectors.New(s.Sectors)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	opts := collectors.HTTPOptions{
		Source:            "teams",
		RequestsPerSecond: requestsPerSecond,
		Burst:             requestsPerSecond,
		Concurrency:       1, // requests are made one after another
		Secrets:           []string{set.ClientSecret.Value()},
		Now:               s.Clock(),
		Log:               s.Logger(),
	}
	if tune != nil {
		tune(&opts)
	}
	return &collector{
		tenantID: set.TenantID,
		credentials: clientcredentials.Config{
			ClientID:     set.ClientID,
			ClientSecret: set.ClientSecret.Value(),
			TokenURL:     login + "/" + url.PathEscape(set.TenantID) + "/oauth2/v2.0/token",
			Scopes:       []string{graphScope},
			AuthStyle:    oauth2.AuthStyleInParams,
		},
		secretExpires: expires,
		webinars:      set.Webinars == nil || *set.Webinars,
		organizers:    organizers,
		kinds:         rules,
		account:       set.Account,
		baseURL:       base,
		sectors:       table,
		http:          collectors.NewHTTPClient(opts),
		pageSize:      defaultPageSize,
		loc:           s.Zone(),
		now:           s.Clock(),
		log:           s.Logger(),
	}, nil
}

// Collect adds every Teams webinar session and selected meeting held in window, each with its
// whole sector set. Webinars, meetings, registrations and attendance are fetched as independent
// families: one failing costs only the events that need it. An event is added only when all its
// figures are complete, since a newer record replaces the stored one whole.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	r := &run{c: c, window: window, sink: sink,
		registrations: map[string]*registrationCounts{}, attendance: map[string]*attendance{}}
	var families []collectors.Family
	if c.webinars {
		families = append(families, collectors.Family{Name: "webinars", Run: r.findWebinars})
	}
	if len(c.organizers) > 0 {
		families = append(families, collectors.Family{Name: "meetings", Run: r.findMeetings})
	}
	if c.webinars {
		families = append(families, collectors.Family{Name: "registrations", Run: r.readRegistrations})
	}
	families = append(families, collectors.Family{Name: "attendance", Run: r.readAttendance})
	err := collectors.RunFamilies(ctx, sink, families...)
	r.addEvents()
	// The expiry goes with the figures; a run that got nothing must stay a failure.
	if c.secretExpires != nil && (err == nil || len(sink.Records()) > 0) {
		sink.Add(figures.Credential{Name: credentialName, ExpiresAt: c.secretExpires, CheckedAt: c.now().UTC()})
	}
	return err
}

// run is one Collect call's findings, filled family by family.
type run struct {
	c      *collector
	window days.Range
	sink   *collectors.Sink
	// sessions are the webinar sessions that may have been held in the window.
	sessions []*webinarSession
	// occurrences are the selected meetings held in the window.
	occurrences []*occurrence
	// registrations by webinar id, attendance by event key; an entry with err set failed.
	registrations map[string]*registrationCounts
	attendance    map[string]*attendance
}

// kindOf returns the kind a subject names, or "" when no rule matches.
func (c *collector) kindOf(subject string) string {
	s := strings.ToLower(subject)
	for _, r := range c.kinds {
		if strings.Contains(s, r.Contains) {
			return r.Kind
		}
	}
	return ""
}

// inWindow tells whether instant t falls on a day of window in the configured zone.
func (c *collector) inWindow(t time.Time, window days.Range) bool {
	d := days.Of(t, c.loc)
	return !d.Before(window.From) && !d.After(window.To)
}

// retentionHorizon is the first day Graph still has attendance reports for: a year back, plus a
// day so that Graph's own count of a year never refuses the request.
func (c *collector) retentionHorizon() time.Time {
	return days.Of(c.now(), c.loc).AddDate(-1, 0, 1)
}

// eventID is the stored id of an event: "teams-" and a hash of Graph's ids. Graph's meeting and
// calendar ids encode the organiser's user id, which must not be stored.
func eventID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "teams-" + hex.EncodeToString(sum[:12])
}

// localDay is an instant's calendar day in the configured zone, for messages.
func (c *collector) localDay(t time.Time) string { return days.Format(days.Of(t, c.loc)) }

// addEvent adds an event and its whole sector set; the sectors add up to the event's counts.
func (r *run) addEvent(id, kind, title string, start time.Time, end *time.Time, registered *sectors.Counts, attended sectors.Counts) {
	c := r.c
	ev := figures.Event{
		AccountID:       c.account,
		EventID:         id,
		Kind:            kind,
		Title:           collectors.HideEmailAddresses(strings.TrimSpace(title)),
		StartsAt:        start.UTC(),
		AttendedDigital: collectors.Uint32(attended.Total()),
	}
	if end != nil && end.After(start) {
		e := end.UTC()
		ev.EndsAt = &e
	}
	if registered != nil {
		ev.Registered = collectors.Uint32(registered.Total())
	}
	records := []figures.Record{ev}
	for _, s := range figures.Sectors() {
		row := figures.EventSector{AccountID: c.account, EventID: id, Sector: s, Attended: attended[s]}
		if registered != nil {
			row.Registered = (*registered)[s]
		}
		records = append(records, row)
	}
	r.sink.Add(records...)
}
