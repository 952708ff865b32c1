package query_test

import (
	"slices"
	"testing"
	"time"
)

// The years a picker offers are the years that hold figures, not every year from the first to the
// last: 2019 and 2022 with nothing between offer those two, and a row at the date column's zero
// (1970) offers no year at all.
func TestDiscoverOffersExactlyTheYearsWithFigures(t *testing.T) {
	st, q, ctx, loc := fresh(t)

	d, err := q.Discover(ctx, "site", loc)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Extent.Empty || len(d.Extent.Years()) != 0 {
		t.Fatalf("an empty database offers years: %+v", d.Extent)
	}

	cols := []string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"}
	insert(t, st, "social_followers_daily", cols,
		[]any{"facebook", "a", day(2019, time.March, 4), uint64(10), nil, nil, "test", uint64(1)},
		[]any{"facebook", "a", day(2022, time.November, 30), uint64(20), nil, nil, "test", uint64(1)},
		[]any{"facebook", "a", time.Unix(0, 0).UTC(), uint64(1), nil, nil, "test", uint64(1)})
	d, err = q.Discover(ctx, "site", loc)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Extent.Years(); !slices.Equal(got, []int{2022, 2019}) {
		t.Errorf("years %v, want [2022 2019]", got)
	}
	if d.Extent.Empty || !d.Extent.First.Equal(day(2019, time.March, 4)) || !d.Extent.Last.Equal(day(2022, time.November, 30)) {
		t.Errorf("extent %+v, want 2019-03-04..2022-11-30", d.Extent)
	}
}
