package testmodel

import (
	"fmt"
	"slices"
	"strings"
)

// Token ids of the special tokens. They are those of bert-base-uncased and
// all-MiniLM-L6-v2, and also the ids llama.cpp (which runs BERT models in
// Ollama v0.6.5) assumes for a "bert" tokenizer, so they hold whichever side
// reads them.
const (
	PadID  = 0
	UnkID  = 100
	ClsID  = 101
	SepID  = 102
	MaskID = 103
)

// firstFree is the id of the first token after the base tokens: [PAD], the
// 99 "[unusedN]" placeholders that bert-base-uncased keeps below [UNK], [UNK],
// [CLS], [SEP], [MASK], the 68 single characters and the 36 "##" forms of
// the letters and digits. baseTokens panics if the two disagree.
const firstFree = 1 + 99 + 4 + 68 + 36

// singles are the one-character tokens: the printable ASCII characters except
// upper-case letters (the tokeniser lower-cases first).
func singles() []string {
	var s []string
	for c := byte('!'); c <= '~'; c++ {
		if c >= 'A' && c <= 'Z' {
			continue
		}
		s = append(s, string(c))
	}
	return s
}

func baseTokens() []string {
	t := make([]string, 0, 256)
	t = append(t, "[PAD]")
	for i := range UnkID - 1 {
		t = append(t, fmt.Sprintf("[unused%d]", i))
	}
	t = append(t, "[UNK]", "[CLS]", "[SEP]", "[MASK]")
	t = append(t, singles()...)
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyz" {
		t = append(t, "##"+string(c))
	}
	if len(t) != firstFree {
		panic("testmodel: firstFree does not count the base tokens")
	}
	return t
}

// buildVocab returns size WordPiece tokens in id order: the base tokens, then
// whole words from the embedded word list by frequency, then the most
// frequent word pieces (word-initial prefixes and "##" suffixes) of all words,
// and, if the pieces run out, more "[unusedN]" placeholders. Whole words get
// four fifths of the room left after the base tokens when there are more
// words than that, so that a small vocabulary still splits rare words into
// pieces the way a real one does.
func buildVocab(size int) []string {
	vocab := baseTokens()
	if size < len(vocab) {
		panic("testmodel: vocabulary smaller than its base tokens")
	}
	have := make(map[string]bool, size)
	for _, t := range vocab {
		have[t] = true
	}
	add := func(t string) {
		if !have[t] && len(vocab) < size {
			have[t] = true
			vocab = append(vocab, t)
		}
	}

	words := embeddedWords()
	room := size - len(vocab)
	nWords := min(len(words), room*4/5)
	if len(words) < room {
		nWords = len(words)
	}
	for _, w := range words {
		if len(vocab)-firstFree >= nWords {
			break
		}
		add(w.Word)
	}

	// Pieces, weighted by the count of the words they occur in.
	weight := make(map[string]int)
	for _, w := range words {
		n := len(w.Word)
		for k := 3; k <= 8 && k < n; k++ {
			weight[w.Word[:k]] += w.Count
		}
		for k := max(1, n-10); k <= n-2; k++ {
			weight["##"+w.Word[k:]] += w.Count
		}
	}
	pieces := make([]WordCount, 0, len(weight))
	for p, c := range weight {
		if !have[p] {
			pieces = append(pieces, WordCount{p, c})
		}
	}
	sortCounts(pieces)
	for _, p := range pieces {
		if len(vocab) == size {
			break
		}
		add(p.Word)
	}
	for i := UnkID - 1; len(vocab) < size; i++ {
		add(fmt.Sprintf("[unused%d]", i))
	}
	return vocab
}

// specialTokens returns the special tokens with their ids, in id order.
func specialTokens() []struct {
	ID      int
	Content string
} {
	return []struct {
		ID      int
		Content string
	}{
		{PadID, "[PAD]"}, {UnkID, "[UNK]"}, {ClsID, "[CLS]"}, {SepID, "[SEP]"}, {MaskID, "[MASK]"},
	}
}

// Tokenizer splits text into token ids the way Ollama v0.6.5 (llama.cpp's
// WPM tokeniser) does for a model written by Write: lower-case, split at
// white space and around punctuation, then greedy longest-match WordPiece,
// a word with a part that matches nothing becoming one [UNK]; [CLS] first
// and [SEP] last. It exists so that tests can build texts of a known token
// length (for example one token longer than the context). It agrees with the
// server on ASCII text; it does not strip accents or split Chinese
// characters.
type Tokenizer struct {
	index map[string]int
}

// NewTokenizer returns a tokenizer for a vocabulary in id order, as Vocab
// returns it.
func NewTokenizer(vocab []string) *Tokenizer {
	index := make(map[string]int, len(vocab))
	for i, t := range vocab {
		if !isSpecial(t) {
			index[t] = i
		}
	}
	return &Tokenizer{index: index}
}

// Tokenize returns the token ids of text, [CLS] and [SEP] included.
func (t *Tokenizer) Tokenize(text string) []int {
	ids := []int{ClsID}
	for _, word := range splitWords(text) {
		start := len(ids)
		for i := 0; i < len(word); {
			j := len(word)
			for ; j > i; j-- {
				piece := word[i:j]
				if i > 0 {
					piece = "##" + piece
				}
				if id, ok := t.index[piece]; ok {
					ids = append(ids, id)
					break
				}
			}
			if j == i {
				ids = append(ids[:start], UnkID)
				break
			}
			i = j
		}
	}
	return append(ids, SepID)
}

func isSpecial(t string) bool {
	return strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && len(t) > 2
}

// splitWords lower-cases text and splits it at white space and around ASCII
// punctuation and symbols, each of which becomes a word of its own.
func splitWords(text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			flush()
		case r < 0x7f && r > ' ' && !('a' <= r && r <= 'z') && !('0' <= r && r <= '9'):
			flush()
			words = append(words, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return words
}

// Vocab returns the vocabulary Write writes for spec, in id order.
func Vocab(spec Spec) []string {
	if err := spec.Validate(); err != nil {
		panic(err.Error())
	}
	return slices.Clip(buildVocab(spec.VocabSize))
}
