package apitokens_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/apitokens"
	"github.com/innomed/rekkevidde/internal/chtest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenLifecycle(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	m := apitokens.New(st, nil, clk.now)

	tok, secret, err := m.Create(ctx, "  Power BI  ", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "Power BI" || len(secret) != apitokens.TokenLength || !strings.HasPrefix(secret, "rkv_"+tok.ID+"_") {
		t.Fatalf("created %+v with secret of length %d", tok, len(secret))
	}
	got, err := m.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.CreatedBy != "admin" {
		t.Fatalf("authenticate the new token: %+v, %v", got, err)
	}

	// Wrong secrets of every kind are the same error, and none is a database error.
	wrong := []string{
		"",
		"Bearer " + secret,
		secret[:len(secret)-1] + flip(secret[len(secret)-1]), // right id, wrong secret
		"rkv_000000000000_" + secret[17:],                    // unknown id
		strings.ToUpper(secret),
		secret + "x",
	}
	for _, w := range wrong {
		if _, err := m.Authenticate(ctx, w); !errors.Is(err, apitokens.ErrInvalid) {
			t.Errorf("authenticate %q: got %v, want ErrInvalid", w, err)
		}
	}

	// Only the hash is stored: no column holds the secret or its random part.
	var row string
	if err := st.Conn().QueryRow(ctx, "SELECT concat(id, '|', name, '|', hash, '|', created_by) FROM api_tokens").Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, secret[17:]) || !strings.Contains(row, apitokens.Hash(secret)) {
		t.Fatalf("stored row %q holds the secret or lacks its hash", row)
	}

	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].LastUsed == nil || list[0].Revoked() {
		t.Fatalf("list after one use: %+v, %v", list, err)
	}

	clk.add(time.Hour)
	revoked, err := m.Revoke(ctx, strings.ToUpper(tok.ID), "admin2")
	if err != nil || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(clk.now()) || revoked.RevokedBy != "admin2" {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	if _, err := m.Authenticate(ctx, secret); !errors.Is(err, apitokens.ErrRevoked) {
		t.Fatalf("authenticate a revoked token: got %v, want ErrRevoked", err)
	}
	if _, err := m.Revoke(ctx, tok.ID, "admin"); !errors.Is(err, apitokens.ErrAlreadyRevoked) {
		t.Fatalf("revoke twice: got %v", err)
	}
	for _, id := range []string{"000000000000", "nope", ""} {
		if _, err := m.Revoke(ctx, id, "admin"); !errors.Is(err, apitokens.ErrNotFound) {
			t.Errorf("revoke %q: got %v, want ErrNotFound", id, err)
		}
	}
	list, err = m.List(ctx)
	if err != nil || len(list) != 1 || !list[0].Revoked() {
		t.Fatalf("list after revoke: %+v, %v", list, err)
	}
}

func TestCreateRefusesBadNames(t *testing.T) {
	m := apitokens.New(nil, nil, nil) // never reaches the database
	for _, name := range []string{"", "   ", strings.Repeat("x", 81), "tab\there", "nul\x00"} {
		if _, _, err := m.Create(context.Background(), name, "admin"); !errors.Is(err, apitokens.ErrBadName) {
			t.Errorf("name %q: got %v, want ErrBadName", name, err)
		}
	}
	if _, _, err := m.Create(context.Background(), "ok", " "); !errors.Is(err, apitokens.ErrNoCreator) {
		t.Errorf("no creator: got %v", err)
	}
}

func TestUseIsRecordedAtMostOncePerInterval(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC)}
	m := apitokens.New(st, nil, clk.now)
	_, secret, err := m.Create(ctx, "script", "cli:test")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := m.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(apitokens.TouchInterval + time.Second)
	if _, err := m.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM api_token_use").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d use rows after 6 requests over two intervals, want 2", n)
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].LastUsed == nil || !list[0].LastUsed.Equal(clk.now()) {
		t.Fatalf("last used: %+v, %v (want %s)", list, err, clk.now())
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}
