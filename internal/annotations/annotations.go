// Package annotations is the write path of manual notes: the markers a communications team puts
// on the time charts by hand ("Ny forside på innomed.no", "LinkedIn-kampanje høsten 2022"). A note
// is stored in annotations (kind manual) under a scope — a site id, or "global" for every site —
// and drawn on the charts by internal/query.Annotations. Editors add, change and delete notes on
// the dashboard; every change adds a row to annotation_changes (who, when, before and after), and
// nothing is removed: a change or a deletion is a newer version of the note.
package annotations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/store"
)

// GlobalScope is the scope of a note shown on every site's charts.
const GlobalScope = "global"

// Field names, as the form names them.
const (
	FieldScope = "scope"
	FieldDate  = "date"
	FieldTitle = "title"
	FieldLink  = "link"
)

// Limits of a note's text.
const (
	MaxTitle = 200
	MaxLink  = 500
)

// Note is one manual marker.
type Note struct {
	Scope   string    `json:"scope"`
	ID      string    `json:"annotation_id"`
	Date    time.Time `json:"date"` // a calendar day, at UTC midnight
	Title   string    `json:"title"`
	Link    string    `json:"link"`
	Deleted bool      `json:"deleted"`
	// Source is who wrote the newest version: "form" for the dashboard, "demo", an import.
	Source string `json:"source"`
}

// Input is a note as typed.
type Input struct {
	Scope, Date, Title, Link string
	// Scopes are the scopes a note may have (the configured sites and GlobalScope).
	Scopes []string
}

// Errors lists every problem of an Input, one per field (events.FieldError, as the events form).
type Errors = events.Errors

// Note validates in and returns the note it stands for, with id (a new one when empty).
func (in Input) Note(id string) (Note, error) {
	var errs Errors
	bad := func(field, format string, args ...any) {
		errs = append(errs, events.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	scope := strings.TrimSpace(in.Scope)
	known := false
	for _, s := range in.Scopes {
		known = known || s == scope
	}
	if !known {
		bad(FieldScope, "%q is not a site or %s", in.Scope, GlobalScope)
	}
	day, err := events.ParseDate(in.Date)
	if err != nil {
		bad(FieldDate, "%s", err)
	}
	title := strings.Join(strings.Fields(in.Title), " ")
	switch {
	case title == "":
		bad(FieldTitle, "required")
	case utf8.RuneCountInString(title) > MaxTitle:
		bad(FieldTitle, "longer than %d characters", MaxTitle)
	case strings.ContainsFunc(title, unicode.IsControl):
		bad(FieldTitle, "holds a control character")
	}
	link := strings.TrimSpace(in.Link)
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > MaxLink {
			bad(FieldLink, "%q is not a web address (https://…) of at most %d characters", link, MaxLink)
		}
	}
	if len(errs) > 0 {
		return Note{}, errs
	}
	if id == "" {
		id = newID(day)
	} else if !idPattern.MatchString(id) {
		return Note{}, fmt.Errorf("annotations: %q is not a note id", id)
	}
	return Note{Scope: scope, ID: id, Date: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
		Title: title, Link: link, Source: formSource}, nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$`)

// formSource labels notes written on the dashboard.
const formSource = "form"

func newID(day time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "note-" + day.Format("2006-01-02") + "-" + hex.EncodeToString(b)
}

// Change actions, as stored in annotation_changes.action.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Save writes n as the note's newest version and records the change: created when before is nil,
// else updated. by is the signed-in person's name.
func Save(ctx context.Context, st *store.Store, n Note, before *Note, by string) error {
	action := ActionCreated
	if before != nil {
		action = ActionUpdated
	}
	n.Deleted, n.Source = false, formSource
	return write(ctx, st, n, before, by, action)
}

// Delete writes the note again flagged deleted (the charts leave it out) and records the change.
func Delete(ctx context.Context, st *store.Store, n Note, by string) error {
	before := n
	n.Deleted, n.Source = true, formSource
	return write(ctx, st, n, &before, by, ActionDeleted)
}

func write(ctx context.Context, st *store.Store, n Note, before *Note, by, action string) error {
	if strings.TrimSpace(by) == "" {
		return errors.New("annotations: who made the change is required")
	}
	version := store.NewVersion()
	deleted := uint8(0)
	if n.Deleted {
		deleted = 1
	}
	err := st.Insert(ctx, "annotations", []string{"scope", "annotation_id", "date", "kind", "title", "link", "deleted", "source", "version"},
		[][]any{{n.Scope, n.ID, n.Date, "manual", n.Title, n.Link, deleted, n.Source, version}})
	if err != nil {
		return fmt.Errorf("save note %s: %w", n.ID, err)
	}
	prev := ""
	if before != nil {
		b, err := json.Marshal(before)
		if err != nil {
			return fmt.Errorf("save note %s: %w", n.ID, err)
		}
		prev = string(b)
	}
	after, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("save note %s: %w", n.ID, err)
	}
	err = st.Insert(ctx, "annotation_changes", []string{"scope", "annotation_id", "changed_at", "changed_by", "action", "before", "after", "version"},
		[][]any{{n.Scope, n.ID, time.Now().UTC().Truncate(time.Second), by, action, prev, string(after), version}})
	if err != nil {
		return fmt.Errorf("note %s saved, but not its audit row: %w", n.ID, err)
	}
	return nil
}

// List returns the manual notes of the scopes that are not deleted, newest day first.
func List(ctx context.Context, conn driver.Conn, scopes []string) ([]Note, error) {
	rows, err := conn.Query(ctx, `
SELECT scope, annotation_id, date, title, link, deleted, source FROM annotations FINAL
WHERE kind = 'manual' AND deleted = 0 AND has(?, scope)
ORDER BY date DESC, title`, scopes)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	return scan(rows)
}

// Get returns one note, deleted or not; nil when there is none.
func Get(ctx context.Context, conn driver.Conn, scope, id string) (*Note, error) {
	rows, err := conn.Query(ctx, `
SELECT scope, annotation_id, date, title, link, deleted, source FROM annotations FINAL
WHERE kind = 'manual' AND scope = ? AND annotation_id = ?`, scope, id)
	if err != nil {
		return nil, fmt.Errorf("note %s: %w", id, err)
	}
	out, err := scan(rows)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

func scan(rows driver.Rows) ([]Note, error) {
	defer func() { _ = rows.Close() }()
	var out []Note
	for rows.Next() {
		var n Note
		var deleted uint8
		if err := rows.Scan(&n.Scope, &n.ID, &n.Date, &n.Title, &n.Link, &deleted, &n.Source); err != nil {
			return nil, fmt.Errorf("notes: %w", err)
		}
		n.Deleted = deleted == 1
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	return out, nil
}

// Change is one audit row.
type Change struct {
	At            time.Time
	By, Action    string
	Before, After *Note
}

// Changes returns a note's audit trail, newest first.
func Changes(ctx context.Context, conn driver.Conn, scope, id string) ([]Change, error) {
	rows, err := conn.Query(ctx, `
SELECT changed_at, changed_by, action, before, after FROM annotation_changes
WHERE scope = ? AND annotation_id = ?
ORDER BY changed_at DESC, version DESC`, scope, id)
	if err != nil {
		return nil, fmt.Errorf("changes of note %s: %w", id, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Change
	for rows.Next() {
		var c Change
		var before, after string
		if err := rows.Scan(&c.At, &c.By, &c.Action, &before, &after); err != nil {
			return nil, fmt.Errorf("changes of note %s: %w", id, err)
		}
		for _, x := range []struct {
			raw string
			to  **Note
		}{{before, &c.Before}, {after, &c.After}} {
			if x.raw == "" {
				continue
			}
			var n Note
			if err := json.Unmarshal([]byte(x.raw), &n); err != nil {
				return nil, fmt.Errorf("changes of note %s: %w", id, err)
			}
			*x.to = &n
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes of note %s: %w", id, err)
	}
	return out, nil
}
