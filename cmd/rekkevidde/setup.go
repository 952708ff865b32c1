package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

// app is what most commands need: the validated config, a logger and an open store.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
}

// loadConfig reads the config and makes the logger; it touches no database.
func loadConfig(env *environment, common *commonFlags) (config.Config, *slog.Logger, error) {
	log, err := newLogger(env.stderr, common.logLevel)
	if err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := config.Load(common.configPath, env.getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, log, nil
}

// openApp loads the config, connects to ClickHouse and brings the schema up to date, so no
// command ever runs against tables older than its code.
func openApp(ctx context.Context, env *environment, common *commonFlags) (*app, error) {
	cfg, log, err := loadConfig(env, common)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.ClickHouse, log)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, st); err != nil {
		_ = st.Close()
		return nil, err
	}
	return &app{cfg: cfg, log: log, store: st}, nil
}

func (a *app) close() { _ = a.store.Close() }

func migrate(ctx context.Context, st *store.Store) ([]string, error) {
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		return nil, err
	}
	applied, err := st.Migrate(ctx, migrations)
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}
