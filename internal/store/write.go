package store

import (
	"context"
	"fmt"

	"github.com/innomed/rekkevidde/internal/figures"
)

// Write stores records, one INSERT per table, all under one version and source label. Within a
// table the batch is all or nothing; a failure part-way leaves earlier tables written, which is
// safe because every table replaces by key rather than adding.
func (s *Store) Write(ctx context.Context, source string, version uint64, records []figures.Record) error {
	type batch struct {
		columns []string
		rows    [][]any
	}
	var order []string
	batches := map[string]*batch{}
	for _, r := range records {
		b, ok := batches[r.Table()]
		if !ok {
			b = &batch{columns: append(r.Columns(), "source", "version")}
			batches[r.Table()] = b
			order = append(order, r.Table())
		}
		b.rows = append(b.rows, append(r.Values(), source, version))
	}
	for _, table := range order {
		b := batches[table]
		if err := s.insert(ctx, table, b.columns, b.rows); err != nil {
			return fmt.Errorf("write %s figures: %w", source, err)
		}
	}
	if len(order) == 0 {
		return nil
	}
	// One bump for the whole write: the tables were written together.
	return s.bumpVersion(ctx, order[0])
}
