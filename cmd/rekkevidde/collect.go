package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors/registry"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

func runCollect(ctx context.Context, env *environment, args []string) error {
	const usage = "SOURCE... [--from DATE --to DATE] [--restart]"
	fs, common := newFlagSet(env, "collect", usage,
		"run collectors once now, or backfill a date range. SOURCE is a source id from the config, or all. "+
			"Without --from, each source fetches from its last complete day minus its lookback window up to today. "+
			"With --from, the range is fetched in steps of at most a month; a backfill that stopped (crash, quota) resumes "+
			"where it stopped when run again with the same range, unless --restart is given")
	fromFlag := fs.String("from", "", "first day to fetch, YYYY-MM-DD (a backfill)")
	toFlag := fs.String("to", "", "last day to fetch, YYYY-MM-DD (default: today)")
	restart := fs.Bool("restart", false, "fetch the whole range again even if an earlier backfill of it stopped part-way")
	ids, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fs.Usage()
		return usageError{"collect needs at least one SOURCE (a source id from the config, or all)"}
	}
	if *toFlag != "" && *fromFlag == "" {
		return usageError{"--to needs --from"}
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	sources, err := scheduler.BuildSources(a.cfg, registry.All(), a.log, env.getenv)
	if err != nil {
		return err
	}
	selected, err := selectSources(sources, ids)
	if err != nil {
		return err
	}
	var window days.Range
	if *fromFlag != "" {
		if window, err = parseWindow(*fromFlag, *toFlag, days.Of(time.Now(), a.cfg.Location())); err != nil {
			return usageError{err.Error()}
		}
	}
	runner := scheduler.NewRunner(a.store, a.cfg.Location(), a.log)
	var failed []string
	// One source after another, and a failure never stops the next.
	for _, src := range selected {
		var sum scheduler.Summary
		progress := printProgress(env.stdout)
		if *fromFlag != "" {
			fmt.Fprintf(env.stdout, "%s: backfilling %s (%d days)\n", src.ID, window, window.Days())
			sum, err = runner.Backfill(ctx, src, window, *restart, progress)
		} else {
			sum, err = runner.Incremental(ctx, src, progress)
		}
		if err != nil {
			fmt.Fprintf(env.stdout, "%s: %v\n", src.ID, err)
			failed = append(failed, src.ID)
			continue
		}
		printSummary(env.stdout, sum)
		if sum.Status != scheduler.StatusOK {
			failed = append(failed, src.ID)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("not complete: %s (see above)", strings.Join(failed, ", "))
	}
	return nil
}

func selectSources(all []scheduler.Source, ids []string) ([]scheduler.Source, error) {
	if slices.Contains(ids, "all") {
		return all, nil
	}
	var out []scheduler.Source
	var known []string
	for _, s := range all {
		known = append(known, s.ID)
	}
	for _, id := range ids {
		i := slices.IndexFunc(all, func(s scheduler.Source) bool { return s.ID == id })
		if i < 0 {
			if len(known) == 0 {
				return nil, usageError{fmt.Sprintf("no source %q: the config lists no sources (see deploy/rekkevidde.example.yaml)", id)}
			}
			return nil, usageError{fmt.Sprintf("no source %q in the config; configured: %s", id, strings.Join(known, ", "))}
		}
		out = append(out, all[i])
	}
	return out, nil
}

func parseWindow(from, to string, today time.Time) (days.Range, error) {
	f, err := days.Parse(from)
	if err != nil {
		return days.Range{}, fmt.Errorf("--from: %w", err)
	}
	t := today
	if to != "" {
		if t, err = days.Parse(to); err != nil {
			return days.Range{}, fmt.Errorf("--to: %w", err)
		}
	}
	if t.After(today) {
		return days.Range{}, fmt.Errorf("--to %s is in the future", days.Format(t))
	}
	r, err := days.NewRange(f, t)
	if err != nil {
		return days.Range{}, fmt.Errorf("--from/--to: %w", err)
	}
	return r, nil
}

func printProgress(w io.Writer) func(scheduler.ChunkResult) {
	return func(c scheduler.ChunkResult) {
		if c.Skipped {
			fmt.Fprintf(w, "%s [%d/%d] %s  already fetched by the interrupted run, skipped\n", c.Source, c.Index, c.Of, c.Window)
			return
		}
		fmt.Fprintf(w, "%s [%d/%d] %s  %-9s %6d rows  %5.1fs", c.Source, c.Index, c.Of, c.Window, c.Status, c.Rows, c.Elapsed.Seconds())
		if c.Retries > 0 {
			fmt.Fprintf(w, "  (%d ClickHouse writes retried)", c.Retries)
		}
		fmt.Fprintln(w)
		for _, n := range c.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
		if c.Err != nil {
			fmt.Fprintf(w, "    error: %v\n", c.Err)
		}
	}
}

func printSummary(w io.Writer, s scheduler.Summary) {
	fmt.Fprintf(w, "%s: %s — %d of %d steps done", s.Source, s.Status, s.Done+s.Skipped, s.Chunks)
	if s.Skipped > 0 {
		fmt.Fprintf(w, " (%d resumed from an earlier run)", s.Skipped)
	}
	fmt.Fprintf(w, ", %d rows written", s.Rows)
	if s.Retries > 0 {
		fmt.Fprintf(w, ", %d ClickHouse writes retried", s.Retries)
	}
	fmt.Fprintln(w)
	switch {
	case s.Status == scheduler.StatusThrottled:
		fmt.Fprintf(w, "%s: stopped by the provider's rate limit", s.Source)
		if !s.RetryAt.IsZero() {
			fmt.Fprintf(w, " until %s", s.RetryAt.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(w, "; run the same command again later to %s\n", resumeWhere(s))
	case s.Status == scheduler.StatusFailed || s.Status == scheduler.StatusInterrupted:
		fmt.Fprintf(w, "%s: stopped; run the same command again to %s\n", s.Source, resumeWhere(s))
	}
	if s.Note != "" {
		fmt.Fprintf(w, "%s: %s\n", s.Source, s.Note)
	}
	if s.Err != nil && !errors.Is(s.Err, context.Canceled) {
		fmt.Fprintf(w, "%s: last error: %v\n", s.Source, s.Err)
	}
}

// resumeWhere names the day a rerun resumes from, when the run knows it: a zero date would send
// the user to 0001-01-01.
func resumeWhere(s scheduler.Summary) string {
	if s.ResumeAt.IsZero() {
		return "resume where it stopped"
	}
	return "resume from " + days.Format(s.ResumeAt)
}
