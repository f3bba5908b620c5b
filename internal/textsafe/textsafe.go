package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Joiners that Line keeps although they are format characters: scripts
// such as Persian and Devanagari, and emoji sequences, need them to be
// drawn right, and they cannot reorder or hide text.
const (
	zwnj = '\u200C' // ZERO WIDTH NON-JOINER
	zwj  = '\u200D' // ZERO WIDTH JOINER
)

// Line returns s as one line of plain text:
//   - every run of white space and control characters (tabs, newlines,
//     U+2028, C0 and C1 controls such as ESC) becomes one space, and both
//     ends are trimmed;
//   - format characters (Unicode category Cf) are dropped: the bidirectional
//     controls U+202A–U+202E, U+2066–U+2069, U+200E, U+200F and U+061C,
//     zero-width spaces, the byte-order mark, soft hyphens and tag
//     characters; except the joiners U+200C and U+200D.
//
// Text that is already so is returned as is, without allocating.
func Line(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r) && r != zwnj && r != zwj:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clean reports whether s is printable ASCII with single inner spaces and
// none at its ends, which Line leaves as it is.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf || c < ' ' || c == 0x7f:
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}
