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
	m := opts.Candidates
	if m <= 0 {
		m = DefaultCandidates
	}
	m = max(m, k)
	idx, err := c.sparseIndex(ctx)
	if err != nil {
		return nil, err
	}
	idx.SetOptions(opts.Sparse)
	dense, vecs, err := c.searchDense(ctx, queries, m, opts, true)
	if err != nil {
		return nil, err
	}
	keep := c.keeper(opts.Where)
	out := make([][]Result, len(queries))
	for i, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ids := make([]string, 0, 2*m)
		dscore := make([]float32, 0, 2*m)
		seen := make(map[string]bool, 2*m)
		for _, h := range dense[i] {
			ids = append(ids, h.ID)
			dscore = append(dscore, h.Score)
			seen[h.ID] = true
		}
		nDense := len(ids)
		sh, sscore := idx.Search(q, m, keep, ids)
		for _, h := range sh {
			if !seen[h.ID] {
				ids = append(ids, h.ID)
				sscore = append(sscore, h.Score)
			}
		}
		// Candidates found by exact terms only get their cosine too.
		for _, id := range ids[nDense:] {
			var s float32
			if r, ok := c.store.Get(id); ok && vecs[i] != nil {
				s = float32(cluster.Dot(vecs[i], r.Embedding))
			}
			dscore = append(dscore, s)
		}
		out[i] = c.results(vectorHits(sparse.Fuse(ids, dscore, sscore, k, opts.Fuse)))
	}
	return out, nil
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
