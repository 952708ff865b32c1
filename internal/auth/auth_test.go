package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/internal/config"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable time for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func hash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func testUsers(t testing.TB) []config.User {
	return []config.User{
		{Name: "Kari", PasswordHash: hash(t, "kari-sitt-passord"), Role: "editor"},
		{Name: "ola", PasswordHash: hash(t, "olas-lange-passord"), Role: "viewer"},
	}
}

func newAuth(t testing.TB, c *clock, users []config.User) *Auth {
	t.Helper()
	a, err := New(Settings{
		Config: config.Auth{SessionTTL: 12 * time.Hour, Users: users},
		Key:    testKey,
		Now:    c.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRolesAreOrdered(t *testing.T) {
	cases := map[string]struct {
		have, need Role
		want       bool
	}{
		"viewer for viewer": {Viewer, Viewer, true},
		"viewer for editor": {Viewer, Editor, false},
		"editor for viewer": {Editor, Viewer, true},
		"editor for admin":  {Editor, Admin, false},
		"admin for editor":  {Admin, Editor, true},
		"nothing for admin": {"", Viewer, false},
		"unknown role":      {"root", Viewer, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := c.have.AtLeast(c.need); got != c.want {
				t.Errorf("%q.AtLeast(%q) = %v", c.have, c.need, got)
			}
		})
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("ParseRole accepted superuser")
	}
	if r, err := ParseRole("admin"); err != nil || r != Admin {
		t.Errorf("ParseRole(admin) = %q, %v", r, err)
	}
}

func TestLogin(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, testUsers(t))
	ctx := context.Background()

	s, err := a.Login(ctx, "10.0.0.1", "  kari ", "kari-sitt-passord")
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	if s.Name != "Kari" || s.Role != Editor || s.Method != MethodPassword || !s.ExpiresAt.Equal(c.now().Add(12*time.Hour)) {
		t.Errorf("session %+v", s)
	}
	for name, attempt := range map[string][2]string{
		"wrong password":           {"kari", "kari-sitt-passorD"},
		"unknown user":             {"per", "kari-sitt-passord"},
		"empty":                    {"", ""},
		"another user's password":  {"ola", "kari-sitt-passord"},
		"right prefix, too long":   {"ola", "olas-lange-passord" + strings.Repeat("x", 80)},
		"password in the name box": {"olas-lange-passord", ""},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := a.Login(ctx, "10.0.0."+name, attempt[0], attempt[1])
			if !errors.Is(err, ErrBadCredentials) || s != nil {
				t.Errorf("got %v, %v; want ErrBadCredentials", s, err)
			}
		})
	}
}

func TestUnknownUsersAreComparedAgainstAHashOfTheSameCost(t *testing.T) {
	users := testUsers(t)
	h, err := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost+2)
	if err != nil {
		t.Fatal(err)
	}
	users = append(users, config.User{Name: "dyr", PasswordHash: string(h), Role: "viewer"})
	a := newAuth(t, newClock(), users)
	if _, err := a.Login(context.Background(), "1.2.3.4", "nobody", "whatever-it-is"); !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(a.dummyHash); err != nil || cost != bcrypt.MinCost+2 {
		t.Errorf("dummy hash cost %d (%v)", cost, err)
	}
}

func TestSessionCookieRoundTripAndRefusals(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, testUsers(t))
	s, err := a.Login(context.Background(), "10.0.0.1", "kari", "kari-sitt-passord")
	if err != nil {
		t.Fatal(err)
	}
	value, err := a.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Decode(value)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.ID != s.ID || got.Name != "Kari" || got.Role != Editor || !got.ExpiresAt.Equal(s.ExpiresAt.Truncate(time.Second)) {
		t.Errorf("decoded %+v, want %+v", got, s)
	}
	if !got.CSRF.Check(s.CSRF.Token()) {
		t.Error("the CSRF secret did not survive the cookie")
	}

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	dot := strings.LastIndexByte(value, '.')
	otherKey, err := New(Settings{Key: []byte(strings.Repeat("k", 32)), Config: config.Auth{Users: testUsers(t)}, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := otherKey.Encode(s)
	loginCookie, _, _ := a.NewLoginCSRF()
	for name, v := range map[string]string{
		"payload changed":     flip(value, 5),
		"signature changed":   flip(value, dot+3),
		"signature removed":   value[:dot],
		"signature truncated": value[:len(value)-2],
		"other key":           forged,
		"login cookie":        loginCookie,
		"garbage":             "v1.e30.e30",
		"huge":                "v1." + strings.Repeat("A", 5000) + ".x",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := a.Decode(v); !errors.Is(err, ErrInvalidSession) {
				t.Errorf("got %v, want ErrInvalidSession", err)
			}
		})
	}
	if _, err := a.Decode(""); !errors.Is(err, ErrNoSession) {
		t.Errorf("empty: %v", err)
	}

	// A user removed from the config (at a restart) loses the session; a demoted one keeps it
	// with the new role.
	users := testUsers(t)
	users[0].Role = "viewer"
	demoted := newAuth(t, c, users)
	if got, err := demoted.Decode(value); err != nil || got.Role != Viewer {
		t.Errorf("demoted user: %+v, %v", got, err)
	}
	if _, err := newAuth(t, c, users[1:]).Decode(value); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("removed user: %v", err)
	}

	c.advance(12*time.Hour - time.Second)
	if _, err := a.Decode(value); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	c.advance(time.Second)
	if _, err := a.Decode(value); !errors.Is(err, ErrExpired) {
		t.Errorf("at expiry: %v, want ErrExpired", err)
	}
}

func TestRevokedSessionIsRefused(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, testUsers(t))
	s, _ := a.NewSession("ola", Viewer, MethodPassword)
	value, _ := a.Encode(s)
	if _, err := a.Decode(value); err != nil {
		t.Fatal(err)
	}
	a.Revoke(s)
	if _, err := a.Decode(value); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("after sign-out: %v", err)
	}
	other, _ := a.NewSession("ola", Viewer, MethodPassword)
	if v, _ := a.Encode(other); v == value {
		t.Error("two sessions share a cookie")
	} else if _, err := a.Decode(v); err != nil {
		t.Errorf("another session of the same user: %v", err)
	}
}

func TestOIDCSessionNeedsOIDCConfigured(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	s, _ := a.NewSession("kari@hf.no", Admin, MethodOIDC)
	v, _ := a.Encode(s)
	if _, err := a.Decode(v); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("OIDC session without OIDC: %v", err)
	}
	if _, err := a.NewSession("x", "root", MethodOIDC); err == nil {
		t.Error("NewSession accepted an invalid role")
	}
}

func TestCSRFTokens(t *testing.T) {
	a := newCSRF()
	b := newCSRF()
	t1, t2 := a.Token(), a.Token()
	if t1 == t2 {
		t.Error("tokens repeat; they should be masked afresh each time")
	}
	if !a.Check(t1) || !a.Check(t2) {
		t.Error("own tokens refused")
	}
	for name, tok := range map[string]string{
		"empty":         "",
		"other session": b.Token(),
		"truncated":     t1[:len(t1)-1],
		"not base64":    strings.Repeat("*", len(t1)),
		"secret itself": strings.Repeat("A", len(t1)),
	} {
		if a.Check(tok) {
			t.Errorf("%s: accepted", name)
		}
	}
	if (CSRF{}).Check((CSRF{}).Token()) {
		t.Error("the zero CSRF accepts something")
	}
}

func TestLoginCSRFCookie(t *testing.T) {
	c := newClock()
	a := newAuth(t, c, nil)
	cookie, csrf, err := a.NewLoginCSRF()
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.LoginCSRF(cookie)
	if err != nil || !got.Check(csrf.Token()) {
		t.Fatalf("login cookie: %v", err)
	}
	s, _ := a.NewSession("x", Viewer, MethodPassword)
	sessionCookie, _ := a.Encode(s)
	if _, err := a.LoginCSRF(sessionCookie); !errors.Is(err, ErrNoLoginForm) {
		t.Errorf("a session cookie taken for a login cookie: %v", err)
	}
	c.advance(LoginFormTTL)
	if _, err := a.LoginCSRF(cookie); !errors.Is(err, ErrNoLoginForm) {
		t.Errorf("expired login cookie: %v", err)
	}
}
