package main

import (
	"io"
	"log/slog"
	"regexp"
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
		t.Setenv(m[1], "example-secret-value-that-is-long-enough-123")
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
