package paper

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// csvSource reads CSV or TSV with a header row. Columns are found by name
// (case-insensitive, the same names as JSON fields). Quoted fields may hold
// separators, quotes ("") and line breaks; a record's position is the line
// where it starts.
//
// CSV quoting is strict: a bare '"' inside an unquoted field makes that row
// a RecordError. TSV is read leniently, since TSV files rarely quote: a '"'
// inside a field is kept as it is.
type csvSource struct {
	r      *csv.Reader
	lim    *csvLimiter
	name   string
	header []string // normalised column names
	warn   *RecordError
	err    error
}

func newCSVSource(r io.Reader, name string, sep rune, max int) *csvSource {
	lim := newCSVLimiter(r, byte(sep), sep == '\t', max)
	cr := csv.NewReader(lim)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = sep == '\t'
	return &csvSource{r: cr, lim: lim, name: name}
}

// line returns the input line where the field i of the row just read
// starts: encoding/csv's count plus the lines the limiter dropped.
func (s *csvSource) line(i int) int {
	line, _ := s.r.FieldPos(i)
	return max(line+s.lim.skipped, 1)
}

// readHeader reads the header row and checks that it names a title or an
// abstract column; without one no row could be used, so that is fatal.
func (s *csvSource) readHeader() error {
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return s.wrap(err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		line := s.line(0)
		s.header = csvHeader(rec)
		title, abstract := false, false
		for _, h := range s.header {
			title = title || slices.Contains(titleKeys, h)
			abstract = abstract || slices.Contains(abstractKeys, h)
		}
		if !title && !abstract {
			return &InputError{
				Pos: Position{File: s.name, Line: line},
				Err: fmt.Errorf("the header row names no title or abstract column (it has: %s)", snippet(strings.Join(rec, ", "))),
			}
		}
		if !abstract {
			s.warn = &RecordError{Pos: Position{File: s.name, Line: line}, Warning: true,
				Reason: fmt.Sprintf("the header row names no abstract column (it has: %s); papers are read with their titles alone", snippet(strings.Join(rec, ", ")))}
		}
		return nil
	}
}

// wrap turns a csv error into a RecordError (a bad row, reading goes on)
// or a fatal InputError.
func (s *csvSource) wrap(err error) error {
	if errors.Is(err, errRecordTooLong) {
		return tooLong(Position{File: s.name, Line: s.lim.cutLine}, s.lim.max)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RecordError{Pos: Position{File: s.name, Line: max(pe.StartLine+s.lim.skipped, 1)}, Reason: csvReason(pe)}
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{Pos: Position{File: s.name}, Err: err}
}

// csvHeader normalises the cells of a header row into field names. A
// header of Web of Science field tags (PT, AU, TI, AB, PY, DI, ...: its
// tab-delimited export) is read through wosTagNames, so that its TI is the
// title and its ID (Keywords Plus) is not taken for the record's id.
func csvHeader(rec []string) []string {
	h := make([]string, len(rec))
	wos := isWoSHeader(rec)
	for i, c := range rec {
		c = cleanText(c)
		if wos {
			if n, ok := wosTagNames[c]; ok {
				c = n
			}
		}
		h[i] = fieldKey(c)
	}
	return h
}

// isWoSHeader reports whether a header row is Web of Science's: it starts
// with PT and every cell is a two-character tag.
func isWoSHeader(rec []string) bool {
	if len(rec) < 2 || strings.TrimSpace(strings.TrimPrefix(rec[0], "\uFEFF")) != "PT" {
		return false
	}
	for _, c := range rec {
		if c = strings.TrimSpace(c); c != "" && !isTag(c, 2) {
			return false
		}
	}
	return true
}

func csvReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`bare " in an unquoted field at line %d, column %d (quote the field and double its quotes)`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`quoted field not closed, or text after its closing " at line %d, column %d`, pe.Line, pe.Column)
	}
	return pe.Err.Error()
}

func (s *csvSource) next() (Paper, error) {
	if s.err != nil {
		return Paper{}, s.err
	}
	if s.header == nil {
		if err := s.readHeader(); err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				s.err = err
			}
			return Paper{}, err
		}
	}
	if s.warn != nil {
		w := s.warn
		s.warn = nil
		return Paper{}, w
	}
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return Paper{}, io.EOF
		}
		if err != nil {
			err = s.wrap(err)
			var re *RecordError
			if !errors.As(err, &re) {
				s.err = err
			}
			return Paper{}, err
		}
		pos := Position{File: s.name, Line: s.line(0)}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of white space
		}
		if len(rec) != len(s.header) {
			return Paper{}, &RecordError{Pos: pos, Reason: fmt.Sprintf("row has %d fields, the header has %d", len(rec), len(s.header))}
		}
		fields := make([]field, len(rec))
		for i, v := range rec {
			fields[i] = field{key: s.header[i], value: v}
		}
		p := flatRecord(fields)
		if err := finish(&p, pos, ""); err != nil {
			return Paper{}, err
		}
		return p, nil
	}
}
