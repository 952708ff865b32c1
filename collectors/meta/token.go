package meta

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/figures"
)

// CredentialName is the name the access token's expiry is recorded under.
const CredentialName = "access_token"

// dataAccessWarning is how long before Meta's data access for a token ends that each run says so.
const dataAccessWarning = 30 * 24 * time.Hour

// tokenCheckEvery is how long one check of the token stands. A backfill makes many steps within
// minutes; asking /debug_token in each would only add requests against the app's hourly quota, so
// the token is checked once per run (a scheduled run comes every few hours) and again after a
// refusal.
const tokenCheckEvery = time.Hour

type debugToken struct {
	Data struct {
		Type                string `json:"type"`
		IsValid             bool   `json:"is_valid"`
		ExpiresAt           int64  `json:"expires_at"`
		DataAccessExpiresAt int64  `json:"data_access_expires_at"`
		Error               *struct {
			Code    int    `json:"code"`
			Subcode int    `json:"subcode"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"data"`
}

// isTokenRefused tells code 190 (expired or invalid token) apart from other refusals of
// /debug_token, such as a Page token that may not inspect itself, which do not stop a run.
func isTokenRefused(err error) bool {
	var apiErr *collectors.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	e, ok := ParseError(apiErr.Body)
	return ok && e.Code == 190
}

// CheckToken asks Meta's /debug_token when the access token expires and adds a figures.Credential
// (no expiry for tokens that never expire, expires_at 0). A token Meta calls invalid or refuses ends
// the run with an error that wraps collectors.ErrUnauthorized; any other failure only leaves a note,
// since the figures can still be collected.
//
// A check that succeeded, or that Meta refused for a reason other than the token, stands for
// tokenCheckEvery: the next steps of the same run do not ask again (a refused token is asked again,
// since every other request fails too until it is replaced).
func (c *Client) CheckToken(ctx context.Context, sink *collectors.Sink) error {
	c.mu.Lock()
	fresh := !c.tokenChecked.IsZero() && c.now().Sub(c.tokenChecked) < tokenCheckEvery
	c.mu.Unlock()
	if fresh {
		return nil
	}
	err := c.checkToken(ctx, sink)
	if err == nil {
		c.mu.Lock()
		c.tokenChecked = c.now()
		c.mu.Unlock()
	}
	return err
}

func (c *Client) checkToken(ctx context.Context, sink *collectors.Sink) error {
	inspector := c.appToken
	if !inspector.IsSet() {
		inspector = c.token
	}
	var info debugToken
	u := c.url("debug_token", url.Values{"input_token": {c.token.Value()}})
	err := c.get(ctx, u, inspector, &info, "check the access token")
	switch {
	case isTokenRefused(err), errors.Is(err, collectors.ErrRateLimited):
		return err
	case err != nil:
		sink.Note("%s: the access token's expiry could not be read, so the health view cannot warn before it ends (set app_token to APP_ID|APP_SECRET to let the app inspect it): %s",
			c.source, err)
		return nil
	}
	checked := c.now().UTC().Truncate(time.Second)
	cred := figures.Credential{Name: CredentialName, CheckedAt: checked}
	if info.Data.ExpiresAt > 0 {
		t := time.Unix(info.Data.ExpiresAt, 0).UTC()
		cred.ExpiresAt = &t
	}
	sink.Add(cred)
	if !info.Data.IsValid {
		said := "no reason given"
		if e := info.Data.Error; e != nil {
			said = fmt.Sprintf("code %d, subcode %d: %s", e.Code, e.Subcode, c.Redact(e.Message))
		}
		return &metaError{msg: fmt.Sprintf("%s: Meta says the access token is not valid (%s): issue a new %s and set it as %s",
			c.source, said, c.tokenKind, c.tokenHint), errs: []error{collectors.ErrUnauthorized}}
	}
	if info.Data.DataAccessExpiresAt > 0 {
		ends := time.Unix(info.Data.DataAccessExpiresAt, 0).UTC()
		if ends.Sub(checked) < dataAccessWarning {
			sink.Note("%s: Meta's data access for the access token ends %s: after that insights stop; a person with a role on the account must log in to the app again before then and a new %s be set as %s",
				c.source, ends.Format(time.DateOnly), c.tokenKind, c.tokenHint)
		}
	}
	return nil
}
