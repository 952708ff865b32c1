package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
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
	TopPages       []TopPage  `json:"top_pages"`
	TopPagesOrigin Origin     `json:"top_pages_origin,omitempty"`
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
	h, err := b.loadHistory(ctx, year-1, year)
	if err != nil {
		return nil, err
	}
	p := periods{current: days.YearSpan(year), previous: days.YearSpan(year - 1)}
	a := &Annual{Report: KindAnnual, Year: year, Site: Site{ID: b.site.ID, Name: b.site.Name}, GeneratedAt: b.now().UTC()}
	if a.KPIs, err = b.kpiRows(ctx, p, h); err != nil {
		return nil, err
	}
	kpi := func(name string) Compared {
		for _, k := range a.KPIs {
			if k.Name == name {
				return k.Compared
			}
		}
		return Compared{}
	}
	steps := []func() error{
		func() error { return b.annualVisitors(ctx, a, h, kpi) },
		func() error { return b.annualShares(ctx, a, h) },
		func() error { return b.annualTopPages(ctx, a, h) },
		func() error { return b.annualSocial(ctx, a, kpi) },
		func() error { return b.annualNewsletter(ctx, a, h, p, kpi) },
		func() error { return b.annualEvents(ctx, a, kpi) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("annual report %d: %w", year, err)
		}
	}
	a.Summary = summarise(a.KPIs, false)
	return a, nil
}

func (b *Builder) annualVisitors(ctx context.Context, a *Annual, h history, kpi func(string) Compared) error {
	rows := map[int]map[int]query.QuarterVisitors{}
	for _, y := range []int{a.Year, a.Year - 1} {
		qs, err := b.q.QuarterlyVisitors(ctx, b.site.ID, y)
		if err != nil {
			return err
		}
		rows[y] = map[int]query.QuarterVisitors{}
		for _, r := range qs {
			rows[y][r.Quarter] = r
		}
	}
	for quarter := 1; quarter <= 4; quarter++ {
		row := QuarterVisitors{Quarter: quarter}
		for i, y := range []int{a.Year, a.Year - 1} {
			s := days.QuarterSpan(y, quarter)
			var visits, unique *float64
			if r, ok := rows[y][quarter]; ok {
				visits, unique = f64(float64(r.Visits)), u64p(r.UniqueVisitors)
			}
			days, err := b.q.TrafficDays(ctx, b.site.ID, s.From, s.To)
			if err != nil {
				return err
			}
			v := pick(visits, coverageOf(days, s.Days()), h.figure(string(metrics.WebVisits), s, "", b.site.ID))
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
		f := Figure{Origin: Collected}
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
		pv, err := b.q.YearVisitors(ctx, b.site.ID, y)
		if err != nil {
			return err
		}
		newShare, returning := pv.Shares()
		s := days.YearSpan(y)
		n := pick(newShare, whole(newShare), h.figure(string(metrics.WebNewShare), s, "", b.site.ID))
		r := pick(returning, whole(returning), h.figure(string(metrics.WebReturningShare), s, "", b.site.ID))
		if y == a.Year {
			a.NewVisitors.Current, a.ReturningVisitors.Current = n, r
		} else {
			a.NewVisitors.Previous, a.ReturningVisitors.Previous = n, r
		}
	}
	return nil
}

// shareSet picks one origin for a whole set of shares (see resolve.go) and returns it by key.
func shareSet(collected []query.Share, cov coverage, imported []query.HistoryFigure) map[string]Figure {
	out := map[string]Figure{}
	if cov == coverWhole || (len(imported) == 0 && cov == coverPartial) {
		for _, s := range collected {
			out[s.Key] = Figure{Value: f64(s.Share), Origin: Collected, Partial: cov != coverWhole}
		}
		return out
	}
	for i := range imported {
		out[imported[i].Item] = importedFigure(&imported[i])
	}
	return out
}

func (b *Builder) annualShares(ctx context.Context, a *Annual, h history) error {
	type set struct {
		kpi   string
		order []string
		read  func(ctx context.Context, site string, from, to time.Time) ([]query.Share, error)
		out   *[]Share
	}
	for _, st := range []set{
		{string(metrics.WebChannelShare), figures.Channels(), b.q.ChannelShares, &a.Channels},
		{string(metrics.WebDeviceShare), append(figures.Devices()[:1:1], metrics.DeviceMobileTablet, figures.DeviceMobile, figures.DeviceTablet, figures.DeviceOther), b.q.DeviceShares, &a.Devices},
	} {
		byYear := map[int]map[string]Figure{}
		for _, y := range []int{a.Year, a.Year - 1} {
			s := days.YearSpan(y)
			shares, err := st.read(ctx, b.site.ID, s.From, s.To)
			if err != nil {
				return err
			}
			days, err := b.q.TrafficDays(ctx, b.site.ID, s.From, s.To)
			if err != nil {
				return err
			}
			byYear[y] = shareSet(shares, coverageOf(days, s.Days()), h.items(st.kpi, s, b.site.ID))
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
	return nil
}

// topPagesLimit is how many pages the report lists from collected figures.
const topPagesLimit = 10

func (b *Builder) annualTopPages(ctx context.Context, a *Annual, h history) error {
	s := days.YearSpan(a.Year)
	pages, err := b.q.TopPages(ctx, b.site.ID, s.From, s.To, topPagesLimit)
	if err != nil {
		return err
	}
	months, err := b.q.TopPageMonths(ctx, b.site.ID, s.From, s.To)
	if err != nil {
		return err
	}
	cov := coverageOf(months, 12)
	imported := h.items(string(metrics.WebTopPage), s, b.site.ID)
	if cov == coverWhole || (len(imported) == 0 && cov == coverPartial) {
		a.TopPagesOrigin = Collected
		for i, p := range pages {
			a.TopPages = append(a.TopPages, TopPage{Rank: i + 1, Title: p.Title, Path: p.Path,
				Pageviews: Figure{Value: f64(float64(p.Pageviews)), Origin: Collected, Partial: cov != coverWhole}})
		}
		return nil
	}
	if len(imported) == 0 {
		return nil
	}
	a.TopPagesOrigin = Imported
	for i := range imported {
		rank, _ := strconv.Atoi(imported[i].Item)
		a.TopPages = append(a.TopPages, TopPage{Rank: rank, Title: imported[i].Text, Pageviews: importedFigure(&imported[i])})
	}
	sort.SliceStable(a.TopPages, func(i, j int) bool { return a.TopPages[i].Rank < a.TopPages[j].Rank })
	return nil
}

func (b *Builder) annualSocial(ctx context.Context, a *Annual, kpi func(string) Compared) error {
	d, err := b.discover(ctx)
	if err != nil {
		return err
	}
	accounts, s := d.Social, days.YearSpan(a.Year)
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
			mf, err := b.q.MonthlyNewFollowers(ctx, acc.Platform, acc.AccountID, s.From, s.To)
			if err != nil {
				return err
			}
			for _, m := range mf {
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
			reach, err := b.q.ReachBetween(ctx, acc.Platform, acc.AccountID, days.Month, s.From, s.To)
			if err != nil {
				return err
			}
			for _, r := range reach {
				add(&months[int(r.Start.Month())-1].Reach, float64(r.Reach))
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
	return nil
}

func (b *Builder) annualNewsletter(ctx context.Context, a *Annual, h history, p periods, kpi func(string) Compared) error {
	d, err := b.discover(ctx)
	if err != nil {
		return err
	}
	lists := d.Lists
	n := Newsletter{Subscribers: kpi(string(metrics.NewsletterSubscribers)), ClickRate: kpi(string(metrics.NewsletterClickRate))}
	if len(lists) > 0 {
		n.ListID = lists[0]
	}
	totals := map[time.Time]query.CampaignTotals{}
	for _, s := range p.spans() {
		if n.ListID == "" {
			continue
		}
		cs, err := b.q.SpanCampaigns(ctx, n.ListID, s, b.loc)
		if err != nil {
			return err
		}
		totals[s.From] = query.SumCampaigns(cs)
	}
	n.OpenRate = p.compared(func(s days.Span) Figure {
		c := totals[s.From].OpenRate
		return pick(c, whole(c), h.figure(string(metrics.NewsletterOpenRate), s, "", n.ListID))
	})
	n.Campaigns = p.compared(func(s days.Span) Figure {
		imp := h.figure(string(metrics.NewsletterCampaigns), s, "", n.ListID)
		if t := totals[s.From]; t.Campaigns > 0 || !imp.Known() && n.ListID != "" {
			return Figure{Value: f64(float64(t.Campaigns)), Origin: Collected}
		}
		return imp
	})
	a.Newsletter = n
	return nil
}

func (b *Builder) annualEvents(ctx context.Context, a *Annual, kpi func(string) Compared) error {
	e := Events{Held: kpi(string(metrics.EventsHeld)), Attendance: kpi(string(metrics.EventAttendance))}
	d, err := b.discover(ctx)
	if err != nil {
		return err
	}
	accounts := d.EventAccounts
	if len(accounts) == 0 {
		a.Events = e
		return nil
	}
	e.AccountID = accounts[0]
	items, err := b.q.SpanEvents(ctx, e.AccountID, days.YearSpan(a.Year), b.loc)
	if err != nil {
		return err
	}
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
	return nil
}
