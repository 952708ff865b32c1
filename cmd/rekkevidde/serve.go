package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors/registry"
	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "serve", "",
		"serve the dashboard and run every enabled source on its schedule. Migrations are applied first; "+
			"Ctrl-C (SIGINT) or SIGTERM stops both cleanly")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	// An invalid source stops the start: a typo must not silently switch a collector off.
	sources, err := scheduler.BuildSources(a.cfg, registry.All(), a.log, env.getenv)
	if err != nil {
		return err
	}
	runner := scheduler.NewRunner(a.store, a.cfg.Location(), a.log)
	sched := scheduler.New(runner, sources, a.log)

	app := dashboard.New(dashboard.Deps{
		Queries: query.New(a.store.Conn()),
		Ready:   a.store.Ping,
		Config:  a.cfg,
		Log:     a.log,
	})
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (http.listen): %w", a.cfg.HTTP.Listen, err)
	}
	fmt.Fprintf(env.stdout, "Rekkevidde is serving http://%s/  (Ctrl-C stops)\n", ln.Addr())
	a.log.Info("serving", "addr", ln.Addr().String(), "sources", len(sources))

	// If the listener fails, the scheduler must stop too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sched.Run(ctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()

	select {
	case err = <-serveErr:
		cancel()
	case <-ctx.Done():
		a.log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = app.ShutdownWithContext(shutdownCtx)
		cancel()
	}
	wg.Wait() // the scheduler stops with ctx; a run in progress records how it ended
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
