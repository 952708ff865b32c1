package query

import (
	"context"
	"fmt"
	"time"
)

// SectorAttendance is one sector's part of an event's sign-ups and attendance.
type SectorAttendance struct {
	// Tagged because reports store it in their snake_case JSON.
	Sector     string `json:"sector"`
	Registered uint32 `json:"registered"`
	Attended   uint32 `json:"attended"`
}

// Event is one held (not deleted) event with its attendance.
type Event struct {
	ID       string
	Kind     string
	Title    string
	StartsAt time.Time  // UTC
	EndsAt   *time.Time // UTC; nil when not entered
	// Registered, AttendedOnSite and AttendedDigital are nil when not applicable or not counted
	// (a digital-only event has no on-site figure).
	Registered      *uint32
	AttendedOnSite  *uint32
	AttendedDigital *uint32
	// Attended is AttendedOnSite + AttendedDigital, a missing part counting as absent, not as zero
	// people; nil when both are missing.
	Attended *uint32
	// Sectors break Registered and Attended down; empty when no breakdown was entered.
	Sectors []SectorAttendance
}

// Events returns an account's events starting in [from, to) (instants), oldest first. Deleted
// events are left out, and so are their sector rows.
func (q *Queries) Events(ctx context.Context, accountID string, from, to time.Time) ([]Event, error) {
	events, err := q.heldEvents(ctx, accountID, from, to)
	if err != nil || len(events) == 0 {
		return events, err
	}
	ids := make([]string, len(events))
	index := make(map[string]int, len(events))
	for i, e := range events {
		ids[i] = e.ID
		index[e.ID] = i
	}
	sectors, err := q.sectorAttendance(ctx, accountID, ids)
	if err != nil {
		return nil, err
	}
	for id, rows := range sectors {
		events[index[id]].Sectors = rows
	}
	return events, nil
}

func (q *Queries) heldEvents(ctx context.Context, accountID string, from, to time.Time) ([]Event, error) {
	rows, err := q.conn.Query(ctx, `
SELECT event_id, kind, title, starts_at, ends_at, registered, attended_on_site, attended_digital
FROM events FINAL
WHERE account_id = ? AND deleted = 0 AND starts_at >= toDateTime(?) AND starts_at < toDateTime(?)
ORDER BY starts_at, event_id`, accountID, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", accountID, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.Title, &e.StartsAt, &e.EndsAt, &e.Registered, &e.AttendedOnSite, &e.AttendedDigital); err != nil {
			return nil, fmt.Errorf("events of %s: %w", accountID, err)
		}
		e.StartsAt = e.StartsAt.UTC()
		if e.EndsAt != nil {
			ends := e.EndsAt.UTC()
			e.EndsAt = &ends
		}
		if e.AttendedOnSite != nil || e.AttendedDigital != nil {
			var total uint32
			if e.AttendedOnSite != nil {
				total += *e.AttendedOnSite
			}
			if e.AttendedDigital != nil {
				total += *e.AttendedDigital
			}
			e.Attended = &total
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of %s: %w", accountID, err)
	}
	return out, nil
}

// sectorAttendance returns the sector rows of the given events, by event id, sectors in key order.
func (q *Queries) sectorAttendance(ctx context.Context, accountID string, eventIDs []string) (map[string][]SectorAttendance, error) {
	rows, err := q.conn.Query(ctx, `
SELECT event_id, sector, registered, attended
FROM event_attendance_by_sector FINAL
WHERE account_id = ? AND has(?, event_id)
ORDER BY event_id, sector`, accountID, eventIDs)
	if err != nil {
		return nil, fmt.Errorf("attendance by sector for %s: %w", accountID, err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string][]SectorAttendance{}
	for rows.Next() {
		var id string
		var s SectorAttendance
		if err := rows.Scan(&id, &s.Sector, &s.Registered, &s.Attended); err != nil {
			return nil, fmt.Errorf("attendance by sector for %s: %w", accountID, err)
		}
		out[id] = append(out[id], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attendance by sector for %s: %w", accountID, err)
	}
	return out, nil
}

// KindTotals sums one kind of event over a range.
type KindTotals struct {
	Kind   string
	Events int
	// Registered and Attended add up the events that have the figure; EventsWithAttendance says
	// how many did, so an average is Attended / EventsWithAttendance.
	Registered           uint64
	Attended             uint64
	EventsWithAttendance int
}

// EventTotalsByKind sums Events(ctx, accountID, from, to) per kind, in order of first occurrence.
func (q *Queries) EventTotalsByKind(ctx context.Context, accountID string, from, to time.Time) ([]KindTotals, error) {
	events, err := q.Events(ctx, accountID, from, to)
	if err != nil {
		return nil, err
	}
	var out []KindTotals
	index := map[string]int{}
	for _, e := range events {
		i, ok := index[e.Kind]
		if !ok {
			i = len(out)
			index[e.Kind] = i
			out = append(out, KindTotals{Kind: e.Kind})
		}
		t := &out[i]
		t.Events++
		if e.Registered != nil {
			t.Registered += uint64(*e.Registered)
		}
		if e.Attended != nil {
			t.Attended += uint64(*e.Attended)
			t.EventsWithAttendance++
		}
	}
	return out, nil
}
