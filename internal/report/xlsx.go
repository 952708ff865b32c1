package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/innomed/rekkevidde/internal/export"
	"github.com/innomed/rekkevidde/internal/i18n"
)

// WriteXLSX writes tables as a workbook, one sheet per table: the title in A1, the column headers
// in row 2, then the rows, then the notes. Numbers are numbers with number formats ("# ##0",
// "0 %"); an imported figure stated inexactly keeps its word in the format ("over "# ##0), so the
// cell still holds the number 300 but reads "over 300". The last column, Source, marks imported
// figures. Text is escaped like the CSV's (export.Cell).
func WriteXLSX(w io.Writer, lang i18n.Lang, tables []Table) error {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	styles := xlsxStyles{f: f, lang: lang, ids: map[string]int{}}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	used := map[string]bool{}
	for i, t := range tables {
		name := sheetName(t.Title, used)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		set := func(col, row int, v any) error {
			cell, err := excelize.CoordinatesToCellName(col, row)
			if err != nil {
				return err
			}
			return f.SetCellValue(name, cell, v)
		}
		style := func(col, row, id int) error {
			cell, err := excelize.CoordinatesToCellName(col, row)
			if err != nil {
				return err
			}
			return f.SetCellStyle(name, cell, cell, id)
		}
		if err := set(1, 1, export.Cell(t.Title)); err != nil {
			return fmt.Errorf("write xlsx %s: %w", name, err)
		}
		if err := style(1, 1, title); err != nil {
			return fmt.Errorf("write xlsx %s: %w", name, err)
		}
		headers := append([]Column{}, t.Columns...)
		headers = append(headers, Column{Label: lang.T("report.col.source")})
		for c, col := range headers {
			if err := set(c+1, 2, export.Cell(col.Label)); err != nil {
				return fmt.Errorf("write xlsx %s: %w", name, err)
			}
			if err := style(c+1, 2, bold); err != nil {
				return fmt.Errorf("write xlsx %s: %w", name, err)
			}
			width := 14.0
			if c == 0 || (c < len(t.Columns) && !t.Columns[c].Numeric) {
				width = 28
			}
			colName, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(name, colName, colName, width); err != nil {
				return fmt.Errorf("write xlsx %s: %w", name, err)
			}
		}
		for ri, r := range t.Rows {
			row := ri + 3
			if err := set(1, row, export.Cell(r.Header)); err != nil {
				return fmt.Errorf("write xlsx %s: %w", name, err)
			}
			for ci, c := range r.Cells {
				col := ci + 2
				if c.Unit == UnitText {
					if err := set(col, row, export.Cell(c.Text)); err != nil {
						return fmt.Errorf("write xlsx %s: %w", name, err)
					}
					continue
				}
				if c.Value == nil {
					continue // an unknown figure is an empty cell, not 0
				}
				if err := set(col, row, *c.Value); err != nil {
					return fmt.Errorf("write xlsx %s: %w", name, err)
				}
				id, err := styles.number(c)
				if err != nil {
					return fmt.Errorf("write xlsx %s: %w", name, err)
				}
				if err := style(col, row, id); err != nil {
					return fmt.Errorf("write xlsx %s: %w", name, err)
				}
			}
			if note := SourceNote(lang, t, r); note != "" {
				if err := set(len(t.Columns)+1, row, export.Cell(note)); err != nil {
					return fmt.Errorf("write xlsx %s: %w", name, err)
				}
			}
		}
		for ni, n := range t.Notes {
			if err := set(1, len(t.Rows)+4+ni, export.Cell(n)); err != nil {
				return fmt.Errorf("write xlsx %s: %w", name, err)
			}
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// xlsxStyles makes one style per number format.
type xlsxStyles struct {
	f    *excelize.File
	lang i18n.Lang
	ids  map[string]int
}

// NumberFormat is the Excel number format of a cell: grouped whole numbers, rates with one decimal (the cell keeps full precision),
// signed changes, and an inexact figure's qualifier as literal text around the number.
func NumberFormat(lang i18n.Lang, c Cell) string {
	var format string
	switch c.Unit {
	case UnitShare:
		format = "0.0 %"
		if lang == i18n.EN {
			format = "0.0%"
		}
	case UnitChange:
		format = "+0 %;-0 %;0 %"
		if lang == i18n.EN {
			format = "+0%;-0%;0%"
		}
	case UnitPoints:
		format = pointsFormat(lang)
	default:
		format = "#,##0"
	}
	if c.Qualifier != "" && lang.Has("report.qualifier."+c.Qualifier) {
		// "over %s" → "over "#,##0: literal text around the number.
		before, after, _ := strings.Cut(lang.T("report.qualifier."+c.Qualifier), "%s")
		format = quoted(before) + format + quoted(after)
	}
	return format
}

// pointsFormat shows a change of a rate in percentage points with one decimal (the cell holds 2.5
// for two and a half points).
func pointsFormat(lang i18n.Lang) string {
	unit := quoted(" " + lang.T("report.points_short"))
	return "+0.0" + unit + ";-0.0" + unit + ";0.0" + unit
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(s, `"`, ``) + `"`
}

func (s xlsxStyles) number(c Cell) (int, error) {
	format := NumberFormat(s.lang, c)
	if id, ok := s.ids[format]; ok {
		return id, nil
	}
	id, err := s.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	s.ids[format] = id
	return id, nil
}

// sheetName makes a valid, unique sheet name from a title: at most 31 characters, none of
// : \ / ? * [ ]. A longer title is shortened by whole words while its period (the last word, when
// it holds a digit: "2022", "2022-Q3") is kept, so "Kanaler for inngang til nettsiden i 2022"
// becomes "Kanaler for inngang 2022" rather than losing the year.
func sheetName(title string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'`, r) {
			return ' '
		}
		return r
	}, title)
	clean = strings.Join(strings.Fields(clean), " ")
	if clean == "" {
		clean = "Tabell"
	}
	name := shorten(clean, 31)
	for n := 2; used[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		name = shorten(clean, 31-utf8.RuneCountInString(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

// joinWords are the small words a shortened name must not end on ("Antall besøkende av 2022").
var joinWords = map[string]bool{"i": true, "av": true, "for": true, "til": true, "og": true, "per": true, "etter": true,
	"in": true, "of": true, "to": true, "the": true, "by": true, "and": true}

// shorten fits a title into n characters by whole words, keeping a last word that holds a digit.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	words := strings.Fields(s)
	tail := ""
	if last := words[len(words)-1]; strings.ContainsAny(last, "0123456789") && len(words) > 1 && utf8.RuneCountInString(last) < n-1 {
		tail, words = " "+last, words[:len(words)-1]
	}
	budget := n - utf8.RuneCountInString(tail)
	var head []string
	for _, w := range words {
		if utf8.RuneCountInString(strings.Join(append(head, w), " ")) > budget {
			break
		}
		head = append(head, w)
	}
	for len(head) > 1 && joinWords[strings.ToLower(head[len(head)-1])] {
		head = head[:len(head)-1]
	}
	if len(head) == 0 {
		// One long first word: cut it.
		return truncate(words[0], budget) + tail
	}
	return strings.Join(head, " ") + tail
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}
