package admin

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/events"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// Attendance by sector on the events entry form (rules: internal/events/sectors.go).

// sectorValuesOf reads the form's sector fields as typed.
func sectorValuesOf(c *fiber.Ctx) map[string]string {
	out := map[string]string{}
	for _, s := range figures.Sectors() {
		out[s] = c.FormValue(events.FieldSector(s))
	}
	return out
}

// storedSectors fills the sector fields from an event's stored breakdown.
func storedSectors(rows []query.SectorAttendance) map[string]string {
	out := map[string]string{}
	for _, r := range rows {
		out[r.Sector] = strconv.FormatUint(uint64(r.Attended), 10)
	}
	return out
}

// SectorFields are the form's sector inputs in display order, with their values and errors.
func (v eventFormView) SectorFields() []kit.FormField {
	out := make([]kit.FormField, 0, len(figures.Sectors()))
	for _, s := range figures.Sectors() {
		name := events.FieldSector(s)
		out = append(out, v.field("ev-"+name, name, v.Lang.T("sector."+s), "", "count", v.V.Sectors[s]))
	}
	return out
}

// sectorMessage is the form's wording of a problem with the breakdown as a whole.
func sectorMessage(l i18n.Lang, fe events.FieldError) string {
	var sum, total int
	if n, _ := fmt.Sscanf(fe.Reason, "the sectors add up to %d, more than the %d who attended", &sum, &total); n == 2 {
		return l.T("eventform.err.sectors_sum", sum, total)
	}
	return l.T("eventform.err.sectors_need_attendance")
}
