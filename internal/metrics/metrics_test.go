package metrics

import (
	"flag"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/schemas"
)

var update = flag.Bool("update", false, "rewrite the catalogue's section of dashboard/README.md")

// schemaTables are the tables the migrations create.
func schemaTables(t *testing.T) map[string]bool {
	t.Helper()
	create := regexp.MustCompile(`(?i)CREATE TABLE IF NOT EXISTS\s+([a-z_0-9]+)`)
	out := map[string]bool{}
	err := fs.WalkDir(schemas.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := schemas.Files.ReadFile(path)
		for _, m := range create.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
		return err
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("reading schemas: %v (%d tables)", err, len(out))
	}
	return out
}

// Every figure is complete: a unique name Lookup finds, a known unit, shape and reader, tables
// the schemas create, a surface, and a definition in both languages.
func TestEveryFigureIsComplete(t *testing.T) {
	tables := schemaTables(t)
	units := map[Unit]bool{UnitCount: true, UnitFraction: true, UnitPerMonth: true}
	shapes := map[Shape]bool{ShapeSum: true, ShapeLevel: true, ShapeRate: true, ShapePeriod: true}
	readers := map[Reader]bool{ReadTraffic: true, ReadPeriodVisitors: true, ReadTopPages: true, ReadFollowers: true,
		ReadGrowth: true, ReadReach: true, ReadSubscribers: true, ReadCampaigns: true, ReadEvents: true, ReadPublications: true}
	items := map[Item]bool{NoItem: true, ItemChannel: true, ItemDevice: true, ItemRank: true}
	seen := map[Name]bool{}
	for _, m := range All() {
		if m.Name == "" || seen[m.Name] {
			t.Errorf("%q: empty or repeated name", m.Name)
		}
		seen[m.Name] = true
		if got, ok := Lookup(string(m.Name)); !ok || got.Name != m.Name {
			t.Errorf("%s: Lookup finds %q, %v", m.Name, got.Name, ok)
		}
		if !units[m.Unit] || !shapes[m.Shape] || !readers[m.Reader] || !items[m.Item] {
			t.Errorf("%s: unit %q, shape %q, reader %q or item %q is not a known one", m.Name, m.Unit, m.Shape, m.Reader, m.Item)
		}
		// A rate is exactly a figure in percent: changes in points and targets in percent follow.
		if m.Percent() != (m.Shape == ShapeRate) {
			t.Errorf("%s: unit %q with shape %q", m.Name, m.Unit, m.Shape)
		}
		if len(m.tables) == 0 {
			t.Errorf("%s: reads no collected table", m.Name)
		}
		for _, tb := range m.Tables() {
			if !tables[tb] {
				t.Errorf("%s: table %q is in no migration under schemas/", m.Name, tb)
			}
		}
		if m.Shows == 0 {
			t.Errorf("%s: shown nowhere", m.Name)
		}
		for _, l := range i18n.Supported() {
			d := m.Definition.In(l)
			if len(d) < 20 || !strings.HasSuffix(d, ".") {
				t.Errorf("%s: definition in %s %q is missing or not a sentence", m.Name, l, d)
			}
		}
		if m.Definition.NB == m.Definition.EN {
			t.Errorf("%s: the bokmål definition is the English one", m.Name)
		}
		social := strings.HasPrefix(string(m.Name), "social.")
		if social != (m.Platform != "") || (social && !strings.HasSuffix(string(m.Name), "."+m.Platform)) {
			t.Errorf("%s: platform %q", m.Name, m.Platform)
		}
		if !m.On(Import) && (m.Import != ImportRule{} || m.Item != NoItem) {
			t.Errorf("%s: import rules or an item on a figure the import does not take", m.Name)
		}
		// Every surface that names the figure has its title in both languages.
		for _, l := range i18n.Supported() {
			if m.On(Overview) && !l.Has("kpi."+string(m.Name)) {
				t.Errorf("%s: no title kpi.%s in %s", m.Name, m.Name, l)
			}
			if m.On(Report) && !l.Has("report.kpi."+string(m.Name)) {
				t.Errorf("%s: no title report.kpi.%s in %s", m.Name, m.Name, l)
			}
		}
		// Whatever the overview shows, the reports, the API and targets show too.
		if m.On(Overview) && !m.On(Report|API|Target) {
			t.Errorf("%s: an overview KPI missing from the reports, the API or targets", m.Name)
		}
	}
	if _, ok := Lookup("web.visitors"); ok {
		t.Error("Lookup finds a name the catalogue does not have")
	}
}

// The overview's KPIs come first, in display order, and the report's rows follow the report's
// order (platforms Facebook, LinkedIn, Instagram).
func TestViewsKeepTheirOrder(t *testing.T) {
	want := []string{"web.visits", "web.unique_visitors", "web.pageviews",
		"social.followers.facebook", "social.followers.instagram", "social.followers.linkedin",
		"social.new_followers.facebook", "social.new_followers.instagram", "social.new_followers.linkedin",
		"newsletter.subscribers", "newsletter.click_rate", "newsletter.last_click_rate",
		"events.count", "events.attendance", "publications.count"}
	if got := Names(OverviewKPIs()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("overview KPIs %q, want %q", got, want)
	}
	want = append(want, "web.new_visitors_share", "social.growth.facebook", "social.reach_per_month.facebook",
		"social.growth.linkedin", "social.reach_per_month.linkedin", "social.growth.instagram", "social.reach_per_month.instagram")
	if got := Names(ReportKPIs()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("report KPIs %q, want %q", got, want)
	}
}

func TestFromPercentAndCompare(t *testing.T) {
	rate, count := MustLookup(NewsletterClickRate), MustLookup(WebVisits)
	if got := rate.FromPercent(22); got != 0.22 {
		t.Errorf("22 %% as a fraction = %v", got)
	}
	if got := count.FromPercent(22); got != 22 {
		t.Errorf("a count's target changed: %v", got)
	}
	cur, prev := 0.204, 0.187
	if c := rate.Compare(&cur, &prev); c == nil || c.Relative != nil {
		t.Errorf("a rate's change %+v: want points, no relative change", c)
	}
	a, b := 9068.0, 10234.0
	if c := count.Compare(&a, &b); c == nil || c.Relative == nil || c.Delta != a-b {
		t.Errorf("a count's change %+v", c)
	}
	if c := count.Compare(nil, &b); c != nil {
		t.Errorf("change against an unknown: %+v", c)
	}
	end, gained := 616.0, 350.0
	if g := GrowthRate(&end, &gained); g == nil || *g != 350.0/266.0 {
		t.Errorf("growth %v", g)
	}
	if g := GrowthRate(&gained, &gained); g != nil {
		t.Errorf("growth from zero followers at the start: %v", *g)
	}
}

// readmeTable is dashboard/README.md's table of every figure, generated from the catalogue.
func readmeTable() string {
	surfaces := []struct {
		s    Surface
		name string
	}{{Overview, "overview"}, {Report, "report"}, {API, "API"}, {Import, "import"}, {Target, "target"}}
	var b strings.Builder
	b.WriteString("| `kpi` | unit | shown on | tables | definition |\n|---|---|---|---|---|\n")
	for _, m := range All() {
		var on []string
		for _, s := range surfaces {
			if m.On(s.s) {
				on = append(on, s.name)
			}
		}
		b.WriteString("| `" + string(m.Name) + "` | " + string(m.Unit) + ", " + string(m.Shape) + " | " + strings.Join(on, ", ") +
			" | " + strings.Join(m.Tables(), ", ") + " | " + strings.ReplaceAll(m.Definition.EN, "|", "\\|") + " |\n")
	}
	return b.String()
}

const (
	readmePath  = "../../dashboard/README.md"
	readmeBegin = "<!-- figures: generated from internal/metrics by `go test ./internal/metrics -update` -->\n"
	readmeEnd   = "<!-- end of figures -->\n"
)

// dashboard/README.md lists exactly the catalogue's figures: the section between the markers is
// generated from it (go test ./internal/metrics -update rewrites it).
func TestREADMEListsTheCatalogue(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	before, rest, ok := strings.Cut(doc, readmeBegin)
	section, after, ok2 := strings.Cut(rest, readmeEnd)
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", readmePath, readmeBegin, readmeEnd)
	}
	want := readmeTable()
	if section == want {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(before+readmeBegin+want+readmeEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s does not list the catalogue; run go test ./internal/metrics -update, or put there:\n%s", readmePath, want)
}
