package query

import (
	"context"
	"fmt"
	"math"
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
	// StaleAfterDays is the threshold the lag crossed, when it did (ReasonStale).
	StaleAfterDays int
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
	// Intervals are the configured sources' collection intervals (0 or absent: the type's
	// default), from which each source's stale threshold is taken (StaleAfter).
	Intervals map[string]time.Duration
}

// StaleAfter is how many days behind a source's figures (or a level's newest measurement) may be
// before the source counts as stopped: StaleAfterDays, or twice its collection interval when that
// is longer, so a weekly source is stale after 14 days, not 3. Every collector's default interval
// is at most 6 hours, so an interval of 0 gives StaleAfterDays.
func StaleAfter(interval time.Duration) int {
	if d := int(math.Ceil((2 * interval).Hours() / 24)); d > StaleAfterDays {
		return d
	}
	return StaleAfterDays
}

// SourceFreshness returns the health of the configured sources and of every other source that has
// runs or credentials on record, sorted by source id.
//
// A source is broken when it has never run, its newest run failed or was interrupted, no run has
// ever succeeded, its figures are StaleAfter(its interval) days or more behind, or a credential has expired. It
// is a warning when the newest run was partial or throttled (it resumes by itself) or a credential
// expires within ExpiryWarningPeriod.
func (q *Queries) SourceFreshness(ctx context.Context, o FreshnessOptions) ([]Freshness, error) {
	if o.Location == nil {
		return nil, fmt.Errorf("source freshness: nil time zone")
	}
	runs, creds, err := q.runsAndCredentials(ctx)
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
			f.grade(o.Now, today, StaleAfter(o.Intervals[src]))
		}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

func (f *Freshness) grade(now, today time.Time, staleAfter int) {
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
			if lag >= staleAfter {
				f.StaleAfterDays = staleAfter
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

// lastOKRuns is, per source, whether any run succeeded (n_ok > 0), when the newest success (ok or
// partial) finished and the last day of its window. It reads source_status (schemas/0009), one row
// per source once merged, which the scheduler folds every run row into: a success may be years
// old (a source that has failed since), and scanning collector_runs for it would read every run
// ever recorded on every page. The provenance notes and the freshness strip share this one
// definition of a source's last successful run.
const lastOKRuns = `
    SELECT source, toUInt64(maxMerge(any_ok)) AS n_ok, tupleElement(argMaxMerge(last_ok_run), 1) AS last_ok,
           tupleElement(argMaxMerge(last_ok_run), 2) AS data_through
    FROM source_status
    GROUP BY source`

// runsAndCredentials reads the freshness strip's two inputs in one query: per source its newest
// run and its last success (source_status: the greatest (started_at, version) of its run rows, as
// collector_runs FINAL and then the latest start give it), and the newest version of every
// credential's expiry. Its cost follows the number of sources, not of runs.
func (q *Queries) runsAndCredentials(ctx context.Context) ([]SourceRuns, []CredentialExpiry, error) {
	var runs []SourceRuns
	var creds []CredentialExpiry
	err := eachRow(ctx, q.conn, "collector runs and credentials", `
SELECT kind, source, credential, at, status, error, n, n_ok, last_ok, through, expires, refresh_expires FROM (
    SELECT 'run' AS kind, source, '' AS credential, tupleElement(newest, 1) AS at, tupleElement(newest, 4) AS status,
           tupleElement(newest, 5) AS error, tupleElement(newest, 6) AS n, n_ok, last_ok, data_through AS through,
           CAST(NULL AS Nullable(DateTime('UTC'))) AS expires, CAST(NULL AS Nullable(DateTime('UTC'))) AS refresh_expires
    FROM (
        SELECT source, argMaxMerge(newest_run) AS newest, toUInt64(maxMerge(any_ok)) AS n_ok,
               tupleElement(argMaxMerge(last_ok_run), 1) AS last_ok, tupleElement(argMaxMerge(last_ok_run), 2) AS data_through
        FROM source_status
        GROUP BY source
    )
    UNION ALL
    SELECT 'credential', source, credential, checked_at, '', '', toUInt64(0), toUInt64(0),
           toDateTime(0, 'UTC'), toDate(0), expires_at, refresh_expires_at
    FROM credentials FINAL
)
ORDER BY kind, source, credential`, nil,
		func(rows driver.Rows) error {
			var kind, source, credential, status, errText string
			var at, lastOK, through time.Time
			var n, nOK uint64
			var expires, refreshExpires *time.Time
			if err := rows.Scan(&kind, &source, &credential, &at, &status, &errText, &n, &nOK, &lastOK, &through,
				&expires, &refreshExpires); err != nil {
				return err
			}
			if kind == "credential" {
				c := CredentialExpiry{Source: source, Credential: credential, CheckedAt: at.UTC()}
				for dst, src := range map[**time.Time]*time.Time{&c.ExpiresAt: expires, &c.RefreshExpiresAt: refreshExpires} {
					if src != nil {
						u := src.UTC()
						*dst = &u
					}
				}
				creds = append(creds, c)
				return nil
			}
			r := SourceRuns{Source: source, LastStarted: at.UTC(), LastStatus: status, LastError: errText, LastRows: n}
			if nOK > 0 {
				lastOK, through = lastOK.UTC(), days.Date(through.Date())
				r.LastOK, r.DataThrough = &lastOK, &through
			}
			runs = append(runs, r)
			return nil
		})
	return runs, creds, err
}
