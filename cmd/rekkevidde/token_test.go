package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/chtest"
)

var printedToken = regexp.MustCompile(`(?m)^(rkv_([0-9a-f]{12})_[A-Za-z0-9_-]{43})$`)

func TestTokenCommands(t *testing.T) {
	st := chtest.Open(t)
	env := map[string]string{"USER": "kari"}

	out, err := runCmd(t, st, env, "token", "list")
	if err != nil || !strings.Contains(out, "no API tokens") {
		t.Fatalf("list on an empty database: %v\n%s", err, out)
	}
	out, err = runCmd(t, st, env, "token", "create", "Power", "BI")
	m := printedToken.FindStringSubmatch(out)
	if err != nil || m == nil || !strings.Contains(out, `"Power BI"`) || !strings.Contains(out, "shown only this once") {
		t.Fatalf("create: %v\n%s", err, out)
	}
	secret, id := m[1], m[2]
	m2 := apitokens.New(st, nil, nil)
	if tok, err := m2.Authenticate(context.Background(), secret); err != nil || tok.CreatedBy != "cli:kari" {
		t.Fatalf("the printed token does not authenticate: %+v, %v", tok, err)
	}

	out, err = runCmd(t, st, env, "token", "list")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "Power BI") || !strings.Contains(out, "active") ||
		strings.Contains(out, secret[17:]) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = runCmd(t, st, env, "token", "revoke", id, "--by", "ops")
	if err != nil || !strings.Contains(out, "Revoked API token "+id) {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if _, err := m2.Authenticate(context.Background(), secret); !errors.Is(err, apitokens.ErrRevoked) {
		t.Fatalf("after revoke: %v, want ErrRevoked", err)
	}
	out, err = runCmd(t, st, env, "token", "list")
	if err != nil || !strings.Contains(out, "revoked") || !strings.Contains(out, "by ops") {
		t.Fatalf("list after revoke: %v\n%s", err, out)
	}
	if out, err := runCmd(t, st, env, "token", "revoke", id); err != nil || !strings.Contains(out, "already revoked") {
		t.Fatalf("revoke twice: %v\n%s", err, out)
	}
	if _, err := runCmd(t, st, env, "token", "revoke", "000000000000"); err == nil || !strings.Contains(err.Error(), "no API token") {
		t.Fatalf("revoke an unknown id: %v", err)
	}
}

func TestTokenCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"token"}, {"token", "frob"}, {"token", "create"}, {"token", "revoke"}, {"token", "list", "extra"},
	} {
		if _, err := runCmd(t, nil, nil, args...); exitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
}
