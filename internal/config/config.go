// Package config loads Rekkevidde's one YAML file, applies environment overrides and validates the
// result. Every problem names the key it concerns; secrets are never part of any message.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
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

	location *time.Location
}

// ClickHouse says where the figures live.
type ClickHouse struct {
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Secure switches the native protocol to TLS (ClickHouse Cloud, port 9440).
	Secure      bool          `yaml:"secure"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
}

// HTTP configures the dashboard's listener.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// Site is one website whose traffic is collected and shown.
type Site struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
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
	StartDate string    `yaml:"start_date"`
	Settings  yaml.Node `yaml:"settings"`
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
		HTTP:     HTTP{Listen: "127.0.0.1:8080"},
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
	if v := env("REKKEVIDDE_CLICKHOUSE_USERNAME"); v != "" {
		c.ClickHouse.Username = v
	}
	if v := env("REKKEVIDDE_HTTP_LISTEN"); v != "" {
		c.HTTP.Listen = v
	}
	if v := env("REKKEVIDDE_STATE_DIR"); v != "" {
		c.StateDir = v
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
	if _, port, err := net.SplitHostPort(c.ClickHouse.Addr); err != nil || port == "" {
		bad("clickhouse.addr", "must be host:port (native protocol, e.g. 127.0.0.1:9000), got %q", c.ClickHouse.Addr)
	}
	if !identifier.MatchString(c.ClickHouse.Database) {
		bad("clickhouse.database", "must be a plain identifier (letters, digits, _), got %q", c.ClickHouse.Database)
	}
	if c.ClickHouse.Username == "" {
		bad("clickhouse.username", "must not be empty")
	}
	if c.ClickHouse.DialTimeout <= 0 {
		bad("clickhouse.dial_timeout", "must be a positive duration such as 5s")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "must be host:port, got %q", c.HTTP.Listen)
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
	}
	return errors.Join(errs...)
}

// sectorNames repeats figures.Sectors() because config must not depend on the figure types.
func sectorNames() []string {
	return []string{"municipality", "health_trust", "regional_health_authority", "ks", "other"}
}

var sourceID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
