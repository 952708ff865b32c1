package pages

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/auth"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// Guarded publishing (internal/report/guard.go): the publish form is offered only for a closed
// period, a publish request for an open one is refused with the day it can be published, and an
// admin can withdraw the publication in force with a reason.

// publishError turns the builder's refusal of an open period into a message for the reader.
func (p *Pages) publishError(err error) error {
	var open *report.OpenPeriodError
	if errors.As(err, &open) {
		key := "report.publish_open"
		if open.Future {
			key = "report.publish_future"
		}
		return &kit.UserError{Status: fiber.StatusConflict, Key: key, Args: []any{open.Period, dayText(open.Closes)}}
	}
	return fmt.Errorf("publish report: %w", err)
}

// dayText is the day a period can be published, as both languages write a date in a sentence.
func dayText(t time.Time) string { return t.Format("02.01.2006") }

// Withdraw takes the page's report publication back, with the admin's reason.
func (p *Pages) Withdraw(quarterly bool) fiber.Handler {
	return p.editReport(quarterly, "/trekk-tilbake", "trukket", false, func(c *fiber.Ctx, e reportEdit) error {
		period := report.PeriodName(e.year, e.quarter)
		_, err := e.b.Withdraw(c.UserContext(), e.w, e.kind, e.year, e.quarter, e.by, c.FormValue("reason"))
		switch {
		case errors.Is(err, report.ErrBadReason):
			return kit.BadRequest("report.withdraw_reason_needed", report.MaxReason)
		case errors.Is(err, report.ErrNotPublished):
			return &kit.UserError{Status: fiber.StatusConflict, Key: "report.withdraw_nothing", Args: []any{period}}
		case err != nil:
			return fmt.Errorf("withdraw report: %w", err)
		}
		p.log.InfoContext(c.UserContext(), "report publication withdrawn", "report", e.kind, "period", period, "by", e.by)
		return nil
	})
}

// guardPublishing fills the report page's publishing state: no publish form for an open period
// (a note says from when), the withdraw form for admins while a publication is in force, and the
// newest withdrawal while none is.
func (p *Pages) guardPublishing(c *fiber.Ctx, lang i18n.Lang, v report.View, page *reportPage) {
	year, quarter, err := report.ParsePeriod(v.Period)
	if err != nil {
		return
	}
	if b, err := p.reportBuilder(c); err == nil {
		var open *report.OpenPeriodError
		if errors.As(b.Closed(year, quarter), &open) && page.CanPublish {
			key := "report.publish_open"
			if open.Future {
				key = "report.publish_future"
			}
			page.CanPublish = false
			page.PublishNote = lang.T(key, open.Period, dayText(open.Closes))
		}
	}
	u := kit.CurrentUser(c)
	if v.Publication != nil && u != nil && u.Role.AtLeast(auth.Admin) && p.reportWriter() != nil {
		page.WithdrawURL = withdrawURL(c)
	}
	if w := v.Withdrawal; w != nil && v.Publication == nil {
		page.Withdrawn = lang.T("report.withdrawn", kit.DateTime(lang, w.PublishedAt, p.loc),
			kit.DateTime(lang, w.WithdrawnAt, p.loc), w.WithdrawnBy, w.Reason)
	}
	if c.Query("trukket") == "1" && v.Publication == nil {
		page.Flash = lang.T("report.withdrawn_ok", v.Period)
	}
}

func withdrawURL(c *fiber.Ctx) string {
	u := c.Path() + "/trekk-tilbake"
	if site := c.Query("site"); site != "" {
		u += "?site=" + site
	}
	return u
}
