package pages

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/admin"
	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/query"
)

// The events page's links to the entry form (dashboard/admin), for editors.

// canEditEvents tells whether the signed-in person may use the entry form.
func (p *Pages) canEditEvents(c *fiber.Ctx) bool {
	s := kit.CurrentUser(c)
	return s != nil && s.Role.AtLeast(auth.Editor) && p.store != nil
}

// eventActions are the events page's links above the figures: the entry form, for editors.
func eventActions(p *Pages, r *request) []actionLink {
	if !p.canEditEvents(r.c) {
		return nil
	}
	target := admin.EventsPath + "/ny"
	if r.account != "" && r.account != events.DefaultAccount {
		target += "?account=" + url.QueryEscape(r.account)
	}
	return []actionLink{{URL: target, Label: r.lang.T("eventform.register")}}
}

// eventEditCell is the events list's link to an event's form; an event from an API gets none.
func eventEditCell(r *request, e query.Event) cell {
	if admin.CollectedID(e.ID) {
		return cell{Text: r.lang.T("eventform.from_api"), Class: "muted"}
	}
	return cell{Text: r.lang.T("eventform.edit"), Link: admin.EditURL(r.account, e.ID)}
}
