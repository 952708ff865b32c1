// Package demo loads three years (2021–2023) of believable figures at InnoMed's scale into every
// figure table, so the dashboard and reports can be shown and tested without any collector. 2022
// reproduces exactly the figures of InnoMed's annual report (section 2.4 "Kommunikasjon"); 2021 and
// 2023 are generated around them with the same rhythm and a growth trend.
//
// Loading is deterministic: every figure comes from seeded generators, so a second load writes the
// same keys with the same figures under a newer version, and the newest-version reads change nothing.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/store"
)

// The ids the demo writes under. A real install takes them from its config.
const (
	// AccountID is InnoMed's account on Facebook, Instagram and LinkedIn, and in the events register.
	AccountID = "innomed"
	// ListID is the Mailchimp audience of the monthly newsletter.
	ListID = "innomed-nyhetsbrev"
	// FeedID is the news feed of innomed.no.
	FeedID = "innomed-nyheter"
	// Source marks every demo row, so it can be told apart from (and deleted before) real data.
	Source = "demo"
)

// Social platforms, as stored.
const (
	PlatformFacebook  = "facebook"
	PlatformInstagram = "instagram"
	PlatformLinkedIn  = "linkedin"
)

// The demo covers these years; 2022 is the report year.
const (
	FirstYear  = 2021
	ReportYear = 2022
	LastYear   = 2023
)

// Options says where the demo goes.
type Options struct {
	// SiteID keys the web tables and scopes the annotations (e.g. "innomed").
	SiteID string
	// Location is the organisation's time zone (Europe/Oslo): event, campaign and publication
	// times are set in local wall-clock time and stored in UTC.
	Location *time.Location
}

// TableRows is how many rows one table received.
type TableRows struct {
	Table string
	Rows  int
}

// Summary lists the rows written per table, in the order they were written.
type Summary []TableRows

// Rows returns the rows written to table (0 when none).
func (s Summary) Rows(table string) int {
	for _, t := range s {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

// Total is the number of rows written over all tables.
func (s Summary) Total() int {
	n := 0
	for _, t := range s {
		n += t.Rows
	}
	return n
}

// String prints one "table rows" line per table, ready for a CLI.
func (s Summary) String() string {
	var b strings.Builder
	for _, t := range s {
		fmt.Fprintf(&b, "%-30s %7d\n", t.Table, t.Rows)
	}
	fmt.Fprintf(&b, "%-30s %7d\n", "total", s.Total())
	return b.String()
}

// batch is one table's rows, written with one INSERT.
type batch struct {
	table   string
	columns []string
	rows    [][]any
}

// Load generates the demo and writes it, one INSERT per table, all under one new version.
// collector_runs stays empty: the demo is not a collector.
func Load(ctx context.Context, st *store.Store, opts Options) (Summary, error) {
	batches, err := build(opts, store.NewVersion())
	if err != nil {
		return nil, err
	}
	summary := make(Summary, 0, len(batches))
	for _, b := range batches {
		if err := st.Insert(ctx, b.table, b.columns, b.rows); err != nil {
			return summary, fmt.Errorf("demo: load %s: %w", b.table, err)
		}
		summary = append(summary, TableRows{Table: b.table, Rows: len(b.rows)})
	}
	return summary, nil
}

// build generates every table's rows without touching the database (so it can be compared in tests).
func build(opts Options, version uint64) ([]batch, error) {
	if opts.SiteID == "" {
		return nil, errors.New("demo: Options.SiteID is empty")
	}
	if opts.Location == nil {
		return nil, errors.New("demo: Options.Location is nil (want the organisation's time zone, e.g. Europe/Oslo)")
	}
	h := newHappenings()
	var out []batch
	web, err := buildWeb(opts.SiteID, h, version)
	if err != nil {
		return nil, fmt.Errorf("demo: web: %w", err)
	}
	out = append(out, web...)
	social, err := buildSocial(h, version)
	if err != nil {
		return nil, fmt.Errorf("demo: social: %w", err)
	}
	out = append(out, social...)
	newsletter, err := buildNewsletter(opts.Location, h, version)
	if err != nil {
		return nil, fmt.Errorf("demo: newsletter: %w", err)
	}
	out = append(out, newsletter...)
	events, err := buildEvents(opts.Location, version)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	out = append(out, events...)
	publications, err := buildPublications(opts.Location, version)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return append(out, publications, buildAnnotations(opts.SiteID, version)), nil
}
