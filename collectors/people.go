package collectors

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/innomed/rekkevidde/internal/sectors"
)

// Attendee is one attendance record as a source reads it: a join session, a report's row.
type Attendee struct {
	// Keys tell a person apart (registration, user id, e-mail address), strongest first; records
	// sharing any key are one person.
	Keys []string
	// Name is a keyless record's fallback (a guest's display name, an anonymous id): keyless
	// records join a keyed record of that name if there is one, else each other. Empty: a person
	// of their own.
	Name string
	// NameOfKeyed is the display name under which a keyed record can be found by keyless ones.
	NameOfKeyed string
	// Sector is what this record alone says (its address, its registration).
	Sector string
}

// CountPeople joins an event's attendance records into persons — a rejoin, a second report of a
// restarted meeting and a registration are one person — and counts the persons per sector. A
// person's sector is the most informative among their records' (sectors.Better), so one record
// without an address does not move them to "unknown".
func CountPeople(records []Attendee) sectors.Counts {
	parent := make([]int, len(records))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	join := func(a, b int) { parent[find(a)] = find(b) }
	owner, byName := map[string]int{}, map[string]int{}
	var keyless []int
	for i, r := range records {
		if len(r.Keys) == 0 {
			keyless = append(keyless, i)
			continue
		}
		for _, k := range r.Keys {
			if j, ok := owner[k]; ok {
				join(i, j)
			} else {
				owner[k] = i
			}
		}
		if r.NameOfKeyed != "" {
			if _, ok := byName[r.NameOfKeyed]; !ok {
				byName[r.NameOfKeyed] = i
			}
		}
	}
	for _, i := range keyless {
		name := records[i].Name
		if name == "" {
			continue
		}
		if j, ok := byName[name]; ok {
			join(i, j)
		} else {
			byName[name] = i
		}
	}
	sectorOf := map[int]string{}
	for i, r := range records {
		root, s := find(i), r.Sector
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

// NameKey is a display name compared loosely (case and spacing), for guests who have nothing else.
func NameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// BaseURL checks a source's configurable endpoint setting: empty gives fallback; otherwise it must
// be an absolute http(s) URL, returned without a trailing slash.
func BaseURL(source, key, value, fallback string) (string, error) {
	v := strings.TrimRight(strings.TrimSpace(value), "/")
	if v == "" {
		return fallback, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: settings: %s %q must be an absolute http(s) URL such as %s", source, key, value, fallback)
	}
	return v, nil
}
