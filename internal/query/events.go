package query

import (
	"context"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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
	return q.readEvents(ctx, accountID, "starts_at >= toDateTime(?) AND starts_at < toDateTime(?)", []any{from.Unix(), to.Unix()})
}

// readEvents reads an account's held events whose starts_at meets where (fixed text with its bound
// arguments), oldest first, with their sector rows joined in the same query.
func (q *Queries) readEvents(ctx context.Context, accountID, where string, args []any) ([]Event, error) {
	// The sector rows of the same events only, so the read stays bounded by the range asked. Both
	// sides are named (e, s): current ClickHouse refuses a joined subquery without an alias.
	query := `
SELECT event_id, kind, title, starts_at, ends_at, registered, attended_on_site, attended_digital,
       sectors, sector_registered, sector_attended
FROM (
    SELECT event_id, kind, title, starts_at, ends_at, registered, attended_on_site, attended_digital
    FROM events FINAL
    WHERE account_id = ? AND deleted = 0 AND ` + where + `
) AS e ANY LEFT JOIN (
    SELECT event_id, groupArray(sector) AS sectors, groupArray(registered) AS sector_registered,
           groupArray(attended) AS sector_attended
    FROM event_attendance_by_sector FINAL
    WHERE account_id = ? AND event_id IN (
        SELECT event_id FROM events WHERE account_id = ? AND ` + where + `
    )
    GROUP BY event_id
) AS s USING event_id
ORDER BY starts_at, event_id`
	all := append([]any{accountID}, args...)
	all = append(all, accountID, accountID)
	all = append(all, args...)
	return collect(ctx, q.conn, "events of "+accountID, query, all, func(rows driver.Rows) (Event, error) {
		var e Event
		var sectors []string
		var registered, attended []uint32
		if err := rows.Scan(&e.ID, &e.Kind, &e.Title, &e.StartsAt, &e.EndsAt, &e.Registered, &e.AttendedOnSite, &e.AttendedDigital,
			&sectors, &registered, &attended); err != nil {
			return e, err
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
		for i := range sectors {
			e.Sectors = append(e.Sectors, SectorAttendance{Sector: sectors[i], Registered: registered[i], Attended: attended[i]})
		}
		// Sectors in key order, as sectorAttendance gives them: groupArray keeps no order.
		sort.Slice(e.Sectors, func(i, j int) bool { return e.Sectors[i].Sector < e.Sectors[j].Sector })
		return e, nil
	})
}

// sectorAttendance returns the sector rows of the given events, by event id, sectors in key order.
func (q *Queries) sectorAttendance(ctx context.Context, accountID string, eventIDs []string) (map[string][]SectorAttendance, error) {
	out := map[string][]SectorAttendance{}
	err := eachRow(ctx, q.conn, "attendance by sector for "+accountID, `
SELECT event_id, sector, registered, attended
FROM event_attendance_by_sector FINAL
WHERE account_id = ? AND has(?, event_id)
ORDER BY event_id, sector`, []any{accountID, eventIDs},
		func(rows driver.Rows) error {
			var id string
			var s SectorAttendance
			err := rows.Scan(&id, &s.Sector, &s.Registered, &s.Attended)
			out[id] = append(out[id], s)
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
