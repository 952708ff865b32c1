package pages

import (
	"github.com/gofiber/fiber/v2"
	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// The freshness strip's controls: whether a source is being collected and, for admins, links to
// start it and to its runs (dashboard/admin's sources pages).

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

// control fills the strip's controls of sv for the signed-in person.
func (p *Pages) control(c *fiber.Ctx, l i18n.Lang, sv *sourceView, f query.Freshness) {
	sv.Running, sv.RunningText = p.sources.Running(l, f.Source, f.State == query.StateRunning)
	if sv.Running && sv.State != string(query.StateRunning) {
		sv.State, sv.StateText = string(query.StateRunning), l.T("state.running")
	}
	if s := kit.CurrentUser(c); s == nil || !s.Role.AtLeast(auth.Admin) {
		return
	}
	sv.RunsURL, sv.RunsLabel = admin.RunsURL(f.Source), l.T("sources.runs_label", f.Source)
	if p.sources.CanStart(f.Source) && !sv.Running {
		sv.StartURL, sv.StartLabel = admin.StartURL(f.Source), l.T("sources.start_label", f.Source)
	}
}
