package paper

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// BibTeX reading happens in two steps. bibSource cuts the input into
// entries, line by line: an entry starts at an '@' that begins a line (after
// white space) or follows the end of the previous entry on its line, and
// ends at the brace (or parenthesis) that balances its opening one. A line
// that starts with "@type{" at column 0 while an entry is still open means
// that entry is unbalanced: it is reported at the line where it starts and
// reading goes on with the new entry. Text between entries is a comment.
// parseEntry then reads the fields of one entry.

type bibSource struct {
	lr     *lineReader
	name   string
	macros map[string]string

	carry     []byte // rest of a line after an entry ended on it
	carryLine int
	pending   []byte // a line that starts an entry, read while looking for an end
	pendLine  int
	eof       bool
	buf       bytes.Buffer // the entry being read
}

// monthMacros are BibTeX's predefined month abbreviations.
var monthMacros = map[string]string{
	"jan": "January", "feb": "February", "mar": "March", "apr": "April",
	"may": "May", "jun": "June", "jul": "July", "aug": "August",
	"sep": "September", "oct": "October", "nov": "November", "dec": "December",
}

func newBibSource(r io.Reader, name string, max int) *bibSource {
	m := make(map[string]string, len(monthMacros))
	for k, v := range monthMacros {
		m[k] = v
	}
	return &bibSource{lr: newLineReader(r, max), name: name, macros: m}
}

func (s *bibSource) next() (Paper, error) {
	for {
		raw, line, err := s.nextEntry()
		if err != nil {
			return Paper{}, err
		}
		p, ok, err := s.parseEntry(raw, line)
		if err != nil {
			return Paper{}, err
		}
		if ok {
			return p, nil
		}
	}
}

// nextEntry returns the text of the next entry, from its '@' to its closing
// delimiter, and the line it starts on. A *RecordError reports an entry
// that does not close.
func (s *bibSource) nextEntry() (string, int, error) {
	var text []byte
	var start int
	switch {
	case s.pending != nil:
		text, start, s.pending = s.pending, s.pendLine, nil
	case s.carry != nil:
		t := bytes.TrimLeft(s.carry, " \t\r")
		if len(t) > 0 && t[0] == '@' {
			text, start = t, s.carryLine
		}
		s.carry = nil
	}
	for text == nil {
		if s.eof {
			return "", 0, io.EOF
		}
		b, err := s.lr.next()
		if err == io.EOF {
			s.eof = true
			return "", 0, io.EOF
		}
		if err == errLineTooLong {
			// Too long to be a comment line: an entry on one line.
			return "", 0, tooLong(Position{File: s.name, Line: s.lr.line}, s.lr.max)
		}
		if err != nil {
			return "", 0, err
		}
		t := bytes.TrimLeft(b, " \t")
		if len(t) > 0 && t[0] == '@' {
			text, start = t, s.lr.line // used before the next read
		}
	}

	var sc entryScanner
	buf := &s.buf
	buf.Reset()
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // do not hold on to one huge entry
	}
	over := false // the entry is longer than the bound: its text is dropped
	for {
		end, state := sc.scan(text)
		switch state {
		case scanDone:
			buf.Write(text[:end])
			if rest := text[end:]; len(bytes.TrimSpace(rest)) > 0 {
				s.carry, s.carryLine = bytes.Clone(rest), s.lr.line
			}
			if over || buf.Len() > s.lr.max {
				buf.Reset()
				return "", 0, tooLong(Position{File: s.name, Line: start}, s.lr.max)
			}
			return buf.String(), start, nil
		case scanBad:
			// Not an entry after all ("@ " or "@type" without a brace).
			if rest := text[end:]; len(bytes.TrimSpace(rest)) > 0 {
				s.carry, s.carryLine = bytes.Clone(rest), s.lr.line
			}
			return "", 0, &RecordError{
				Pos:    Position{File: s.name, Line: start},
				Reason: "'@' not followed by an entry type and '{': " + snippet(buf.String()+string(text)),
			}
		}
		if !over {
			buf.Write(text)
			buf.WriteByte('\n')
			if buf.Len() > s.lr.max {
				over = true
				buf.Reset()
			}
		}
		if s.eof {
			return "", 0, s.unclosed(start, &sc, "at the end of the input")
		}
		b, err := s.lr.next()
		if err == io.EOF {
			s.eof = true
			if over {
				return "", 0, tooLong(Position{File: s.name, Line: start}, s.lr.max)
			}
			return "", 0, s.unclosed(start, &sc, "at the end of the input")
		}
		if err == errLineTooLong {
			over = true
			buf.Reset()
			// The line is gone, and with it where the entry ends: go on
			// at the next line that starts an entry.
			for {
				b, err := s.lr.next()
				if err == io.EOF {
					s.eof = true
					break
				}
				if err != nil && err != errLineTooLong {
					return "", 0, err
				}
				if err == nil && startsEntry(b) {
					s.pending, s.pendLine = bytes.Clone(b), s.lr.line
					break
				}
			}
			return "", 0, tooLong(Position{File: s.name, Line: start}, s.lr.max)
		}
		if err != nil {
			return "", 0, err
		}
		if sc.inBody() && startsEntry(b) {
			s.pending, s.pendLine = bytes.Clone(b), s.lr.line
			if over {
				return "", 0, tooLong(Position{File: s.name, Line: start}, s.lr.max)
			}
			return "", 0, s.unclosed(start, &sc, fmt.Sprintf("before the next entry at line %d", s.lr.line))
		}
		text = b
	}
}

func (s *bibSource) unclosed(start int, sc *entryScanner, where string) error {
	id := ""
	reason := fmt.Sprintf("entry is not closed %s (unbalanced braces or quotes); skipped", where)
	if !sc.inBody() {
		reason = fmt.Sprintf("'@%s' has no '{' %s; skipped", sc.typ.String(), where)
	}
	return &RecordError{Pos: Position{File: s.name, Line: start}, ID: id, Reason: reason}
}

// startsEntry reports whether a line starts, at column 0, with @type{ or
// @type(.
func startsEntry(b []byte) bool {
	if len(b) < 3 || b[0] != '@' {
		return false
	}
	i := 1
	for i < len(b) && isLetter(b[i]) {
		i++
	}
	if i == 1 {
		return false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i < len(b) && (b[i] == '{' || b[i] == '(')
}

// entryScanner finds the end of an entry fed to it piece by piece.
type entryScanner struct {
	phase   int // 0: at '@', 1: type name, 2: before the opening delimiter, 3: body
	typ     bytes.Buffer
	closer  byte
	depth   int  // brace depth inside the body
	quote   bool // inside "..." at depth 0 of a (...) entry
	escaped bool
}

const (
	scanMore = iota
	scanDone
	scanBad
)

func (sc *entryScanner) inBody() bool { return sc.phase == 3 }

// scan consumes b and returns scanDone with the index just past the
// closing delimiter, scanBad with the index where the text stopped looking
// like an entry, or scanMore.
func (sc *entryScanner) scan(b []byte) (int, int) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch sc.phase {
		case 0: // '@'
			sc.phase = 1
		case 1:
			if isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' {
				sc.typ.WriteByte(c)
				continue
			}
			if sc.typ.Len() == 0 {
				return i, scanBad
			}
			sc.phase = 2
			i--
		case 2:
			switch c {
			case ' ', '\t', '\r', '\n':
			case '{':
				sc.phase, sc.closer = 3, '}'
			case '(':
				sc.phase, sc.closer = 3, ')'
			default:
				return i, scanBad
			}
		case 3:
			if sc.escaped {
				sc.escaped = false
				continue
			}
			if !bodySpecial[c] {
				// Skip ordinary text in one go.
				j := bytes.IndexAny(b[i:], "\\{}\"()")
				if j < 0 {
					return len(b), scanMore
				}
				i += j
				c = b[i]
			}
			switch c {
			case '\\':
				sc.escaped = true
			case '{':
				sc.depth++
			case '}':
				if sc.depth == 0 && sc.closer == '}' {
					return i + 1, scanDone
				}
				sc.depth--
			case '"':
				if sc.depth == 0 {
					sc.quote = !sc.quote
				}
			case ')':
				if sc.closer == ')' && sc.depth == 0 && !sc.quote {
					return i + 1, scanDone
				}
			}
		}
	}
	if sc.phase == 1 && sc.typ.Len() > 0 {
		sc.phase = 2 // the type name ends at the line end
	}
	if sc.phase == 1 {
		return len(b), scanBad
	}
	return len(b), scanMore
}

var bodySpecial = [256]bool{'\\': true, '{': true, '}': true, '"': true, '(': true, ')': true}

// verbatimFields hold identifiers, not prose: only braces and \_-style
// escapes are removed from them.
var verbatimFields = map[string]bool{
	"doi": true, "url": true, "eprint": true, "file": true, "pdf": true, "isbn": true,
	"issn": true, "biburl": true, "bibsource": true, "timestamp": true, "link": true,
}

// parseEntry reads one entry. ok is false for entries that hold no record
// (@comment, @preamble, @string).
func (s *bibSource) parseEntry(raw string, line int) (Paper, bool, error) {
	p := bibParser{s: raw, macros: s.macros}
	p.i = 1 // past '@'
	typ := strings.ToLower(p.word())
	p.skipSpace()
	if p.i >= len(raw) {
		return Paper{}, false, nil
	}
	closer := byte('}')
	if raw[p.i] == '(' {
		closer = ')'
	}
	p.i++
	p.closer = closer
	bad := func(err error) error {
		return &RecordError{
			Pos:    Position{File: s.name, Line: line},
			ID:     cleanText(p.key),
			Reason: fmt.Sprintf("@%s at line %d: %v; entry skipped", typ, line+strings.Count(raw[:min(p.i, len(raw))], "\n"), err),
		}
	}
	switch typ {
	case "comment", "preamble":
		return Paper{}, false, nil
	case "string":
		fields, err := p.fields()
		if err != nil {
			return Paper{}, false, bad(err)
		}
		for _, f := range fields {
			s.macros[f.key] = f.value
		}
		return Paper{}, false, nil
	}
	if err := p.citeKey(); err != nil {
		return Paper{}, false, bad(err)
	}
	fields, err := p.fields()
	if err != nil {
		return Paper{}, false, bad(err)
	}
	pp := bibRecord(typ, p.key, fields)
	if err := finish(&pp, Position{File: s.name, Line: line}, cleanText(p.key)); err != nil {
		return Paper{}, false, err
	}
	return pp, true, nil
}

// bibRecord maps the raw fields of an entry to a Paper.
func bibRecord(typ, key string, raw []field) Paper {
	fields := make([]field, 0, len(raw)+2)
	var authors []string
	hasType, hasKey := false, false
	for _, f := range raw {
		switch {
		case f.key == "author":
			if authors == nil {
				authors = bibAuthors(f.value)
			}
			continue
		case verbatimFields[f.key]:
			f.value = verbatim(f.value)
		default:
			f.value = latexToText(f.value)
		}
		hasType = hasType || f.key == "type"
		hasKey = hasKey || f.key == "citekey"
		fields = append(fields, f)
	}
	if !hasType {
		fields = append(fields, field{key: "type", value: typ})
	}
	if !hasKey && key != "" {
		fields = append(fields, field{key: "citekey", value: key})
	}
	p := flatRecord(fields)
	p.Authors = authors
	return p
}

// bibAuthors splits an author list on " and " outside braces, so that
// {Barnes and Noble} stays one name, and converts each name.
func bibAuthors(s string) []string {
	var names []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ' ', '\t', '\n', '\r':
			if depth != 0 {
				continue
			}
			j := i + 1
			for j < len(s) && isSpaceByte(s[j]) {
				j++
			}
			if j+3 < len(s) && strings.EqualFold(s[j:j+3], "and") && isSpaceByte(s[j+3]) {
				names = append(names, cleanText(latexToText(s[last:i])))
				last = j + 4
				i = j + 3
			}
		}
	}
	names = append(names, cleanText(latexToText(s[last:])))
	return tidyNames(names)
}

// verbatim removes braces and the escapes \_ \% \& \# \$ \~ from an
// identifier such as a URL.
func verbatim(s string) string {
	if !strings.ContainsAny(s, "{}\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' || c == '}':
		case c == '\\' && i+1 < len(s) && strings.IndexByte("_%&#$~{}", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// bibParser reads the inside of one entry.
type bibParser struct {
	s      string
	i      int
	closer byte
	key    string
	macros map[string]string
}

func (p *bibParser) skipSpace() {
	for p.i < len(p.s) && isSpaceByte(p.s[p.i]) {
		p.i++
	}
}

// word reads a type, field or macro name.
func (p *bibParser) word() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if isSpaceByte(c) || strings.IndexByte(`=,#{}()"`, c) >= 0 {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// citeKey reads the key up to the first comma (keys may hold almost
// anything). An entry without a key, whose first field follows the brace,
// is accepted.
func (p *bibParser) citeKey() error {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ',' || c == p.closer || c == '=' || isSpaceByte(c) || c == '{' || c == '}' {
			break
		}
		p.i++
	}
	key := p.s[start:p.i]
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '=' {
		p.i = start // no key: this was the first field name
		return nil
	}
	p.key = key
	if p.i < len(p.s) && (p.s[p.i] == ',' || p.s[p.i] == p.closer) {
		if p.s[p.i] == ',' {
			p.i++
		}
		return nil
	}
	if p.i >= len(p.s) {
		return fmt.Errorf("entry ends after its key")
	}
	return fmt.Errorf("expected ',' after the key %q, found %q", key, p.s[p.i])
}

// fields reads name = value pairs up to the closing delimiter.
func (p *bibParser) fields() ([]field, error) {
	var out []field
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return out, fmt.Errorf("entry ends without a closing %q", p.closer)
		}
		switch c := p.s[p.i]; {
		case c == p.closer:
			p.i++
			return out, nil
		case c == ',':
			p.i++
			continue
		}
		name := p.word()
		if name == "" {
			return out, fmt.Errorf("expected a field name, found %q", p.s[p.i])
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return out, fmt.Errorf("expected '=' after the field name %q", name)
		}
		p.i++
		value, err := p.value(name)
		if err != nil {
			return out, err
		}
		out = append(out, field{key: fieldKey(name), value: value})
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != p.closer {
			return out, fmt.Errorf("expected ',' or %q after the field %q, found %q", p.closer, name, p.s[p.i])
		}
	}
}

// value reads one value: parts joined by '#', each a {braced} or "quoted"
// string, a number or a macro name.
func (p *bibParser) value(name string) (string, error) {
	var b strings.Builder
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return "", fmt.Errorf("the field %q has no value", name)
		}
		switch c := p.s[p.i]; {
		case c == '{':
			end := matchBrace(p.s, p.i)
			if end < 0 {
				return "", fmt.Errorf("the value of %q has unbalanced braces", name)
			}
			b.WriteString(p.s[p.i+1 : end])
			p.i = end + 1
		case c == '"':
			end := matchQuote(p.s, p.i)
			if end < 0 {
				return "", fmt.Errorf("the value of %q has no closing quote", name)
			}
			b.WriteString(p.s[p.i+1 : end])
			p.i = end + 1
		case c >= '0' && c <= '9':
			start := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			b.WriteString(p.s[start:p.i])
		default:
			m := p.word()
			if m == "" {
				return "", fmt.Errorf("expected a value for the field %q, found %q", name, c)
			}
			if v, ok := p.macros[fieldKey(m)]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(m) // an undefined macro reads as its name
			}
		}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == '#' {
			p.i++
			continue
		}
		return b.String(), nil
	}
}

// matchBrace returns the index of the '}' that closes the '{' at s[i],
// skipping escaped braces, or -1.
func matchBrace(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// matchQuote returns the index of the '"' that closes the one at s[i]:
// the next '"' outside braces and not escaped, or -1.
func matchQuote(s string, i int) int {
	depth := 0
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case '"':
			if depth <= 0 {
				return i
			}
		}
	}
	return -1
}
