package paper

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
	name   string
	header []string // normalised column names
	err    error
}

func newCSVSource(r io.Reader, name string, sep rune) *csvSource {
	cr := csv.NewReader(r)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = sep == '\t'
	return &csvSource{r: cr, name: name}
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
		line, _ := s.r.FieldPos(0)
		s.header = make([]string, len(rec))
		found := false
		for i, h := range rec {
			s.header[i] = fieldKey(cleanText(h))
			switch s.header[i] {
			case "title", "abstract", "summary":
				found = true
			}
		}
		if !found {
			return &InputError{
				Pos: Position{File: s.name, Line: line},
				Err: fmt.Errorf("the header row names no title or abstract column (it has: %s)", snippet(strings.Join(rec, ", "))),
			}
		}
		return nil
	}
}

// wrap turns a csv error into a RecordError (a bad row, reading goes on)
// or a fatal InputError.
func (s *csvSource) wrap(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RecordError{Pos: Position{File: s.name, Line: max(pe.StartLine, 1)}, Reason: csvReason(pe)}
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{Pos: Position{File: s.name}, Err: err}
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
		line, _ := s.r.FieldPos(0)
		pos := Position{File: s.name, Line: max(line, 1)}
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
