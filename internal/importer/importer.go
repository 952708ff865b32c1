// Package importer reads figures that have no API from CSV files: events (on-site meetings,
// courses, conferences, past years) and newsletter figures from other providers or past years. A
// file is checked completely first — every problem is listed with its line number — and only a
// file without problems is written, in one write. README.md documents the columns of each kind.
package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/innomed/rekkevidde/internal/figures"
	"github.com/innomed/rekkevidde/internal/store"
)

// Source is the source label imported rows carry.
const Source = "import"

// maxFileSize bounds what is read: a year of events or newsletters is a few kilobytes.
const maxFileSize = 32 << 20

// Column is one column a kind of file may have.
type Column struct {
	Name     string
	Required bool
	Help     string
}

// Value is one allowed value of a column and its meaning.
type Value struct{ Column, Name, Help string }

// Kind is one kind of file.
type Kind struct {
	Name    string
	Summary string
	// Target names the option the rows are stored under ("account" or "list"; empty when the rows
	// name it themselves), for help texts.
	Target  string
	Columns []Column
	// Values lists a column's allowed values with what each means, for help texts (the history
	// kind's KPIs and their definitions).
	Values []Value
	// parse turns one line into its records and its key (for duplicates), or field problems.
	parse func(row row, opts Options) (parsed, []Problem)
	// needs checks the options this kind depends on.
	needs func(opts Options) error
}

type parsed struct {
	key     string
	records []figures.Record
	// what says what the key means, for the duplicate message ("the same event (kind, date and title)").
	what string
}

// Kinds lists the kinds of file, in the order help shows them.
func Kinds() []Kind { return []Kind{eventsKind(), newsletterKind(), subscribersKind(), historyKind()} }

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Options say where imported rows go and how local dates are read.
type Options struct {
	// AccountID is the events register events are stored under (events.DefaultAccount).
	AccountID string
	// ListID is the newsletter list campaigns and subscriber counts belong to; it must be the id
	// the newsletter's collector uses (Mailchimp's audience id), so figures line up.
	ListID string
	// Zone is the organisation's time zone (config timezone).
	Zone *time.Location
}

// Problem is one thing wrong with a file: its line (1 is the header), the column if one, and why.
type Problem struct {
	Line   int
	Column string
	Reason string
}

func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Column, p.Reason)
}

// Problems is every problem found in a file; when a file has any, nothing of it is written.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	if len(ps) == 1 {
		b.WriteString("1 problem, nothing was imported:")
	} else {
		fmt.Fprintf(&b, "%d problems, nothing was imported:", len(ps))
	}
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Result tells what a file held.
type Result struct {
	Rows    int
	Records int
}

// Import checks the whole file and, when it has no problems, writes all its rows in one write
// under source "import". A file with problems returns Problems and writes nothing. Rows already
// stored under the same keys are replaced, so importing a file twice changes nothing.
func Import(ctx context.Context, st *store.Store, kind Kind, r io.Reader, opts Options) (Result, error) {
	records, res, err := Parse(kind, r, opts)
	if err != nil {
		return Result{}, err
	}
	if err := st.Write(ctx, Source, store.NewVersion(), records); err != nil {
		return Result{}, fmt.Errorf("import %s: %w", kind.Name, err)
	}
	return res, nil
}

// Parse checks the whole file and returns its records; it writes nothing.
func Parse(kind Kind, r io.Reader, opts Options) ([]figures.Record, Result, error) {
	if kind.parse == nil {
		return nil, Result{}, errors.New("import: unknown kind")
	}
	if opts.Zone == nil {
		return nil, Result{}, errors.New("import: no time zone given")
	}
	if err := kind.needs(opts); err != nil {
		return nil, Result{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, Result{}, fmt.Errorf("import: read: %w", err)
	}
	if len(raw) > maxFileSize {
		return nil, Result{}, fmt.Errorf("import: the file is larger than %d MB; split it", maxFileSize>>20)
	}
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	if line := firstInvalidLine(raw); line > 0 {
		return nil, Result{}, Problems{{Line: line, Reason: "not UTF-8 text: save the file as \"CSV UTF-8\" (in Excel: Save as → CSV UTF-8)"}}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, Result{}, Problems{{Line: 1, Reason: "the file is empty: the first line must name the columns"}}
	}
	reader := csv.NewReader(bytes.NewReader(raw))
	reader.Comma = delimiter(raw)
	reader.FieldsPerRecord = -1
	header, err := reader.Read()
	if err != nil {
		return nil, Result{}, Problems{csvProblem(err)}
	}
	columns, problems := readHeader(kind, header)
	if len(problems) > 0 {
		return nil, Result{}, problems
	}
	var records []figures.Record
	var res Result
	firstLine := map[string]int{}
	for {
		fields, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, csvProblem(err))
			continue
		}
		line, _ := reader.FieldPos(0)
		if blank(fields) {
			continue
		}
		values, p := rowValues(columns, fields, line)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		got, rowProblems := kind.parse(row{line: line, values: values}, opts)
		if len(rowProblems) > 0 {
			problems = append(problems, rowProblems...)
			continue
		}
		if first, dup := firstLine[got.key]; dup {
			problems = append(problems, Problem{Line: line, Reason: fmt.Sprintf("%s as line %d: each may appear once in a file", got.what, first)})
			continue
		}
		firstLine[got.key] = line
		records = append(records, got.records...)
		res.Rows++
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b Problem) int { return a.Line - b.Line })
		return nil, Result{}, problems
	}
	if res.Rows == 0 {
		return nil, Result{}, Problems{{Line: 2, Reason: "no rows below the header: nothing to import"}}
	}
	res.Records = len(records)
	return records, res, nil
}

// row is one line's values by column name; columns the file lacks read as "".
type row struct {
	line   int
	values map[string]string
}

func (r row) get(column string) string { return strings.TrimSpace(r.values[column]) }

// firstInvalidLine returns the line of the first byte that is not UTF-8, or 0.
func firstInvalidLine(raw []byte) int {
	if utf8.Valid(raw) {
		return 0
	}
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if !utf8.Valid(line) {
			return i + 1
		}
	}
	return 1
}

// delimiter picks ';' (what Excel writes in Norway) or ',' by which the header line holds more of.
func delimiter(raw []byte) rune {
	header, _, _ := bytes.Cut(raw, []byte("\n"))
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		return ';'
	}
	return ','
}

// readHeader maps the file's columns to the kind's, case-insensitively, and refuses unknown,
// repeated and missing required columns. A column without a name is ignored if it stays empty.
func readHeader(kind Kind, header []string) ([]string, Problems) {
	var problems Problems
	known := map[string]bool{}
	var names []string
	for _, c := range kind.Columns {
		known[c.Name] = true
		names = append(names, c.Name)
	}
	columns := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		columns[i] = name
		switch {
		case name == "":
		case !known[name]:
			problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf("unknown column %q: a %s file has the columns %s",
				strings.TrimSpace(h), kind.Name, strings.Join(names, ", "))})
		case seen[name]:
			problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf("column %q appears twice", name)})
		}
		seen[name] = true
	}
	for _, c := range kind.Columns {
		if c.Required && !seen[c.Name] {
			problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf("required column %q is missing", c.Name)})
		}
	}
	return columns, problems
}

// rowValues pairs a line's fields with the columns. A line with more values than columns is
// refused unless the extra ones are empty (trailing delimiters); fewer values are refused too,
// because a shifted line would put figures in the wrong column.
func rowValues(columns, fields []string, line int) (map[string]string, *Problem) {
	if len(fields) < len(columns) || (len(fields) > len(columns) && !blank(fields[len(columns):])) {
		return nil, &Problem{Line: line, Reason: fmt.Sprintf("has %d values, the header has %d columns", len(fields), len(columns))}
	}
	values := map[string]string{}
	for i, name := range columns {
		if name == "" {
			if strings.TrimSpace(fields[i]) != "" {
				return nil, &Problem{Line: line, Reason: fmt.Sprintf("value %q in column %d, which has no name in the header", fields[i], i+1)}
			}
			continue
		}
		values[name] = fields[i]
	}
	return values, nil
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvProblem explains a line the CSV reader could not split; a stray quote makes the reader take
// the following lines into the same value, so the rest of the file is read as one broken line.
func csvProblem(err error) Problem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Problem{Line: pe.StartLine, Reason: fmt.Sprintf("not readable as CSV (%v at line %d, column %d): check the quotes from this line on", pe.Err, pe.Line, pe.Column)}
	}
	return Problem{Line: 1, Reason: err.Error()}
}
