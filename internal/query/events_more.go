package query

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
)

// SpanEvents returns an account's held events that start on the days of span s in loc, oldest
// first, with their sector breakdowns. It reads whole years (eventYears), shared within a request.
func (q *Queries) SpanEvents(ctx context.Context, accountID string, s days.Span, loc *time.Location) ([]Event, error) {
	if loc == nil {
		return nil, fmt.Errorf("events of %s: nil time zone", accountID)
	}
	from, to := s.Instants(loc)
	all, err := q.eventYears(ctx, accountID, loc, s.From, s.To)
	if err != nil {
		return nil, err
	}
	var out []Event
	for y := s.From.Year(); y <= s.To.Year(); y++ {
		for _, e := range all[y] {
			if !e.StartsAt.Before(from) && e.StartsAt.Before(to) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// eventYears is an account's held events with their sector breakdowns by the year they start in
// (in loc), for the years yearsFor gives from..to; the years no part of the request has read are
// read in one query, sectors and all.
func (q *Queries) eventYears(ctx context.Context, accountID string, loc *time.Location, from, to time.Time) (map[int][]Event, error) {
	years := yearsFor(ctx, from, to, false)
	if u, ok := upcomingOf(ctx); ok && u.loc.String() == loc.String() {
		for y := yearOf(u.now, loc); y <= yearOf(u.now.AddDate(upcomingYears, 0, 0), loc); y++ {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
		slices.Sort(years)
	}
	return blocks(ctx, "events\x00"+accountID+"\x00"+loc.String(), years, func(years []int) ([][]Event, error) {
		where, args := instantsIn("starts_at", years, loc)
		events, err := q.readEvents(ctx, accountID, where, args)
		if err != nil {
			return nil, err
		}
		return splitYears(events, years, loc, func(e Event) time.Time { return e.StartsAt }), nil
	})
}

// UpcomingEvents returns up to limit of an account's events that start at or after now, soonest
// first (entered ahead of time, so attendance is usually still empty).
func (q *Queries) UpcomingEvents(ctx context.Context, accountID string, now time.Time, limit int) ([]Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("upcoming events of %s: %w (got %d)", accountID, ErrBadLimit, limit)
	}
	until := now.AddDate(upcomingYears, 0, 0)
	var events []Event
	if u, ok := upcomingOf(ctx); ok && u.now.Equal(now) {
		// The page's event reads take these years too (CoverUpcoming): no query of its own.
		all, err := q.eventYears(ctx, accountID, u.loc, days.Of(now, u.loc), days.Of(until, u.loc))
		if err != nil {
			return nil, err
		}
		for y := yearOf(now, u.loc); y <= yearOf(until, u.loc) && len(events) < limit; y++ {
			for _, e := range all[y] {
				if !e.StartsAt.Before(now) && e.StartsAt.Before(until) && len(events) < limit {
					events = append(events, e)
				}
			}
		}
		return events, nil
	}
	events, err := q.Events(ctx, accountID, now, until)
	if err != nil {
		return nil, err
	}
	if len(events) > limit {
		events = events[:limit]
	}
	return events, nil
}

// upcomingYears is how far ahead UpcomingEvents looks: as far as anyone plans.
const upcomingYears = 2

// EventTotals sums a set of events.
type EventTotals struct {
	Events int
	// Registered, OnSite, Digital and Attended add up the events that have the figure (a missing
	// figure is unknown, not zero); the With… counts say how many events had it.
	Registered, OnSite, Digital, Attended                   uint64
	WithRegistered, WithOnSite, WithDigital, WithAttendance int
}

// Add counts one event in.
func (t *EventTotals) Add(e Event) {
	t.Events++
	for _, f := range []struct {
		v    *uint32
		sum  *uint64
		with *int
	}{
		{e.Registered, &t.Registered, &t.WithRegistered},
		{e.AttendedOnSite, &t.OnSite, &t.WithOnSite},
		{e.AttendedDigital, &t.Digital, &t.WithDigital},
		{e.Attended, &t.Attended, &t.WithAttendance},
	} {
		if f.v != nil {
			*f.sum += uint64(*f.v)
			*f.with++
		}
	}
}

// SumEvents adds up events.
func SumEvents(events []Event) EventTotals {
	var t EventTotals
	for _, e := range events {
		t.Add(e)
	}
	return t
}

// QuarterEvents is one calendar quarter's events.
type QuarterEvents struct {
	Year, Quarter int
	EventTotals
}

// EventsByQuarter groups events by the quarter of their local start day in loc, for every quarter
// from the one holding from to the one holding to (quarters without events included, as zeros:
// no event held is a real zero).
func EventsByQuarter(events []Event, from, to time.Time, loc *time.Location) []QuarterEvents {
	var out []QuarterEvents
	index := map[[2]int]int{}
	for q, _ := days.SpanOf(days.Quarter, from); !q.From.After(to); q = q.Next() {
		key := [2]int{q.From.Year(), days.QuarterOf(q.From)}
		index[key] = len(out)
		out = append(out, QuarterEvents{Year: key[0], Quarter: key[1]})
	}
	for _, e := range events {
		d := days.Of(e.StartsAt, loc)
		if i, ok := index[[2]int{d.Year(), days.QuarterOf(d)}]; ok {
			out[i].Add(e)
		}
	}
	return out
}

// SectorTotal is one sector's registrants and attendees over a set of events.
type SectorTotal struct {
	Sector               string
	Registered, Attended uint64
	// Events counts the events with a row for this sector.
	Events int
}

// SumSectors adds up the sector breakdowns of events, sectors in order of first appearance in
// order (the canonical sector order); sectors outside it follow, in order of appearance. Events
// without a breakdown add nothing: a sector breakdown comes from registration e-mail domains, which
// entered events do not have.
func SumSectors(events []Event, order []string) []SectorTotal {
	index := map[string]int{}
	var out []SectorTotal
	for _, s := range order {
		index[s] = len(out)
		out = append(out, SectorTotal{Sector: s})
	}
	for _, e := range events {
		for _, s := range e.Sectors {
			i, ok := index[s.Sector]
			if !ok {
				i = len(out)
				index[s.Sector] = i
				out = append(out, SectorTotal{Sector: s.Sector})
			}
			out[i].Registered += uint64(s.Registered)
			out[i].Attended += uint64(s.Attended)
			out[i].Events++
		}
	}
	return out
}

// KindEvents is one kind's events in a set.
type KindEvents struct {
	Kind string
	EventTotals
}

// SumByKind groups events by kind, kinds in the given order first, others after in order of
// appearance; kinds without events are left out.
func SumByKind(events []Event, order []string) []KindEvents {
	rank := map[string]int{}
	for i, k := range order {
		rank[k] = i
	}
	index := map[string]int{}
	var out []KindEvents
	for _, e := range events {
		i, ok := index[e.Kind]
		if !ok {
			i = len(out)
			index[e.Kind] = i
			out = append(out, KindEvents{Kind: e.Kind})
		}
		out[i].Add(e)
	}
	// Stable insertion sort by rank: a handful of kinds.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && kindRank(rank, out[j].Kind, len(order)) < kindRank(rank, out[j-1].Kind, len(order)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func kindRank(rank map[string]int, kind string, n int) int {
	if r, ok := rank[kind]; ok {
		return r
	}
	return n
}
