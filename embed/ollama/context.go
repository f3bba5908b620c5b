package ollama

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ollama/ollama/api"
	"golang.org/x/text/unicode/norm"
)

// The context guard: New asks each host for the model's context
// length (POST /api/show) and, for a WordPiece (BERT) vocabulary, for the
// vocabulary itself; Embed then cuts every text that would not fit before
// sending it. Ollama's own truncation cannot be trusted with BERT models:
// v0.6.5 compares token counts without [CLS] and [SEP], and its runner
// crashes (500 "do embedding request: ... EOF", 5 s or more each) on a text
// of ctx-1 tokens or more, truncate on or off (docs/OLLAMA-TESTING.md,
// ollama/ollama#7288); newer servers answer 400 "the input length exceeds
// the context length" instead of truncating.

const (
	// ollamaSpecialTokens is what the runner adds to every text: [CLS]
	// and [SEP]. A text may have at most context - ollamaSpecialTokens
	// tokens of its own.
	ollamaSpecialTokens = 2

	// ollamaCharsPerToken is the bound used when the vocabulary is not
	// WordPiece (or the server would not give it): every word of n
	// characters counts as ceil(n/3) tokens, every punctuation mark or
	// symbol as one. Measured on 20,000 ACM and 1,984 arXiv abstracts
	// against the WordPiece tokenisation of papermap-minilm's 30,522-token
	// vocabulary, this overestimates every text (by a factor of 1.14 at
	// least, 1.8 at the median); with papermap-tiny's 4,096 tokens, which
	// split far more words, it underestimates fewer than 1% of texts, which
	// the crash fallback then handles. (A bound in characters per text
	// would not do: the same abstracts have from 2.4 to over 5 characters
	// per token.)
	ollamaCharsPerToken = 3

	// ollamaWordPrefix starts every word-initial token of a WordPiece
	// vocabulary in GGUF ("▁the"; continuation pieces have no "##").
	ollamaWordPrefix = "\u2581"
)

// ollamaLimit is how many tokens a text may have, and how to count them.
type ollamaLimit struct {
	context int        // positions the model reads, [CLS] and [SEP] included
	tokens  int        // context - ollamaSpecialTokens
	wp      *wordPiece // nil: counted with ollamaCharsPerToken
}

// exact reports whether tokens are counted with the model's own vocabulary.
func (l *ollamaLimit) exact() bool { return l.wp != nil }

// showLimit asks h for the model's context and vocabulary. It returns nil
// when the server does not say (an old server, a model without a
// *.context_length), in which case texts are sent as they are and only the
// crash fallback protects them.
func (o *Client) showLimit(ctx context.Context, h *ollamaHost) *ollamaLimit {
	rctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	show, err := h.client.Show(rctx, &api.ShowRequest{Model: o.opts.Model, Verbose: true})
	if err != nil {
		return nil
	}
	return parseOllamaLimit(show)
}

// parseOllamaLimit reads the context from an /api/show answer: the
// smaller of model_info's "<architecture>.context_length" (the positions
// the model was trained with) and a num_ctx parameter of the model (the
// context the server runs it with, when smaller). A model_info
// "tokenizer.ggml.model" of "bert" with its "tokenizer.ggml.tokens" gives
// the WordPiece vocabulary for exact counts.
func parseOllamaLimit(show *api.ShowResponse) *ollamaLimit {
	info := show.ModelInfo
	n := 0
	if arch, ok := info["general.architecture"].(string); ok {
		n = jsonInt(info[arch+".context_length"])
	}
	if n <= 0 {
		for k, v := range info {
			if strings.HasSuffix(k, ".context_length") {
				if m := jsonInt(v); m > 0 && (n <= 0 || m < n) {
					n = m
				}
			}
		}
	}
	if c := ollamaNumCtx(show.Parameters); c > 0 && (n <= 0 || c < n) {
		n = c
	}
	if n <= ollamaSpecialTokens {
		return nil
	}
	l := &ollamaLimit{context: n, tokens: n - ollamaSpecialTokens}
	if model, _ := info["tokenizer.ggml.model"].(string); model == "bert" {
		if toks, ok := info["tokenizer.ggml.tokens"].([]any); ok && len(toks) > 0 {
			types, _ := info["tokenizer.ggml.token_type"].([]any)
			l.wp = newWordPiece(toks, types)
		}
	}
	return l
}

// jsonInt reads a JSON number as an int, or 0.
func jsonInt(v any) int {
	switch x := v.(type) {
	case float64:
		if x > 0 && x < math.MaxInt32 && x == math.Trunc(x) {
			return int(x)
		}
	case int:
		return x
	}
	return 0
}

// ollamaNumCtx finds "num_ctx N" among the parameters /api/show lists, one
// per line ("num_ctx                        8192"), or returns 0.
func ollamaNumCtx(params string) int {
	for line := range strings.SplitSeq(params, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "num_ctx" {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// minLimit returns the tighter of two limits (either may be nil), keeping a
// vocabulary: texts must be cut the same way whichever host embeds them.
func minLimit(a, b *ollamaLimit) *ollamaLimit {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := *a
	if b.context < a.context {
		out.context, out.tokens = b.context, b.tokens
	}
	if out.wp == nil {
		out.wp = b.wp
	}
	return &out
}

// fit returns input cut so that it has at most l.tokens tokens, and whether
// it was cut. The first keep bytes (the task prefix) are never cut; the cut
// is at the end of a word, or inside the first word after keep when even
// that word is too long. An input whose first keep bytes are already too
// long is returned whole (the crash fallback deals with it).
func (l *ollamaLimit) fit(input string, keep int) (string, bool) {
	if 2*len(input) <= l.tokens {
		// A word of b bytes has at most b+1 tokens (a lone "▁", then one
		// per character), so no text has more than twice its bytes.
		return input, false
	}
	total, end := 0, 0
	next, nextStop := -1, -1 // span of the first word that does not fit
	l.scan(input, func(start, stop, tokens int) bool {
		if total+tokens > l.tokens {
			next, nextStop = start, stop
			return false
		}
		total += tokens
		end = stop
		return true
	})
	switch {
	case next < 0:
		return input, false // everything fits
	case end > keep:
		return input[:end], true
	}
	// The first word after the prefix is longer than the context: cut
	// inside it, at the longest run of whole characters that fits.
	lo := max(keep, next)
	if l.count(input[:lo]) > l.tokens {
		return input, false
	}
	var cuts []int // candidate ends, in order
	for i := range input[lo:nextStop] {
		if i > 0 {
			cuts = append(cuts, lo+i)
		}
	}
	cuts = append(cuts, nextStop)
	best := lo
	for a, b := 0, len(cuts)-1; a <= b; {
		m := (a + b) / 2
		if l.count(input[:cuts[m]]) <= l.tokens {
			best, a = cuts[m], m+1
		} else {
			b = m - 1
		}
	}
	if best <= keep || strings.TrimSpace(input[keep:best]) == "" {
		return input, false
	}
	return input[:best], true
}

// count returns the number of tokens of s, without [CLS] and [SEP].
func (l *ollamaLimit) count(s string) int {
	n := 0
	l.scan(s, func(_, _, tokens int) bool { n += tokens; return true })
	return n
}

// scan calls fn for every word of s, with its byte span in s and its
// number of tokens, until fn returns false.
func (l *ollamaLimit) scan(s string, fn func(start, stop, tokens int) bool) {
	if l.wp != nil {
		l.wp.scan(s, fn)
		return
	}
	scanWPMWords(s, func(start, stop int, word []byte) bool {
		n := utf8.RuneCount(word)
		return fn(start, stop, (n+ollamaCharsPerToken-1)/ollamaCharsPerToken)
	})
}

// wordPiece counts tokens as llama.cpp's WPM tokenizer (llm_tokenizer_wpm
// in llama-vocab.cpp, the one Ollama 0.6.5 runs for BERT models) makes
// them: each word, "▁"-prefixed, is split greedily into the longest
// vocabulary entries from the left; a word with a part no entry matches is
// one [UNK]. It is read-only after construction, so safe for concurrent use.
type wordPiece struct {
	vocab  map[string]struct{}
	maxLen int // longest entry, in bytes
	// specials are the control tokens ("[CLS]", "[SEP]", "[MASK]", ...),
	// longest first: the server tokenises with special-token parsing on,
	// so "[SEP]" written in a text is one token, not three.
	specials []string
}

// newWordPiece builds the vocabulary from /api/show's
// tokenizer.ggml.tokens and tokenizer.ggml.token_type (types 2, 3 and 4,
// unknown, control and user-defined, are parsed as special tokens when
// written out in a text, as llama.cpp does).
func newWordPiece(tokens, types []any) *wordPiece {
	wp := &wordPiece{vocab: make(map[string]struct{}, len(tokens))}
	for i, t := range tokens {
		s, ok := t.(string)
		if !ok || s == "" {
			continue
		}
		wp.vocab[s] = struct{}{}
		wp.maxLen = max(wp.maxLen, len(s))
		if i < len(types) {
			if k := jsonInt(types[i]); k >= 2 && k <= 4 {
				wp.specials = append(wp.specials, s)
			}
		}
	}
	slices.SortStableFunc(wp.specials, func(a, b string) int { return len(b) - len(a) })
	return wp
}

func (wp *wordPiece) scan(s string, fn func(start, stop, tokens int) bool) {
	var buf []byte
	words := func(part string, offset int) bool {
		ok := true
		scanWPMWords(part, func(start, stop int, word []byte) bool {
			buf = append(append(buf[:0], ollamaWordPrefix...), word...)
			ok = fn(offset+start, offset+stop, wp.tokens(buf))
			return ok
		})
		return ok
	}
	for pos := 0; pos < len(s); {
		at, special := wp.nextSpecial(s[pos:])
		if at < 0 {
			words(s[pos:], pos)
			return
		}
		if !words(s[pos:pos+at], pos) || !fn(pos+at, pos+at+len(special), 1) {
			return
		}
		pos += at + len(special)
	}
}

// nextSpecial returns the first special token written in s and its index,
// the longest one when several start there, or -1.
func (wp *wordPiece) nextSpecial(s string) (int, string) {
	at, special := -1, ""
	for _, sp := range wp.specials {
		if i := strings.Index(s, sp); i >= 0 && (at < 0 || i < at) {
			at, special = i, sp
		}
	}
	return at, special
}

// tokens returns the number of tokens of one "▁"-prefixed word.
func (wp *wordPiece) tokens(w []byte) int {
	n := 0
	for i := 0; i < len(w); {
		j := min(len(w), i+wp.maxLen+1)
		for ; j > i; j-- {
			if _, ok := wp.vocab[string(w[i:j])]; ok {
				break
			}
		}
		if j == i {
			return 1 // [UNK] for the whole word
		}
		n++
		i = j
	}
	return max(n, 1)
}

// scanWPMWords splits s into words as llama.cpp's WPM tokenizer does
// (llm_tokenizer_wpm_session::preprocess): each character is replaced by
// the first character of its NFD decomposition (which drops accents) and
// lower-cased; white space ends a word; NUL, U+FFFD and control or format
// characters are dropped without ending it; punctuation, ASCII symbols and
// CJK ideographs are words of one character. fn gets each word's byte span
// in s and its normalised bytes (valid until fn returns); it stops the scan
// by returning false.
func scanWPMWords(s string, fn func(start, stop int, word []byte) bool) {
	var word []byte
	start, stop := -1, -1
	flush := func() bool {
		if len(word) == 0 {
			start = -1
			return true
		}
		ok := fn(start, stop, word)
		word, start = word[:0], -1
		return ok
	}
	for i, size := 0, 0; i < len(s); i += size {
		var r rune
		r, size = utf8.DecodeRuneInString(s[i:])
		c := nfdFirst(r)
		switch {
		case unicode.IsSpace(c):
			if !flush() {
				return
			}
			continue
		case c == 0 || c == utf8.RuneError || unicode.Is(unicode.C, c):
			continue
		}
		c = unicode.ToLower(c)
		if unicode.IsPunct(c) || (c < 0x7f && unicode.IsSymbol(c)) || isWPMChinese(c) {
			if !flush() {
				return
			}
			word = utf8.AppendRune(word, c)
			start, stop = i, i+size
			if !flush() {
				return
			}
			continue
		}
		if start < 0 {
			start = i
		}
		word = utf8.AppendRune(word, c)
		stop = i + size
	}
	flush()
}

// nfdFirst returns the first character of r's canonical decomposition
// (r itself when it has none), as llama.cpp's unicode_cpts_normalize_nfd.
func nfdFirst(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	if d := norm.NFD.Properties(b[:n]).Decomposition(); len(d) > 0 {
		c, _ := utf8.DecodeRune(d)
		return c
	}
	return r
}

// isWPMChinese is llm_tokenizer_wpm_session::is_chinese_char.
func isWPMChinese(c rune) bool {
	return (c >= 0x4E00 && c <= 0x9FFF) ||
		(c >= 0x3400 && c <= 0x4DBF) ||
		(c >= 0x20000 && c <= 0x2A6DF) ||
		(c >= 0x2A700 && c <= 0x2B73F) ||
		(c >= 0x2B740 && c <= 0x2B81F) ||
		(c >= 0x2B920 && c <= 0x2CEAF) ||
		(c >= 0xF900 && c <= 0xFAFF) ||
		(c >= 0x2F800 && c <= 0x2FA1F)
}

// describe says in a warning what the limit is.
func (l *ollamaLimit) describe(model string) string {
	how := "its vocabulary"
	if !l.exact() {
		how = fmt.Sprintf("an estimate of one token per %d characters of a word", ollamaCharsPerToken)
	}
	return fmt.Sprintf("model %s reads %d tokens, %d of a text's own besides [CLS] and [SEP]; counted with %s",
		model, l.context, l.tokens, how)
}
