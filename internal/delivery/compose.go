package delivery

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

//go:embed templates/quarterly.html
var templateFS embed.FS

// page is what the message says, shared by its HTML and plain-text parts.
type page struct {
	Lang           i18n.Lang
	Subject        string
	Heading        string
	Intro          string
	Status         string
	SummaryHeading string
	Summary        []string
	Tables         []table
	Attachment     string
	Footer         string
}

type table struct {
	Title   string
	Columns []report.Column
	Rows    []row
	Notes   []string
}

type row struct {
	Header string
	Cells  []cell
}

type cell struct {
	Text    string
	Numeric bool
}

// compose builds the message for view: an HTML part, a plain-text alternative for mail programs
// that show no HTML, and the quarter's CSV (the same bytes the API serves) attached.
func compose(opts Options, view report.View, messageID string, now time.Time) (*gomail.Msg, error) {
	lang := opts.Lang
	q, ok := view.Shown().(*report.Quarterly)
	if !ok {
		return nil, fmt.Errorf("compose %s: not a quarterly report (%T)", view.Period, view.Shown())
	}
	p, err := newPage(lang, opts, view, q, now)
	if err != nil {
		return nil, err
	}
	var html bytes.Buffer
	tpl, err := template.ParseFS(templateFS, "templates/quarterly.html")
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", view.Period, err)
	}
	if err := tpl.Execute(&html, p); err != nil {
		return nil, fmt.Errorf("compose %s: %w", view.Period, err)
	}
	var csv bytes.Buffer
	if err := report.CSV(&csv, lang, view); err != nil {
		return nil, fmt.Errorf("compose %s: %w", view.Period, err)
	}

	m := gomail.NewMsg()
	if err := m.From(opts.Email.From); err != nil {
		return nil, fmt.Errorf("compose %s: email.from: %w", view.Period, err)
	}
	if err := m.To(opts.Email.To...); err != nil {
		return nil, fmt.Errorf("compose %s: email.to: %w", view.Period, err)
	}
	m.Subject(p.Subject)
	m.SetMessageIDWithValue(messageID)
	m.SetDateWithValue(now)
	m.SetGenHeader(gomail.HeaderContentLang, string(lang))
	// Out-of-office replies to a report robot help nobody (RFC 3834).
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, plainText(p))
	m.AddAlternativeString(gomail.TypeTextHTML, html.String())
	name := report.FileName(lang, view, opts.Site.ID, "csv")
	if err := m.AttachReader(name, &csv, gomail.WithFileContentType("text/csv; charset=utf-8")); err != nil {
		return nil, fmt.Errorf("compose %s: attach %s: %w", view.Period, name, err)
	}
	return m, nil
}

func newPage(lang i18n.Lang, opts Options, view report.View, q *report.Quarterly, now time.Time) (page, error) {
	period := lang.T("delivery.quarter_year", lang.Quarter(q.Quarter), q.Year)
	site := opts.Site.Name
	if site == "" {
		site = opts.Site.ID
	}
	p := page{
		Lang:           lang,
		Subject:        lang.T("delivery.subject", period, site),
		Heading:        lang.T("delivery.heading", period, site),
		Intro:          lang.T("delivery.intro"),
		SummaryHeading: lang.T("delivery.summary"),
		Summary:        q.Summary.In(lang),
		Footer:         lang.T("delivery.footer"),
	}
	p.Attachment = lang.T("delivery.attachment", report.FileName(lang, view, opts.Site.ID, "csv"))
	if pub := view.Publication; pub != nil {
		p.Status = lang.T("delivery.published", formatDay(lang, pub.PublishedAt.In(opts.Location)), pub.PublishedBy)
		if n := len(report.Differences(lang, view.Tables(lang))); n > 0 {
			p.Status += " " + lang.T("delivery.changed", n)
		}
	} else {
		p.Status = lang.T("delivery.not_published", formatDay(lang, now.In(opts.Location)))
	}
	for _, t := range report.DownloadTables(lang, view) {
		out := table{Title: t.Title, Columns: t.Columns, Notes: t.Notes}
		for _, r := range t.Rows {
			rv := row{Header: r.Header}
			for i, c := range r.Cells {
				numeric := i+1 < len(t.Columns) && t.Columns[i+1].Numeric
				rv.Cells = append(rv.Cells, cell{Text: c.Format(lang), Numeric: numeric})
			}
			out.Rows = append(out.Rows, rv)
		}
		p.Tables = append(p.Tables, out)
	}
	if len(p.Tables) == 0 {
		return p, fmt.Errorf("compose %s: the report has no tables", view.Period)
	}
	return p, nil
}

// plainText is the message without HTML: the same sentences, each table as aligned lines.
func plainText(p page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n%s\n", p.Heading, p.Intro, p.Status)
	if len(p.Summary) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.SummaryHeading)
		for _, s := range p.Summary {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	for _, t := range p.Tables {
		fmt.Fprintf(&b, "\n%s\n", t.Title)
		for _, r := range t.Rows {
			parts := []string{r.Header}
			for i, c := range r.Cells {
				label := ""
				if i+1 < len(t.Columns) {
					label = t.Columns[i+1].Label + ": "
				}
				parts = append(parts, label+c.Text)
			}
			fmt.Fprintf(&b, "- %s\n", strings.Join(parts, " | "))
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	fmt.Fprintf(&b, "\n%s\n\n%s\n", p.Attachment, p.Footer)
	return b.String()
}

// formatDay writes a date as a sentence does: "5. april 2023", "5 April 2023".
func formatDay(lang i18n.Lang, t time.Time) string {
	if lang == i18n.EN {
		return fmt.Sprintf("%d %s %d", t.Day(), lang.Month(t.Month()), t.Year())
	}
	return fmt.Sprintf("%d. %s %d", t.Day(), lang.Month(t.Month()), t.Year())
}
