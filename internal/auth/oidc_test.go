package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/auth/authtest"
	"github.com/innomed/rekkevidde/internal/config"
)

func secret(t testing.TB, v string) config.Secret {
	t.Helper()
	var s config.Secret
	if err := s.Override("X", func(k string) string {
		if k == "X" {
			return v
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func oidcConfig(t testing.TB, issuer string) *config.OIDC {
	return &config.OIDC{
		Issuer:       issuer,
		ClientID:     "rekkevidde",
		ClientSecret: secret(t, "client-secret"),
		RedirectURL:  "https://rekkevidde.example.no/auth/callback",
		Roles:        map[string]string{"Rekkevidde.Editor": "editor", "Rekkevidde.Admin": "admin", "Rekkevidde.Reader": "viewer"},
	}
}

func newOIDCAuth(t testing.TB, c *clock, o *config.OIDC) *Auth {
	t.Helper()
	a, err := New(Settings{Config: config.Auth{SessionTTL: time.Hour, OIDC: o}, Key: testKey, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signIn runs Begin, the provider's part and Finish, returning what Finish returns.
func signIn(t *testing.T, a *Auth, p *authtest.Provider, claims map[string]any) (Identity, string, error) {
	t.Helper()
	authURL, cookie, err := a.OIDC().Begin(context.Background(), "/nettsted?year=2022")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(authURL, p.URL+"/authorize?") {
		t.Fatalf("auth URL %s", authURL)
	}
	cb, err := url.Parse(p.Authorize(t, authURL, claims))
	if err != nil {
		t.Fatal(err)
	}
	return a.OIDC().Finish(context.Background(), cookie, cb.Query().Get("state"), cb.Query().Get("code"))
}

func TestOIDCSignInMapsRoles(t *testing.T) {
	p := authtest.New(t, "rekkevidde", "client-secret")
	c := newClock()
	c.t = time.Now() // the fake signs with the real clock
	a := newOIDCAuth(t, c, oidcConfig(t, p.URL))

	cases := map[string]struct {
		claims   map[string]any
		name     string
		role     Role
		defaults string
		noRole   bool
	}{
		"highest of several roles wins": {
			claims: map[string]any{"preferred_username": "kari@helse-vest.no", "roles": []string{"Rekkevidde.Reader", "Rekkevidde.Admin", "Other"}},
			name:   "kari@helse-vest.no", role: Admin,
		},
		"single string claim": {
			claims: map[string]any{"email": "ola@ks.no", "roles": "Rekkevidde.Editor"},
			name:   "ola@ks.no", role: Editor,
		},
		"no matching value, default role": {
			claims: map[string]any{"name": "Per", "roles": []string{"Something.Else"}},
			name:   "Per", role: Viewer, defaults: "viewer",
		},
		"no matching value, no default": {
			claims: map[string]any{"preferred_username": "x@y.no", "roles": []string{"Something.Else"}},
			name:   "x@y.no", noRole: true,
		},
		"no claim at all, no default": {
			claims: map[string]any{},
			name:   "subject-1", noRole: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a.oidc.cfg.DefaultRole = tc.defaults
			id, next, err := signIn(t, a, p, tc.claims)
			var nr *NoRoleError
			switch {
			case tc.noRole:
				if !errors.As(err, &nr) || nr.Name != tc.name {
					t.Fatalf("got %+v, %v; want NoRoleError for %s", id, err, tc.name)
				}
			case err != nil:
				t.Fatal(err)
			case id.Name != tc.name || id.Role != tc.role || next != "/nettsted?year=2022":
				t.Errorf("got %+v next %q; want %s as %s", id, next, tc.name, tc.role)
			}
		})
	}
	// The role claim can be another one (e.g. groups).
	a.oidc.cfg.RoleClaim = "groups"
	a.oidc.cfg.DefaultRole = ""
	id, _, err := signIn(t, a, p, map[string]any{"groups": []string{"Rekkevidde.Editor"}, "roles": []string{"Rekkevidde.Admin"}})
	if err != nil || id.Role != Editor {
		t.Errorf("groups claim: %+v %v", id, err)
	}
}

func TestOIDCRefusals(t *testing.T) {
	p := authtest.New(t, "rekkevidde", "client-secret")
	c := newClock()
	c.t = time.Now()
	a := newOIDCAuth(t, c, oidcConfig(t, p.URL))
	o := a.OIDC()
	ctx := context.Background()
	admin := map[string]any{"roles": []string{"Rekkevidde.Admin"}}

	begin := func() (cookie, state, code string) {
		t.Helper()
		authURL, cookie, err := o.Begin(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := url.Parse(p.Authorize(t, authURL, admin))
		return cookie, cb.Query().Get("state"), cb.Query().Get("code")
	}

	t.Run("state mismatch", func(t *testing.T) {
		cookie, _, code := begin()
		if _, _, err := o.Finish(ctx, cookie, "forged-state", code); !errors.Is(err, ErrOIDCState) {
			t.Errorf("got %v", err)
		}
		if p.Exchanges() != 0 {
			t.Error("the code was redeemed although the state did not match")
		}
	})
	t.Run("callback from another browser", func(t *testing.T) {
		_, state, code := begin()
		otherCookie, _, _ := begin()
		if _, _, err := o.Finish(ctx, otherCookie, state, code); !errors.Is(err, ErrOIDCState) {
			t.Errorf("got %v", err)
		}
		if _, _, err := o.Finish(ctx, "", state, code); !errors.Is(err, ErrOIDCState) {
			t.Errorf("no cookie: %v", err)
		}
	})
	t.Run("too late", func(t *testing.T) {
		cookie, state, code := begin()
		c.advance(OIDCStateTTL)
		defer c.advance(-OIDCStateTTL)
		if _, _, err := o.Finish(ctx, cookie, state, code); !errors.Is(err, ErrOIDCState) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		forger, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		p.SignWith = forger
		defer func() { p.SignWith = nil }()
		cookie, state, code := begin()
		if _, _, err := o.Finish(ctx, cookie, state, code); !errors.Is(err, ErrOIDCToken) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("nonce from another sign-in", func(t *testing.T) {
		p.Nonce = "replayed-nonce"
		defer func() { p.Nonce = "" }()
		cookie, state, code := begin()
		if _, _, err := o.Finish(ctx, cookie, state, code); !errors.Is(err, ErrOIDCToken) || !strings.Contains(err.Error(), "nonce") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		cookie, state, code := begin()
		if _, _, err := o.Finish(ctx, cookie, state, code); err != nil {
			t.Fatal(err)
		}
		if _, _, err := o.Finish(ctx, cookie, state, code); !errors.Is(err, ErrOIDCUnavailable) {
			t.Errorf("replayed code: %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		cfg := oidcConfig(t, p.URL)
		cfg.ClientSecret = secret(t, "not-the-secret")
		b := newOIDCAuth(t, c, cfg)
		authURL, cookie, err := b.OIDC().Begin(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := url.Parse(p.Authorize(t, authURL, admin))
		_, _, err = b.OIDC().Finish(ctx, cookie, cb.Query().Get("state"), cb.Query().Get("code"))
		if !errors.Is(err, ErrOIDCUnavailable) || strings.Contains(err.Error(), "not-the-secret") {
			t.Errorf("got %v", err)
		}
	})
}

func TestOIDCProviderDownDoesNotStopTheStart(t *testing.T) {
	c := newClock()
	a := newOIDCAuth(t, c, oidcConfig(t, "http://127.0.0.1:1"))
	if _, _, err := a.OIDC().Begin(context.Background(), "/"); !errors.Is(err, ErrOIDCUnavailable) {
		t.Errorf("got %v", err)
	}
}
