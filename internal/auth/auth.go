// Package auth decides who may use the dashboard: local users whose bcrypt hashes are in the
// config, optional OpenID Connect sign-in (Microsoft Entra ID and the like), three ordered roles,
// signed session cookies that carry a session-bound CSRF secret, and login throttling.
//
// It knows nothing about HTTP routing: dashboard/auth.go moves cookie values and form fields in
// and out, and everything that needs a key or a secret happens here.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/internal/config"
)

// Role is what a signed-in person may do. Roles are ordered: an editor may do all a viewer may,
// an admin all an editor may. It is a string type so that a role can be written as the same word
// the config uses ("editor").
type Role string

// The roles, from least to most rights.
const (
	Viewer Role = config.RoleViewer
	Editor Role = config.RoleEditor
	Admin  Role = config.RoleAdmin
)

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Editor:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Valid tells whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast tells whether r grants everything min grants. An invalid role grants nothing.
func (r Role) AtLeast(min Role) bool { return r.Valid() && min.Valid() && r.rank() >= min.rank() }

// ParseRole accepts "viewer", "editor" or "admin".
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("auth: %q is not a role (viewer, editor or admin)", s)
}

// How a session was signed in.
const (
	MethodPassword = "password"
	MethodOIDC     = "oidc"
)

// Errors that callers tell apart. None of them says whether a user name exists.
var (
	ErrBadCredentials = errors.New("auth: wrong user name or password")
	ErrNoSession      = errors.New("auth: no session cookie")
	ErrInvalidSession = errors.New("auth: session cookie is not valid")
	ErrExpired        = errors.New("auth: session has expired")
)

// ThrottledError refuses a sign-in attempt without looking at the password, because this client
// or this user name has failed too often lately.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed sign-ins; try again in %s", e.Wait.Round(time.Second))
}

// Session is one signed-in person, as carried in the session cookie.
type Session struct {
	ID        string
	Name      string
	Role      Role
	Method    string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// CSRF is the secret every form posted in this session must echo back.
	CSRF CSRF
}

// Settings is what New needs.
type Settings struct {
	Config config.Auth
	// Key signs every cookie; at least 32 bytes (see SessionKey).
	Key []byte
	// HTTPClient talks to the OpenID Connect provider; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives sign-in events (never passwords, hashes or tokens); nil discards them.
	Log *slog.Logger
}

// Auth checks passwords, issues and reads sessions, and throttles failed sign-ins. It is safe for
// concurrent use.
type Auth struct {
	signer   *signer
	ttl      time.Duration
	users    map[string]config.User // by lower-case name
	now      func() time.Time
	log      *slog.Logger
	oidc     *OIDC
	throttle *throttle
	revoked  *revocations

	// hashing bounds concurrent bcrypt comparisons, so a flood of sign-in posts cannot take every
	// CPU from the people reading the dashboard.
	hashing chan struct{}

	dummyOnce sync.Once
	dummyHash []byte
	dummyCost int
}

// MinKeyBytes is the shortest session key accepted.
const MinKeyBytes = 32

// New builds an Auth from the validated config section.
func New(s Settings) (*Auth, error) {
	if len(s.Key) < MinKeyBytes {
		return nil, fmt.Errorf("auth: session key must be at least %d bytes, got %d", MinKeyBytes, len(s.Key))
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ttl := s.Config.SessionTTL
	if ttl <= 0 {
		ttl = config.Defaults().Auth.SessionTTL
	}
	a := &Auth{
		signer:    &signer{key: append([]byte(nil), s.Key...), now: now},
		ttl:       ttl,
		users:     make(map[string]config.User, len(s.Config.Users)),
		now:       now,
		log:       log,
		throttle:  newThrottle(maxThrottleKeys),
		revoked:   &revocations{ids: map[string]time.Time{}},
		hashing:   make(chan struct{}, max(1, runtime.NumCPU())),
		dummyCost: bcrypt.MinCost, // raised to the dearest configured hash below
	}
	for _, u := range s.Config.Users {
		if _, err := ParseRole(u.Role); err != nil {
			return nil, fmt.Errorf("auth: user %q: %w", u.Name, err)
		}
		// The dummy hash that unknown names are compared against costs as much as the dearest
		// real one, so the time a refusal takes does not tell whether the name exists.
		if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil && cost > a.dummyCost {
			a.dummyCost = cost
		}
		a.users[normaliseName(u.Name)] = u
	}
	if s.Config.OIDC != nil {
		client := s.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		o, err := newOIDC(*s.Config.OIDC, client, a.signer, log)
		if err != nil {
			return nil, err
		}
		a.oidc = o
	}
	return a, nil
}

// HasUsers tells whether any local user is configured (else the login form has no point).
func (a *Auth) HasUsers() bool { return len(a.users) > 0 }

// OIDC is the OpenID Connect sign-in, or nil when none is configured.
func (a *Auth) OIDC() *OIDC { return a.oidc }

// TTL is how long a new session lasts.
func (a *Auth) TTL() time.Duration { return a.ttl }

// maxNameBytes bounds what a user name may cost in the throttle's memory and in bcrypt's input.
const maxNameBytes = 256

func normaliseName(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if len(name) > maxNameBytes {
		name = name[:maxNameBytes]
	}
	return name
}

// Login checks a user name and password from the sign-in form. clientIP is the address the
// attempt came from; the address, and the name at that address, are throttled. Every attempt counts as a failure until
// it succeeds, so a burst of parallel guesses cannot slip past the limit.
func (a *Auth) Login(ctx context.Context, clientIP, name, password string) (*Session, error) {
	keys := loginKeys(clientIP, name)
	if wait := a.throttle.attempt(a.now(), keys); wait > 0 {
		a.log.WarnContext(ctx, "sign-in throttled", "ip", clientIP, "wait", wait.Round(time.Second))
		return nil, &ThrottledError{Wait: wait}
	}
	u, known := a.users[normaliseName(name)]
	if err := a.compare(ctx, u.PasswordHash, known, password); err != nil {
		if errors.Is(err, ErrBadCredentials) {
			// The attempted name is logged only when it is a real user: a name field sometimes
			// holds a password typed in the wrong box.
			attrs := []any{"ip", clientIP}
			if known {
				attrs = append(attrs, "user", u.Name)
			}
			a.log.InfoContext(ctx, "sign-in failed", attrs...)
		}
		return nil, err
	}
	a.throttle.forgive(keys)
	role, err := ParseRole(u.Role)
	if err != nil {
		return nil, err
	}
	a.log.InfoContext(ctx, "signed in", "user", u.Name, "role", role, "method", MethodPassword, "ip", clientIP)
	return a.NewSession(u.Name, role, MethodPassword)
}

// compare runs bcrypt against the user's hash, or against a dummy hash of the same cost when the
// user does not exist, so both answers take the same time.
func (a *Auth) compare(ctx context.Context, hash string, known bool, password string) error {
	a.dummyOnce.Do(func() {
		a.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user: the answer must take as long"), a.dummyCost)
	})
	h := a.dummyHash
	if known {
		h = []byte(hash)
	}
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("auth: sign-in: %w", ctx.Err())
	}
	// bcrypt reads only the first 72 bytes; a longer password is refused rather than truncated
	// (no hash here was made from one), after the same amount of work.
	err := bcrypt.CompareHashAndPassword(h, []byte(password))
	<-a.hashing
	if !known || len(password) > maxPasswordBytes || err != nil {
		if known && err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			// A malformed hash in the config: the user can never sign in until it is fixed.
			a.log.ErrorContext(ctx, "password hash in config is unusable", "err", err)
		}
		return ErrBadCredentials
	}
	return nil
}

// NewSession starts a session for a person already authenticated (by password or by OIDC).
func (a *Auth) NewSession(name string, role Role, method string) (*Session, error) {
	if !role.Valid() {
		return nil, fmt.Errorf("auth: new session for %q: invalid role %q", name, role)
	}
	now := a.now()
	return &Session{
		ID:        rand.Text(),
		Name:      name,
		Role:      role,
		Method:    method,
		IssuedAt:  now,
		ExpiresAt: now.Add(a.ttl),
		CSRF:      newCSRF(),
	}, nil
}

// sessionData is the session cookie's signed payload.
type sessionData struct {
	ID     string `json:"sid"`
	Name   string `json:"sub"`
	Role   Role   `json:"role"`
	Method string `json:"amr"`
	Issued int64  `json:"iat"`
	CSRF   []byte `json:"csrf"`
}

const purposeSession = "session"

// Encode turns a session into its cookie value.
func (a *Auth) Encode(s *Session) (string, error) {
	return a.signer.seal(purposeSession, sessionData{
		ID: s.ID, Name: s.Name, Role: s.Role, Method: s.Method, Issued: s.IssuedAt.Unix(), CSRF: s.CSRF.secret,
	}, s.ExpiresAt)
}

// Decode reads a session cookie value. A password session is valid only while its user is still
// configured, and takes the role the config gives now, so removing or demoting a user takes effect
// at the next restart rather than at the session's end.
func (a *Auth) Decode(value string) (*Session, error) {
	if value == "" {
		return nil, ErrNoSession
	}
	var d sessionData
	exp, err := a.signer.open(purposeSession, value, &d)
	switch {
	case errors.Is(err, errSealExpired):
		return nil, ErrExpired
	case err != nil:
		return nil, ErrInvalidSession
	}
	if a.revoked.has(d.ID, a.now()) || len(d.CSRF) != csrfBytes {
		return nil, ErrInvalidSession
	}
	s := &Session{
		ID: d.ID, Name: d.Name, Role: d.Role, Method: d.Method,
		IssuedAt: time.Unix(d.Issued, 0), ExpiresAt: exp, CSRF: CSRF{secret: d.CSRF},
	}
	switch d.Method {
	case MethodPassword:
		u, ok := a.users[normaliseName(d.Name)]
		if !ok {
			return nil, ErrInvalidSession
		}
		s.Name, s.Role = u.Name, Role(u.Role)
	case MethodOIDC:
		if a.oidc == nil {
			return nil, ErrInvalidSession
		}
	default:
		return nil, ErrInvalidSession
	}
	if !s.Role.Valid() {
		return nil, ErrInvalidSession
	}
	return s, nil
}

// Revoke ends a session before its expiry (sign-out), for as long as this process runs. The
// cookie is cleared in the browser as well; this also refuses a copy of it.
func (a *Auth) Revoke(s *Session) {
	if !a.revoked.add(s.ID, s.ExpiresAt, a.now()) {
		a.log.Warn("too many signed-out sessions remembered; this one is only cleared in the browser", "user", s.Name)
	}
}

// maxRevoked bounds the sign-out memory; it holds sessions only until they expire anyway.
const maxRevoked = 100_000

type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time // session id → its expiry
}

func (r *revocations) add(id string, exp, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) >= maxRevoked {
		for k, e := range r.ids {
			if !now.Before(e) {
				delete(r.ids, k)
			}
		}
		if len(r.ids) >= maxRevoked {
			return false
		}
	}
	r.ids[id] = exp
	return true
}

func (r *revocations) has(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	exp, ok := r.ids[id]
	return ok && now.Before(exp)
}
