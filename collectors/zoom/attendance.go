package zoom

import (
	"context"
	"net/url"
	"strings"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/sectors"
)

// participant is one join session in a participants report: a person who leaves and comes back,
// or whose connection fails over, has several. Only what identifies the person is decoded, and
// only for the time it takes to count them.
type participant struct {
	ID                string `json:"id"`
	ParticipantUserID string `json:"participant_user_id"`
	RegistrantID      string `json:"registrant_id"`
	Email             string `json:"user_email"`
	Name              string `json:"name"`
	Status            string `json:"status"`
}

// statusWaitingRoom marks a row of someone who was never admitted.
const statusWaitingRoom = "in_waiting_room"

// attendees reads a participants report and counts each admitted person once, by sector.
// registrantSectors gives the sector of a registrant who joined without an e-mail address.
func (c *collector) attendees(ctx context.Context, path string, registrantSectors map[string]string) (sectors.Counts, error) {
	rows, err := fetchAll(ctx, c, path, url.Values{"include_fields": {"registrant_id"}},
		func(p *struct {
			listPage
			Participants []participant `json:"participants"`
		}) ([]participant, listPage) {
			return p.Participants, p.listPage
		})
	if err != nil {
		return nil, err
	}
	return countPeople(rows, c.sectors, registrantSectors), nil
}

// countPeople groups join sessions into people and counts the people per sector. Two sessions are
// the same person when they share a registrant_id, a participant_user_id or id, or an e-mail
// address (any case). A session with none of these is matched by display name — to a person with
// that name if there is one — since that is all Zoom tells about guests who rejoin. Sessions that
// only sat in the waiting room are left out.
func countPeople(rows []participant, table *sectors.Table, registrantSectors map[string]string) sectors.Counts {
	var admitted []participant
	for _, p := range rows {
		if p.Status != statusWaitingRoom {
			admitted = append(admitted, p)
		}
	}
	groups := collectors.NewPeople(len(admitted))
	owner := map[string]int{}
	byName := map[string]int{}
	var nameOnly []int
	for i, p := range admitted {
		keys := identities(p)
		if len(keys) == 0 {
			nameOnly = append(nameOnly, i)
			continue
		}
		for _, k := range keys {
			if j, ok := owner[k]; ok {
				groups.Join(i, j)
			} else {
				owner[k] = i
			}
		}
		if name := collectors.NameKey(p.Name); name != "" {
			if _, ok := byName[name]; !ok {
				byName[name] = i
			}
		}
	}
	for _, i := range nameOnly {
		name := collectors.NameKey(admitted[i].Name)
		if name == "" {
			continue // nothing to match on: a person of their own
		}
		if j, ok := byName[name]; ok {
			groups.Join(i, j)
		} else {
			byName[name] = i
		}
	}
	// A person's sector is the most informative one among their sessions' addresses and
	// registrations (sectors.Better), so one session without an address does not move them to
	// "unknown"; a guest with neither an address nor a registration is "unknown".
	sectorOf := map[int]string{}
	for i, p := range admitted {
		root := groups.Find(i)
		s := table.Sector(p.Email)
		if s == figures.SectorUnknown {
			if rs, ok := registrantSectors[p.RegistrantID]; ok {
				s = rs
			}
		}
		if prev, ok := sectorOf[root]; ok {
			s = sectors.Better(prev, s)
		}
		sectorOf[root] = s
	}
	counts := sectors.NewCounts()
	for _, s := range sectorOf {
		counts[s]++
	}
	return counts
}

// identities are the keys that tell a person apart, strongest first.
func identities(p participant) []string {
	var keys []string
	if v := strings.TrimSpace(p.RegistrantID); v != "" {
		keys = append(keys, "registrant:"+v)
	}
	if v := strings.TrimSpace(p.ParticipantUserID); v != "" {
		keys = append(keys, "user:"+v)
	}
	if v := strings.TrimSpace(p.ID); v != "" {
		keys = append(keys, "user:"+v)
	}
	if v := strings.ToLower(strings.TrimSpace(p.Email)); v != "" {
		keys = append(keys, "email:"+v)
	}
	return keys
}
