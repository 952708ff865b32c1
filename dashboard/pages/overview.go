package pages

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/config"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// OverviewCSVPath is the address of the overview's KPI table as CSV.
const OverviewCSVPath = "/oversikt.csv"

// overviewView is what the overview adds to a topic page: the freshness strip, the KPI cards and
// the events lists.
type overviewView struct {
	Sources   []sourceView
	NoSources bool
	Cards     []kpiCard
	Upcoming  []eventLine
	Recent    []eventLine
	// EventsLink leads to the events page with the same period.
	EventsLink string
	// Silent names the daily levels (followers, subscribers) whose last measurement is
	// silentAfterDays or more before the span's end (or today): a source that stopped
	// delivering, whether or not its runs still succeed (the strip grades runs only).
	Silent []string
}

// sourceView is one source on the freshness strip.
type sourceView struct {
	Name      string
	State     string // ok, warning, broken, running, disabled: a CSS class
	StateText string // the state in words, so colour is never the only signal
	Lines     []string
	Error     string
	// sourceControl: a run under way, and the admin's Start button and runs page (source_control.go).
	sourceControl
}

// kpiCard is one KPI on the overview.
type kpiCard struct {
	Title   string
	Value   string
	Missing string // why the value is unknown, when it is
	Partial string // the reports' words for a value that covers part of its period (query.KPIValue.Partial)
	AsOf    string
	Sub     string
	Changes []changeView
	Spark   template.HTML
	Target  *targetView
	Link    string
	// Definition is the figure's definition from the catalogue (metrics.Metric.Definition).
	Definition string
}

type changeView struct {
	Label, Text, Class string
}

type targetView struct {
	Text string
	// Percent is progress 0–100 for the bar (capped); the text carries the real figure.
	Percent int
	Behind  bool
}

type eventLine struct {
	Date, Kind, Title, Attendance string
}

// overviewCards are the KPIs shown as cards, with the page each leads to.
func overviewCards() []overviewCard {
	return []overviewCard{
		{metrics.WebVisits, "/nettsted"},
		{metrics.WebUniqueVisitors, "/nettsted"},
		{metrics.FollowersFacebook, "/sosiale-medier"},
		{metrics.FollowersInstagram, "/sosiale-medier"},
		{metrics.FollowersLinkedIn, "/sosiale-medier"},
		{metrics.NewsletterSubscribers, "/nyhetsbrev"},
		{metrics.NewsletterLastClickRate, "/nyhetsbrev"},
		{metrics.EventsHeld, "/arrangementer"},
		{metrics.Publications, ""},
	}
}

type overviewCard struct {
	kpi  metrics.Name
	link string
}

// upcomingShown and recentShown bound the overview's events lists.
const (
	upcomingShown = 5
	recentShown   = 5
)

func (r *request) kpiScope() query.KPIScope {
	return query.KPIScope{SiteID: r.site.ID, Social: r.social, ListID: r.list, EventAccount: r.account, Feeds: r.feeds, Location: r.loc, Today: r.today}
}

func (p *Pages) Overview(c *fiber.Ctx) error {
	r, err := p.parseRequest(c)
	if err != nil {
		return err
	}
	l := r.lang
	r.cover()
	query.CoverUpcoming(r.ctx, r.now, r.loc) // the events list: read with the KPIs' events
	view := topicView{
		Layout:   p.render.Layout(c, l, l.T("overview.title")),
		Heading:  l.T("overview.title"),
		Intro:    l.T("overview.intro"),
		Picker:   p.picker(r, "/", false),
		Overview: &overviewView{EventsLink: r.link("/arrangementer")},
	}
	view.Showing, view.Comparing = showing(l, r.span), l.T("overview.comparing",
		spanName(l, r.span.Previous()), spanName(l, r.span.YearEarlier()))
	// The freshness strip, the KPIs, the events lists and the sources note read different rows
	// (the KPIs and the lists share the events, which the request reads once): read them side by
	// side, as topic pages build their figures.
	notes := &figure{}
	notes.cite(r.span,
		datasetKeys{query.DatasetWebTraffic, []string{r.site.ID}}, datasetKeys{query.DatasetWebVisitors, []string{r.site.ID}},
		datasetKeys{query.DatasetFollowers, socialKeys(r.social)}, datasetKeys{query.DatasetSubscribers, []string{r.list}},
		datasetKeys{query.DatasetCampaigns, []string{r.list}}, datasetKeys{query.DatasetEvents, []string{r.account}},
		datasetKeys{query.DatasetPublications, r.feeds})
	var values []query.KPIValue
	g := new(errgroup.Group)
	g.SetLimit(figureConcurrency)
	g.Go(func() (err error) {
		view.Overview.Sources, err = p.freshness(r)
		return err
	})
	g.Go(func() (err error) {
		if values, err = p.queries.KPIValues(r.ctx, metrics.OverviewKPIs(), r.kpiScope(), r.span, days.DefaultGrain(r.span), p.targets); err != nil {
			return fmt.Errorf("overview: %w", err)
		}
		return nil
	})
	g.Go(func() error { return p.eventLists(r, view.Overview) })
	g.Go(func() error {
		if err := p.citeSources(r, []*figure{notes}); err != nil {
			return fmt.Errorf("overview: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	view.Overview.NoSources = len(view.Overview.Sources) == 0

	by := map[metrics.Name]query.KPIValue{}
	for _, v := range values {
		by[v.Def.Name] = v
	}
	view.Overview.Silent = silentLevels(r, values, p.cfg.Sources)
	for _, card := range overviewCards() {
		v := by[card.kpi]
		k := p.card(r, v)
		if card.link != "" {
			k.Link = r.link(card.link)
		}
		if card.kpi == metrics.EventsHeld {
			if a := by[metrics.EventAttendance]; a.Current != nil {
				k.Sub = l.T("overview.attendance", count(l, *a.Current))
			}
		}
		view.Overview.Cards = append(view.Overview.Cards, k)
	}
	fig := p.kpiFigure(r, values)
	fig.ID, fig.Lang, fig.CSV = "nokkeltall", l, r.link(OverviewCSVPath)
	fig.Sources = notes.Sources
	view.Figures = []*figure{fig}
	return p.render.Send(c, "dashboard", view)
}

func (p *Pages) OverviewCSV(c *fiber.Ctx) error {
	r, err := p.parseRequest(c)
	if err != nil {
		return err
	}
	values, err := p.queries.KPIValues(r.ctx, metrics.OverviewKPIs(), r.kpiScope(), r.span, days.DefaultGrain(r.span), p.targets)
	if err != nil {
		return fmt.Errorf("overview csv: %w", err)
	}
	return sendCSV(c, r, export.FileName("csv", "oversikt", spanFileName(r.span)), p.kpiFigure(r, values).Table)
}

// kpiName is a KPI's name on screen.
func kpiName(l i18n.Lang, k metrics.Name) string { return l.T("kpi." + string(k)) }

// card builds one KPI card.
func (p *Pages) card(r *request, v query.KPIValue) kpiCard {
	l := r.lang
	k := kpiCard{Title: kpiName(l, v.Def.Name), Value: kpiText(l, v.Def, v.Current), Definition: v.Def.Definition.In(l)}
	if v.Current == nil {
		k.Missing = unknownWhy(l, v)
	} else if v.Partial {
		k.Partial = l.T("report.legend_partial")
	}
	switch {
	case v.MeasuredOn != nil:
		// The source's last measurement is before the span's end: say so, never "on <end>".
		k.AsOf = l.T("overview.last_measured", kit.ShortDate(l, *v.MeasuredOn))
	case v.Def.Shape == metrics.ShapeLevel:
		k.AsOf = l.T("overview.as_of", kit.ShortDate(l, v.Span.To))
	case v.Def.Shape == metrics.ShapeRate:
		if v.Def.Name == metrics.NewsletterLastClickRate {
			k.AsOf = l.T("overview.last_send_before", kit.ShortDate(l, v.Span.To))
		} else {
			k.AsOf = spanName(l, v.Span)
		}
	default:
		k.AsOf = spanName(l, v.Span)
	}
	if v.Current == nil {
		// Nothing to compare: the reason says it once.
		k.Spark = sparkline(v.Points)
		if t := v.Target; t != nil {
			k.Target = targetOf(l, v.Def, t)
		}
		return k
	}
	k.Changes = []changeView{changeOf(l, v.Def, v.Current, v.Previous, l.T("overview.vs_previous", spanName(l, v.PreviousSpan)))}
	// A year's previous period is the year before: one line says it.
	if !v.YearEarlierSpan.From.Equal(v.PreviousSpan.From) || !v.YearEarlierSpan.To.Equal(v.PreviousSpan.To) {
		k.Changes = append(k.Changes, changeOf(l, v.Def, v.Current, v.YearEarlier, l.T("overview.vs_year", spanName(l, v.YearEarlierSpan))))
	}
	k.Spark = sparkline(v.Points)
	if t := v.Target; t != nil {
		k.Target = targetOf(l, v.Def, t)
	}
	return k
}

func changeOf(l i18n.Lang, def metrics.Metric, cur, earlier *float64, label string) changeView {
	ch := def.Compare(cur, earlier)
	cv := changeView{Label: label, Text: changeText(l, def, ch), Class: changeClass(ch)}
	if ch == nil {
		cv.Text = l.T("overview.no_comparison")
	} else {
		cv.Text += " (" + kpiText(l, def, earlier) + ")"
	}
	return cv
}

func targetOf(l i18n.Lang, def metrics.Metric, t *query.TargetProgress) *targetView {
	tv := &targetView{}
	target := kpiText(l, def, &t.Target)
	if t.Share == nil {
		tv.Text = l.T("target.unknown", t.Year, target)
		return tv
	}
	tv.Percent = int(math.Min(100, math.Max(0, math.Round(*t.Share*100))))
	tv.Text = l.T("target.progress", t.Year, target, percent(l, *t.Share, 0))
	if t.Expected != nil && *t.Value < *t.Expected {
		tv.Behind = true
		tv.Text += " " + l.T("target.behind", kpiText(l, def, t.Expected))
	}
	return tv
}

// sparkline draws the points as a small SVG line; a missing point breaks the line. It is
// decoration (aria-hidden): the numbers are in the KPI table.
func sparkline(points []query.KPIPoint) template.HTML {
	const w, h, pad = 120.0, 32.0, 2.0
	lo, hi := math.Inf(1), math.Inf(-1)
	n := 0
	for _, pt := range points {
		if pt.Value != nil {
			lo, hi = math.Min(lo, *pt.Value), math.Max(hi, *pt.Value)
			n++
		}
	}
	if n < 2 {
		return ""
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	step := (w - 2*pad) / float64(max(len(points)-1, 1))
	var d strings.Builder
	pen := false
	for i, pt := range points {
		if pt.Value == nil {
			pen = false
			continue
		}
		x := pad + float64(i)*step
		y := h - pad - (*pt.Value-lo)/(hi-lo)*(h-2*pad)
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		d.WriteString(cmd + strconv.FormatFloat(x, 'f', 1, 64) + " " + strconv.FormatFloat(y, 'f', 1, 64) + " ")
		pen = true
	}
	// Only numbers we formatted go into the markup.
	return template.HTML(`<svg class="spark" viewBox="0 0 120 32" width="120" height="32" aria-hidden="true" focusable="false"><path d="` +
		strings.TrimSpace(d.String()) + `"/></svg>`)
}

// kpiFigure is the overview's table of every KPI with both comparisons and target progress; it
// is also /oversikt.csv.
func (p *Pages) kpiFigure(r *request, values []query.KPIValue) *figure {
	l := r.lang
	f := &figure{Title: l.T("overview.table.title"), Intro: l.T("overview.table.intro")}
	t := &table{Caption: f.Title + " – " + spanName(l, r.span), Head: []column{
		{Label: l.T("overview.table.kpi")},
		{Label: spanName(l, r.span), Num: true},
		{Label: l.T("overview.table.previous"), Num: true},
		{Label: l.T("overview.table.change"), Num: true},
		{Label: l.T("overview.table.year_earlier"), Num: true},
		{Label: l.T("overview.table.change"), Num: true},
		{Label: l.T("overview.table.target"), Num: true},
		{Label: l.T("overview.table.progress"), CSVLabel: l.T("overview.table.progress_pct"), Num: true},
	}}
	why := l.T("missing.no_data")
	// A value covering part of its period is marked as the reports mark it: "(delvis)" and a note.
	partial := func(c cell, yes bool) cell {
		if yes {
			c.Aside, c.Class = joinNotes(c.Aside, l.T("report.marker_partial")), "partial"
			c.Note = joinNotes(c.Note, l.T("report.marker_partial"))
		}
		return c
	}
	anyPartial := false
	for _, v := range values {
		anyPartial = anyPartial || v.Partial || v.PreviousPartial || v.YearEarlierPartial
		row := []cell{{Text: kpiName(l, v.Def.Name), CSV: kpiName(l, v.Def.Name) + " (" + string(v.Def.Name) + ")", RowHeader: true},
			partial(measuredCell(l, kpiCell(l, v.Def, v.Current, unknownWhy(l, v)), v.MeasuredOn), v.Partial),
			partial(measuredCell(l, kpiCell(l, v.Def, v.Previous, why), v.PreviousMeasuredOn), v.PreviousPartial),
			changeCell(l, v.Def, v.Current, v.Previous), partial(measuredCell(l, kpiCell(l, v.Def, v.YearEarlier, why), v.YearEarlierMeasuredOn), v.YearEarlierPartial),
			changeCell(l, v.Def, v.Current, v.YearEarlier)}
		if tp := v.Target; tp != nil {
			row = append(row, kpiCell(l, v.Def, &tp.Target, ""), pctCell(l, tp.Share, 0, why))
		} else {
			row = append(row, missingCell(l.T("target.none")), missingCell(l.T("target.none")))
		}
		t.Rows = append(t.Rows, row)
	}
	f.Table = t
	// The definitions are the catalogue's, one per KPI in the table.
	for _, v := range values {
		f.Notes = append(f.Notes, kpiName(l, v.Def.Name)+": "+v.Def.Definition.In(l))
	}
	if anyPartial {
		f.Notes = append(f.Notes, l.T("report.legend_partial"))
	}
	f.Notes = append(f.Notes, l.T("overview.compared", spanDates(l, r.span.Previous()), spanDates(l, r.span.YearEarlier())))
	return f
}

// unknownWhy says why a KPI's current value is unknown: a figure per whole period (unique
// visitors) of a period not over yet, or the shape's reason.
func unknownWhy(l i18n.Lang, v query.KPIValue) string {
	if v.Running && v.Def.Shape == metrics.ShapePeriod {
		return l.T("kpi.unknown.running")
	}
	return l.T("kpi.unknown." + string(v.Def.Shape))
}

// kpiCell is a KPI value in its unit: a count, or a rate in percent with one decimal.
func kpiCell(l i18n.Lang, def metrics.Metric, v *float64, why string) cell {
	if v == nil {
		return missingCell(why)
	}
	if def.Percent() {
		return pctCell(l, v, 1, why)
	}
	n := int64(math.Round(*v))
	return intCell(l, n)
}

// measuredCell adds "last measured <day>" to a level read before the span's end; the CSV keeps
// the plain number and says it in the note column (ISO day).
func measuredCell(l i18n.Lang, c cell, on *time.Time) cell {
	if on != nil {
		c.Aside = joinNotes(c.Aside, l.T("overview.last_measured", kit.ShortDate(l, *on)))
		c.Note = joinNotes(c.Note, l.T("overview.last_measured", on.Format(time.DateOnly)))
	}
	return c
}

// joinNotes adds a note to a cell's notes.
func joinNotes(notes, more string) string {
	if notes == "" {
		return more
	}
	return notes + ", " + more
}

// changeCell shows a change as text ("+12 %", "−1,2 pp") and exports the plain difference.
func changeCell(l i18n.Lang, def metrics.Metric, cur, earlier *float64) cell {
	ch := def.Compare(cur, earlier)
	if ch == nil {
		return missingCell(l.T("overview.no_comparison"))
	}
	if def.Percent() {
		// "+1,0 p.p." with the words on hover: the table's change columns stay narrow.
		text := strings.TrimSuffix(changeText(l, def, ch), " "+l.T("change.pp"))
		return cell{Text: text, CSV: decimal(l, ch.Delta*100, 2), Num: true, Class: changeClass(ch),
			Abbr: l.T("report.points_short"), AbbrTitle: l.T("change.pp")}
	}
	raw := strconv.FormatInt(int64(math.Round(ch.Delta)), 10)
	return cell{Text: changeText(l, def, ch), CSV: raw, Num: true, Class: changeClass(ch)}
}

// levelSourceType is the source type that writes a daily level (followers, subscribers), or ""
// for a figure that is no daily level.
func levelSourceType(name metrics.Name) string {
	switch name {
	case metrics.FollowersFacebook:
		return "facebook"
	case metrics.FollowersInstagram:
		return "instagram"
	case metrics.FollowersLinkedIn:
		return "linkedin"
	case metrics.NewsletterSubscribers:
		return "mailchimp"
	}
	return ""
}

// silentAfterDays is how many days without a measurement make a level silent: the longest
// query.StaleAfter of the enabled sources that write it (3 days, or twice a longer interval).
func silentAfterDays(typ string, sources []config.Source) int {
	after := query.StaleAfterDays
	for _, s := range sources {
		if s.Type == typ && !s.Disabled {
			after = max(after, query.StaleAfter(s.Interval))
		}
	}
	return after
}

// silentLevels words every daily level whose newest measurement is silentAfterDays or more before
// the span's last day (today for a running span): its source has stopped delivering. Levels never
// measured by then are left to their cards ("–").
func silentLevels(r *request, values []query.KPIValue, sources []config.Source) []string {
	end := r.span.To
	if today := days.Of(r.now, r.loc); today.Before(end) {
		end = today
	}
	var out []string
	for _, v := range values {
		typ := levelSourceType(v.Def.Name)
		if typ == "" {
			continue // sends and events are not daily: a quiet month is no silence
		}
		if v.LastMeasured == nil {
			continue
		}
		if lag := int(end.Sub(*v.LastMeasured).Hours() / 24); lag >= silentAfterDays(typ, sources) {
			out = append(out, r.lang.T("overview.silent", kpiName(r.lang, v.Def.Name), kit.ShortDate(r.lang, *v.LastMeasured), lag))
		}
	}
	return out
}

// freshness is the strip of sources: the configured ones and every other with runs on record.
func (p *Pages) freshness(r *request) ([]sourceView, error) {
	var enabled, disabled []string
	intervals := map[string]time.Duration{}
	for _, s := range p.cfg.Sources {
		intervals[s.ID] = s.Interval
		if s.Disabled {
			disabled = append(disabled, s.ID)
		} else {
			enabled = append(enabled, s.ID)
		}
	}
	list, err := p.queries.SourceFreshness(r.ctx, query.FreshnessOptions{Enabled: enabled, Disabled: disabled, Now: r.now, Location: r.loc, Intervals: intervals})
	if err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	l := r.lang
	out := make([]sourceView, 0, len(list))
	for _, f := range list {
		sv := sourceView{Name: f.Source, State: string(f.State), StateText: l.T("state." + string(f.State))}
		for _, reason := range f.Reasons {
			if reason == query.ReasonStale {
				sv.Lines = append(sv.Lines, l.T("reason."+reason, f.StaleAfterDays))
			} else {
				sv.Lines = append(sv.Lines, l.T("reason."+reason))
			}
		}
		if f.Runs != nil && f.Runs.LastOK != nil {
			sv.Lines = append(sv.Lines, l.T("fresh.last_ok", kit.DateTime(l, *f.Runs.LastOK, r.loc)))
		}
		if f.Runs != nil && f.Runs.DataThrough != nil && f.LagDays != nil {
			sv.Lines = append(sv.Lines, l.T("fresh.through", kit.ShortDate(l, *f.Runs.DataThrough), *f.LagDays))
		}
		if e := f.FirstExpiry; e != nil {
			days := int(math.Round(e.Sub(r.now).Hours() / 24))
			if e.After(r.now) {
				sv.Lines = append(sv.Lines, l.T("fresh.expires", kit.ShortDate(l, utcDate(e.In(r.loc))), days))
			} else {
				sv.Lines = append(sv.Lines, l.T("fresh.expired", kit.ShortDate(l, utcDate(e.In(r.loc)))))
			}
		}
		if f.Runs != nil && f.Runs.LastError != "" && f.State != query.StateOK {
			sv.Error = kit.ClipText(kit.Redact(p.cfg, f.Runs.LastError), 240)
		}
		p.control(r.c, l, &sv, f)
		out = append(out, sv)
	}
	return out, nil
}

// eventLists fills the upcoming events and the span's most recent ones.
func (p *Pages) eventLists(r *request, o *overviewView) error {
	if r.account == "" {
		return nil
	}
	up, err := p.queries.UpcomingEvents(r.ctx, r.account, r.now, upcomingShown)
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	for _, e := range up {
		o.Upcoming = append(o.Upcoming, p.eventLine(r, e))
	}
	recent, err := p.spanEvents(r, r.span)
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	for i := len(recent) - 1; i >= 0 && len(o.Recent) < recentShown; i-- {
		if recent[i].StartsAt.After(r.now) {
			continue
		}
		o.Recent = append(o.Recent, p.eventLine(r, recent[i]))
	}
	return nil
}

func (p *Pages) eventLine(r *request, e query.Event) eventLine {
	l := r.lang
	line := eventLine{Date: kit.ShortDate(l, utcDate(e.StartsAt.In(r.loc))), Kind: kit.KeyName(l, "kind", e.Kind), Title: e.Title}
	switch {
	case e.Attended != nil && e.Registered != nil:
		line.Attendance = l.T("overview.attended_of", l.Count(uint64(*e.Attended)), l.Count(uint64(*e.Registered)))
	case e.Attended != nil:
		line.Attendance = l.T("overview.attended", l.Count(uint64(*e.Attended)))
	case e.Registered != nil:
		line.Attendance = l.T("overview.registered", l.Count(uint64(*e.Registered)))
	}
	return line
}
