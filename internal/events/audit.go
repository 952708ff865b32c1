package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

// The audit trail of hand-entered events (schemas/0005_event_audit.sql): every save and delete
// made through the entry form adds one event_changes row. Rows are only ever added, never
// replaced, so the record of who changed which figure when cannot be rewritten by a later change.

// Change actions, as stored in event_changes.action.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Snapshot is an event's figures as the audit trail keeps them (JSON in before/after). It has its
// own field names so the stored JSON does not change when figures.Event is refactored.
type Snapshot struct {
	AccountID       string     `json:"account_id"`
	EventID         string     `json:"event_id"`
	Kind            string     `json:"kind"`
	Title           string     `json:"title"`
	StartsAt        time.Time  `json:"starts_at"`
	EndsAt          *time.Time `json:"ends_at"`
	Registered      *uint32    `json:"registered"`
	AttendedOnSite  *uint32    `json:"attended_on_site"`
	AttendedDigital *uint32    `json:"attended_digital"`
	Deleted         bool       `json:"deleted"`
}

// SnapshotOf is ev as the audit trail records it (instants in UTC).
func SnapshotOf(ev figures.Event) Snapshot {
	s := Snapshot{AccountID: ev.AccountID, EventID: ev.EventID, Kind: ev.Kind, Title: ev.Title,
		StartsAt: ev.StartsAt.UTC(), Registered: ev.Registered, AttendedOnSite: ev.AttendedOnSite,
		AttendedDigital: ev.AttendedDigital, Deleted: ev.Deleted}
	if ev.EndsAt != nil {
		e := ev.EndsAt.UTC()
		s.EndsAt = &e
	}
	return s
}

// Change is one audited change of an event.
type Change struct {
	Action string
	// By is the person who made the change, as signed in (the session's name).
	By string
	At time.Time
	// Before is the event as stored before the change; nil for a new event.
	Before *figures.Event
	// After is the event as stored by the change (for a deletion: flagged deleted).
	After figures.Event
}

// RecordChange adds c to the audit trail.
func RecordChange(ctx context.Context, st *store.Store, c Change) error {
	switch c.Action {
	case ActionCreated, ActionUpdated, ActionDeleted:
	default:
		return fmt.Errorf("record event change: unknown action %q", c.Action)
	}
	if strings.TrimSpace(c.By) == "" {
		return errors.New("record event change: who made it is required")
	}
	before := ""
	if c.Before != nil {
		b, err := json.Marshal(SnapshotOf(*c.Before))
		if err != nil {
			return fmt.Errorf("record event change: %w", err)
		}
		before = string(b)
	}
	after, err := json.Marshal(SnapshotOf(c.After))
	if err != nil {
		return fmt.Errorf("record event change: %w", err)
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	err = st.Insert(ctx, "event_changes",
		[]string{"account_id", "event_id", "changed_at", "changed_by", "action", "before", "after", "version"},
		[][]any{{c.After.AccountID, c.After.EventID, at.UTC().Truncate(time.Second), c.By, c.Action, before, string(after), store.NewVersion()}})
	if err != nil {
		return fmt.Errorf("record %s of event %s: %w", c.Action, c.After.EventID, err)
	}
	return nil
}
