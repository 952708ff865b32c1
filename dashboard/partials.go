package dashboard

import (
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// The data of the shared blocks in templates/partials.html, which every page can use: the
// messages above a form or list (flash), one form input with its error (field) and an admin list
// (list). A page builds these in Go and the template only places them, so the markup of a notice,
// an input or a table row is written once.

// Flash is what a page says above its form or list. Views embed it; {{template "flash" .Flash}}.
type Flash struct {
	// Notice says what just happened (saved, started): green, role=status.
	Notice string
	// Warning says what stands in the way (the scheduler is off): yellow, role=status.
	Warning string
	// Error says what went wrong (5 fields to correct): red, role=alert, id="form-errors", which
	// inputs point to with aria-describedby.
	Error string
}

// formField is one input with its label and message: {{template "field" .}}.
type formField struct {
	ID, Name, Label string
	// Hint is said after the label in brackets ("tt:mm").
	Hint  string
	Value string
	// Kind is "text" (the default), "date" (2000–2099), "url", or "count" and "time", which are
	// text with a numeric keyboard and no autocomplete (a type="number" would drop "1 200").
	Kind      string
	MaxLength int
	Err       fieldErr
}

// fieldErr is one field's message; the zero value (a field without error) renders nothing.
type fieldErr struct {
	Field, Message string
}

// listTable is an admin list (tokens, runs, notes, changes): a scrolling table with a header row
// and a row per item, or Empty when there is none. {{template "list" .}}.
type listTable struct {
	Caption string
	// Class is added to "figures".
	Class string
	Head  []listHead
	Rows  []listRow
	Empty string
}

type listHead struct {
	Label string
	Num   bool
	// Hidden labels are for screen readers only (a column of buttons).
	Hidden bool
}

type listRow struct {
	Class string
	Cells []listCell
}

// listCell is one cell: Text (a link, or code, when set so), then Lines one a line, then a
// Warning in small print, then a one-button form.
type listCell struct {
	Text  string
	Lines []string
	// Header makes the cell the row's <th scope="row">.
	Header bool
	Num    bool
	Class  string
	Code   bool
	Link   string
	// External links (typed by an editor) open without access to this page.
	External bool
	Warning  string
	Button   *cellButton
}

// Classes is the cell's class attribute.
func (c listCell) Classes() string {
	switch {
	case c.Num && c.Class != "":
		return "num " + c.Class
	case c.Num:
		return "num"
	}
	return c.Class
}

// cellButton is a form of one button that posts to Action with the page's CSRF token.
type cellButton struct {
	Action, Text, Label, CSRF string
}

// heads labels a list's columns from catalogue keys.
func heads(l i18n.Lang, keys ...string) []listHead {
	out := make([]listHead, len(keys))
	for i, k := range keys {
		out[i] = listHead{Label: l.T(k)}
	}
	return out
}

// confirmDelete is a folded box that asks before it posts a deletion: {{template "confirm-delete" .}}.
type confirmDelete struct {
	// Class is added to "event-delete".
	Class                                  string
	Summary, Confirm, Button, Action, CSRF string
}

// csrfOf is the page's CSRF token for its forms (none on the sign-in pages).
func csrfOf(l kit.Layout) string {
	if l.Account == nil {
		return ""
	}
	return l.Account.CSRF
}

// changeRow is one change in an audit trail (an event's, a note's).
type changeRow struct {
	When, By, Action string
	What             []string
}

// changeLog is an audit trail as a list, newest first as given.
func changeLog(l i18n.Lang, rows []changeRow) listTable {
	t := listTable{Head: heads(l, "eventform.col.when", "eventform.col.by", "eventform.col.action", "eventform.col.what"),
		Class: "narrow-52", Empty: l.T("eventform.no_changes")}
	for _, r := range rows {
		t.Rows = append(t.Rows, listRow{Cells: []listCell{{Text: r.When}, {Text: r.By}, {Text: r.Action, Header: true}, {Lines: r.What}}})
	}
	return t
}
