// Package export holds the one set of rules for every table file that leaves Rekkevidde: the
// dashboard's CSV downloads, the reports' CSV and XLSX (internal/report), the read API's CSV and
// the e-mailed attachment all write through it.
//
//   - Escaping (Cell): every cell that starts with =, +, -, @, a tab or a carriage return gets a
//     leading apostrophe, so no spreadsheet reads it as a formula. Numbers too: a file that leaves
//     the system is opened by people we do not know in programs we do not know, and "no cell starts
//     with a formula character" is a rule anyone can check without knowing which cells were
//     numbers. A negative number therefore reads '-3 (text in a spreadsheet); JSON and the XLSX,
//     whose numbers are typed, are the formats to compute with.
//   - Separator and decimal mark per language (Comma, Decimal): bokmål ";" and a decimal comma, what
//     Excel with Norwegian regional settings opens directly; English "," and a point.
//   - A UTF-8 byte-order mark first (so Excel reads æ, ø, å), CRLF line ends, RFC 4180 quoting
//     (NewCSV).
//   - File names (FileName): lower-case ASCII letters, digits, "-", "_" and "." only; Norwegian
//     names in bokmål without æ, ø, å ("arsrapport-2022-innomed.no.csv").
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// Cell escapes a cell against formula injection (OWASP "CSV injection"); see the package comment.
// Applying it twice changes nothing more.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Comma is the field separator for lang: ";" for bokmål (Norwegian Excel reads "," as the decimal
// sign), "," for English.
func Comma(lang i18n.Lang) rune {
	if lang == i18n.EN {
		return ','
	}
	return ';'
}

// Decimal is the decimal mark for lang: "," for bokmål, "." for English.
func Decimal(lang i18n.Lang) string {
	if lang == i18n.EN {
		return "."
	}
	return ","
}

// BOM is the UTF-8 byte-order mark every CSV starts with.
const BOM = "\ufeff"

// NewCSV writes the byte-order mark to w and returns a CSV writer with lang's separator and CRLF
// line ends. The caller escapes every cell (Cell) and flushes.
func NewCSV(w io.Writer, lang i18n.Lang) (*csv.Writer, error) {
	if _, err := io.WriteString(w, BOM); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = Comma(lang), true
	return cw, nil
}

// FileName makes a download's file name from its parts and extension: parts joined by "-",
// lower-cased, every other character than a-z, 0-9, "-", "_" and "." replaced by "-":
// FileName("csv", "Kvartalsrapport", "2023-Q1", "innomed.no") is
// "kvartalsrapport-2023-q1-innomed.no.csv".
func FileName(ext string, parts ...string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, strings.Join(parts, "-"))
	return clean + "." + ext
}
