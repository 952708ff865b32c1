// Package collectors is the shared runtime of every source: the Collector contract, the Sink that
// gathers a run's records, the one HTTP client, and the provider → canonical name tables. Each
// source lives in its own package below (collectors/ga4, collectors/matomo, …) and is listed in
// collectors/registry.
package collectors

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// Collector fetches one configured source's figures for a window of calendar days.
//
// Collect adds records to sink. Each record (or group of records for one site-day, month or
// campaign) must be complete: a day's whole channel × device set, a month's whole top-page list,
// because a newer record set replaces the older one. When part of a window fails, Collect adds what
// it got complete and returns the error; the run is then recorded as partial.
type Collector interface {
	Collect(ctx context.Context, window days.Range, sink *Sink) error
}

// Kind is one type of source ("ga4", "matomo", …) as listed in the registry.
type Kind struct {
	Name        string
	Description string
	// New validates the settings and builds the collector; any problem names the setting.
	New func(s Settings) (Collector, error)
	// Defaults for the source's schedule, overridable in the config.
	Interval     time.Duration
	LookbackDays int
	// ChunkDays is how many days one step of a backfill covers.
	ChunkDays int
}

// Settings is what a source's constructor gets. Location, Log and Now may be nil (a test that
// sets only what it needs, a config without a time zone yet): constructors read them through
// Zone, Logger and Clock, which supply the defaults.
type Settings struct {
	// ID is the configured name of this source instance (used in `collect ID` and in every table's
	// source column).
	ID       string
	Location *time.Location
	Log      *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	// State keeps what the source must remember between runs (refreshed tokens, ETags).
	State StateDir
	// Sectors maps e-mail domains to sectors (empty: the built-in table).
	Sectors []config.SectorRule
	// node holds the source's own settings block from the config.
	node *yaml.Node
	env  func(string) string
}

// NewSettings wraps a source's settings block. env supplies secret overrides.
func NewSettings(id string, node *yaml.Node, cfg config.Config, log *slog.Logger, env func(string) string) Settings {
	return Settings{ID: id, Location: cfg.Location(), Log: log, Now: time.Now, node: node, env: env,
		State: StateDir{Dir: cfg.StateDir, Source: id}, Sectors: cfg.Sectors}
}

// Zone is the time zone days are counted in: Location, or UTC when none is set.
func (s Settings) Zone() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// Logger is Log, or a logger that discards everything when none is set.
func (s Settings) Logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Clock is Now, or time.Now when none is set.
func (s Settings) Clock() func() time.Time {
	if s.Now == nil {
		return time.Now
	}
	return s.Now
}

// Decode fills into (a pointer to the source's settings struct) strictly: an unknown key is an
// error naming it. Every config.Secret field can then be overridden from the environment as
// REKKEVIDDE_SOURCE_<ID>_<KEY> or its _FILE variant (e.g. REKKEVIDDE_SOURCE_GA4_CREDENTIALS_FILE).
func (s Settings) Decode(into any) error {
	if s.node != nil && s.node.Kind != 0 {
		raw, err := yaml.Marshal(s.node)
		if err != nil {
			return fmt.Errorf("settings: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(into); err != nil {
			return fmt.Errorf("settings: %s", cleanYAMLError(err))
		}
	}
	return s.overrideSecrets(into)
}

// SecretEnvName is the environment variable that overrides secret key of source id.
func SecretEnvName(id, key string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, s)
	}
	return "REKKEVIDDE_SOURCE_" + clean(id) + "_" + clean(key)
}

func (s Settings) overrideSecrets(into any) error {
	if s.env == nil {
		return nil
	}
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	secretType := reflect.TypeFor[config.Secret]()
	for i := 0; i < v.NumField(); i++ {
		field := v.Type().Field(i)
		if field.Type != secretType {
			continue
		}
		key := strings.Split(field.Tag.Get("yaml"), ",")[0]
		if key == "" {
			key = strings.ToLower(field.Name)
		}
		secret := v.Field(i).Addr().Interface().(*config.Secret)
		if err := secret.Override(SecretEnvName(s.ID, key), s.env); err != nil {
			return fmt.Errorf("settings: %s: %w", key, err)
		}
	}
	return nil
}

func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	msg = strings.ReplaceAll(msg, "\n ", ";")
	msg = strings.TrimSpace(msg)
	// "field foo not found in type ga4.Settings" reads better as "unknown key foo".
	if i := strings.Index(msg, " not found in type "); i > 0 {
		if j := strings.LastIndex(msg[:i], "field "); j >= 0 {
			msg = msg[:j] + "unknown key " + msg[j+len("field "):i]
		}
	}
	return msg
}

// Sink gathers one run's records and notes. It is not shared between goroutines.
type Sink struct {
	records []figures.Record
	notes   []string
}

// Add records complete figures.
func (s *Sink) Add(records ...figures.Record) { s.records = append(s.records, records...) }

// Note records something the operator should know that is not an error, such as a figure the
// provider cannot give ("quarter unique visitors not available: enable range processing in Matomo").
func (s *Sink) Note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, n := range s.notes {
		if n == msg {
			return
		}
	}
	s.notes = append(s.notes, msg)
}

// Records returns what was added.
func (s *Sink) Records() []figures.Record { return s.records }

// Notes returns the notes, each once.
func (s *Sink) Notes() []string { return s.notes }

// Registry maps a source type's name to its Kind. cmd/rekkevidde builds the one registry.
type Registry map[string]Kind

// Names lists the registered kinds, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Uint64 returns a pointer to v, for the optional counts of figures.
func Uint64(v uint64) *uint64 { return &v }

// Float64 returns a pointer to v.
func Float64(v float64) *float64 { return &v }

// Uint32 returns a pointer to v.
func Uint32(v uint32) *uint32 { return &v }
