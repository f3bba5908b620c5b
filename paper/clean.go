package paper

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanText makes a field value readable and safe to embed:
//
//   - invalid UTF-8 is replaced by U+FFFD (the record is kept);
//   - HTML entities with a closing ';' are decoded (&amp; &lt; &#176; ...);
//   - simple inline HTML/JATS tags are removed (<sup>, <sub>, <i>, <b>, <em>,
//     <span ...>, <jats:italic>, ...), also when they were escaped as
//     entities (&lt;sup&gt;), block tags (<p>, <br>, <div>, ...) become a
//     space; any other '<' is left alone, so "x<y and y>z" and
//     "vector<bool>" survive;
//   - control characters are dropped and runs of white space (including
//     no-break spaces and line breaks) become one space; ends are trimmed.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = decodeEntities(s)
	}
	if strings.IndexByte(s, '<') >= 0 {
		s = stripTags(s)
	}
	return collapseSpace(s)
}

// byteClass sorts ASCII bytes for collapseSpace.
var byteClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			t[c] = classSpace
		case c < 0x20 || c == 0x7f:
			t[c] = classDrop
		}
	}
	return t
}()

const (
	classKeep = iota
	classSpace
	classDrop
)

// runeClass classifies a rune for collapseSpace.
func runeClass(r rune) uint8 {
	if r < utf8.RuneSelf {
		return byteClass[r]
	}
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case r < 0xa0 || r == '\uFEFF':
		return classDrop
	}
	return classKeep
}

// collapseSpace drops control characters and the BOM, turns every run of
// Unicode white space into one ASCII space and trims both ends. It
// allocates only when something changes.
func collapseSpace(s string) string {
	s = strings.TrimLeft(s, " \t\r\n")
	// Find the longest prefix that needs no change: kept characters with
	// single ASCII spaces between them.
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch byteClass[c] {
			case classKeep:
				i++
				continue
			case classSpace:
				if c == ' ' && i > 0 && i+1 < len(s) && (s[i+1] >= utf8.RuneSelf || byteClass[s[i+1]] == classKeep) {
					i++
					continue
				}
			}
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if runeClass(r) != classKeep {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	if strings.TrimRight(s[i:], " \t\r\n") == "" {
		return s[:i] // only trailing space to drop
	}
	var b strings.Builder
	b.Grow(len(s) - i)
	pendingSpace := false
	if i > 0 && s[i-1] == ' ' {
		// The prefix ended in a space whose follower turned out to need
		// work (a no-break space, a control character).
		b.WriteString(s[:i-1])
		pendingSpace = true
	} else {
		b.WriteString(s[:i])
	}
	for i < len(s) {
		c := s[i]
		size, class := 1, uint8(classKeep)
		if c < utf8.RuneSelf {
			class = byteClass[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			class = runeClass(r)
		}
		switch class {
		case classSpace:
			pendingSpace = b.Len() > 0
		case classKeep:
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// inlineTags are removed without a trace ("10<sup>th</sup>" -> "10th");
// blockTags become a space. Names are lower case, without a namespace prefix.
var (
	inlineTags = map[string]bool{
		"sup": true, "sub": true, "i": true, "b": true, "em": true, "strong": true,
		"u": true, "tt": true, "small": true, "span": true, "a": true, "font": true,
		"s": true, "strike": true, "code": true, "sc": true, "italic": true, "bold": true,
		"underline": true, "monospace": true, "inline-formula": true, "math": true,
		"mi": true, "mo": true, "mn": true, "mrow": true, "msub": true, "msup": true,
		"mtext": true, "abbr": true, "cite": true, "var": true, "mark": true,
		"scp": true, "superscript": true, "subscript": true, "inf": true, "it": true,
		"bi": true, "literal": true, "emphasis": true, "inlineequation": true,
		"equationsource": true, "externalref": true, "refsource": true, "reftarget": true,
		"xref": true, "ext-link": true, "uri": true, "named-content": true, "styled-content": true,
	}
	blockTags = map[string]bool{
		"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true,
		"sec": true, "title": true, "list": true, "list-item": true, "hr": true,
		"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"blockquote": true, "table": true, "tr": true, "td": true, "th": true,
		"abstract": true, "label": true,
	}
)

// stripTags removes the known tags described at cleanText and keeps every
// other '<' as text.
func stripTags(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		end, block, ok := parseTag(s, i)
		if !ok {
			continue
		}
		b.WriteString(s[last:i])
		if block {
			b.WriteByte(' ')
		}
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// maxTagLen bounds how far a tag may reach, so that a stray '<' costs
// constant time.
const maxTagLen = 256

// parseTag recognises a known tag at s[i] == '<' and returns the index just
// past its '>' and whether it is a block tag.
func parseTag(s string, i int) (end int, block, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	start := j
	for j < len(s) && j-i < maxTagLen {
		c := s[j]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (j > start && (c >= '0' && c <= '9' || c == ':' || c == '-')) {
			j++
			continue
		}
		break
	}
	if j == start {
		return 0, false, false
	}
	name := strings.ToLower(s[start:j])
	prefixed := false
	if k := strings.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
		prefixed = true
	}
	isInline, isBlock := inlineTags[name], blockTags[name]
	if !isInline && !isBlock && !prefixed {
		return 0, false, false
	}
	// Attributes, an optional '/', then '>'; no '<' in between.
	for j < len(s) && j-i < maxTagLen {
		switch s[j] {
		case '>':
			if !isInline && !isBlock {
				isBlock = true // an unknown jats:/mml: element separates words
			}
			return j + 1, isBlock, true
		case '<':
			return 0, false, false
		}
		j++
	}
	return 0, false, false
}

// decodeEntities decodes "&name;", "&#N;" and "&#xH;" and leaves a bare '&'
// (or one without a closing ';' nearby) alone, so URLs such as
// "?a=1&not=2" are not mangled as html.UnescapeString would.
func decodeEntities(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		j := i + 1
		for j < len(s) && j-i <= 32 {
			c := s[j]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '#' {
				j++
				continue
			}
			break
		}
		if j >= len(s) || s[j] != ';' || j == i+1 {
			continue
		}
		ent := s[i : j+1]
		dec := html.UnescapeString(ent)
		if dec == ent {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString(dec)
		last = j + 1
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// snippet returns the start of s for an error message, quoted.
func snippet(s string) string {
	const n = 40
	s = collapseSpace(strings.ToValidUTF8(s[:min(len(s), 4*n)], "\uFFFD"))
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n]) + "..."
	}
	return `"` + s + `"`
}
