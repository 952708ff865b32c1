package matomo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/collectors"
	"github.com/innomed/rekkevidde/internal/days"
	"github.com/innomed/rekkevidde/internal/figures"
)

// untitled is Matomo's label for pageviews sent without a title (language=en).
const untitled = "Page Name not defined"

// monthPages is a month's top-page list and, per page, the address its titles are matched by.
type monthPages struct {
	pages []figures.TopPage
	urls  []string
}

// collectTopPages fetches the whole top-page list of every month due in this step into pages,
// untitled; collectTitles fills in the titles. A month that fails is left out, the others kept.
func (c *collector) collectTopPages(ctx context.Context, due []days.Period, pages map[time.Time]*monthPages) error {
	var errs []error
	for _, p := range due {
		if p.Kind != days.Month {
			continue
		}
		list, err := c.topPages(ctx, p.Start)
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		pages[p.Start] = list
	}
	return errors.Join(errs...)
}

// collectTitles gives each listed page the title it was most viewed under. Titles are optional:
// a month whose titles fail keeps its pages, untitled.
func (c *collector) collectTitles(ctx context.Context, pages map[time.Time]*monthPages) error {
	var errs []error
	for _, month := range slices.SortedFunc(maps.Keys(pages), time.Time.Compare) {
		list := pages[month]
		wanted := make(map[string]bool, len(list.urls))
		for _, u := range list.urls {
			wanted[u] = true
		}
		titles, err := c.pageTitles(ctx, month, wanted)
		if err != nil {
			errs = append(errs, err)
			if collectors.EndsRun(ctx, err) {
				break
			}
			continue
		}
		for i, u := range list.urls {
			list.pages[i].Title = titles[u]
		}
	}
	return errors.Join(errs...)
}

// topPages returns a month's most viewed pages (nb_hits of Actions.getPageUrls, flattened),
// untitled.
func (c *collector) topPages(ctx context.Context, month time.Time) (*monthPages, error) {
	type page struct {
		path, url string
		views     uint64
	}
	byPath := map[string]*page{}
	for offset := 0; len(byPath) < topPagesPerMonth; offset += c.pageURLsPerRequest {
		rows, err := c.monthRows(ctx, "Actions.getPageUrls", month, c.pageURLsPerRequest, offset)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			// Rows without a url are Matomo's "Others" rows of truncated archives and
			// "Page URL not defined": not pages anyone can look up.
			if r.URL == "" || !r.Hits.set {
				continue
			}
			path := pagePath(r)
			if p, ok := byPath[path]; ok {
				p.views += r.Hits.value // two addresses of one path (http and https, two hosts)
				continue
			}
			byPath[path] = &page{path: path, url: r.URL, views: r.Hits.value}
		}
		if len(rows) < c.pageURLsPerRequest {
			break
		}
	}
	pages := make([]*page, 0, len(byPath))
	for _, p := range byPath {
		pages = append(pages, p)
	}
	slices.SortFunc(pages, func(a, b *page) int {
		return cmp.Or(cmp.Compare(b.views, a.views), strings.Compare(a.path, b.path))
	})
	pages = pages[:min(len(pages), topPagesPerMonth)]
	out := &monthPages{}
	for _, p := range pages {
		out.pages = append(out.pages, figures.TopPage{SiteID: c.site, Month: month, Path: p.path, Pageviews: p.views})
		out.urls = append(out.urls, p.url)
	}
	return out, nil
}

// pageTitles finds, for each wanted page address, the title with the most pageviews that Matomo
// links to it (Actions.getPageTitles rows carry the url of their page). Titles are read in order
// of pageviews, so the first one met for an address is its main title; the scan stops when every
// address has one or after maxTitleRows rows, leaving the rest untitled.
func (c *collector) pageTitles(ctx context.Context, month time.Time, wanted map[string]bool) (map[string]string, error) {
	titles := map[string]string{}
	for offset := 0; len(titles) < len(wanted) && offset < c.maxTitleRows; offset += c.titlesPerRequest {
		rows, err := c.monthRows(ctx, "Actions.getPageTitles", month, c.titlesPerRequest, offset)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			// Matomo starts leaf titles with a space to tell them from title categories.
			title := strings.TrimSpace(r.Label)
			if !wanted[r.URL] || title == "" || title == untitled {
				continue
			}
			if _, ok := titles[r.URL]; !ok {
				titles[r.URL] = title
			}
		}
		if len(rows) < c.titlesPerRequest {
			break
		}
	}
	return titles, nil
}

// monthRows reads one page of a month's flattened Actions report, most pageviews first.
func (c *collector) monthRows(ctx context.Context, method string, month time.Time, limit, offset int) ([]row, error) {
	raw, err := c.call(ctx, method, url.Values{
		"period":             {"month"},
		"date":               {days.Format(month)},
		"flat":               {"1"},
		"filter_sort_column": {"nb_hits"},
		"filter_sort_order":  {"desc"},
		"filter_limit":       {strconv.Itoa(limit)},
		"filter_offset":      {strconv.Itoa(offset)},
	})
	if err != nil {
		return nil, err
	}
	rows, err := decodeRows(raw)
	if err != nil {
		return nil, fmt.Errorf("matomo: id_site %d: %s for %s: malformed rows: %w", c.idSite, method, month.Format("2006-01"), err)
	}
	return rows, nil
}

// pagePath is the page's path (and query) from its address, so the site's root is "/" rather
// than Matomo's label "/index". A row whose url cannot be read falls back to its label.
func pagePath(r row) string {
	u, err := url.Parse(r.URL)
	if err != nil {
		return "/" + strings.TrimPrefix(strings.TrimSpace(r.Label), "/")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return path
}
