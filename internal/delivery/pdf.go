package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"

	"github.com/innomed/rekkevidde/internal/pdf"
	"github.com/innomed/rekkevidde/internal/report"
)

// PDF prints the quarter's report as the dashboard shows it; dashboard.Printer.QuarterlyPDF,
// bound to the message's language, is one.
type PDF func(ctx context.Context, year, quarter int) ([]byte, error)

// attachPDF adds the report printed to PDF beside the CSV. A PDF that cannot be made never stops
// the message: the HTML and the CSV carry every figure, so it goes without, and the log says why
// (without Chromium: how to install it).
func (d *Deliverer) attachPDF(ctx context.Context, m *gomail.Msg, view report.View, year, quarter int) {
	log := d.log.With("period", view.Period)
	if d.opts.PDF == nil {
		log.InfoContext(ctx, "quarterly report sent without PDF: no PDF printer set up")
		return
	}
	data, err := d.opts.PDF(ctx, year, quarter)
	switch {
	case errors.Is(err, pdf.ErrNoChromium):
		log.WarnContext(ctx, "quarterly report sent without PDF", "err", err)
		return
	case err != nil:
		log.ErrorContext(ctx, "quarterly report sent without PDF: printing failed", "err", err)
		return
	}
	name := report.FileName(d.opts.Lang, view, d.opts.Site.ID, "pdf")
	if err := m.AttachReader(name, bytes.NewReader(data), gomail.WithFileContentType("application/pdf")); err != nil {
		log.ErrorContext(ctx, "quarterly report sent without PDF", "err", fmt.Errorf("attach %s: %w", name, err))
	}
}
