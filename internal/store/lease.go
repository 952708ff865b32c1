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
// when c holds the lease (a claim c already held is renewed), else the live lease of the process
// that does.
//
// ClickHouse has no transactions, so the claim is check, insert, check: c claims only when it
// sees no live claim of another owner, and keeps it only when, after its own claim is stored, it
// still sees none. Two claimants that both got past the first check see each other's claim in
// the second and both withdraw (and try again after a random pause, a few times); one that sees none after storing its own
// can never be overtaken, because any later claimant's second check sees it. Expiry compares the
// server's own now(), so the hosts' clocks never meet. On a cluster the same statements need
// insert_quorum and select_sequential_consistency (integer settings) so the second check reads
// every replica's claims: the protocol itself is unchanged.
func (s *Store) ClaimLease(ctx context.Context, source string, c Claimant, ttl time.Duration, version uint64) (held bool, holder Lease, err error) {
	for attempt := 0; ; attempt++ {
		others, err := s.otherLeases(ctx, source, c.Owner)
		if err != nil || len(others) > 0 {
			return false, first(others), err
		}
		if err := s.writeLease(ctx, source, c, ttl, version); err != nil {
			return false, Lease{}, err
		}
		if others, err = s.otherLeases(ctx, source, c.Owner); err != nil {
			return false, Lease{}, err
		}
		if len(others) == 0 {
			return true, Lease{}, nil
		}
		// Claimed at the same moment as another: both withdraw, and try again after a random
		// pause, so that one of them usually wins within a few rounds.
		version += 2
		if err := s.ReleaseLease(ctx, source, c, version-1); err != nil || attempt == 2 {
			return false, first(others), err
		}
		timer := time.NewTimer(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, first(others), ctx.Err()
		case <-timer.C:
		}
	}
}

// RenewLease moves c's claim on source ttl ahead of the server's now. The caller knows it still
// holds the lease while less than ttl has passed since its last renewal began: nobody can claim
// before then.
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
	var out []Lease
	err := s.withRetry(ctx, "read leases of "+source, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.conn.Query(ctx, `
SELECT owner, host, pid, since, expires_at FROM collector_leases FINAL
WHERE source = ? AND expires_at > now()
ORDER BY since, owner`, source)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			l := Lease{Source: source}
			if err := rows.Scan(&l.Owner, &l.Host, &l.PID, &l.Since, &l.ExpiresAt); err != nil {
				return err
			}
			out = append(out, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read leases of %s: %w", source, err)
	}
	return out, nil
}

func (s *Store) otherLeases(ctx context.Context, source, owner string) ([]Lease, error) {
	live, err := s.LiveLeases(ctx, source)
	others := live[:0]
	for _, l := range live {
		if l.Owner != owner {
			others = append(others, l)
		}
	}
	return others, err
}

func first(ls []Lease) Lease {
	if len(ls) == 0 {
		return Lease{}
	}
	return ls[0]
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
