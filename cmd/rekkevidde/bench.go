package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/innomed/rekkevidde/internal/bench"
)

func runBench(ctx context.Context, env *environment, args []string) error {
	fs, common := newFlagSet(env, "bench", "",
		"measure the dashboard's speed and memory against their targets, on the demo and on generated data "+
			"in databases of its own (the configured database's name plus _bench_demo, _bench_1y, _bench_10y, "+
			"dropped and filled afresh); prints PASS or FAIL per figure and fails if any misses")
	users := fs.Int("users", 50, "concurrent users (and connections)")
	duration := fs.Duration("duration", 4*time.Second, "length of each load run")
	maxRequests := fs.Int("max-requests", 200_000, "most requests in one load run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the warm load run to this file")
	noServe := fs.Bool("no-serve", false, "skip the memory measurement, which starts this binary's serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("bench takes no arguments, got %q", fs.Args())}
	}
	cfg, log, err := loadConfig(env, common)
	if err != nil {
		return err
	}
	cfg.ClickHouse.Database += "_bench"
	opts := bench.Options{Config: cfg, Users: *users, Duration: *duration, MaxRequests: *maxRequests,
		CPUProfile: *cpuProfile, Out: env.stdout, Log: log}
	if !*noServe {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: find this binary to start serve: %w", err)
		}
		opts.Serve = []string{exe}
	}
	began := time.Now()
	results, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	fmt.Fprintf(env.stdout, "\n%d of %d figures meet their targets (%.0f s).\n", len(results)-failed, len(results), time.Since(began).Seconds())
	if failed > 0 {
		return fmt.Errorf("bench: %d of %d figures miss their targets", failed, len(results))
	}
	return nil
}
