package lexical

import "unsafe"

// defaultTermFilter is the term filter of the lexical model's default options.
var defaultTermFilter = newTermFilter(Options{})

// EachTerm calls fn with each term of text as the lexical model's default
// options see them, in order and with repeats: Tokenize's words without stop
// words, numbers and one-character tokens. The bytes are valid only during
// the call. It is what an exact-term index of the same texts should use, so
// that it and the lexical model agree on what a word is; it allocates
// nothing per token, whatever the length of text.
func EachTerm(text string, fn func(term []byte)) {
	var s tokenScanner
	s.scan(text, func(tok []byte) {
		if defaultTermFilter.keepBytes(tok) {
			fn(tok)
		}
	})
}

// keepBytes is keep for a token that is not a string yet; the conversion
// in the map lookup does not allocate.
func (f *termFilter) keepBytes(tok []byte) bool {
	if len(tok) > maxTermBytes || f.stop[string(tok)] {
		return false
	}
	if len(tok) == 0 {
		return false
	}
	// keep does not retain its argument.
	return f.keep(unsafe.String(&tok[0], len(tok)))
}
