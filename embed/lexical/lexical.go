package lexical

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/stopwords"
	"github.com/sugarme/tokenizer/normalizer"
	"gonum.org/v1/gonum/blas/blas32"
)

// Options are the settings of Fit. The zero value gives the
// defaults, which reproduce scikit-learn's
// TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
// max_df=0.5) followed by TruncatedSVD(256).
type Options struct {
	// Dimensions is the number of LSA dimensions; 0 means 256. It is
	// silently lowered to what the corpus supports: at most
	// min(number of documents, number of kept terms), and no component
	// whose singular value is below 1e-6 of the largest (the numerical
	// rank). Info().Dimensions tells what was kept.
	Dimensions int

	// MinDF drops terms found in fewer documents; 0 means 2.
	MinDF int

	// MaxDF drops terms found in more than this fraction of the documents;
	// 0 means 0.5. It must be in (0, 1].
	MaxDF float64

	// Linear uses raw term counts as term frequencies; the default
	// (false) is the sublinear 1 + ln(count).
	Linear bool

	// StopWords are dropped before counting. nil means the built-in
	// English list (StopWords()); an empty non-nil slice means none. They
	// are normalised like text (Tokenize), so case and accents do not
	// matter.
	StopWords []string

	// KeepNumbers keeps tokens made only of digits ("2007", "3"). By
	// default they are dropped.
	KeepNumbers bool

	// KeepShortTokens keeps one-character tokens that are not CJK
	// ideographs ("x", "β"). By default they are dropped, as
	// scikit-learn's token pattern does.
	KeepShortTokens bool

	// Seed seeds the random test matrix of the randomised SVD; every value,
	// 0 included, is a valid seed.
	Seed uint64

	// PowerIters is the number of subspace iterations of the randomised
	// SVD; 0 means 4 and a negative value means none.
	PowerIters int

	// Oversampling is the number of sketch columns beyond Dimensions;
	// 0 means 16 and a negative value means none.
	Oversampling int
}

// Default values of Options.
const (
	DefaultLexicalDimensions   = 256
	DefaultLexicalMinDF        = 2
	DefaultLexicalMaxDF        = 0.5
	DefaultLexicalPowerIters   = 4
	DefaultLexicalOversampling = 16
)

// lexicalModelName is Info().Model of every lexical model.
const lexicalModelName = "lsa-tfidf"

// ErrNoKnownTerms reports a text with no term of the lexical model's
// vocabulary (or, exceptionally, one whose terms all lie outside the model's
// subspace): it has no direction. Errors returned by Model.Embed and
// Fit wrap it in a *NoKnownTermsError that names the texts.
var ErrNoKnownTerms = errors.New("no known terms")

// ErrEmptyVocabulary is returned by Fit when no term survives stop
// words and the document-frequency limits (too few or too short
// documents, for example).
var ErrEmptyVocabulary = errors.New("lexical: no usable word in these texts (a term is 2 to 100 characters, not a stop word or a number, and in at least MinDF texts); add papers or lower MinDF")

// NoKnownTermsError lists the texts that have no known term.
type NoKnownTermsError struct {
	Indices []int // positions of the texts in the input, increasing
}

// Error says which texts have no known term.
func (e *NoKnownTermsError) Error() string {
	const show = 10
	var b strings.Builder
	if len(e.Indices) == 1 {
		fmt.Fprintf(&b, "lexical: text %d has no term of the lexical vocabulary", e.Indices[0])
		return b.String()
	}
	fmt.Fprintf(&b, "lexical: %d texts have no term of the lexical vocabulary (indices ", len(e.Indices))
	for i, ix := range e.Indices[:min(show, len(e.Indices))] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(ix))
	}
	if len(e.Indices) > show {
		b.WriteString(", ...")
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap returns ErrNoKnownTerms.
func (e *NoKnownTermsError) Unwrap() error { return ErrNoKnownTerms }

// Model is a fitted LSA model: the vocabulary with its inverse document
// frequencies and the leading right singular vectors of the TF-IDF matrix.
// It is immutable and safe for concurrent use.
type Model struct {
	terms  []string         // sorted, distinct
	index  map[string]int32 // term → position in terms
	idf    []float64        // per term
	sigma  []float64        // singular values, descending, len dims
	basis  []float32        // len(terms)×dims row-major: V_k
	raw    []byte           // or else V_k as stored (little-endian float32), see DecodeShared
	dims   int
	linear bool
	fit    fitInfo
}

// fitInfo records how a model was fitted (saved with it, for provenance).
type fitInfo struct {
	docs         int
	minDF        int
	maxDF        float64
	keepNumbers  bool
	keepShort    bool
	seed         uint64
	powerIters   int
	oversampling int
}

var _ embed.Embedder = (*Model)(nil)

// resolve fills in defaults and checks o.
func (o Options) resolve() (Options, error) {
	switch {
	case o.Dimensions == 0:
		o.Dimensions = DefaultLexicalDimensions
	case o.Dimensions < 0:
		return o, fmt.Errorf("lexical: Dimensions %d is negative", o.Dimensions)
	}
	switch {
	case o.MinDF == 0:
		o.MinDF = DefaultLexicalMinDF
	case o.MinDF < 0:
		return o, fmt.Errorf("lexical: MinDF %d is negative", o.MinDF)
	}
	switch {
	case o.MaxDF == 0:
		o.MaxDF = DefaultLexicalMaxDF
	case !(o.MaxDF > 0 && o.MaxDF <= 1):
		return o, fmt.Errorf("lexical: MaxDF %v is not a fraction in (0, 1]", o.MaxDF)
	}
	switch {
	case o.PowerIters == 0:
		o.PowerIters = DefaultLexicalPowerIters
	case o.PowerIters < 0:
		o.PowerIters = 0
	}
	switch {
	case o.Oversampling == 0:
		o.Oversampling = DefaultLexicalOversampling
	case o.Oversampling < 0:
		o.Oversampling = 0
	}
	return o, nil
}

// termFilter decides which tokens can be terms.
type termFilter struct {
	stop        map[string]bool
	keepNumbers bool
	keepShort   bool
}

func newTermFilter(o Options) *termFilter {
	f := &termFilter{stop: make(map[string]bool), keepNumbers: o.KeepNumbers, keepShort: o.KeepShortTokens}
	words := o.StopWords
	if words == nil {
		words = stopwords.English()
	}
	for _, w := range words {
		for _, t := range Tokenize(w) {
			f.stop[t] = true
		}
	}
	return f
}

// maxTermBytes bounds the length of a term. BERT's WordPiece gives up on
// words over 100 characters; here such a "word" (a URL, a base64 blob, a
// line of a binary file) would only bloat the vocabulary and the saved
// model.
const maxTermBytes = 100

// keep reports whether token tok may be a term.
func (f *termFilter) keep(tok string) bool {
	if len(tok) > maxTermBytes || f.stop[tok] {
		return false
	}
	if !f.keepShort {
		if r, n := utf8.DecodeRuneInString(tok); n == len(tok) && !normalizer.IsChinese(r) {
			return false
		}
	}
	if !f.keepNumbers && isNumberToken(tok) {
		return false
	}
	return true
}

// isNumberToken reports whether tok is made only of decimal digits.
func isNumberToken(tok string) bool {
	for _, r := range tok {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return tok != ""
}

// docCounter counts the tokens of the documents one goroutine handles, with
// its own dictionary, so that the goroutines share nothing while counting.
type docCounter struct {
	ids    map[string]int32
	terms  []string
	usable []bool  // the term passes the term filter
	df     []int32 // documents containing the term, among this counter's
	scan   tokenScanner
	buf    []int32
}

// count returns the sorted (local id, count) pairs of doc, interleaved.
func (c *docCounter) count(doc string, f *termFilter) []int32 {
	c.buf = c.buf[:0]
	c.scan.scan(doc, func(tok []byte) {
		id, ok := c.ids[string(tok)]
		if !ok {
			t := string(tok)
			id = int32(len(c.terms))
			c.ids[t] = id
			c.terms = append(c.terms, t)
			c.usable = append(c.usable, f.keep(t))
			c.df = append(c.df, 0)
		}
		if c.usable[id] {
			c.buf = append(c.buf, id)
		}
	})
	slices.Sort(c.buf)
	var pairs []int32
	for i := 0; i < len(c.buf); {
		j := i + 1
		for j < len(c.buf) && c.buf[j] == c.buf[i] {
			j++
		}
		pairs = append(pairs, c.buf[i], int32(j-i))
		c.df[c.buf[i]]++
		i = j
	}
	return pairs
}

// Fit fits an LSA model on docs and returns it with the unit vectors
// of docs, in order.
//
// The steps follow scikit-learn's TfidfVectorizer and TruncatedSVD:
// Tokenize, drop stop words (and numbers and one-character tokens unless
// kept), keep terms whose document frequency df satisfies
// MinDF ≤ df ≤ MaxDF·len(docs), weight a term of a document by
// (1 + ln count) · (ln((1+n)/(1+df)) + 1) with n = len(docs), scale each
// document's row to unit length, take the leading right singular vectors V
// of that matrix, and return for each document its row times V, scaled to
// unit length. A new text is embedded the same way (Embed), so a training
// document embeds to exactly its fitted vector.
//
// The same docs, in the same order, with the same options give bit-identical
// models and vectors on a given platform, whatever the number of CPUs.
//
// If some documents have no kept term, Fit returns the model, the
// vectors with nil in those positions, and a *NoKnownTermsError naming them
// (errors.Is(err, ErrNoKnownTerms)); callers may drop those documents and
// go on. Every other error comes with a nil model.
func Fit(ctx context.Context, docs []string, opts Options) (*Model, [][]float32, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, nil, err
	}
	if len(docs) == 0 {
		return nil, nil, fmt.Errorf("lexical: no documents to fit: %w", ErrEmptyVocabulary)
	}
	l, a, err := fitTFIDF(ctx, docs, o)
	if err != nil {
		return nil, nil, err
	}

	// 4. Truncated SVD.
	svd, err := randomizedSVD(ctx, a, a.transpose(), svdOptions{
		k: o.Dimensions, oversample: o.Oversampling, powerIters: o.PowerIters, seed: o.Seed,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lexical: fit: %w", err)
	}
	if len(svd.sigma) == 0 {
		return nil, nil, errors.New("lexical: the TF-IDF matrix has rank 0")
	}
	l.dims = len(svd.sigma)
	l.sigma = svd.sigma
	l.basis = make([]float32, len(svd.v))
	for i, v := range svd.v {
		l.basis[i] = float32(v)
	}

	// 5. Document vectors: each row folded in like a new text.
	n := len(docs)
	vecs := make([][]float32, n)
	var missing []int
	var mu sync.Mutex
	err = parallelBlocks(ctx, evenBlocks(n, 256), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := a.indptr[i]
			v := l.project(a.indices[r:a.indptr[i+1]], a.values[r:a.indptr[i+1]])
			if v == nil {
				mu.Lock()
				missing = append(missing, i)
				mu.Unlock()
			}
			vecs[i] = v
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lexical: fit: %w", err)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return l, vecs, &NoKnownTermsError{Indices: missing}
	}
	return l, vecs, nil
}

// fitTFIDF does the first steps of Fit: it counts the terms of docs,
// builds the vocabulary and idf (a Model without its SVD) and returns the
// TF-IDF matrix of docs.
func fitTFIDF(ctx context.Context, docs []string, o Options) (*Model, *csrMatrix, error) {
	filter := newTermFilter(o)

	// 1. Count tokens per document, in parallel, each goroutine with its own
	// dictionary.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(docs)/64))
	counters := make([]*docCounter, workers)
	docPairs := make([][]int32, len(docs))
	docOwner := make([]uint16, len(docs))
	bounds := evenBlocks(len(docs), 64)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		c := &docCounter{ids: make(map[string]int32)}
		counters[w] = c
		wg.Go(func() {
			for ctx.Err() == nil {
				b := int(next.Add(1)) - 1
				if b >= len(bounds)-1 {
					return
				}
				for i := bounds[b]; i < bounds[b+1]; i++ {
					docPairs[i] = c.count(docs[i], filter)
					docOwner[i] = uint16(w)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("lexical: fit: %w", err)
	}

	// 2. Vocabulary: sum document frequencies, prune, sort.
	df := make(map[string]int32)
	for _, c := range counters {
		for id, t := range c.terms {
			if c.usable[id] {
				df[t] += c.df[id]
			}
		}
	}
	n := len(docs)
	maxCount := o.MaxDF * float64(n)
	var terms []string
	for t, d := range df {
		if int(d) >= o.MinDF && float64(d) <= maxCount {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return nil, nil, ErrEmptyVocabulary
	}
	slices.Sort(terms)
	l := &Model{
		terms:  terms,
		index:  make(map[string]int32, len(terms)),
		idf:    make([]float64, len(terms)),
		linear: o.Linear,
		fit: fitInfo{
			docs: n, minDF: o.MinDF, maxDF: o.MaxDF, keepNumbers: o.KeepNumbers, keepShort: o.KeepShortTokens,
			seed: o.Seed, powerIters: o.PowerIters, oversampling: o.Oversampling,
		},
	}
	for j, t := range terms {
		l.index[t] = int32(j)
		// Smooth idf, as scikit-learn's TfidfVectorizer(smooth_idf=True).
		l.idf[j] = math.Log(float64(1+n)/float64(1+df[t])) + 1
	}
	df = nil
	remap := make([][]int32, len(counters))
	for w, c := range counters {
		remap[w] = make([]int32, len(c.terms))
		for id, t := range c.terms {
			col, ok := l.index[t]
			if !ok {
				col = -1
			}
			remap[w][id] = col
		}
		c.ids, c.terms = nil, nil
	}

	// 3. The TF-IDF matrix, one unit row per document (empty rows for
	// documents without kept terms).
	a, err := l.tfidfMatrix(ctx, docPairs, docOwner, remap)
	if err != nil {
		return nil, nil, err
	}
	return l, a, nil

}

// tfidfMatrix builds the CSR matrix of unit TF-IDF rows from the per-document
// (local id, count) pairs.
func (l *Model) tfidfMatrix(ctx context.Context, docPairs [][]int32, owner []uint16, remap [][]int32) (*csrMatrix, error) {
	n := len(docPairs)
	a := &csrMatrix{rows: n, cols: len(l.terms), indptr: make([]int, n+1)}
	blocks := evenBlocks(n, 256)
	err := parallelBlocks(ctx, blocks, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			k := 0
			rm := remap[owner[i]]
			for p := 0; p < len(docPairs[i]); p += 2 {
				if rm[docPairs[i][p]] >= 0 {
					k++
				}
			}
			a.indptr[i+1] = k
		}
	})
	if err != nil {
		return nil, fmt.Errorf("lexical: fit: %w", err)
	}
	for i := 0; i < n; i++ {
		a.indptr[i+1] += a.indptr[i]
	}
	a.indices = make([]int32, a.indptr[n])
	a.values = make([]float32, a.indptr[n])
	counts := make([]int32, a.indptr[n])
	err = parallelBlocks(ctx, blocks, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rm := remap[owner[i]]
			q := a.indptr[i]
			for p := 0; p < len(docPairs[i]); p += 2 {
				if col := rm[docPairs[i][p]]; col >= 0 {
					a.indices[q] = col
					counts[q] = docPairs[i][p+1]
					q++
				}
			}
			r0, r1 := a.indptr[i], a.indptr[i+1]
			sortPairs(a.indices[r0:r1], counts[r0:r1])
			l.weigh(a.indices[r0:r1], counts[r0:r1], a.values[r0:r1])
		}
	})
	if err != nil {
		return nil, fmt.Errorf("lexical: fit: %w", err)
	}
	return a, nil
}

// sortPairs sorts cols increasingly, permuting counts alongside.
func sortPairs(cols, counts []int32) {
	if slices.IsSorted(cols) {
		return
	}
	idx := make([]int, len(cols))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return int(cols[x]) - int(cols[y]) })
	c2 := make([]int32, len(cols))
	n2 := make([]int32, len(cols))
	for k, i := range idx {
		c2[k], n2[k] = cols[i], counts[i]
	}
	copy(cols, c2)
	copy(counts, n2)
}

// weigh writes to w the unit TF-IDF weights of the terms cols (increasing)
// seen counts times.
func (l *Model) weigh(cols, counts []int32, w []float32) {
	var sum float64
	ws := make([]float64, len(cols))
	for p, col := range cols {
		tf := float64(counts[p])
		if !l.linear {
			tf = 1 + math.Log(tf)
		}
		ws[p] = tf * l.idf[col]
		sum += ws[p] * ws[p]
	}
	norm := math.Sqrt(sum)
	for p, x := range ws {
		w[p] = float32(x / norm)
	}
}

// project returns the unit vector of the TF-IDF row (cols, w) times V, or
// nil if that product is zero (no terms).
func (l *Model) project(cols []int32, w []float32) []float32 {
	if len(cols) == 0 {
		return nil
	}
	k := l.dims
	out := make([]float32, k)
	impl := blas32.Implementation()
	var row []float32
	if l.raw != nil {
		row = make([]float32, k)
	}
	for p, col := range cols {
		if l.raw != nil {
			b := l.raw[4*int(col)*k : 4*int(col+1)*k]
			for c := range row {
				row[c] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*c:]))
			}
			impl.Saxpy(k, w[p], row, 1, out, 1)
			continue
		}
		impl.Saxpy(k, w[p], l.basis[int(col)*k:int(col+1)*k], 1, out, 1)
	}
	var sum float64
	for _, x := range out {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return nil
	}
	s := 1 / math.Sqrt(sum)
	for c, x := range out {
		out[c] = float32(float64(x) * s)
	}
	return out
}

// Embed returns the unit LSA vectors of texts: each text is tokenised,
// weighted with the model's idf, scaled to unit length and projected on the
// model's singular vectors ("folding in"). The task is ignored: LSA embeds
// queries and documents alike. Terms not in the vocabulary are ignored; if a
// text has none left, Embed returns the other vectors, nil for that text,
// and a *NoKnownTermsError naming it (errors.Is(err, ErrNoKnownTerms)).
func (l *Model) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lexical: %w", err)
	}
	out := make([][]float32, len(texts))
	failed := make([]bool, len(texts))
	err := parallelBlocks(ctx, evenBlocks(len(texts), 64), func(lo, hi int) {
		var s tokenScanner
		var cols []int32
		for i := lo; i < hi; i++ {
			cols = cols[:0]
			s.scan(texts[i], func(tok []byte) {
				if col, ok := l.index[string(tok)]; ok {
					cols = append(cols, col)
				}
			})
			slices.Sort(cols)
			var uniq, counts []int32
			for p := 0; p < len(cols); {
				q := p + 1
				for q < len(cols) && cols[q] == cols[p] {
					q++
				}
				uniq = append(uniq, cols[p])
				counts = append(counts, int32(q-p))
				p = q
			}
			w := make([]float32, len(uniq))
			l.weigh(uniq, counts, w)
			out[i] = l.project(uniq, w)
			failed[i] = out[i] == nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("lexical: %w", err)
	}
	var missing []int
	for i, f := range failed {
		if f {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return out, &NoKnownTermsError{Indices: missing}
	}
	return out, nil
}

// Info returns backend "lexical", model "lsa-tfidf" and the number of
// dimensions kept. Two lexical models fitted on different corpora have equal
// Info but incomparable vectors: stores keep the model with the vectors.
func (l *Model) Info() embed.Info {
	return embed.Info{Backend: embed.BackendLexical, Model: lexicalModelName, Dimensions: l.dims}
}

// Vocabulary returns the model's terms, sorted.
func (l *Model) Vocabulary() []string {
	return slices.Clone(l.terms)
}

// SingularValues returns the singular values of the training TF-IDF matrix
// that the model keeps, largest first.
func (l *Model) SingularValues() []float64 {
	return slices.Clone(l.sigma)
}

// StopWords returns a copy of the built-in English stop-word list that the
// model drops by default (scikit-learn's ENGLISH_STOP_WORDS, 318 words,
// sorted).
func StopWords() []string { return stopwords.English() }
