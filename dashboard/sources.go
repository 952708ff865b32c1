package dashboard

import (
	"fmt"

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

// sources describes where the rows of dataset d for keys over span s came from.
func (p *pages) sources(r *request, d query.Dataset, keys []string, s days.Span) ([]sourceNote, error) {
	return p.allSources(r, s, datasetKeys{d, keys})
}

// allSources is the notes of several datasets, read in one query (query.Queries.ProvenanceOf).
func (p *pages) allSources(r *request, s days.Span, sets ...datasetKeys) ([]sourceNote, error) {
	ps := make([]query.ProvenanceSet, len(sets))
	for i, set := range sets {
		ps[i] = query.ProvenanceSet{Dataset: set.d, Keys: set.keys}
	}
	uses, err := p.h.queries.ProvenanceOf(r.ctx, ps, s, r.loc)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	var out []sourceNote
	for i, set := range sets {
		out = append(out, sourceNotes(r, set.d, uses[i])...)
	}
	return out, nil
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
		fetched := dateTime(l, u.Fetched, r.loc)
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
			text = l.T("source.collected", u.Source, rows, fetched, dateTime(l, *u.LastOK, r.loc))
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
