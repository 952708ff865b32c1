package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/annotations"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/store"
)

// Manual notes (/markeringer): editors add, change and delete the markers the time charts show
// (internal/annotations keeps every change in annotation_changes). The charts read them through
// internal/query.Annotations like every other marker.

// NotesPath is the notes page's address.
const NotesPath = "/markeringer"

// Notes is the notes pages, built once by NewNotes; read-only afterwards.
type Notes struct {
	store  *store.Store
	sites  []config.Site
	loc    *time.Location
	log    *slog.Logger
	render *kit.Renderer
	lang   i18n.Lang
}

// NewNotes builds the notes pages over d; without d.Store they answer 503.
func NewNotes(d Deps) *Notes {
	return &Notes{store: d.Store, sites: d.Config.Sites, loc: kit.Zone(d.Config), log: d.Log, render: d.Render, lang: d.Render.Lang}
}

// scopeOption is one choice of the scope select: URL is the value.
type scopeOption struct {
	URL, Label string
}

// notesView is the data of kit's templates/notes.html: the list with the new-note form, or one note's
// edit form with its changes.
type notesView struct {
	kit.Layout
	Heading, Intro string
	// Flash: Notice after a change, Error counting the fields to correct.
	kit.Flash
	Errors map[string]kit.FieldErr
	Action string
	V      annotations.Input
	Scopes []scopeOption
	Notes  kit.ListTable
	// Editing: one note's page (DeleteURL, Changes).
	Editing   bool
	DeleteURL string
	Changes   kit.ListTable
}

// DeleteBox asks before the note is deleted.
func (v notesView) DeleteBox() kit.ConfirmDelete {
	l := v.Lang
	return kit.ConfirmDelete{Class: "narrow-36 gap-top-s", Summary: l.T("notes.delete"), Confirm: l.T("notes.delete_confirm"),
		Button: l.T("notes.delete"), Action: v.DeleteURL, CSRF: kit.CSRFOf(v.Layout)}
}

// Fields are the form's inputs after the scope.
func (v notesView) Fields() []kit.FormField {
	l := v.Lang
	return []kit.FormField{
		kit.DayField(l, kit.FormField{ID: "note-date", Name: annotations.FieldDate, Label: l.T("notes.date"), Value: v.V.Date, Err: v.Errors[annotations.FieldDate]}),
		{ID: "note-title", Name: annotations.FieldTitle, Label: l.T("notes.text"), MaxLength: 200, Value: v.V.Title, Err: v.Errors[annotations.FieldTitle]},
		{ID: "note-link", Name: annotations.FieldLink, Label: l.T("notes.link"), Kind: "url", MaxLength: 500, Value: v.V.Link, Err: v.Errors[annotations.FieldLink]},
	}
}

func (h *Notes) noteScopes() []string {
	out := []string{}
	for _, s := range h.sites {
		out = append(out, s.ID)
	}
	return append(out, annotations.GlobalScope)
}

func (h *Notes) notesView(c *fiber.Ctx, lang i18n.Lang, heading string) notesView {
	v := notesView{Layout: h.render.Layout(c, lang, heading), Heading: heading, Errors: map[string]kit.FieldErr{}}
	for _, s := range h.noteScopes() {
		label := s
		if s == annotations.GlobalScope {
			label = lang.T("notes.scope_global")
		}
		v.Scopes = append(v.Scopes, scopeOption{URL: s, Label: label})
	}
	return v
}

func noteURL(n annotations.Note) string {
	return NotesPath + "/" + url.PathEscape(n.Scope) + "/" + url.PathEscape(n.ID)
}

// Page lists the notes with the form for a new one.
func (h *Notes) Page(c *fiber.Ctx) error {
	lang := kit.LangOf(c, h.lang)
	if h.store == nil {
		return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.no_store"}
	}
	v := h.notesView(c, lang, lang.T("notes.title"))
	v.Intro, v.Action = lang.T("notes.intro"), NotesPath
	v.V.Scope = h.noteScopes()[0]
	switch {
	case c.Query("lagret") != "":
		v.Notice = lang.T("notes.saved")
	case c.Query("slettet") != "":
		v.Notice = lang.T("notes.deleted")
	}
	return h.sendNotes(c, v)
}

func (h *Notes) sendNotes(c *fiber.Ctx, v notesView) error {
	if !v.Editing {
		notes, err := annotations.List(c.UserContext(), h.store.Conn(), h.noteScopes())
		if err != nil {
			return err
		}
		l := v.Lang
		v.Notes = kit.ListTable{Class: "notes-table narrow-52", Empty: l.T("notes.none"),
			Head: kit.Heads(l, "notes.date", "notes.text", "notes.scope", "notes.edit")}
		v.Notes.Head[3].Hidden = true
		for _, n := range notes {
			v.Notes.Rows = append(v.Notes.Rows, kit.ListRow{Cells: []kit.ListCell{{Text: kit.ShortDate(l, n.Date)},
				{Text: n.Title, Header: true, Link: n.Link, External: true}, {Text: n.Scope}, {Text: l.T("notes.edit"), Link: noteURL(n)}}})
		}
	}
	return h.render.Send(c, "notes", v)
}

func noteInput(c *fiber.Ctx, scopes []string) annotations.Input {
	return annotations.Input{Scope: c.FormValue(annotations.FieldScope), Date: c.FormValue(annotations.FieldDate),
		Title: c.FormValue(annotations.FieldTitle), Link: c.FormValue(annotations.FieldLink), Scopes: scopes}
}

// refusedNote shows the form again with what was typed and a message per field; nothing was written.
func (h *Notes) refusedNote(c *fiber.Ctx, v notesView, err error) error {
	var errs annotations.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for _, fe := range errs {
		v.Errors[fe.Field] = kit.FieldErr{Field: fe.Field, Message: noteMessage(v.Lang, fe, v.V.Date)}
	}
	v.Error = v.Lang.T("eventform.errors", len(v.Errors))
	c.Status(fiber.StatusUnprocessableEntity)
	return h.sendNotes(c, v)
}

// noteMessage says in the page's language what is wrong with a field; date is the day as typed.
func noteMessage(l i18n.Lang, fe events.FieldError, date string) string {
	switch fe.Field {
	case annotations.FieldDate:
		switch {
		case strings.Contains(fe.Reason, "required"):
			return l.T("eventform.err.date_required")
		case strings.Contains(fe.Reason, "mistyped"):
			return l.T("eventform.err.year", kit.Clip(strings.TrimSpace(date)))
		}
		return l.T("eventform.err.date", kit.Clip(strings.TrimSpace(date)))
	case annotations.FieldTitle:
		if strings.Contains(fe.Reason, "required") {
			return l.T("eventform.err.title_required")
		}
		return l.T("notes.err.title", annotations.MaxTitle)
	case annotations.FieldLink:
		return l.T("notes.err.link")
	case annotations.FieldScope:
		return l.T("notes.err.scope")
	}
	return l.T("eventform.err.other", fe.Reason)
}

// Create adds a note from the form.
func (h *Notes) Create(c *fiber.Ctx) error {
	lang := kit.LangOf(c, h.lang)
	if h.store == nil {
		return &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.no_store"}
	}
	v := h.notesView(c, lang, lang.T("notes.title"))
	v.Intro, v.Action, v.V = lang.T("notes.intro"), NotesPath, noteInput(c, h.noteScopes())
	n, err := v.V.Note("")
	if err != nil {
		return h.refusedNote(c, v, err)
	}
	if err := annotations.Save(c.UserContext(), h.store, n, nil, kit.EditorName(c)); err != nil {
		return err
	}
	h.log.InfoContext(c.UserContext(), "note added", "scope", n.Scope, "note", n.ID, "by", kit.EditorName(c))
	return c.Redirect(NotesPath+"?lagret=1", fiber.StatusSeeOther)
}

// storedNote is the note the path names; a missing one is a 404.
func (h *Notes) storedNote(c *fiber.Ctx) (*annotations.Note, error) {
	if h.store == nil {
		return nil, &kit.UserError{Status: fiber.StatusServiceUnavailable, Key: "report.no_store"}
	}
	n, err := annotations.Get(c.UserContext(), h.store.Conn(), c.Params("scope"), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if n == nil || n.Deleted {
		return nil, fiber.ErrNotFound
	}
	return n, nil
}

func (h *Notes) editNoteView(c *fiber.Ctx, lang i18n.Lang, n *annotations.Note) (notesView, error) {
	v := h.notesView(c, lang, lang.T("notes.edit_title"))
	v.Editing, v.Action, v.DeleteURL = true, noteURL(*n), noteURL(*n)+"/slett"
	// ISO here; the form shows the day in the reader's notation (kit.DayField).
	v.V = annotations.Input{Scope: n.Scope, Date: n.Date.Format(time.DateOnly), Title: n.Title, Link: n.Link}
	changes, err := annotations.Changes(c.UserContext(), h.store.Conn(), n.Scope, n.ID)
	if err != nil {
		return v, err
	}
	rows := make([]kit.ChangeRow, 0, len(changes))
	for _, ch := range changes {
		row := kit.ChangeRow{When: kit.DateTime(lang, ch.At, h.loc), By: ch.By, Action: lang.T("eventform.action." + ch.Action)}
		if ch.Before != nil && ch.After != nil && ch.Action == annotations.ActionUpdated {
			if ch.Before.Title != ch.After.Title {
				row.What = append(row.What, fmt.Sprintf("%s → %s", ch.Before.Title, ch.After.Title))
			}
			if !ch.Before.Date.Equal(ch.After.Date) {
				row.What = append(row.What, fmt.Sprintf("%s → %s", kit.ShortDate(lang, ch.Before.Date), kit.ShortDate(lang, ch.After.Date)))
			}
			if ch.Before.Link != ch.After.Link {
				row.What = append(row.What, fmt.Sprintf("%s → %s", ch.Before.Link, ch.After.Link))
			}
		} else if ch.After != nil {
			row.What = append(row.What, kit.ShortDate(lang, ch.After.Date)+": "+ch.After.Title)
		}
		rows = append(rows, row)
	}
	v.Changes = kit.ChangeLog(lang, rows)
	return v, nil
}

// editingNote is the edit page of the note the path names, and the note.
func (h *Notes) editingNote(c *fiber.Ctx) (notesView, *annotations.Note, error) {
	n, err := h.storedNote(c)
	if err != nil {
		return notesView{}, nil, err
	}
	v, err := h.editNoteView(c, kit.LangOf(c, h.lang), n)
	return v, n, err
}

// NotePage is one note's edit form with its changes.
func (h *Notes) NotePage(c *fiber.Ctx) error {
	v, _, err := h.editingNote(c)
	if err != nil {
		return err
	}
	if c.Query("lagret") != "" {
		v.Notice = v.Lang.T("notes.saved")
	}
	return h.sendNotes(c, v)
}

// Update changes a note from its edit form.
func (h *Notes) Update(c *fiber.Ctx) error {
	v, before, err := h.editingNote(c)
	if err != nil {
		return err
	}
	// The scope is part of the note's key: it stays; a note for another site is a new note.
	v.V = noteInput(c, []string{before.Scope})
	v.V.Scope = before.Scope
	n, err := v.V.Note(before.ID)
	if err != nil {
		return h.refusedNote(c, v, err)
	}
	if err := annotations.Save(c.UserContext(), h.store, n, before, kit.EditorName(c)); err != nil {
		return err
	}
	h.log.InfoContext(c.UserContext(), "note changed", "scope", n.Scope, "note", n.ID, "by", kit.EditorName(c))
	return c.Redirect(noteURL(n)+"?lagret=1", fiber.StatusSeeOther)
}

// Delete deletes a note (a newer version flagged deleted).
func (h *Notes) Delete(c *fiber.Ctx) error {
	n, err := h.storedNote(c)
	if err != nil {
		return err
	}
	if err := annotations.Delete(c.UserContext(), h.store, *n, kit.EditorName(c)); err != nil {
		return err
	}
	h.log.InfoContext(c.UserContext(), "note deleted", "scope", n.Scope, "note", n.ID, "by", kit.EditorName(c))
	return c.Redirect(NotesPath+"?slettet=1", fiber.StatusSeeOther)
}
