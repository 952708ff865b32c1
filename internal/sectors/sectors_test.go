package sectors

import (
	"os"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/figures"
)

func TestDefaultTable(t *testing.T) {
	table, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"kari@oslo.kommune.no":              figures.SectorMunicipality,
		"ola@bydel-frogner.oslo.kommune.no": figures.SectorMunicipality,
		"post@KOMMUNE.NO":                   figures.SectorMunicipality,
		"x@ks.no":                           figures.SectorKS,
		"x@sub.ks.no":                       figures.SectorOther, // ks.no is an exact rule
		"x@helse-vest.no":                   figures.SectorRegionalHealthAuthority,
		"x@helse-sorost.no":                 figures.SectorRegionalHealthAuthority,
		"x@helse-bergen.no":                 figures.SectorHealthTrust,
		"x@ous-hf.no":                       figures.SectorHealthTrust,
		"x@unn.no":                          figures.SectorHealthTrust,
		"x@stolav.no.":                      figures.SectorHealthTrust,
		"x@gmail.com":                       figures.SectorOther,
		"x@innomed.no":                      figures.SectorOther,
		"":                                  figures.SectorUnknown, // no address at all
		"  ":                                figures.SectorUnknown,
		"not an address":                    figures.SectorOther, // given, just not usable
		"x@":                                figures.SectorOther,
		"x@kommune.no.example.com":          figures.SectorOther,
		"x@notkommune.no":                   figures.SectorOther,
	}
	for email, want := range cases {
		if got := table.Sector(email); got != want {
			t.Errorf("Sector(%q) = %s, want %s", email, got, want)
		}
	}
}

func TestMostSpecificRuleWins(t *testing.T) {
	table, err := New([]config.SectorRule{
		{Domain: "*.no", Sector: figures.SectorOther},
		{Domain: "*.kommune.no", Sector: figures.SectorMunicipality},
		{Domain: "*.helse.kommune.no", Sector: figures.SectorHealthTrust},
		{Domain: "ks.kommune.no", Sector: figures.SectorKS},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"a@bergen.kommune.no":  figures.SectorMunicipality,
		"a@x.helse.kommune.no": figures.SectorHealthTrust,
		"a@helse.kommune.no":   figures.SectorHealthTrust,
		"a@ks.kommune.no":      figures.SectorKS,
		"a@sub.ks.kommune.no":  figures.SectorMunicipality,
		"a@helse-vest.no":      figures.SectorOther,
		"a@example.com":        figures.SectorOther,
	}
	for email, want := range cases {
		if got := table.Sector(email); got != want {
			t.Errorf("Sector(%q) = %s, want %s", email, got, want)
		}
	}
}

func TestConfiguredRulesReplaceTheDefault(t *testing.T) {
	table, err := New([]config.SectorRule{{Domain: "example.no", Sector: figures.SectorKS}})
	if err != nil {
		t.Fatal(err)
	}
	if got := table.Sector("a@oslo.kommune.no"); got != figures.SectorOther {
		t.Errorf("a configured table must replace the default one, got %s", got)
	}
	if got := table.Sector("a@example.no"); got != figures.SectorKS {
		t.Errorf("got %s", got)
	}
}

func TestBadRules(t *testing.T) {
	cases := map[string][]config.SectorRule{
		"sectors[0].domain": {{Domain: "*.", Sector: figures.SectorKS}},
		"sectors[1].sector": {{Domain: "a.no", Sector: figures.SectorKS}, {Domain: "b.no", Sector: "hospital"}},
		"already mapped":    {{Domain: "a.no", Sector: figures.SectorKS}, {Domain: "A.no", Sector: figures.SectorOther}},
		"@":                 {{Domain: "x@a.no", Sector: figures.SectorKS}},
	}
	for want, rules := range cases {
		_, err := New(rules)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%v) = %v, want an error mentioning %q", rules, err, want)
		}
	}
}

func TestDefaultTableIsValidAndDocumented(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, r := range Default() {
		if !strings.Contains(readme, "`"+r.Domain+"`") {
			t.Errorf("README.md does not list %s", r.Domain)
		}
	}
}

func TestUnknownIsNoRuleTarget(t *testing.T) {
	_, err := New([]config.SectorRule{{Domain: "example.com", Sector: figures.SectorUnknown}})
	if err == nil || !strings.Contains(err.Error(), "sectors[0].sector") {
		t.Fatalf("a rule mapping a domain to unknown: err = %v, want a sectors[0].sector error", err)
	}
}

func TestBetter(t *testing.T) {
	cases := []struct{ prev, s, want string }{
		{figures.SectorUnknown, figures.SectorOther, figures.SectorOther},
		{figures.SectorOther, figures.SectorUnknown, figures.SectorOther},
		{figures.SectorUnknown, figures.SectorKS, figures.SectorKS},
		{figures.SectorOther, figures.SectorHealthTrust, figures.SectorHealthTrust},
		{figures.SectorMunicipality, figures.SectorOther, figures.SectorMunicipality},
		{figures.SectorMunicipality, figures.SectorUnknown, figures.SectorMunicipality},
		{figures.SectorMunicipality, figures.SectorKS, figures.SectorMunicipality}, // a tie keeps the first
		{figures.SectorUnknown, figures.SectorUnknown, figures.SectorUnknown},
	}
	for _, c := range cases {
		if got := Better(c.prev, c.s); got != c.want {
			t.Errorf("Better(%s, %s) = %s, want %s", c.prev, c.s, got, c.want)
		}
	}
}

func TestCounts(t *testing.T) {
	c := NewCounts()
	if len(c) != len(figures.Sectors()) || c.Total() != 0 {
		t.Fatalf("NewCounts() = %v", c)
	}
	c[figures.SectorKS] += 2
	c[figures.SectorOther]++
	c[figures.SectorUnknown]++
	if _, ok := c[figures.SectorUnknown]; !ok || c.Total() != 4 {
		t.Errorf("Total = %d, want 4", c.Total())
	}
}
