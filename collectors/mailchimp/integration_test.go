package mailchimp

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/innomed/rekkevidde/collectors/collectortest"
	"github.com/innomed/rekkevidde/internal/chtest"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/scheduler"
)

var year2022 = days.Range{From: days.Date(2022, 1, 1), To: days.Date(2022, 12, 31)}

// yearFromFixtures works out 2022's figures from the raw fixtures: the campaigns of the list sent
// in 2022 in Oslo, Σ unique subscriber clicks / Σ delivered, and the size at the end of December.
func yearFromFixtures(t *testing.T) (campaigns int, clicks, delivered float64, subscribersAtEnd uint64) {
	t.Helper()
	for _, r := range listReportsSentIn(t, days.Start(days.Date(2022, 1, 1), oslo), days.Start(days.Date(2023, 1, 1), oslo)) {
		campaigns++
		clicks += num(t, r, "clicks.unique_subscriber_clicks")
		delivered += num(t, r, "emails_sent") - num(t, r, "bounces.hard_bounces") - num(t, r, "bounces.soft_bounces")
	}
	var history struct {
		History []map[string]any `json:"history"`
	}
	readJSON(t, "growth_history.json", &history)
	for _, h := range history.History {
		if h["month"] == "2022-12" {
			subscribersAtEnd = uint64(num(t, h, "subscribed"))
		}
	}
	return campaigns, clicks, delivered, subscribersAtEnd
}

type yearInDB struct {
	campaigns        uint64
	clicks, delivery uint64
	subscribersAtEnd uint64
}

// readYear reads 2022 back with SQL of the test's own, independent of the query layer.
func readYear(t *testing.T, conn driver.Conn) yearInDB {
	t.Helper()
	ctx := context.Background()
	var y yearInDB
	if err := conn.QueryRow(ctx, `
SELECT count(), sum(unique_clicks), sum(delivered) FROM newsletter_campaigns FINAL
WHERE list_id = ? AND toYear(toTimeZone(send_time, 'Europe/Oslo')) = 2022`, testListID).Scan(&y.campaigns, &y.clicks, &y.delivery); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `
SELECT subscribers FROM newsletter_subscribers_daily FINAL WHERE list_id = ? AND date = toDate('2022-12-31')`, testListID).Scan(&y.subscribersAtEnd); err != nil {
		t.Fatalf("no list size for 31 December 2022: %v", err)
	}
	return y
}

// dump returns every stored figure row, to compare runs.
func dump(t *testing.T, conn driver.Conn) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT concat(campaign_id, ' ', title, ' ', subject, ' ', toString(send_time), ' ', toString(emails_sent), ' ',
		        toString(delivered), ' ', toString(unique_opens), ' ', toString(unique_clicks), ' ', toString(unsubscribed), ' ',
		        toString(hard_bounces), ' ', toString(soft_bounces), ' ', ifNull(toString(provider_open_rate), '-'), ' ',
		        ifNull(toString(provider_click_rate), '-'))
		 FROM newsletter_campaigns FINAL ORDER BY campaign_id`,
		`SELECT concat(toString(date), ' ', toString(subscribers), ' ', toString(unsubscribed), ' ', toString(cleaned))
		 FROM newsletter_subscribers_daily FINAL ORDER BY date`,
	} {
		for _, line := range collectortest.Lines(t, conn, q) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// A year of campaigns through the runner: the year-end list size and the year's click rate read
// back equal the fixtures; a second backfill changes nothing; clicks that grow after the send
// replace the stored count; nothing personal or secret is stored or logged.
func TestIntegrationYearOfCampaigns(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	logs := &collectortest.LogBuffer{}
	f := newFake(t)
	c := newTestCollector(t, f, logs, nil)
	runner := scheduler.NewRunner(st, oslo, logs.Logger())
	src := scheduler.Source{ID: "newsletter", Kind: "mailchimp", Collector: c, ChunkDays: 31}

	sum, err := runner.Backfill(ctx, src, year2022, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK || sum.Done != 12 {
		t.Fatalf("backfill: %+v, %v", sum, err)
	}
	wantCampaigns, wantClicks, wantDelivered, wantSubscribers := yearFromFixtures(t)
	wantRate := wantClicks / wantDelivered
	got := readYear(t, st.Conn())
	if got.campaigns != uint64(wantCampaigns) || got.subscribersAtEnd != wantSubscribers {
		t.Errorf("2022: %d campaigns, %d subscribers at the end; want %d and %d", got.campaigns, got.subscribersAtEnd, wantCampaigns, wantSubscribers)
	}
	if rate := float64(got.clicks) / float64(got.delivery); math.Abs(rate-wantRate) > 1e-12 {
		t.Errorf("2022 click rate %.6f, want %.6f", rate, wantRate)
	}
	// Through the readers the dashboard and the reports use.
	q := query.New(st.Conn())
	campaigns, err := q.SpanCampaigns(ctx, testListID, days.YearSpan(2022), oslo)
	if err != nil {
		t.Fatal(err)
	}
	year := query.SumCampaigns(campaigns)
	snaps, err := q.Subscribers(ctx, testListID, days.YearSpan(2022).From, days.YearSpan(2022).To)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("subscribers of 2022: %v %v", snaps, err)
	}
	if end := snaps[len(snaps)-1].Subscribers; year.Campaigns != wantCampaigns || end != wantSubscribers ||
		year.ClickRate == nil || math.Abs(*year.ClickRate-wantRate) > 1e-12 {
		t.Errorf("query layer's 2022: %+v, %d subscribers at the end; want %d campaigns, %d subscribers, click rate %.6f", year, end, wantCampaigns, wantSubscribers, wantRate)
	}

	before := dump(t, st.Conn())
	if _, err := runner.Backfill(ctx, src, year2022, true, nil); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, st.Conn()); after != before {
		t.Errorf("a second backfill changed the figures:\n%s\nthen\n%s", before, after)
	}

	// Clicks keep coming after the send: a run a few days later re-fetches the December newsletter
	// (28 days old) and its new count replaces the old one; the November one is not asked for.
	const december, november = "c125e1a9b2", "c115e1a9b2"
	f.update(func() {
		clicks := f.report(december)["clicks"].(map[string]any)
		clicks["unique_subscriber_clicks"] = clicks["unique_subscriber_clicks"].(float64) + 11
		f.served = nil
	})
	late := days.Range{From: days.Date(2023, 1, 9), To: days.Date(2023, 1, 10)}
	if sum, err := runner.Backfill(ctx, src, late, true, nil); err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("late run: %+v, %v", sum, err)
	}
	for _, id := range f.servedIDs() {
		if id == november {
			t.Error("the November newsletter, older than campaign_refresh_days, was fetched again")
		}
	}
	var rows, clicks uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count(), sum(unique_clicks) FROM newsletter_campaigns FINAL WHERE campaign_id = ?`, december).
		Scan(&rows, &clicks); err != nil {
		t.Fatal(err)
	}
	lateClicks := uint64(num(t, f.report(december), "clicks.unique_subscriber_clicks"))
	if rows != 1 || clicks != lateClicks {
		t.Errorf("December newsletter: %d rows with %d clicks, want 1 row with the new count %d", rows, clicks, lateClicks)
	}
	if got := readYear(t, st.Conn()); got.clicks != uint64(wantClicks)+11 || got.delivery != uint64(wantDelivered) {
		t.Errorf("2022: %d clicks of %d delivered, want the fixtures' %v plus the 11 late ones, of %v", got.clicks, got.delivery, wantClicks, wantDelivered)
	}

	secrets := append(collectortest.FixtureEmailAddresses(t, 3), testKey, c.authorization[len("Basic "):])
	collectortest.NoLeak(t, "ClickHouse", collectortest.StoredText(t, st.Conn(), 5), secrets...)
	collectortest.NoLeak(t, "the log", logs.String(), secrets...)
}

// A rate limit that lasts (an hour's Retry-After) part-way through a backfill stops it cleanly; the
// next backfill resumes where it stopped and the year ends up complete, without duplicates.
func TestIntegrationQuotaStopResumes(t *testing.T) {
	st := chtest.Open(t)
	ctx := context.Background()
	f := newFake(t)
	c := newTestCollector(t, f, &collectortest.LogBuffer{}, nil)
	runner := scheduler.NewRunner(st, oslo, slog.New(slog.DiscardHandler))
	src := scheduler.Source{ID: "newsletter", Kind: "mailchimp", Collector: c, ChunkDays: 31}
	// Mailchimp refuses from the growth history on, with an hour's Retry-After. The first step asks
	// for everything a backfill needs (the audience, the reports of the whole span, the history),
	// so that is where the run stops: the steps after it would ask for nothing more.
	refusing := false
	f.intercept = func(n int, r *http.Request, w http.ResponseWriter) bool {
		if strings.HasSuffix(r.URL.Path, "/growth-history") {
			refusing = true
		}
		if refusing {
			w.Header().Set("Retry-After", "3600")
			problemAnswer(w, http.StatusTooManyRequests, "error_429.json")
			return true
		}
		return false
	}
	sum, err := runner.Backfill(ctx, src, year2022, false, nil)
	if err != nil || sum.Status != scheduler.StatusThrottled || sum.RetryAt.IsZero() || sum.ResumeAt.IsZero() {
		t.Fatalf("first backfill: %+v, %v; want it throttled with a retry time", sum, err)
	}
	stoppedAt := sum.ResumeAt
	f.update(func() { f.intercept = nil })
	sum, err = runner.Backfill(ctx, src, year2022, false, nil)
	if err != nil || sum.Status != scheduler.StatusOK {
		t.Fatalf("resumed backfill: %+v, %v", sum, err)
	}
	if resumed := year2022.Chunks(31)[sum.Skipped].From; !resumed.Equal(stoppedAt) {
		t.Errorf("resumed at %s, stopped at %s", days.Format(resumed), days.Format(stoppedAt))
	}
	wantCampaigns, wantClicks, wantDelivered, wantSubscribers := yearFromFixtures(t)
	wantRate := wantClicks / wantDelivered
	got := readYear(t, st.Conn())
	if got.campaigns != uint64(wantCampaigns) || got.subscribersAtEnd != wantSubscribers ||
		math.Abs(float64(got.clicks)/float64(got.delivery)-wantRate) > 1e-12 {
		t.Errorf("after resuming: %+v, want %d campaigns, %d subscribers, click rate %.6f", got, wantCampaigns, wantSubscribers, wantRate)
	}
	var monthEnds uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM newsletter_subscribers_daily FINAL WHERE list_id = ? AND toYear(date) = 2022`, testListID).
		Scan(&monthEnds); err != nil || monthEnds != 12 {
		t.Errorf("%d month ends in 2022 (%v), want 12: no gaps", monthEnds, err)
	}
}
