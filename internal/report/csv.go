package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/innomed/rekkevidde/internal/i18n"
)

// WriteCSV writes tables as one CSV file in sections: each table's title on a line of its own, its
// header line, its rows, and an empty line. It is written for a spreadsheet in lang: bokmål gets
// ";" between fields and a decimal comma, as Norwegian Excel expects, English "," and a point; both
// start with a byte-order mark so Excel reads UTF-8.
//
// Numbers stay numbers ("10234", "46 %", which Excel reads as 0.46); the last column, Source,
// says which figures of the row are imported or cover part of the period, and how an inexact
// figure was stated. Text that a spreadsheet would take for a formula is escaped (EscapeText).
func WriteCSV(w io.Writer, lang i18n.Lang, tables []Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	decimal := "."
	if lang != i18n.EN {
		cw.Comma, decimal = ';', ","
	}
	for i, t := range tables {
		if i > 0 {
			if err := cw.Write([]string{""}); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		if err := cw.Write([]string{EscapeText(t.Title)}); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		header := make([]string, 0, len(t.Columns)+1)
		for _, c := range t.Columns {
			header = append(header, EscapeText(c.Label))
		}
		if err := cw.Write(append(header, EscapeText(lang.T("report.col.source")))); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		for _, r := range t.Rows {
			line := []string{EscapeText(r.Header)}
			for _, c := range r.Cells {
				line = append(line, csvValue(lang, c, decimal))
			}
			if err := cw.Write(append(line, EscapeText(SourceNote(lang, t, r)))); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		for _, n := range t.Notes {
			if err := cw.Write([]string{EscapeText(n)}); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// csvValue writes a cell's number plainly (no grouping, full precision) or its text escaped.
func csvValue(lang i18n.Lang, c Cell, decimal string) string {
	if c.Unit == UnitText {
		return EscapeText(c.Text)
	}
	if c.Value == nil {
		return ""
	}
	v := *c.Value
	percent := c.Unit == UnitShare || c.Unit == UnitChange
	if percent {
		v *= 100
	}
	s := strconv.FormatFloat(math.Round(v*10000)/10000, 'f', -1, 64)
	s = strings.Replace(s, ".", decimal, 1)
	if percent {
		if lang == i18n.EN {
			return s + "%"
		}
		return s + " %"
	}
	return s
}

// EscapeText keeps a spreadsheet from reading text as a formula: text starting with =, +, -, @,
// a tab or a carriage return gets a leading apostrophe. Only text is escaped; numbers are written
// as numbers and stay numbers.
func EscapeText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// SourceNote says where a row's figures come from, for the downloads' Source column: empty when
// all are collected and exact, else e.g. "importert" or "importert: over 300".
func SourceNote(lang i18n.Lang, t Table, r Row) string {
	var parts []string
	imported, partial := 0, 0
	numbers := 0
	for _, c := range r.Cells {
		if (c.Unit == UnitText && c.Origin == "") || (c.Unit != UnitText && c.Value == nil) {
			continue // labels and unknown figures come from nowhere
		}
		numbers++
		if c.Origin == Imported {
			imported++
		}
		if c.Partial {
			partial++
		}
	}
	switch {
	case imported > 0 && imported == numbers:
		parts = append(parts, lang.T("report.source.imported"))
	case imported > 0:
		var cols []string
		for i, c := range r.Cells {
			if c.Origin == Imported && (c.Value != nil || c.Unit == UnitText) && i+1 < len(t.Columns) {
				cols = append(cols, t.Columns[i+1].Label)
			}
		}
		parts = append(parts, lang.T("report.source.imported_in", strings.Join(cols, ", ")))
	}
	if partial > 0 {
		parts = append(parts, lang.T("report.source.partial"))
	}
	for _, c := range r.Cells {
		if c.Qualifier != "" {
			parts = append(parts, c.Format(lang))
		}
	}
	return strings.Join(parts, "; ")
}
