package annotations

import (
	"errors"
	"testing"
	"time"
)

// A note's day is typed in the reader's notation (dd.mm.åååå in bokmål) or ISO: both are the
// same stored day; a day that does not exist is a problem with the date field alone.
func TestNoteDateNotations(t *testing.T) {
	in := Input{Scope: "innomed.no", Title: "Ny forside", Scopes: []string{"innomed.no", GlobalScope}}
	want := time.Date(2023, 2, 14, 0, 0, 0, 0, time.UTC)
	for _, typed := range []string{"14.02.2023", "14.2.2023", "2023-02-14", " 2023-02-14 "} {
		in.Date = typed
		n, err := in.Note("")
		if err != nil {
			t.Fatalf("%q: %v", typed, err)
		}
		if !n.Date.Equal(want) || n.Date.Location() != time.UTC {
			t.Errorf("%q is stored as %v, want %v", typed, n.Date, want)
		}
	}
	for _, typed := range []string{"31.02.2023", "02/14/2023", "14.02.23", "", "14.02.1999"} {
		in.Date = typed
		_, err := in.Note("")
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != FieldDate {
			t.Errorf("%q: want one problem with the date, got %v", typed, err)
		}
	}
}
