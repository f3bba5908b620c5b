package vectorstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/papermap/papermap/internal/kernel"
)

// Filter selects records by metadata: a record matches when, for every
// key, its metadata value equals the filter's (a missing key has the value
// ""). A nil or empty Filter matches every record.
type Filter map[string]string

func (f Filter) match(meta map[string]string) bool {
	for k, v := range f {
		if meta[k] != v {
			return false
		}
	}
	return true
}

// QueryOptions narrows a query. The zero value searches every record.
type QueryOptions struct {
	Where   Filter   // only records whose metadata match
	Exclude []string // never these IDs (e.g. the paper a "similar" query starts from)

	// Exact scores every record even where the store has an approximate
	// index (see Options.IndexThreshold).
	Exact bool

	// IndexEf is the candidate list of a search through the approximate
	// index (raised to k): larger finds more of the true nearest
	// neighbours, more slowly. The default, 0, grows with the store (see
	// DefaultIndexEf).
	IndexEf int
}

// Hit is one search result.
type Hit struct {
	ID    string
	Score float32 // cosine similarity with the query, in [-1, 1]
}

// Query returns the k records most similar to q (cosine similarity), best
// first, ties broken by increasing ID; fewer when fewer match. q must have
// the store's dimension; it need not be unit length (it is scaled to unit
// length unless within 1e-6 of it) but must not be zero.
//
// Below Options.IndexThreshold records, or with opts.Exact, the search is
// exact: it scores every matching record against q, with the store's
// vectors in one contiguous matrix, split across the CPUs. From the
// threshold on it searches the approximate index (an HNSW graph; see the
// package documentation): the hits are the k best of the candidates the
// graph finds, with the same scores and order as the exact scan would
// give them (recall@10 against the scan: 0.99 on 113k ACM abstracts, see
// bench/RESULTS.md).
func (s *Store) Query(ctx context.Context, q []float32, k int, opts QueryOptions) ([]Hit, error) {
	hits, err := s.QueryBatch(ctx, [][]float32{q}, k, opts)
	if err != nil {
		return nil, err
	}
	return hits[0], nil
}

// QueryBatch runs Query for each of qs with the same k and options, and
// returns the hits of qs[i] in element i. Its results are identical to
// those of single queries, and it is faster than as many calls to Query:
// each row of the matrix is scored against up to 64 queries while it is
// in the CPU cache, and a Where filter is evaluated once for all queries.
func (s *Store) QueryBatch(ctx context.Context, qs [][]float32, k int, opts QueryOptions) ([][]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, fmt.Errorf("vectorstore: query for %d results: k must be at least 1", k)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("vectorstore: query: %w", ErrClosed)
	}
	t := s.t
	units := make([][]float32, len(qs))
	for i, q := range qs {
		u, err := unitQuery(q, t.dim)
		if err != nil {
			if len(qs) > 1 {
				return nil, fmt.Errorf("vectorstore: query %d: %w", i, err)
			}
			return nil, fmt.Errorf("vectorstore: query: %w", err)
		}
		units[i] = u
	}
	out := make([][]Hit, len(qs))
	if t.n() == 0 || len(qs) == 0 {
		for i := range out {
			out[i] = []Hit{}
		}
		return out, nil
	}

	var excluded map[int32]bool
	for _, id := range opts.Exclude {
		i, ok, err := t.locate(id)
		if err != nil {
			return nil, fmt.Errorf("vectorstore: query: %w", err)
		}
		if ok {
			if excluded == nil {
				excluded = make(map[int32]bool, len(opts.Exclude))
			}
			excluded[int32(i)] = true
		}
	}
	var cand []int32 // the rows to score, nil for all
	if len(opts.Where) > 0 {
		metas, err := s.metas()
		if err != nil {
			return nil, fmt.Errorf("vectorstore: query: %w", err)
		}
		cand = t.filter(metas, opts.Where)
	}
	if ix := s.indexFor(ctx, opts.Exact); ix != nil && indexWorth(cand, t.n()) {
		return s.queryIndex(ctx, ix, units, k, opts.IndexEf, cand, excluded)
	}
	// Queries go through the matrix in groups: each row is scored
	// against a group while it is in the cache, and the group's vectors
	// stay in the cache too.
	for lo := 0; lo < len(units); lo += queryGroup {
		hi := min(lo+queryGroup, len(units))
		tops, err := t.scan(ctx, units[lo:hi], k, cand, excluded)
		if err != nil {
			return nil, err
		}
		for j, top := range tops {
			if out[lo+j], err = top.hits(t); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// unitQuery checks q and returns it scaled to unit length, by the same
// rule as chromem-go (a copy only when its norm is off by 1e-6 or more).
func unitQuery(q []float32, dim int) ([]float32, error) {
	if dim > 0 && len(q) != dim {
		return nil, fmt.Errorf("query vector has %d dims, the store %d", len(q), dim)
	}
	norm, err := unitNorm(q)
	if err != nil {
		return nil, fmt.Errorf("query vector %w", err)
	}
	if norm == 0 {
		return nil, errors.New("query vector is zero")
	}
	if math.Abs(norm-1) < unitTolerance {
		return q, nil
	}
	u := make([]float32, len(q))
	copyUnit(u, q, norm)
	return u, nil
}

// Scan tuning. Rows are scored against a group of up to queryGroup
// queries (66 rows of 384 float32 with the padding, 100 KiB: they stay in
// the L2 cache) four rows at a time, so each row is read from memory once
// per group. The context is checked every ctxRows rows. A worker is worth
// its goroutine from minWorkerRows rows on.
const (
	queryGroup    = 64
	ctxRows       = 4096
	minWorkerRows = 8192
)

// filter returns the rows whose metadata match where, in increasing
// order. The rows are split between the CPUs: looking up a key in each
// row's map costs a few cache misses per row, as much as scoring it.
func (t *table) filter(metas []map[string]string, where Filter) []int32 {
	n := t.n()
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minWorkerRows))
	parts := make([][]int32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() {
			var sel []int32
			for r := lo; r < hi; r++ {
				if where.match(metas[r]) {
					sel = append(sel, int32(r))
				}
			}
			parts[w] = sel
		})
	}
	wg.Wait()
	sel := slices.Concat(parts...)
	if sel == nil {
		sel = []int32{} // no match is not "no filter"
	}
	return sel
}

// scan scores rows (all, or those in cand) against every query and keeps
// the k best of each that are not excluded. The rows are split into one
// contiguous range per worker; each worker keeps its own top-k per query
// and the tops are merged at the end. The score of a row against a query
// is computed by the same sequence of operations whatever the split, the
// number of queries and their order (kernel.Dot4x3), so results depend
// neither on the number of CPUs nor on batching.
func (t *table) scan(ctx context.Context, qs [][]float32, k int, cand []int32, excluded map[int32]bool) ([]*topK, error) {
	n := t.n()
	if cand != nil {
		n = len(cand)
	}
	// The queries, one after the other, padded with zero rows to a
	// multiple of three: the kernel scores rows against queries in threes.
	dim := t.dim
	ntri := (len(qs) + 2) / 3
	qbuf := make([]float32, 3*ntri*dim)
	for j, q := range qs {
		copy(qbuf[j*dim:(j+1)*dim], q)
	}
	if cand != nil {
		if err := t.readyRows(cand); err != nil {
			return nil, err
		}
	} else {
		t.populate()
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minWorkerRows))
	parts := make([][]*topK, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		tops := make([]*topK, len(qs))
		for j := range tops {
			tops[j] = newTopK(k, t)
		}
		parts[w] = tops
		wg.Go(func() {
			if cand == nil {
				// The workers check their rows of the snapshot in
				// parallel.
				if errs[w] = t.ready(lo, hi); errs[w] != nil {
					return
				}
			}
			errs[w] = t.scanRange(ctx, qbuf, ntri, tops, cand, lo, hi, excluded)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for w := 1; w < workers; w++ {
		for j, top := range parts[w] {
			for _, c := range top.h {
				parts[0][j].push(c)
			}
		}
	}
	return parts[0], nil
}

// scanRange scores rows lo to hi (of cand, when not nil) against the
// queries in qbuf (3·ntri rows, len(tops) of them real), four rows at a
// time: each row is scored against every query while it is in the L1
// cache, and the kernel prefetches the next four.
func (t *table) scanRange(ctx context.Context, qbuf []float32, ntri int, tops []*topK, cand []int32, lo, hi int, excluded map[int32]bool) error {
	dim := t.dim
	out := make([]float32, 12*ntri)
	// gather sets xs to the rows from position p on (at most four, the
	// missing ones replaced by the first: their scores are ignored) and
	// returns how many there are.
	gather := func(p int, xs *[4][]float32, rows *[4]int32) int {
		m := min(4, hi-p)
		for i := 0; i < 4; i++ {
			r := int32(p + min(i, m-1))
			if cand != nil {
				r = cand[p+min(i, m-1)]
			}
			rows[i] = r
			xs[i] = t.vecs[int(r)*dim : int(r)*dim+dim]
		}
		return m
	}
	var x, next [4][]float32
	var rows, nextRows [4]int32
	if lo >= hi {
		return nil
	}
	m := gather(lo, &x, &rows)
	for p := lo; p < hi; p += 4 {
		if (p-lo)%ctxRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		nm := 0
		if p+4 < hi {
			nm = gather(p+4, &next, &nextRows)
		} else {
			next = x
		}
		kernel.Dot4x3(&x, qbuf, dim, ntri, dim, out, &next)
		for j, top := range tops {
			sc := out[12*(j/3)+4*(j%3):]
			for i := 0; i < m; i++ {
				score := sc[i]
				if len(top.h) == top.k && score < top.h[0].score {
					continue
				}
				if excluded[rows[i]] {
					continue
				}
				top.push(scored{score: score, row: rows[i]})
			}
		}
		x, rows, m = next, nextRows, nm
	}
	return nil
}

// scored is a row and its score against a query.
type scored struct {
	score float32
	row   int32
}

// topK keeps the k best rows seen: a min-heap whose root is the worst of
// them, under the order "higher score first, then smaller ID".
type topK struct {
	k int
	h []scored
	t *table
}

func newTopK(k int, t *table) *topK {
	return &topK{k: k, h: make([]scored, 0, min(k, 1024)), t: t}
}

// worse reports whether a ranks below b.
func (q *topK) worse(a, b scored) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if q.t.rowOf == nil {
		// Rows read from a snapshot and not changed since are in ID
		// order (and a lazy table need not decode their IDs).
		return a.row > b.row
	}
	return q.t.mem[a.row].id > q.t.mem[b.row].id
}

func (q *topK) push(c scored) {
	h := q.h
	if len(h) < q.k {
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !q.worse(h[i], h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		q.h = h
		return
	}
	if !q.worse(h[0], c) {
		return
	}
	h[0] = c
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && q.worse(h[l], h[m]) {
			m = l
		}
		if r < len(h) && q.worse(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// hits returns the kept rows, best first.
func (q *topK) hits(t *table) ([]Hit, error) {
	h := slices.Clone(q.h)
	slices.SortFunc(h, func(a, b scored) int {
		switch {
		case q.worse(b, a):
			return -1
		case q.worse(a, b):
			return 1
		}
		return 0
	})
	out := make([]Hit, len(h))
	for i, c := range h {
		r, err := t.row(int(c.row))
		if err != nil {
			return nil, err
		}
		out[i] = Hit{ID: r.id, Score: c.score}
	}
	return out, nil
}

// queryChromem answers a query with chromem-go's exhaustive search over
// the collection instead of the flat scan. It gives the same hits (within
// float32 rounding of the scores, which chromem-go sums in another order)
// and is kept to check the flat scan and to measure both.
func (s *Store) queryChromem(ctx context.Context, q []float32, k int, opts QueryOptions) ([]Hit, error) {
	coll, err := s.collection(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := unitQuery(q, s.t.dim)
	if err != nil {
		return nil, err
	}
	// chromem-go refuses nResults above the collection size.
	n := min(k+len(opts.Exclude), s.t.n())
	if n == 0 {
		return []Hit{}, nil
	}
	res, err := coll.QueryEmbedding(ctx, u, n, opts.Where, nil)
	if err != nil {
		return nil, fmt.Errorf("vectorstore: chromem-go query: %w", err)
	}
	hits := make([]Hit, 0, len(res))
	for _, r := range res {
		if !slices.Contains(opts.Exclude, r.ID) {
			hits = append(hits, Hit{ID: r.ID, Score: r.Similarity})
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return hits[:min(k, len(hits))], nil
}
