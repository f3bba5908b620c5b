package vectorstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
)

// Example stores three papers with toy 3-dimensional vectors, searches
// them, and reopens the store read-only.
func Example() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "vectorstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "store")

	s, err := vectorstore.Open(ctx, dir, vectorstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.SetEmbedder(embed.Info{Backend: "toy", Model: "axes", Dimensions: 3}); err != nil {
		log.Fatal(err)
	}
	papers := []vectorstore.Record{
		{ID: "retrieval", Content: "Ranking documents for a query.", Metadata: map[string]string{"venue": "sigir"}, Embedding: []float32{1, 0, 0}},
		{ID: "clustering", Content: "Grouping points around centroids.", Metadata: map[string]string{"venue": "kdd"}, Embedding: []float32{0, 1, 0}},
		{ID: "dense-retrieval", Content: "Ranking with learned vectors.", Metadata: map[string]string{"venue": "sigir"}, Embedding: []float32{0.6, 0.8, 0}},
	}
	stats, err := s.Add(ctx, papers)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("added %d\n", stats.Added)

	// Adding the same papers again writes nothing.
	stats, _ = s.Add(ctx, papers)
	fmt.Printf("unchanged %d\n", stats.Unchanged)

	query := []float32{0.8, 0.6, 0} // unit length: 0.64 + 0.36 = 1
	hits, _ := s.Query(ctx, query, 2, vectorstore.QueryOptions{})
	for _, h := range hits {
		fmt.Printf("%s %.2f\n", h.ID, h.Score)
	}
	where, _ := vectorstore.ParseWhere([]string{"venue=kdd"})
	hits, _ = s.Query(ctx, query, 2, vectorstore.QueryOptions{Where: where})
	fmt.Printf("kdd only: %s %.2f\n", hits[0].ID, hits[0].Score)
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := vectorstore.Open(ctx, dir, vectorstore.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	m, _ := r.Manifest()
	fmt.Println(r.Len(), "papers embedded by", m.Embedder.Backend+"/"+m.Embedder.Model, r.IDs())
	// Output:
	// added 3
	// unchanged 3
	// dense-retrieval 0.96
	// retrieval 0.80
	// kdd only: clustering 0.60
	// 3 papers embedded by toy/axes [clustering dense-retrieval retrieval]
}
