package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/collectors/registry"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

// The annotated example must stay a valid config: every key it shows exists, every source type it
// names is registered and its settings decode.
func TestExampleConfigIsValid(t *testing.T) {
	const path = "../../deploy/rekkevidde.example.yaml"
	raw, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Give every {env: NAME} the example refers to a value.
	for _, m := range regexp.MustCompile(`\{env: ([A-Z0-9_]+)\}`).FindAllStringSubmatch(raw, -1) {
		value := "example-secret-value-that-is-long-enough-123"
		switch {
		case strings.HasSuffix(m[1], "_JSON"): // a service-account key file's content
			value = serviceAccountKey(t)
		case strings.Contains(m[1], "MAILCHIMP"):
			value = "0123456789abcdef0123456789abcdef-us21"
		}
		t.Setenv(m[1], value)
	}
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	sources, err := scheduler.BuildSources(cfg, registry.All(), slog.New(slog.NewTextHandler(io.Discard, nil)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) != len(cfg.Sources) || len(sources) == 0 {
		t.Fatalf("built %d of %d sources", len(sources), len(cfg.Sources))
	}
}

func serviceAccountKey(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"client_email":   "rekkevidde@example.iam.gserviceaccount.com",
		"private_key_id": "example",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri":      "https://oauth2.googleapis.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
