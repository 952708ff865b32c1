package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// Annual is the annual report's communication page for one year, with the year before beside it.
type Annual struct {
	Report      string    `json:"report"` // KindAnnual
	Year        int       `json:"year"`
	Site        Site      `json:"site"`
	GeneratedAt time.Time `json:"generated_at"`

	// Visitors are "Antall besøkende": visits and unique visitors per quarter and for the year.
	Visitors Visitors `json:"visitors"`
	// Channels are "Kanaler for inngang til nettsiden": shares of visits, largest first.
	Channels []Share `json:"channels"`
	// Devices are shares of visits by device.
	Devices []Share `json:"devices"`
	// NewVisitors and ReturningVisitors are shares of the year's unique visitors.
	NewVisitors       Compared `json:"new_visitors"`
	ReturningVisitors Compared `json:"returning_visitors"`
	// TopPages are the year's most visited pages, most visited first.
	TopPages       []TopPage `json:"top_pages"`
	TopPagesOrigin Origin    `json:"top_pages_origin,omitempty"`
	// TopPagesSource says where the list comes from (Figure.Source).
	TopPagesSource string     `json:"top_pages_source,omitempty"`
	Social         []Platform `json:"social"`
	Newsletter     Newsletter `json:"newsletter"`
	Events         Events     `json:"events"`
	// KPIs are every key figure of the year against the year before, with targets.
	KPIs    []KPI   `json:"kpis"`
	Summary Summary `json:"summary"`
}

// Visitors are the website's visits ("Totalt besøkende", sessions) and unique visitors ("Unike
// besøkende", each person once over the period) per quarter and for the whole year. Previous is the
// same quarter (or the whole year) a year before. A year's unique visitors are the provider's figure
// for the year, never the sum of its quarters.
type Visitors struct {
	Quarters []QuarterVisitors `json:"quarters"`
	Year     QuarterVisitors   `json:"year"`
}

// QuarterVisitors is one quarter's (Quarter 1–4) or the year's (Quarter 0) visitors.
type QuarterVisitors struct {
	Quarter int      `json:"quarter"`
	Visits  Compared `json:"visits"`
	Unique  Compared `json:"unique"`
}

// Share is one channel's or device's part of the visits.
type Share struct {
	// Key is the canonical channel or device (figures.Channels, figures.Devices, or
	// metrics.DeviceMobileTablet for an imported "mobile or tablet").
	Key string `json:"key"`
	Compared
}

// TopPage is one of the most visited pages.
type TopPage struct {
	Rank  int    `json:"rank"`
	Title string `json:"title"`
	Path  string `json:"path,omitempty"`
	// Pageviews are unknown for an imported page given only by title.
	Pageviews Figure `json:"pageviews"`
}

// Platform is one social platform's column of the report, summed over its accounts.
type Platform struct {
	Platform string `json:"platform"`
	// Followers at the year's end ("Antall følgere"), NewFollowers over the year ("Antall nye
	// følgere"), Growth = new / followers at the start ("Vekst"), ReachPerMonth the mean of the
	// monthly reach ("Rekkevidde per måned").
	Followers     Compared `json:"followers"`
	NewFollowers  Compared `json:"new_followers"`
	Growth        Compared `json:"growth"`
	ReachPerMonth Compared `json:"reach_per_month"`
	// Months are the collected figures per month of the year; empty when nothing was collected.
	Months []SocialMonth `json:"months,omitempty"`
	// MonthsSource names the sources of Months (Figure.Source).
	MonthsSource string `json:"months_source,omitempty"`
}

// SocialMonth is one month of a platform.
type SocialMonth struct {
	Month        string   `json:"month"` // YYYY-MM
	Followers    *float64 `json:"followers"`
	NewFollowers *float64 `json:"new_followers"`
	Reach        *float64 `json:"reach"`
	// MeasuredOn (YYYY-MM-DD) is the day Followers was last measured when that is before the
	// month's last day (NewFollowers is the change up to it); empty when measured on the last day.
	// A month after the last measurement has no followers and no new followers (null).
	MeasuredOn string `json:"measured_on,omitempty"`
}

// Newsletter is "Nyhetsbrev": subscribers at the year's end and the year's sends.
type Newsletter struct {
	ListID      string   `json:"list_id,omitempty"`
	Subscribers Compared `json:"subscribers"`
	// ClickRate and OpenRate are Σ unique clicks (opens) / Σ delivered over the year's sends.
	ClickRate Compared `json:"click_rate"`
	OpenRate  Compared `json:"open_rate"`
	Campaigns Compared `json:"campaigns"`
}

// Events are the year's events with their attendance.
type Events struct {
	AccountID  string      `json:"account_id,omitempty"`
	Held       Compared    `json:"held"`
	Attendance Compared    `json:"attendance"`
	Items      []Event     `json:"items"`
	ByKind     []KindTotal `json:"by_kind"`
	// BySector adds up the sector breakdowns of the events that have one.
	BySector []SectorTotal `json:"by_sector,omitempty"`
	// Source and SectorSource name the sources of Items and ByKind, and of BySector (Figure.Source).
	Source       string `json:"source,omitempty"`
	SectorSource string `json:"sector_source,omitempty"`
}

// Event is one held event. Nil counts are unknown or not applicable, not zero.
type Event struct {
	ID         string                   `json:"id"`
	Date       string                   `json:"date"` // local start day, YYYY-MM-DD
	Kind       string                   `json:"kind"`
	Title      string                   `json:"title"`
	Registered *uint32                  `json:"registered"`
	OnSite     *uint32                  `json:"attended_on_site"`
	Digital    *uint32                  `json:"attended_digital"`
	Attended   *uint32                  `json:"attended"`
	Sectors    []query.SectorAttendance `json:"sectors,omitempty"`
}

// KindTotal is one kind of event over the year.
type KindTotal struct {
	Kind   string `json:"kind"`
	Events int    `json:"events"`
	// Attended adds up the events that have a count; WithAttendance says how many had one.
	Attended       uint64 `json:"attended"`
	WithAttendance int    `json:"with_attendance"`
}

// SectorTotal is one sector's registrants and attendees over the year's events.
type SectorTotal struct {
	Sector     string `json:"sector"`
	Registered uint64 `json:"registered"`
	Attended   uint64 `json:"attended"`
	Events     int    `json:"events"`
}

// Annual builds the annual report for year.
func (b *Builder) Annual(ctx context.Context, year int) (*Annual, error) {
	ctx, _ = query.NewRequest(ctx)
	if err := checkYear(year); err != nil {
		return nil, err
	}
	r, err := b.read(ctx, periods{current: days.YearSpan(year), previous: days.YearSpan(year - 1)}, true)
	if err != nil {
		return nil, fmt.Errorf("annual report %d: %w", year, err)
	}
	a := &Annual{Report: KindAnnual, Year: year, Site: Site{ID: b.site.ID, Name: b.site.Name}, GeneratedAt: b.now().UTC()}
	if a.KPIs, err = b.kpiRows(ctx, r); err != nil {
		return nil, fmt.Errorf("annual report %d: %w", year, err)
	}
	kpi := func(name string) Compared {
		for _, k := range a.KPIs {
			if k.Name == name {
				return k.Compared
			}
		}
		return Compared{}
	}
	if err := b.annualVisitors(ctx, a, r, kpi); err != nil {
		return nil, fmt.Errorf("annual report %d: %w", year, err)
	}
	b.annualShares(a, r)
	b.annualTopPages(a, r)
	b.annualSocial(a, r, kpi)
	b.annualNewsletter(a, r, kpi)
	b.annualEvents(a, r, kpi)
	a.Summary = summarise(a.KPIs, false)
	r.sourceAnnual(a)
	return a, nil
}

// sourceAnnual names the sources of every collected figure of a.
func (r *reading) sourceAnnual(a *Annual) {
	r.sourceKPIs(a.KPIs)
	for i := range a.Visitors.Quarters {
		r.sourceCompared(&a.Visitors.Quarters[i].Visits, query.DatasetWebTraffic)
		r.sourceCompared(&a.Visitors.Quarters[i].Unique, query.DatasetWebVisitors)
	}
	r.sourceCompared(&a.Visitors.Year.Visits, query.DatasetWebTraffic)
	r.sourceCompared(&a.Visitors.Year.Unique, query.DatasetWebVisitors)
	for _, shares := range [][]Share{a.Channels, a.Devices} {
		for i := range shares {
			r.sourceCompared(&shares[i].Compared, query.DatasetWebTraffic)
		}
	}
	r.sourceCompared(&a.NewVisitors, query.DatasetWebVisitors)
	r.sourceCompared(&a.ReturningVisitors, query.DatasetWebVisitors)
	for i := range a.TopPages {
		r.source(&a.TopPages[i].Pageviews, query.DatasetTopPages)
	}
	if a.TopPagesOrigin == Collected {
		a.TopPagesSource = r.sources[query.DatasetTopPages]
	}
	for i := range a.Social {
		p := &a.Social[i]
		for _, c := range []*Compared{&p.Followers, &p.NewFollowers, &p.Growth} {
			r.sourceCompared(c, query.DatasetFollowers)
		}
		r.sourceCompared(&p.ReachPerMonth, query.DatasetReach)
		if len(p.Months) > 0 {
			p.MonthsSource = joinSources(r.sources[query.DatasetFollowers], r.sources[query.DatasetReach])
		}
	}
	r.sourceCompared(&a.Newsletter.Subscribers, query.DatasetSubscribers)
	for _, c := range []*Compared{&a.Newsletter.ClickRate, &a.Newsletter.OpenRate, &a.Newsletter.Campaigns} {
		r.sourceCompared(c, query.DatasetCampaigns)
	}
	r.sourceCompared(&a.Events.Held, query.DatasetEvents)
	r.sourceCompared(&a.Events.Attendance, query.DatasetEvents)
	if len(a.Events.Items) > 0 {
		a.Events.Source = r.sources[query.DatasetEvents]
	}
	if len(a.Events.BySector) > 0 {
		a.Events.SectorSource = r.sources[query.DatasetSectors]
	}
}

// joinSources joins lists of source names ("ga4, demo"), each name once.
func joinSources(lists ...string) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, n := range strings.Split(l, ", ") {
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return strings.Join(out, ", ")
}

func (b *Builder) annualVisitors(ctx context.Context, a *Annual, r *reading, kpi func(string) Compared) error {
	h := r.h
	for quarter := 1; quarter <= 4; quarter++ {
		row := QuarterVisitors{Quarter: quarter}
		for i, y := range []int{a.Year, a.Year - 1} {
			s := days.QuarterSpan(y, quarter)
			var unique *float64
			pv, err := r.data.SpanVisitors(ctx, s)
			if err != nil {
				return err
			}
			if pv != nil {
				unique = u64p(pv.Visitors)
			}
			visits := u64p(r.data.Visits(s))
			v := pick(visits, coverageOf(r.data.TrafficDays(s), s.Days()), h.figure(string(metrics.WebVisits), s, "", b.site.ID))
			u := pick(unique, whole(unique), h.figure(string(metrics.WebUniqueVisitors), s, "", b.site.ID))
			if i == 0 {
				row.Visits.Current, row.Unique.Current = v, u
			} else {
				row.Visits.Previous, row.Unique.Previous = v, u
			}
		}
		a.Visitors.Quarters = append(a.Visitors.Quarters, row)
	}
	a.Visitors.Year = QuarterVisitors{Visits: kpi(string(metrics.WebVisits)), Unique: kpi(string(metrics.WebUniqueVisitors))}
	// Visits add up: a year known only by its quarters is their sum.
	sum := func(get func(QuarterVisitors) Figure) Figure {
		var total float64
		f := Figure{Marks: Marks{Origin: Collected}}
		for _, q := range a.Visitors.Quarters {
			x := get(q)
			if !x.Known() {
				return Figure{}
			}
			total += *x.Value
			if x.Origin == Imported {
				f.Origin = Imported
			}
			f.Partial = f.Partial || x.Partial
		}
		f.Value = &total
		return f
	}
	if y := &a.Visitors.Year.Visits; !y.Current.Known() || y.Current.Partial {
		if s := sum(func(q QuarterVisitors) Figure { return q.Visits.Current }); s.Known() {
			y.Current = s
		}
	}
	if y := &a.Visitors.Year.Visits; !y.Previous.Known() || y.Previous.Partial {
		if s := sum(func(q QuarterVisitors) Figure { return q.Visits.Previous }); s.Known() {
			y.Previous = s
		}
	}
	for _, y := range []int{a.Year, a.Year - 1} {
		s := days.YearSpan(y)
		pv, err := r.data.SpanVisitors(ctx, s)
		if err != nil {
			return err
		}
		newShare, returning := pv.Shares()
		n := pick(newShare, whole(newShare), h.figure(string(metrics.WebNewShare), s, "", b.site.ID))
		ret := pick(returning, whole(returning), h.figure(string(metrics.WebReturningShare), s, "", b.site.ID))
		if y == a.Year {
			a.NewVisitors.Current, a.ReturningVisitors.Current = n, ret
		} else {
			a.NewVisitors.Previous, a.ReturningVisitors.Previous = n, ret
		}
	}
	return nil
}

// shareSet picks one origin for a whole set of shares (see resolve.go) and returns it by key.
func shareSet(collected []query.Share, cov coverage, imported []query.HistoryFigure) map[string]Figure {
	out := map[string]Figure{}
	if cov == coverWhole || (len(imported) == 0 && cov == coverPartial) {
		for _, s := range collected {
			out[s.Key] = Figure{Value: f64(s.Share), Marks: Marks{Origin: Collected, Partial: cov != coverWhole}}
		}
		return out
	}
	for i := range imported {
		out[imported[i].Item] = importedFigure(&imported[i])
	}
	return out
}

func (b *Builder) annualShares(a *Annual, r *reading) {
	type set struct {
		kpi, dimension string
		order          []string
		out            *[]Share
	}
	for _, st := range []set{
		{string(metrics.WebChannelShare), "channel", figures.Channels(), &a.Channels},
		{string(metrics.WebDeviceShare), "device", append(figures.Devices()[:1:1], metrics.DeviceMobileTablet, figures.DeviceMobile, figures.DeviceTablet, figures.DeviceOther), &a.Devices},
	} {
		byYear := map[int]map[string]Figure{}
		for _, y := range []int{a.Year, a.Year - 1} {
			s := days.YearSpan(y)
			byYear[y] = shareSet(r.data.Shares(st.dimension, s), coverageOf(r.data.TrafficDays(s), s.Days()), r.h.items(st.kpi, s, b.site.ID))
		}
		rank := map[string]int{}
		for i, k := range st.order {
			rank[k] = i
		}
		var keys []string
		seen := map[string]bool{}
		for _, y := range []int{a.Year, a.Year - 1} {
			for k := range byYear[y] {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
		value := func(y int, k string) float64 {
			if f := byYear[y][k]; f.Known() {
				return *f.Value
			}
			return -1
		}
		sort.SliceStable(keys, func(i, j int) bool {
			if vi, vj := value(a.Year, keys[i]), value(a.Year, keys[j]); vi != vj {
				return vi > vj
			}
			if vi, vj := value(a.Year-1, keys[i]), value(a.Year-1, keys[j]); vi != vj {
				return vi > vj
			}
			ri, iok := rank[keys[i]]
			rj, jok := rank[keys[j]]
			if iok != jok {
				return iok
			}
			if ri != rj {
				return ri < rj
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			*st.out = append(*st.out, Share{Key: k, Compared: Compared{Current: byYear[a.Year][k], Previous: byYear[a.Year-1][k]}})
		}
	}
}

// topPagesLimit is how many pages the report lists from collected figures.
const topPagesLimit = 10

func (b *Builder) annualTopPages(a *Annual, r *reading) {
	s := days.YearSpan(a.Year)
	pages, months, h := r.data.TopPages(topPagesLimit), r.data.TopPageMonths(), r.h
	cov := coverageOf(months, 12)
	imported := h.items(string(metrics.WebTopPage), s, b.site.ID)
	if cov == coverWhole || (len(imported) == 0 && cov == coverPartial) {
		a.TopPagesOrigin = Collected
		for i, p := range pages {
			a.TopPages = append(a.TopPages, TopPage{Rank: i + 1, Title: p.Title, Path: p.Path,
				Pageviews: Figure{Value: f64(float64(p.Pageviews)), Marks: Marks{Origin: Collected, Partial: cov != coverWhole}}})
		}
		return
	}
	if len(imported) == 0 {
		return
	}
	a.TopPagesOrigin = Imported
	for i := range imported {
		rank, _ := strconv.Atoi(imported[i].Item)
		a.TopPages = append(a.TopPages, TopPage{Rank: rank, Title: imported[i].Text, Pageviews: importedFigure(&imported[i])})
	}
	sort.SliceStable(a.TopPages, func(i, j int) bool { return a.TopPages[i].Rank < a.TopPages[j].Rank })
	a.TopPagesSource = importSource(&imported[0])
}

func (b *Builder) annualSocial(a *Annual, r *reading, kpi func(string) Compared) {
	accounts, s := r.scope.Social, days.YearSpan(a.Year)
	for _, platform := range metrics.ReportPlatforms() {
		p := Platform{
			Platform:      platform,
			Followers:     kpi(string(metrics.Followers(platform))),
			NewFollowers:  kpi(string(metrics.NewFollowers(platform))),
			Growth:        kpi(string(metrics.Growth(platform))),
			ReachPerMonth: kpi(string(metrics.ReachPerMonth(platform))),
		}
		months := make([]SocialMonth, 12)
		for i := range months {
			months[i].Month = time.Date(a.Year, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		}
		add := func(p **float64, v float64) {
			if *p == nil {
				*p = f64(0)
			}
			**p += v
		}
		collected := false
		// measured is, per month, the newest day an account's count was measured (as the KPIs sum
		// accounts); the month's last day when one was measured then.
		measured := make([]time.Time, 12)
		for _, acc := range accounts {
			if acc.Platform != platform {
				continue
			}
			collected = true
			for _, m := range r.data.MonthlyNewFollowers(acc, s) {
				i := int(m.Month.Month()) - 1
				if m.FollowersAtEnd != nil {
					add(&months[i].Followers, float64(*m.FollowersAtEnd))
					on := m.Month.AddDate(0, 1, -1)
					if m.MeasuredOn != nil {
						on = *m.MeasuredOn
					}
					if on.After(measured[i]) {
						measured[i] = on
					}
				}
				if m.NewFollowers != nil {
					add(&months[i].NewFollowers, float64(*m.NewFollowers))
				}
			}
			for _, m := range r.data.Reach(acc, days.Month, s) {
				add(&months[int(m.Start.Month())-1].Reach, float64(m.Reach))
			}
		}
		if collected {
			for i := range months {
				if last := time.Date(a.Year, time.Month(i+2), 0, 0, 0, 0, 0, time.UTC); !measured[i].IsZero() && measured[i].Before(last) {
					months[i].MeasuredOn = measured[i].Format(time.DateOnly)
				}
			}
			p.Months = months
		}
		known := false
		for _, c := range []Compared{p.Followers, p.NewFollowers, p.Growth, p.ReachPerMonth} {
			known = known || c.Current.Known() || c.Previous.Known()
		}
		if collected || known {
			a.Social = append(a.Social, p)
		}
	}
}

func (b *Builder) annualNewsletter(a *Annual, r *reading, kpi func(string) Compared) {
	p, h := r.p, r.h
	n := Newsletter{Subscribers: kpi(string(metrics.NewsletterSubscribers)), ClickRate: kpi(string(metrics.NewsletterClickRate))}
	if len(r.disc.Lists) > 0 {
		n.ListID = r.disc.Lists[0]
	}
	totals := map[time.Time]query.CampaignTotals{}
	for _, s := range p.spans() {
		if n.ListID != "" {
			totals[s.From] = query.SumCampaigns(r.data.Campaigns(s))
		}
	}
	n.OpenRate = p.compared(func(s days.Span) Figure {
		c := totals[s.From].OpenRate
		return pick(c, whole(c), h.figure(string(metrics.NewsletterOpenRate), s, "", n.ListID))
	})
	n.Campaigns = p.compared(func(s days.Span) Figure {
		imp := h.figure(string(metrics.NewsletterCampaigns), s, "", n.ListID)
		if t := totals[s.From]; t.Campaigns > 0 || !imp.Known() && n.ListID != "" {
			return Figure{Value: f64(float64(t.Campaigns)), Marks: Marks{Origin: Collected}}
		}
		return imp
	})
	a.Newsletter = n
}

func (b *Builder) annualEvents(a *Annual, r *reading, kpi func(string) Compared) {
	e := Events{Held: kpi(string(metrics.EventsHeld)), Attendance: kpi(string(metrics.EventAttendance))}
	if len(r.disc.EventAccounts) == 0 {
		a.Events = e
		return
	}
	e.AccountID = r.disc.EventAccounts[0]
	items := r.data.Events(days.YearSpan(a.Year))
	for _, ev := range items {
		e.Items = append(e.Items, Event{ID: ev.ID, Date: ev.StartsAt.In(b.loc).Format(time.DateOnly), Kind: ev.Kind,
			Title: ev.Title, Registered: ev.Registered, OnSite: ev.AttendedOnSite, Digital: ev.AttendedDigital,
			Attended: ev.Attended, Sectors: ev.Sectors})
	}
	for _, k := range query.SumByKind(items, figures.EventKinds()) {
		e.ByKind = append(e.ByKind, KindTotal{Kind: k.Kind, Events: k.Events, Attended: k.Attended, WithAttendance: k.WithAttendance})
	}
	for _, s := range query.SumSectors(items, figures.Sectors()) {
		if s.Events > 0 {
			e.BySector = append(e.BySector, SectorTotal{Sector: s.Sector, Registered: s.Registered, Attended: s.Attended, Events: s.Events})
		}
	}
	a.Events = e
}
