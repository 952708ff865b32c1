package meta

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/innomed/rekkevidde/collectors"
)

// Errors gathers one run's errors, each once, so a metric refused in every chunk is reported once.
type Errors []error

// Add keeps err and reports whether the run must stop: Meta throttles or refuses the token, and
// further requests would only make that worse.
func (l *Errors) Add(err error) (stop bool) {
	if err == nil {
		return false
	}
	if !slices.ContainsFunc(*l, func(e error) bool { return e.Error() == err.Error() }) {
		*l = append(*l, err)
	}
	return errors.Is(err, collectors.ErrRateLimited) || errors.Is(err, collectors.ErrUnauthorized)
}

// Err joins the errors (nil when there are none); errors.Is and errors.As see through it.
func (l Errors) Err() error { return errors.Join(l...) }

// Summarise lists days briefly for a note: the first few and how many more.
func Summarise(list []string) string {
	const shown = 5
	if len(list) <= shown {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:shown], ", "), len(list)-shown)
}
