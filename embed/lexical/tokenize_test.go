package lexical

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	tokenizer "github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/normalizer"
	"github.com/sugarme/tokenizer/pretokenizer"
	"golang.org/x/text/unicode/norm"
)

func TestTokenize(t *testing.T) {
	// Expected tokens written by hand from the rules in Tokenize's doc
	// comment (BERT uncased basic tokenisation).
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"only spaces and punctuation", " \t\n ,.;!? ", nil},
		{"lower case", "Deep NEURAL Networks", []string{"deep", "neural", "networks"}},
		{"punctuation split off", "Hello, world! (e-mail) x=y", []string{"hello", "world", "e", "mail", "x", "y"}},
		{"apostrophe", "don't Bayes's", []string{"don", "t", "bayes", "s"}},
		{"underscore and symbols are ASCII punctuation", "a_b $5 c+d", []string{"a", "b", "5", "c", "d"}},
		{"precomposed accents stripped", "Café naïve résumé Ångström", []string{"cafe", "naive", "resume", "angstrom"}},
		{"combining accents stripped", "Cafe\u0301 nai\u0308ve", []string{"cafe", "naive"}},
		{"upper-case accents", "ÉCOLE PROGRAMMATION", []string{"ecole", "programmation"}},
		{"dotted capital I", "İstanbul", []string{"istanbul"}},
		{"Greek", "Σοφία and αβγ", []string{"σοφια", "and", "αβγ"}},
		{"numbers split at the decimal point", "3.14 and 2007 v2", []string{"3", "14", "and", "2007", "v2"}},
		{"CJK ideographs one by one", "野口里佳 Noguchi", []string{"野", "口", "里", "佳", "noguchi"}},
		{"Hangul stays in words", "한국어 텍스트", []string{"한국어", "텍스트"}},
		{"Unicode punctuation", "“quoted”—dash…end", []string{"quoted", "dash", "end"}},
		{"no-break and thin spaces split", "x\u00a0y\u2009z", []string{"x", "y", "z"}},
		{"control and format characters removed without split", "a\vb zero\u200bwidth soft\u00adhyphen", []string{"ab", "zerowidth", "softhyphen"}},
		{"invalid UTF-8 removed", "ab\xffcd", []string{"abcd"}},
		{"symbols other than punctuation stay", "x≤y 😀", []string{"x≤y", "😀"}},
		{"ligature kept (no compatibility mapping)", "ﬁnance", []string{"ﬁnance"}},
		{"html debris", "10<sup>th</sup>", []string{"10", "sup", "th", "sup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokenize(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// sugarmeWords tokenises text with github.com/sugarme/tokenizer's BERT
// normaliser and pre-tokeniser, the reference that Tokenize reimplements.
// Before calling it, the text is put in the form that the sugarme code
// handles correctly: invalid UTF-8 and the non-ASCII control and format
// characters are deleted (its clean-text step duplicates text around them),
// Unicode space separators become ' ' (its `\s+` split knows only ASCII
// spaces), and the text is decomposed with NFD (its accent stripping only
// drops combining marks, so it leaves "é" alone unless decomposed; this also
// avoids a panic on characters whose lower case has another UTF-8 length,
// such as "İ"). Its punctuation tokens are dropped and each word is put in
// NFC, as Tokenize does.
func sugarmeWords(text string) (words []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sugarme panicked: %v", r)
		}
	}()
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == utf8.RuneError:
		case r >= utf8.RuneSelf && unicode.In(r, unicode.Cc, unicode.Cf):
		case unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	n := normalizer.NewNormalizedFrom(norm.NFD.String(b.String()))
	n, err = normalizer.NewBertNormalizer(true, true, true, true).Normalize(n)
	if err != nil {
		return nil, err
	}
	pt, err := pretokenizer.NewBertPreTokenizer().PreTokenize(tokenizer.NewPreTokenizedStringFromNS(n))
	if err != nil {
		return nil, err
	}
	for _, s := range pt.GetSplits(normalizer.NormalizedTarget, tokenizer.Byte) {
		if r, size := utf8.DecodeRuneInString(s.Value); size == len(s.Value) && normalizer.IsBertPunctuation(r) {
			continue
		}
		words = append(words, norm.NFC.String(s.Value))
	}
	return words, nil
}

// compareWithSugarme checks Tokenize against sugarmeWords on every text, in
// parallel, and reports at most a few differences.
func compareWithSugarme(t *testing.T, texts []string) {
	t.Helper()
	var mu sync.Mutex
	bad := 0
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				want, err := sugarmeWords(texts[i])
				got := Tokenize(texts[i])
				if err == nil && slices.Equal(got, want) {
					continue
				}
				mu.Lock()
				bad++
				if bad <= 5 {
					if err != nil {
						t.Errorf("text %d: %v", i, err)
					} else {
						t.Errorf("text %d: Tokenize and sugarme differ\n got %q\nwant %q", i, got, want)
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := range texts {
		next <- i
	}
	close(next)
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of %d texts tokenised differently", bad, len(texts))
	}
}

func TestTokenizeMatchesSugarme(t *testing.T) {
	t.Run("edge cases", func(t *testing.T) {
		compareWithSugarme(t, []string{
			"", "Café CAFÉ Cafe\u0301", "İstanbul ΣΟΦΙΑ", "野口里佳 Noguchi Rika", "x\u00a0y",
			"a\vb c\fd", "zero\u200bwidth", "ab\xffcd", "Hello, World! 3.14 e-mail", "한국어 텍스트",
			"“quoted”—dash…end", "x≤y 😀 ﬁnance", "Ångström Å Ǆ ǅ", "tab\there\r\nnext",
		})
	})
	t.Run("arXiv abstracts", func(t *testing.T) {
		docs := readArxiv(t)
		texts := make([]string, len(docs))
		for i, d := range docs {
			texts[i] = d.text
		}
		switch {
		case testing.Short():
			texts = texts[:200]
		case raceEnabled:
			// Every 10th abstract: the full file runs without -race.
			var sample []string
			for i := 0; i < len(texts); i += 10 {
				sample = append(sample, texts[i])
			}
			texts = sample
		}
		compareWithSugarme(t, texts)
	})
	t.Run("ACM abstracts", func(t *testing.T) {
		// About four minutes on two cores for the 98k abstracts: run it with
		// PAPERMAP_LONG_TESTS=1.
		if os.Getenv("PAPERMAP_LONG_TESTS") == "" {
			t.Skip("set PAPERMAP_LONG_TESTS=1 to compare on the 98k ACM abstracts")
		}
		compareWithSugarme(t, readACM(t, 0))
	})
}

// arxivDoc is one record of testdata/arxiv-2007-04-2000.jsonl.
type arxivDoc struct {
	text    string // title + ". " + abstract
	archive string
}

func readArxiv(tb testing.TB) []arxivDoc {
	tb.Helper()
	f, err := os.Open("../../testdata/arxiv-2007-04-2000.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var docs []arxivDoc
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct{ Title, Abstract, Archive string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, arxivDoc{text: r.Title + ". " + r.Abstract, archive: r.Archive})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

// acmPath is the ACM-CR abstracts file; it is copyrighted and stays outside
// the repository, so tests and benchmarks that need it skip without it.
const acmPath = "../../../shared/data/acm-cr/acm-dl-docs.jsonl.gz"

// readACM returns title + ". " + abstract of the ACM records whose abstract
// is over 100 characters, at most limit of them (0: all).
func readACM(tb testing.TB, limit int) []string {
	tb.Helper()
	f, err := os.Open(acmPath)
	if err != nil {
		tb.Skipf("ACM data not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var texts []string
	dec := json.NewDecoder(bufio.NewReaderSize(zr, 1<<20))
	for limit == 0 || len(texts) < limit {
		var r struct{ Title, Abstract string }
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			tb.Fatal(err)
		}
		if utf8.RuneCountInString(r.Abstract) > 100 {
			texts = append(texts, r.Title+". "+r.Abstract)
		}
	}
	return texts
}
