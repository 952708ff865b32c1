// Package facebook collects one Facebook Page's followers and reach from the Graph API: a snapshot
// of followers_count on every run, each day's follower total, new follows and unfollows and reach
// from Page Insights (which also backfill the past), and Meta's own reach for whole months and
// quarters where Meta gives it. See README.md for what it cannot give.
package facebook

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/collectors/meta"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

const (
	// DefaultReachMetric is Meta's reach metric since the page_impressions* metrics were withdrawn.
	DefaultReachMetric = "page_total_media_view_unique"
	metricFollowers    = "page_follows"
	metricFollows      = "page_daily_follows_unique"
	metricUnfollows    = "page_daily_unfollows_unique"
	// seriesDays is the longest span of one day-series request: Meta serves at most 90 days, and
	// a day less keeps clear of the hour that summer time adds.
	seriesDays = 89
	// pageRangeDays is Meta's documented limit of one Page Insights request: 90 days.
	pageRangeDays = 90
	periodDay     = "day"
)

var metricName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Kind registers the source type "facebook".
func Kind() collectors.Kind {
	return collectors.Kind{
		Name:         "facebook",
		Description:  "Facebook Page (Graph API): followers every day with new follows and unfollows, reach per day, month and quarter",
		New:          New,
		Interval:     6 * time.Hour, // the daily snapshot needs at least one run a day
		LookbackDays: 3,             // Meta revises insights for a day or two
		ChunkDays:    31,
	}
}

// Settings is the source's settings block.
type Settings struct {
	// PageID is the Page's numeric id (Page → About → Page transparency, or GET /me/accounts).
	PageID string `yaml:"page_id"`
	// Account is what the figures are stored under as account_id (e.g. "innomed"); default PageID.
	Account string `yaml:"account"`
	// AccessToken is a long-lived Page access token with pages_read_engagement and read_insights.
	AccessToken config.Secret `yaml:"access_token"`
	// AppToken (APP_ID|APP_SECRET) lets the app inspect the token's expiry; optional.
	AppToken config.Secret `yaml:"app_token"`
	// APIVersion is the Graph API version (default v25.0).
	APIVersion string `yaml:"api_version"`
	// BaseURL is the Graph API host (default https://graph.facebook.com); proxies and tests point
	// it elsewhere.
	BaseURL string `yaml:"base_url"`
	// ReachMetric is the Page Insights metric read as reach (default page_total_media_view_unique;
	// page_impressions_unique on API versions before it existed).
	ReachMetric string `yaml:"reach_metric"`
}

// collector fetches one Page's figures.
type collector struct {
	pageID      string
	account     string
	reachMetric string
	meta        *meta.Client
	loc         *time.Location
	now         func() time.Time

	mu   sync.Mutex
	held daySeries
}

var _ collectors.Collector = (*collector)(nil)

// New validates the settings and builds the collector.
func New(s collectors.Settings) (collectors.Collector, error) {
	return newCollector(s, nil)
}

// newCollector builds the collector; tune, when not nil, adjusts the HTTP options (tests shorten
// the waits).
func newCollector(s collectors.Settings, tune func(*collectors.HTTPOptions)) (*collector, error) {
	var set Settings
	if err := s.Decode(&set); err != nil {
		return nil, fmt.Errorf("facebook: %w", err)
	}
	var err error
	set.PageID, set.Account, err = meta.Account("facebook", "page_id",
		"the Page's numeric id (Meta Business Suite → Settings → Page info, or GET /me/accounts)", set.PageID, set.Account)
	if err != nil {
		return nil, err
	}
	set.ReachMetric = strings.TrimSpace(set.ReachMetric)
	if set.ReachMetric == "" {
		set.ReachMetric = DefaultReachMetric
	}
	if !metricName.MatchString(set.ReachMetric) {
		return nil, fmt.Errorf("facebook: settings: reach_metric %q is not a Page Insights metric name such as %s", set.ReachMetric, DefaultReachMetric)
	}
	tokenEnv := collectors.SecretEnvName(s.ID, "access_token")
	if !set.AccessToken.IsSet() {
		return nil, fmt.Errorf("facebook: settings: access_token is required: a long-lived Page access token with pages_read_engagement and read_insights, given as {env: NAME}, {file: PATH} or through %s", tokenEnv)
	}
	client, err := meta.NewClient(meta.Config{
		Source: "facebook", BaseURL: set.BaseURL, APIVersion: set.APIVersion,
		Token: set.AccessToken, AppToken: set.AppToken,
		TokenHint:   "access_token (or " + tokenEnv + ")",
		TokenKind:   "long-lived Page access token (Graph API Explorer or Meta Business Suite: a long-lived user token, then GET /me/accounts)",
		Permissions: "pages_read_engagement and read_insights on the Page",
		Now:         s.Clock(), Log: s.Logger(), HTTP: tune, MaxRangeDays: pageRangeDays,
	})
	if err != nil {
		return nil, fmt.Errorf("facebook: %w", err)
	}
	return &collector{pageID: set.PageID, account: set.Account, reachMetric: set.ReachMetric,
		meta: client, loc: s.Zone(), now: s.Clock()}, nil
}

// Collect adds, for the window: today's follower snapshot (when the window reaches today), each
// earlier day's follower total, follows, unfollows and reach from Page Insights, and the reach of
// every month, quarter and year that ends in the window and before today. The day before the window
// is fetched with it, so that a period starting on the window's first day has the follower count it
// starts from. Each family of figures is fetched on its own (collectors.RunFamilies): one that
// fails is named in a note and the others are stored; throttling and a refused token end the run
// with what was complete.
func (c *collector) Collect(ctx context.Context, window days.Range, sink *collectors.Sink) error {
	today := days.Of(c.now(), c.loc)
	defer c.meta.NoteRetries(sink)
	return collectors.RunFamilies(ctx, sink,
		collectors.Family{Name: "token expiry (/debug_token)", Run: func(ctx context.Context) error {
			return c.meta.CheckToken(ctx, sink)
		}},
		collectors.Family{Name: "followers today (followers_count)", Run: func(ctx context.Context) error {
			if today.Before(window.From) || today.After(window.To) {
				return nil
			}
			return c.snapshot(ctx, today, sink)
		}},
		collectors.Family{Name: "followers, follows/unfollows and reach per day (Page Insights)", Run: func(ctx context.Context) error {
			return c.collectDays(ctx, window, today, sink)
		}},
		collectors.Family{Name: "reach per month, quarter and year (Page Insights)", Run: func(ctx context.Context) error {
			return c.collectPeriods(ctx, window, today, sink)
		}},
	)
}

// collectDays adds the days of the window before today, and the day before the window, from Page
// Insights in spans of at most seriesDays.
func (c *collector) collectDays(ctx context.Context, window days.Range, today time.Time, sink *collectors.Sink) error {
	last := days.Earlier(window.To, today.AddDate(0, 0, -1))
	span := days.Range{From: window.From.AddDate(0, 0, -1), To: last}
	if last.Before(span.From) {
		return nil
	}
	var errs meta.Errors
	for _, chunk := range meta.Spans(span, seriesDays) {
		if errs.Add(c.collectChunk(ctx, chunk, today, sink)) {
			break
		}
	}
	return errs.Err()
}

// daySeries is a day-series answer kept for the steps that follow (see series).
type daySeries struct {
	span    days.Range
	got     meta.Insights
	fetched time.Time
}

// series returns the day series covering chunk. A backfill goes a month per step, but Meta serves
// 90 days per request: the request reaches on past the chunk (up to yesterday, seriesDays in all),
// and the next steps take their days from the answer in hand instead of asking again. An answer
// stands for an hour; one with a refused metric is not kept.
func (c *collector) series(ctx context.Context, chunk days.Range, today time.Time, what string) (meta.Insights, error) {
	c.mu.Lock()
	held := c.held
	c.mu.Unlock()
	fresh := held.got != nil && c.now().Sub(held.fetched) < time.Hour && !c.now().Before(held.fetched)
	if fresh && !chunk.From.Before(held.span.From) && !chunk.To.After(held.span.To) {
		return held.got, nil
	}
	// The chunk starts inside the answer held and runs past it: only the days after it are asked
	// for, and added to it.
	extend := fresh && !chunk.From.Before(held.span.From) && !chunk.From.After(held.span.To.AddDate(0, 0, 1))
	from := chunk.From
	if extend {
		from = held.span.To.AddDate(0, 0, 1)
	}
	span := days.Range{From: from, To: days.Earlier(from.AddDate(0, 0, seriesDays-1), today.AddDate(0, 0, -1))}
	if span.To.Before(chunk.To) {
		span.To = chunk.To
	}
	got, err := c.meta.Insights(ctx, c.pageID, meta.Query{
		Metrics: []string{metricFollowers, metricFollows, metricUnfollows, c.reachMetric},
		Period:  periodDay,
		Since:   c.meta.DayStart(span.From),
		Until:   c.meta.DayStart(span.To.AddDate(0, 0, 1)),
	}, what)
	if err != nil {
		return got, err
	}
	fetched := c.now()
	if extend {
		merged := meta.Insights{}
		for name, m := range held.got {
			merged[name] = m
		}
		for name, m := range got {
			old := merged[name]
			old.Name, old.Period = m.Name, m.Period
			old.Values = append(append([]meta.Value(nil), old.Values...), m.Values...)
			merged[name] = old
		}
		got, span.From, fetched = merged, held.span.From, held.fetched
	}
	c.mu.Lock()
	c.held = daySeries{span: span, got: got, fetched: fetched}
	c.mu.Unlock()
	return got, nil
}

// collectPeriods adds the reach of every period that ended in the window before today.
func (c *collector) collectPeriods(ctx context.Context, window days.Range, today time.Time, sink *collectors.Sink) error {
	var errs meta.Errors
	for _, p := range days.CompletePeriods(window) {
		// A period's reach is fetched once it has ended, by every window holding its last day, so
		// Meta's revisions in the following days are picked up. A period still running is not
		// stored: its figure would stand for the whole period.
		if p.End.Before(window.From) || p.End.After(window.To) || !p.End.Before(today) {
			continue
		}
		if errs.Add(c.collectPeriod(ctx, p, sink)) {
			break
		}
	}
	return errs.Err()
}

// snapshot adds today's follower count. Insights give no value for a day before it ends, so the
// snapshot carries no follows or unfollows; later runs replace it with Meta's figures for the day.
func (c *collector) snapshot(ctx context.Context, today time.Time, sink *collectors.Sink) error {
	var page struct {
		ID             string  `json:"id"`
		FollowersCount *uint64 `json:"followers_count"`
	}
	what := "page " + c.pageID + " followers_count"
	if err := c.meta.Fields(ctx, c.pageID, []string{"followers_count"}, &page, what); err != nil {
		return err
	}
	if page.FollowersCount == nil {
		return fmt.Errorf("facebook: %s: the answer has no followers_count; the token may lack pages_read_engagement", what)
	}
	sink.Add(figures.FollowersDay{Platform: figures.PlatformFacebook, AccountID: c.account, Date: today, Followers: *page.FollowersCount})
	return nil
}

// collectChunk adds the days of chunk from Page Insights. A day is written only when Meta reports
// its follower total (page_follows); a day it leaves out keeps what was stored, or stays a gap.
// When one metric fails, the days get the others (meta.Insights asks them one by one).
func (c *collector) collectChunk(ctx context.Context, chunk days.Range, today time.Time, sink *collectors.Sink) error {
	what := fmt.Sprintf("page %s insights %s", c.pageID, chunk)
	got, err := c.series(ctx, chunk, today, what)
	var rejected *meta.MetricsRejectedError
	errors.As(err, &rejected)
	if got == nil {
		return err
	}
	// A value Meta sent that is not a count costs only its own day and metric: the other days and
	// metrics are stored, and the error names what was left out (the run is partial).
	series := map[string]map[time.Time]uint64{}
	var badFollowers *meta.BadValuesError
	for _, name := range []string{metricFollowers, metricFollows, metricUnfollows, c.reachMetric} {
		daily, perr := c.meta.Daily(got[name])
		if perr != nil {
			if name == metricFollowers {
				errors.As(perr, &badFollowers)
			}
			err = errors.Join(err, collectors.Partly(fmt.Errorf("facebook: %s: %w", what, perr)))
		}
		series[name] = daily
	}
	optional := func(name string, d time.Time) *uint64 {
		if v, ok := series[name][d]; ok {
			return &v
		}
		return nil
	}
	var missing []string
	chunk.Each(func(d time.Time) {
		if followers, ok := series[metricFollowers][d]; ok {
			sink.Add(figures.FollowersDay{Platform: figures.PlatformFacebook, AccountID: c.account, Date: d,
				Followers: followers, Follows: optional(metricFollows, d), Unfollows: optional(metricUnfollows, d)})
		} else if _, asked := got[metricFollowers]; settled(d, today) && asked && !badFollowers.Left(d) {
			missing = append(missing, days.Format(d))
		}
		if reach, ok := series[c.reachMetric][d]; ok {
			sink.Add(figures.Reach{Platform: figures.PlatformFacebook, AccountID: c.account, Period: periodDay,
				PeriodStart: d, PeriodEnd: d, Reach: reach})
		}
	})
	if len(missing) > 0 {
		sink.Note("facebook: page %s: Meta reported no follower total for %s; those days keep what was stored before (a gap if nothing was)",
			c.pageID, meta.Summarise(missing))
	}
	return err
}

// collectPeriod adds Meta's reach over a whole period, or notes why there is none.
func (c *collector) collectPeriod(ctx context.Context, p days.Period, sink *collectors.Sink) error {
	span := days.Range{From: p.Start, To: p.End}
	what := fmt.Sprintf("page %s %s reach %s", c.pageID, p.Kind, span)
	since, until := c.meta.DayStart(p.Start), c.meta.DayStart(p.End.AddDate(0, 0, 1))
	if ok, why := c.meta.Serves(since, until); !ok {
		sink.Note("facebook: %s reach of %s is not stored (not asked): %s; reach counts people once, so it is never summed from shorter periods",
			p.Kind, span, why)
		return nil
	}
	got, err := c.meta.Insights(ctx, c.pageID, meta.Query{
		Metrics: []string{c.reachMetric},
		Period:  "total_over_range",
		Since:   since,
		Until:   until,
	}, what)
	var rangeErr *meta.RangeError
	if errors.As(err, &rangeErr) {
		sink.Note("facebook: %s reach of %s is not stored: %s; reach counts people once, so it is never summed from shorter periods",
			p.Kind, span, rangeErr.Said)
		return nil
	}
	if err != nil {
		return err
	}
	values := got[c.reachMetric].Values
	if len(values) == 0 {
		sink.Note("facebook: Meta reported no %s reach for %s; nothing is stored for it", p.Kind, span)
		return nil
	}
	if len(values) > 1 {
		return fmt.Errorf("facebook: %s: Meta answered %d values for one range; expected one", what, len(values))
	}
	reach, err := meta.Count(values[0].Value)
	if err != nil {
		return fmt.Errorf("facebook: %s: %w", what, err)
	}
	sink.Add(figures.Reach{Platform: figures.PlatformFacebook, AccountID: c.account, Period: p.Kind,
		PeriodStart: p.Start, PeriodEnd: p.End, Reach: reach})
	return nil
}

// settled tells whether Meta should have reported day d by today; the last two days may still be
// missing while Meta's day (US Pacific) has not ended or its figures are delayed.
func settled(d, today time.Time) bool { return d.Before(today.AddDate(0, 0, -2)) }
