package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/innomed/rekkevidde/internal/config"
)

// Files kept in state_dir.
const (
	SessionKeyFile        = "session.key"
	DemoAdminPasswordFile = "demo-admin-password"
)

// SessionKey returns the key that signs cookies: auth.session_key when configured, else a random
// key generated on first start and kept in state_dir/session.key (0600), so that sessions survive
// restarts without anyone having to choose a key.
func SessionKey(cfg config.Config) ([]byte, error) {
	if cfg.Auth.SessionKey.IsSet() {
		return []byte(cfg.Auth.SessionKey.Value()), nil
	}
	path := filepath.Join(cfg.StateDir, SessionKeyFile)
	key, err := readOrCreate(path, func() string {
		b := make([]byte, MinKeyBytes)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	})
	if err != nil {
		return nil, fmt.Errorf("auth: session key: %w", err)
	}
	raw, err := hex.DecodeString(key)
	if err != nil || len(raw) < MinKeyBytes {
		return nil, fmt.Errorf("auth: session key: %s is not %d hex-encoded bytes; delete it to have a new one made (everyone signs in again)", path, MinKeyBytes)
	}
	return raw, nil
}

// Password rules for local users.
const (
	MinPasswordChars = 12
	// bcrypt reads only the first 72 bytes; a longer password would be silently cut.
	maxPasswordBytes = 72
	// HashCost is the bcrypt cost for new hashes: about a quarter of a second on a current server,
	// which a person signing in does not notice and a guesser with the hash does.
	HashCost = 12
)

// CheckPassword tells why a new password is not acceptable, or nil.
func CheckPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordChars {
		return fmt.Errorf("the password has %d characters; at least %d are needed", n, MinPasswordChars)
	}
	if len(password) > maxPasswordBytes {
		return fmt.Errorf("the password is %d bytes long; bcrypt uses at most %d", len(password), maxPasswordBytes)
	}
	return nil
}

// HashPassword checks a new password and returns its bcrypt hash for auth.users[].password_hash.
func HashPassword(password string, cost int) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// DemoAdmin returns the local trial's admin user ("admin") and its password. The password is made
// once, randomly, and kept in state_dir/demo-admin-password (0600), so it stays the same across
// restarts and can be looked up there. It is never a built-in default.
func DemoAdmin(stateDir string) (config.User, string, error) {
	path := filepath.Join(stateDir, DemoAdminPasswordFile)
	password, err := readOrCreate(path, rand.Text) // 26 base32 characters, 130 bits
	if err != nil {
		return config.User{}, "", fmt.Errorf("auth: demo admin: %w", err)
	}
	if utf8.RuneCountInString(password) < 16 {
		return config.User{}, "", fmt.Errorf("auth: demo admin: the password in %s is shorter than 16 characters; delete the file to have a new one made", path)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return config.User{}, "", fmt.Errorf("auth: demo admin: %w", err)
	}
	return config.User{Name: "admin", PasswordHash: string(hash), Role: config.RoleAdmin}, password, nil
}

// readOrCreate returns the file's first line, creating the file with newValue() first if it does not
// exist. The new file is written in full under a temporary name and then linked into place, so a
// second process starting at the same moment reads either nothing or the whole value, never half.
func readOrCreate(path string, newValue func() string) (string, error) {
	if v, err := readFirstLine(path); !errors.Is(err, fs.ErrNotExist) {
		return v, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*") // CreateTemp makes it 0600
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.WriteString(newValue() + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	return readFirstLine(path)
}

func readFirstLine(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	return strings.TrimSpace(line), nil
}

// IsLoopback tells whether a listen address (host:port) accepts connections from this machine
// only. An empty host (":8080") listens on every interface, so it is not.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
