package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// signer seals small values into cookie-safe strings that only a holder of the key can make:
//
//	v1.<base64url(JSON {"exp": unix seconds, "v": value})>.<base64url(HMAC-SHA256)>
//
// The MAC covers the purpose ("session", "login", "oidc") as well, so a value sealed for one
// cookie is refused as another. Values are signed, not encrypted: nothing sealed here is secret
// from the browser that holds it (the cookies are HttpOnly, so it is secret from page scripts).
//
// This is the standard library rather than gorilla/securecookie because it is the whole of what is
// needed — one MAC, one expiry, compared with hmac.Equal — and each piece is visible and tested
// here; securecookie would add a serializer choice, its own timestamp beside ours and optional
// encryption we do not use.
type signer struct {
	key []byte
	now func() time.Time
}

const sealVersion = "v1"

// maxSealed bounds what is parsed at all; browsers keep cookies up to 4 KiB.
const maxSealed = 4096

var (
	errSealInvalid = errors.New("sealed value is not valid")
	errSealExpired = errors.New("sealed value has expired")
)

type envelope struct {
	Exp int64           `json:"exp"`
	V   json.RawMessage `json:"v"`
}

func (s *signer) mac(purpose, signed string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("rekkevidde " + purpose + "\n"))
	m.Write([]byte(signed))
	return m.Sum(nil)
}

func (s *signer) seal(purpose string, v any, exp time.Time) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("auth: seal %s: %w", purpose, err)
	}
	payload, err := json.Marshal(envelope{Exp: exp.Unix(), V: raw})
	if err != nil {
		return "", fmt.Errorf("auth: seal %s: %w", purpose, err)
	}
	signed := sealVersion + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, signed)), nil
}

// open checks the MAC before it looks at anything else, then the expiry, and decodes the value
// into v. It returns the expiry.
func (s *signer) open(purpose, sealed string, v any) (time.Time, error) {
	if len(sealed) > maxSealed {
		return time.Time{}, errSealInvalid
	}
	i := strings.LastIndexByte(sealed, '.')
	if i < 0 || !strings.HasPrefix(sealed, sealVersion+".") {
		return time.Time{}, errSealInvalid
	}
	signed, sig := sealed[:i], sealed[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, signed)) {
		return time.Time{}, errSealInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(signed, sealVersion+"."))
	if err != nil {
		return time.Time{}, errSealInvalid
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return time.Time{}, errSealInvalid
	}
	exp := time.Unix(env.Exp, 0)
	if !s.now().Before(exp) {
		return exp, errSealExpired
	}
	if err := json.Unmarshal(env.V, v); err != nil {
		return time.Time{}, errSealInvalid
	}
	return exp, nil
}
