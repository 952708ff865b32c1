package mailchimp

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// listAnswer is GET /lists/{id} trimmed by fields to what is stored. The counts are pointers so a
// missing one is an error, not a silent zero.
type listAnswer struct {
	ID    string `json:"id"`
	Stats struct {
		// MemberCount counts subscribed members only (not unsubscribed, cleaned or pending).
		MemberCount      *uint64 `json:"member_count"`
		UnsubscribeCount *uint64 `json:"unsubscribe_count"`
		CleanedCount     *uint64 `json:"cleaned_count"`
	} `json:"stats"`
}

// listFields trims the answer to the stats (the full answer also holds the sender's address).
const listFields = "id,stats.member_count,stats.unsubscribe_count,stats.cleaned_count"

// listStats is the audience's size now.
type listStats struct {
	subscribed, unsubscribed, cleaned uint64
}

func (s listStats) snapshot(listID string, day time.Time) figures.SubscribersDay {
	return figures.SubscribersDay{ListID: listID, Date: day, Subscribers: s.subscribed, Unsubscribed: s.unsubscribed, Cleaned: s.cleaned}
}

func (c *collector) listPath() string { return "/lists/" + url.PathEscape(c.listID) }

// listStats fetches the audience's current counts, once per run. Mailchimp caches them for a few
// minutes itself.
func (c *collector) listStats(ctx context.Context) (listStats, error) {
	c.mu.Lock()
	held := c.stats
	c.mu.Unlock()
	if held.fresh(c.now()) {
		return held.value, nil
	}
	var a listAnswer
	if err := c.get(ctx, c.listPath(), url.Values{"fields": {listFields}}, "audience", &a); err != nil {
		return listStats{}, err
	}
	st := a.Stats
	if st.MemberCount == nil || st.UnsubscribeCount == nil || st.CleanedCount == nil {
		return listStats{}, fmt.Errorf("mailchimp: list %s: audience: the answer lacks stats.member_count, unsubscribe_count or cleaned_count; check that base_url points at the Mailchimp Marketing API", c.listID)
	}
	out := listStats{subscribed: *st.MemberCount, unsubscribed: *st.UnsubscribeCount, cleaned: *st.CleanedCount}
	c.mu.Lock()
	c.stats = cached[listStats]{value: out, fetched: c.now()}
	c.mu.Unlock()
	return out, nil
}

// growthMonth is one month of GET /lists/{id}/growth-history.
type growthMonth struct {
	Month string `json:"month"` // YYYY-MM
	// Subscribed is the number of subscribed members at the end of the month.
	Subscribed *uint64 `json:"subscribed"`
	// Unsubscribed and Cleaned are the members newly unsubscribed or cleaned during the month.
	Unsubscribed *uint64 `json:"unsubscribed"`
	Cleaned      *uint64 `json:"cleaned"`
}

// monthEnd is one month of the history: the size at its end and the month's changes.
type monthEnd struct {
	end                   time.Time
	subscribed            uint64
	unsubscribed, cleaned uint64
}

const growthFields = "history.month,history.subscribed,history.unsubscribed,history.cleaned,total_items"

// collectGrowth adds a month-end snapshot for every completed month whose last day is in window,
// from Mailchimp's monthly growth history: the list's size has no daily history in the API.
//
// Subscribers is Mailchimp's own count at the end of the month. The history gives unsubscribes and
// cleans per month, not running totals, so the month-end totals are derived from today's totals by
// taking off the unsubscribes and cleans of every later month; members who came back or were
// deleted since make them approximate. Months the history lacks stay gaps.
func (c *collector) collectGrowth(ctx context.Context, window days.Range, today time.Time, now listStats, sink *collectors.Sink) error {
	history, err := c.growthHistory(ctx)
	if err != nil {
		return err
	}
	var months []monthEnd
	for _, h := range history {
		start, err := time.Parse("2006-01", h.Month)
		if err != nil {
			return fmt.Errorf("mailchimp: list %s: growth history: month %q is not YYYY-MM", c.listID, h.Month)
		}
		if h.Subscribed == nil || h.Unsubscribed == nil || h.Cleaned == nil {
			return fmt.Errorf("mailchimp: list %s: growth history: month %s lacks subscribed, unsubscribed or cleaned", c.listID, h.Month)
		}
		months = append(months, monthEnd{end: start.AddDate(0, 1, -1), subscribed: *h.Subscribed, unsubscribed: *h.Unsubscribed, cleaned: *h.Cleaned})
	}
	sort.Slice(months, func(i, j int) bool { return months[i].end.After(months[j].end) })
	// Walk back from now: before adding month m, the later months' changes are taken off.
	unsubscribed, cleaned := int64(now.unsubscribed), int64(now.cleaned)
	var added int
	for i, m := range months {
		if i > 0 {
			unsubscribed -= int64(months[i-1].unsubscribed)
			cleaned -= int64(months[i-1].cleaned)
		}
		if !m.end.Before(today) || m.end.Before(window.From) || m.end.After(window.To) {
			continue
		}
		sink.Add(figures.SubscribersDay{ListID: c.listID, Date: m.end, Subscribers: m.subscribed,
			Unsubscribed: uint64(max(unsubscribed, 0)), Cleaned: uint64(max(cleaned, 0))})
		added++
	}
	if added > 0 {
		sink.Note("mailchimp: month-end list sizes come from Mailchimp's monthly growth history; their unsubscribed and cleaned totals are derived from today's totals and are approximate")
	}
	if missing := missingMonthEnds(window, today, months); missing > 0 {
		sink.Note("mailchimp: Mailchimp's growth history has no figures for %d month end(s) in %s (before the audience existed?); they stay empty", missing, window)
	}
	return nil
}

// growthHistory is the audience's whole monthly growth history, asked once per run.
func (c *collector) growthHistory(ctx context.Context) ([]growthMonth, error) {
	c.mu.Lock()
	held := c.history
	c.mu.Unlock()
	if held.fresh(c.now()) {
		return held.value, nil
	}
	path := c.listPath() + "/growth-history"
	history, err := getAll[growthMonth](ctx, c, path, url.Values{"fields": {growthFields}}, "history", "growth history")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.history = cached[[]growthMonth]{value: history, fetched: c.now()}
	c.mu.Unlock()
	return history, nil
}

// missingMonthEnds counts the completed month ends in window that the history does not cover.
func missingMonthEnds(window days.Range, today time.Time, months []monthEnd) int {
	have := map[time.Time]bool{}
	for _, m := range months {
		have[m.end] = true
	}
	missing := 0
	window.Each(func(d time.Time) {
		if d.Before(today) && d.AddDate(0, 0, 1).Day() == 1 && !have[d] {
			missing++
		}
	})
	return missing
}
