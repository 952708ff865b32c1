package kit

import (
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

// FormField is one input with its label and message: {{template "field" .}}.
type FormField struct {
	ID, Name, Label string
	// Hint is said after the label in brackets ("tt:mm").
	Hint  string
	Value string
	// Kind is "text" (the default), "date" (see DayField), "url", or "count" and "time", which are
	// text with a numeric keyboard and no autocomplete (a type="number" would drop "1 200").
	Kind      string
	MaxLength int
	// Placeholder is shown in the empty input (dd.mm.åååå).
	Placeholder string
	// Note is a line under the input saying how to fill it, which the input points to.
	Note string
	Err  FieldErr
}

// DayField is a day's input in the reader's notation, like the period picker's: a text field with
// the notation as placeholder, a pattern taking dd.mm.åååå (also 1.7.2022) and ISO, and the hint
// line under it. Not type=date: Chromium formats a date field by the browser's locale, not the
// page's lang, so a bokmål editor with an English browser saw mm/dd/yyyy. No numeric inputmode
// either: the iPhone's digit pad has neither '.' nor '-'. The value is shown in the reader's
// notation when it is a day (ReaderDay), else as typed, so a refused form loses nothing.
func DayField(l i18n.Lang, f FormField) FormField {
	f.Kind, f.Placeholder, f.Note, f.Value = "date", l.T("period.date_format"), l.T("period.date_hint"), ReaderDay(l, f.Value)
	return f
}

// FieldErr is one field's message; the zero value (a field without error) renders nothing.
type FieldErr struct {
	Field, Message string
}

// ListTable is an admin list (tokens, runs, notes, changes): a scrolling table with a header row
// and a row per item, or Empty when there is none. {{template "list" .}}.
type ListTable struct {
	Caption string
	// Class is added to "figures".
	Class string
	Head  []ListHead
	Rows  []ListRow
	Empty string
}

type ListHead struct {
	Label string
	Num   bool
	// Hidden labels are for screen readers only (a column of buttons).
	Hidden bool
}

type ListRow struct {
	Class string
	Cells []ListCell
}

// ListCell is one cell: Text (a link, or code, when set so), then Links, then Lines one a line, then a
// Warning in small print, then a one-button form.
type ListCell struct {
	Text  string
	Lines []string
	// Header makes the cell the row's <th scope="row">.
	Header bool
	Num    bool
	Class  string
	Code   bool
	Link   string
	// Links follow Text, separated by " · " (a year's quarterly reports).
	Links []CellLink
	// External links (typed by an editor) open without access to this page.
	External bool
	Warning  string
	Button   *CellButton
}

// Classes is the cell's class attribute.
func (c ListCell) Classes() string {
	switch {
	case c.Num && c.Class != "":
		return "num " + c.Class
	case c.Num:
		return "num"
	}
	return c.Class
}

// CellLink is one of a cell's Links.
type CellLink struct {
	URL, Label string
}

// CellButton is a form of one button that posts to Action with the page's CSRF token.
type CellButton struct {
	Action, Text, Label, CSRF string
}

// Heads labels a list's columns from catalogue keys.
func Heads(l i18n.Lang, keys ...string) []ListHead {
	out := make([]ListHead, len(keys))
	for i, k := range keys {
		out[i] = ListHead{Label: l.T(k)}
	}
	return out
}

// ConfirmDelete is a folded box that asks before it posts a deletion: {{template "confirm-delete" .}}.
type ConfirmDelete struct {
	// Class is added to "event-delete".
	Class                                  string
	Summary, Confirm, Button, Action, CSRF string
}

// CSRFOf is the page's CSRF token for its forms (none on the sign-in pages).
func CSRFOf(l Layout) string {
	if l.Account == nil {
		return ""
	}
	return l.Account.CSRF
}

// ChangeRow is one change in an audit trail (an event's, a note's).
type ChangeRow struct {
	When, By, Action string
	What             []string
}

// ChangeLog is an audit trail as a list, newest first as given.
func ChangeLog(l i18n.Lang, rows []ChangeRow) ListTable {
	t := ListTable{Head: Heads(l, "eventform.col.when", "eventform.col.by", "eventform.col.action", "eventform.col.what"),
		Class: "narrow-52", Empty: l.T("eventform.no_changes")}
	for _, r := range rows {
		t.Rows = append(t.Rows, ListRow{Cells: []ListCell{{Text: r.When}, {Text: r.By}, {Text: r.Action, Header: true}, {Lines: r.What}}})
	}
	return t
}
