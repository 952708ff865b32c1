package query_test

import (
	"testing"

	"github.com/innomed/rekkevidde/internal/query"
)

// New and returning are shares of new + returning: they add up to 100 % even when the provider
// counts a person who was both in both (30 + 90 > 100 visitors).
func TestNewAndReturningSharesAddUpTo100(t *testing.T) {
	pv := &query.PeriodVisitors{Visitors: u64(100), NewVisitors: u64(30), ReturningVisitors: u64(90)}
	n, r := pv.Shares()
	if n == nil || r == nil || *n != 0.25 || *r != 0.75 {
		t.Fatalf("shares %v %v, want 0.25 and 0.75", n, r)
	}
	for _, pv := range []*query.PeriodVisitors{nil, {Visitors: u64(100), NewVisitors: u64(30)}, {NewVisitors: u64(0), ReturningVisitors: u64(0)}} {
		if n, r := pv.Shares(); n != nil || r != nil {
			t.Errorf("shares of %+v: %v %v, want none", pv, n, r)
		}
	}
}
