package corpus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/sparse"
)

// DefaultK is the number of results when a query does not say.
const DefaultK = 10

// Search modes of SearchOptions.Mode.
const (
	// ModeHybrid fuses the dense ranking (cosine of the embeddings) with
	// the sparse one (exact terms): the default.
	ModeHybrid = "hybrid"
	// ModeDense ranks by the cosine similarity of the embeddings alone.
	ModeDense = "dense"
	// ModeSparse ranks by exact terms alone (TF-IDF cosine over the
	// stemmed words of the titles and abstracts).
	ModeSparse = "sparse"
)

// SearchOptions narrows a search. The zero value searches every paper in
// hybrid mode.
type SearchOptions struct {
	// Where keeps only papers whose metadata equal these values
	// (title, year, authors, categories, doi, url, and every extra field
	// of the input such as venue or archive).
	Where vectorstore.Filter

	// Mode is ModeHybrid (the default, ""), ModeDense or ModeSparse.
	Mode string

	// Sparse and Fuse tune the exact-term scoring and the fusion; their
	// zero values are the defaults of package sparse.
	Sparse sparse.Options
	Fuse   sparse.FuseOptions
	// Candidates is how many papers each ranking contributes to the
	// fusion. The default value is 100.
	Candidates int

	// Exact makes the dense ranking score every paper even in a store
	// large enough for the approximate index (vectorstore.QueryOptions.Exact).
	Exact bool
}

// DefaultCandidates is the default of SearchOptions.Candidates.
const DefaultCandidates = 100

// DefaultSimilarDenseWeight is the dense weight of Similar's fusion when
// SearchOptions.Fuse.DenseWeight is 0 (Search's is
// sparse.DefaultDenseWeight, 0.2). Similar's query is a stored paper's own
// vector, not a folded-in short query, so the dense side deserves more:
// with equal weights, similar papers share the arXiv archive as often as
// with dense alone (61.6 % against 61.5 %; ACM venue 63.7 % against 64.9 %)
// while the papers cited beside a paper rise from 19.3 % to 26.9 % of its
// ten similar papers (bench/similar, bench/RESULTS.md).
const DefaultSimilarDenseWeight = 0.5

// Result is one paper found by a search, best first.
type Result struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Score float32 `json:"score"` // dense: cosine similarity in [-1, 1]; sparse: TF-IDF cosine in [0, 1]; hybrid: the fused score in [0, 1]
}

// NotFoundError is returned by Similar for an ID the store does not hold.
type NotFoundError struct {
	Dir, ID string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no paper with id %q in store %s: `papermap search` finds IDs by text", e.ID, e.Dir)
}

// Search returns the k papers most similar to a free-text query.
func (c *Corpus) Search(ctx context.Context, query string, k int, opts SearchOptions) ([]Result, error) {
	res, err := c.SearchMany(ctx, []string{query}, k, opts)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// SearchMany answers several free-text queries at once, faster than as many
// calls to Search. The i-th result list answers queries[i].
func (c *Corpus) SearchMany(ctx context.Context, queries []string, k int, opts SearchOptions) ([][]Result, error) {
	if c.emb == nil || c.store.Len() == 0 {
		return nil, ErrEmpty
	}
	if k <= 0 {
		k = DefaultK
	}
	for i, q := range queries {
		if q == "" {
			return nil, fmt.Errorf("query %d is empty", i+1)
		}
	}
	switch opts.Mode {
	case "", ModeHybrid:
		return c.searchHybrid(ctx, queries, k, opts)
	case ModeDense:
		hits, _, err := c.searchDense(ctx, queries, k, opts, false)
		if err != nil {
			return nil, err
		}
		return c.resultsOf(hits), nil
	case ModeSparse:
		if ws, ok := c.textStore(); ok {
			return c.searchWeaviate(ctx, ws, queries, k, opts, false)
		}
		idx, err := c.sparseIndex(ctx)
		if err != nil {
			return nil, err
		}
		idx.SetOptions(opts.Sparse)
		keep := c.keeper(opts.Where)
		hits := make([][]vectorstore.Hit, len(queries))
		for i, q := range queries {
			var h []sparse.Hit
			if idx, h, _, err = c.searchSparse(ctx, idx, opts.Sparse, q, k, keep, nil); err != nil {
				return nil, err
			}
			hits[i] = vectorHits(h)
		}
		return c.resultsOf(hits), nil
	}
	return nil, fmt.Errorf("unknown search mode %q: use hybrid, dense or sparse", opts.Mode)
}

// searchDense embeds the queries and ranks by cosine similarity. With
// lenient, a query none of whose words the lexical model knows gets no
// hits instead of failing the search.
func (c *Corpus) searchDense(ctx context.Context, queries []string, k int, opts SearchOptions, lenient bool) ([][]vectorstore.Hit, [][]float32, error) {
	if !opts.Exact {
		c.prepareQuery(ctx) // the index loads while the queries are embedded
	}
	vecs, err := c.embedQueries(ctx, queries, lenient)
	if err != nil {
		return nil, nil, err
	}
	var known [][]float32
	var at []int
	for i, v := range vecs {
		if v != nil {
			known = append(known, v)
			at = append(at, i)
		}
	}
	hits := make([][]vectorstore.Hit, len(queries))
	if len(known) > 0 {
		got, err := c.store.QueryBatch(ctx, known, k, vectorstore.QueryOptions{Where: opts.Where, Exact: opts.Exact})
		if err != nil {
			return nil, nil, err
		}
		for j, i := range at {
			hits[i] = got[j]
		}
	}
	return hits, vecs, nil
}

// prepareQuery has a store that can (vectorstore.Store.PrepareQuery)
// start loading its approximate index for the query to come.
func (c *Corpus) prepareQuery(ctx context.Context) {
	if p, ok := c.store.(interface{ PrepareQuery(context.Context) }); ok {
		p.PrepareQuery(ctx)
	}
}

// embedQueries embeds the queries. With lenient, a query none of whose
// words the lexical model knows gets a nil vector instead of failing.
func (c *Corpus) embedQueries(ctx context.Context, queries []string, lenient bool) ([][]float32, error) {
	vecs, err := c.emb.Embed(ctx, queries, embed.Query)
	if err != nil {
		if errors.Is(err, lexical.ErrNoKnownTerms) {
			if !lenient || len(vecs) != len(queries) {
				return nil, fmt.Errorf("%w: none of the query's words occur in this corpus (the lexical embedder only knows words of the stored papers); try other words", err)
			}
		} else {
			return nil, fmt.Errorf("embed the query: %w", err)
		}
	}
	return vecs, nil
}

// Similar returns the k papers most similar to the stored paper id, never
// the paper itself. In hybrid mode (the default) the paper's vector and its
// title and abstract are the query, fused with
// DefaultSimilarDenseWeight unless opts.Fuse says otherwise.
func (c *Corpus) Similar(ctx context.Context, id string, k int, opts SearchOptions) ([]Result, error) {
	if c.store.Len() == 0 {
		return nil, ErrEmpty
	}
	if k <= 0 {
		k = DefaultK
	}
	if opts.Mode != ModeSparse && !opts.Exact {
		c.prepareQuery(ctx) // the index loads while the paper is read
	}
	r, ok := c.lookup(id) // a DOI matches whatever its case
	if !ok {
		return nil, &NotFoundError{Dir: c.store.Dir(), ID: id}
	}
	switch opts.Mode {
	case ModeDense:
		hits, err := c.store.Query(ctx, r.Embedding, k, vectorstore.QueryOptions{Where: opts.Where, Exclude: []string{r.ID}, Exact: opts.Exact})
		if err != nil {
			return nil, err
		}
		return c.results(hits), nil
	case "", ModeHybrid:
		if opts.Fuse.DenseWeight == 0 {
			opts.Fuse.DenseWeight = DefaultSimilarDenseWeight
		}
		return c.similarHybrid(ctx, r, k, opts)
	case ModeSparse:
		return c.similarSparse(ctx, r, k, opts)
	}
	return nil, fmt.Errorf("unknown search mode %q: use hybrid, dense or sparse", opts.Mode)
}

func (c *Corpus) resultsOf(hits [][]vectorstore.Hit) [][]Result {
	out := make([][]Result, len(hits))
	for i, h := range hits {
		out[i] = c.results(h)
	}
	return out
}

func (c *Corpus) results(hits []vectorstore.Hit) []Result {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	recs, found := c.getAll(ids)
	out := make([]Result, 0, len(hits))
	for i, h := range hits {
		res := Result{ID: h.ID, Score: h.Score}
		if found[i] {
			res.Title = recs[i].Metadata[keyTitle]
		}
		out = append(out, res)
	}
	return out
}

// getAll returns the stored record of each of ids (found false for those
// not stored), read side by side: from a cold page cache each is a few
// random reads (the row index, the matrix, the log), one after another
// some 3 ms each on the test VM, and a hybrid search reads up to a
// hundred. Random reads of a cold file there took 1.15 s for 8,000 from
// one thread, 0.65 s from 8 and 0.35 s from 32 (bench/RESULTS.md, "search
// at 1M from a cold cache").
func (c *Corpus) getAll(ids []string) ([]vectorstore.Record, []bool) {
	recs, found := make([]vectorstore.Record, len(ids)), make([]bool, len(ids))
	const readers = 32
	var wg sync.WaitGroup
	for w := range min(readers, len(ids)) {
		wg.Go(func() {
			for i := w; i < len(ids); i += readers {
				recs[i], found[i] = c.store.Get(ids[i])
			}
		})
	}
	wg.Wait()
	return recs, found
}

// YearOf returns the year stored for a paper, or 0.
func (c *Corpus) YearOf(id string) int {
	r, ok := c.store.Get(id)
	if !ok {
		return 0
	}
	y, _ := strconv.Atoi(r.Metadata[keyYear])
	return y
}
