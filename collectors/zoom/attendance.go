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
	people := make([]collectors.Attendee, len(admitted))
	for i, p := range admitted {
		name := collectors.NameKey(p.Name)
		a := collectors.Attendee{Keys: identities(p), NameOfKeyed: name, Sector: table.Sector(p.Email)}
		if len(a.Keys) == 0 {
			a.Name = name
		}
		if a.Sector == figures.SectorUnknown {
			if rs, ok := registrantSectors[p.RegistrantID]; ok {
				a.Sector = rs
			}
		}
		people[i] = a
	}
	return collectors.CountPeople(people)
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
