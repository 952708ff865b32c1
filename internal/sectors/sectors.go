// Package sectors tells which sector (municipality, health trust, regional health authority, KS,
// other, unknown) a registrant or participant belongs to, from the domain of their e-mail address. InnoMed
// exists to connect municipalities and hospitals, so attendance is reported by sector. Addresses
// are only looked at, never kept: callers count per sector and drop the address (see README.md).
package sectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/figures"
)

// Table maps e-mail domains to sectors. The zero value is not usable; build one with New.
type Table struct {
	exact map[string]string
	// suffixes are "*.x" patterns as "x", longest first, so the most specific one matches first.
	suffixes []suffixRule
}

type suffixRule struct {
	domain, sector string
}

// New builds a table from the configured rules; no rules means the built-in Norwegian table
// (Default). An exact rule beats every pattern, and a longer pattern beats a shorter one.
func New(rules []config.SectorRule) (*Table, error) {
	if len(rules) == 0 {
		rules = Default()
	}
	t := &Table{exact: map[string]string{}}
	seen := map[string]int{}
	for i, r := range rules {
		key := fmt.Sprintf("sectors[%d]", i)
		pattern := strings.ToLower(strings.TrimSpace(r.Domain))
		domain, isSuffix := strings.CutPrefix(pattern, "*.")
		domain = strings.TrimSuffix(domain, ".")
		if domain == "" || strings.ContainsAny(domain, "*@ /") {
			return nil, fmt.Errorf("%s.domain: must be a domain like ks.no or *.kommune.no, got %q", key, r.Domain)
		}
		if !slices.Contains(ruleSectors(), r.Sector) {
			return nil, fmt.Errorf("%s.sector: must be one of %s, got %q", key, strings.Join(ruleSectors(), ", "), r.Sector)
		}
		normal := domain
		if isSuffix {
			normal = "*." + domain
		}
		if j, dup := seen[normal]; dup {
			return nil, fmt.Errorf("%s.domain: %q is already mapped by sectors[%d]", key, r.Domain, j)
		}
		seen[normal] = i
		if isSuffix {
			t.suffixes = append(t.suffixes, suffixRule{domain: domain, sector: r.Sector})
		} else {
			t.exact[domain] = r.Sector
		}
	}
	slices.SortStableFunc(t.suffixes, func(a, b suffixRule) int { return cmp.Compare(len(b.domain), len(a.domain)) })
	return t, nil
}

// ruleSectors are the sectors a domain rule may map to: every one but unknown, which means "no
// address", never a domain.
func ruleSectors() []string {
	return slices.DeleteFunc(figures.Sectors(), func(s string) bool { return s == figures.SectorUnknown })
}

// Sector returns the sector of an e-mail address (or a bare domain). No address at all (empty or
// blank) is figures.SectorUnknown. An address that is given but unparsable, and a domain no rule
// matches, is figures.SectorOther: someone gave something, and most such cases are a private or
// company address, so they stay with the known organisations outside the sector.
func (t *Table) Sector(email string) string {
	if strings.TrimSpace(email) == "" {
		return figures.SectorUnknown
	}
	domain := Domain(email)
	if domain == "" {
		return figures.SectorOther
	}
	if s, ok := t.exact[domain]; ok {
		return s
	}
	for _, r := range t.suffixes {
		if domain == r.domain || strings.HasSuffix(domain, "."+r.domain) {
			return r.sector
		}
	}
	return figures.SectorOther
}

// rank orders sectors by how much they tell: unknown < other < a sector from a rule.
func rank(s string) int {
	switch s {
	case figures.SectorUnknown:
		return 0
	case figures.SectorOther:
		return 1
	}
	return 2
}

// Better returns the more informative of two sectors found for one person (a ruled sector over
// other, other over unknown), prev on a tie, so one session or record without an address does not
// move a person out of the sector another one placed them in.
func Better(prev, s string) string {
	if rank(s) > rank(prev) {
		return s
	}
	return prev
}

// Domain returns the lower-cased domain of an e-mail address, or of s itself when it holds no @.
func Domain(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if s == "" || strings.ContainsAny(s, " \t<>\"") {
		return ""
	}
	return s
}

// Counts holds one count per sector, every sector present (0 when nobody came from it), so a
// collection always writes an event's whole sector set.
type Counts map[string]uint32

// NewCounts returns zero counts for every sector.
func NewCounts() Counts {
	c := Counts{}
	for _, s := range figures.Sectors() {
		c[s] = 0
	}
	return c
}

// Total adds up all sectors.
func (c Counts) Total() uint32 {
	var n uint32
	for _, v := range c {
		n += v
	}
	return n
}

// Default is the built-in table for Norway: municipalities under kommune.no, KS, the four
// regional health authorities (RHF) and the health trusts (HF) they own. README.md lists it.
func Default() []config.SectorRule {
	rules := []config.SectorRule{
		{Domain: "*.kommune.no", Sector: figures.SectorMunicipality},
		{Domain: "ks.no", Sector: figures.SectorKS},
	}
	for _, d := range regionalHealthAuthorities {
		rules = append(rules, config.SectorRule{Domain: d, Sector: figures.SectorRegionalHealthAuthority})
	}
	for _, d := range healthTrusts {
		rules = append(rules, config.SectorRule{Domain: d, Sector: figures.SectorHealthTrust})
	}
	return rules
}

// regionalHealthAuthorities are the four RHFs that own InnoMed together with KS.
var regionalHealthAuthorities = []string{
	"helse-sorost.no", // Helse Sør-Øst RHF
	"helse-vest.no",   // Helse Vest RHF
	"helse-midt.no",   // Helse Midt-Norge RHF
	"helse-nord.no",   // Helse Nord RHF
}

// healthTrusts are the HFs owned by the RHFs (hospital trusts and their shared-service trusts).
var healthTrusts = []string{
	// Helse Sør-Øst
	"ous-hf.no",              // Oslo universitetssykehus
	"ahus.no",                // Akershus universitetssykehus
	"sykehuset-innlandet.no", // Sykehuset Innlandet
	"so-hf.no",               // Sykehuset Østfold
	"siv.no",                 // Sykehuset i Vestfold
	"sthf.no",                // Sykehuset Telemark
	"sshf.no",                // Sørlandet sykehus
	"vestreviken.no",         // Vestre Viken
	"sunnaas.no",             // Sunnaas sykehus
	"sykehuspartner.no",      // Sykehuspartner
	"sykehusapotekene.no",    // Sykehusapotekene
	// Helse Vest
	"helse-bergen.no",    // Helse Bergen (Haukeland)
	"helse-stavanger.no", // Helse Stavanger
	"sus.no",             // Stavanger universitetssjukehus (older addresses)
	"helse-fonna.no",     // Helse Fonna
	"helse-forde.no",     // Helse Førde
	"sav.no",             // Sjukehusapoteka Vest
	"helse-vest-ikt.no",  // Helse Vest IKT
	// Helse Midt-Norge
	"stolav.no",   // St. Olavs hospital
	"helse-mr.no", // Helse Møre og Romsdal
	"hnt.no",      // Helse Nord-Trøndelag
	"hemit.no",    // Helse Midt-Norge IT
	// Helse Nord
	"unn.no",                 // Universitetssykehuset Nord-Norge
	"nlsh.no",                // Nordlandssykehuset
	"helgelandssykehuset.no", // Helgelandssykehuset
	"finnmarkssykehuset.no",  // Finnmarkssykehuset
	"hnikt.no",               // Helse Nord IKT
	// Owned by all four RHFs
	"sykehusinnkjop.no", // Sykehusinnkjøp
	"sykehusbygg.no",    // Sykehusbygg
	"pasientreiser.no",  // Pasientreiser
	"luftambulanse.no",  // Luftambulansetjenesten
}
