// Package apitokens keeps the bearer tokens of the read API (/api/v1): an admin creates one, it is
// shown once, and from then on only its SHA-256 exists, in ClickHouse (schemas/0005). A token
// carries its own id, so checking one is a point lookup by id and one constant-time comparison of
// hashes; the secret part never leaves this package except in the one answer to Create.
//
// Token format: "rkv_" + id (12 hex digits) + "_" + 32 random bytes in unpadded base64url, 60
// characters in all. The prefix lets secret scanners and people recognise a leaked token; the id is
// not secret (admins see it in the list) and names the token in `rekkevidde token revoke ID`.
package apitokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DB is what the manager needs from the store: *store.Store is one.
type DB interface {
	Conn() driver.Conn
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
}

// Token is a token as stored: everything but the secret.
type Token struct {
	ID        string
	Name      string
	CreatedBy string
	CreatedAt time.Time
	// RevokedAt is nil while the token is valid.
	RevokedAt *time.Time
	RevokedBy string
	// LastUsed is the last recorded use, to within TouchInterval; nil when never used.
	LastUsed *time.Time
}

// Revoked tells whether the token has been revoked.
func (t Token) Revoked() bool { return t.RevokedAt != nil }

// Errors callers tell apart. ErrInvalid covers malformed, unknown and wrong tokens alike, so an
// answer never says which part was wrong.
var (
	ErrInvalid   = errors.New("api token is not valid")
	ErrRevoked   = errors.New("api token has been revoked")
	ErrNotFound  = errors.New("no api token with that id")
	ErrBadName   = errors.New("api token name must be 1–80 characters of printable text")
	ErrNoCreator = errors.New("api token needs the name of whoever creates or revokes it")
	// ErrAlreadyRevoked is returned by Revoke for a token revoked before.
	ErrAlreadyRevoked = errors.New("api token is already revoked")
)

const (
	prefix      = "rkv_"
	idBytes     = 6
	secretBytes = 32
	// TokenLength is the length of every token string.
	TokenLength = len(prefix) + 2*idBytes + 1 + 43
	maxName     = 80
)

// TouchInterval is how often, at most, one process records that a token was used. Recording every
// request would be one INSERT per API call; "last used" to within ten minutes is all anyone reads
// it for (is this token still in use before I revoke it?).
const TouchInterval = 10 * time.Minute

// Manager creates, lists, checks and revokes tokens. It is safe for concurrent use; its only state
// is when it last recorded each token's use.
type Manager struct {
	db  DB
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	touched map[string]time.Time
}

// New returns a manager over db. A nil log discards; now nil means time.Now.
func New(db DB, log *slog.Logger, now func() time.Time) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Manager{db: db, log: log, now: now, touched: map[string]time.Time{}}
}

// Hash is the stored form of a token: hex SHA-256 of the whole token string.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// parse splits a token into its id, or fails for anything that is not shaped like one of ours.
// Shape is checked before any database lookup, so garbage never costs a query.
func parse(token string) (id string, ok bool) {
	if len(token) != TokenLength || !strings.HasPrefix(token, prefix) {
		return "", false
	}
	id = token[len(prefix) : len(prefix)+2*idBytes]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", false
	}
	if token[len(prefix)+2*idBytes] != '_' {
		return "", false
	}
	secret, err := base64.RawURLEncoding.DecodeString(token[len(prefix)+2*idBytes+1:])
	if err != nil || len(secret) != secretBytes {
		return "", false
	}
	return id, true
}

// CheckName validates a token's name (what it is for: "Power BI", "årsrapport-skript").
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) {
		return "", ErrBadName
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", ErrBadName
		}
	}
	return name, nil
}

// Create makes a new token named name for creator and returns it with its secret, which is
// shown to the creator once and never again.
func (m *Manager) Create(ctx context.Context, name, creator string) (Token, string, error) {
	name, err := CheckName(name)
	if err != nil {
		return Token{}, "", err
	}
	creator = strings.TrimSpace(creator)
	if creator == "" {
		return Token{}, "", ErrNoCreator
	}
	var raw [idBytes + secretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", fmt.Errorf("create api token: %w", err)
	}
	id := hex.EncodeToString(raw[:idBytes])
	secret := prefix + id + "_" + base64.RawURLEncoding.EncodeToString(raw[idBytes:])
	t := Token{ID: id, Name: name, CreatedBy: creator, CreatedAt: m.now().UTC().Truncate(time.Second)}
	if err := m.write(ctx, t, Hash(secret), 0); err != nil {
		return Token{}, "", fmt.Errorf("create api token %q: %w", name, err)
	}
	m.log.InfoContext(ctx, "api token created", "token_id", id, "name", name, "by", creator)
	return t, secret, nil
}

var tokenColumns = []string{"id", "name", "hash", "created_by", "created_at", "revoked_at", "revoked_by", "version"}

// write stores t under a version above after. Versions come from the real clock, not m.now (a
// test's fixed clock), and always above the row's previous version, so a revocation replaces the
// row it revokes whatever the clocks say.
func (m *Manager) write(ctx context.Context, t Token, hash string, after uint64) error {
	version := max(uint64(time.Now().UnixNano()), after+1)
	return m.db.Insert(ctx, "api_tokens", tokenColumns, [][]any{{
		t.ID, t.Name, hash, t.CreatedBy, t.CreatedAt, t.RevokedAt, t.RevokedBy, version,
	}})
}

// stored is a token row with its hash and version.
type stored struct {
	Token
	hash    string
	version uint64
}

func (m *Manager) get(ctx context.Context, id string) (*stored, error) {
	rows, err := m.db.Conn().Query(ctx, `
SELECT id, name, hash, created_by, created_at, revoked_at, revoked_by, version
FROM api_tokens FINAL
WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read api token %s: %w", id, err)
	}
	defer func() { _ = rows.Close() }()
	var s *stored
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.ID, &r.Name, &r.hash, &r.CreatedBy, &r.CreatedAt, &r.RevokedAt, &r.RevokedBy, &r.version); err != nil {
			return nil, fmt.Errorf("read api token %s: %w", id, err)
		}
		s = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read api token %s: %w", id, err)
	}
	if s != nil {
		s.CreatedAt = s.CreatedAt.UTC()
		if s.RevokedAt != nil {
			r := s.RevokedAt.UTC()
			s.RevokedAt = &r
		}
	}
	return s, nil
}

// Authenticate checks a presented token and returns it. Wrong, malformed and unknown tokens are
// ErrInvalid, a revoked one ErrRevoked; any other error is the database's. A valid token's use is
// recorded (see TouchInterval); failing to record it is logged, not fatal.
func (m *Manager) Authenticate(ctx context.Context, presented string) (Token, error) {
	id, ok := parse(presented)
	if !ok {
		return Token{}, ErrInvalid
	}
	s, err := m.get(ctx, id)
	if err != nil {
		return Token{}, err
	}
	// With no token of that id, compare against zeros, so an unknown id and a wrong secret take the
	// same work.
	want := make([]byte, sha256.Size)
	if s != nil {
		if want, err = hex.DecodeString(s.hash); err != nil {
			return Token{}, fmt.Errorf("api token %s: stored hash is not hex: %w", id, err)
		}
	}
	got := sha256.Sum256([]byte(presented))
	if subtle.ConstantTimeCompare(got[:], want) != 1 || s == nil {
		return Token{}, ErrInvalid
	}
	if s.Revoked() {
		return s.Token, ErrRevoked
	}
	m.touch(ctx, id)
	return s.Token, nil
}

// touch records a use of token id unless this process did so within TouchInterval.
func (m *Manager) touch(ctx context.Context, id string) {
	now := m.now().UTC()
	m.mu.Lock()
	last, seen := m.touched[id]
	if seen && now.Sub(last) < TouchInterval {
		m.mu.Unlock()
		return
	}
	m.touched[id] = now
	m.mu.Unlock()
	err := m.db.Insert(ctx, "api_token_use", []string{"token_id", "used_at"}, [][]any{{id, now.Truncate(time.Second)}})
	if err != nil {
		m.log.WarnContext(ctx, "could not record api token use", "token_id", id, "err", err)
		m.mu.Lock()
		delete(m.touched, id) // try again on the next request
		m.mu.Unlock()
	}
}

// List returns every token, valid and revoked, newest first, with when each was last used.
func (m *Manager) List(ctx context.Context) ([]Token, error) {
	used, err := m.lastUses(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := m.db.Conn().Query(ctx, `
SELECT id, name, created_by, created_at, revoked_at, revoked_by
FROM api_tokens FINAL
ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedBy, &t.CreatedAt, &t.RevokedAt, &t.RevokedBy); err != nil {
			return nil, fmt.Errorf("list api tokens: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if t.RevokedAt != nil {
			r := t.RevokedAt.UTC()
			t.RevokedAt = &r
		}
		if u, ok := used[t.ID]; ok {
			t.LastUsed = &u
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// lastUses reads every token's last recorded use. Two plain queries rather than a JOIN, whose
// syntax and NULL handling differ between ClickHouse 18.16 and current releases.
func (m *Manager) lastUses(ctx context.Context) (map[string]time.Time, error) {
	rows, err := m.db.Conn().Query(ctx, `SELECT token_id, max(used_at) FROM api_token_use GROUP BY token_id`)
	if err != nil {
		return nil, fmt.Errorf("read api token uses: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("read api token uses: %w", err)
		}
		out[id] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read api token uses: %w", err)
	}
	return out, nil
}

// Revoke ends token id now. The row is written again with revoked_at set; the hash stays so the
// token is still recognised, and refused as revoked rather than as unknown.
func (m *Manager) Revoke(ctx context.Context, id, by string) (Token, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return Token{}, ErrNoCreator
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if _, err := hex.DecodeString(id); err != nil || len(id) != 2*idBytes {
		return Token{}, ErrNotFound
	}
	s, err := m.get(ctx, id)
	if err != nil {
		return Token{}, err
	}
	if s == nil {
		return Token{}, ErrNotFound
	}
	if s.Revoked() {
		return s.Token, ErrAlreadyRevoked
	}
	now := m.now().UTC().Truncate(time.Second)
	s.RevokedAt, s.RevokedBy = &now, by
	if err := m.write(ctx, s.Token, s.hash, s.version); err != nil {
		return Token{}, fmt.Errorf("revoke api token %s: %w", id, err)
	}
	m.log.InfoContext(ctx, "api token revoked", "token_id", id, "name", s.Name, "by", by)
	return s.Token, nil
}
