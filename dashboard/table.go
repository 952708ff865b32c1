package dashboard

import (
	"bytes"
	"strconv"
	"strings"
	"time"

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
	return cell{Text: shortDate(l, d), CSV: d.Format(time.DateOnly), RowHeader: true}
}

// csvSeparator: bokmål spreadsheets (Excel with Norwegian regional settings) use the comma as
// decimal mark and therefore ";" between fields; English ones use "," and ".".
func csvSeparator(l i18n.Lang) byte {
	if l == i18n.EN {
		return ','
	}
	return ';'
}

// utf8BOM makes Excel read the file as UTF-8 (æ, ø, å) instead of the system code page.
const utf8BOM = "\ufeff"

// csvFormulaStart are the first characters with which a spreadsheet reads a cell as a formula
// (OWASP "CSV injection"): =, +, -, @, and tab and carriage return, which some programs strip
// before looking again.
const csvFormulaStart = "=+-@\t\r"

// csvText neutralises a text cell for spreadsheets: one that could start a formula gets a leading
// apostrophe, which spreadsheets show as text and do not evaluate.
func csvText(s string) string {
	if s != "" && strings.ContainsRune(csvFormulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvField quotes a field when it holds the separator, a quote or a line break (RFC 4180).
func csvField(s string, sep byte) string {
	if strings.IndexByte(s, sep) < 0 && !strings.ContainsAny(s, "\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// CSV writes the table: UTF-8 with a byte-order mark, the language's separator, CRLF line ends
// (RFC 4180), one header row, then rows and totals. Text cells are neutralised against formula
// injection; numeric cells hold only digits, a sign and the decimal mark, which we wrote ourselves.
func (t *table) CSV(l i18n.Lang) []byte {
	sep := csvSeparator(l)
	var b bytes.Buffer
	b.WriteString(utf8BOM)
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(sep)
			}
			b.WriteString(csvField(f, sep))
		}
		b.WriteString("\r\n")
	}
	head := make([]string, len(t.Head))
	for i, c := range t.Head {
		label := c.Label
		if c.CSVLabel != "" {
			label = c.CSVLabel
		}
		head[i] = csvText(label)
	}
	line(head)
	for _, rows := range [][][]cell{t.Rows, t.Foot} {
		for _, r := range rows {
			fields := make([]string, len(r))
			for i, c := range r {
				switch {
				case c.Missing:
					fields[i] = ""
				case c.Num:
					fields[i] = c.CSV
				default:
					fields[i] = csvText(c.CSV)
				}
			}
			line(fields)
		}
	}
	return b.Bytes()
}
