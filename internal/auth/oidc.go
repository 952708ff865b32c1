package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/innomed/rekkevidde/internal/config"
)

// Errors from OpenID Connect sign-in, each shown to the person with its own explanation.
var (
	// ErrOIDCState: the callback does not belong to a sign-in this browser started (another tab,
	// a replayed link, more than OIDCStateTTL later, or a forged request).
	ErrOIDCState = errors.New("auth: OpenID Connect sign-in state is missing, expired or does not match")
	// ErrOIDCUnavailable: the provider could not be reached or refused the code.
	ErrOIDCUnavailable = errors.New("auth: OpenID Connect provider unavailable")
	// ErrOIDCToken: the provider's ID token failed verification (signature, issuer, audience,
	// expiry or nonce).
	ErrOIDCToken = errors.New("auth: OpenID Connect ID token refused")
)

// NoRoleError: the provider vouched for the person, but no claim value maps to a role and no
// default role is configured.
type NoRoleError struct{ Name string }

func (e *NoRoleError) Error() string {
	return fmt.Sprintf("auth: %q signed in with OpenID Connect but has no role here", e.Name)
}

// OIDCStateTTL is how long a sign-in started at the provider may take to come back.
const OIDCStateTTL = 10 * time.Minute

const purposeOIDC = "oidc"

// OIDC signs people in with an OpenID Connect provider: authorization code flow with state, nonce
// and PKCE (S256). The provider is discovered on first use rather than at start, so an outage at
// the provider never keeps the dashboard (or local sign-in) from starting.
type OIDC struct {
	cfg    config.OIDC
	client *http.Client
	signer *signer
	log    *slog.Logger

	mu       sync.Mutex
	provider *oidc.Provider
}

// DefaultRoleClaim is the ID-token claim read for roles when role_claim is not set (Entra ID app
// roles arrive there).
const DefaultRoleClaim = "roles"

func newOIDC(cfg config.OIDC, client *http.Client, s *signer, log *slog.Logger) (*OIDC, error) {
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	for value, role := range cfg.Roles {
		if _, err := ParseRole(role); err != nil {
			return nil, fmt.Errorf("auth: oidc roles[%q]: %w", value, err)
		}
	}
	if cfg.DefaultRole != "" {
		if _, err := ParseRole(cfg.DefaultRole); err != nil {
			return nil, fmt.Errorf("auth: oidc default_role: %w", err)
		}
	}
	return &OIDC{cfg: cfg, client: client, signer: s, log: log}, nil
}

// Label is the configured text for the sign-in button; empty means the page's own default.
func (o *OIDC) Label() string { return o.cfg.Label }

// discover fetches the provider's discovery document once; a failure is retried on the next call.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery at %s: %w", ErrOIDCUnavailable, o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret.Value(),
		RedirectURL:  o.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

// oidcState is what the browser carries, signed, from Begin to Finish.
type oidcState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"pkce"`
	Next     string `json:"next"`
}

// Begin starts a sign-in. It returns the provider URL to send the browser to and the value of the
// short-lived cookie that Finish needs back; next is where to go afterwards (already checked to be
// a local path).
func (o *OIDC) Begin(ctx context.Context, next string) (authURL, cookie string, err error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", "", err
	}
	st := oidcState{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Next: next}
	cookie, err = o.signer.seal(purposeOIDC, st, o.signer.now().Add(OIDCStateTTL))
	if err != nil {
		return "", "", err
	}
	authURL = o.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return authURL, cookie, nil
}

// Identity is a person the provider vouched for, with the role the config gives them.
type Identity struct {
	Name string
	Role Role
}

// Finish completes a sign-in from the callback's state and code and the cookie Begin made. It
// returns the person and the local path to go to.
func (o *OIDC) Finish(ctx context.Context, cookie, state, code string) (Identity, string, error) {
	var st oidcState
	if _, err := o.signer.open(purposeOIDC, cookie, &st); err != nil {
		return Identity{}, "", ErrOIDCState
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(st.State)) != 1 {
		return Identity{}, "", ErrOIDCState
	}
	p, err := o.discover(ctx)
	if err != nil {
		return Identity{}, "", err
	}
	ctx = oidc.ClientContext(ctx, o.client)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.client)
	tok, err := o.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return Identity{}, "", fmt.Errorf("%w: token endpoint: %w", ErrOIDCUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, "", fmt.Errorf("%w: the token response has no id_token", ErrOIDCToken)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Identity{}, "", fmt.Errorf("%w: %w", ErrOIDCToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return Identity{}, "", fmt.Errorf("%w: nonce does not match", ErrOIDCToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, "", fmt.Errorf("%w: %w", ErrOIDCToken, err)
	}
	id := Identity{Name: displayName(claims, idt.Subject)}
	role, ok := o.role(claims)
	if !ok {
		o.log.WarnContext(ctx, "OpenID Connect sign-in refused: no role", "user", id.Name, "claim", o.cfg.RoleClaim)
		return id, st.Next, &NoRoleError{Name: id.Name}
	}
	id.Role = role
	o.log.InfoContext(ctx, "signed in", "user", id.Name, "role", role, "method", MethodOIDC)
	return id, st.Next, nil
}

// displayName is the most readable stable name the token offers: Entra ID's preferred_username is
// the person's sign-in address.
func displayName(claims map[string]any, subject string) string {
	for _, k := range []string{"preferred_username", "email", "name"} {
		if s, ok := claims[k].(string); ok && s != "" {
			return s
		}
	}
	return subject
}

// role maps the role claim's values (a string or a list of strings) through the configured
// table; the highest role wins, and the default applies only when nothing matched.
func (o *OIDC) role(claims map[string]any) (Role, bool) {
	var values []string
	switch v := claims[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	var best Role
	for _, v := range values {
		if r := Role(o.cfg.Roles[v]); r.Valid() && r.rank() > best.rank() {
			best = r
		}
	}
	if best.Valid() {
		return best, true
	}
	if r := Role(o.cfg.DefaultRole); r.Valid() {
		return r, true
	}
	return "", false
}
