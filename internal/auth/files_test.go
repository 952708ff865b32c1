package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/internal/config"
)

func TestSessionKeyIsMadeOnceAndKept(t *testing.T) {
	cfg := config.Defaults()
	cfg.StateDir = filepath.Join(t.TempDir(), "state")

	// Two processes starting together agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := SessionKey(cfg)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("concurrent starts made different keys")
		}
	}
	if len(keys[0]) != MinKeyBytes {
		t.Errorf("key has %d bytes", len(keys[0]))
	}
	path := filepath.Join(cfg.StateDir, SessionKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, info.Mode().Perm())
	}
	again, err := SessionKey(cfg)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Errorf("a restart got another key (%v)", err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(cfg.StateDir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	if err := os.WriteFile(path, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := SessionKey(cfg); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a damaged key file: %v", err)
	}

	// A configured key wins and touches no file.
	if err := cfg.Auth.SessionKey.Override("K", func(k string) string {
		if k == "K" {
			return strings.Repeat("s", 40)
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	if k, err := SessionKey(cfg); err != nil || string(k) != strings.Repeat("s", 40) {
		t.Errorf("configured key: %q, %v", k, err)
	}
}

func TestDemoAdminKeepsItsPasswordAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	u1, pw1, err := DemoAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	u2, pw2, err := DemoAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pw1 != pw2 || len(pw1) < 16 {
		t.Fatalf("passwords %q and %q: want the same, at least 16 characters", pw1, pw2)
	}
	if u1.Name != "admin" || u1.Role != config.RoleAdmin || u2.Name != "admin" {
		t.Errorf("users %+v %+v", u1, u2)
	}
	for _, u := range []config.User{u1, u2} {
		if err := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw1)); err != nil {
			t.Errorf("hash does not match the password: %v", err)
		}
	}
	info, err := os.Stat(filepath.Join(dir, DemoAdminPasswordFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("password file: %v, mode %v", err, info.Mode().Perm())
	}
	if _, other, _ := DemoAdmin(t.TempDir()); other == pw1 {
		t.Error("another install got the same password: it is not random")
	}
}

func TestHashPasswordRules(t *testing.T) {
	for name, c := range map[string]struct {
		password string
		ok       bool
	}{
		"11 characters":       {"elleve-tegn", false},
		"12 characters":       {"tolv-tegn-ok", true},
		"12 letters, æøå":     {"blåbærsyltøy", true},
		"72 bytes":            {strings.Repeat("p", 72), true},
		"73 bytes":            {strings.Repeat("p", 73), false},
		"empty":               {"", false},
		"11 runes, 14 bytes":  {"æææææææææææ", false},
		"12 runes with space": {"korrekt hest", true},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := HashPassword(c.password, bcrypt.MinCost)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if c.ok && bcrypt.CompareHashAndPassword([]byte(h), []byte(c.password)) != nil {
				t.Error("hash does not verify")
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":  true,
		"127.1.2.3:80":    true,
		"[::1]:8080":      true,
		"localhost:8080":  true,
		"0.0.0.0:8080":    false,
		":8080":           false,
		"[::]:8080":       false,
		"10.0.0.5:8080":   false,
		"dashboard:8080":  false,
		"not an address":  false,
		"LOCALHOST:12345": true,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
