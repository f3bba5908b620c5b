package ollama

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/papermap/papermap/internal/testharness/testmodel"
)

// arxivTestdata is the 2,000-abstract arXiv sample in testdata.
const arxivTestdata = "../../testdata/arxiv-2007-04-2000.jsonl"

// ggufTokens returns spec's vocabulary as Ollama's converter stores it in
// GGUF and /api/show lists it: word-initial pieces get "▁", continuation
// pieces lose their "##", special tokens stay as they are.
func ggufTokens(spec testmodel.Spec) (tokens, types []any) {
	for _, t := range testmodel.Vocab(spec) {
		typ := 1.0 // normal
		switch {
		case t == "[PAD]" || t == "[UNK]" || t == "[CLS]" || t == "[SEP]" || t == "[MASK]":
			typ = 3 // control, as /api/show lists them for papermap-minilm
		case strings.HasPrefix(t, "##"):
			t = strings.TrimPrefix(t, "##")
		case !(strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")):
			t = ollamaWordPrefix + t
		}
		tokens, types = append(tokens, t), append(types, typ)
	}
	return tokens, types
}

// testLimit is the limit of a server running spec with the given context.
func testLimit(spec testmodel.Spec, context int) *ollamaLimit {
	return &ollamaLimit{context: context, tokens: context - ollamaSpecialTokens, wp: newWordPiece(ggufTokens(spec))}
}

// arxivTexts returns the document texts (title + ". " + abstract) of the
// first n arXiv testdata papers.
func arxivTexts(tb testing.TB, n int) []string {
	tb.Helper()
	f, err := os.Open(arxivTestdata)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(texts) < n {
		var p struct{ Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			tb.Fatal(err)
		}
		texts = append(texts, strings.TrimSpace(p.Title)+". "+strings.TrimSpace(p.Abstract))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return texts
}

func TestWordPieceMatchesTestModelTokenizer(t *testing.T) {
	// testmodel.Tokenizer agrees with the server's token counts on ASCII
	// text (docs/OLLAMA-TESTING.md); the arXiv abstracts are ASCII.
	texts := arxivTexts(t, 2000)
	for _, spec := range []testmodel.Spec{testmodel.Tiny, testmodel.MiniLM} {
		t.Run(spec.Name, func(t *testing.T) {
			l := testLimit(spec, spec.MaxPositions)
			tok := testmodel.NewTokenizer(testmodel.Vocab(spec))
			bad := 0
			for i, text := range texts {
				want := len(tok.Tokenize(text)) - 2
				if got := l.count(text); got != want {
					if bad++; bad <= 5 {
						t.Errorf("text %d: %d tokens, testmodel says %d", i, got, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d texts counted differently", bad, len(texts))
			}
		})
	}
}

func TestScanWPMWords(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // normalised words
	}{
		{"spaces and case", "  Graph\tNEURAL\nnets ", []string{"graph", "neural", "nets"}},
		{"punctuation is a word", "U.S.A. (2007): x+y=z", []string{"u", ".", "s", ".", "a", ".", "(", "2007", ")", ":", "x", "+", "y", "=", "z"}},
		{"accents dropped", "Café NAÏVE Über", []string{"cafe", "naive", "uber"}},
		{"combining accent kept in word", "Cafe\u0301", []string{"cafe\u0301"}},
		{"control and format dropped inside words", "ab\u200bcd e\x00f", []string{"abcd", "ef"}},
		{"CJK ideographs one by one", "数据mining", []string{"数", "据", "mining"}},
		{"non-ASCII symbol stays in the word", "x≤y", []string{"x≤y"}},
		{"non-breaking space splits", "a\u00a0b", []string{"a", "b"}},
		{"invalid UTF-8 dropped", "a\xffb", []string{"ab"}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			scanWPMWords(tc.in, func(start, stop int, word []byte) bool {
				got = append(got, string(word))
				if start < 0 || stop > len(tc.in) || start >= stop {
					t.Errorf("word %q has span [%d,%d) in a text of %d bytes", word, start, stop, len(tc.in))
				}
				return true
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("words of %q = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWordPieceTokens(t *testing.T) {
	wp := newWordPiece([]any{"[UNK]", "▁graph", "▁gra", "ph", "s", "▁a", "b", "▁.", "▁数", "▁[", "▁]", "▁unk"}, []any{3.0})
	for _, tc := range []struct {
		name, in string
		want     int
	}{
		{"whole word", "graph", 1},                            // ▁graph
		{"word and piece", "graphs", 2},                       // ▁graph s
		{"longest match first", "graphph", 2},                 // ▁graph ph
		{"repeated piece", "abbb", 4},                         // ▁a b b b
		{"unmatched part", "graphx", 1},                       // x matches nothing: one [UNK]
		{"unknown word", "zzz", 1},                            // [UNK]
		{"several words", "graphs. a 数", 5},                   // words: graphs . a 数
		{"one token a word", "graph graph graph graph", 4},    // one each
		{"empty", "", 0},                                      // no words
		{"format characters only", "\u200b\u200b", 0},         // format characters only
		{"lower-cased", "Graph", 1},                           // lower-cased first
		{"combining accent", "gra\u0301ph", 1},                // the accent makes ▁gra + "\u0301ph" unmatched: [UNK]
		{"precomposed accent", "gráph", 1},                    // NFD first character: "graph"
		{"special token", "[UNK]", 1},                         // special tokens are parsed
		{"special token only as written", "a[UNK]b [unk]", 6}, // a [UNK] b [ unk ]
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &ollamaLimit{context: 100, tokens: 98, wp: wp}
			if got := l.count(tc.in); got != tc.want {
				t.Errorf("count(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestOllamaLimitFit(t *testing.T) {
	tiny := testLimit(testmodel.Tiny, 12) // 10 tokens per text
	estimate := &ollamaLimit{context: 12, tokens: 10}
	the := func(n int) string { return strings.TrimSpace(strings.Repeat("the ", n)) }
	for _, tc := range []struct {
		name   string
		l      *ollamaLimit
		in     string
		keep   int
		want   string
		cutted bool
	}{
		{"fits", tiny, the(10), 0, the(10), false},
		{"one too many", tiny, the(11), 0, the(10), true},
		{"far too long", tiny, the(500), 0, the(10), true},
		{"prefix kept and counted", tiny, "search_document: " + the(20), len("search_document: "),
			"", true}, // worked out below
		{"short never cut", tiny, "a b c", 0, "a b c", false},
		{"short but many tokens", tiny, "a,b,c,d,e,f", 0, "a,b,c,d,e,", true}, // 11 bytes, 11 tokens
		{"one long word cut inside", tiny, strings.Repeat("x", 40), 0, strings.Repeat("x", 10), true},
		{"punctuation counts", tiny, "the, the, the, the, the, the", 0, "the, the, the, the, the,", true}, // 5 + 5
		{"prefix too long: left alone", tiny, the(11) + " graph", len(the(11) + " "), the(11) + " graph", false},
		{"estimate: words of three characters", estimate, the(11), 0, the(10), true},
		{"estimate: long words count more", estimate, "abcdefghi abcdefghi abcdefghi abcdefghi", 0, "abcdefghi abcdefghi abcdefghi", true},
		{"estimate: fits", estimate, "one two", 0, "one two", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "prefix kept and counted" {
				// Work the expected value out rather than guess the
				// tokenisation of the prefix: as many "the" as fit after it.
				n := tc.l.tokens - tc.l.count("search_document:")
				tc.want = "search_document: " + the(n)
			}
			got, cut := tc.l.fit(tc.in, tc.keep)
			if got != tc.want || cut != tc.cutted {
				t.Errorf("fit(%q) = %q, %v; want %q, %v", tc.in, got, cut, tc.want, tc.cutted)
			}
			if cut && tc.l.count(got) > tc.l.tokens {
				t.Errorf("cut text has %d tokens, limit %d", tc.l.count(got), tc.l.tokens)
			}
		})
	}
}

func TestOllamaLimitFitArxiv(t *testing.T) {
	// Every cut fits and is maximal: the next word would not fit.
	texts := arxivTexts(t, 300)
	for _, spec := range []testmodel.Spec{testmodel.Tiny, testmodel.MiniLM} {
		t.Run(spec.Name, func(t *testing.T) {
			l := testLimit(spec, spec.MaxPositions)
			tok := testmodel.NewTokenizer(testmodel.Vocab(spec))
			cuts := 0
			for i, text := range texts {
				got, cut := l.fit(text, 0)
				n := len(tok.Tokenize(got)) - 2
				if n > l.tokens {
					t.Fatalf("text %d cut to %d tokens, limit %d", i, n, l.tokens)
				}
				if !cut {
					if got != text {
						t.Fatalf("text %d changed without a cut", i)
					}
					continue
				}
				cuts++
				if !strings.HasPrefix(text, got) || len(got) == len(text) {
					t.Fatalf("text %d: cut %q is not a proper prefix", i, got)
				}
				rest := text[len(got):]
				next := strings.IndexFunc(strings.TrimLeft(rest, " "), func(r rune) bool { return r == ' ' })
				longer := text
				if next >= 0 {
					longer = text[:len(text)-len(strings.TrimLeft(rest, " "))+next]
				}
				if len(tok.Tokenize(longer))-2 <= l.tokens {
					t.Errorf("text %d: cut at %d bytes, but %d bytes (%d tokens) would fit", i, len(got), len(longer), len(tok.Tokenize(longer))-2)
				}
			}
			t.Logf("%d of %d texts cut to %d tokens", cuts, len(texts), l.tokens)
		})
	}
}

func TestParseOllamaLimit(t *testing.T) {
	tokens := []any{"[PAD]", "[UNK]", "▁graph", "s"}
	for _, tc := range []struct {
		name    string
		show    api.ShowResponse
		context int // 0: nil limit
		exact   bool
	}{
		{"bert with vocabulary", api.ShowResponse{ModelInfo: map[string]any{
			"general.architecture": "bert", "bert.context_length": 512.0,
			"tokenizer.ggml.model": "bert", "tokenizer.ggml.tokens": tokens}}, 512, true},
		{"vocabulary left out (not verbose)", api.ShowResponse{ModelInfo: map[string]any{
			"general.architecture": "bert", "bert.context_length": 512.0,
			"tokenizer.ggml.model": "bert", "tokenizer.ggml.tokens": []any{}}}, 512, false},
		{"num_ctx smaller", api.ShowResponse{Parameters: "stop \"x\"\nnum_ctx                        256\n",
			ModelInfo: map[string]any{"general.architecture": "nomic-bert", "nomic-bert.context_length": 2048.0}}, 256, false},
		{"num_ctx larger is ignored", api.ShowResponse{Parameters: "num_ctx 8192",
			ModelInfo: map[string]any{"general.architecture": "nomic-bert", "nomic-bert.context_length": 2048.0}}, 2048, false},
		{"other key", api.ShowResponse{ModelInfo: map[string]any{"general.architecture": "x", "y.context_length": 300.0}}, 300, false},
		{"sentencepiece", api.ShowResponse{ModelInfo: map[string]any{
			"general.architecture": "xlm-roberta", "xlm-roberta.context_length": 8192.0,
			"tokenizer.ggml.model": "t5", "tokenizer.ggml.tokens": tokens}}, 8192, false},
		{"no context", api.ShowResponse{ModelInfo: map[string]any{"general.architecture": "bert"}}, 0, false},
		{"nothing", api.ShowResponse{}, 0, false},
		{"nonsense", api.ShowResponse{ModelInfo: map[string]any{"general.architecture": "bert", "bert.context_length": "512"}}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := parseOllamaLimit(&tc.show)
			switch {
			case tc.context == 0:
				if l != nil {
					t.Errorf("limit %+v, want none", l)
				}
			case l == nil:
				t.Errorf("no limit, want context %d", tc.context)
			case l.context != tc.context || l.tokens != tc.context-2 || l.exact() != tc.exact:
				t.Errorf("limit context %d, tokens %d, exact %v; want %d, %d, %v", l.context, l.tokens, l.exact(), tc.context, tc.context-2, tc.exact)
			}
		})
	}
}

func TestMinLimit(t *testing.T) {
	wp := newWordPiece([]any{"▁a"}, nil)
	a := &ollamaLimit{context: 512, tokens: 510}
	b := &ollamaLimit{context: 256, tokens: 254, wp: wp}
	if got := minLimit(nil, nil); got != nil {
		t.Errorf("minLimit(nil, nil) = %+v", got)
	}
	if got := minLimit(a, nil); got != a {
		t.Errorf("minLimit(a, nil) = %+v", got)
	}
	got := minLimit(a, b)
	if got.context != 256 || got.tokens != 254 || got.wp != wp {
		t.Errorf("minLimit(a, b) = %+v, want context 256 with b's vocabulary", got)
	}
	if a.context != 512 || a.wp != nil {
		t.Errorf("minLimit changed a: %+v", a)
	}
}

func BenchmarkOllamaLimitFit(b *testing.B) {
	texts := arxivTexts(b, 200)
	for _, spec := range []testmodel.Spec{testmodel.Tiny, testmodel.MiniLM} {
		l := testLimit(spec, spec.MaxPositions)
		b.Run(spec.Name, func(b *testing.B) {
			bytes := 0
			for _, t := range texts {
				bytes += len(t)
			}
			b.SetBytes(int64(bytes / len(texts)))
			for i := 0; b.Loop(); i++ {
				l.fit(texts[i%len(texts)], 0)
			}
		})
	}
}
