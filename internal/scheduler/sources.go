package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
)

// BuildSources turns the configured sources into runnable ones, validating each type's settings.
// All problems are reported together, each naming its source, so one start shows every mistake.
func BuildSources(cfg config.Config, reg collectors.Registry, log *slog.Logger, env func(string) string) ([]Source, error) {
	var out []Source
	var errs []error
	for i, sc := range cfg.Sources {
		kind, ok := reg[sc.Type]
		if !ok {
			errs = append(errs, fmt.Errorf("config: sources[%d] (%s): unknown type %q; known types: %v", i, sc.ID, sc.Type, reg.Names()))
			continue
		}
		node := sc.Settings
		settings := collectors.NewSettings(sc.ID, &node, cfg, log.With("source", sc.ID), env)
		collector, err := kind.New(settings)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: sources[%d] (%s, type %s): %w", i, sc.ID, sc.Type, err))
			continue
		}
		src := Source{
			ID:           sc.ID,
			Kind:         sc.Type,
			Collector:    collector,
			Interval:     orDefault(sc.Interval, kind.Interval, 6*time.Hour),
			LookbackDays: orDefault(sc.LookbackDays, kind.LookbackDays, 3),
			ChunkDays:    orDefault(sc.ChunkDays, kind.ChunkDays, 31),
			Disabled:     sc.Disabled,
		}
		// Dates are validated with the config.
		if sc.StartDate != "" {
			src.StartDate, _ = time.Parse(time.DateOnly, sc.StartDate)
		}
		if sc.From != "" {
			src.From, _ = time.Parse(time.DateOnly, sc.From)
		}
		if sc.Until != "" {
			src.Until, _ = time.Parse(time.DateOnly, sc.Until)
		}
		out = append(out, src)
	}
	return out, errors.Join(errs...)
}

func orDefault[T comparable](configured, kindDefault, fallback T) T {
	var zero T
	if configured != zero {
		return configured
	}
	if kindDefault != zero {
		return kindDefault
	}
	return fallback
}
