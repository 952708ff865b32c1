package ga4

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/config"
)

// scope is read-only access to Analytics reports, all the collector needs.
const scope = "https://www.googleapis.com/auth/analytics.readonly"

// parseKey checks the service-account key now, so a wrong file is reported at start-up naming
// the setting rather than on the first run. Errors never quote the key.
func parseKey(secret config.Secret) (*jwt.Config, error) {
	if !secret.IsSet() {
		return nil, errors.New("settings: credentials: missing: give the service-account key JSON as {file: /path/key.json} " +
			"(or set REKKEVIDDE_SOURCE_<ID>_CREDENTIALS_FILE); create the key in Google Cloud under IAM → Service accounts → Keys")
	}
	where := "settings: credentials (" + secret.Origin() + ")"
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	// json's own messages can quote a fragment of the input; ours do not.
	if json.Unmarshal([]byte(secret.Value()), &key) != nil {
		return nil, fmt.Errorf("%s: not a JSON key file: download the service account's key as JSON", where)
	}
	if key.Type != "service_account" {
		return nil, fmt.Errorf("%s: the key's type is %q, want \"service_account\": use a service account's JSON key, not user or workload credentials", where, key.Type)
	}
	if key.ClientEmail == "" || key.PrivateKey == "" {
		return nil, fmt.Errorf("%s: the key has no client_email or private_key: download the service account's JSON key again", where)
	}
	if err := checkPrivateKey(key.PrivateKey); err != nil {
		return nil, fmt.Errorf("%s: private_key: %w", where, err)
	}
	cfg, err := google.JWTConfigFromJSON([]byte(secret.Value()), scope)
	if err != nil {
		return nil, fmt.Errorf("%s: not a usable service-account key", where)
	}
	return cfg, nil
}

// checkPrivateKey accepts what the JWT signer accepts: an RSA key in PEM, PKCS#8 or PKCS#1.
func checkPrivateKey(pemText string) error {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return errors.New("not a PEM block (-----BEGIN PRIVATE KEY----- …)")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return errors.New("not a PKCS#8 or PKCS#1 private key")
		}
	}
	if _, ok := parsed.(*rsa.PrivateKey); !ok {
		return errors.New("not an RSA key; Google service-account keys are RSA")
	}
	return nil
}

// accessToken returns a valid token, fetching a new one from the key file's token_uri when the
// last one has expired. The token call goes through the shared HTTP client (retries, limits) and
// is cancelled with ctx.
func (c *Collector) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token.Valid() {
		return c.token.AccessToken, nil
	}
	client := &http.Client{Transport: contextTransport{ctx: ctx, base: c.http.Standard().Transport}}
	token, err := c.jwt.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, client)).Token()
	if err != nil {
		return "", c.tokenError(ctx, err)
	}
	c.token = token
	return token.AccessToken, nil
}

// forgetToken drops a token the API refused, so the next request fetches a fresh one.
func (c *Collector) forgetToken() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = nil
}

// contextTransport ties requests to ctx: the JWT token source posts without a context of its own.
type contextTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t contextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(t.ctx))
}

// tokenError explains a failed token exchange. Google answers a bad or deleted key with HTTP 400
// {"error":"invalid_grant","error_description":"Invalid JWT Signature."}.
func (c *Collector) tokenError(ctx context.Context, err error) error {
	prefix := fmt.Sprintf("ga4: property %s: get an access token with the service-account key (%s)", c.propertyID, c.keyOrigin)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", prefix, ctxErr)
	}
	var retrieve *oauth2.RetrieveError
	if !errors.As(err, &retrieve) || retrieve.Response == nil {
		return fmt.Errorf("%s: %s", prefix, c.http.Redact(err.Error()))
	}
	var answer struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(retrieve.Body, &answer)
	said := strings.TrimSpace(strings.Join([]string{answer.Error, answer.Description}, ": "))
	if answer.Error == "" {
		said = fmt.Sprintf("HTTP %d", retrieve.Response.StatusCode)
	}
	switch status := retrieve.Response.StatusCode; {
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("%s: Google's token endpoint is rate limiting (%s): %w", prefix, said, collectors.ErrRateLimited)
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		advice := "the key was refused: it may have been deleted or disabled in Google Cloud (IAM → Service accounts → Keys); create a new JSON key and update the credentials setting"
		if strings.Contains(answer.Description, "timeframe") || strings.Contains(answer.Description, "iat") {
			advice = "Google says the token request is outside its time window: check this machine's clock"
		}
		return fmt.Errorf("%s: %s (%s): %w", prefix, advice, said, collectors.ErrUnauthorized)
	default:
		return fmt.Errorf("%s: token endpoint answered %s", prefix, said)
	}
}
