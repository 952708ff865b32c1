// Command rekkevidde gathers an organisation's communication figures into ClickHouse and serves
// the dashboard. Run `rekkevidde help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	// Embedded zone data: the binary counts days in Europe/Oslo even on a host or image without tzdata.
	_ "time/tzdata"
)

// command is one subcommand: its usage line, a one-line summary and what it does.
type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "serve the dashboard and run the collectors on their schedules", runServe},
		{"collect", "SOURCE... [--from DATE --to DATE]", "run collectors once now, or backfill a date range", runCollect},
		{"migrate", "", "apply the schema migrations in schemas/ that are not applied yet", runMigrate},
		{"import", "KIND FILE", "import figures from a CSV file", runImport},
		{"demo", "[--force]", "load three years of demo data (only into an empty database unless --force)", runDemo},
		{"user", "hash [--name NAME] [--role ROLE]", "make a password hash for a local dashboard user (auth.users)", runUser},
		{"token", "create NAME | list | revoke ID", "manage the read API's bearer tokens", runToken},
		{"bench", "[--users N --duration D]", "measure speed and memory against their targets (make bench)", runBench},
		{"version", "", "print the version", runVersion},
	}
}

// environment carries what every subcommand gets: where to write and how to log.
type environment struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := run(ctx, env, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rekkevidde:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks mistakes in how the command was called (exit status 2, like flag's).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func run(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, env, []string{args[1], "--help"})
		}
		printUsage(env.stdout)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	printUsage(env.stderr)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Rekkevidde gathers communication figures into ClickHouse and shows them on a dashboard.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: rekkevidde COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --config FILE (or REKKEVIDDE_CONFIG) and --help.")
}

// commonFlags are the flags every command has.
type commonFlags struct {
	configPath string
	logLevel   string
}

// newFlagSet makes a subcommand's flag set with --config and --log-level and a usage text.
func newFlagSet(env *environment, name, args, summary string) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	common := &commonFlags{}
	fs.StringVar(&common.configPath, "config", env.getenv("REKKEVIDDE_CONFIG"), "config file (YAML); env REKKEVIDDE_CONFIG")
	level := env.getenv("REKKEVIDDE_LOG_LEVEL")
	if level == "" {
		level = "info"
	}
	fs.StringVar(&common.logLevel, "log-level", level, "debug, info, warn or error; env REKKEVIDDE_LOG_LEVEL")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: rekkevidde %s", name)
		if args != "" {
			fmt.Fprintf(fs.Output(), " %s", args)
		}
		fmt.Fprintf(fs.Output(), "\n\n%s.\n\nFlags:\n", capitalise(summary))
		fs.PrintDefaults()
	}
	return fs, common
}

// parseInterspersed lets flags follow positional arguments (`collect ga4 --from 2022-01-01`),
// which the standard flag package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level: %q is not one of debug, info, warn, error", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
