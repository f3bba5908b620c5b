package paper

import (
	"errors"
	"io"
)

// errRecordTooLong is what csvLimiter hands encoding/csv when a row grows
// past the bound; csvSource turns it into a RecordError.
var errRecordTooLong = errors.New("record too long")

// csvLimiter sits between the input and encoding/csv, which reads a whole
// row into memory whatever its size (an unclosed quote makes the rest of
// the file one field). It follows the rows as encoding/csv cuts them
// (quoted fields may hold separators and line breaks, "" is a quote, a
// bare quote ends a row at its line in strict mode) and passes at most
// max+2 bytes of one row (+2: its line end). Past that it returns
// errRecordTooLong, and on the next read drops the rest of that row from
// the input, so encoding/csv goes on with the row after it.
//
// Lines dropped are not seen by encoding/csv: skipped counts them, to add
// to the line numbers it reports.
type csvLimiter struct {
	r    io.Reader
	sep  byte
	lazy bool
	max  int

	st      int  // csvFieldStart, ...
	n       int  // bytes of the current row passed on
	nl      int  // line breaks seen, passed on or dropped
	recLine int  // line where the current row starts
	cutLine int  // line where the row cut short starts
	skipped int  // lines dropped that encoding/csv did not count
	dropped bool // a line break of the row cut short has been dropped
	mode    int  // limPass, limErr, limSkip
	rest    []byte
	scratch []byte
	err     error // from r, returned once rest is used up
}

const (
	csvFieldStart = iota
	csvUnquoted
	csvQuoted
	csvQuoteInQuoted // a '"' inside a quoted field: closing, or the first of ""
	csvBadLine       // a quote error: encoding/csv ends the row at this line
)

const (
	limPass = iota
	limErr  // the row is over the bound: tell encoding/csv
	limSkip // drop the rest of the row, then pass again
)

func newCSVLimiter(r io.Reader, sep byte, lazy bool, max int) *csvLimiter {
	return &csvLimiter{r: r, sep: sep, lazy: lazy, max: max, recLine: 1}
}

// step advances the row state by one byte and reports whether the row
// ended with it.
func (l *csvLimiter) step(c byte) bool {
	switch l.st {
	case csvFieldStart:
		switch c {
		case '"':
			l.st = csvQuoted
		case l.sep:
		case '\n':
			return true
		default:
			l.st = csvUnquoted
		}
	case csvUnquoted:
		switch c {
		case l.sep:
			l.st = csvFieldStart
		case '\n':
			l.st = csvFieldStart
			return true
		case '"':
			if !l.lazy {
				l.st = csvBadLine
			}
		}
	case csvQuoted:
		if c == '"' {
			l.st = csvQuoteInQuoted
		}
	case csvQuoteInQuoted:
		switch c {
		case '"':
			l.st = csvQuoted
		case l.sep:
			l.st = csvFieldStart
		case '\n':
			l.st = csvFieldStart
			return true
		case '\r':
		default:
			if l.lazy {
				l.st = csvQuoted
			} else {
				l.st = csvBadLine
			}
		}
	case csvBadLine:
		if c == '\n' {
			l.st = csvFieldStart
			return true
		}
	}
	return false
}

func (l *csvLimiter) fill() error {
	if l.err != nil {
		return l.err
	}
	if l.scratch == nil {
		l.scratch = make([]byte, 32<<10)
	}
	n, err := l.r.Read(l.scratch)
	l.rest = l.scratch[:n]
	if err != nil {
		l.err = err
		if n == 0 {
			return err
		}
	}
	return nil
}

func (l *csvLimiter) Read(p []byte) (int, error) {
	switch l.mode {
	case limErr:
		l.mode, l.dropped = limSkip, false
		return 0, errRecordTooLong
	case limSkip:
		for l.mode == limSkip {
			if len(l.rest) == 0 {
				if err := l.fill(); err != nil {
					return 0, err
				}
			}
			for i, c := range l.rest {
				if c == '\n' {
					l.nl++
					// encoding/csv counted the line it was cut in; the
					// lines after it are the ones it never sees.
					if l.dropped {
						l.skipped++
					}
					l.dropped = true
				}
				if l.step(c) {
					l.rest = l.rest[i+1:]
					l.mode, l.n, l.recLine = limPass, 0, l.nl+1
					break
				}
			}
			if l.mode == limSkip {
				l.rest = nil
			}
		}
	}
	if len(l.rest) == 0 {
		if err := l.fill(); err != nil {
			return 0, err
		}
	}
	k := 0
	for k < len(l.rest) && k < len(p) {
		if l.n >= l.max+2 {
			l.mode, l.cutLine = limErr, l.recLine
			break
		}
		c := l.rest[k]
		p[k] = c
		k++
		l.n++
		if c == '\n' {
			l.nl++
		}
		if l.step(c) {
			l.n, l.recLine = 0, l.nl+1
		}
	}
	l.rest = l.rest[k:]
	if k == 0 && l.mode == limErr {
		l.mode, l.dropped = limSkip, false
		return 0, errRecordTooLong
	}
	return k, nil
}
