package paper

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text format (see doc.go for the rules in prose).
//
// The input is cut into blocks of consecutive non-blank lines. A block
// holding a long line (more than maxTitleRunes) is read as title/abstract
// pairs: each long line is the abstract of the short line just before it,
// a short line is also taken as an abstract when it reads like one and the
// line after it is not long. A block without any long line is one paper
// (title line, then abstract lines joined) unless it alternates
// title/sentence lines, when it is read as pairs too.
//
// Lines that cannot be paired are page chrome while no paper has been read
// yet, and RecordErrors after that.

// maxTitleRunes is the longest line taken as a title. Titles in the ACM
// records run to 358 characters at the very most (99.9% under 180);
// abstracts are longer than 300 characters in 99% of the records.
const maxTitleRunes = 300

// minShortAbstractRunes is the shortest line taken as an abstract when it
// is not long (it must also end in a full stop).
const minShortAbstractRunes = 80

// chromeWords are page-chrome words found glued to the start of a title when
// a web page is saved as text ("SubscribeEfficient LoFTR: ..."). A line
// holding nothing else is ignored.
var chromeWords = []string{
	"Subscribe", "Unsubscribe", "Sign in", "Sign In", "Sign up", "Sign Up",
	"Log in", "Log In", "Login", "Log out", "Logout", "Share", "Download",
	"PDF", "Tweet", "Upvote", "Bookmark", "Follow", "Menu", "Save",
	"Cite", "Copy link", "Add to library", "View PDF", "Read more",
}

type textLine struct {
	text  string
	line  int
	runes int
	over  bool // longer than the record bound: text is empty
}

func (l *textLine) long() bool { return l.runes > maxTitleRunes }

type textSource struct {
	lr      *lineReader
	name    string
	started bool // a paper or an unpaired line has been reported
	out     []result
	eof     bool

	// Current block.
	inBlock  bool       // lines of a block remain to be read from lr
	queue    []textLine // lines read but not yet consumed
	pairMode bool
	title    *textLine // pending title in pair mode
}

type result struct {
	p   Paper
	err error
}

func newTextSource(r io.Reader, name string, max int) *textSource {
	return &textSource{lr: newLineReader(r, max), name: name}
}

func (s *textSource) next() (Paper, error) {
	for len(s.out) == 0 {
		if s.eof && len(s.queue) == 0 && s.title == nil {
			return Paper{}, io.EOF
		}
		if err := s.step(); err != nil {
			return Paper{}, err
		}
	}
	r := s.out[0]
	s.out = s.out[1:]
	if len(s.out) == 0 {
		s.out = nil
	}
	return r.p, r.err
}

// readLine returns the next line of the current block, or nil at a blank
// line or the end of the input (which end the block).
func (s *textSource) readLine() (*textLine, error) {
	for {
		b, err := s.lr.next()
		if err == io.EOF {
			s.eof = true
			s.inBlock = false
			return nil, nil
		}
		if err == errLineTooLong {
			// A long line, so an abstract; its paper is reported as too long.
			return &textLine{line: s.lr.line, runes: maxTitleRunes + 1, over: true}, nil
		}
		if err != nil {
			return nil, err
		}
		if isBlank(b) {
			s.inBlock = false
			return nil, nil
		}
		t := string(b)
		if isChromeLine(t) {
			continue
		}
		return &textLine{text: t, line: s.lr.line, runes: utf8.RuneCountInString(t)}, nil
	}
}

// step advances by one line (pair mode) or one block, appending to s.out.
func (s *textSource) step() error {
	if !s.inBlock && len(s.queue) == 0 && s.title == nil {
		if s.eof {
			return nil
		}
		// Start a block: collect lines until a long line or its end.
		s.inBlock, s.pairMode = true, false
		size := 0
		for s.inBlock {
			l, err := s.readLine()
			if err != nil {
				return err
			}
			if l == nil {
				break
			}
			if size += len(l.text) + 1; size > s.lr.max {
				// A block of short lines longer than a record may be:
				// reported at its first line, the rest of it skipped.
				first := l.line
				if len(s.queue) > 0 {
					first = s.queue[0].line
				}
				s.started = true
				s.out = append(s.out, result{err: tooLong(Position{File: s.name, Line: first}, s.lr.max)})
				s.queue = nil
				for s.inBlock {
					if l, err = s.readLine(); err != nil {
						return err
					}
					if l == nil {
						break
					}
				}
				return nil
			}
			s.queue = append(s.queue, *l)
			if l.long() {
				s.pairMode = true
				break
			}
		}
		if !s.pairMode {
			s.shortBlock(s.queue)
			s.queue = nil
			return nil
		}
	}
	// Pair mode: consume one line.
	x, err := s.take()
	if err != nil {
		return err
	}
	if x == nil {
		if s.title != nil {
			s.unpaired(*s.title)
			s.title = nil
		}
		return nil
	}
	if s.title == nil {
		if x.long() {
			s.orphan(*x)
		} else {
			s.title = x
		}
		return nil
	}
	t := *s.title
	if x.long() {
		s.title = nil
		if x.over {
			s.started = true
			s.out = append(s.out, result{err: tooLong(Position{File: s.name, Line: t.line}, s.lr.max)})
			return nil
		}
		s.emit(t, x.text)
		return nil
	}
	if readsAsAbstract(x.text, x.runes) {
		z, err := s.peek()
		if err != nil {
			return err
		}
		if z == nil || !z.long() {
			s.title = nil
			s.emit(t, x.text)
			return nil
		}
	}
	s.unpaired(t)
	s.title = x
	return nil
}

// take returns the next line of the block in pair mode, or nil at its end.
func (s *textSource) take() (*textLine, error) {
	if len(s.queue) > 0 {
		l := s.queue[0]
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil
		}
		return &l, nil
	}
	if !s.inBlock {
		return nil, nil
	}
	return s.readLine()
}

// peek returns the line take will return next, or nil at the block's end.
func (s *textSource) peek() (*textLine, error) {
	if len(s.queue) > 0 {
		return &s.queue[0], nil
	}
	if !s.inBlock {
		return nil, nil
	}
	l, err := s.readLine()
	if err != nil || l == nil {
		return nil, err
	}
	s.queue = append(s.queue, *l)
	return l, nil
}

// shortBlock handles a block without a long line.
func (s *textSource) shortBlock(lines []textLine) {
	switch {
	case len(lines) == 0:
		return
	case len(lines) == 1:
		s.unpaired(lines[0])
		return
	case alternates(lines):
		for i := 0; i+1 < len(lines); i += 2 {
			s.emit(lines[i], lines[i+1].text)
		}
		return
	}
	parts := make([]string, 0, len(lines)-1)
	for _, l := range lines[1:] {
		parts = append(parts, l.text)
	}
	abstract := strings.Join(parts, " ")
	if utf8.RuneCountInString(abstract) < minShortAbstractRunes && !endsSentence(abstract) {
		// "Home / Trending papers", "Load more / Privacy": not a paper.
		for _, l := range lines {
			s.unpaired(l)
		}
		return
	}
	s.emit(lines[0], abstract)
}

// alternates reports whether short lines read as title, sentence, title,
// sentence: an even number of at least 4 lines, every second one ending in a
// full stop and none of the others.
func alternates(lines []textLine) bool {
	if len(lines) < 4 || len(lines)%2 != 0 {
		return false
	}
	for i, l := range lines {
		if endsSentence(l.text) != (i%2 == 1) {
			return false
		}
	}
	return true
}

func (s *textSource) emit(title textLine, abstract string) {
	s.started = true
	p := Paper{
		Title:    cleanTitle(title.text),
		Abstract: cleanText(abstract),
	}
	pos := Position{File: s.name, Line: title.line}
	if err := finish(&p, pos, ""); err != nil {
		s.out = append(s.out, result{err: err})
		return
	}
	s.out = append(s.out, result{p: p})
}

// unpaired handles a short line that has no abstract after it.
func (s *textSource) unpaired(l textLine) {
	if !s.started {
		return // page chrome before the first paper
	}
	s.out = append(s.out, result{err: &RecordError{
		Pos:    Position{File: s.name, Line: l.line},
		Reason: "line has no abstract after it (not a title?): " + snippet(l.text),
	}})
}

// orphan handles a long line that has no title before it.
func (s *textSource) orphan(l textLine) {
	s.started = true
	if l.over {
		s.out = append(s.out, result{err: tooLong(Position{File: s.name, Line: l.line}, s.lr.max)})
		return
	}
	s.out = append(s.out, result{err: &RecordError{
		Pos:    Position{File: s.name, Line: l.line},
		Reason: "abstract without a title line before it: " + snippet(l.text),
	}})
}

func readsAsAbstract(s string, runes int) bool {
	return runes >= minShortAbstractRunes && endsSentence(s)
}

func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '"' || r == '\'' || r == ')' || r == '”' || r == '’'
	})
	return strings.HasSuffix(s, ".")
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
			return false
		}
	}
	return true
}

func isChromeLine(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) > 20 {
		return false
	}
	for _, w := range chromeWords {
		if t == w {
			return true
		}
	}
	return false
}

// cleanTitle cleans a title line and strips page-chrome words glued to its
// start: "SubscribeEfficient LoFTR" -> "Efficient LoFTR". A word is only
// stripped when the rest starts with a capitalised word (an upper-case
// letter then a lower-case one), so "ShareGPT4V" and "PDFormer" stay.
func cleanTitle(s string) string {
	s = cleanText(s)
	for changed := true; changed; {
		changed = false
		for _, w := range chromeWords {
			rest, ok := strings.CutPrefix(s, w)
			if !ok || !capitalised(rest) {
				continue
			}
			s, changed = rest, true
		}
	}
	return s
}

func capitalised(s string) bool {
	r1, n := utf8.DecodeRuneInString(s)
	r2, _ := utf8.DecodeRuneInString(s[n:])
	return unicode.IsUpper(r1) && unicode.IsLower(r2)
}
