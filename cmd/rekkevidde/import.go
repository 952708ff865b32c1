package main

import (
	"context"
)

func runImport(ctx context.Context, env *environment, args []string) error {
	fs, _ := newFlagSet(env, "import", "KIND FILE", "import figures from a CSV file")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	return usageError{"import: no import kinds are built yet"}
}
