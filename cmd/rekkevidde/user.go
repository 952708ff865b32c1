package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/config"
)

func runUser(ctx context.Context, env *environment, args []string) error {
	return runUserWith(ctx, env, os.Stdin, args)
}

// runUserWith is runUser reading the password from stdin, so tests can type it.
func runUserWith(_ context.Context, env *environment, stdin io.Reader, args []string) error {
	fs, _ := newFlagSet(env, "user", "hash [--name NAME] [--role ROLE]",
		"make a bcrypt password hash for a local dashboard user and print it with the lines for auth.users. "+
			"The password is read twice from the terminal without echo, or once (the first line) from stdin when "+
			"that is not a terminal; it must have at least 12 characters")
	name := fs.String("name", "", "the user name to sign in with (only fills in the printed config lines)")
	role := fs.String("role", config.RoleViewer, "viewer, editor or admin (only fills in the printed config lines)")
	cost := fs.Int("cost", auth.HashCost, fmt.Sprintf("bcrypt cost, %d to 16", bcrypt.DefaultCost))
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 || positional[0] != "hash" {
		fs.Usage()
		return usageError{"user takes one subcommand: hash"}
	}
	if _, err := auth.ParseRole(*role); err != nil {
		return usageError{fmt.Sprintf("--role: %q is not viewer, editor or admin", *role)}
	}
	if *cost < bcrypt.DefaultCost || *cost > 16 {
		return usageError{fmt.Sprintf("--cost: %d is not between %d and 16", *cost, bcrypt.DefaultCost)}
	}
	password, err := readNewPassword(stdin, env.stderr)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, *cost)
	if err != nil {
		return fmt.Errorf("user hash: %w", err)
	}
	snippet, err := usersYAML(config.User{Name: cmp.Or(strings.TrimSpace(*name), "NAME"), PasswordHash: hash, Role: *role})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, hash)
	fmt.Fprintln(env.stdout)
	fmt.Fprintln(env.stdout, "# Add to the config file (merge into auth.users if it already has users):")
	_, err = io.WriteString(env.stdout, snippet)
	return err
}

// usersYAML renders the config lines for one user, quoted as YAML needs.
func usersYAML(u config.User) (string, error) {
	doc := struct {
		Auth struct {
			Users []config.User `yaml:"users"`
		} `yaml:"auth"`
	}{}
	doc.Auth.Users = []config.User{u}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("user hash: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("user hash: %w", err)
	}
	return buf.String(), nil
}

// maxPasswordLine bounds what is read from a pipe; bcrypt uses at most 72 bytes anyway.
const maxPasswordLine = 4096

// readNewPassword asks twice on a terminal, without echo. From a pipe (a script, a password
// manager) it takes the first line as it is, apart from the line ending.
func readNewPassword(stdin io.Reader, prompt io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(q string) ([]byte, error) {
			fmt.Fprint(prompt, q)
			p, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			if err != nil {
				return nil, fmt.Errorf("read password: %w", err)
			}
			return p, nil
		}
		first, err := ask(fmt.Sprintf("Password (at least %d characters): ", auth.MinPasswordChars))
		if err != nil {
			return "", err
		}
		if err := auth.CheckPassword(string(first)); err != nil {
			return "", fmt.Errorf("user hash: %w", err)
		}
		second, err := ask("The same password again: ")
		if err != nil {
			return "", err
		}
		if !bytes.Equal(first, second) {
			return "", errors.New("user hash: the two passwords differ; nothing was made")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
