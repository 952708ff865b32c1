package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func runVersion(_ context.Context, env *environment, args []string) error {
	fs, _ := newFlagSet(env, "version", "", "print the version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "rekkevidde", buildVersion())
	return nil
}

// buildVersion reads the version control stamp the Go toolchain embeds, so no release step has to
// remember to set one.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	version := info.Main.Version
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if revision != "" {
		return fmt.Sprintf("%s (%s%s, %s)", version, revision, modified, info.GoVersion)
	}
	return fmt.Sprintf("%s (%s)", version, info.GoVersion)
}
