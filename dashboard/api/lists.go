package api

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
)

// apiRange reads ?from= and ?to= (both required, days YYYY-MM-DD, to not before from, at most
// days.MaxCustomDays apart): the one range rule of every API endpoint that takes a range.
func apiRange(c *fiber.Ctx) (days.Span, error) {
	day := func(name string) (time.Time, error) {
		raw := c.Query(name)
		if raw == "" {
			return time.Time{}, badParam(name, "is required, a day written YYYY-MM-DD")
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			return time.Time{}, badParam(name, "must be a day written YYYY-MM-DD, got %q", kit.Clip(raw))
		}
		return d, nil
	}
	from, err := day("from")
	if err != nil {
		return days.Span{}, err
	}
	to, err := day("to")
	if err != nil {
		return days.Span{}, err
	}
	if to.Before(from) {
		return days.Span{}, badParam("to", "%s is before from (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	span, err := days.CustomSpan(from, to)
	if err != nil {
		return days.Span{}, badParam("from", "the range from..to must be at most %d days", days.MaxCustomDays)
	}
	return span, nil
}

// listRequest is what a list endpoint (what, in errors) reads: the range, the answer's format
// and the site's discovered scope (its newsletter list, feeds).
func (a *API) listRequest(c *fiber.Ctx, what string) (days.Span, query.KPIScope, string, error) {
	span, err := apiRange(c)
	if err != nil {
		return days.Span{}, query.KPIScope{}, "", err
	}
	format, err := parseFormat(c)
	if err != nil {
		return days.Span{}, query.KPIScope{}, "", err
	}
	if a.Queries == nil {
		return days.Span{}, query.KPIScope{}, "", apiErrorf(fiber.StatusServiceUnavailable, "the API is not available: no database")
	}
	site, err := a.Site(c.Query("site"))
	if err != nil {
		return days.Span{}, query.KPIScope{}, "", err
	}
	scope, err := a.Queries.DefaultKPIScope(c.UserContext(), site.ID, a.location())
	if err != nil {
		return days.Span{}, query.KPIScope{}, "", fmt.Errorf("api %s: %w", what, err)
	}
	return span, scope, format, nil
}

// CampaignsJSON is the answer of /api/v1/newsletter/campaigns.
type CampaignsJSON struct {
	Site      string         `json:"site"`
	List      string         `json:"list"`
	From      string         `json:"from"`
	To        string         `json:"to"`
	Campaigns []campaignJSON `json:"campaigns"`
	// Pooled rates (Σ unique / Σ delivered: every delivered e-mail weighs the same) and the plain
	// mean of the sends' click rates (every send weighs the same), each named by its definition.
	PooledOpenRate  *float64 `json:"pooled_open_rate"`
	PooledClickRate *float64 `json:"pooled_click_rate"`
	MeanClickRate   *float64 `json:"mean_click_rate"`
}

type campaignJSON struct {
	ID                string   `json:"id"`
	Title             string   `json:"title"`
	SendTime          string   `json:"send_time"` // RFC 3339, UTC
	Day               string   `json:"day"`       // the send's day in the organisation's time zone
	Sent              uint64   `json:"sent"`
	Delivered         uint64   `json:"delivered"`
	UniqueOpens       uint64   `json:"unique_opens"`
	UniqueClicks      uint64   `json:"unique_clicks"`
	OpenRate          *float64 `json:"open_rate"`
	ClickRate         *float64 `json:"click_rate"`
	ProviderOpenRate  *float64 `json:"provider_open_rate"`
	ProviderClickRate *float64 `json:"provider_click_rate"`
}

// Campaigns answers each send of the site's newsletter list in the range with its open and click
// rate by our definition (unique / delivered) beside the provider's own.
func (a *API) Campaigns(c *fiber.Ctx) error {
	span, scope, format, err := a.listRequest(c, "campaigns")
	if err != nil {
		return err
	}
	out := CampaignsJSON{Site: scope.SiteID, List: scope.ListID, From: dateOf(span.From), To: dateOf(span.To), Campaigns: []campaignJSON{}}
	if scope.ListID != "" {
		cs, err := a.Queries.SpanCampaigns(c.UserContext(), scope.ListID, span, scope.Location)
		if err != nil {
			return fmt.Errorf("api campaigns: %w", err)
		}
		for _, k := range cs {
			out.Campaigns = append(out.Campaigns, campaignJSON{ID: k.ID, Title: k.Title,
				SendTime: k.SendTime.UTC().Format(time.RFC3339), Day: dateOf(days.Of(k.SendTime, scope.Location)),
				Sent: k.EmailsSent, Delivered: k.Delivered, UniqueOpens: k.UniqueOpens, UniqueClicks: k.UniqueClicks,
				OpenRate: k.OpenRate(), ClickRate: k.ClickRate(), ProviderOpenRate: k.ProviderOpenRate, ProviderClickRate: k.ProviderClickRate})
		}
		t := query.SumCampaigns(cs)
		out.PooledOpenRate, out.PooledClickRate, out.MeanClickRate = t.OpenRate, t.ClickRate, t.MeanClickRate
	}
	if format == "json" {
		return sendJSON(c, out)
	}
	rows := [][]string{{"id", "title", "send_time", "day", "sent", "delivered", "unique_opens", "unique_clicks",
		"open_rate", "click_rate", "provider_open_rate", "provider_click_rate"}}
	for _, k := range out.Campaigns {
		rows = append(rows, []string{k.ID, k.Title, k.SendTime, k.Day, uintText(k.Sent), uintText(k.Delivered),
			uintText(k.UniqueOpens), uintText(k.UniqueClicks), floatText(k.OpenRate), floatText(k.ClickRate),
			floatText(k.ProviderOpenRate), floatText(k.ProviderClickRate)})
	}
	return sendAPICSV(c, rows, export.FileName("csv", "nyhetsbrev-utsendelser", out.Site, out.From+"_"+out.To))
}

// PublicationsJSON is the answer of /api/v1/publications.
type PublicationsJSON struct {
	Site  string           `json:"site"`
	From  string           `json:"from"`
	To    string           `json:"to"`
	Feeds []FeedCountsJSON `json:"feeds"`
}

// FeedCountsJSON is one feed's publications in PublicationsJSON.
type FeedCountsJSON struct {
	Feed string `json:"feed"`
	// Months are the calendar months the range touches, clipped to it (full: false when cut).
	Months []monthCountJSON `json:"months"`
	Total  int              `json:"total"`
	// Undated counts the feed's items without a publication date: they belong to no month and to
	// no range, so this is over every item collected and is not part of Total.
	Undated int `json:"undated"`
}

type monthCountJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Full  bool   `json:"full"`
	Count int    `json:"count"`
}

// Publications answers each feed's items per month of the range, with its undated items apart.
func (a *API) Publications(c *fiber.Ctx) error {
	span, scope, format, err := a.listRequest(c, "publications")
	if err != nil {
		return err
	}
	out := PublicationsJSON{Site: scope.SiteID, From: dateOf(span.From), To: dateOf(span.To), Feeds: []FeedCountsJSON{}}
	if len(scope.Feeds) > 0 {
		ctx := c.UserContext()
		items, err := a.Queries.SpanPublications(ctx, scope.Feeds, span, scope.Location)
		if err != nil {
			return fmt.Errorf("api publications: %w", err)
		}
		undated, err := a.Queries.UndatedPublications(ctx, scope.Feeds)
		if err != nil {
			return fmt.Errorf("api publications: %w", err)
		}
		feeds := append([]string(nil), scope.Feeds...)
		sort.Strings(feeds)
		buckets := days.Buckets(span, days.Month)
		for _, feed := range feeds {
			fc := FeedCountsJSON{Feed: feed, Months: make([]monthCountJSON, len(buckets)), Undated: undated[feed]}
			for i, b := range buckets {
				fc.Months[i] = monthCountJSON{Start: dateOf(b.Start), End: dateOf(b.End), Full: b.Full}
				for _, it := range items {
					if it.FeedID == feed && !it.Day.Before(b.Start) && !it.Day.After(b.End) {
						fc.Months[i].Count++
						fc.Total++
					}
				}
			}
			out.Feeds = append(out.Feeds, fc)
		}
	}
	if format == "json" {
		return sendJSON(c, out)
	}
	// One line per feed and month, then one "undated" line per feed with no dates.
	rows := [][]string{{"feed", "kind", "start", "end", "full", "count"}}
	for _, f := range out.Feeds {
		for _, m := range f.Months {
			rows = append(rows, []string{f.Feed, "month", m.Start, m.End, strconv.FormatBool(m.Full), strconv.Itoa(m.Count)})
		}
		rows = append(rows, []string{f.Feed, "undated", "", "", "", strconv.Itoa(f.Undated)})
	}
	return sendAPICSV(c, rows, export.FileName("csv", "publiseringer", out.Site, out.From+"_"+out.To))
}

func dateOf(t time.Time) string { return t.Format(time.DateOnly) }

func uintText(v uint64) string { return strconv.FormatUint(v, 10) }

// floatText writes a rate in English notation; unknown is empty, as in every API CSV.
func floatText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// sendAPICSV writes rows as the API's CSV (sendSeriesCSV's rules: English notation, internal/export's
// byte-order mark, CRLF and escaping) as an attachment named name.
func sendAPICSV(c *fiber.Ctx, rows [][]string, name string) error {
	var buf bytes.Buffer
	w, err := export.NewCSV(&buf, i18n.EN)
	if err != nil {
		return fmt.Errorf("api csv: %w", err)
	}
	for _, rec := range rows {
		for i := range rec {
			rec[i] = export.Cell(rec[i])
		}
		_ = w.Write(rec) // a bytes.Buffer does not fail; w.Error reports anything else
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("api csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(buf.Bytes())
}
