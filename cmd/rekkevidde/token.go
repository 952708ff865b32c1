package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/innomed/rekkevidde/internal/apitokens"
)

// runToken manages the read API's bearer tokens from the server's shell, the same tokens the
// dashboard's /admin/api-tokens page manages: for a first token before anyone can sign in as
// admin, for scripts, and for revoking one in a hurry.
func runToken(ctx context.Context, env *environment, args []string) error {
	const usage = "create NAME | list | revoke ID"
	fs, common := newFlagSet(env, "token", usage,
		"manage the read API's bearer tokens (/api/v1). `token create NAME` prints a new token once — only its "+
			"SHA-256 is stored, so it cannot be shown again; `token list` lists every token with when it was last used; "+
			"`token revoke ID` ends one at once")
	by := fs.String("by", defaultActor(env), "who creates or revokes, as the token list shows it")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageError{"token needs a subcommand: create NAME, list or revoke ID"}
	}
	sub, rest := pos[0], pos[1:]
	switch {
	case sub == "create" && len(rest) >= 1:
	case sub == "list" && len(rest) == 0:
	case sub == "revoke" && len(rest) == 1:
	case sub == "create" || sub == "list" || sub == "revoke":
		return usageError{fmt.Sprintf("usage: rekkevidde token %s", map[string]string{
			"create": "create NAME", "list": "list", "revoke": "revoke ID"}[sub])}
	default:
		return usageError{fmt.Sprintf("unknown token subcommand %q (create, list or revoke)", sub)}
	}
	a, err := openApp(ctx, env, common)
	if err != nil {
		return err
	}
	defer a.close()
	m := apitokens.New(a.store, a.log, nil)
	loc := a.cfg.Location()
	switch sub {
	case "create":
		// The name may be several words without quotes: token create Power BI.
		tok, secret, err := m.Create(ctx, strings.Join(rest, " "), *by)
		if errors.Is(err, apitokens.ErrBadName) {
			return usageError{err.Error()}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Created API token %s %q.\n", tok.ID, tok.Name)
		fmt.Fprintf(env.stdout, "Store it now: it is shown only this once and cannot be retrieved later.\n\n%s\n\n", secret)
		fmt.Fprintln(env.stdout, "Send it as the header  Authorization: Bearer <token>  (see /api/v1/openapi.yaml).")
		return nil
	case "list":
		list, err := m.List(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(env.stdout, "no API tokens")
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tBY\tLAST USED\tSTATUS")
		stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
		for _, t := range list {
			used, status := "never", "active"
			if t.LastUsed != nil {
				used = stamp(*t.LastUsed)
			}
			if t.RevokedAt != nil {
				status = "revoked " + stamp(*t.RevokedAt) + " by " + t.RevokedBy
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, stamp(t.CreatedAt), t.CreatedBy, used, status)
		}
		return tw.Flush()
	default: // revoke
		tok, err := m.Revoke(ctx, rest[0], *by)
		switch {
		case errors.Is(err, apitokens.ErrNotFound):
			return fmt.Errorf("no API token has the id %q (rekkevidde token list shows them)", rest[0])
		case errors.Is(err, apitokens.ErrAlreadyRevoked):
			fmt.Fprintf(env.stdout, "API token %s %q was already revoked\n", tok.ID, tok.Name)
			return nil
		case err != nil:
			return err
		}
		fmt.Fprintf(env.stdout, "Revoked API token %s %q; requests with it are refused from now on.\n", tok.ID, tok.Name)
		return nil
	}
}

// defaultActor names whoever runs the command: the shell user, marked as coming from the CLI.
func defaultActor(env *environment) string {
	if u := env.getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}
