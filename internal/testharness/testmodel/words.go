package testmodel

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// wordsTxt is the word list the vocabularies are built from: one
// "word<TAB>count" line per distinct lower-case word of the titles and
// abstracts in testdata/arxiv-2007-04-2000.jsonl (arXiv metadata, CC0), most
// frequent first, ties in byte order. It was written by
//
//	go run ./internal/testharness/testmodel/cmd/testmodel -words testdata/arxiv-2007-04-2000.jsonl > internal/testharness/testmodel/words.txt
//
//go:embed words.txt
var wordsTxt []byte

// WordCount is a word and how often it occurs in a corpus.
type WordCount struct {
	Word  string
	Count int
}

// CountWords reads JSON lines with "title" and "abstract" fields (the arXiv
// layout of testdata/) and counts their words the way a BERT basic tokeniser
// sees them: lower-cased, accents stripped, split at everything that is not
// an ASCII letter. Words longer than 24 letters are dropped (they are LaTeX
// or URL debris). The result is sorted by count, most frequent first, ties in
// byte order, so that it does not depend on the input order.
func CountWords(r io.Reader) ([]WordCount, error) {
	counts := make(map[string]int)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec struct {
			Title    string `json:"title"`
			Abstract string `json:"abstract"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("testmodel: line %d: %w", line, err)
		}
		for _, w := range basicWords(rec.Title + " " + rec.Abstract) {
			counts[w]++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("testmodel: reading words: %w", err)
	}
	out := make([]WordCount, 0, len(counts))
	for w, n := range counts {
		out = append(out, WordCount{w, n})
	}
	sortCounts(out)
	return out, nil
}

// WriteWords writes counts in the format of the embedded word list.
func WriteWords(w io.Writer, counts []WordCount) error {
	bw := bufio.NewWriter(w)
	for _, c := range counts {
		fmt.Fprintf(bw, "%s\t%d\n", c.Word, c.Count)
	}
	return bw.Flush()
}

// basicWords splits text into lower-case ASCII words.
func basicWords(text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 && cur.Len() <= 24 {
			words = append(words, cur.String())
		}
		cur.Reset()
	}
	for _, r := range norm.NFD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: dropped, as BERT's strip_accents does
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			cur.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return words
}

func sortCounts(c []WordCount) {
	slices.SortFunc(c, func(a, b WordCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Word, b.Word)
	})
}

// embeddedWords parses the embedded word list.
func embeddedWords() []WordCount {
	var out []WordCount
	for line := range strings.SplitSeq(strings.TrimSpace(string(wordsTxt)), "\n") {
		w, n, ok := strings.Cut(line, "\t")
		if !ok {
			panic("testmodel: malformed embedded words.txt line " + strconv.Quote(line))
		}
		c, err := strconv.Atoi(n)
		if err != nil {
			panic("testmodel: malformed embedded words.txt line " + strconv.Quote(line))
		}
		out = append(out, WordCount{w, c})
	}
	return out
}
