package collectors

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func TestSettingsDefaults(t *testing.T) {
	var zero Settings
	if zero.Zone() != time.UTC || zero.Logger() == nil || zero.Clock() == nil {
		t.Fatalf("a zero Settings gives zone %v, logger %v, clock set %v", zero.Zone(), zero.Logger(), zero.Clock() != nil)
	}
	zero.Logger().Error("goes nowhere")
	if d := time.Since(zero.Clock()()); d < 0 || d > time.Minute {
		t.Errorf("the default clock is off by %s", d)
	}

	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	then := time.Date(2026, 1, 20, 12, 0, 0, 0, oslo)
	s := Settings{Location: oslo, Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return then }}
	s.Logger().Info("kept")
	if s.Zone() != oslo || !s.Clock()().Equal(then) || !bytes.Contains(logs.Bytes(), []byte("kept")) {
		t.Errorf("set values were not used: zone %v, clock %v, logs %q", s.Zone(), s.Clock()(), logs.String())
	}
}
