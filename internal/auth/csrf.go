package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"
)

// CSRF is a random secret bound to one session (or, before sign-in, to the login form's cookie).
// A form proves it was served by us to this browser by echoing a token made from the secret; a
// page on another site can make the browser send the cookie, but cannot read a token.
type CSRF struct{ secret []byte }

const csrfBytes = 32

func newCSRF() CSRF {
	b := make([]byte, csrfBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return CSRF{secret: b}
}

// Token returns a token for a form or an X-CSRF-Token header. Each call masks the secret with a
// fresh one-time pad, so the token differs on every page and a compressed response cannot leak the
// secret a byte at a time (BREACH); any of them checks.
func (c CSRF) Token() string {
	if len(c.secret) != csrfBytes {
		return ""
	}
	b := make([]byte, 2*csrfBytes)
	_, _ = rand.Read(b[:csrfBytes])
	subtle.XORBytes(b[csrfBytes:], b[:csrfBytes], c.secret)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Check tells whether token was made from this secret, in constant time.
func (c CSRF) Check(token string) bool {
	if len(c.secret) != csrfBytes || len(token) != base64.RawURLEncoding.EncodedLen(2*csrfBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 2*csrfBytes {
		return false
	}
	got := make([]byte, csrfBytes)
	subtle.XORBytes(got, b[:csrfBytes], b[csrfBytes:])
	return subtle.ConstantTimeCompare(got, c.secret) == 1
}

// LoginFormTTL is how long a sign-in form stays usable; long enough for a tab left open all day.
const LoginFormTTL = 24 * time.Hour

const purposeLogin = "login"

// ErrNoLoginForm means the sign-in post came without a valid login cookie: cookies are off, the
// form is older than LoginFormTTL, or the post was forged.
var ErrNoLoginForm = errors.New("auth: sign-in form cookie is missing, expired or not ours")

// NewLoginCSRF makes the secret the sign-in form is bound to before anyone is signed in, and the
// signed cookie value that carries it (double submit, but with a cookie only we can make, so a
// neighbouring site that can set cookies for our domain cannot plant its own).
func (a *Auth) NewLoginCSRF() (cookie string, c CSRF, err error) {
	c = newCSRF()
	cookie, err = a.signer.seal(purposeLogin, c.secret, a.now().Add(LoginFormTTL))
	return cookie, c, err
}

// LoginCSRF reads the login form's cookie value.
func (a *Auth) LoginCSRF(cookie string) (CSRF, error) {
	var secret []byte
	if _, err := a.signer.open(purposeLogin, cookie, &secret); err != nil || len(secret) != csrfBytes {
		return CSRF{}, ErrNoLoginForm
	}
	return CSRF{secret: secret}, nil
}
