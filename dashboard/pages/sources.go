package pages

import (
	"fmt"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
)

// sourceNote is one line of a figure's "source and definition" note: which source wrote the
// rows the figure is computed from, how many, from which table, and when they were fetched.
type sourceNote struct {
	Text string
}

// demoSource is the source label the demo data carries (internal/demo).
const demoSource = "demo"

// cite says that f's "source and definition" note names the sources of these datasets' rows over
// span s. Nothing is read yet: the page reads what all its figures cite at once (citeSources), so
// a page's provenance is one query however many figures it has.
func (f *figure) cite(s days.Span, sets ...datasetKeys) {
	for _, set := range sets {
		f.cites = append(f.cites, query.ProvenanceSet{Dataset: set.d, Keys: set.keys, Span: s})
	}
}

// citeSources reads the sources every figure of a page cites, in one query
// (query.Queries.ProvenanceOf, which reads a set cited twice once), and words each figure's notes.
func (p *Pages) citeSources(r *request, figs []*figure) error {
	var sets []query.ProvenanceSet
	for _, f := range figs {
		sets = append(sets, f.cites...)
	}
	if len(sets) == 0 {
		return nil
	}
	uses, err := p.queries.ProvenanceOf(r.ctx, sets, r.loc)
	if err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	for _, f := range figs {
		for _, c := range f.cites {
			f.Sources = append(f.Sources, sourceNotes(r, c.Dataset, uses[0])...)
			uses = uses[1:]
		}
	}
	return nil
}

// sourceNotes words one dataset's provenance.
func sourceNotes(r *request, d query.Dataset, uses []query.SourceUse) []sourceNote {
	l := r.lang
	if len(uses) == 0 {
		return []sourceNote{{Text: l.T("source.none", string(d))}}
	}
	var out []sourceNote
	for _, u := range uses {
		var text string
		fetched := kit.DateTime(l, u.Fetched, r.loc)
		rows := l.T("source.rows", l.Count(u.Rows), string(d))
		if u.Rows == 1 {
			rows = l.T("source.row", string(d))
		}
		switch {
		case u.Source == demoSource:
			text = l.T("source.demo", rows, fetched)
		case u.Source == "":
			text = l.T("source.unknown", rows, fetched)
		case u.LastOK != nil:
			text = l.T("source.collected", u.Source, rows, fetched, kit.DateTime(l, *u.LastOK, r.loc))
		default:
			text = l.T("source.written", u.Source, rows, fetched)
		}
		out = append(out, sourceNote{Text: text})
	}
	return out
}

type datasetKeys struct {
	d    query.Dataset
	keys []string
}
