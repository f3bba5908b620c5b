package lexical

import (
	"unicode"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/normalizer"
	"golang.org/x/text/unicode/norm"
)

// Tokenize returns the normalised word tokens of text, in order.
//
// The rules are those of the BERT "uncased" basic tokeniser as written in
// github.com/sugarme/tokenizer (normalizer.NewBertNormalizer(true, true,
// true, true) followed by pretokenizer.NewBertPreTokenizer()):
//
//   - control and format characters (Unicode Cc, Cf, U+FFFD and invalid
//     UTF-8) are removed without splitting the word around them;
//   - text is split on white space (' ', tab, newline, carriage return and
//     the Unicode space separators Zs such as U+00A0);
//   - every punctuation character (ASCII punctuation and Unicode P) is split
//     off; Tokenize then drops it, so only words are returned;
//   - every CJK ideograph becomes a token of its own;
//   - letters are lower-cased and accents stripped: each character is
//     decomposed (Unicode NFD), lower-cased, and its non-spacing marks (Mn)
//     removed; a token that is not pure ASCII is returned in NFC, so
//     "Café", "CAFÉ" and "Cafe\u0301" all give "cafe", and Hangul stays
//     in syllables.
//
// Numbers, one-letter words and stop words are kept: they are dropped later,
// by the lexical model's term filter, so that other users of Tokenize (theme
// keywords, for example) can choose for themselves.
//
// Tokenize does not call the sugarme code at run time: that code costs about
// 5 ms per abstract, panics on some inputs and does not strip precomposed
// accents. TestTokenizeMatchesSugarme checks, on the abstracts of the
// testdata arXiv file (all of them without -race, every 10th under -race),
// that Tokenize returns exactly the words of the sugarme pipeline applied
// to the NFD form of the text (see doc.go).
func Tokenize(text string) []string {
	var out []string
	var s tokenScanner
	s.scan(text, func(tok []byte) {
		out = append(out, string(tok))
	})
	return out
}

// tokenScanner splits texts into tokens, reusing its buffer from one text to
// the next. The zero value is ready to use; it is not safe for concurrent use.
type tokenScanner struct {
	buf      []byte
	nonASCII bool // buf holds a non-ASCII rune: NFC it before emitting
	nfc      []byte
}

// asciiClass tells scan what to do with each ASCII byte.
var asciiClass = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		switch {
		case c >= 'A' && c <= 'Z':
			t[c] = asciiUpper
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = asciiWord
		case c == ' ', c == '\t', c == '\n', c == '\r':
			t[c] = asciiSpace
		case c < 0x20, c == 0x7f:
			t[c] = asciiControl
		default: // the BERT punctuation ranges 0x21-0x2f, 0x3a-0x40, 0x5b-0x60, 0x7b-0x7e
			t[c] = asciiPunct
		}
	}
	return t
}()

const (
	asciiWord = iota
	asciiUpper
	asciiSpace
	asciiControl
	asciiPunct
)

// scan calls emit with each token of text. The slice passed to emit is only
// valid during the call.
func (s *tokenScanner) scan(text string, emit func(tok []byte)) {
	s.buf = s.buf[:0]
	s.nonASCII = false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch asciiClass[c] {
			case asciiWord:
				s.buf = append(s.buf, c)
			case asciiUpper:
				s.buf = append(s.buf, c+('a'-'A'))
			case asciiSpace, asciiPunct:
				s.flush(emit)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError, unicode.In(r, unicode.Cc, unicode.Cf):
			// removed by the BERT "clean text" step: no split
		case unicode.Is(unicode.Zs, r):
			s.flush(emit)
		default:
			d := norm.NFD.PropertiesString(text[i : i+size]).Decomposition()
			if d == nil {
				s.decomposed(r, emit)
				break
			}
			for len(d) > 0 {
				rr, n := utf8.DecodeRune(d)
				d = d[n:]
				s.decomposed(rr, emit)
			}
		}
		i += size
	}
	s.flush(emit)
}

// decomposed handles one rune of the NFD form of a non-ASCII character.
func (s *tokenScanner) decomposed(r rune, emit func([]byte)) {
	r = unicode.ToLower(r)
	switch {
	case unicode.Is(unicode.Mn, r):
		// accent: stripped
	case normalizer.IsChinese(r):
		s.flush(emit)
		s.buf = utf8.AppendRune(s.buf, r)
		s.nonASCII = true
		s.flush(emit)
	case normalizer.IsBertPunctuation(r):
		s.flush(emit)
	default:
		s.buf = utf8.AppendRune(s.buf, r)
		if r >= utf8.RuneSelf {
			s.nonASCII = true
		}
	}
}

// flush emits the token being built, if any.
func (s *tokenScanner) flush(emit func([]byte)) {
	if len(s.buf) == 0 {
		return
	}
	tok := s.buf
	if s.nonASCII && !norm.NFC.IsNormal(tok) {
		s.nfc = norm.NFC.Append(s.nfc[:0], tok...)
		tok = s.nfc
	}
	emit(tok)
	s.buf = s.buf[:0]
	s.nonASCII = false
}
