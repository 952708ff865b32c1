package query

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Reads for the events entry form (dashboard/admin/events.go): one event as stored, deleted or not,
// and its audit trail (event_changes, schemas/0005_event_audit.sql).

// StoredEvent is an event's newest stored version, deleted or not, with the source that wrote it.
type StoredEvent struct {
	AccountID       string
	EventID         string
	Kind            string
	Title           string
	StartsAt        time.Time  // UTC
	EndsAt          *time.Time // UTC
	Registered      *uint32
	AttendedOnSite  *uint32
	AttendedDigital *uint32
	Deleted         bool
	// Source is the label that wrote the newest version: a configured source id (an API), "form",
	// an import, or "demo".
	Source string
}

// EventByID returns an account's event by id, including a deleted one; nil when there is none.
func (q *Queries) EventByID(ctx context.Context, accountID, eventID string) (*StoredEvent, error) {
	found, err := collect(ctx, q.conn, "event "+accountID+"/"+eventID, `
SELECT account_id, event_id, kind, title, starts_at, ends_at, registered, attended_on_site, attended_digital, deleted, source
FROM events FINAL
WHERE account_id = ? AND event_id = ?`, []any{accountID, eventID},
		func(rows driver.Rows) (StoredEvent, error) {
			var e StoredEvent
			var deleted uint8
			err := rows.Scan(&e.AccountID, &e.EventID, &e.Kind, &e.Title, &e.StartsAt, &e.EndsAt, &e.Registered,
				&e.AttendedOnSite, &e.AttendedDigital, &deleted, &e.Source)
			e.StartsAt, e.Deleted = e.StartsAt.UTC(), deleted == 1
			if e.EndsAt != nil {
				ends := e.EndsAt.UTC()
				e.EndsAt = &ends
			}
			return e, err
		})
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return &found[0], nil
}

// EventChange is one row of an event's audit trail.
type EventChange struct {
	At     time.Time // UTC
	By     string
	Action string // created, updated, deleted
	// Before and After are the event's figures around the change; Before is nil for a creation.
	Before, After *EventSnapshot
}

// EventSnapshot is the JSON the audit trail keeps of an event (internal/events.Snapshot).
type EventSnapshot struct {
	Kind            string     `json:"kind"`
	Title           string     `json:"title"`
	StartsAt        time.Time  `json:"starts_at"`
	EndsAt          *time.Time `json:"ends_at"`
	Registered      *uint32    `json:"registered"`
	AttendedOnSite  *uint32    `json:"attended_on_site"`
	AttendedDigital *uint32    `json:"attended_digital"`
	Deleted         bool       `json:"deleted"`
}

// EventChanges returns an event's audit trail, newest first, at most limit rows.
func (q *Queries) EventChanges(ctx context.Context, accountID, eventID string, limit int) ([]EventChange, error) {
	return collect(ctx, q.conn, "changes of event "+accountID+"/"+eventID, `
SELECT changed_at, changed_by, action, before, after
FROM event_changes
WHERE account_id = ? AND event_id = ?
ORDER BY changed_at DESC, version DESC
LIMIT ?`, []any{accountID, eventID, uint64(max(limit, 1))},
		func(rows driver.Rows) (EventChange, error) {
			var c EventChange
			var before, after string
			if err := rows.Scan(&c.At, &c.By, &c.Action, &before, &after); err != nil {
				return c, err
			}
			c.At = c.At.UTC()
			var err error
			if c.Before, err = snapshot(before); err != nil {
				return c, fmt.Errorf("before: %w", err)
			}
			if c.After, err = snapshot(after); err != nil {
				return c, fmt.Errorf("after: %w", err)
			}
			return c, nil
		})
}

func snapshot(raw string) (*EventSnapshot, error) {
	if raw == "" {
		return nil, nil
	}
	var s EventSnapshot
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, err
	}
	return &s, nil
}
