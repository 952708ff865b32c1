// Package instagram collects one Instagram professional account's followers and reach from the
// Graph API (Instagram API with Facebook Login): followers_count measured on every run, each day's
// follows and unfollows, reach per day and Meta's own reach for months where Meta gives it. Instagram
// keeps no follower totals for past days, so earlier days' totals are worked back from a measured
// count through the days' follows and unfollows. See README.md for what it cannot give.
package instagram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/meta"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	metricReach   = "reach"
	metricFollows = "follows_and_unfollows"
	// seriesDays is the longest span of one reach series request: Instagram serves at most 30
	// days, and a day less keeps clear of the hour that summer time adds.
	seriesDays = 29
	// finalAfterDays: Instagram's figures can be up to 48 hours late; a day this old is final.
	finalAfterDays = 3
	// stateName keeps the follower counts measured on each day; keepDays bounds how far back.
	stateName = "followers"
	keepDays  = 400
	periodDay = "day"
	// movementDays is how far back Instagram keeps follows_and_unfollows: about 30 days (the
	// account insights' time-range limit; older days answer empty). Older days are not asked: a
	// backfill of years would otherwise send a request per day for nothing.
	movementDays = 30
	// igRangeDays is Instagram's documented longest since..until span of one insights request.
	igRangeDays = 30
	// cacheFor is how long an answer that may still change stands within a run: the steps of a
	// backfill follow each other within minutes, scheduled runs come hours apart.
	cacheFor = time.Hour
)

// Kind registers the source type "instagram".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "instagram",
		Description:  "Instagram professional account (Graph API): followers every day with follows and unfollows, reach per day and month",
		New:          New,
		Interval:     6 * time.Hour, // the daily snapshot needs at least one run a day
		LookbackDays: 3,             // Instagram's figures can be 48 hours late
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	// IGUserID is the Instagram professional account's id (GET /{page-id}?fields=instagram_business_account).
	IGUserID string `yaml:"ig_user_id"`
	// Account is what the figures are stored under as account_id (e.g. "innomed"); default IGUserID.
	Account string `yaml:"account"`
	// AccessToken is a long-lived Page (or user) access token of the Page the account is linked
	// to, with instagram_basic, instagram_manage_insights and pages_read_engagement.
	AccessToken config.Secret `yaml:"access_token"`
	// AppToken (APP_ID|APP_SECRET) lets the app inspect the token's expiry; optional.
	AppToken config.Secret `yaml:"app_token"`
	// APIVersion is the Graph API version (default v25.0).
	APIVersion string `yaml:"api_version"`
	// BaseURL is the Graph API host (default https://graph.facebook.com).
	BaseURL string `yaml:"base_url"`
}

// collector fetches one Instagram account's figures.
type collector struct {
	igUserID string
	account  string
	meta     *meta.Client
	loc      *time.Location
	now      func() time.Time
	state    collectors.StateDir

	mu sync.Mutex
	// movements holds the follows and unfollows already asked for, so the steps of one backfill
	// do not ask for the same days again: days old enough not to change for good, others (and
	// days Instagram had nothing for) for cacheFor. It grows by a day per day.
	movements map[time.Time]movement
	// count is the last followers_count asked for.
	count measuredCount
	// reach holds the daily reach asked for, reachAsked when each day was asked (see collectReach).
	reach      map[time.Time]uint64
	reachAsked map[time.Time]time.Time
}

// movement is a day's follows and unfollows; known is false when Instagram reported nothing.
type movement struct {
	follows, unfollows uint64
	known              bool
	fetched            time.Time
}

// measuredCount is a followers_count answer: the count, the day it was measured on, and when.
type measuredCount struct {
	at, fetched time.Time
	n           uint64
}

// savedState is the state file: the follower count measured on each day (the day's last run wins).
type savedState struct {
	IGUserID  string            `json:"ig_user_id"`
	Followers map[string]uint64 `json:"followers"`
}

var _ collectors.Collector = (*collector)(nil)

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options.
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("instagram: %w", err)
	}
	var err error
	set.IGUserID, set.Account, err = meta.Account("instagram", "ig_user_id",
		"the account's numeric id (GET /{page-id}?fields=instagram_business_account)", set.IGUserID, set.Account)
	if err != nil {
		return nil, err
	}
	tokenEnv := collectors.SecretEnvName(s.ID, "access_token")
	if !set.AccessToken.IsSet() {
		return nil, fmt.Errorf("instagram: settings: access_token is required: a long-lived access token of the Page linked to the account, with instagram_basic and instagram_manage_insights, given as {env: NAME}, {file: PATH} or through %s", tokenEnv)
	}
	client, err := meta.NewClient(meta.Config{
		Source: "instagram", BaseURL: set.BaseURL, APIVersion: set.APIVersion,
		Token: set.AccessToken, AppToken: set.AppToken,
		TokenHint:   "access_token (or " + tokenEnv + ")",
		TokenKind:   "long-lived access token of the Page linked to the Instagram account (Graph API Explorer: a long-lived user token, then GET /me/accounts)",
		Permissions: "instagram_basic, instagram_manage_insights and pages_read_engagement",
		Now:         s.Clock(), Log: s.Logger(), HTTP: tune, MaxRangeDays: igRangeDays,
	})
	if err != nil {
		return nil, fmt.Errorf("instagram: %w", err)
	}
	return &collector{igUserID: set.IGUserID, account: set.Account, meta: client, loc: s.Zone(), now: s.Clock(),
		state: s.State, movements: map[time.Time]movement{},
		reach: map[time.Time]uint64{}, reachAsked: map[time.Time]time.Time{}}, nil
}

// Collect measures today's follower count (kept in the state dir and added as today's row when the
// window reaches today), adds each earlier day of the window, and the day before it, with its
// follows, unfollows and a follower total worked back from the nearest later measured count, the
// days' reach, and the reach of every period that ends in the window before today where Instagram
// gives it. Each family is fetched on its own (collectors.RunFamilies): one that fails is named in
// a note and the others are stored.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	today := days.Of(c.now(), c.loc)
	measured := c.loadMeasured(sink)
	last := days.Earlier(window.To, today.AddDate(0, 0, -1))
	defer c.meta.NoteRetries(sink)
	return collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "token expiry (/debug_token)", Run: func(ctx context.Context) error {
			return c.meta.CheckToken(ctx, sink)
		}},
		collectors.Family{Name: "followers today (followers_count)", Run: func(ctx context.Context) error {
			count, err := c.followersCount(ctx, today)
			if err != nil {
				return err
			}
			measured[today] = count
			c.saveMeasured(measured, today, sink)
			if !today.Before(window.From) && !today.After(window.To) {
				// Today's follows are not final, so today's row carries none; later runs replace it.
				sink.Add(figures.FollowersDay{Platform: figures.PlatformInstagram, AccountID: c.account, Date: today, Followers: count})
			}
			return nil
		}},
		collectors.Family{Name: "followers and follows/unfollows per day (follows_and_unfollows)", Run: func(ctx context.Context) error {
			// The day before the window too: a period starting on the window's first day starts
			// from its count.
			past := days.Range{From: window.From.AddDate(0, 0, -1), To: last}
			if past.To.Before(past.From) {
				return nil
			}
			return c.collectFollowers(ctx, past, measured, today, sink)
		}},
		collectors.Family{Name: "reach per day", Run: func(ctx context.Context) error {
			if last.Before(window.From) {
				return nil
			}
			return c.collectReach(ctx, days.Range{From: window.From, To: last}, today, sink)
		}},
		collectors.Family{Name: "reach per month", Run: func(ctx context.Context) error {
			var errs meta.Errors
			for _, p := range days.CompletePeriods(window) {
				// Fetched once ended, by every window holding its last day (Meta revises for two
				// days); a running period is not stored, since its figure would stand for the whole
				// period.
				if p.End.Before(window.From) || p.End.After(window.To) || !p.End.Before(today) {
					continue
				}
				if errs.Add(c.collectPeriod(ctx, p, sink)) {
					break
				}
			}
			return errs.Err()
		}},
	)
}

// followersCount is the account's followers_count, asked once per run: the steps of a backfill
// within cacheFor of each other on the same day share one answer.
func (c *collector) followersCount(ctx context.Context, today time.Time) (uint64, error) {
	c.mu.Lock()
	if c.count.at.Equal(today) && c.now().Sub(c.count.fetched) < cacheFor {
		n := c.count.n
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	var user struct {
		ID             string  `json:"id"`
		FollowersCount *uint64 `json:"followers_count"`
	}
	what := "account " + c.igUserID + " followers_count"
	if err := c.meta.Fields(ctx, c.igUserID, []string{"followers_count"}, &user, what); err != nil {
		return 0, err
	}
	if user.FollowersCount == nil {
		return 0, fmt.Errorf("instagram: %s: the answer has no followers_count; is ig_user_id an Instagram professional account linked to the token's Page?", what)
	}
	c.mu.Lock()
	c.count = measuredCount{at: today, n: *user.FollowersCount, fetched: c.now()}
	c.mu.Unlock()
	return *user.FollowersCount, nil
}

// collectFollowers adds the days of past that Instagram reports follows and unfollows for. A day's
// total is the count measured on it, or else the next day's total less the next day's follows plus
// its unfollows, worked down from the first measured day on or after past.To. Where a day's
// movements are unknown the chain breaks, and days below it without a measured count are not
// written: they keep what was stored, or stay gaps.
func (c *collector) collectFollowers(ctx context.Context, past days.Range, measured map[time.Time]uint64, today time.Time, sink *collectors.Sink) error {
	var anchors []time.Time
	for d := range measured {
		if !d.Before(past.To) {
			anchors = append(anchors, d)
		}
	}
	if len(anchors) == 0 {
		sink.Note("instagram: account %s: no follower count was measured on or after %s, so no follower totals are written for %s",
			c.igUserID, days.Format(past.To), past)
		return nil
	}
	var unknown, broken []string
	var odds []error
	var total uint64
	known := false
	horizon := movementHorizon(today)
	if past.From.Before(horizon) {
		beyond := days.Range{From: past.From, To: days.Earlier(past.To, horizon.AddDate(0, 0, -1))}
		sink.Note("instagram: account %s: Instagram keeps follows and unfollows for the last %d days only, so none are asked for %s; those days keep the follower count measured by the run on each day, or stay gaps",
			c.igUserID, movementDays, beyond)
		if past.To.Before(horizon) {
			return nil
		}
	}
	for d := slices.MinFunc(anchors, func(a, b time.Time) int { return a.Compare(b) }); !d.Before(past.From) && !d.Before(horizon); d = d.AddDate(0, 0, -1) {
		if n, ok := measured[d]; ok {
			total, known = n, true
		}
		inPast := !d.After(past.To)
		if !known {
			if inPast {
				broken = append(broken, days.Format(d))
			}
			continue
		}
		mv, err := c.movement(ctx, d, today)
		var odd *oddAnswer
		isOdd := errors.As(err, &odd)
		if isOdd {
			// An answer of a shape that cannot be read costs only its day: the chain breaks there
			// as for a day without data, and days below it with a measured count are still written.
			odds = append(odds, err)
			mv = movement{}
		} else if err != nil {
			return errors.Join(append(odds, err)...)
		}
		if inPast {
			if mv.known {
				follows, unfollows := mv.follows, mv.unfollows
				sink.Add(figures.FollowersDay{Platform: figures.PlatformInstagram, AccountID: c.account, Date: d,
					Followers: total, Follows: &follows, Unfollows: &unfollows})
			} else if d.Before(today.AddDate(0, 0, -finalAfterDays+1)) && !isOdd {
				unknown = append(unknown, days.Format(d))
			}
		}
		if !mv.known {
			known = false
			continue
		}
		before := int64(total) - int64(mv.follows) + int64(mv.unfollows)
		if before < 0 {
			sink.Note("instagram: account %s: follows and unfollows of %s do not fit the follower count (it would fall below zero); earlier days are not worked out from it",
				c.igUserID, days.Format(d))
			known = false
			continue
		}
		total = uint64(before)
	}
	if len(unknown) > 0 {
		sink.Note("instagram: account %s: Instagram reported no follows and unfollows for %s; those days keep what was stored before (the day's snapshot, or a gap)",
			c.igUserID, meta.Summarise(unknown))
	}
	if len(broken) > 0 {
		slices.Reverse(broken)
		sink.Note("instagram: account %s: no follower total can be worked out for %s (no count measured then, and the days after lack follows and unfollows); if Instagram's figures were merely late, backfill these days again in two days",
			c.igUserID, meta.Summarise(broken))
	}
	if len(odds) > 0 {
		return collectors.Partly(errors.Join(odds...))
	}
	return nil
}

// oddAnswer is a well-formed answer whose content cannot be read as the figure asked for.
type oddAnswer struct{ err error }

func (e *oddAnswer) Error() string { return e.err.Error() }
func (e *oddAnswer) Unwrap() error { return e.err }

// movement returns day d's follows and unfollows (follows_and_unfollows by follow_type). A day
// older than Instagram keeps them is not asked and comes back unknown.
func (c *collector) movement(ctx context.Context, d, today time.Time) (movement, error) {
	if d.Before(movementHorizon(today)) {
		return movement{}, nil
	}
	final := d.Before(today.AddDate(0, 0, -finalAfterDays+1))
	c.mu.Lock()
	mv, ok := c.movements[d]
	c.mu.Unlock()
	if ok && ((final && mv.known) || c.now().Sub(mv.fetched) < cacheFor) {
		return mv, nil
	}
	what := fmt.Sprintf("account %s follows and unfollows %s", c.igUserID, days.Format(d))
	got, err := c.meta.Insights(ctx, c.igUserID, meta.Query{
		Metrics: []string{metricFollows}, Period: periodDay, MetricType: "total_value", Breakdown: "follow_type",
		Since: c.meta.DayStart(d), Until: c.meta.DayStart(d.AddDate(0, 0, 1)),
	}, what)
	if err != nil {
		return movement{}, err
	}
	mv, err = readMovement(got[metricFollows])
	if err != nil {
		return movement{}, &oddAnswer{fmt.Errorf("instagram: %s: the answer cannot be read (%w); the day is left out", what, err)}
	}
	// An empty answer, or a day that may still change, stands only for cacheFor: Instagram may
	// still deliver or revise it, and a later run must ask again.
	mv.fetched = c.now()
	c.mu.Lock()
	c.movements[d] = mv
	c.mu.Unlock()
	return mv, nil
}

// movementHorizon is the first day Instagram still has follows and unfollows for.
func movementHorizon(today time.Time) time.Time { return today.AddDate(0, 0, -movementDays+1) }

// readMovement splits follows_and_unfollows into follows (FOLLOWER) and unfollows (NON_FOLLOWER).
// A metric left out, or a total that cannot be split, is unknown; a type left out of a present
// breakdown is zero.
func readMovement(m meta.Metric) (movement, error) {
	tv := m.TotalValue
	if tv == nil {
		return movement{}, nil
	}
	for _, b := range tv.Breakdowns {
		if !slices.Equal(b.DimensionKeys, []string{"follow_type"}) {
			continue
		}
		mv := movement{known: true}
		for _, r := range b.Results {
			if len(r.DimensionValues) != 1 {
				return movement{}, fmt.Errorf("a follow_type result has %d dimension values", len(r.DimensionValues))
			}
			n, err := meta.Count(r.Value)
			if err != nil {
				return movement{}, fmt.Errorf("%s: %w", r.DimensionValues[0], err)
			}
			switch r.DimensionValues[0] {
			case "FOLLOWER":
				mv.follows += n
			case "NON_FOLLOWER":
				mv.unfollows += n
			}
		}
		return mv, nil
	}
	// Without a breakdown only a zero total can be split.
	if len(tv.Value) > 0 {
		if n, err := meta.Count(tv.Value); err == nil && n == 0 {
			return movement{known: true}, nil
		}
	}
	return movement{}, nil
}

// collectReach adds each day's reach in r (a time series; days Instagram leaves out get no row).
// A backfill goes a month per step, but Instagram serves seriesDays per request: each request
// reaches on past the days still needed (up to yesterday), and the days it brought stand for the
// steps that follow within cacheFor, so every day is asked once.
func (c *collector) collectReach(ctx context.Context, r days.Range, today time.Time, sink *collectors.Sink) error {
	// A span that fails, or a value that is not a count, costs only its own days: the other spans
	// are still asked for and every day read is stored (the run is partial). Only a failure that
	// ends the run (throttled, token refused) stops asking.
	var errs meta.Errors
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		c.mu.Lock()
		at, asked := c.reachAsked[d]
		c.mu.Unlock()
		if asked && c.now().Sub(at) < cacheFor && !c.now().Before(at) {
			continue
		}
		// r ends before today, so the span holds d.
		span := days.Range{From: d, To: days.Earlier(d.AddDate(0, 0, seriesDays-1), today.AddDate(0, 0, -1))}
		d = span.To
		what := fmt.Sprintf("account %s reach %s", c.igUserID, span)
		got, err := c.meta.Insights(ctx, c.igUserID, meta.Query{
			Metrics: []string{metricReach}, Period: periodDay, MetricType: "time_series",
			Since: c.meta.DayStart(span.From), Until: c.meta.DayStart(span.To.AddDate(0, 0, 1)),
		}, what)
		if err != nil {
			if errs.Add(err) || ctx.Err() != nil {
				break
			}
			continue
		}
		daily, err := c.meta.Daily(got[metricReach])
		if err != nil {
			errs.Add(fmt.Errorf("instagram: %s: %w", what, err))
		}
		now := c.now()
		c.mu.Lock()
		span.Each(func(day time.Time) {
			c.reachAsked[day] = now
			if v, ok := daily[day]; ok {
				c.reach[day] = v
			} else {
				delete(c.reach, day)
			}
		})
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	stored := 0
	r.Each(func(d time.Time) {
		if reach, ok := c.reach[d]; ok {
			sink.Add(figures.Reach{Platform: figures.PlatformInstagram, AccountID: c.account, Period: periodDay,
				PeriodStart: d, PeriodEnd: d, Reach: reach})
			stored++
		}
	})
	if err := errs.Err(); err != nil && stored > 0 {
		return collectors.Partly(err)
	}
	return errs.Err()
}

// collectPeriod adds Instagram's reach over a whole period, or notes why there is none.
func (c *collector) collectPeriod(ctx context.Context, p days.Period, sink *collectors.Sink) error {
	span := days.Range{From: p.Start, To: p.End}
	what := fmt.Sprintf("account %s %s reach %s", c.igUserID, p.Kind, span)
	since, until := c.meta.DayStart(p.Start), c.meta.DayStart(p.End.AddDate(0, 0, 1))
	if ok, why := c.meta.Serves(since, until); !ok {
		sink.Note("instagram: %s reach of %s is not stored (not asked): %s; reach counts people once, so it is never summed from shorter periods",
			p.Kind, span, why)
		return nil
	}
	got, err := c.meta.Insights(ctx, c.igUserID, meta.Query{
		Metrics: []string{metricReach}, Period: periodDay, MetricType: "total_value",
		Since: since, Until: until,
	}, what)
	var rangeErr *meta.RangeError
	if errors.As(err, &rangeErr) {
		sink.Note("instagram: %s reach of %s is not stored: %s; reach counts people once, so it is never summed from shorter periods",
			p.Kind, span, rangeErr.Said)
		return nil
	}
	if err != nil {
		return err
	}
	m, ok := got[metricReach]
	if !ok || m.TotalValue == nil || len(m.TotalValue.Value) == 0 {
		sink.Note("instagram: Instagram reported no %s reach for %s; nothing is stored for it", p.Kind, span)
		return nil
	}
	reach, err := meta.Count(m.TotalValue.Value)
	if err != nil {
		return fmt.Errorf("instagram: %s: %w", what, err)
	}
	sink.Add(figures.Reach{Platform: figures.PlatformInstagram, AccountID: c.account, Period: p.Kind,
		PeriodStart: p.Start, PeriodEnd: p.End, Reach: reach})
	return nil
}

// loadMeasured reads the counts measured by earlier runs of this account.
func (c *collector) loadMeasured(sink *collectors.Sink) map[time.Time]uint64 {
	out := map[time.Time]uint64{}
	var st savedState
	ok, err := c.state.Load(stateName, &st)
	if err != nil {
		sink.Note("instagram: %v; follower counts measured by earlier runs are not used this time", err)
		return out
	}
	if !ok || st.IGUserID != c.igUserID {
		return out
	}
	for k, v := range st.Followers {
		if d, err := days.Parse(k); err == nil {
			out[d] = v
		}
	}
	return out
}

// saveMeasured keeps the measured counts of the last keepDays days.
func (c *collector) saveMeasured(measured map[time.Time]uint64, today time.Time, sink *collectors.Sink) {
	st := savedState{IGUserID: c.igUserID, Followers: map[string]uint64{}}
	oldest := today.AddDate(0, 0, -keepDays)
	for d, n := range measured {
		if d.After(oldest) {
			st.Followers[days.Format(d)] = n
		}
	}
	if err := c.state.Save(stateName, st); err != nil {
		sink.Note("instagram: follower counts cannot be kept between runs (%v): past days' totals are worked back from today's count instead of the counts measured on those days; set state_dir", err)
	}
}
