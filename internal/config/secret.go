package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Secret holds a credential. It prints, logs and marshals as "[redacted]" so that no code path can
// leak it by accident; Value is the one way to read it.
//
// In YAML a secret is given as {env: NAME} or {file: PATH}; a literal string is accepted for local
// use only. Every secret can also be overridden by an environment variable NAME or NAME_FILE.
type Secret struct {
	value  string
	origin string
}

// Value returns the secret itself, for the one place that sends it to its server.
func (s Secret) Value() string { return s.value }

// IsSet tells whether any value was given.
func (s Secret) IsSet() bool { return s.value != "" }

// Origin tells where the value came from ("env REKKEVIDDE_X", "file /run/secrets/x", "config file"),
// which is safe to show.
func (s Secret) Origin() string { return s.origin }

func (s Secret) String() string   { return "[redacted]" }
func (s Secret) GoString() string { return "config.Secret([redacted])" }

// LogValue keeps secrets out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalYAML keeps secrets out of any dump of the effective config.
func (s Secret) MarshalYAML() (any, error) { return "[redacted]", nil }

// UnmarshalYAML accepts a literal, {env: NAME} or {file: PATH}.
func (s *Secret) UnmarshalYAML(unmarshal func(any) error) error {
	var literal string
	if err := unmarshal(&literal); err == nil {
		*s = Secret{value: literal, origin: "config file"}
		return nil
	}
	var ref struct {
		Env  string `yaml:"env"`
		File string `yaml:"file"`
	}
	if err := unmarshal(&ref); err != nil {
		return fmt.Errorf("a secret must be a string, {env: NAME} or {file: PATH}")
	}
	switch {
	case ref.Env != "" && ref.File != "":
		return fmt.Errorf("a secret takes env or file, not both")
	case ref.Env != "":
		v, ok := os.LookupEnv(ref.Env)
		if !ok {
			return fmt.Errorf("secret names environment variable %s, which is not set", ref.Env)
		}
		*s = Secret{value: v, origin: "env " + ref.Env}
	case ref.File != "":
		v, err := readSecretFile(ref.File)
		if err != nil {
			return err
		}
		*s = Secret{value: v, origin: "file " + ref.File}
	default:
		return fmt.Errorf("a secret must be a string, {env: NAME} or {file: PATH}")
	}
	return nil
}

// Override applies NAME, then NAME_FILE, from the environment.
func (s *Secret) Override(name string, env func(string) string) error {
	if v := env(name); v != "" {
		*s = Secret{value: v, origin: "env " + name}
	}
	if path := env(name + "_FILE"); path != "" {
		v, err := readSecretFile(path)
		if err != nil {
			return fmt.Errorf("config: %s_FILE: %w", name, err)
		}
		*s = Secret{value: v, origin: "file " + path}
	}
	return nil
}

func readSecretFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	// Files written by editors and orchestrators end in a newline that is not part of the secret.
	return strings.TrimRight(string(raw), "\r\n"), nil
}
