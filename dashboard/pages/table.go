package pages

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/innomed/rekkevidde/dashboard/internal/kit"
	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// table is the accessible table beside a chart, and the CSV download of it: both are written
// from the same cells, so the file always holds exactly what the reader sees.
type table struct {
	Caption string
	Head    []column
	Rows    [][]cell
	// Foot rows are totals, written after the rows in the CSV as well.
	Foot [][]cell
}

type column struct {
	Label string
	// CSVLabel is the header in the CSV file when it must say more than the screen does
	// ("Andel (%)" where the table shows "Andel" and "46 %").
	CSVLabel string
	Num      bool
}

// cell is one value, as shown (Text) and as exported (CSV).
type cell struct {
	Text string
	// CSV is the exported value: a plain number ("10234", "46,2") for numeric cells, the text
	// itself for text cells; empty for a missing value.
	CSV string
	Num bool
	// RowHeader makes the cell a <th scope="row">.
	RowHeader bool
	// Missing cells show "–" with MissingText for screen readers.
	Missing     bool
	MissingText string
	// Class adds a CSS class (up/down for changes).
	Class string
	// Link makes the text a link; only same-site paths are ever set.
	Link string
	// Note is what the screen adds to the value in words ("delvis", "sist målt …") that a plain
	// number cannot carry: the CSV gathers a row's notes in a last column (table.note).
	Note string
	// Aside is that note as the screen shows it, in brackets after the value ("(sist målt …)"):
	// on a line of its own in a narrow column, so a note does not widen the table.
	Aside string
	// Abbr is a unit written short after the value ("p.p."), AbbrTitle its full words
	// ("prosentpoeng"), shown as <abbr title>.
	Abbr, AbbrTitle string
}

func textCell(s string) cell   { return cell{Text: s, CSV: s} }
func headerCell(s string) cell { return cell{Text: s, CSV: s, RowHeader: true} }

// countCell is a count: "10 234" on screen, 10234 in the file.
func countCell(l i18n.Lang, n uint64) cell {
	return cell{Text: l.Count(n), CSV: strconv.FormatUint(n, 10), Num: true}
}

// intCell is a signed count (net new followers can be negative).
func intCell(l i18n.Lang, n int64) cell {
	return cell{Text: l.Number(n), CSV: strconv.FormatInt(n, 10), Num: true}
}

// missingCell is an unknown figure: "–" on screen, an empty CSV cell, and why for screen readers.
func missingCell(why string) cell {
	return cell{Text: "–", Num: true, Missing: true, MissingText: why}
}

func optCountCell(l i18n.Lang, n *uint64, why string) cell {
	if n == nil {
		return missingCell(why)
	}
	return countCell(l, *n)
}

func optIntCell(l i18n.Lang, n *int64, why string) cell {
	if n == nil {
		return missingCell(why)
	}
	return intCell(l, *n)
}

// pctCell is a fraction shown as a percentage ("46 %"), exported as percent with one more
// decimal than shown ("46,2"), in the language's decimal mark.
func pctCell(l i18n.Lang, frac *float64, digits int, why string) cell {
	if frac == nil {
		return missingCell(why)
	}
	return cell{Text: percent(l, *frac, digits), CSV: decimal(l, *frac*100, digits+1), Num: true}
}

// dateCell is a calendar day: short on screen, ISO 8601 in the file (every spreadsheet reads it).
func dateCell(l i18n.Lang, d time.Time) cell {
	return cell{Text: kit.ShortDate(l, d), CSV: d.Format(time.DateOnly), RowHeader: true}
}

// hasNotes says whether any cell carries a note, so that only such tables get the note column.
func (t *table) hasNotes() bool {
	for _, rows := range [][][]cell{t.Rows, t.Foot} {
		for _, r := range rows {
			for _, c := range r {
				if c.Note != "" {
					return true
				}
			}
		}
	}
	return false
}

// CSV writes the table by internal/export's rules (the same as the reports', the API's and the
// e-mail's): the language's separator and decimal mark, a byte-order mark, CRLF line ends, every
// cell escaped against formula injection. One header row, then rows and totals.
func (t *table) CSV(l i18n.Lang) ([]byte, error) {
	var b bytes.Buffer
	w, err := export.NewCSV(&b, l)
	if err != nil {
		return nil, err
	}
	head := make([]string, len(t.Head))
	for i, c := range t.Head {
		label := c.Label
		if c.CSVLabel != "" {
			label = c.CSVLabel
		}
		head[i] = export.Cell(label)
	}
	notes := t.hasNotes()
	if notes {
		head = append(head, export.Cell(l.T("table.note")))
	}
	_ = w.Write(head) // a bytes.Buffer does not fail; w.Error reports anything else
	for _, rows := range [][][]cell{t.Rows, t.Foot} {
		for _, r := range rows {
			fields := make([]string, len(r))
			var said []string
			for i, c := range r {
				if !c.Missing {
					fields[i] = export.Cell(c.CSV)
				}
				if c.Note != "" && i < len(t.Head) {
					said = append(said, t.Head[i].Label+": "+c.Note)
				}
			}
			if notes {
				fields = append(fields, export.Cell(strings.Join(said, "; ")))
			}
			_ = w.Write(fields)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	return b.Bytes(), nil
}
