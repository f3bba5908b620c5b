package corpus

import (
	"context"

	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

// A corpus kept in Weaviate has its exact-term and hybrid searches served
// by Weaviate's own BM25 and hybrid search (weaviate.Store.BM25 and
// Hybrid) instead of papermap's exact-term index, which is then never
// built: the fusion's dense weight and RRF choice carry over
// (SearchOptions.Fuse); SearchOptions.Sparse, which tunes papermap's
// index, does not apply.

// textStore returns the Weaviate store that serves text searches, if the
// corpus is kept in one.
func (c *Corpus) textStore() (*weaviate.Store, bool) {
	ws, ok := c.store.(*weaviate.Store)
	return ws, ok
}

func textOptions(opts SearchOptions) weaviate.TextOptions {
	return weaviate.TextOptions{DenseWeight: opts.Fuse.DenseWeight, Ranked: opts.Fuse.RRF}
}

// searchWeaviate answers hybrid (vectors true) or sparse queries with
// Weaviate's hybrid search or BM25.
func (c *Corpus) searchWeaviate(ctx context.Context, ws *weaviate.Store, queries []string, k int, opts SearchOptions, hybrid bool) ([][]Result, error) {
	var vecs [][]float32
	if hybrid {
		var err error
		if vecs, err = c.embedQueries(ctx, queries, true); err != nil {
			return nil, err
		}
	}
	q := vectorstore.QueryOptions{Where: opts.Where}
	hits := make([][]vectorstore.Hit, len(queries))
	for i, text := range queries {
		var err error
		if hybrid {
			hits[i], err = ws.Hybrid(ctx, text, vecs[i], k, textOptions(opts), q)
		} else {
			hits[i], err = ws.BM25(ctx, text, k, q)
		}
		if err != nil {
			return nil, err
		}
	}
	return c.resultsOf(hits), nil
}

// similarWeaviate is Similar's hybrid (or sparse) mode on Weaviate: the
// paper's title and abstract (and vector) as the query.
func (c *Corpus) similarWeaviate(ctx context.Context, ws *weaviate.Store, r vectorstore.Record, k int, opts SearchOptions, hybrid bool) ([]Result, error) {
	q := vectorstore.QueryOptions{Where: opts.Where, Exclude: []string{r.ID}}
	var hits []vectorstore.Hit
	var err error
	if hybrid {
		hits, err = ws.Hybrid(ctx, embedText(r), r.Embedding, k, textOptions(opts), q)
	} else {
		hits, err = ws.BM25(ctx, embedText(r), k, q)
	}
	if err != nil {
		return nil, err
	}
	return c.results(hits), nil
}
