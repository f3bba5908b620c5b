package corpus

import (
	"context"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/sparse"
)

// searchHybrid ranks by the fusion of the dense and the sparse rankings:
// each contributes its opts.Candidates best papers, every candidate gets
// both scores, and sparse.Fuse combines them. A query none of whose words
// the lexical model knows is answered by its exact terms alone.
func (c *Corpus) searchHybrid(ctx context.Context, queries []string, k int, opts SearchOptions) ([][]Result, error) {
	if ws, ok := c.textStore(); ok {
		return c.searchWeaviate(ctx, ws, queries, k, opts, true)
	}
	m := candidates(k, opts)
	wait := c.sparseIndexAsync(ctx)
	dense, vecs, err := c.searchDense(ctx, queries, m, opts, true)
	idx, serr := wait()
	if serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	idx.SetOptions(opts.Sparse)
	keep := c.keeper(opts.Where)
	out := make([][]Result, len(queries))
	for i, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if idx, out[i], err = c.fuse(ctx, idx, opts.Sparse, q, vecs[i], dense[i], m, k, keep, opts.Fuse); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sparseIndexAsync starts sparseIndex and returns what waits for it: a
// hybrid search loads the exact-term index (checked whole: 179 MB at a
// million papers) while its dense half runs, on another CPU.
func (c *Corpus) sparseIndexAsync(ctx context.Context) func() (*sparse.Index, error) {
	var idx *sparse.Index
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		idx, err = c.sparseIndex(ctx)
	}()
	return func() (*sparse.Index, error) {
		<-done
		return idx, err
	}
}

// similarHybrid is Similar in hybrid mode: the dense neighbours of the
// paper's vector fused with the papers that share its exact terms (its
// title and abstract as the query), the paper itself excluded.
func (c *Corpus) similarHybrid(ctx context.Context, r vectorstore.Record, k int, opts SearchOptions) ([]Result, error) {
	if ws, ok := c.textStore(); ok {
		return c.similarWeaviate(ctx, ws, r, k, opts, true)
	}
	m := candidates(k, opts)
	wait := c.sparseIndexAsync(ctx)
	dense, err := c.store.Query(ctx, r.Embedding, m, vectorstore.QueryOptions{Where: opts.Where, Exclude: []string{r.ID}, Exact: opts.Exact})
	idx, serr := wait()
	if serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	idx.SetOptions(opts.Sparse)
	where := c.keeper(opts.Where)
	keep := func(id string) bool { return id != r.ID && (where == nil || where(id)) }
	_, res, err := c.fuse(ctx, idx, opts.Sparse, embedText(r), r.Embedding, dense, m, k, keep, opts.Fuse)
	return res, err
}

// similarSparse is Similar in sparse mode: the papers that share the
// paper's exact terms, the paper itself excluded.
func (c *Corpus) similarSparse(ctx context.Context, r vectorstore.Record, k int, opts SearchOptions) ([]Result, error) {
	if ws, ok := c.textStore(); ok {
		return c.similarWeaviate(ctx, ws, r, k, opts, false)
	}
	idx, err := c.sparseIndex(ctx)
	if err != nil {
		return nil, err
	}
	idx.SetOptions(opts.Sparse)
	where := c.keeper(opts.Where)
	keep := func(id string) bool { return id != r.ID && (where == nil || where(id)) }
	_, h, _, err := c.searchSparse(ctx, idx, opts.Sparse, embedText(r), k, keep, nil)
	if err != nil {
		return nil, err
	}
	return c.results(vectorHits(h)), nil
}

// candidates is how many papers each ranking brings to the fusion.
func candidates(k int, opts SearchOptions) int {
	m := opts.Candidates
	if m <= 0 {
		m = DefaultCandidates
	}
	return max(m, k)
}

// fuse ranks the union of the dense hits and the m best exact-term hits of
// text (those keep accepts) by sparse.Fuse; vec is the query's vector (nil
// when it has none), which gives the exact-term-only candidates their
// cosine. It returns the sparse index searched (see searchSparse).
func (c *Corpus) fuse(ctx context.Context, idx *sparse.Index, so sparse.Options, text string, vec []float32, dense []vectorstore.Hit, m, k int, keep func(string) bool, fo sparse.FuseOptions) (*sparse.Index, []Result, error) {
	ids := make([]string, 0, 2*m)
	dscore := make([]float32, 0, 2*m)
	seen := make(map[string]bool, 2*m)
	for _, h := range dense {
		ids = append(ids, h.ID)
		dscore = append(dscore, h.Score)
		seen[h.ID] = true
	}
	nDense := len(ids)
	idx, sh, sscore, err := c.searchSparse(ctx, idx, so, text, m, keep, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range sh {
		if !seen[h.ID] {
			ids = append(ids, h.ID)
			sscore = append(sscore, h.Score)
		}
	}
	// Candidates found by exact terms only get their cosine too.
	var recs []vectorstore.Record
	var found []bool
	if vec != nil {
		recs, found = c.getAll(ids[nDense:])
	}
	for i := range ids[nDense:] {
		var s float32
		if vec != nil && found[i] {
			s = float32(cluster.Dot(vec, recs[i].Embedding))
		}
		dscore = append(dscore, s)
	}
	return idx, c.results(vectorHits(sparse.Fuse(ids, dscore, sscore, k, fo))), nil
}

// keeper returns a test of the Where filter on stored papers, or nil when
// there is no filter.
func (c *Corpus) keeper(where vectorstore.Filter) func(id string) bool {
	if len(where) == 0 {
		return nil
	}
	return func(id string) bool {
		r, ok := c.store.Get(id)
		if !ok {
			return false
		}
		for k, v := range where {
			if r.Metadata[k] != v {
				return false
			}
		}
		return true
	}
}

func vectorHits(hs []sparse.Hit) []vectorstore.Hit {
	out := make([]vectorstore.Hit, len(hs))
	for i, h := range hs {
		out[i] = vectorstore.Hit{ID: h.ID, Score: h.Score}
	}
	return out
}
