package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// RetryPolicy bounds how a write is tried again after a transient fault: a connection closed or
// reset, a timeout, a server that refuses connections while it restarts. Rows are versioned and
// every table replaces by key, so writing the same rows twice never doubles a figure.
type RetryPolicy struct {
	// Attempts is how many times a write is tried in all (1: never retried).
	Attempts int
	// Wait is the first pause; each further pause doubles, up to MaxWait.
	Wait, MaxWait time.Duration
}

// DefaultRetryPolicy rides out about 45 s of trouble: a dropped connection is mended by the first
// retry, a restarting server (18.16 loads its tables for some seconds) by a later one.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Attempts: 8, Wait: 500 * time.Millisecond, MaxWait: 15 * time.Second}
}

// SetRetryPolicy replaces the policy for writes (default DefaultRetryPolicy). Set it before the
// store is used concurrently; tests shorten the pauses.
func (s *Store) SetRetryPolicy(p RetryPolicy) {
	p.Attempts = max(p.Attempts, 1)
	s.retry = p
}

// RetryCount counts the retries made on behalf of one run, so the run can report them.
type RetryCount struct{ n atomic.Int64 }

// N is the number of retries counted so far.
func (c *RetryCount) N() int { return int(c.n.Load()) }

type retryCountKey struct{}

// CountRetries returns a context under which every retried write of this store adds to the
// returned count.
func CountRetries(ctx context.Context) (context.Context, *RetryCount) {
	c := &RetryCount{}
	return context.WithValue(ctx, retryCountKey{}, c), c
}

// Transient tells whether err is a fault that may pass by itself, so the same write is worth
// trying again: the connection was closed, reset or refused, a read or dial timed out, no pooled
// connection came free in time, or the server answered with an error that says "later" (too many
// queries or parts, out of memory, a replica without ZooKeeper). A refused statement (a syntax or
// type error, a missing table) and the caller's own cancellation are not transient.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case 32, // ATTEMPT_TO_READ_AFTER_EOF: on a cluster, a shard's server died under a Distributed insert
			159, // TIMEOUT_EXCEEDED
			202, // TOO_MANY_SIMULTANEOUS_QUERIES
			209, // SOCKET_TIMEOUT
			210, // NETWORK_ERROR
			225, // NO_ZOOKEEPER
			241, // MEMORY_LIMIT_EXCEEDED
			242, // TABLE_IS_READ_ONLY (a replica that lost ZooKeeper)
			252, // TOO_MANY_PARTS
			319, // UNKNOWN_STATUS_OF_INSERT
			999: // KEEPER_EXCEPTION
			return true
		}
		return false
	}
	var netErr net.Error
	switch {
	case errors.Is(err, clickhouse.ErrAcquireConnTimeout), errors.Is(err, clickhouse.ErrConnectionClosed),
		errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// withRetry runs op until it succeeds, fails for good, or the policy's attempts are spent. The
// caller's cancellation is honoured between attempts, never inside one: see Insert.
func (s *Store) withRetry(ctx context.Context, what string, op func(context.Context) error) error {
	p := s.retry
	wait := p.Wait
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		err := op(context.WithoutCancel(ctx))
		if err == nil {
			return nil
		}
		if !Transient(err) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		if c, ok := ctx.Value(retryCountKey{}).(*RetryCount); ok {
			c.n.Add(1)
		}
		pause := wait + rand.N(wait/4+1)
		s.log.Warn("ClickHouse write failed, trying again", "what", what, "attempt", attempt, "wait", pause.Round(time.Millisecond), "err", err)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (not retried: %w)", err, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, p.MaxWait)
	}
}

// RetryCountOf returns the count CountRetries put in ctx, or nil.
func RetryCountOf(ctx context.Context) *RetryCount {
	c, _ := ctx.Value(retryCountKey{}).(*RetryCount)
	return c
}
