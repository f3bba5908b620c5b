package embed

// defaultTermFilter is the term filter of the lexical model's default options.
var defaultTermFilter = newTermFilter(LexicalOptions{})

// Terms returns the terms of text as the lexical model's default options see
// them, in order and with repeats: Tokenize's words without stop words,
// numbers and one-character tokens. It is what an exact-term index of the
// same texts should use, so that it and the lexical model agree on what a
// word is.
func Terms(text string) []string {
	var out []string
	var s tokenScanner
	s.scan(text, func(tok []byte) {
		if t := string(tok); defaultTermFilter.keep(t) {
			out = append(out, t)
		}
	})
	return out
}
