package sparse

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Scoring names a term-weighting scheme of Options.Scoring.
type Scoring int

const (
	// TFIDF scores a document by the cosine of its TF-IDF vector with the
	// query's, both weighted (1 + ln count)·idf with the smooth idf
	// ln((1+n)/(1+df)) + 1: scikit-learn's
	// TfidfVectorizer(sublinear_tf=True) cosine.
	TFIDF Scoring = iota
	// BM25 is Okapi BM25 with Options.K1 and Options.B, and the idf
	// ln(1 + (n − df + 0.5)/(df + 0.5)).
	BM25
)

// Options are the scoring settings of an Index. They do not change what is
// stored, only how it is scored, so they may differ from one Open to the
// next. The zero value is the default, tuned on the development split of
// the ACM citation benchmark (bench/citations).
type Options struct {
	// Scoring is TFIDF (the default) or BM25.
	Scoring Scoring
	// MinDF ignores terms found in fewer documents. The default value is
	// 1: every term counts.
	MinDF int
	// MaxDF ignores terms found in more than this fraction of the
	// documents. The default value is 0.5.
	MaxDF float64
	// K1 and B are BM25's parameters. The default values are 1.2 and 0.75.
	K1, B float64
	// Terms calls its fn with each term of a text (bytes valid during the
	// call only). The default value is StemmedTerms: the lexical model's
	// own tokeniser and term filter, and the Snowball English stemmer.
	// An index saved by WriteTo must be read with the Terms it was built
	// with.
	Terms func(text string, fn func(term []byte))
}

// Default values of Options.
const (
	DefaultMinDF = 1
	DefaultMaxDF = 0.5
	DefaultK1    = 1.2
	DefaultB     = 0.75
)

func (o Options) withDefaults() Options {
	if o.MinDF <= 0 {
		o.MinDF = DefaultMinDF
	}
	if o.MaxDF <= 0 || o.MaxDF > 1 {
		o.MaxDF = DefaultMaxDF
	}
	if o.K1 <= 0 {
		o.K1 = DefaultK1
	}
	if o.B <= 0 {
		o.B = DefaultB
	}
	if o.Terms == nil {
		o.Terms = StemmedTerms
	}
	return o
}

// posting is one document of a term's list.
type posting struct {
	doc int32
	tf  int32
}

// Index is an inverted index from terms to the documents that contain them.
// Searches may run concurrently with each other; Add and Remove take an
// exclusive lock.
type Index struct {
	opts Options

	mu     sync.RWMutex
	ids    []string // document number → ID
	docOf  map[string]int32
	length []int32 // terms in each document
	terms  map[string]int32
	words  []string    // term number → term
	post   [][]posting // term number → postings, increasing doc

	// Fingerprint identifies the state of the collection the index was
	// built from (the caller's business: papermap's corpus stores a hash
	// of every record's ID and content hash). It is saved with the index.
	Fingerprint string

	wmu     sync.Mutex // guards weights
	weights *weights   // derived by prepare; nil when stale

	// lazy is the saved index Read left in place, nil once it is
	// decoded into the fields above (materialize, see lazy.go).
	lazy *lazy
	// damaged: a part of the saved index read since failed its check
	// (a file checked by chunk, see chunks.go).
	damaged atomic.Bool
}

// Damaged reports whether a search (or a decoding) of an index Read from a
// file checked by chunk (version 4) has read a part that fails its
// checksum or bounds: its results, and those of later searches, may be
// wrong, and the owner should rebuild the index, as for a file that Read
// refuses. It stays false for an index checked whole or built in memory.
func (x *Index) Damaged() bool { return x.damaged.Load() }

// Check checks every part of a saved index that no search has checked
// yet, and returns an error wrapping ErrCorrupt when any fails (then
// Damaged reports true). A caller that changes or saves an index read
// from a file calls it first, so that what it writes is never made from
// damaged bytes; one that only searches need not.
func (x *Index) Check() error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if l := x.lazy; l != nil {
		if bad := l.checkAll(); bad > 0 {
			return fmt.Errorf("%w: %d chunks fail their checksum", ErrCorrupt, bad)
		}
	}
	if x.damaged.Load() {
		return fmt.Errorf("%w: a part read earlier failed its check", ErrCorrupt)
	}
	return nil
}

// weights are the per-term and per-document factors of the scoring.
type weights struct {
	idf  []float32 // per term; 0 for terms outside MinDF..MaxDF
	norm []float32 // TFIDF: 1/‖document vector‖; BM25: unused
	bm25 []float32 // BM25: k1·(1−b+b·len/avglen) per document
}

// New returns an empty index.
func New(opts Options) *Index {
	return &Index{opts: opts.withDefaults(), docOf: map[string]int32{}, terms: map[string]int32{}}
}

// Len returns the number of documents.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.lazy != nil {
		return x.lazy.n
	}
	return len(x.ids)
}

// Terms returns the number of distinct terms.
func (x *Index) Terms() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.lazy != nil {
		return x.lazy.t
	}
	return len(x.words)
}

// Has reports whether the index holds document id.
func (x *Index) Has(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.lazy != nil {
		_, ok := x.lazy.doc(id)
		return ok
	}
	_, ok := x.docOf[id]
	return ok
}

// Add indexes documents: texts[i] is the text of ids[i]. A document already
// indexed under the same ID is replaced. It panics if the lengths differ.
func (x *Index) Add(ids, texts []string) {
	if len(ids) != len(texts) {
		panic("sparse: Add with different numbers of IDs and texts")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.materialize()
	x.remove(ids)
	counts := map[string]int32{}
	for i, id := range ids {
		if _, ok := x.docOf[id]; ok {
			continue // repeated within ids: the first wins
		}
		doc := int32(len(x.ids))
		x.ids = append(x.ids, id)
		x.docOf[id] = doc
		clear(counts)
		n := int32(0)
		x.opts.Terms(texts[i], func(t []byte) {
			if c, ok := counts[string(t)]; ok {
				counts[string(t)] = c + 1
			} else {
				counts[string(t)] = 1
			}
			n++
		})
		x.length = append(x.length, n)
		for t, c := range counts {
			w, ok := x.terms[t]
			if !ok {
				w = int32(len(x.words))
				x.terms[t] = w
				x.words = append(x.words, t)
				x.post = append(x.post, nil)
			}
			x.post[w] = append(x.post[w], posting{doc: doc, tf: c})
		}
	}
	x.weights = nil
}

// Remove drops the documents with these IDs; unknown IDs are ignored.
func (x *Index) Remove(ids ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.materialize()
	x.remove(ids)
}

// remove drops documents and renumbers the rest, keeping their order.
func (x *Index) remove(ids []string) {
	gone := false
	for _, id := range ids {
		if _, ok := x.docOf[id]; ok {
			gone = true
			break
		}
	}
	if !gone {
		return
	}
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	renum := make([]int32, len(x.ids))
	var keepIDs []string
	var keepLen []int32
	for d, id := range x.ids {
		if drop[id] {
			renum[d] = -1
			delete(x.docOf, id)
			continue
		}
		renum[d] = int32(len(keepIDs))
		x.docOf[id] = renum[d]
		keepIDs = append(keepIDs, id)
		keepLen = append(keepLen, x.length[d])
	}
	x.ids, x.length = keepIDs, keepLen
	for w, ps := range x.post {
		out := ps[:0]
		for _, p := range ps {
			if nd := renum[p.doc]; nd >= 0 {
				out = append(out, posting{doc: nd, tf: p.tf})
			}
		}
		x.post[w] = out
	}
	// Terms left without documents stay (with empty lists) until the
	// index is rebuilt: they cost a map entry and score nothing.
	x.weights = nil
}

// prepare computes the weights if they are stale. The caller holds x.mu
// for reading; prepare takes a separate lock for the cache.
func (x *Index) prepare() *weights {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if x.weights == nil {
		x.weights = x.computeWeights(x.opts)
	}
	return x.weights
}

// computeWeights derives the weights of scoring o from the postings. The
// caller holds x.mu for reading.
func (x *Index) computeWeights(o Options) *weights {
	n := len(x.ids)
	w := &weights{idf: make([]float32, len(x.words))}
	maxDF := int(o.MaxDF * float64(n))
	for t, ps := range x.post {
		df := len(ps)
		if df == 0 || df < o.MinDF || df > maxDF {
			continue
		}
		switch o.Scoring {
		case BM25:
			w.idf[t] = float32(math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5)))
		default:
			w.idf[t] = float32(math.Log(float64(1+n)/float64(1+df)) + 1)
		}
	}
	switch o.Scoring {
	case BM25:
		var total float64
		for _, l := range x.length {
			total += float64(l)
		}
		avg := max(total/float64(max(n, 1)), 1)
		w.bm25 = make([]float32, n)
		for d, l := range x.length {
			w.bm25[d] = float32(o.K1 * (1 - o.B + o.B*float64(l)/avg))
		}
	default:
		sq := make([]float64, n)
		for t, ps := range x.post {
			if w.idf[t] == 0 {
				continue
			}
			for _, p := range ps {
				v := float64(tfWeight(p.tf) * w.idf[t])
				sq[p.doc] += v * v
			}
		}
		w.norm = make([]float32, n)
		for d, s := range sq {
			if s > 0 {
				w.norm[d] = float32(1 / math.Sqrt(s))
			}
		}
	}
	return w
}

// tfWeight is the sublinear term frequency 1 + ln tf.
func tfWeight(tf int32) float32 {
	if int(tf) < len(tfTable) {
		return tfTable[tf]
	}
	return 1 + float32(math.Log(float64(tf)))
}

// tfTable holds tfWeight of the small counts, which are nearly all of them.
var tfTable = func() (t [64]float32) {
	for i := 1; i < len(t); i++ {
		t[i] = 1 + float32(math.Log(float64(i)))
	}
	return t
}()

// Hit is one document found by a search.
type Hit struct {
	ID    string
	Score float32
}

// query is a query's known terms with their weights.
type query struct {
	terms []int32
	qw    []float32
}

func (x *Index) parse(text string, w *weights) query {
	counts := map[int32]int32{}
	var order []int32
	x.opts.Terms(text, func(t []byte) {
		id, ok := x.terms[string(t)]
		if !ok || w.idf[id] == 0 {
			return
		}
		if counts[id] == 0 {
			order = append(order, id)
		}
		counts[id]++
	})
	q := query{terms: order, qw: make([]float32, len(order))}
	var sq float64
	for i, id := range order {
		switch x.opts.Scoring {
		case BM25:
			q.qw[i] = float32(counts[id]) // each occurrence of a query term counts
		default:
			q.qw[i] = tfWeight(counts[id]) * w.idf[id]
			sq += float64(q.qw[i]) * float64(q.qw[i])
		}
	}
	if sq > 0 {
		inv := float32(1 / math.Sqrt(sq))
		for i := range q.qw {
			q.qw[i] *= inv
		}
	}
	return q
}

// accumulate adds the query's score of every document that shares a term
// with it to acc, and returns the documents touched.
func (x *Index) accumulate(q query, w *weights, acc []float32, touched []int32) []int32 {
	for i, t := range q.terms {
		idf, qw := w.idf[t], q.qw[i]
		for _, p := range x.post[t] {
			var s float32
			switch x.opts.Scoring {
			case BM25:
				tf := float32(p.tf)
				s = qw * idf * tf * float32(x.opts.K1+1) / (tf + w.bm25[p.doc])
			default:
				s = qw * tfWeight(p.tf) * idf * w.norm[p.doc]
			}
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += s
		}
	}
	return touched
}

// Search returns the k documents that score highest for the query text,
// best first, ties broken by increasing ID: only documents that share a
// term with the query and for which keep (if not nil) returns true. It
// also returns the score of each document of also (0 for those that share
// no term with the query or are not indexed), from the same pass.
func (x *Index) Search(text string, k int, keep func(id string) bool, also []string) ([]Hit, []float32) {
	return x.SearchThen(text, k, keep, func() []string { return also })
}

// SearchThen is Search whose also is asked for once the query is scored:
// a caller that learns also from work of its own (the dense half of a
// hybrid search) can have the query scored meanwhile, on another CPU.
// also is called once, with the index locked for reading: it must not
// change the index.
func (x *Index) SearchThen(text string, k int, keep func(id string) bool, alsoFn func() []string) ([]Hit, []float32) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var also []string
	var acc []float32
	var touched []int32
	var idOf func(d int32) string
	var docOf func(id string) (int32, bool)
	if l := x.lazy; l != nil {
		if l.n == 0 {
			return nil, make([]float32, len(alsoFn()))
		}
		acc = make([]float32, l.n)
		touched = l.search(x.opts, text, acc, nil)
		idOf = func(d int32) string { return l.id(int(d)) }
		docOf = func(id string) (int32, bool) { d, ok := l.doc(id); return int32(d), ok }
	} else {
		if len(x.ids) == 0 {
			return nil, make([]float32, len(alsoFn()))
		}
		w := x.prepare()
		q := x.parse(text, w)
		acc = make([]float32, len(x.ids))
		touched = x.accumulate(q, w, acc, nil)
		idOf = func(d int32) string { return x.ids[d] }
		docOf = func(id string) (int32, bool) { d, ok := x.docOf[id]; return d, ok }
	}
	also = alsoFn()
	scores := make([]float32, len(also))
	for i, id := range also {
		if d, ok := docOf(id); ok {
			scores[i] = acc[d]
		}
	}
	if k <= 0 {
		return nil, scores
	}
	h := make(hitHeap, 0, k+1)
	for _, d := range touched {
		if len(h) == k && acc[d] < h[0].Score {
			continue // decided without the ID
		}
		hit := Hit{ID: idOf(d), Score: acc[d]}
		if len(h) == k && !better(hit, h[0]) {
			continue
		}
		if keep != nil && !keep(hit.ID) {
			continue
		}
		heap.Push(&h, hit)
		if len(h) > k {
			heap.Pop(&h)
		}
	}
	out := make([]Hit, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(Hit)
	}
	return out, scores
}

// SetOptions changes how the index scores (not what it holds): every
// field but Terms, which stays the one the index was made with (New or
// Read), since queries must be split into the terms the index holds.
func (x *Index) SetOptions(opts Options) {
	opts = opts.withDefaults()
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.opts
	opts.Terms = old.Terms
	x.opts = opts
	if x.lazy != nil && !x.lazy.fits(opts) {
		x.materialize()
	}
	if old.Scoring != opts.Scoring || old.MinDF != opts.MinDF || old.MaxDF != opts.MaxDF || old.K1 != opts.K1 || old.B != opts.B {
		x.weights = nil
	}
}

// better orders hits: higher score first, then lower ID.
func better(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// hitHeap is a min-heap of hits: the worst kept hit on top.
type hitHeap []Hit

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(v any)        { *h = append(*h, v.(Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// IDs returns the indexed IDs, sorted.
func (x *Index) IDs() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if l := x.lazy; l != nil {
		out := make([]string, l.n)
		for i := range out {
			out[i] = l.id(l.sortedDoc(i))
		}
		return out
	}
	out := slices.Clone(x.ids)
	slices.SortFunc(out, cmp.Compare)
	return out
}
