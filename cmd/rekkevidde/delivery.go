package main

import (
	"context"

	"github.com/innomed/rekkevidde/dashboard"
	"github.com/innomed/rekkevidde/internal/delivery"
	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/query"
	"github.com/innomed/rekkevidde/internal/report"
)

// newDeliverer makes the quarterly report's e-mail delivery (config email) for serve: the first
// configured site's report, in the configured language, from internal/report's builder.
func newDeliverer(a *app, printer *dashboard.Printer) (*delivery.Deliverer, error) {
	site := a.cfg.Sites[0]
	builder, err := report.New(query.New(a.store.Conn()), report.Options{Site: site, Location: a.cfg.Location(), Targets: a.cfg.Targets})
	if err != nil {
		return nil, err
	}
	lang, _ := i18n.Parse(a.cfg.Language)
	opts := delivery.Options{
		Email: a.cfg.Email, Site: site, Location: a.cfg.Location(), Lang: lang,
		Reports: builder, DB: a.store, Log: a.log,
	}
	if err := printer.Available(); err != nil {
		a.log.Warn("the quarterly e-mail goes without its PDF", "err", err)
	}
	opts.PDF = func(ctx context.Context, year, quarter int) ([]byte, error) {
		return printer.QuarterlyPDF(ctx, year, quarter, lang)
	}
	return delivery.New(opts)
}
