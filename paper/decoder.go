package paper

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/papermap/papermap/internal/format"
)

// ErrNotText is wrapped by the error a Decoder returns for input that is
// not text at all (a PNG, a zip, random bytes, UTF-16).
var ErrNotText = errors.New("not a text file")

// RecordError is a record that cannot be used: it is skipped and reported
// as "FILE:LINE: reason". Reading goes on after it.
//
// A RecordError with Warning set skips nothing: it says that the input was
// read with something missing (a CSV header without an abstract column, so
// papers are read from their titles). Readers give at most one per input.
type RecordError struct {
	Pos     Position
	ID      string // the record's ID when it could be worked out, else ""
	Reason  string
	Warning bool
}

func (e *RecordError) Error() string {
	if e.Warning {
		return e.Pos.String() + ": warning: " + e.Reason
	}
	return e.Pos.String() + ": " + e.Reason
}

// Options says how to read an input. The zero value detects the format,
// names the input "stdin" and bounds records at DefaultMaxRecordBytes.
type Options struct {
	Format Format // zero value = FormatAuto
	Name   string // display name used in positions and errors; "" = "stdin" for readers
	// MaxRecordBytes bounds the size of one record as it stands in the
	// (decompressed) input: a line of JSON Lines, an element of a JSON
	// array, a CSV row, a BibTeX entry, a block of text, an RIS, Web of
	// Science or MEDLINE record. A longer record is a *RecordError at the
	// line where it starts, its bytes are skipped without being kept, and
	// reading goes on with the next record. Every field is part of a
	// record, so fields are bounded too. 0 = DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// DefaultMaxRecordBytes is the record bound when Options.MaxRecordBytes is
// 0: 16 MiB, a thousand times the longest abstract in the ACM and arXiv
// data, and far below what the store accepts in one record (256 MiB).
const DefaultMaxRecordBytes = 16 << 20

// maxRecord returns the record bound of opts.
func (o Options) maxRecord() int {
	if o.MaxRecordBytes > 0 {
		return o.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

// tooLong is the RecordError of a record longer than max bytes.
func tooLong(pos Position, max int) *RecordError {
	return &RecordError{Pos: pos, Reason: fmt.Sprintf("record is longer than %s bytes (the limit, Options.MaxRecordBytes); skipped", format.Int(max))}
}

// headSize is how much of the input is looked at to detect its format and
// to tell text from binary data.
const headSize = 64 << 10

// source produces the records of one format.
type source interface {
	next() (Paper, error)
}

// Decoder reads papers from an input one record at a time. It is not safe
// for concurrent use.
type Decoder struct {
	name   string
	format Format
	src    source
	err    error // sticky: io.EOF or a fatal error
}

// NewDecoder returns a Decoder that reads r. Gzip-compressed input (by its
// magic bytes) is decompressed, a UTF-8 byte order mark is skipped and
// CRLF line ends are accepted. With Options.Format auto the format comes
// from DetectFormat(Options.Name, first 64 KiB).
//
// NewDecoder reads the first 64 KiB (or up to EOF) to detect the format and
// fails with an error wrapping ErrNotText when they are binary data.
func NewDecoder(r io.Reader, opts Options) (*Decoder, error) {
	name := opts.Name
	if name == "" {
		name = "stdin"
	}
	format, err := ParseFormat(string(opts.Format)) // canonical: "bibtex" -> FormatBibTeX
	if err != nil {
		return nil, err // a caller's mistake, not the input's
	}
	fail := func(err error) (*Decoder, error) {
		return nil, &InputError{Pos: Position{File: name}, Err: err}
	}
	br := bufio.NewReaderSize(r, headSize)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return fail(err)
	}
	if isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fail(err)
		}
		br = bufio.NewReaderSize(zr, headSize)
	}
	head, err = br.Peek(headSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fail(err)
	}
	var base int64
	if bytes.HasPrefix(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
		base = int64(len(utf8BOM))
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return fail(fmt.Errorf("%w (UTF-16 byte order mark; convert the file to UTF-8)", ErrNotText))
	}
	if at, bad := binaryAt(head); bad {
		return fail(fmt.Errorf("%w (binary data at byte %d)", ErrNotText, base+int64(at)))
	}
	detected := DetectFormat(name, head)
	if format == FormatAuto {
		format = detected
		// A pretty-printed JSON document named .jsonl reads as JSON.
		if format == FormatJSONL && sniffFormat(head) == FormatJSON {
			format = FormatJSON
		}
	}
	tr := &textReader{r: br, base: base, name: name}
	d := &Decoder{name: name, format: format}
	max := opts.maxRecord()
	switch format {
	case FormatText:
		d.src = newTextSource(tr, name, max)
	case FormatJSONL:
		d.src = newJSONLSource(tr, name, max)
	case FormatJSON:
		d.src = newJSONSource(tr, name, max)
	case FormatCSV:
		d.src = newCSVSource(tr, name, ',', max)
	case FormatTSV:
		d.src = newCSVSource(tr, name, '\t', max)
	case FormatBibTeX:
		d.src = newBibSource(tr, name, max)
	case FormatRIS:
		d.src = newTaggedSource(tr, name, max, risSyntax)
	case FormatWoS:
		// Tab-delimited (a header row of tags) or plain text.
		if first, _, _ := bytes.Cut(bytes.TrimLeft(head, "\r\n"), []byte{'\n'}); bytes.Count(first, []byte{'\t'}) > 0 && bytes.HasPrefix(first, []byte("PT\t")) {
			d.src = newCSVSource(tr, name, '\t', max)
		} else {
			d.src = newTaggedSource(tr, name, max, wosSyntax)
		}
	case FormatMEDLINE:
		d.src = newTaggedSource(tr, name, max, medlineSyntax)
	}
	return d, nil
}

// Format returns the format being read (never FormatAuto).
func (d *Decoder) Format() Format { return d.format }

// Next returns the next paper. At the end of the input it returns io.EOF.
// A record that cannot be used gives a *RecordError, after which the caller
// may call Next again. Any other error (I/O, gzip, not a text file, broken
// JSON document structure) is fatal: Next returns it again on every later
// call.
//
// Every Paper returned has a non-empty ID, a title or an abstract, a
// Source with Line >= 1, and valid UTF-8 in all its strings.
func (d *Decoder) Next() (Paper, error) {
	if d.err != nil {
		return Paper{}, d.err
	}
	p, err := d.src.next()
	if err == nil {
		return p, nil
	}
	var re *RecordError
	if errors.As(err, &re) {
		return Paper{}, re
	}
	var ie *InputError
	if err != io.EOF && !errors.As(err, &ie) {
		err = &InputError{Pos: Position{File: d.name}, Err: err}
	}
	d.err = err
	return Paper{}, err
}

// InputError is a fatal error in an input: it names the input and, when
// known, the line ("FILE:LINE: invalid JSON: ..."). Err is the cause
// (ErrNotText, a *json.SyntaxError, a gzip or I/O error, ...).
type InputError struct {
	Pos Position
	Err error
}

func (e *InputError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ReadAll reads every paper of r. Records that cannot be used are returned
// in skipped; err is a fatal error, after which papers and skipped hold
// what was read before it.
func ReadAll(r io.Reader, opts Options) (papers []Paper, skipped []*RecordError, err error) {
	d, err := NewDecoder(r, opts)
	if err != nil {
		return nil, nil, err
	}
	for {
		p, err := d.Next()
		if err == io.EOF {
			return papers, skipped, nil
		}
		var re *RecordError
		if errors.As(err, &re) {
			skipped = append(skipped, re)
			continue
		}
		if err != nil {
			return papers, skipped, err
		}
		papers = append(papers, p)
	}
}

// ReadFile reads every paper of the file at path, as ReadAll does. The
// display name defaults to path.
func ReadFile(path string, opts Options) ([]Paper, []*RecordError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if opts.Name == "" {
		opts.Name = path
	}
	return ReadAll(f, opts)
}

// finish completes a record read at pos: it sets Source, checks that there
// is a title or an abstract and fills in the ID by the rule in doc.go
// (own id, DOI, BibTeX key, DeriveID). key is the BibTeX key or "".
func finish(p *Paper, pos Position, key string) error {
	p.Source = pos
	if p.ID == "" {
		p.ID = p.DOI
	}
	if p.ID == "" {
		p.ID = key
	}
	if p.Title == "" && p.Abstract == "" {
		return &RecordError{Pos: pos, ID: p.ID, Reason: "no title and no abstract"}
	}
	if p.ID == "" {
		p.ID = DeriveID(p.Title, p.Abstract)
	}
	// The ID is kept as written, so that output joins with the user's
	// own tables; IDKey and Dedupe match DOIs whatever their case.
	return nil
}

// binaryAt reports whether head looks like binary data, and where: any NUL
// byte, or more than 10% of control characters and invalid UTF-8 (with at
// least 4 of them). Text in a legacy 8-bit encoding passes (its letters are
// repaired to U+FFFD later); a PNG, a zip or random bytes do not.
func binaryAt(head []byte) (int, bool) {
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return i, true
	}
	first, bad := -1, 0
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' || c == 0x7f {
				bad++
				if first < 0 {
					first = i
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(head[i:]) {
				break // cut at the end of head
			}
			bad++
			if first < 0 {
				first = i
			}
		}
		i += size
	}
	if bad >= 4 && bad*10 > len(head) {
		return first, true
	}
	return 0, false
}

// textReader passes the decompressed input through, counting bytes and
// failing at the first NUL byte (binary data after the first 64 KiB). With
// trackLines it also records where lines start, for the JSON reader.
type textReader struct {
	r    io.Reader
	name string
	base int64 // bytes before this reader's first byte (a BOM)
	off  int64 // bytes passed through
	err  error

	trackLines bool
	nl         []int64 // offsets of '\n' not yet passed by lineAt
	line       int     // 1 + newlines before the last offset asked for
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	if i := bytes.IndexByte(p[:n], 0); i >= 0 {
		n = i
		err = &InputError{Pos: Position{File: t.name}, Err: fmt.Errorf("%w (binary data at byte %d)", ErrNotText, t.base+t.off+int64(i))}
		t.err = err
	}
	if t.trackLines {
		for b, o := p[:n], t.off; ; {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			t.nl = append(t.nl, o+int64(i))
			b, o = b[i+1:], o+int64(i)+1
		}
	}
	t.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off. Offsets must not
// decrease from one call to the next.
func (t *textReader) lineAt(off int64) int {
	if t.line == 0 {
		t.line = 1
	}
	i := 0
	for i < len(t.nl) && t.nl[i] < off {
		i++
	}
	t.line += i
	t.nl = append(t.nl[:0], t.nl[i:]...)
	return t.line
}

// lineReader splits its input into lines without the trailing "\n" or
// "\r\n", counting them from 1. A line longer than max bytes is not kept:
// next skips it and returns errLineTooLong, with line set to its number.
type lineReader struct {
	br   *bufio.Reader
	max  int
	line int // number of the line last returned
	buf  []byte
	err  error
}

// errLineTooLong is returned by lineReader.next for a line over its bound.
var errLineTooLong = errors.New("line too long")

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the following call, or io.EOF,
// or errLineTooLong.
func (l *lineReader) next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if cap(l.buf) > 1<<20 {
		l.buf = nil // do not hold on to one huge line
	}
	l.buf = l.buf[:0]
	var line []byte
	skipping := false
	for {
		frag, err := l.br.ReadSlice('\n')
		if !skipping && len(l.buf)+len(frag) > l.max+2 { // +2: the "\r\n"
			skipping = true
			l.buf = l.buf[:0]
		}
		if err == bufio.ErrBufferFull {
			if skipping {
				continue
			}
			if len(l.buf)+len(frag) > cap(l.buf) {
				// Double: append's 1.25x growth for large slices would
				// allocate five times the line in all.
				nb := make([]byte, len(l.buf), min(2*cap(l.buf)+len(frag), l.max+2))
				copy(nb, l.buf)
				l.buf = nb
			}
			l.buf = append(l.buf, frag...)
			continue
		}
		if skipping {
			if err != nil {
				l.err = err
				if err != io.EOF {
					return nil, err
				}
			}
			l.line++
			return nil, errLineTooLong
		}
		if len(l.buf) > 0 {
			l.buf = append(l.buf, frag...)
			line = l.buf
		} else {
			line = frag
		}
		if err != nil {
			l.err = err
			if err != io.EOF || len(line) == 0 {
				return nil, err
			}
		}
		break
	}
	l.line++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > l.max {
		return nil, errLineTooLong
	}
	return line, nil
}
