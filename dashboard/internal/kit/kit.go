// Package kit is the plumbing the dashboard's parts share (the server in package dashboard, the
// pages and reports in dashboard/pages, the read API, sign-in and the admin pages): the embedded
// templates and static files and their rendering through the one layout (views.go, assets.go,
// render.go), what the middleware learns about a request (request.go), errors a user can fix,
// echoing request values safely, the configured sites and time zone, the scheduler's interface.
// It imports none of the parts, so every part can import it, and the layout stays shared without
// cycles.
package kit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// UserError is a problem with the request that the user can fix, shown to them in their language.
type UserError struct {
	Status int
	Key    string // message key in the i18n catalogue
	Args   []any
}

func (e *UserError) Error() string {
	// In English for logs, whatever the reader's language.
	return fmt.Sprintf("%d: %s", e.Status, i18n.EN.T(e.Key, e.Args...))
}

// BadRequest is a 400 whose message is the catalogue entry key filled with args.
func BadRequest(key string, args ...any) error {
	return &UserError{Status: fiber.StatusBadRequest, Key: key, Args: args}
}

// Clip shortens a value taken from the request before it is echoed back in a message.
func Clip(s string) string { return ClipText(s, 60) }

// ClipText shortens s to n runes and an ellipsis.
func ClipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// KeyName translates a stored key (channel, device, platform, kind, sector); an unknown one is
// shown as stored.
func KeyName(l i18n.Lang, dim, key string) string {
	if l.Has(dim + "." + key) {
		return l.T(dim + "." + key)
	}
	return key
}

// Site resolves ?site= against the configured sites; empty means the first one.
func Site(cfg config.Config, id string) (config.Site, error) {
	if len(cfg.Sites) == 0 {
		return config.Site{}, errors.New("dashboard: " + i18n.EN.T("error.no_sites"))
	}
	if id == "" {
		return cfg.Sites[0], nil
	}
	for _, s := range cfg.Sites {
		if s.ID == id {
			return s, nil
		}
	}
	return config.Site{}, BadRequest("error.unknown_site", Clip(id), strings.Join(cfg.SiteIDs(), ", "))
}

// Collections is what the dashboard needs from the scheduler (serve's): start a configured source's
// collection now, and whether one is under way. The freshness strip, the sources pages and the
// page cache's key read it.
type Collections interface {
	Trigger(id string) error
	Running(id string) bool
}

// Progressor is the optional part of Collections that tells how far a run has come.
type Progressor interface {
	Progress(id string) (done, total int, ok bool)
}

// Zone is the configured time zone; a Config that did not go through config.Load (tests) has
// only its name.
func Zone(cfg config.Config) *time.Location {
	if loc := cfg.Location(); loc != nil {
		return loc
	}
	if loc, err := time.LoadLocation(cfg.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Redact removes the ClickHouse password from a message that is about to leave the process. The
// driver does not put it in errors today; this keeps it that way whatever a future version does.
func Redact(cfg config.Config, msg string) string {
	if pw := cfg.ClickHouse.Password.Value(); pw != "" {
		msg = strings.ReplaceAll(msg, pw, "[redacted]")
	}
	return msg
}
