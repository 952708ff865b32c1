package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rekkevidde.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) string { return "" }

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location().String() != "Europe/Oslo" || cfg.ClickHouse.Addr != "127.0.0.1:19000" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestMistakesAreNamed(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"typo at top level", "timezon: Europe/Oslo\n", `unknown key "timezon" in the top level`},
		{"typo in a section", "clickhouse:\n  adress: x:9000\n", `unknown key "adress" in clickhouse`},
		{"typo in a source", "sources:\n  - id: ga4\n    type: ga4\n    intervall: 1h\n", `unknown key "intervall" in sources[]`},
		{"bad time zone", "timezone: Europe/Olso\n", `timezone: "Europe/Olso" is not an IANA time zone`},
		{"bad address", "clickhouse:\n  addr: localhost\n", "clickhouse.addr: must be host:port"},
		{"bad language", "language: se\n", `language: must be "nb" or "en"`},
		{"bad duration", "clickhouse:\n  dial_timeout: soon\n", "soon"},
		{"database with a dash", "clickhouse:\n  database: my-db\n", "clickhouse.database"},
		{"duplicate site", "sites:\n  - id: a\n  - id: a\n", `sites[1].id: "a" is listed twice`},
		{"source without type", "sources:\n  - id: x\n", "sources[0].type"},
		{"too short interval", "sources:\n  - id: x\n    type: ga4\n    interval: 5s\n", "sources[0].interval: must be at least 1m"},
		{"bad start date", "sources:\n  - id: x\n    type: ga4\n    start_date: 2022-13-01\n", "sources[0].start_date"},
		{"duplicate source", "sources:\n  - id: x\n    type: ga4\n  - id: x\n    type: ga4\n", `sources[1].id: "x" is listed twice`},
		{"not YAML", "clickhouse: [\n", "not valid YAML"},
		{"bad cluster name", "clickhouse:\n  cluster: my cluster\n", "clickhouse.cluster: must be the plain name"},
		{"bad address in a list", "clickhouse:\n  addr: a:9000,b\n", "clickhouse.addr: must be host:port"},
		{"bad trusted proxy", "http:\n  trusted_proxies: [10.0.0.1, proxy.local]\n", `http.trusted_proxies: must be IP addresses or CIDR ranges (10.0.0.0/8), got "proxy.local"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.yaml), noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := Load(writeConfig(t, "timezone: Nowhere\nlanguage: fr\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "timezone") || !strings.Contains(err.Error(), "language") {
		t.Fatalf("got %v, want both problems", err)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"REKKEVIDDE_CLICKHOUSE_ADDR":          "ch.internal:9440",
		"REKKEVIDDE_CLICKHOUSE_PASSWORD":      "from-env",
		"REKKEVIDDE_CLICKHOUSE_PASSWORD_FILE": secretFile,
		"REKKEVIDDE_HTTP_LISTEN":              "0.0.0.0:9090",
	}
	cfg, err := Load(writeConfig(t, "clickhouse:\n  addr: 127.0.0.1:9000\n  password: in-file\n"), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClickHouse.Addr != "ch.internal:9440" || cfg.HTTP.Listen != "0.0.0.0:9090" {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	// _FILE wins over the plain variable, and the trailing newline is not part of the secret.
	if got := cfg.ClickHouse.Password.Value(); got != "from-file" {
		t.Fatalf("password = %q, want from-file", got)
	}
}

func TestSecretReferences(t *testing.T) {
	t.Setenv("TEST_CH_PASSWORD", "s3cret")
	cfg, err := Load(writeConfig(t, "clickhouse:\n  password: {env: TEST_CH_PASSWORD}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClickHouse.Password.Value() != "s3cret" || cfg.ClickHouse.Password.Origin() != "env TEST_CH_PASSWORD" {
		t.Fatalf("got %q from %q", cfg.ClickHouse.Password.Value(), cfg.ClickHouse.Password.Origin())
	}
	_, err = Load(writeConfig(t, "clickhouse:\n  password: {env: NOT_SET_ANYWHERE_42}\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "NOT_SET_ANYWHERE_42") {
		t.Fatalf("got %v, want an error naming the unset variable", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg, err := Load(writeConfig(t, "clickhouse:\n  password: hunter2-very-secret\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	dumped, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(dumped)} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	// A bad value next to a secret: the message names the key, never the secret.
	_, err = Load(writeConfig(t, "clickhouse:\n  password: hunter2-very-secret\n  addr: nope\n"), noEnv)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
}

func TestSourceDefaultsAndDurations(t *testing.T) {
	cfg, err := Load(writeConfig(t, "sources:\n  - id: ga4\n    type: ga4\n    interval: 6h\n    settings:\n      property_id: \"1\"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 1 || cfg.Sources[0].Interval != 6*time.Hour || cfg.Sources[0].Settings.Kind == 0 {
		t.Fatalf("source not decoded: %+v", cfg.Sources)
	}
}
