package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/config"
)

// userHash runs `rekkevidde user ARGS` with stdin as the password source (not a terminal).
func userHash(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &environment{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	err = runUserWith(context.Background(), env, strings.NewReader(stdin), args)
	return out.String(), errOut.String(), err
}

func TestUserHashFromStdin(t *testing.T) {
	const password = "blåbærsyltetøy og vafler"
	out, _, err := userHash(t, password+"\r\nignored second line\n", "hash", "--name", "kari", "--role", "editor", "--cost", "10")
	if err != nil {
		t.Fatal(err)
	}
	hash, snippet, _ := strings.Cut(out, "\n")
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		t.Fatalf("first line %q is not a hash of the password: %v", hash, err)
	}
	if cost, _ := bcrypt.Cost([]byte(hash)); cost != 10 {
		t.Errorf("cost %d", cost)
	}
	if strings.Contains(out, password) {
		t.Error("the password is echoed")
	}
	// The printed lines are a config file that loads, with the user in it.
	path := filepath.Join(t.TempDir(), "rekkevidde.yaml")
	if err := os.WriteFile(path, []byte(snippet), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, snippet)
	}
	if len(cfg.Auth.Users) != 1 || cfg.Auth.Users[0] != (config.User{Name: "kari", PasswordHash: hash, Role: "editor"}) {
		t.Errorf("users %+v", cfg.Auth.Users)
	}
	// And signing in with it works.
	a, err := auth.New(auth.Settings{Config: cfg.Auth, Key: bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := a.Login(context.Background(), "127.0.0.1", "kari", password); err != nil || s.Role != auth.Editor {
		t.Errorf("sign-in with the new hash: %v", err)
	}

	// Defaults: cost 12, role viewer, a placeholder name. A pipe without a final newline works.
	out, _, err = userHash(t, "tolv-tegn-ok", "hash")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "name: NAME") || !strings.Contains(out, "role: viewer") || !strings.HasPrefix(out, "$2a$12$") {
		t.Errorf("output:\n%s", out)
	}
}

func TestUserHashRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		stdin string
		args  []string
		want  string
		code  int
	}{
		"short password":   {"elleve-tegn\n", []string{"hash"}, "at least 12", 1},
		"empty stdin":      {"", []string{"hash"}, "at least 12", 1},
		"too long":         {strings.Repeat("p", 73), []string{"hash"}, "at most 72", 1},
		"no subcommand":    {"", nil, "one subcommand: hash", 2},
		"wrong subcommand": {"", []string{"add"}, "one subcommand: hash", 2},
		"bad role":         {"", []string{"hash", "--role", "root"}, "--role", 2},
		"cheap cost":       {"", []string{"hash", "--cost", "4"}, "--cost", 2},
	} {
		t.Run(name, func(t *testing.T) {
			out, _, err := userHash(t, c.stdin, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) || exitCode(err) != c.code {
				t.Fatalf("err %v (exit %d), want %q with exit %d", err, exitCode(err), c.want, c.code)
			}
			if strings.Contains(out, "$2") {
				t.Errorf("printed a hash anyway:\n%s", out)
			}
		})
	}
}

func TestServeRefusesWhenNoOneCanSignIn(t *testing.T) {
	// An unreachable ClickHouse proves the refusal comes before any database work.
	env := map[string]string{"REKKEVIDDE_CLICKHOUSE_ADDR": "127.0.0.1:1"}
	_, err := runCmd(t, nil, env, "serve")
	if err == nil || !strings.Contains(err.Error(), "no one could sign in") || !strings.Contains(err.Error(), "rekkevidde user hash") {
		t.Fatalf("got %v", err)
	}
	env["REKKEVIDDE_HTTP_LISTEN"] = "0.0.0.0:8080"
	_, err = runCmd(t, nil, env, "serve", "--demo-admin")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("--demo-admin on all interfaces: %v", err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDemoAdminKeepsItsPasswordAcrossStarts(t *testing.T) {
	cfg := config.Defaults()
	cfg.StateDir = t.TempDir()
	first, err := prepareSignIn(cfg, true, quiet())
	if err != nil {
		t.Fatal(err)
	}
	second, err := prepareSignIn(cfg, true, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if first.demoUser == nil || first.demoUser.Name != "admin" || first.demoUser.Role != config.RoleAdmin {
		t.Fatalf("demo user %+v", first.demoUser)
	}
	if first.demoPassword != second.demoPassword || len(first.demoPassword) < 16 {
		t.Errorf("passwords %q and %q: want one, of at least 16 characters", first.demoPassword, second.demoPassword)
	}
	if !bytes.Equal(first.key, second.key) || len(first.key) < auth.MinKeyBytes {
		t.Error("the session key changed between starts")
	}
	for _, f := range []string{auth.DemoAdminPasswordFile, auth.SessionKeyFile} {
		info, err := os.Stat(filepath.Join(cfg.StateDir, f))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", f, err, info.Mode().Perm())
		}
	}

	// With a real user configured, --demo-admin makes nothing.
	cfg.Auth.Users = []config.User{{Name: "kari", PasswordHash: "$2a$10$" + strings.Repeat("a", 53), Role: "admin"}}
	cfg.StateDir = t.TempDir()
	s, err := prepareSignIn(cfg, true, quiet())
	if err != nil || s.demoUser != nil {
		t.Errorf("with a user configured: %+v, %v", s.demoUser, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, auth.DemoAdminPasswordFile)); !os.IsNotExist(err) {
		t.Errorf("a demo password file was made: %v", err)
	}
}
