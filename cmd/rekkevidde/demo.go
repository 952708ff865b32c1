package main

import (
	"context"
	"fmt"

	"github.com/innomed/rekkevidde/internal/demo"
)

func runDemo(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "demo", "[--force]",
		"load three years (2021-2023) of demo data whose 2022 reproduces InnoMed's annual report figures. "+
			"It loads only into an empty database, so it never mixes with collected figures, unless --force is given; "+
			"loading again replaces the same figures, it never adds to them")
	force := fs.Bool("force", false, "load even if the database already holds figures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments, got %q", fs.Args())}
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	empty, err := a.store.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty && !*force {
		fmt.Fprintf(env.stdout, "database %s already holds figures; demo data not loaded (use --force to load it anyway)\n", a.cfg.ClickHouse.Database)
		return nil
	}
	sum, err := demo.Load(ctx, a.store, demo.Options{SiteID: a.cfg.Sites[0].ID, Location: a.cfg.Location()})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "loaded demo data for %s into %s:\n%s", a.cfg.Sites[0].ID, a.cfg.ClickHouse.Database, sum)
	return nil
}
