package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// WriteCSV writes tables as one CSV file in sections: each table's title on a line of its own, its
// header line, its rows, and an empty line, by internal/export's rules (separator, decimal mark,
// byte-order mark, escaping) — the same for the dashboard's download, the API and the e-mail.
//
// Numbers are written plainly ("10234", "46,2 %", which Excel reads as 0.462); the last column,
// Source, says which figures of the row are imported or cover part of the period, and how an
// inexact figure was stated. Every cell is escaped by export.Cell.
func WriteCSV(w io.Writer, lang i18n.Lang, tables []Table) error {
	cw, err := export.NewCSV(w, lang)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	decimal := export.Decimal(lang)
	for i, t := range tables {
		if i > 0 {
			if err := cw.Write([]string{""}); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		if err := cw.Write([]string{export.Cell(t.Title)}); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		header := make([]string, 0, len(t.Columns)+1)
		for _, c := range t.Columns {
			header = append(header, export.Cell(c.Label))
		}
		if err := cw.Write(append(header, export.Cell(lang.T("report.col.source")))); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		for _, r := range t.Rows {
			line := []string{export.Cell(r.Header)}
			for _, c := range r.Cells {
				line = append(line, export.Cell(csvValue(lang, c, decimal)))
			}
			if err := cw.Write(append(line, export.Cell(SourceNote(lang, t, r)))); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		for _, n := range t.Notes {
			if err := cw.Write([]string{export.Cell(n)}); err != nil {
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

// csvValue writes a cell's number plainly (no grouping, rounded as shown) or its text.
func csvValue(lang i18n.Lang, c Cell, decimal string) string {
	if c.Unit == UnitText {
		return c.Text
	}
	if c.Value == nil {
		return ""
	}
	v := *c.Value
	percent := c.Unit == UnitShare || c.Unit == UnitChange
	if percent {
		v *= 100
	}
	// Rounded as the report shows it: a CSV cell has no display format, and "46,0008 %" reads as
	// noise. Rates and points keep one decimal, relative changes are whole percent; other numbers
	// keep up to four decimals.
	var s string
	switch c.Unit {
	case UnitShare, UnitPoints:
		s = strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	case UnitChange:
		s = strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	default:
		s = strconv.FormatFloat(math.Round(v*10000)/10000, 'f', -1, 64)
	}
	s = strings.Replace(s, ".", decimal, 1)
	if percent {
		if lang == i18n.EN {
			return s + "%"
		}
		return s + " %"
	}
	return s
}

// DownloadTables are what a report's files hold (CSV, XLSX, the e-mailed attachment): the shown
// report's tables and, for a published report whose figures have changed since, the table of those
// changes.
func DownloadTables(lang i18n.Lang, v View) []Table {
	tables := v.Tables(lang)
	if v.Published != nil {
		if changes := ChangesTable(lang, tables); len(changes.Rows) > 0 {
			tables = append(tables, changes)
		}
	}
	return tables
}

// CSV writes view v's download as CSV in lang (WriteCSV of DownloadTables).
func CSV(w io.Writer, lang i18n.Lang, v View) error {
	if err := WriteCSV(w, lang, DownloadTables(lang, v)); err != nil {
		return fmt.Errorf("%s report %s: %w", v.Kind, v.Period, err)
	}
	return nil
}

// FileName is the name of view v's download with extension ext, for the dashboard, the API and the
// e-mail alike: "kvartalsrapport-2023-q1-innomed.no.csv", in English
// "quarterly-report-2023-q1-innomed.no.csv".
func FileName(lang i18n.Lang, v View, site, ext string) string {
	kind := "arsrapport"
	if v.Kind == KindQuarterly {
		kind = "kvartalsrapport"
	}
	if lang == i18n.EN {
		kind = v.Kind + "-report"
	}
	return export.FileName(ext, kind, v.Period, site)
}

// SourceNote says where a row's figures come from, for the Kilde/Source column of the downloads:
// SourceOf, then for a level last measured before its period's end "Facebook 2023: sist målt
// 15.06.2023" (a CSV or XLSX cell has no room under its value for that day).
func SourceNote(lang i18n.Lang, t Table, r Row) string {
	var parts []string
	if s := SourceOf(lang, t, r); s != "" {
		parts = append(parts, s)
	}
	for i, c := range r.Cells {
		if m := c.LastMeasured(lang); m != "" && c.Value != nil {
			if i+1 < len(t.Columns) && t.Columns[i+1].Label != "" {
				m = t.Columns[i+1].Label + ": " + m
			}
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "; ")
}

// SourceOf says where a row's figures come from, for the Kilde column of the report page (which
// shows a level's "sist målt" under the value itself): the sources that wrote the collected
// figures ("ga4", "demo"), the import an imported figure was taken from ("importert: Årsrapport
// 2022, 2.4"; in a row that mixes both, "importert i <columns>: …"), "delvis periode" for a figure
// covering part of its period, and how an inexact figure was stated ("over 300").
func SourceOf(lang i18n.Lang, t Table, r Row) string {
	var parts, collected, imported, importedCols []string
	add := func(list *[]string, names string) {
		for _, n := range strings.Split(names, ", ") {
			if n != "" && !slices.Contains(*list, n) {
				*list = append(*list, n)
			}
		}
	}
	partial, numbers, importedCells := 0, 0, 0
	for i, c := range r.Cells {
		if (c.Unit == UnitText && c.Origin == "") || (c.Unit != UnitText && c.Value == nil) {
			continue // labels and unknown figures come from nowhere
		}
		numbers++
		if c.Partial {
			partial++
		}
		if c.Origin != Imported {
			add(&collected, c.Source)
			continue
		}
		importedCells++
		add(&imported, c.Source)
		if i+1 < len(t.Columns) {
			add(&importedCols, t.Columns[i+1].Label)
		}
	}
	if len(collected) > 0 {
		parts = append(parts, strings.Join(collected, ", "))
	}
	switch {
	case importedCells == 0:
	case importedCells == numbers && len(imported) == 0:
		parts = append(parts, lang.T("report.source.imported"))
	case importedCells == numbers:
		parts = append(parts, lang.T("report.source.imported_in", strings.Join(imported, ", ")))
	default:
		parts = append(parts, lang.T("report.source.imported_cols", strings.Join(importedCols, ", "), strings.Join(imported, ", ")))
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
