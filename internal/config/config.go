// Package config loads Rekkevidde's one YAML file, applies environment overrides and validates the
// result. Every problem names the key it concerns; secrets are never part of any message.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPath names the environment variable that points at the config file when --config is not given.
const EnvPath = "REKKEVIDDE_CONFIG"

// Config is the whole configuration. The annotated example is deploy/rekkevidde.example.yaml.
type Config struct {
	// Timezone decides which calendar day a figure belongs to (Europe/Oslo for InnoMed).
	Timezone string `yaml:"timezone"`
	// Language is the dashboard's default language: "nb" (bokmål) or "en".
	Language   string     `yaml:"language"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	HTTP       HTTP       `yaml:"http"`
	// Cache bounds the dashboard's in-memory cache of pages and figures (internal/cache).
	Cache Cache `yaml:"cache"`
	// Sites, accounts and lists are what every table is keyed by, so one install can hold several.
	Sites []Site `yaml:"sites"`
	// Sources are the collectors to run; each has its type's own settings block.
	Sources []Source `yaml:"sources"`
	// StateDir keeps what collectors must remember between runs that is not a figure: refreshed
	// OAuth tokens, feed validators (ETag). Files are written 0600.
	StateDir string `yaml:"state_dir"`
	// Sectors maps e-mail domains to the sectors attendance is counted by; empty takes the
	// built-in Norwegian table (internal/sectors).
	Sectors []SectorRule `yaml:"sectors"`
	// Auth decides who may see and change what on the dashboard.
	Auth Auth `yaml:"auth"`
	// Targets are yearly goals shown as progress on the dashboard and in reports.
	Targets []Target `yaml:"targets"`
	// Email sends the quarterly report by e-mail after each quarter closes.
	Email Email `yaml:"email"`
	// PDF prints the reports to PDF with headless Chromium (internal/pdf).
	PDF PDF `yaml:"pdf"`

	location *time.Location
}

// ClickHouse says where the figures live.
type ClickHouse struct {
	// Addr is host:port, or several separated by commas (servers of one cluster): a connection
	// goes to the first that answers.
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Secure switches the native protocol to TLS (ClickHouse Cloud, port 9440).
	Secure      bool          `yaml:"secure"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// Cluster, when set, is the <remote_servers> cluster the schema is created on: Replicated
	// tables per shard and Distributed tables over them (internal/store/ddl.go). Empty: one server.
	Cluster string `yaml:"cluster"`
}

// HTTP configures the dashboard's listener.
type HTTP struct {
	Listen string `yaml:"listen"`
	// TrustedProxies are the reverse proxies (IP addresses or CIDR ranges) whose X-Forwarded-For
	// and X-Forwarded-Proto are believed. Empty (the default) believes no one: the peer's own
	// address and the connection's own scheme count, since any client can write those headers.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Cache bounds the dashboard's cache. Entries are keyed by the data version, so the bound is only
// about memory: a write anywhere makes older entries unreachable at once.
type Cache struct {
	// MaxBytes is the most the cache holds (pages and figures, counted by size); 0 turns it off.
	MaxBytes int64 `yaml:"max_bytes"`
}

// PDF configures printing the reports to PDF ("Last ned PDF", the quarterly e-mail's attachment).
// Without a browser the reports are offered as HTML, CSV, XLSX and JSON only.
type PDF struct {
	// Chromium is the browser's path; empty looks up chromium, chromium-browser or google-chrome
	// on PATH.
	Chromium string `yaml:"chromium"`
	// Timeout bounds one render; 0 takes 60s.
	Timeout time.Duration `yaml:"timeout"`
}

// Site is one website whose traffic is collected and shown.
type Site struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Auth configures dashboard sign-in. Only /healthz and /readyz are public.
type Auth struct {
	// SessionKey signs session cookies (at least 32 bytes). When empty, a random key is generated
	// once and kept in state_dir, so sessions survive restarts without anyone choosing a key.
	SessionKey Secret `yaml:"session_key"`
	// SessionTTL is how long a sign-in lasts (default 12h).
	SessionTTL time.Duration `yaml:"session_ttl"`
	// Users are local accounts; create a password hash with `rekkevidde user hash`.
	Users []User `yaml:"users"`
	// OIDC enables sign-in with an OpenID Connect provider such as Microsoft Entra ID.
	OIDC *OIDC `yaml:"oidc"`
}

// Roles, from least to most rights.
const (
	RoleViewer = "viewer"
	RoleEditor = "editor"
	RoleAdmin  = "admin"
)

// User is a local account. Only the bcrypt hash of its password is ever configured.
type User struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
	Role         string `yaml:"role"`
}

// OIDC is an OpenID Connect provider.
type OIDC struct {
	// Issuer is the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0.
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// RedirectURL is this dashboard's callback, e.g. https://rekkevidde.example.no/auth/callback.
	RedirectURL string `yaml:"redirect_url"`
	// RoleClaim names the ID-token claim holding the user's roles or groups (default "roles").
	RoleClaim string `yaml:"role_claim"`
	// Roles maps a claim value to a role; the highest matching role wins.
	Roles map[string]string `yaml:"roles"`
	// DefaultRole is given to a signed-in user no mapping matches; empty refuses such users.
	DefaultRole string `yaml:"default_role"`
	// Label is the sign-in button's text (default "Logg inn med Microsoft").
	Label string `yaml:"label"`
}

// Email configures the scheduled delivery of the quarterly report (internal/delivery): an HTML
// message with the quarter's CSV attached, sent once per quarter on send_day after it closes.
type Email struct {
	// Enabled switches the delivery on; everything else is checked only when it is.
	Enabled bool `yaml:"enabled"`
	// Host and Port are the SMTP server's. Port 0 takes the TLS mode's usual port: 587 for
	// starttls, 465 for implicit, 25 for none.
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Username and Password sign in to the server; both empty sends without signing in (a relay
	// that trusts this host).
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// From is the sender ("Rekkevidde <rekkevidde@innomed.no>"); To the recipients.
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// TLS is how the connection is protected: "starttls" (default; the server must offer it),
	// "implicit" (TLS from the first byte, port 465) or "none" (only for a relay on this host).
	TLS string `yaml:"tls"`
	// SendDay is how many days after a quarter's last day its report goes out (default 5: the
	// collectors' lookback has re-fetched the quarter's last days by then).
	SendDay int `yaml:"send_day"`
	// SendHour is the local hour of that day from which it is sent (default 8).
	SendHour int `yaml:"send_hour"`
}

// E-mail TLS modes.
const (
	EmailSTARTTLS = "starttls"
	EmailImplicit = "implicit"
	EmailNoTLS    = "none"
)

// Target is a yearly goal for one KPI, e.g. {kpi: social.followers.linkedin, year: 2023, value: 700}.
// The dashboard lists the KPI names it knows and refuses others at start.
type Target struct {
	KPI   string  `yaml:"kpi"`
	Year  int     `yaml:"year"`
	Value float64 `yaml:"value"`
}

// SectorRule maps an e-mail domain to a sector. Domain is an exact domain ("ks.no") or a suffix
// pattern ("*.kommune.no", which also matches "kommune.no" itself).
type SectorRule struct {
	Domain string `yaml:"domain"`
	Sector string `yaml:"sector"`
}

// Source is one collector instance. Its settings block is decoded, strictly, by its type
// (see collectors/<type>/README.md); everything else here is common to all types.
type Source struct {
	// ID names the instance in `rekkevidde collect ID`, in logs and in every row it writes.
	ID   string `yaml:"id"`
	Type string `yaml:"type"`
	// Disabled keeps a source configured but off the schedule.
	Disabled bool `yaml:"disabled"`
	// Interval between scheduled runs; 0 takes the type's default.
	Interval time.Duration `yaml:"interval"`
	// LookbackDays is how many days before the last complete day are fetched again on every run,
	// because providers revise recent figures; 0 takes the type's default.
	LookbackDays int `yaml:"lookback_days"`
	// ChunkDays is how many days one backfill step covers; 0 takes the type's default.
	ChunkDays int `yaml:"chunk_days"`
	// StartDate is the first day fetched when the source holds nothing yet (YYYY-MM-DD).
	StartDate string `yaml:"start_date"`
	// From and Until (YYYY-MM-DD, both included, either may be empty) are the only days the source
	// ever collects: backfills are clipped to them and incremental runs stop after Until. They let
	// a site switch analytics provider without two sources writing the same site-days.
	From     string    `yaml:"from"`
	Until    string    `yaml:"until"`
	Settings yaml.Node `yaml:"settings"`
}

// Defaults returns the configuration used when the file leaves a key out: a local install
// against the private ClickHouse that `make run` starts.
func Defaults() Config {
	return Config{
		Timezone: "Europe/Oslo",
		Language: "nb",
		ClickHouse: ClickHouse{
			Addr:        "127.0.0.1:19000",
			Database:    "rekkevidde",
			Username:    "default",
			DialTimeout: 5 * time.Second,
		},
		HTTP: HTTP{Listen: "127.0.0.1:8080"},
		// 32 MB holds some hundred rendered pages while serve stays under 64 MB in all.
		Cache:    Cache{MaxBytes: 32 << 20},
		Auth:     Auth{SessionTTL: 12 * time.Hour},
		Email:    Email{TLS: EmailSTARTTLS, SendDay: 5, SendHour: 8},
		Sites:    []Site{{ID: "innomed.no", Name: "innomed.no"}},
		StateDir: "var/state",
	}
}

// Load reads the file at path (empty: defaults only), applies environment overrides and validates.
func Load(path string, env func(string) string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := decodeStrict(raw, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := cfg.applyEnv(env); err != nil {
		return Config{}, err
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Location is the time zone that days are counted in.
func (c Config) Location() *time.Location { return c.location }

// SiteIDs lists the configured sites in order.
func (c Config) SiteIDs() []string {
	ids := make([]string, len(c.Sites))
	for i, s := range c.Sites {
		ids[i] = s.ID
	}
	return ids
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)

// decodeStrict refuses keys the config does not know, so a typo never silently falls back to a default.
func decodeStrict(raw []byte, into *Config) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(into)
	if err == nil {
		return nil
	}
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) {
		msgs := make([]string, 0, len(typeErr.Errors))
		for _, m := range typeErr.Errors {
			if sub := unknownField.FindStringSubmatch(m); sub != nil {
				msgs = append(msgs, fmt.Sprintf("line %s: unknown key %q in %s", sub[1], sub[2], sectionName(sub[3])))
				continue
			}
			msgs = append(msgs, strings.TrimPrefix(m, "yaml: "))
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return fmt.Errorf("not valid YAML: %w", err)
}

func sectionName(goType string) string {
	switch goType {
	case "Config":
		return "the top level"
	case "ClickHouse":
		return "clickhouse"
	case "HTTP":
		return "http"
	case "Site":
		return "sites[]"
	case "Source":
		return "sources[]"
	case "SectorRule":
		return "sectors[]"
	case "Auth":
		return "auth"
	case "User":
		return "auth.users[]"
	case "OIDC":
		return "auth.oidc"
	case "Target":
		return "targets[]"
	case "Email":
		return "email"
	case "PDF":
		return "pdf"
	default:
		return strings.ToLower(goType)
	}
}

// applyEnv lets deployments override the address and every secret without editing the file.
func (c *Config) applyEnv(env func(string) string) error {
	if v := env("REKKEVIDDE_CLICKHOUSE_ADDR"); v != "" {
		c.ClickHouse.Addr = v
	}
	if v := env("REKKEVIDDE_CLICKHOUSE_DATABASE"); v != "" {
		c.ClickHouse.Database = v
	}
	if v := env("REKKEVIDDE_CLICKHOUSE_CLUSTER"); v != "" {
		c.ClickHouse.Cluster = v
	}
	if v := env("REKKEVIDDE_CLICKHOUSE_USERNAME"); v != "" {
		c.ClickHouse.Username = v
	}
	if v := env("REKKEVIDDE_HTTP_LISTEN"); v != "" {
		c.HTTP.Listen = v
	}
	if v := env("REKKEVIDDE_STATE_DIR"); v != "" {
		c.StateDir = v
	}
	if err := c.Auth.SessionKey.Override("REKKEVIDDE_AUTH_SESSION_KEY", env); err != nil {
		return err
	}
	if c.Auth.OIDC != nil {
		if err := c.Auth.OIDC.ClientSecret.Override("REKKEVIDDE_AUTH_OIDC_CLIENT_SECRET", env); err != nil {
			return err
		}
	}
	if err := c.Email.Password.Override("REKKEVIDDE_EMAIL_PASSWORD", env); err != nil {
		return err
	}
	return c.ClickHouse.Password.Override("REKKEVIDDE_CLICKHOUSE_PASSWORD", env)
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		bad("timezone", "%q is not an IANA time zone (e.g. Europe/Oslo)", c.Timezone)
	}
	c.location = loc
	if c.Language != "nb" && c.Language != "en" {
		bad("language", "must be \"nb\" or \"en\", got %q", c.Language)
	}
	for _, addr := range strings.Split(c.ClickHouse.Addr, ",") {
		if _, port, err := net.SplitHostPort(strings.TrimSpace(addr)); err != nil || port == "" {
			bad("clickhouse.addr", "must be host:port (native protocol, e.g. 127.0.0.1:9000), or several separated by commas, got %q", c.ClickHouse.Addr)
			break
		}
	}
	if c.ClickHouse.Cluster != "" && !identifier.MatchString(c.ClickHouse.Cluster) {
		bad("clickhouse.cluster", "must be the plain name (letters, digits, _) of a cluster in the servers' remote_servers, got %q", c.ClickHouse.Cluster)
	}
	if !identifier.MatchString(c.ClickHouse.Database) {
		bad("clickhouse.database", "must be a plain identifier (letters, digits, _), got %q", c.ClickHouse.Database)
	}
	if c.ClickHouse.Username == "" {
		bad("clickhouse.username", "must not be empty")
	}
	if c.PDF.Timeout < 0 {
		bad("pdf.timeout", "must be a positive duration such as 60s, or left out")
	}
	if c.ClickHouse.DialTimeout <= 0 {
		bad("clickhouse.dial_timeout", "must be a positive duration such as 5s")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "must be host:port, got %q", c.HTTP.Listen)
	}
	if c.Cache.MaxBytes < 0 {
		bad("cache.max_bytes", "must be 0 (no cache) or a size in bytes, got %d", c.Cache.MaxBytes)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParseAddr(p); err != nil {
			if _, err := netip.ParsePrefix(p); err != nil {
				bad("http.trusted_proxies", "must be IP addresses or CIDR ranges (10.0.0.0/8), got %q", p)
			}
		}
	}
	if len(c.Sites) == 0 {
		bad("sites", "at least one site is needed")
	}
	seen := map[string]bool{}
	for i, s := range c.Sites {
		key := fmt.Sprintf("sites[%d].id", i)
		switch {
		case strings.TrimSpace(s.ID) == "":
			bad(key, "must not be empty")
		case seen[s.ID]:
			bad(key, "%q is listed twice", s.ID)
		}
		seen[s.ID] = true
		if s.Name == "" {
			c.Sites[i].Name = s.ID
		}
	}
	if c.StateDir == "" {
		bad("state_dir", "must not be empty")
	}
	for i, rule := range c.Sectors {
		key := fmt.Sprintf("sectors[%d]", i)
		if d := strings.TrimPrefix(rule.Domain, "*."); d == "" || strings.ContainsAny(d, "*@ /") {
			bad(key+".domain", "must be a domain like ks.no or *.kommune.no, got %q", rule.Domain)
		}
		if !slices.Contains(sectorNames(), rule.Sector) {
			bad(key+".sector", "must be one of %s, got %q", strings.Join(sectorNames(), ", "), rule.Sector)
		}
	}
	c.validateAuth(bad)
	c.validateEmail(bad)
	for i, t := range c.Targets {
		key := fmt.Sprintf("targets[%d]", i)
		if t.KPI == "" {
			bad(key+".kpi", "must name a KPI (the dashboard's KPI list names them)")
		}
		if t.Year < 2000 || t.Year > 2100 {
			bad(key+".year", "must be a year such as 2023, got %d", t.Year)
		}
		if t.Value <= 0 {
			bad(key+".value", "must be above 0, got %v", t.Value)
		}
	}
	ids := map[string]bool{}
	for i, src := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch {
		case !sourceID.MatchString(src.ID):
			bad(key+".id", "must be letters, digits, - or _ (e.g. ga4 or matomo-innomed), got %q", src.ID)
		case ids[src.ID]:
			bad(key+".id", "%q is listed twice", src.ID)
		}
		ids[src.ID] = true
		if src.Type == "" {
			bad(key+".type", "must name the source type (ga4, matomo, plausible, …)")
		}
		if src.Interval < 0 || (src.Interval > 0 && src.Interval < time.Minute) {
			bad(key+".interval", "must be at least 1m, got %s", src.Interval)
		}
		if src.LookbackDays < 0 || src.LookbackDays > 366 {
			bad(key+".lookback_days", "must be between 0 and 366, got %d", src.LookbackDays)
		}
		if src.ChunkDays < 0 || src.ChunkDays > 366 {
			bad(key+".chunk_days", "must be between 0 and 366, got %d", src.ChunkDays)
		}
		if src.StartDate != "" {
			if _, err := time.Parse(time.DateOnly, src.StartDate); err != nil {
				bad(key+".start_date", "must be a date YYYY-MM-DD, got %q", src.StartDate)
			}
		}
		c.validateSourceDates(key, src, bad)
	}
	c.refuseOverlappingWebSources(bad)
	return errors.Join(errs...)
}

// validateSourceDates checks a source's from/until and that start_date lies between them.
func (c *Config) validateSourceDates(key string, src Source, bad func(key, format string, args ...any)) {
	dates := map[string]time.Time{}
	for _, f := range []struct{ name, value string }{{"from", src.From}, {"until", src.Until}, {"start_date", src.StartDate}} {
		if f.value == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, f.value)
		if err != nil {
			if f.name != "start_date" { // start_date is reported above
				bad(key+"."+f.name, "must be a date YYYY-MM-DD, got %q", f.value)
			}
			continue
		}
		dates[f.name] = d
	}
	from, hasFrom := dates["from"]
	until, hasUntil := dates["until"]
	if hasFrom && hasUntil && until.Before(from) {
		bad(key+".until", "%s is before from %s", src.Until, src.From)
	}
	if start, ok := dates["start_date"]; ok {
		if hasFrom && start.Before(from) {
			bad(key+".start_date", "%s is before from %s: the source collects nothing before from", src.StartDate, src.From)
		}
		if hasUntil && start.After(until) {
			bad(key+".start_date", "%s is after until %s: the source collects nothing after until", src.StartDate, src.Until)
		}
	}
}

// webSourceTypes are the source types that write a site's traffic (each names its site in the
// setting "site"). Two of them must never write the same site-days: the newer one's figures
// would silently replace the other's, day by day.
var webSourceTypes = []string{"ga4", "matomo", "plausible"}

// refuseOverlappingWebSources refuses two web sources of one site whose from..until ranges share
// a day. Disabled sources count: they are the ones run by hand for history.
func (c *Config) refuseOverlappingWebSources(bad func(key, format string, args ...any)) {
	type span struct {
		index    int
		id       string
		from, to time.Time // zero: unbounded
	}
	bySite := map[string][]span{}
	var sites []string
	for i, src := range c.Sources {
		site := settingString(src.Settings, "site")
		if !slices.Contains(webSourceTypes, src.Type) || site == "" {
			continue
		}
		from, errFrom := parseOptionalDate(src.From)
		to, errTo := parseOptionalDate(src.Until)
		if errFrom != nil || errTo != nil {
			continue // reported already
		}
		if _, ok := bySite[site]; !ok {
			sites = append(sites, site)
		}
		bySite[site] = append(bySite[site], span{index: i, id: src.ID, from: from, to: to})
	}
	for _, site := range sites {
		spans := bySite[site]
		for i, a := range spans {
			for _, b := range spans[i+1:] {
				from, to := laterOf(a.from, b.from), earlierOf(a.to, b.to)
				if !from.IsZero() && !to.IsZero() && to.Before(from) {
					continue
				}
				bad(fmt.Sprintf("sources[%d] (%s) and sources[%d] (%s)", a.index, a.id, b.index, b.id),
					"both collect site %s %s; give them from/until dates that do not overlap, e.g. until: on the older "+
						"provider's source and from: the next day on the newer one's", site, describeSpan(from, to))
			}
		}
	}
}

func describeSpan(from, to time.Time) string {
	switch {
	case from.IsZero() && to.IsZero():
		return "on every day (neither has from/until)"
	case from.IsZero():
		return "on every day up to " + to.Format(time.DateOnly)
	case to.IsZero():
		return "on every day from " + from.Format(time.DateOnly)
	default:
		return "from " + from.Format(time.DateOnly) + " to " + to.Format(time.DateOnly)
	}
}

// laterOf and earlierOf treat the zero time as unbounded.
func laterOf(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.After(a)) {
		return b
	}
	return a
}

func earlierOf(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func parseOptionalDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

// settingString reads a plain string key of a source's settings block ("" when absent).
func settingString(node yaml.Node, key string) string {
	if node.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key && node.Content[i+1].Kind == yaml.ScalarNode {
			return strings.TrimSpace(node.Content[i+1].Value)
		}
	}
	return ""
}

// sectorNames repeats figures.Sectors() because config must not depend on the figure types; all but
// "unknown", which means "no address" and is never a domain rule's sector.
func sectorNames() []string {
	return []string{"municipality", "health_trust", "regional_health_authority", "ks", "other"}
}

var sourceID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

func (c *Config) validateAuth(bad func(key, format string, args ...any)) {
	a := c.Auth
	if a.SessionKey.IsSet() && len(a.SessionKey.Value()) < 32 {
		bad("auth.session_key", "must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if a.SessionTTL < time.Minute {
		bad("auth.session_ttl", "must be at least 1m, got %s", a.SessionTTL)
	}
	roles := []string{RoleViewer, RoleEditor, RoleAdmin}
	names := map[string]bool{}
	for i, u := range a.Users {
		key := fmt.Sprintf("auth.users[%d]", i)
		switch {
		case strings.TrimSpace(u.Name) == "":
			bad(key+".name", "must not be empty")
		case names[strings.ToLower(u.Name)]:
			bad(key+".name", "%q is listed twice", u.Name)
		}
		names[strings.ToLower(u.Name)] = true
		if !bcryptHash.MatchString(u.PasswordHash) {
			bad(key+".password_hash", "must be a bcrypt hash ($2a$/$2b$/$2y$…); make one with `rekkevidde user hash`")
		}
		if !slices.Contains(roles, u.Role) {
			bad(key+".role", "must be one of viewer, editor, admin, got %q", u.Role)
		}
	}
	if o := a.OIDC; o != nil {
		if !strings.HasPrefix(o.Issuer, "https://") && !strings.HasPrefix(o.Issuer, "http://") {
			bad("auth.oidc.issuer", "must be the provider's issuer URL, got %q", o.Issuer)
		}
		if o.ClientID == "" {
			bad("auth.oidc.client_id", "must not be empty")
		}
		if !o.ClientSecret.IsSet() {
			bad("auth.oidc.client_secret", "must be set (or REKKEVIDDE_AUTH_OIDC_CLIENT_SECRET)")
		}
		if !strings.HasPrefix(o.RedirectURL, "https://") && !strings.HasPrefix(o.RedirectURL, "http://") {
			bad("auth.oidc.redirect_url", "must be this dashboard's callback URL, got %q", o.RedirectURL)
		}
		for value, role := range o.Roles {
			if !slices.Contains(roles, role) {
				bad("auth.oidc.roles", "%q maps to %q, which is not viewer, editor or admin", value, role)
			}
		}
		if o.DefaultRole != "" && !slices.Contains(roles, o.DefaultRole) {
			bad("auth.oidc.default_role", "must be viewer, editor, admin or empty, got %q", o.DefaultRole)
		}
	}
}

var bcryptHash = regexp.MustCompile(`^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$`)

// validateEmail checks the e-mail section. The mode, day and hour are checked always, so a typo is
// caught before anyone switches the delivery on; the rest only when it is enabled.
func (c *Config) validateEmail(bad func(key, format string, args ...any)) {
	e := &c.Email
	switch e.TLS {
	case EmailSTARTTLS, EmailImplicit, EmailNoTLS:
	default:
		bad("email.tls", "must be starttls, implicit or none, got %q", e.TLS)
	}
	if e.Port < 0 || e.Port > 65535 {
		bad("email.port", "must be a TCP port (1–65535) or 0 for the usual one, got %d", e.Port)
	}
	if e.Port == 0 {
		switch e.TLS {
		case EmailImplicit:
			e.Port = 465
		case EmailNoTLS:
			e.Port = 25
		default:
			e.Port = 587
		}
	}
	// Up to 60 days keeps a quarter's send day inside the next quarter, so one quarter is due at a time.
	if e.SendDay < 1 || e.SendDay > 60 {
		bad("email.send_day", "must be between 1 and 60 (days after the quarter's last day), got %d", e.SendDay)
	}
	if e.SendHour < 0 || e.SendHour > 23 {
		bad("email.send_hour", "must be an hour between 0 and 23, got %d", e.SendHour)
	}
	if !e.Enabled {
		return
	}
	if strings.TrimSpace(e.Host) == "" || strings.ContainsAny(e.Host, " /:@") && net.ParseIP(e.Host) == nil {
		bad("email.host", "must be the SMTP server's host name (e.g. smtp.office365.com), got %q", e.Host)
	}
	if a, err := mail.ParseAddress(e.From); err != nil || a.Address == "" {
		bad("email.from", "must be an e-mail address such as \"Rekkevidde <rekkevidde@innomed.no>\", got %q", e.From)
	}
	if len(e.To) == 0 {
		bad("email.to", "must list at least one recipient")
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			bad(fmt.Sprintf("email.to[%d]", i), "%q is not an e-mail address", to)
		}
	}
	switch {
	case e.Username != "" && !e.Password.IsSet():
		bad("email.password", "must be set when email.username is (or REKKEVIDDE_EMAIL_PASSWORD)")
	case e.Username == "" && e.Password.IsSet():
		bad("email.username", "must be set when email.password is")
	}
	// Signing in over an unencrypted connection would send the password in clear.
	if e.TLS == EmailNoTLS && e.Username != "" && !isLoopbackHost(e.Host) {
		bad("email.tls", "none sends the password in clear; use starttls or implicit, or a relay on this host")
	}
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
