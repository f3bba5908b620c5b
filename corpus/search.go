package corpus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/vectorstore"
)

// DefaultK is the number of results when a query does not say.
const DefaultK = 10

// SearchOptions narrows a search. The zero value searches every paper.
type SearchOptions struct {
	// Where keeps only papers whose metadata equal these values
	// (title, year, authors, categories, doi, url, and every extra field
	// of the input such as venue or archive).
	Where vectorstore.Filter
}

// Result is one paper found by a search, best first.
type Result struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Score float32 `json:"score"` // cosine similarity in [-1, 1]
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
	vecs, err := c.emb.Embed(ctx, queries, embed.Query)
	if err != nil {
		if errors.Is(err, lexical.ErrNoKnownTerms) {
			return nil, fmt.Errorf("%w: none of the query's words occur in this corpus (the lexical embedder only knows words of the stored papers); try other words", err)
		}
		return nil, fmt.Errorf("embed the query: %w", err)
	}
	hits, err := c.store.QueryBatch(ctx, vecs, k, vectorstore.QueryOptions{Where: opts.Where})
	if err != nil {
		return nil, err
	}
	out := make([][]Result, len(hits))
	for i, h := range hits {
		out[i] = c.results(h)
	}
	return out, nil
}

// Similar returns the k papers most similar to the stored paper id, never
// the paper itself.
func (c *Corpus) Similar(ctx context.Context, id string, k int, opts SearchOptions) ([]Result, error) {
	if c.store.Len() == 0 {
		return nil, ErrEmpty
	}
	if k <= 0 {
		k = DefaultK
	}
	r, ok := c.lookup(id) // a DOI matches whatever its case
	if !ok {
		return nil, &NotFoundError{Dir: c.store.Dir(), ID: id}
	}
	id = r.ID
	hits, err := c.store.Query(ctx, r.Embedding, k, vectorstore.QueryOptions{Where: opts.Where, Exclude: []string{id}})
	if err != nil {
		return nil, err
	}
	return c.results(hits), nil
}

func (c *Corpus) results(hits []vectorstore.Hit) []Result {
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		res := Result{ID: h.ID, Score: h.Score}
		if r, ok := c.store.Get(h.ID); ok {
			res.Title = r.Metadata[keyTitle]
		}
		out = append(out, res)
	}
	return out
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
