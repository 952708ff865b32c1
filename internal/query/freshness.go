package query

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/internal/days"
)

// Run statuses as the scheduler writes them to collector_runs.status (internal/scheduler).
const (
	RunRunning     = "running"
	RunOK          = "ok"
	RunPartial     = "partial"
	RunFailed      = "failed"
	RunThrottled   = "throttled"
	RunInterrupted = "interrupted"
)

// SourceRuns is what collector_runs says about one source.
type SourceRuns struct {
	Source string
	// LastStarted, LastStatus, LastError and LastRows describe the newest run (or backfill step).
	LastStarted time.Time
	LastStatus  string
	LastError   string
	LastRows    uint64
	// LastOK is when the newest run that succeeded (ok or partial) finished; nil when none has.
	LastOK *time.Time
	// DataThrough is the last day of the newest successful run's window: the source holds figures
	// up to that day. Nil when no run has succeeded.
	DataThrough *time.Time
}

// CredentialExpiry is when one of a source's credentials stops working (credentials table).
type CredentialExpiry struct {
	Source, Credential string
	// ExpiresAt and RefreshExpiresAt are nil when unknown or never.
	ExpiresAt        *time.Time
	RefreshExpiresAt *time.Time
	CheckedAt        time.Time
}

// Expiry is when the credential finally stops working without someone signing in again: the
// refresh token's expiry when there is one (the access token is renewed from it), else the access
// token's. Nil when neither is known.
func (c CredentialExpiry) Expiry() *time.Time {
	if c.RefreshExpiresAt != nil {
		return c.RefreshExpiresAt
	}
	return c.ExpiresAt
}

// Freshness is one source's health on the dashboard's freshness strip.
type Freshness struct {
	Source      string
	Runs        *SourceRuns // nil: the source has never run
	Credentials []CredentialExpiry
	State       SourceState
	// Reasons lists why State is not StateOK, as reason codes for the dashboard to translate.
	Reasons []string
	// LagDays is how many days the figures trail now: today minus DataThrough (0 when current);
	// nil when no run has succeeded.
	LagDays *int
	// FirstExpiry is the soonest Expiry of the source's credentials; nil when none is known.
	FirstExpiry *time.Time
}

// SourceState grades a source for the freshness strip.
type SourceState string

// Source states: broken sources are shown in red.
const (
	StateOK      SourceState = "ok"
	StateWarning SourceState = "warning"
	StateBroken  SourceState = "broken"
	StateRunning SourceState = "running"
	// StateDisabled is a source switched off in the configuration: not graded.
	StateDisabled SourceState = "disabled"
)

// Freshness thresholds. A daily source that has not produced figures for three days has stopped;
// two weeks is the warning time LinkedIn and Meta give before tokens end.
const (
	StaleAfterDays       = 3
	ExpiryWarningPeriod  = 14 * 24 * time.Hour
	ReasonNeverRun       = "never_run"
	ReasonLastRunFailed  = "last_run_failed"
	ReasonNeverSucceeded = "never_succeeded"
	ReasonStale          = "stale"
	ReasonPartial        = "partial"
	ReasonThrottled      = "throttled"
	ReasonExpired        = "credential_expired"
	ReasonExpiresSoon    = "credential_expires_soon"
)

// FreshnessOptions says which sources the configuration names and what time it is.
type FreshnessOptions struct {
	// Enabled are the configured sources on the schedule; one that never ran is broken.
	Enabled []string
	// Disabled are configured but switched off: shown, never graded.
	Disabled []string
	// Now is the current instant; Location decides "today" for the lag.
	Now      time.Time
	Location *time.Location
}

// SourceFreshness returns the health of the configured sources and of every other source that has
// runs or credentials on record, sorted by source id.
//
// A source is broken when it has never run, its newest run failed or was interrupted, no run has
// ever succeeded, its figures are StaleAfterDays or more behind, or a credential has expired. It
// is a warning when the newest run was partial or throttled (it resumes by itself) or a credential
// expires within ExpiryWarningPeriod.
func (q *Queries) SourceFreshness(ctx context.Context, o FreshnessOptions) ([]Freshness, error) {
	if o.Location == nil {
		return nil, fmt.Errorf("source freshness: nil time zone")
	}
	runs, err := q.sourceRuns(ctx)
	if err != nil {
		return nil, err
	}
	creds, err := q.credentialExpiries(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string]*Freshness{}
	get := func(src string) *Freshness {
		if f, ok := by[src]; ok {
			return f
		}
		f := &Freshness{Source: src}
		by[src] = f
		return f
	}
	for _, s := range o.Enabled {
		get(s)
	}
	disabled := map[string]bool{}
	for _, s := range o.Disabled {
		get(s)
		disabled[s] = true
	}
	for i := range runs {
		get(runs[i].Source).Runs = &runs[i]
	}
	for _, c := range creds {
		f := get(c.Source)
		f.Credentials = append(f.Credentials, c)
	}
	today := days.Of(o.Now, o.Location)
	out := make([]Freshness, 0, len(by))
	for src, f := range by {
		if disabled[src] {
			f.State = StateDisabled
		} else {
			f.grade(o.Now, today)
		}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

func (f *Freshness) grade(now, today time.Time) {
	broken, warn := false, false
	reason := func(code string, isBroken bool) {
		f.Reasons = append(f.Reasons, code)
		if isBroken {
			broken = true
		} else {
			warn = true
		}
	}
	running := false
	switch r := f.Runs; {
	case r == nil:
		reason(ReasonNeverRun, true)
	default:
		switch r.LastStatus {
		case RunFailed, RunInterrupted:
			reason(ReasonLastRunFailed, true)
		case RunPartial:
			reason(ReasonPartial, false)
		case RunThrottled:
			reason(ReasonThrottled, false)
		case RunRunning:
			running = true
		}
		if r.DataThrough == nil {
			if r.LastStatus != RunRunning {
				reason(ReasonNeverSucceeded, true)
			}
		} else {
			lag := int(today.Sub(*r.DataThrough).Hours() / 24)
			if lag < 0 {
				lag = 0
			}
			f.LagDays = &lag
			if lag >= StaleAfterDays {
				reason(ReasonStale, true)
			}
		}
	}
	for _, c := range f.Credentials {
		e := c.Expiry()
		if e == nil {
			continue
		}
		if f.FirstExpiry == nil || e.Before(*f.FirstExpiry) {
			t := *e
			f.FirstExpiry = &t
		}
	}
	if e := f.FirstExpiry; e != nil {
		switch {
		case !e.After(now):
			reason(ReasonExpired, true)
		case e.Sub(now) <= ExpiryWarningPeriod:
			reason(ReasonExpiresSoon, false)
		}
	}
	switch {
	case broken:
		f.State = StateBroken
	case running:
		f.State = StateRunning
	case warn:
		f.State = StateWarning
	default:
		f.State = StateOK
	}
}

// sourceRuns summarises collector_runs per source (newest version of every run).
func (q *Queries) sourceRuns(ctx context.Context) ([]SourceRuns, error) {
	rows, err := q.conn.Query(ctx, `
SELECT
    source,
    max(started_at) AS last_started,
    argMax(status, started_at) AS last_status,
    argMax(error, started_at) AS last_error,
    argMax(rows_written, started_at) AS last_rows,
    countIf(status IN ('ok', 'partial')) AS n_ok,
    maxIf(assumeNotNull(finished_at), status IN ('ok', 'partial') AND finished_at IS NOT NULL) AS last_ok,
    argMaxIf(window_to, assumeNotNull(finished_at), status IN ('ok', 'partial') AND finished_at IS NOT NULL) AS data_through
FROM collector_runs FINAL
GROUP BY source
ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("collector runs: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []SourceRuns
	for rows.Next() {
		var r SourceRuns
		var nOK uint64
		var lastOK, through time.Time
		if err := rows.Scan(&r.Source, &r.LastStarted, &r.LastStatus, &r.LastError, &r.LastRows, &nOK, &lastOK, &through); err != nil {
			return nil, fmt.Errorf("collector runs: %w", err)
		}
		r.LastStarted = r.LastStarted.UTC()
		if nOK > 0 {
			lastOK, through = lastOK.UTC(), days.Date(through.Date())
			r.LastOK, r.DataThrough = &lastOK, &through
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("collector runs: %w", err)
	}
	return out, nil
}

// credentialExpiries reads the newest expiry of every source's credentials.
func (q *Queries) credentialExpiries(ctx context.Context) ([]CredentialExpiry, error) {
	return collect(ctx, q.conn, "credentials", `
SELECT source, credential, expires_at, refresh_expires_at, checked_at
FROM credentials FINAL
ORDER BY source, credential`, nil,
		func(rows driver.Rows) (CredentialExpiry, error) {
			var c CredentialExpiry
			err := rows.Scan(&c.Source, &c.Credential, &c.ExpiresAt, &c.RefreshExpiresAt, &c.CheckedAt)
			c.CheckedAt = c.CheckedAt.UTC()
			for _, p := range []**time.Time{&c.ExpiresAt, &c.RefreshExpiresAt} {
				if *p != nil {
					u := (**p).UTC()
					*p = &u
				}
			}
			return c, err
		})
}
