package collectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Family is one independently fetched group of a source's figures: web sources have daily traffic,
// period uniques, new vs returning and top pages; social sources followers, follows and reach;
// newsletters audience and campaigns; events webinars, meetings, registrants and participants.
// One family failing must never cost the others their figures.
type Family struct {
	// Name is what an operator reads in the run's note ("top pages", "period unique visitors").
	Name string
	// Run fetches the family and adds its complete records to the run's sink.
	Run func(ctx context.Context) error
}

// FamilyError is a family that failed; the run's other families were still fetched and stored.
type FamilyError struct {
	Family string
	Err    error
}

func (e *FamilyError) Error() string { return e.Family + ": " + e.Err.Error() }
func (e *FamilyError) Unwrap() error { return e.Err }

// Partly wraps the error of a family that still stored figures, in a coarser form: Matomo's daily
// traffic by channel only when the device split was refused. The run is partial and the note says
// what the family lacks instead of "not stored".
func Partly(err error) error { return &partlyError{err: err} }

type partlyError struct{ err error }

func (e *partlyError) Error() string { return e.err.Error() }
func (e *partlyError) Unwrap() error { return e.err }

// RunFamilies runs families in the order given — core figures first, optional ones (top pages,
// titles, growth history) after — and keeps going past a failing one: its failure becomes a note
// naming the family and the provider's message, and the returned error (all failures joined) makes
// the run partial while every family that worked is stored. Only a failure after which every
// request would fail too (collectors.EndsRun: cancelled, credentials refused, rate limited) stops
// the remaining families; they are named in a note so nothing is skipped silently.
func RunFamilies(ctx context.Context, sink *Sink, families ...Family) error {
	return RunFamiliesUntil(ctx, sink, EndsRun, families...)
}

// RunFamiliesUntil is RunFamilies with the source's own test of a failure after which every
// request would fail too (GA4 adds server errors that outlasted the retries, since each counts
// against an hourly budget).
func RunFamiliesUntil(ctx context.Context, sink *Sink, stops func(context.Context, error) bool, families ...Family) error {
	var errs []error
	for i, f := range families {
		err := f.Run(ctx)
		if err == nil {
			continue
		}
		errs = append(errs, &FamilyError{Family: f.Name, Err: err})
		if stops(ctx, err) {
			if rest := names(families[i+1:]); rest != "" {
				sink.Note("not fetched in this run after %s failed: %s", f.Name, rest)
			}
			break
		}
		var partly *partlyError
		if errors.As(err, &partly) {
			sink.Note("%s stored in part: %s", f.Name, HideEmailAddresses(err.Error()))
			continue
		}
		sink.Note("%s not stored (the other figures were): %s", f.Name, HideEmailAddresses(err.Error()))
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	default:
		return fmt.Errorf("%d of %d figure families failed: %w", len(errs), len(families), errors.Join(errs...))
	}
}

func names(fs []Family) string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return strings.Join(out, ", ")
}
