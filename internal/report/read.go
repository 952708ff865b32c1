package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/metrics"
	"github.com/innomed/rekkevidde/internal/query"
)

// reading is everything one report reads, each once: the discovery of what the database holds,
// the imported figures of the report's years, every figure table over the stretch the report
// compares (query.ReportData), and which sources wrote those rows (provenance). Every figure of
// the report is derived from it, so a report costs the same handful of queries whatever it shows.
type reading struct {
	p     periods
	h     history
	scope query.KPIScope
	disc  query.Discovery
	data  *query.ReportData
	// sources names, per dataset, the sources that wrote the rows read ("ga4", "demo, form").
	sources map[query.Dataset]string
}

// read reads what a report over p needs; annual adds the year's top-page lists and the events'
// sector rows.
func (b *Builder) read(ctx context.Context, p periods, annual bool) (*reading, error) {
	d, err := b.q.Discover(ctx, b.site.ID, b.loc)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &reading{p: p, disc: d, scope: d.Scope(b.site.ID, b.loc)}
	r.scope.Today = days.Of(b.now(), b.loc) // decides which periods are still running (query.KPIValue.Partial)
	lo, hi := p.stretch()
	var pages *days.Span
	if annual {
		pages = &p.current
	}
	// Three reads side by side; ReadReport bounds its own.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		r.h, err = b.loadHistory(gctx, lo.Year(), hi.Year())
		return err
	})
	g.Go(func() (err error) {
		r.data, err = b.q.ReadReport(gctx, r.scope, lo, hi, pages)
		return err
	})
	g.Go(func() (err error) {
		r.sources, err = b.provenance(gctx, r.scope, lo, hi, annual)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return r, nil
}

// provenance reads which sources wrote the rows of every dataset the report shows, over its
// stretch, in one query.
func (b *Builder) provenance(ctx context.Context, scope query.KPIScope, lo, hi time.Time, annual bool) (map[query.Dataset]string, error) {
	var accounts []string
	for _, a := range scope.Social {
		accounts = append(accounts, a.AccountID)
	}
	var sets []query.ProvenanceSet
	stretch := days.Span{Kind: days.Custom, From: lo, To: hi, End: hi}
	add := func(d query.Dataset, keys ...string) {
		// No keys would mean every key: a dataset the scope has nothing of is left out.
		if len(keys) > 0 && keys[0] != "" {
			sets = append(sets, query.ProvenanceSet{Dataset: d, Keys: keys, Span: stretch})
		}
	}
	add(query.DatasetWebTraffic, scope.SiteID)
	add(query.DatasetWebVisitors, scope.SiteID)
	add(query.DatasetFollowers, accounts...)
	add(query.DatasetReach, accounts...)
	add(query.DatasetSubscribers, scope.ListID)
	add(query.DatasetCampaigns, scope.ListID)
	add(query.DatasetEvents, scope.EventAccount)
	add(query.DatasetPublications, scope.Feeds...)
	if annual {
		add(query.DatasetTopPages, scope.SiteID)
		add(query.DatasetSectors, scope.EventAccount)
	}
	uses, err := b.q.ProvenanceOf(ctx, sets, b.loc)
	if err != nil {
		return nil, fmt.Errorf("report sources: %w", err)
	}
	out := map[query.Dataset]string{}
	for i, set := range sets {
		var names []string
		for _, u := range uses[i] {
			if u.Source != "" {
				names = append(names, u.Source)
			}
		}
		out[set.Dataset] = strings.Join(names, ", ")
	}
	return out, nil
}

// kpiDataset is the figure table a KPI of the reports is computed from, by its reader family
// (metrics.Metric.Reader).
func kpiDataset(name string) query.Dataset {
	m, _ := metrics.Lookup(name)
	return map[metrics.Reader]query.Dataset{
		metrics.ReadTraffic:        query.DatasetWebTraffic,
		metrics.ReadPeriodVisitors: query.DatasetWebVisitors,
		metrics.ReadTopPages:       query.DatasetTopPages,
		metrics.ReadFollowers:      query.DatasetFollowers,
		metrics.ReadGrowth:         query.DatasetFollowers,
		metrics.ReadReach:          query.DatasetReach,
		metrics.ReadSubscribers:    query.DatasetSubscribers,
		metrics.ReadCampaigns:      query.DatasetCampaigns,
		metrics.ReadEvents:         query.DatasetEvents,
		metrics.ReadPublications:   query.DatasetPublications,
	}[m.Reader]
}

// source fills in where a collected figure's rows come from; an imported figure already names
// its import.
func (r *reading) source(f *Figure, d query.Dataset) {
	if f.Known() && f.Origin == Collected {
		f.Source = r.sources[d]
	}
}

// sourceCompared is source for every figure of c.
func (r *reading) sourceCompared(c *Compared, d query.Dataset) {
	r.source(&c.Current, d)
	r.source(&c.Previous, d)
	if c.YearEarlier != nil {
		r.source(c.YearEarlier, d)
	}
}

// sourceKPIs names the sources of every KPI's figures.
func (r *reading) sourceKPIs(kpis []KPI) {
	for i := range kpis {
		r.sourceCompared(&kpis[i].Compared, kpiDataset(kpis[i].Name))
	}
}
