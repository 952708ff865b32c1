package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/store"
)

// The events entry form: /arrangementer/ny registers an event without an API, /arrangementer/:id/
// endre changes one and /arrangementer/:id/slett withdraws it (soft delete: a newer version flagged
// deleted). Every write goes through internal/events, the same validation the CSV import uses, and
// adds a row to the audit trail (event_changes), shown as "Endringer" on the edit page. Editors
// only; CSRF is checked by the middleware in front of every page.

const (
	// EventsPath is the events page; the entry form lives under it.
	EventsPath = "/arrangementer"
	// formSource labels the rows the form writes (events.source); who did it is in the audit trail.
	formSource = "form"
	// changesShown bounds the audit list on the edit page.
	changesShown = 50
)

// CollectedID tells whether an event id is one a collector writes (the Zoom and Teams sources'
// prefixes): the next collection would overwrite any change made here.
func CollectedID(id string) bool {
	for _, p := range []string{"zoom-", "teams-"} {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// Events is the events entry form, built once by NewEvents; read-only afterwards.
type Events struct {
	cfg     config.Config
	loc     *time.Location
	log     *slog.Logger
	render  *kit.Renderer
	lang    i18n.Lang
	queries *query.Queries
	store   *store.Store
	site    func(id string) (config.Site, error)
}

// NewEvents builds the entry form over d; without d.Store it answers 503.
func NewEvents(d Deps) *Events {
	return &Events{cfg: d.Config, loc: kit.Zone(d.Config), log: d.Log, render: d.Render, lang: d.Render.Lang,
		queries: d.Queries, store: d.Store, site: d.Site}
}

// eventFormValues are the form's fields exactly as typed, so a refused form comes back unchanged.
type eventFormValues struct {
	Kind, Title, Date, StartTime, EndDate, EndTime string
	Registered, OnSite, Digital                    string
	// Sectors are attendees by sector as typed (event_sectors.go).
	Sectors map[string]string
}

func formValuesOf(c *fiber.Ctx) eventFormValues {
	return eventFormValues{
		Kind: c.FormValue(events.FieldKind), Title: c.FormValue(events.FieldTitle),
		Date: c.FormValue(events.FieldDate), StartTime: c.FormValue(events.FieldStartTime),
		EndDate: c.FormValue(events.FieldEndDate), EndTime: c.FormValue(events.FieldEndTime),
		Registered: c.FormValue(events.FieldRegistered), OnSite: c.FormValue(events.FieldAttendedOnSite),
		Digital: c.FormValue(events.FieldAttendedDigital),
		Sectors: sectorValuesOf(c),
	}
}

func (v eventFormValues) input(account, id string, zone *time.Location) events.Input {
	return events.Input{AccountID: account, EventID: id, Kind: v.Kind, Title: v.Title, Date: v.Date,
		StartTime: v.StartTime, EndDate: v.EndDate, EndTime: v.EndTime, Registered: v.Registered,
		AttendedOnSite: v.OnSite, AttendedDigital: v.Digital, Sectors: v.Sectors, Zone: zone}
}

// storedValues fills the form from a stored event, in the organisation's zone. Midnight is left
// empty: that is how an event entered without a start time is stored. Days are ISO here; the form
// shows them in the reader's notation (kit.DayField).
func storedValues(e *query.StoredEvent, loc *time.Location) eventFormValues {
	start := e.StartsAt.In(loc)
	v := eventFormValues{Kind: e.Kind, Title: e.Title, Date: start.Format(time.DateOnly),
		Registered: optCount(e.Registered), OnSite: optCount(e.AttendedOnSite), Digital: optCount(e.AttendedDigital)}
	if start.Hour() != 0 || start.Minute() != 0 {
		v.StartTime = start.Format("15:04")
	}
	if e.EndsAt != nil {
		end := e.EndsAt.In(loc)
		v.EndTime = end.Format("15:04")
		if end.Format(time.DateOnly) != v.Date {
			v.EndDate = end.Format(time.DateOnly)
		}
	}
	return v
}

func optCount(n *uint32) string {
	if n == nil {
		return ""
	}
	return strconv.FormatUint(uint64(*n), 10)
}

// eventFormView is the data of kit's templates/event_form.html.
type eventFormView struct {
	kit.Layout
	Heading string
	// Unavailable: no store to write to; NotFound: no such event.
	Unavailable bool
	Action      string
	// Register is the events register (account id) written to.
	Register string
	V        eventFormValues
	// Errors are the messages per field name (events.Field*); Flash.Error counts them.
	Errors map[string]kit.FieldErr
	Kinds  []kindOption
	// ReadOnly says why the event cannot be changed here (it comes from an API).
	ReadOnly  string
	Deleted   bool
	DeleteURL string
	BackURL   string
	// Flash: Notice after a save, Warning on a deleted event, Error counting the fields to correct.
	kit.Flash
	// Editing is true on an existing event's page, which lists its changes.
	Editing bool
	Changes kit.ListTable
}

// field is the form's input id for name, with its value and message.
func (v eventFormView) field(id, name, label, hint, kind, value string) kit.FormField {
	return kit.FormField{ID: id, Name: name, Label: label, Hint: hint, Kind: kind, Value: value, Err: v.Errors[name]}
}

// Fields are the event's inputs after its kind: title, dates and times.
func (v eventFormView) Fields() []kit.FormField {
	l := v.Lang
	title := v.field("ev-title", events.FieldTitle, l.T("eventform.title"), "", "text", v.V.Title)
	title.MaxLength = 300
	return []kit.FormField{title,
		kit.DayField(l, v.field("ev-date", events.FieldDate, l.T("eventform.date"), "", "date", v.V.Date)),
		v.field("ev-start", events.FieldStartTime, l.T("eventform.start_time"), l.T("eventform.time_hint"), "time", v.V.StartTime),
		v.field("ev-end", events.FieldEndTime, l.T("eventform.end_time"), l.T("eventform.time_hint"), "time", v.V.EndTime),
		kit.DayField(l, v.field("ev-end-date", events.FieldEndDate, l.T("eventform.end_date"), l.T("eventform.end_date_hint"), "date", v.V.EndDate)),
	}
}

// DeleteBox asks before the event is deleted.
func (v eventFormView) DeleteBox() kit.ConfirmDelete {
	l := v.Lang
	return kit.ConfirmDelete{Summary: l.T("eventform.delete"), Confirm: l.T("eventform.delete_confirm"),
		Button: l.T("eventform.delete_button"), Action: v.DeleteURL, CSRF: kit.CSRFOf(v.Layout)}
}

// CountFields are the attendance counts.
func (v eventFormView) CountFields() []kit.FormField {
	l := v.Lang
	return []kit.FormField{
		v.field("ev-registered", events.FieldRegistered, l.T("eventform.registered"), "", "count", v.V.Registered),
		v.field("ev-on-site", events.FieldAttendedOnSite, l.T("eventform.on_site"), "", "count", v.V.OnSite),
		v.field("ev-digital", events.FieldAttendedDigital, l.T("eventform.digital"), "", "count", v.V.Digital),
	}
}

type kindOption struct {
	Value, Label string
	Selected     bool
}

func (f *Events) view(c *fiber.Ctx, lang i18n.Lang, heading string) eventFormView {
	return eventFormView{Layout: f.render.Layout(c, lang, heading), Heading: heading, Errors: map[string]kit.FieldErr{},
		Unavailable: f.store == nil || f.queries == nil}
}

func (v *eventFormView) fillKinds() {
	for _, k := range figures.EventKinds() {
		v.Kinds = append(v.Kinds, kindOption{Value: k, Label: kit.KeyName(v.Lang, "kind", k), Selected: k == v.V.Kind})
	}
}

// account is the events register the form writes to: ?account= / the account field when it names
// a register that holds events, else InnoMed's. An editor cannot open a new register by typing.
func (f *Events) account(c *fiber.Ctx, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == events.DefaultAccount {
		return events.DefaultAccount, nil
	}
	site, err := f.site("")
	if err != nil {
		return "", err
	}
	d, err := f.queries.Discover(c.UserContext(), site.ID, f.loc)
	if err != nil {
		return "", err
	}
	if !slices.Contains(d.EventAccounts, raw) {
		return "", kit.BadRequest("eventform.bad_account", kit.Clip(raw))
	}
	return raw, nil
}

// EditURL is the entry form of event id in account.
func EditURL(account, id string) string {
	u := EventsPath + "/" + url.PathEscape(id) + "/endre"
	if account != events.DefaultAccount {
		u += "?account=" + url.QueryEscape(account)
	}
	return u
}

func deleteURL(account, id string) string {
	u := EventsPath + "/" + url.PathEscape(id) + "/slett"
	if account != events.DefaultAccount {
		u += "?account=" + url.QueryEscape(account)
	}
	return u
}

// eventsPageURL is the events page for the year of day, where the event just changed is listed.
func eventsPageURL(account string, day time.Time) string {
	q := url.Values{"period": {"year"}, "year": {strconv.Itoa(day.Year())}}
	if account != events.DefaultAccount {
		q.Set("account", account)
	}
	return EventsPath + "?" + q.Encode()
}

// fromAPI tells whether an event is written by a collector, so a change here would be overwritten.
func (f *Events) fromAPI(e *query.StoredEvent) bool {
	if CollectedID(e.EventID) {
		return true
	}
	for _, s := range f.cfg.Sources {
		if s.ID == e.Source {
			return true
		}
	}
	return false
}

func (f *Events) unavailable(c *fiber.Ctx) error {
	return f.render.Refuse(c, fiber.StatusServiceUnavailable, "eventform.unavailable_title", "eventform.unavailable")
}

// newForm is the new-event form writing to the register raw names (see account); nil with the
// answer already given (the page saying the form is unavailable) or an error.
func (f *Events) newForm(c *fiber.Ctx, raw string) (*eventFormView, error) {
	lang := kit.LangOf(c, f.lang)
	v := f.view(c, lang, lang.T("eventform.new_title"))
	if v.Unavailable {
		return nil, f.unavailable(c)
	}
	account, err := f.account(c, raw)
	if err != nil {
		return nil, err
	}
	v.Register, v.Action, v.BackURL = account, EventsPath+"/ny", EventsPath
	return &v, nil
}

// New is the empty form.
func (f *Events) New(c *fiber.Ctx) error {
	v, err := f.newForm(c, c.Query("account"))
	if v == nil {
		return err
	}
	v.fillKinds()
	return f.render.Send(c, "event_form", v)
}

// Create saves a new event from the form.
func (f *Events) Create(c *fiber.Ctx) error {
	v, err := f.newForm(c, c.FormValue("account"))
	if v == nil {
		return err
	}
	account := v.Register
	v.V = formValuesOf(c)
	ctx := c.UserContext()
	in := v.V.input(account, "", f.loc)
	ev, err := in.Event()
	if err != nil {
		return f.refused(c, v, err)
	}
	// Registering an event that is already there (same kind, day and title) replaces it: the
	// audit trail records that as a change of the existing event.
	before, err := f.queries.EventByID(ctx, account, ev.EventID)
	if err != nil {
		return err
	}
	if before != nil && f.fromAPI(before) {
		return f.apiOwned(c, before)
	}
	saved, err := events.Save(ctx, f.store, in, formSource)
	if err != nil {
		return err
	}
	change := events.Change{Action: events.ActionCreated, By: kit.EditorName(c), After: saved}
	if before != nil {
		prev := figuresOf(before)
		change.Action, change.Before = events.ActionUpdated, &prev
	}
	if err := events.RecordChange(ctx, f.store, change); err != nil {
		return fmt.Errorf("event %s saved, but not its audit row: %w", saved.EventID, err)
	}
	f.log.InfoContext(ctx, "event registered", "account", account, "event", saved.EventID, "by", kit.EditorName(c))
	return c.Redirect(withParam(EditURL(account, saved.EventID), "ny", "1"), fiber.StatusSeeOther)
}

// stored loads the event named by the path (and ?account=); a missing one is a 404 page, and
// without a database the page says the form is unavailable. To change it (write), an event a
// collector writes is refused: the next run would overwrite the change. A nil event means the
// answer is given or err says why.
func (f *Events) stored(c *fiber.Ctx, write bool) (string, *query.StoredEvent, error) {
	if f.store == nil || f.queries == nil {
		return "", nil, f.unavailable(c)
	}
	account, err := f.account(c, c.Query("account"))
	if err != nil {
		return "", nil, err
	}
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		id = c.Params("id")
	}
	e, err := f.queries.EventByID(c.UserContext(), account, id)
	if err != nil {
		return "", nil, err
	}
	if e == nil {
		return "", nil, f.render.Refuse(c, fiber.StatusNotFound, "error.not_found", "eventform.not_found", kit.Clip(id))
	}
	if write && f.fromAPI(e) {
		return "", nil, f.apiOwned(c, e)
	}
	return account, e, nil
}

// apiOwned refuses to change an event a collector writes.
func (f *Events) apiOwned(c *fiber.Ctx, e *query.StoredEvent) error {
	return f.render.Refuse(c, fiber.StatusConflict, "eventform.edit_title", "eventform.api", e.Source)
}

// editView is the edit page of e: its form (or why there is none) and its changes.
func (f *Events) editView(c *fiber.Ctx, lang i18n.Lang, account string, e *query.StoredEvent) (eventFormView, error) {
	v := f.view(c, lang, lang.T("eventform.edit_title"))
	v.Register, v.Editing, v.Deleted = account, true, e.Deleted
	v.Action, v.DeleteURL = EditURL(account, e.EventID), deleteURL(account, e.EventID)
	v.BackURL = eventsPageURL(account, e.StartsAt.In(f.loc))
	v.V = storedValues(e, f.loc)
	sectors, err := f.queries.EventSectors(c.UserContext(), account, e.EventID)
	if err != nil {
		return v, err
	}
	v.V.Sectors = storedSectors(sectors)
	if f.fromAPI(e) {
		v.ReadOnly = lang.T("eventform.api", e.Source)
	} else if e.Deleted {
		v.Warning = lang.T("eventform.deleted_notice")
	}
	changes, err := f.queries.EventChanges(c.UserContext(), account, e.EventID, changesShown)
	if err != nil {
		return v, err
	}
	rows := make([]kit.ChangeRow, 0, len(changes))
	for _, ch := range changes {
		rows = append(rows, f.changeRow(lang, ch))
	}
	v.Changes = kit.ChangeLog(lang, rows)
	return v, nil
}

// editing is the edit page of the event the path names (see stored); nil with the answer already
// given or an error.
func (f *Events) editing(c *fiber.Ctx, write bool) (*eventFormView, *query.StoredEvent, error) {
	account, e, err := f.stored(c, write)
	if e == nil {
		return nil, nil, err
	}
	v, err := f.editView(c, kit.LangOf(c, f.lang), account, e)
	if err != nil {
		return nil, nil, err
	}
	return &v, e, nil
}

// Edit is an event's form with its changes.
func (f *Events) Edit(c *fiber.Ctx) error {
	v, _, err := f.editing(c, false)
	if v == nil {
		return err
	}
	lang := v.Lang
	switch {
	case c.Query("ny") != "":
		v.Notice = lang.T("eventform.created")
	case c.Query("lagret") != "":
		v.Notice = lang.T("eventform.saved")
	}
	v.fillKinds()
	return f.render.Send(c, "event_form", v)
}

// Update saves an event's form.
func (f *Events) Update(c *fiber.Ctx) error {
	v, e, err := f.editing(c, true)
	if v == nil {
		return err
	}
	account := v.Register
	v.V = formValuesOf(c)
	ctx := c.UserContext()
	// The id is kept, so correcting the title or date changes this event instead of adding one.
	in := v.V.input(account, e.EventID, f.loc)
	if _, err := in.Event(); err != nil {
		return f.refused(c, v, err)
	}
	saved, err := events.Save(ctx, f.store, in, formSource)
	if err != nil {
		return err
	}
	before := figuresOf(e)
	if err := events.RecordChange(ctx, f.store, events.Change{Action: events.ActionUpdated, By: kit.EditorName(c), Before: &before, After: saved}); err != nil {
		return fmt.Errorf("event %s saved, but not its audit row: %w", saved.EventID, err)
	}
	f.log.InfoContext(ctx, "event changed", "account", account, "event", saved.EventID, "by", kit.EditorName(c))
	return c.Redirect(withParam(EditURL(account, saved.EventID), "lagret", "1"), fiber.StatusSeeOther)
}

// Remove deletes an event.
func (f *Events) Remove(c *fiber.Ctx) error {
	account, e, err := f.stored(c, true)
	if e == nil {
		return err
	}
	back := eventsPageURL(account, e.StartsAt.In(f.loc))
	if e.Deleted {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	before := figuresOf(e)
	if err := events.Delete(ctx, f.store, before, formSource); err != nil {
		return err
	}
	after := before
	after.Deleted = true
	if err := events.RecordChange(ctx, f.store, events.Change{Action: events.ActionDeleted, By: kit.EditorName(c), Before: &before, After: after}); err != nil {
		return fmt.Errorf("event %s deleted, but not its audit row: %w", e.EventID, err)
	}
	f.log.InfoContext(ctx, "event deleted", "account", account, "event", e.EventID, "by", kit.EditorName(c))
	return c.Redirect(back, fiber.StatusSeeOther)
}

// refused shows the form again with what was typed and a message beside each field in error;
// nothing has been written.
func (f *Events) refused(c *fiber.Ctx, v *eventFormView, err error) error {
	var errs events.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for _, fe := range errs {
		if _, seen := v.Errors[fe.Field]; !seen {
			v.Errors[fe.Field] = kit.FieldErr{Field: fe.Field, Message: fieldMessage(v.Lang, fe, v.V)}
		}
	}
	v.Error = v.Lang.T("eventform.errors", len(v.Errors))
	v.fillKinds()
	c.Status(fiber.StatusUnprocessableEntity)
	return f.render.Send(c, "event_form", *v)
}

// fieldMessage says in the page's language what is wrong with a field. internal/events words its
// reasons in English for the CSV import's report; the form recognises them by field and wording,
// and falls back to the English reason rather than hide it.
func fieldMessage(l i18n.Lang, fe events.FieldError, v eventFormValues) string {
	r := fe.Reason
	value := map[string]string{events.FieldDate: v.Date, events.FieldEndDate: v.EndDate,
		events.FieldStartTime: v.StartTime, events.FieldEndTime: v.EndTime, events.FieldRegistered: v.Registered,
		events.FieldAttendedOnSite: v.OnSite, events.FieldAttendedDigital: v.Digital}[fe.Field]
	if sector, ok := strings.CutPrefix(fe.Field, events.SectorPrefix); ok {
		value = v.Sectors[sector]
		fe.Field = events.FieldRegistered // worded as any other count
	}
	if fe.Field == events.FieldSectors {
		return sectorMessage(l, fe)
	}
	value = kit.Clip(strings.TrimSpace(value))
	// A field's reasons by their wording, the first that matches wins ("" matches any);
	// withValue messages name the typed value.
	dates, times := []string{events.FieldDate, events.FieldEndDate}, []string{events.FieldStartTime, events.FieldEndTime}
	counts := []string{events.FieldRegistered, events.FieldAttendedOnSite, events.FieldAttendedDigital}
	for _, m := range []struct {
		fields       []string
		wording, key string
		withValue    bool
	}{
		{[]string{events.FieldTitle}, "required", "eventform.err.title_required", false},
		{[]string{events.FieldTitle}, "longer than", "eventform.err.title_long", false},
		{[]string{events.FieldTitle}, "control", "eventform.err.title_control", false},
		{[]string{events.FieldKind}, "", "eventform.err.kind", false},
		{dates, "required", "eventform.err.date_required", false},
		{dates, "mistyped", "eventform.err.year", true},
		{dates, "", "eventform.err.date", true},
		{times, "required when end_date", "eventform.err.end_time_required", false},
		{times, "must end after", "eventform.err.end_before_start", false},
		{times, "not a time of day", "eventform.err.time", true},
		{counts, "webinar", "eventform.err.webinar_on_site", false},
		{counts, "negative", "eventform.err.negative", false},
		{counts, "too large", "eventform.err.too_large", true},
		{counts, "", "eventform.err.count", true},
	} {
		switch {
		case !slices.Contains(m.fields, fe.Field) || !strings.Contains(r, m.wording):
		case m.withValue:
			return l.T(m.key, value)
		default:
			return l.T(m.key)
		}
	}
	return l.T("eventform.err.other", r)
}

// changeRow describes one audit row: what a creation set, or what an update changed.
func (f *Events) changeRow(l i18n.Lang, ch query.EventChange) kit.ChangeRow {
	loc := f.loc
	row := kit.ChangeRow{When: kit.DateTime(l, ch.At, loc), By: ch.By, Action: kit.KeyName(l, "eventform.action", ch.Action)}
	fields := func(s *query.EventSnapshot) []string {
		if s == nil {
			return make([]string, 7)
		}
		ends := ""
		if s.EndsAt != nil {
			ends = kit.DateTime(l, *s.EndsAt, loc)
		}
		return []string{kit.KeyName(l, "kind", s.Kind), s.Title, kit.DateTime(l, s.StartsAt, loc), ends,
			optCount(s.Registered), optCount(s.AttendedOnSite), optCount(s.AttendedDigital)}
	}
	labels := []string{l.T("eventform.kind"), l.T("eventform.title"), l.T("eventform.starts"), l.T("eventform.ends"),
		l.T("eventform.registered"), l.T("eventform.on_site"), l.T("eventform.digital")}
	shown := func(s string) string {
		if s == "" {
			return l.T("eventform.empty_value")
		}
		return s
	}
	if ch.Action == events.ActionDeleted {
		return row
	}
	before, after := fields(ch.Before), fields(ch.After)
	for i := range labels {
		switch {
		case ch.Before == nil && after[i] != "":
			row.What = append(row.What, labels[i]+": "+after[i])
		case ch.Before != nil && before[i] != after[i]:
			row.What = append(row.What, labels[i]+": "+shown(before[i])+" → "+shown(after[i]))
		}
	}
	if ch.Before != nil && ch.Before.Deleted && ch.After != nil && !ch.After.Deleted {
		row.What = append(row.What, l.T("eventform.restored"))
	}
	return row
}

// figuresOf is a stored event as internal/events writes it.
func figuresOf(e *query.StoredEvent) figures.Event {
	return figures.Event{AccountID: e.AccountID, EventID: e.EventID, Kind: e.Kind, Title: e.Title, StartsAt: e.StartsAt,
		EndsAt: e.EndsAt, Registered: e.Registered, AttendedOnSite: e.AttendedOnSite, AttendedDigital: e.AttendedDigital,
		Deleted: e.Deleted}
}

func withParam(u, key, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.QueryEscape(key) + "=" + url.QueryEscape(value)
}
