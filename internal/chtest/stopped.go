package chtest

import (
	"context"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/store"
)

// StoppedOn is the last day Facebook and the newsletter list deliver in OpenStopped.
func StoppedOn() time.Time { return time.Date(2023, time.May, 20, 0, 0, 0, 0, time.UTC) }

// OpenStopped is Open filled with daily levels from 1 January 2022 for the tests of a source that
// stops delivering: Facebook followers 1000 + n and the newsletter list's subscribers 2000 + n up
// to StoppedOn (mid-2023), LinkedIn followers 500 + n to the end of 2023 (n counts days from
// 1 January 2022). The dashboard and the reports test the same story on it.
func OpenStopped(t testing.TB) *store.Store {
	t.Helper()
	st := Open(t)
	stopped := StoppedOn()
	var followers, subscribers [][]any
	for d, n := time.Date(2022, time.January, 1, 0, 0, 0, 0, time.UTC), 0; d.Year() < 2024; d, n = d.AddDate(0, 0, 1), n+1 {
		if !d.After(stopped) {
			followers = append(followers, []any{"facebook", "fb", d, uint64(1000 + n), nil, nil, "test", uint64(1)})
			subscribers = append(subscribers, []any{"nl", d, uint64(2000 + n), uint64(0), uint64(0), "test", uint64(1)})
		}
		followers = append(followers, []any{"linkedin", "li", d, uint64(500 + n), nil, nil, "test", uint64(1)})
	}
	ctx := context.Background()
	if err := st.Insert(ctx, "social_followers_daily",
		[]string{"platform", "account_id", "date", "followers", "follows", "unfollows", "source", "version"}, followers); err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "newsletter_subscribers_daily",
		[]string{"list_id", "date", "subscribers", "unsubscribed", "cleaned", "source", "version"}, subscribers); err != nil {
		t.Fatal(err)
	}
	return st
}
