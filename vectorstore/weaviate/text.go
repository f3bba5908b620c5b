package weaviate

import (
	"context"
	"fmt"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/papermap/papermap/vectorstore"
)

// metaTitle is the metadata key of a paper's title (as package corpus
// writes it), copied into the BM25-searchable title property.
const metaTitle = "title"

// TextOptions say how Hybrid ranks. The zero value fuses by relative
// scores with dense weight 0.2 (sparse.DefaultDenseWeight, papermap's own
// hybrid default).
type TextOptions struct {
	// DenseWeight is Weaviate's alpha: the weight of the vector ranking in
	// the fusion, 1 - it the weight of BM25. 0 gives 0.2.
	DenseWeight float64

	// Ranked fuses by reciprocal rank (Weaviate's rankedFusion) instead
	// of by scores scaled to [0, 1] (relativeScoreFusion).
	Ranked bool
}

// defaultDenseWeight is sparse.DefaultDenseWeight (not imported: package
// sparse is the local exact-term index this file replaces on Weaviate).
const defaultDenseWeight = 0.2

// Hybrid returns the k papers best by Weaviate's own hybrid search: BM25
// over the titles and abstracts for text, fused with the HNSW ranking of
// vec (Weaviate's relativeScoreFusion, or rankedFusion with
// opts.Ranked), filtered by q.Where, without q.Exclude. A nil vec ranks by
// BM25 alone. Scores are Weaviate's fused scores, in [0, 1]. Like
// QueryBatch it refuses a partial answer (*PartialError).
//
// Weaviate's BM25 tokenizes words without stemming and scores by BM25,
// where papermap's own exact-term index stems and scores by TF-IDF cosine,
// so the rankings differ (bench/RESULTS.md, "Weaviate II", measures how
// much on the arXiv 2,000).
func (s *Store) Hybrid(ctx context.Context, text string, vec []float32, k int, opts TextOptions, q vectorstore.QueryOptions) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	if vec != nil {
		if err := s.checkQuery(vec); err != nil {
			return nil, err
		}
	}
	alpha := opts.DenseWeight
	if alpha <= 0 || alpha > 1 {
		alpha = defaultDenseWeight
	}
	if vec == nil {
		alpha = 0
	}
	h := (&graphql.HybridArgumentBuilder{}).WithQuery(text).WithAlpha(float32(alpha)).WithProperties(s.textProps())
	if vec != nil {
		h = h.WithVector(vec)
	}
	if opts.Ranked {
		h = h.WithFusionType(graphql.Ranked)
	} else {
		h = h.WithFusionType(graphql.RelativeScore)
	}
	return s.textSearch(ctx, k, q, func(srch *graphql.Search) *graphql.Search { return srch.WithHybrid(h) })
}

// BM25 returns the k papers best by Weaviate's BM25 over the titles and
// abstracts for text, filtered by q.Where, without q.Exclude; see Hybrid.
func (s *Store) BM25(ctx context.Context, text string, k int, q vectorstore.QueryOptions) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	b := (&graphql.BM25ArgumentBuilder{}).WithQuery(text).WithProperties(s.textProps()...)
	return s.textSearch(ctx, k, q, func(srch *graphql.Search) *graphql.Search { return srch.WithBM25(b) })
}

// textProps are the properties BM25 searches.
func (s *Store) textProps() []string {
	if s.hasTitle {
		return []string{propContent, propTitle}
	}
	return []string{propContent}
}

// textSearch runs one search that with sets up, with the completeness
// checks of QueryBatch around it.
func (s *Store) textSearch(ctx context.Context, k int, q vectorstore.QueryOptions, with func(*graphql.Search) *graphql.Search) ([]vectorstore.Hit, error) {
	where, err := whereOf(q.Where)
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w", s.addr.Raw, err)
	}
	if err := s.CheckComplete(ctx); err != nil {
		return nil, err
	}
	exclude := map[string]bool{}
	for _, id := range q.Exclude {
		exclude[id] = true
	}
	hits, err := s.search(ctx, k, where, exclude, &graphql.Metadata{ID: true, Score: true},
		func(m graphql.MetadataResult) float32 { return m.Score }, with)
	if err != nil {
		return nil, err
	}
	if err := s.CheckComplete(ctx); err != nil {
		return nil, err
	}
	return hits, nil
}
