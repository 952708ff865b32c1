package dashboard

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// Starting a source's collection from the freshness strip, and following it: POST
// /admin/kilder/:id/start asks the scheduler for a run now (Deps.Collections) and leads to
// /admin/kilder/:id, the source's recent runs from collector_runs, which reloads itself every few
// seconds while a run is under way (a meta refresh: the CSP allows no inline script without the
// nonce, and none is needed). Admins only.

const (
	sourcesPath = "/admin/kilder"
	// runsShown bounds the runs page.
	runsShown = 50
	// refreshSeconds is how often the runs page reloads while a run is under way.
	refreshSeconds = "5"
)

func (h *handler) sourceRoutes(r fiber.Router) {
	admin := h.requireRole(auth.Admin)
	h.sourcesIndexRoute(r) // admin_nav.go
	r.Get(sourcesPath+"/:id", admin, h.sourceRunsPage)
	r.Post(sourcesPath+"/:id/start", admin, h.startSource)
}

// sourceControl is what the freshness strip shows of a source besides its health: whether a run is
// under way and, for admins, where to start one and see the runs. sourceView embeds it.
type sourceControl struct {
	Running     bool
	RunningText string
	StartURL    string
	StartLabel  string
	RunsURL     string
	RunsLabel   string
}

// progressor is the optional part of Collections that tells how far a run has come.
type progressor interface {
	Progress(id string) (done, total int, ok bool)
}

// scheduled tells whether id is a configured source on the schedule: only those can be started
// from the dashboard (a disabled source runs only from the command line).
func (h *handler) scheduled(id string) bool {
	for _, s := range h.cfg.Sources {
		if s.ID == id {
			return !s.Disabled
		}
	}
	return false
}

func (h *handler) configured(id string) bool {
	for _, s := range h.cfg.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

// running tells whether a run of id is under way, in this process or (a collector_runs row) in a
// `rekkevidde collect` elsewhere, and how far it has come.
func (h *handler) running(l i18n.Lang, id string, recorded bool) (bool, string) {
	live := h.collections != nil && h.collections.Running(id)
	if !live && !recorded {
		return false, ""
	}
	if p, ok := h.collections.(progressor); ok && live {
		if done, total, ok := p.Progress(id); ok && total > 1 {
			return true, l.T("sources.running_progress", done, total)
		}
	}
	return true, l.T("sources.running")
}

// control fills the strip's controls of sv for the signed-in person.
func (h *handler) control(c *fiber.Ctx, l i18n.Lang, sv *sourceView, f query.Freshness) {
	sv.Running, sv.RunningText = h.running(l, f.Source, f.State == query.StateRunning)
	if sv.Running && sv.State != string(query.StateRunning) {
		sv.State, sv.StateText = string(query.StateRunning), l.T("state.running")
	}
	if s := currentUser(c); s == nil || !s.Role.AtLeast(auth.Admin) {
		return
	}
	sv.RunsURL, sv.RunsLabel = sourcesPath+"/"+url.PathEscape(f.Source), l.T("sources.runs_label", f.Source)
	if h.collections != nil && h.scheduled(f.Source) && !sv.Running {
		sv.StartURL, sv.StartLabel = sourcesPath+"/"+url.PathEscape(f.Source)+"/start", l.T("sources.start_label", f.Source)
	}
}

// sourceRunsView is the data of templates/source_runs.html.
type sourceRunsView struct {
	layout
	Heading     string
	Source      string
	Running     bool
	RunningText string
	// Refresh is the meta refresh's content while a run is under way or was just started.
	Refresh    string
	StartURL   string
	StartLabel string
	Notice     string
	Problem    string
	Runs       []runRow
}

type runRow struct {
	Started, Finished, Window, Mode, Status, StatusClass, Rows, Error, Notes, RetryAt string
}

func sourceID(c *fiber.Ctx) string {
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return c.Params("id")
	}
	return id
}

func (h *handler) sourceRunsPage(c *fiber.Ctx) error {
	lang := langOf(c, h.defaultLang)
	if h.queries == nil {
		return errors.New("source runs: no query layer")
	}
	id := sourceID(c)
	runs, err := h.queries.SourceRunList(c.UserContext(), id, runsShown)
	if err != nil {
		return err
	}
	if len(runs) == 0 && !h.configured(id) {
		return h.refuse(c, fiber.StatusNotFound, "error.not_found", "sources.unknown", clip(id))
	}
	v := sourceRunsView{layout: h.layout(c, lang, lang.T("sources.title", id)), Heading: lang.T("sources.title", id), Source: id}
	recorded := false
	loc := zoneOf(h.cfg)
	for _, r := range runs {
		recorded = recorded || r.Status == query.RunRunning
		row := runRow{Started: dateTime(lang, r.StartedAt, loc), Mode: keyName(lang, "sources.mode", r.Mode),
			Window: shortDate(lang, r.WindowFrom) + "–" + shortDate(lang, r.WindowTo),
			Status: keyName(lang, "sources.status", r.Status), StatusClass: "run-" + r.Status,
			Rows: lang.Count(r.Rows), Error: clipText(h.redact(r.Error), 500), Notes: r.Notes}
		if r.FinishedAt != nil {
			row.Finished = dateTime(lang, *r.FinishedAt, loc)
		}
		if r.RetryAt != nil {
			row.RetryAt = dateTime(lang, *r.RetryAt, loc)
		}
		v.Runs = append(v.Runs, row)
	}
	v.Running, v.RunningText = h.running(lang, id, recorded)
	switch {
	case !h.configured(id):
	case h.collections == nil:
		v.Problem = lang.T("sources.no_scheduler")
	case !h.scheduled(id):
		v.Problem = lang.T("sources.disabled", id, id)
	case !v.Running:
		v.StartURL, v.StartLabel = sourcesPath+"/"+url.PathEscape(id)+"/start", lang.T("sources.start_label", id)
	}
	started := c.Query("startet") != ""
	if started {
		v.Notice = lang.T("sources.started", id)
	}
	// Reload to the plain address, so the "started" notice shows once.
	if v.Running || started {
		v.Refresh = refreshSeconds + "; url=" + sourcesPath + "/" + url.PathEscape(id)
	}
	return h.sendPage(c, "source_runs", v)
}

func (h *handler) startSource(c *fiber.Ctx) error {
	id := sourceID(c)
	if h.collections == nil {
		return h.refuse(c, fiber.StatusServiceUnavailable, "sources.cannot_start", "sources.no_scheduler")
	}
	if !h.configured(id) {
		return h.refuse(c, fiber.StatusNotFound, "error.not_found", "sources.unknown", clip(id))
	}
	if !h.scheduled(id) {
		return h.refuse(c, fiber.StatusConflict, "sources.cannot_start", "sources.disabled", id, id)
	}
	// The id is configured and on the schedule, so the scheduler knows it: any error is ours.
	if err := h.collections.Trigger(id); err != nil {
		return fmt.Errorf("start source %s: %w", id, err)
	}
	h.log.InfoContext(c.UserContext(), "collection started from the dashboard", "source", id, "by", editorName(c))
	return c.Redirect(sourcesPath+"/"+url.PathEscape(id)+"?startet=1", fiber.StatusSeeOther)
}
