package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Lease is one process's claim to run a source, as stored in collector_leases.
type Lease struct {
	Source string
	// Owner identifies the claiming process: host:pid:instance.
	Owner string
	Host  string
	PID   uint32
	// Since is when the owner first claimed the source.
	Since time.Time
	// ExpiresAt is by the ClickHouse server's clock.
	ExpiresAt time.Time
}

// Claimant is the process that claims a source.
type Claimant struct {
	Owner string
	Host  string
	PID   uint32
	Since time.Time
}

// ClaimLease tries to make c the one process that runs source for the next ttl. It returns held
// when c holds the lease, else the live lease of the process that does. Stale lists the claims of
// other owners that expired without being released — processes that died — so the caller can
// close what they left open (and release them, so they are reported once).
//
// ClickHouse has no transactions, so a claim is insert, then check: c keeps its claim only when,
// once it is stored, c sees no live claim of another owner. One that sees none can never be
// overtaken, because any later claimant's check sees it; two that claim at the same moment see
// each other and both withdraw, then try again after a random pause (a few times). A holder keeps
// its lease by renewing it before it expires (RenewLease), and never checks for rivals, so a
// newcomer's claim that is withdrawn at once disturbs nobody. Expiry compares the server's own
// now(), so the hosts' clocks never meet. On a cluster the same statements need insert_quorum and
// select_sequential_consistency (integer settings) so the check reads every replica's claims: the
// protocol itself is unchanged.
func (s *Store) ClaimLease(ctx context.Context, source string, c Claimant, ttl time.Duration, version uint64) (held bool, holder Lease, stale []Lease, err error) {
	for attempt := 0; ; attempt++ {
		if err := s.writeLease(ctx, source, c, ttl, version); err != nil {
			return false, Lease{}, nil, err
		}
		live, stale, err := s.otherLeases(ctx, source, c.Owner)
		if err != nil {
			return false, Lease{}, nil, err
		}
		if len(live) == 0 {
			return true, Lease{}, stale, nil
		}
		// Another holds it, or claimed at the same moment: withdraw at once. A rival that was
		// there first keeps it; two newcomers both withdraw and try again after a random pause.
		version += 2
		if err := s.ReleaseLease(ctx, source, c, version-1); err != nil {
			return false, live[0], nil, err
		}
		if attempt == 2 || live[0].Since.Before(c.Since) {
			return false, live[0], nil, nil
		}
		timer := time.NewTimer(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, live[0], nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// RenewLease moves c's claim on source ttl ahead of the server's now. The caller still holds the
// lease only if the renewal was stored before its previous expiry — before less than ttl had
// passed since its last renewal (or claim) began: nobody can have claimed before then.
func (s *Store) RenewLease(ctx context.Context, source string, c Claimant, ttl time.Duration, version uint64) error {
	return s.writeLease(ctx, source, c, ttl, version)
}

// ReleaseLease ends c's claim on source at once, so another process may run it without waiting
// for the expiry.
func (s *Store) ReleaseLease(ctx context.Context, source string, c Claimant, version uint64) error {
	return s.writeLease(ctx, source, c, 0, version)
}

// LiveLeases lists the unexpired claims on source, oldest first.
func (s *Store) LiveLeases(ctx context.Context, source string) ([]Lease, error) {
	live, _, err := s.leases(ctx, source)
	return live, err
}

// leases lists source's claims that are live, and those that expired without being released.
func (s *Store) leases(ctx context.Context, source string) (live, stale []Lease, err error) {
	err = s.withRetry(ctx, "read leases of "+source, func(ctx context.Context) error {
		live, stale = nil, nil
		rows, err := s.conn.Query(ctx, `
SELECT owner, host, pid, since, expires_at, expires_at > now() FROM collector_leases FINAL
WHERE source = ? AND expires_at > toDateTime(0)
ORDER BY since, owner`, source)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			l := Lease{Source: source}
			var alive uint8
			if err := rows.Scan(&l.Owner, &l.Host, &l.PID, &l.Since, &l.ExpiresAt, &alive); err != nil {
				return err
			}
			if alive == 1 {
				live = append(live, l)
			} else {
				stale = append(stale, l)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read leases of %s: %w", source, err)
	}
	return live, stale, nil
}

func (s *Store) otherLeases(ctx context.Context, source, owner string) (live, stale []Lease, err error) {
	all, allStale, err := s.leases(ctx, source)
	others := func(ls []Lease) []Lease {
		var out []Lease
		for _, l := range ls {
			if l.Owner != owner {
				out = append(out, l)
			}
		}
		return out
	}
	return others(all), others(allStale), err
}

// writeLease stores c's claim with an expiry ttl after the server's now; ttl 0 releases it.
func (s *Store) writeLease(ctx context.Context, source string, c Claimant, ttl time.Duration, version uint64) error {
	expires := "now() + toUInt32(?)"
	seconds := uint32(ttl.Round(time.Second) / time.Second)
	if ttl <= 0 {
		expires, seconds = "toDateTime(toUInt32(?))", 0
	}
	query := `INSERT INTO collector_leases (source, owner, host, pid, since, expires_at, version)
SELECT ?, ?, ?, toUInt32(?), toDateTime(toUInt32(?)), ` + expires + `, toUInt64(?)`
	err := s.withRetry(ctx, "write lease of "+source, func(ctx context.Context) error {
		return s.conn.Exec(ctx, query, source, c.Owner, c.Host, c.PID, uint32(c.Since.Unix()), seconds, version)
	})
	if err != nil {
		return fmt.Errorf("write lease of %s: %w", source, err)
	}
	return nil
}

// Retry runs op under the store's retry policy: for reads and statements whose repetition does no
// harm. op gets a context that carries ctx's values but never ends (see Insert).
func (s *Store) Retry(ctx context.Context, what string, op func(context.Context) error) error {
	return s.withRetry(ctx, what, op)
}
