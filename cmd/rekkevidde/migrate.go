package main

import (
	"context"
	"fmt"

	"github.com/innomed/rekkevidde/internal/store"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "migrate", "", "apply the schema migrations in schemas/ that are not applied yet")
	resummarize := fs.Bool("summarize-runs", false, "also fold every collector run into source_status again, for runs an older version's process wrote (idempotent; reads all of collector_runs once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("migrate takes no arguments, got %q", fs.Args())}
	}
	cfg, log, err := loadConfig(env, common)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	applied, err := migrate(ctx, st)
	if err != nil {
		return err
	}
	if *resummarize {
		if err := st.SummarizeRuns(ctx); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, "folded collector_runs into source_status")
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.stdout, "schema of %s is up to date\n", cfg.ClickHouse.Database)
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(env.stdout, "applied %s\n", name)
	}
	return nil
}
