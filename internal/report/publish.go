package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// Inserter writes rows; *store.Store is one.
type Inserter interface {
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
}

// Publication is when and by whom a report was published.
type Publication struct {
	Report      string    `json:"report"`
	Period      string    `json:"period"`
	Site        string    `json:"site"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
	// Checksum is the SHA-256 of the stored JSON, so a printed report can be matched to its record.
	Checksum string `json:"checksum"`
}

// Document is a built report: Annual or Quarterly.
type Document interface {
	Tables(lang i18n.Lang) []Table
}

// ErrNoPublisher is returned when publishing is asked for without anyone named.
var ErrNoPublisher = errors.New("report: publishing needs the publisher's name")

// publish stores doc as the published report of kind and period: the whole report as JSON, with
// who published it and when. Nothing is replaced: a later publication of the same period is a new
// row, and the newest is in force.
func (b *Builder) publish(ctx context.Context, w Inserter, kind, period string, doc Document, by string) (*Publication, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return nil, ErrNoPublisher
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("publish %s report %s: %w", kind, period, err)
	}
	sum := sha256.Sum256(body)
	p := &Publication{Report: kind, Period: period, Site: b.site.ID, PublishedAt: b.now().UTC().Truncate(time.Second),
		PublishedBy: by, Checksum: hex.EncodeToString(sum[:])}
	err = w.Insert(ctx, "report_publications",
		[]string{"report", "scope", "period", "published_at", "published_by", "body", "checksum"},
		[][]any{{p.Report, p.Site, p.Period, p.PublishedAt, p.PublishedBy, string(body), p.Checksum}})
	if err != nil {
		return nil, fmt.Errorf("publish %s report %s: %w", kind, period, err)
	}
	return p, nil
}

// PublishAnnual builds the annual report for year from today's figures and publishes it.
func (b *Builder) PublishAnnual(ctx context.Context, w Inserter, year int, by string) (*Annual, *Publication, error) {
	if err := b.Closed(year, 0); err != nil {
		return nil, nil, err
	}
	a, err := b.Annual(ctx, year)
	if err != nil {
		return nil, nil, err
	}
	p, err := b.publish(ctx, w, KindAnnual, PeriodName(year, 0), a, by)
	return a, p, err
}

// PublishQuarterly builds the quarterly review and publishes it.
func (b *Builder) PublishQuarterly(ctx context.Context, w Inserter, year, quarter int, by string) (*Quarterly, *Publication, error) {
	if err := b.Closed(year, quarter); err != nil {
		return nil, nil, err
	}
	r, err := b.Quarterly(ctx, year, quarter)
	if err != nil {
		return nil, nil, err
	}
	p, err := b.publish(ctx, w, KindQuarterly, PeriodName(year, quarter), r, by)
	return r, p, err
}

// published reads the publication in force of kind and period into doc (see inForce), and the
// newest withdrawal; the publication is nil when none is in force.
func (b *Builder) published(ctx context.Context, kind, period string, doc any) (*Publication, *Withdrawal, error) {
	r, w, err := b.inForce(ctx, kind, period)
	if err != nil || r == nil {
		return nil, w, err
	}
	if err := json.Unmarshal([]byte(r.Body), doc); err != nil {
		return nil, nil, fmt.Errorf("published %s report %s (%s): %w", kind, period, r.PublishedAt.Format(time.RFC3339), err)
	}
	return &Publication{Report: r.Report, Period: r.Period, Site: r.Scope, PublishedAt: r.PublishedAt,
		PublishedBy: r.PublishedBy, Checksum: r.Checksum}, w, nil
}

// View is a report as the dashboard and the downloads show it: the published figures when the
// period has been published, with today's figures beside them wherever they differ.
type View struct {
	Kind, Period string
	// Today is the report built from today's data.
	Today Document
	// Published is the report as published, nil when the period has not been.
	Published   Document
	Publication *Publication
	// Withdrawal is the newest withdrawal of the period's publications (guard.go); nil when none.
	Withdrawal *Withdrawal
}

// Shown is what the view prints: the published report, else today's.
func (v View) Shown() Document {
	if v.Published != nil {
		return v.Published
	}
	return v.Today
}

// Tables are the shown report's tables; for a published report every cell whose figure differs
// in today's data carries today's cell (Cell.Today).
func (v View) Tables(lang i18n.Lang) []Table {
	if v.Published == nil {
		return v.Today.Tables(lang)
	}
	return Diff(v.Published.Tables(lang), v.Today.Tables(lang))
}

// AnnualView builds today's annual report for year and reads its publication, if any.
func (b *Builder) AnnualView(ctx context.Context, year int) (View, error) {
	today, err := b.Annual(ctx, year)
	if err != nil {
		return View{}, err
	}
	return b.view(ctx, KindAnnual, PeriodName(year, 0), today, new(Annual))
}

// QuarterlyView builds today's quarterly review and reads its publication, if any.
func (b *Builder) QuarterlyView(ctx context.Context, year, quarter int) (View, error) {
	today, err := b.Quarterly(ctx, year, quarter)
	if err != nil {
		return View{}, err
	}
	return b.view(ctx, KindQuarterly, PeriodName(year, quarter), today, new(Quarterly))
}

// view is the View of today's report of a kind and period, with its publication, if any, read
// into pub (an empty document of the kind).
func (b *Builder) view(ctx context.Context, kind, period string, today, pub Document) (View, error) {
	v := View{Kind: kind, Period: period, Today: today}
	p, w, err := b.published(ctx, kind, period, pub)
	if err != nil {
		return View{}, err
	}
	v.Withdrawal = w
	if p != nil {
		v.Published, v.Publication = pub, p
	}
	return v, nil
}

// Diff returns the published tables with every cell whose figure differs in today's tables
// marked (Cell.Today holds today's cell), and for each table how many rows today has that the
// publication did not. Figures are compared by value, text and qualifier, not by origin: a figure
// that was imported when published and is collected now, with the same value, has not changed.
func Diff(published, today []Table) []Table {
	now := map[string]Cell{}
	rows := map[string]map[string]bool{}
	for _, t := range today {
		rows[t.ID] = map[string]bool{}
		for _, r := range t.Rows {
			rows[t.ID][r.Key] = true
			for _, c := range r.Cells {
				now[c.Key] = c
			}
		}
	}
	out := make([]Table, len(published))
	for i, t := range published {
		t.Rows = append([]Row(nil), t.Rows...)
		seen := map[string]bool{}
		for j, r := range t.Rows {
			seen[r.Key] = true
			r.Cells = append([]Cell(nil), r.Cells...)
			for k, c := range r.Cells {
				c.Today = nil
				tc, ok := now[c.Key]
				if !ok {
					tc = Cell{Key: c.Key, Unit: c.Unit} // the figure is gone from today's data
				}
				if differs(c, tc) {
					tc.Today = nil
					c.Today = &tc
				}
				if c.Source == "" && ok && c.Origin == tc.Origin {
					// Published before reports named their sources: today's rows say where from.
					c.Source = tc.Source
				}
				r.Cells[k] = c
			}
			t.Rows[j] = r
		}
		t.Added = 0
		for key := range rows[t.ID] {
			if !seen[key] {
				t.Added++
			}
		}
		out[i] = t
	}
	return out
}

func differs(a, b Cell) bool {
	if a.Text != b.Text || a.Qualifier != b.Qualifier || (a.Value == nil) != (b.Value == nil) {
		return true
	}
	if a.Value == nil {
		return false
	}
	return math.Abs(*a.Value-*b.Value) > 1e-9*math.Max(1, math.Abs(*a.Value))
}

// Difference is one published figure that today's data gives differently.
type Difference struct {
	Key       string `json:"key"`
	Table     string `json:"table"`
	Row       string `json:"row"`
	Column    string `json:"column"`
	Published string `json:"published"`
	Today     string `json:"today"`
}

// Differences lists the marked cells of tables (see Diff), in table order.
func Differences(lang i18n.Lang, tables []Table) []Difference {
	var out []Difference
	eachChange(tables, func(t Table, r Row, c Cell, col string) {
		out = append(out, Difference{Key: c.Key, Table: t.Title, Row: r.Header, Column: col,
			Published: c.Format(lang), Today: c.Today.Format(lang)})
	})
	return out
}

// ChangesTable lists the differences as a table of their own, for the CSV and XLSX downloads of a
// published report; it has no rows when nothing differs.
func ChangesTable(lang i18n.Lang, tables []Table) Table {
	t := Table{ID: "changes", Title: lang.T("report.table.changes"), Columns: []Column{{Label: lang.T("report.col.table")},
		{Label: lang.T("report.col.row")}, {Label: lang.T("report.col.column")},
		{Label: lang.T("report.col.published"), Numeric: true}, {Label: lang.T("report.col.today"), Numeric: true}}}
	eachChange(tables, func(tb Table, r Row, c Cell, col string) {
		pub, now := c, *c.Today
		pub.Key, now.Key, pub.Today = "changes/"+c.Key+"/published", "changes/"+c.Key+"/today", nil
		t.Rows = append(t.Rows, Row{Key: c.Key, Header: tb.Title, Cells: []Cell{
			textCell("changes/"+c.Key+"/row", r.Header), textCell("changes/"+c.Key+"/column", col), pub, now}})
	})
	return t
}

// eachChange calls f with every cell Diff marked (Cell.Today set), in table order, with its table,
// its row and its column's label.
func eachChange(tables []Table, f func(t Table, r Row, c Cell, col string)) {
	for _, t := range tables {
		for _, r := range t.Rows {
			for i, c := range r.Cells {
				if c.Today == nil {
					continue
				}
				col := ""
				if i+1 < len(t.Columns) {
					col = t.Columns[i+1].Label
				}
				f(t, r, c, col)
			}
		}
	}
}
