package collectors

import (
	"fmt"
	"net/url"
	"strings"
)

// People joins the records an attendance source gets for one event (a rejoin, a second report of
// a restarted meeting, a registration) into persons, so that each person counts once: a
// disjoint-set forest over record indexes, joined wherever two records share a key.
type People struct{ parent []int }

// NewPeople starts with n records, each its own person.
func NewPeople(n int) *People {
	p := &People{parent: make([]int, n)}
	for i := range p.parent {
		p.parent[i] = i
	}
	return p
}

// Find is the index that stands for record i's person.
func (p *People) Find(i int) int {
	for p.parent[i] != i {
		p.parent[i] = p.parent[p.parent[i]]
		i = p.parent[i]
	}
	return i
}

// Join records that a and b are the same person.
func (p *People) Join(a, b int) { p.parent[p.Find(a)] = p.Find(b) }

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
