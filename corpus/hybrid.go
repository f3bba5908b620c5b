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
	var vecs [][]float32
	dense, sh, ss, err := c.hybridHalves(ctx, queries, m, c.keeper(opts.Where), opts.Sparse, func() ([][]vectorstore.Hit, error) {
		d, v, err := c.searchDense(ctx, queries, m, opts, true)
		vecs = v
		return d, err
	})
	if err != nil {
		return nil, err
	}
	out := make([][]Result, len(queries))
	for i := range queries {
		out[i] = c.fuse(dense[i], sh[i], ss[i], vecs[i], k, opts.Fuse)
	}
	return out, nil
}

// hybridHalves runs the two halves of a hybrid search of texts side by
// side: dense (the dense candidates of each text) on another goroutine,
// while this one loads the exact-term index and scores each text by its
// terms (sparse.Index.SearchThen), which at a million papers takes
// some 0.1 s of CPU per text; the exact-term scores of a text's dense
// candidates are read once dense has returned. It returns each text's
// dense candidates, its m best exact-term hits among the papers keep
// accepts, and the exact-term scores of its dense candidates.
func (c *Corpus) hybridHalves(ctx context.Context, texts []string, m int, keep func(string) bool, so sparse.Options, dense func() ([][]vectorstore.Hit, error)) ([][]vectorstore.Hit, [][]sparse.Hit, [][]float32, error) {
	var dh [][]vectorstore.Hit
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		dh, derr = dense()
	}()
	fail := func(err error) ([][]vectorstore.Hit, [][]sparse.Hit, [][]float32, error) {
		<-done
		return nil, nil, nil, err
	}
	idx, err := c.sparseIndex(ctx)
	if err != nil {
		return fail(err)
	}
	idx.SetOptions(so)
	sh, ss := make([][]sparse.Hit, len(texts)), make([][]float32, len(texts))
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		also := func() []string {
			<-done
			if derr != nil {
				return nil
			}
			ids := make([]string, len(dh[i]))
			for j, h := range dh[i] {
				ids[j] = h.ID
			}
			return ids
		}
		if idx, sh[i], ss[i], err = c.searchSparse(ctx, idx, so, text, m, keep, also); err != nil {
			return fail(err)
		}
	}
	<-done
	if derr != nil {
		return nil, nil, nil, derr
	}
	return dh, sh, ss, nil
}

// similarHybrid is Similar in hybrid mode: the dense neighbours of the
// paper's vector fused with the papers that share its exact terms (its
// title and abstract as the query), the paper itself excluded.
func (c *Corpus) similarHybrid(ctx context.Context, r vectorstore.Record, k int, opts SearchOptions) ([]Result, error) {
	if ws, ok := c.textStore(); ok {
		return c.similarWeaviate(ctx, ws, r, k, opts, true)
	}
	m := candidates(k, opts)
	where := c.keeper(opts.Where)
	keep := func(id string) bool { return id != r.ID && (where == nil || where(id)) }
	dense, sh, ss, err := c.hybridHalves(ctx, []string{embedText(r)}, m, keep, opts.Sparse, func() ([][]vectorstore.Hit, error) {
		d, err := c.store.Query(ctx, r.Embedding, m, vectorstore.QueryOptions{Where: opts.Where, Exclude: []string{r.ID}, Exact: opts.Exact})
		return [][]vectorstore.Hit{d}, err
	})
	if err != nil {
		return nil, err
	}
	return c.fuse(dense[0], sh[0], ss[0], r.Embedding, k, opts.Fuse), nil
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

// fuse ranks the union of the dense hits and the exact-term hits sh by
// sparse.Fuse, given alsoScores, the exact-term scores of the dense hits
// (hybridHalves); vec is the query's vector (nil when it has none), which
// gives the exact-term-only candidates their cosine.
func (c *Corpus) fuse(dense []vectorstore.Hit, sh []sparse.Hit, alsoScores []float32, vec []float32, k int, fo sparse.FuseOptions) []Result {
	ids := make([]string, 0, len(dense)+len(sh))
	dscore := make([]float32, 0, len(dense)+len(sh))
	sscore := append(make([]float32, 0, len(dense)+len(sh)), alsoScores...)
	seen := make(map[string]bool, len(dense))
	for _, h := range dense {
		ids = append(ids, h.ID)
		dscore = append(dscore, h.Score)
		seen[h.ID] = true
	}
	nDense := len(ids)
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
	return c.results(vectorHits(sparse.Fuse(ids, dscore, sscore, k, fo)))
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
