package query

import "context"

// EventSectors is one event's attendance by sector as stored (the entry form shows it to edit);
// empty when it has no breakdown.
func (q *Queries) EventSectors(ctx context.Context, accountID, eventID string) ([]SectorAttendance, error) {
	m, err := q.sectorAttendance(ctx, accountID, []string{eventID})
	if err != nil {
		return nil, err
	}
	return m[eventID], nil
}
