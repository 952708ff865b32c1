package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/store"
	"github.com/innomed/rekkevidde/schemas"
)

// Claimants racing for one source: never two hold it, and the holder is whom the others see.
func TestAtMostOneClaimantHoldsASource(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	stores := []*store.Store{st, chtest.OpenVia(t, st, chtest.Config(t).Addr)}
	for round := range 3 {
		source := fmt.Sprintf("src%d", round)
		var mu sync.Mutex
		var holders []string
		var seen []string
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := store.Claimant{Owner: fmt.Sprintf("h%d:%d:x", i, i), Host: fmt.Sprintf("h%d", i), PID: uint32(i), Since: time.Now()}
				held, holder, _, err := stores[i%2].ClaimLease(ctx, source, c, time.Minute, store.NewVersion())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if held {
					holders = append(holders, c.Owner)
				} else if holder.Owner != "" {
					seen = append(seen, holder.Owner)
				}
			}()
		}
		wg.Wait()
		if len(holders) > 1 {
			t.Fatalf("round %d: %d claimants hold the lease: %v", round, len(holders), holders)
		}
		live, err := st.LiveLeases(ctx, source)
		if err != nil {
			t.Fatal(err)
		}
		if len(holders) == 1 && (len(live) != 1 || live[0].Owner != holders[0]) {
			t.Fatalf("round %d: holder %s, live leases %+v", round, holders[0], live)
		}
		t.Logf("round %d: holder %v, others told of %v", round, holders, seen)
	}
}

// 18.16 has no ADD COLUMN IF NOT EXISTS: a migration that stopped after adding a column must still
// complete when run again.
func TestMigrationsRunAgainOverColumnsAlreadyAdded(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	if err := st.Exec(ctx, "TRUNCATE TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	migrations, err := store.LoadMigrations(schemas.Files)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := st.Migrate(ctx, migrations)
	if err != nil || len(applied) != len(migrations) {
		t.Fatalf("re-applied %v, err %v", applied, err)
	}
}
