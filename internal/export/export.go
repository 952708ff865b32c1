// Package export makes the files that leave Rekkevidde by the read API and by e-mail: a report's
// CSV, exactly as the dashboard's download writes it (internal/report), with every cell made safe
// to open in a spreadsheet.
package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/innomed/rekkevidde/internal/i18n"
	"github.com/innomed/rekkevidde/internal/report"
)

// SafeCell keeps a spreadsheet from reading a cell as a formula: a cell starting with =, +, -, @,
// a tab or a carriage return gets a leading apostrophe. Unlike report.EscapeText it also escapes
// numbers: a file that leaves the system is opened by people we do not know in programs we do not
// know, and "never starts with a formula character" is a rule a reader can check without knowing
// which cells were numbers. A negative number therefore reads '-12; JSON is the format for
// programs. Already escaped cells are left alone, so applying it twice changes nothing.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

const bom = "\ufeff"

// SafeCSV copies a CSV file with fields separated by comma from in to out, passing every cell
// through SafeCell. A leading byte-order mark (Excel's cue for UTF-8) is kept.
func SafeCSV(out io.Writer, in []byte, comma rune) error {
	hasBOM := bytes.HasPrefix(in, []byte(bom))
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(in, []byte(bom))))
	r.Comma, r.FieldsPerRecord = comma, -1 // sections have different widths
	w := csv.NewWriter(out)
	w.Comma = comma
	if hasBOM {
		if _, err := io.WriteString(out, bom); err != nil {
			return fmt.Errorf("safe csv: %w", err)
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("safe csv: %w", err)
		}
		for i := range rec {
			rec[i] = SafeCell(rec[i])
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("safe csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("safe csv: %w", err)
	}
	return nil
}

// Comma is the field separator report.WriteCSV uses for lang: ";" for bokmål (Norwegian Excel
// reads "," as the decimal sign), "," for English.
func Comma(lang i18n.Lang) rune {
	if lang == i18n.EN {
		return ','
	}
	return ';'
}

// Tables are what a report's CSV holds: the shown report's tables and, for a published report
// whose figures have changed since, the table of those changes — the same as the dashboard's
// download.
func Tables(lang i18n.Lang, v report.View) []report.Table {
	tables := v.Tables(lang)
	if v.Published != nil {
		if changes := report.ChangesTable(lang, tables); len(changes.Rows) > 0 {
			tables = append(tables, changes)
		}
	}
	return tables
}

// ReportCSV writes report view v as CSV in lang, every cell safe (SafeCell).
func ReportCSV(w io.Writer, lang i18n.Lang, v report.View) error {
	var raw bytes.Buffer
	if err := report.WriteCSV(&raw, lang, Tables(lang, v)); err != nil {
		return fmt.Errorf("%s report %s: %w", v.Kind, v.Period, err)
	}
	if err := SafeCSV(w, raw.Bytes(), Comma(lang)); err != nil {
		return fmt.Errorf("%s report %s: %w", v.Kind, v.Period, err)
	}
	return nil
}

// FileName is the download name of a report's CSV: "kvartalsrapport-2023-q1-innomed.no.csv".
func FileName(lang i18n.Lang, v report.View, site string) string {
	kind := "arsrapport"
	if v.Kind == report.KindQuarterly {
		kind = "kvartalsrapport"
	}
	if lang == i18n.EN {
		kind = v.Kind + "-report"
	}
	name := kind + "-" + strings.ToLower(v.Period) + "-" + site
	// Only characters every file system and mail client takes as they are.
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, name)
	return clean + ".csv"
}
