package collectortest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/config"
)

func TestSettingsAsTheConfigLoaderHandsThemOver(t *testing.T) {
	var set struct {
		Site  string        `yaml:"site"`
		Token config.Secret `yaml:"token"`
	}
	s := Settings(t, "matomo-innomed", "site: innomed.no\n", map[string]string{"REKKEVIDDE_SOURCE_MATOMO_INNOMED_TOKEN": "from-env"})
	if err := s.Decode(&set); err != nil {
		t.Fatal(err)
	}
	if s.ID != "matomo-innomed" || set.Site != "innomed.no" || set.Token.Value() != "from-env" {
		t.Errorf("id %q, settings %+v, token %q", s.ID, set, set.Token.Value())
	}
	if s.Zone().String() != "Europe/Oslo" || s.State.Dir == "" || s.State.Source != "matomo-innomed" {
		t.Errorf("zone %s, state %+v", s.Zone(), s.State)
	}
	if err := Settings(t, "x", "colour: blue\n", nil).Decode(&set); err == nil || !strings.Contains(err.Error(), "unknown key colour") {
		t.Errorf("an unknown key: %v", err)
	}
}

func TestClockAndLogBuffer(t *testing.T) {
	start := time.Date(2026, 1, 20, 12, 0, 0, 0, Oslo)
	c := NewClock(start)
	c.Advance(time.Hour)
	if !c.Now().Equal(start.Add(time.Hour)) {
		t.Errorf("advanced to %s", c.Now())
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("set to %s", c.Now())
	}
	var logs LogBuffer
	logs.Logger().Debug("retrying request", "attempt", 2)
	if !strings.Contains(logs.String(), "retrying request") {
		t.Errorf("debug lines are not kept: %q", logs.String())
	}
}

// recorder is a testing.TB that keeps its failures instead of failing the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestNoLeak(t *testing.T) {
	r := &recorder{TB: t}
	NoLeak(r, "logs", `level=INFO msg="retrying request" url=https://x/?token=[redacted] by kari@example.no`, "s3cr3t", "", "kari@example.no")
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], `logs holds "kari@example.no"`) {
		t.Errorf("failures %q, want one naming the address in the logs", r.failures)
	}
}
