package events

import (
	"fmt"
	"sort"
	"strings"

	"github.com/innomed/rekkevidde/internal/figures"
)

// Attendance by sector, entered by hand (the form) or imported (the CSV's sector_* columns).
//
// Rules, the same for both ways in:
//   - A breakdown is entered whole: when any sector has a count, every sector is stored, an empty
//     one as 0 ("nobody from that sector"). With no sector given, nothing is stored, and a breakdown
//     stored before stays as it is (enter 0s to clear it).
//   - It needs the attendance it breaks down (attended_on_site or attended_digital), and its counts
//     together must not exceed that attendance. They may fall short of it: a sign-in list need not
//     place everyone, and the rest is simply not placed in a sector (never guessed as "other").
//   - Counts are attendees; registrants by sector come only from registration systems (e-mail
//     domains), so an entered breakdown stores 0 registered.

// SectorPrefix starts the field (and CSV column) of one sector's attendees: sector_municipality.
const SectorPrefix = "sector_"

// FieldSectors names problems of the breakdown as a whole.
const FieldSectors = "sectors"

// FieldSector is the field and column name of a sector's attendees.
func FieldSector(sector string) string { return SectorPrefix + sector }

// sectorCounts parses the breakdown; nil when no sector has a count.
func (in Input) sectorCounts(errs *Errors) map[string]uint32 {
	known := map[string]bool{}
	for _, s := range figures.Sectors() {
		known[s] = true
	}
	keys := make([]string, 0, len(in.Sectors))
	for k := range in.Sectors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out map[string]uint32
	for _, k := range keys {
		if !known[k] {
			*errs = append(*errs, FieldError{Field: FieldSector(k), Reason: fmt.Sprintf("%q is not a sector: use %s",
				k, strings.Join(figures.Sectors(), ", "))})
			continue
		}
		n := count(FieldSector(k), in.Sectors[k], errs)
		if n == nil {
			continue
		}
		if out == nil {
			out = map[string]uint32{}
		}
		out[k] = *n
	}
	return out
}

// checkSectors adds the breakdown's problems against the event's attendance to errs.
func (in Input) checkSectors(onSite, digital *uint32, errs *Errors) {
	counts := in.sectorCounts(errs)
	if counts == nil {
		return
	}
	if onSite == nil && digital == nil {
		*errs = append(*errs, FieldError{Field: FieldSectors, Reason: "attendance by sector needs the attendance it breaks down: give attended_on_site or attended_digital"})
		return
	}
	var sum, total uint64
	for _, n := range counts {
		sum += uint64(n)
	}
	for _, n := range []*uint32{onSite, digital} {
		if n != nil {
			total += uint64(*n)
		}
	}
	if sum > total {
		*errs = append(*errs, FieldError{Field: FieldSectors, Reason: fmt.Sprintf("the sectors add up to %d, more than the %d who attended", sum, total)})
	}
}

// SectorRecords is the breakdown of a validated event (Input.Event succeeded): every sector, in
// display order, or nil when no sector was given.
func (in Input) SectorRecords(ev figures.Event) []figures.EventSector {
	var errs Errors
	counts := in.sectorCounts(&errs)
	if counts == nil || len(errs) > 0 {
		return nil
	}
	out := make([]figures.EventSector, 0, len(figures.Sectors()))
	for _, s := range figures.Sectors() {
		out = append(out, figures.EventSector{AccountID: ev.AccountID, EventID: ev.EventID, Sector: s, Attended: counts[s]})
	}
	return out
}

// Records is the event and its breakdown as one write: both under the same version.
func (in Input) Records(ev figures.Event) []figures.Record {
	out := []figures.Record{ev}
	for _, s := range in.SectorRecords(ev) {
		out = append(out, s)
	}
	return out
}
