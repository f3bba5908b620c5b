package lexical

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papermap/papermap/embed"
)

// fruit is a corpus small enough to check by hand: document frequencies
// apple 3, banana 2, cherry 2, fig 1, grape 1 (n = 5).
var fruit = []string{
	"Apple banana apple.",
	"Banana, cherry!",
	"cherry APPLE",
	"apple fig",
	"grape",
}

func lexNorm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func lexCosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s / (lexNorm(a) * lexNorm(b))
}

func TestFitLexicalVocabularyAndIDF(t *testing.T) {
	// idf values by hand with smooth idf, ln((1+n)/(1+df)) + 1, n = 5:
	// apple ln(6/4)+1 = 1.4054651081, banana and cherry ln(6/3)+1 = 1.6931471806.
	tests := []struct {
		name    string
		opts    Options
		vocab   []string
		idf     []float64
		missing []int // documents left without terms
	}{
		{"MaxDF 1 keeps apple", Options{MaxDF: 1}, []string{"apple", "banana", "cherry"},
			[]float64{1.4054651081, 1.6931471806, 1.6931471806}, []int{4}},
		{"default MaxDF 0.5 drops apple (3 > 2.5)", Options{}, []string{"banana", "cherry"},
			[]float64{1.6931471806, 1.6931471806}, []int{3, 4}},
		{"MinDF 1 keeps fig and grape", Options{MinDF: 1, MaxDF: 1}, []string{"apple", "banana", "cherry", "fig", "grape"},
			[]float64{1.4054651081, 1.6931471806, 1.6931471806, 2.0986122887, 2.0986122887}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, vecs, err := Fit(context.Background(), fruit, tt.opts)
			var nk *NoKnownTermsError
			switch {
			case tt.missing == nil && err != nil:
				t.Fatal(err)
			case tt.missing != nil && !errors.As(err, &nk):
				t.Fatalf("err = %v, want a *NoKnownTermsError", err)
			case tt.missing != nil && !slices.Equal(nk.Indices, tt.missing):
				t.Fatalf("documents without terms = %v, want %v", nk.Indices, tt.missing)
			}
			if got := l.Vocabulary(); !slices.Equal(got, tt.vocab) {
				t.Fatalf("vocabulary %q, want %q", got, tt.vocab)
			}
			for j, want := range tt.idf {
				if math.Abs(l.idf[j]-want) > 1e-9 {
					t.Errorf("idf(%s) = %.10f, want %.10f", tt.vocab[j], l.idf[j], want)
				}
			}
			// Dimensions capped at min(documents, terms).
			if d := l.Info().Dimensions; d < 1 || d > len(tt.vocab) {
				t.Errorf("dimensions %d, want 1..%d", d, len(tt.vocab))
			}
			for i, v := range vecs {
				if slices.Contains(tt.missing, i) {
					if v != nil {
						t.Errorf("document %d has no term but a vector", i)
					}
					continue
				}
				if math.Abs(lexNorm(v)-1) > embed.NormTolerance {
					t.Errorf("document %d: norm %v", i, lexNorm(v))
				}
			}
		})
	}
}

func TestLexicalWeights(t *testing.T) {
	// Document 0 of fruit with MaxDF 1: apple twice, banana once.
	// By hand (checked with a calculator): apple (1 + ln 2)·1.4054651081 =
	// 2.3796592852, banana 1·1.6931471806; norm 2.9205351716; unit weights
	// 0.8148024747, 0.5797386715. With linear tf: apple 2·1.4054651081 =
	// 2.8109302162; norm 3.2814746770; weights 0.8566057925, 0.5159714297.
	l, _, _ := Fit(context.Background(), fruit, Options{MaxDF: 1})
	tests := []struct {
		name   string
		linear bool
		want   []float64
	}{
		{"sublinear", false, []float64{0.8148024747, 0.5797386715}},
		{"linear", true, []float64{0.8566057925, 0.5159714297}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := *l
			m.linear = tt.linear
			w := make([]float32, 2)
			m.weigh([]int32{0, 1}, []int32{2, 1}, w)
			for i := range w {
				// float32 weights: 1e-7 relative.
				if math.Abs(float64(w[i])-tt.want[i]) > 1e-7 {
					t.Errorf("weight %d = %.7f, want %.7f", i, w[i], tt.want[i])
				}
			}
		})
	}
}

func TestLexicalTermFilter(t *testing.T) {
	docs := []string{
		"The 3 models of x and the 2007 data",
		"the 3 models of x and the 2007 data again",
		"The 3 other models of x from 2007 data",
		"unrelated words here",
		"more unrelated words",
	}
	tests := []struct {
		name   string
		opts   Options
		has    []string
		hasNot []string
	}{
		{"defaults", Options{MaxDF: 1}, []string{"models", "data"}, []string{"the", "of", "3", "2007", "x"}},
		{"numbers kept", Options{MaxDF: 1, KeepNumbers: true}, []string{"2007"}, []string{"3", "x", "the"}},
		{"short tokens kept", Options{MaxDF: 1, KeepShortTokens: true}, []string{"x"}, []string{"3", "2007", "the"}},
		{"both kept", Options{MaxDF: 1, KeepShortTokens: true, KeepNumbers: true}, []string{"x", "3", "2007"}, []string{"the"}},
		{"no stop words", Options{MaxDF: 1, StopWords: []string{}}, []string{"the", "of", "and"}, []string{"3"}},
		{"own stop words, normalised", Options{MaxDF: 1, StopWords: []string{"MODELS", "Dátá"}}, []string{"the", "of"}, []string{"models", "data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := Fit(context.Background(), docs, tt.opts)
			if err != nil && !errors.Is(err, ErrNoKnownTerms) {
				t.Fatal(err)
			}
			vocab := l.Vocabulary()
			for _, w := range tt.has {
				if !slices.Contains(vocab, w) {
					t.Errorf("%q missing from %q", w, vocab)
				}
			}
			for _, w := range tt.hasNot {
				if slices.Contains(vocab, w) {
					t.Errorf("%q in %q", w, vocab)
				}
			}
			if !slices.IsSorted(vocab) {
				t.Errorf("vocabulary not sorted: %q", vocab)
			}
		})
	}
}

// arxivModel caches a model fitted on the arXiv testdata for several tests.
var arxivModel = sync.OnceValues(func() (*lexicalFit, error) {
	docs := readArxivForFit()
	l, vecs, err := Fit(context.Background(), docs, Options{Dimensions: 100})
	return &lexicalFit{docs: docs, model: l, vecs: vecs}, err
})

type lexicalFit struct {
	docs  []string
	model *Model
	vecs  [][]float32
}

func readArxivForFit() []string {
	var t testing.T
	var docs []string
	for _, d := range readArxiv(&t) {
		docs = append(docs, d.text)
	}
	return docs
}

func fitArxiv(t *testing.T) *lexicalFit {
	t.Helper()
	f, err := arxivModel()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLexicalFoldIn(t *testing.T) {
	f := fitArxiv(t)
	if got := f.model.Info(); got != (embed.Info{Backend: "lexical", Model: "lsa-tfidf", Dimensions: 100}) {
		t.Fatalf("Info() = %+v", got)
	}
	texts := f.docs[:200]
	got, err := f.model.Embed(context.Background(), texts, embed.Query)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if c := lexCosine(got[i], f.vecs[i]); c < 0.999 {
			t.Errorf("document %d: fold-in cosine %.6f to its fitted vector, want > 0.999", i, c)
		}
		// The fit folds its own rows in with the same code: identical.
		if !slices.Equal(got[i], f.vecs[i]) {
			t.Errorf("document %d: fold-in differs from the fitted vector", i)
		}
	}
}

func TestLexicalUnitNorms(t *testing.T) {
	f := fitArxiv(t)
	for i, v := range f.vecs {
		if len(v) != 100 || math.Abs(lexNorm(v)-1) > embed.NormTolerance {
			t.Fatalf("document %d: length %d, norm %v", i, len(v), lexNorm(v))
		}
	}
	queries := []string{"dark matter halo", "graph colouring", "Riemann zeta function zeros", "quantum"}
	vecs, err := f.model.Embed(context.Background(), queries, embed.Query)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if len(v) != 100 || math.Abs(lexNorm(v)-1) > embed.NormTolerance {
			t.Errorf("query %q: length %d, norm %v", queries[i], len(v), lexNorm(v))
		}
	}
}

func TestLexicalSingularValues(t *testing.T) {
	s := fitArxiv(t).model.SingularValues()
	if len(s) != 100 || !slices.IsSortedFunc(s, func(a, b float64) int { return -lexCompareFloat(a, b) }) || s[len(s)-1] <= 0 {
		t.Errorf("singular values are not 100 positive non-increasing values: %v", s)
	}
}

func lexCompareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestLexicalDeterminism(t *testing.T) {
	docs := readArxivForFit()[:600]
	fit := func(procs int) ([][]float32, []byte) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		l, vecs, err := Fit(context.Background(), docs, Options{Dimensions: 40, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := l.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return vecs, b.Bytes()
	}
	v1, m1 := fit(1)
	v2, m2 := fit(2)
	v3, m3 := fit(3)
	if !bytes.Equal(m1, m2) || !bytes.Equal(m1, m3) {
		t.Error("models differ with GOMAXPROCS")
	}
	for i := range v1 {
		if !slices.Equal(v1[i], v2[i]) || !slices.Equal(v1[i], v3[i]) {
			t.Fatalf("document %d: vectors differ with GOMAXPROCS", i)
		}
	}
}

func TestLexicalRoundTrip(t *testing.T) {
	f := fitArxiv(t)
	var b bytes.Buffer
	n, err := f.model.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, b.Len())
	}
	data := slices.Clone(b.Bytes())
	l, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if l.Info() != f.model.Info() || !slices.Equal(l.terms, f.model.terms) || !slices.Equal(l.idf, f.model.idf) ||
		!slices.Equal(l.sigma, f.model.sigma) || !slices.Equal(l.basis, f.model.basis) || l.fit != f.model.fit || l.linear != f.model.linear {
		t.Error("model read back differs from the model written")
	}
	var again bytes.Buffer
	if _, err := l.WriteTo(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("writing the model read back gives other bytes")
	}
	q := []string{"spin glass", f.docs[7]}
	want, _ := f.model.Embed(context.Background(), q, embed.Query)
	got, _ := l.Embed(context.Background(), q, embed.Query)
	for i := range q {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("text %d embeds differently after the round trip", i)
		}
	}
	// DecodeShared reads the basis in the file's bytes: the same vectors
	// bit for bit, and the same bytes written back.
	sh, err := DecodeShared(data)
	if err != nil {
		t.Fatal(err)
	}
	if sh.basis != nil || len(sh.raw) != 4*len(f.model.basis) {
		t.Fatalf("DecodeShared decoded the basis (%d values) or kept %d bytes of it", len(sh.basis), len(sh.raw))
	}
	got, _ = sh.Embed(context.Background(), append(q, f.docs[:50]...), embed.Document)
	want, _ = f.model.Embed(context.Background(), append(q, f.docs[:50]...), embed.Document)
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("text %d: DecodeShared's model embeds it differently", i)
		}
	}
	again.Reset()
	if _, err := sh.WriteTo(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("writing the model of DecodeShared gives other bytes")
	}
}

func TestReadLexicalCorrupt(t *testing.T) {
	l, _, err := Fit(context.Background(), fruit, Options{MaxDF: 1, MinDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	l.WriteTo(&b)
	good := b.Bytes()
	flip := func(i int) []byte {
		c := slices.Clone(good)
		c[i] ^= 0x10
		return c
	}
	// withCRC re-seals data so that the checksum passes and the parser
	// must catch the problem itself.
	withCRC := func(body []byte) []byte {
		return binary.LittleEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, lexicalCRCTable))
	}
	hugeTerms := slices.Clone(good[:len(good)-4])
	binary.LittleEndian.PutUint64(hugeTerms[16+8:], 1<<40)
	unsorted := slices.Clone(good[:len(good)-4])
	i := bytes.Index(unsorted, []byte("apple"))
	copy(unsorted[i:], "zpple")
	version2 := slices.Clone(good[:len(good)-4])
	binary.LittleEndian.PutUint32(version2[8:], 2)
	tests := []struct {
		name    string
		data    []byte
		corrupt bool   // wraps ErrCorruptModel
		msg     string // in the error message
	}{
		{"empty", nil, true, "bad magic"},
		{"not a model", []byte("{\"json\": true}"), true, "bad magic"},
		{"header only", good[:40], true, "shorter than the header"},
		{"truncated", good[:len(good)-9], true, "checksum"},
		{"last byte missing", good[:len(good)-1], true, "checksum"},
		{"flipped byte in the vectors", flip(len(good) - 10), true, "checksum"},
		{"flipped byte in a term", flip(lexicalHeaderSize + 2), true, "checksum"},
		{"trailing garbage", append(slices.Clone(good), 0), true, "checksum"},
		{"sealed with impossible sizes", withCRC(hugeTerms), true, "impossible sizes"},
		{"sealed with unsorted terms", withCRC(unsorted), true, "not sorted"},
		{"sealed with missing data", withCRC(good[:len(good)-12]), true, "unexpected EOF"},
		{"newer version", withCRC(version2), false, "version 2 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrCorruptModel) != tt.corrupt {
				t.Errorf("errors.Is(err, ErrCorruptModel) = %v, want %v (err: %v)", !tt.corrupt, tt.corrupt, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestLexicalNoKnownTerms(t *testing.T) {
	f := fitArxiv(t)
	texts := []string{"galaxy cluster", "", "qwertyuiop zxcvbnm", "the of and", "neutron star"}
	vecs, err := f.model.Embed(context.Background(), texts, embed.Document)
	if !errors.Is(err, ErrNoKnownTerms) {
		t.Fatalf("err = %v, want ErrNoKnownTerms", err)
	}
	var nk *NoKnownTermsError
	if !errors.As(err, &nk) || !slices.Equal(nk.Indices, []int{1, 2, 3}) {
		t.Fatalf("err = %#v, want indices [1 2 3]", err)
	}
	if !strings.Contains(err.Error(), "(indices 1, 2, 3)") {
		t.Errorf("error %q does not name the texts", err)
	}
	for i, v := range vecs {
		if (v == nil) != slices.Contains(nk.Indices, i) {
			t.Errorf("text %d: vector %v", i, v != nil)
		}
	}
	_, err = f.model.Embed(context.Background(), []string{"galaxy", "zzzz"}, embed.Query)
	if err == nil || err.Error() != "lexical: text 1 has no term of the lexical vocabulary" {
		t.Errorf("single text error: %v", err)
	}
}

func TestLexicalCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	docs := readArxivForFit()
	if _, _, err := Fit(ctx, docs, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Fit: err = %v, want context.Canceled", err)
	}
	if _, err := fitArxiv(t).model.Embed(ctx, docs[:10], embed.Query); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed: err = %v, want context.Canceled", err)
	}
}

func TestLexicalOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		docs []string
		want error // nil: any error
	}{
		{"negative dimensions", Options{Dimensions: -1}, fruit, nil},
		{"negative MinDF", Options{MinDF: -2}, fruit, nil},
		{"MaxDF above 1", Options{MaxDF: 1.5}, fruit, nil},
		{"MaxDF NaN", Options{MaxDF: math.NaN()}, fruit, nil},
		{"no documents", Options{}, nil, ErrEmptyVocabulary},
		{"every term pruned", Options{MinDF: 10}, fruit, ErrEmptyVocabulary},
		{"only stop words", Options{}, []string{"the of", "and the", "of and"}, ErrEmptyVocabulary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _, err := Fit(context.Background(), tt.docs, tt.opts)
			if err == nil || l != nil {
				t.Fatalf("got model %v, err %v; want an error", l != nil, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
