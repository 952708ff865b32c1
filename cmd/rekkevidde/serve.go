package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors/registry"
	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/dashboard/pages"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/cache"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/delivery"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

func runServe(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "serve", "",
		"serve the dashboard and run every enabled source on its schedule. Migrations are applied first; "+
			"Ctrl-C (SIGINT) or SIGTERM stops both cleanly")
	demoAdmin := fs.Bool("demo-admin", false, "for a local trial: when no user and no OIDC is configured, create the user "+
		"admin with a random password kept in state_dir/"+auth.DemoAdminPasswordFile+" and print it (only with a loopback http.listen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	// Sign-in is settled before any database work: a dashboard nobody can sign in to must not
	// start, nor migrate anything on its way to refusing. (openApp reads the config again.)
	cfg, log, err := loadConfig(env, common)
	if err != nil {
		return err
	}
	signIn, err := prepareSignIn(cfg, *demoAdmin, log)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	if signIn.demoUser != nil {
		a.cfg.Auth.Users = append(a.cfg.Auth.Users, *signIn.demoUser)
	}
	// An invalid source stops the start: a typo must not silently switch a collector off.
	sources, err := scheduler.BuildSources(a.cfg, registry.All(), a.log, env.getenv)
	if err != nil {
		return err
	}
	runner := scheduler.NewRunner(a.store, a.cfg.Location(), a.log)
	sched := scheduler.New(runner, sources, a.log)
	// An unknown KPI in targets is a config mistake: refuse it like any other.
	if _, err := pages.ValidateTargets(a.cfg.Targets); err != nil {
		return err
	}
	// Pages are cached under the data version, polled so that writes by other processes show too.
	pageCache, versions, err := newPageCache(ctx, a)
	if err != nil {
		return err
	}
	app, printer := dashboard.NewWithPrinter(dashboard.Deps{
		Queries:    query.New(a.store.Conn()),
		Ready:      a.store.Ping,
		Config:     a.cfg,
		SessionKey: signIn.key,
		Store:      a.store,
		Log:        a.log,
		// Admins start a source from the freshness strip; the scheduler runs it in its own loop.
		Collections: sched,
		Cache:       pageCache,
		DataVersion: versions.Current,
	})
	// The quarterly report by e-mail (config email), checked in its own goroutine below; the PDF
	// beside its CSV is the dashboard's own print of the report.
	var deliverer *delivery.Deliverer
	if a.cfg.Email.Enabled {
		if deliverer, err = newDeliverer(a, printer); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (http.listen): %w", a.cfg.HTTP.Listen, err)
	}
	fmt.Fprintf(env.stdout, "Rekkevidde is serving http://%s/  (Ctrl-C stops)\n", ln.Addr())
	if signIn.demoUser != nil {
		// To the terminal only, never to the log.
		fmt.Fprintf(env.stdout, "Logg inn på http://%s/login som %s med passordet %s\n", ln.Addr(), signIn.demoUser.Name, signIn.demoPassword)
	}
	a.log.Info("serving", "addr", ln.Addr().String(), "sources", len(sources))

	// If the listener fails, the scheduler must stop too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sched.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		versions.Poll(ctx, cache.DefaultPoll)
	}()
	if deliverer != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deliverer.Run(ctx) // stops with ctx; a send under way records how it ended
		}()
	}
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

// newPageCache makes the dashboard's cache (nil when cache.max_bytes is 0) and the data version it
// is keyed by, read once now so the first pages already have it.
func newPageCache(ctx context.Context, a *app) (*cache.Cache, *cache.Versions, error) {
	versions := cache.NewVersions(a.store.DataVersion, a.store.WrittenVersion, a.log)
	if err := versions.Refresh(ctx); err != nil {
		return nil, nil, err
	}
	if a.cfg.Cache.MaxBytes == 0 {
		return nil, versions, nil
	}
	return cache.New(a.cfg.Cache.MaxBytes), versions, nil
}

// signIn is what serve settles about sign-in before it starts.
type signIn struct {
	key []byte
	// demoUser and demoPassword are set when --demo-admin made the trial's admin.
	demoUser     *config.User
	demoPassword string
}

// errNoOneCanSignIn explains how to get past it: production never gets a default password.
var errNoOneCanSignIn = errors.New("no one could sign in to the dashboard: auth.users is empty and auth.oidc is not set.\n" +
	"  Add a user: run `rekkevidde user hash --name NAME --role admin` and put the lines it prints under\n" +
	"  auth.users in the config file (README.md, \"Sign-in\"), or configure auth.oidc.\n" +
	"  For a local trial only, `rekkevidde serve --demo-admin` (as `make run` does) makes an admin with a random password")

// prepareSignIn refuses a configuration nobody can sign in with, makes the demo admin when asked
// to and allowed, and loads (or makes) the session key.
func prepareSignIn(cfg config.Config, demoAdmin bool, log *slog.Logger) (signIn, error) {
	var s signIn
	nobody := len(cfg.Auth.Users) == 0 && cfg.Auth.OIDC == nil
	switch {
	case nobody && !demoAdmin:
		return s, errNoOneCanSignIn
	case nobody:
		// The trial's password is printed and kept in a file: fine on a laptop, never on a server.
		if !auth.IsLoopback(cfg.HTTP.Listen) {
			return s, fmt.Errorf("--demo-admin is for a local trial and needs http.listen on a loopback address "+
				"such as 127.0.0.1:8080, not %q; add a user instead (`rekkevidde user hash`)", cfg.HTTP.Listen)
		}
		u, password, err := auth.DemoAdmin(cfg.StateDir)
		if err != nil {
			return s, err
		}
		s.demoUser, s.demoPassword = &u, password
	case demoAdmin:
		log.Info("--demo-admin ignored: sign-in is configured (auth.users or auth.oidc)")
	}
	key, err := auth.SessionKey(cfg)
	if err != nil {
		return s, err
	}
	s.key = key
	return s, nil
}
