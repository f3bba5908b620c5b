package vectorstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
	"github.com/philippgille/chromem-go"
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
	hits, _ = s.Query(ctx, query, 2, vectorstore.QueryOptions{Where: vectorstore.Filter{"venue": "kdd"}})
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

// ExampleStore_ExportChromem exports a store as a chromem-go database and
// queries it with chromem-go.
func ExampleStore_ExportChromem() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "vectorstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	s, err := vectorstore.Open(ctx, filepath.Join(tmp, "store"), vectorstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	s.SetEmbedder(embed.Info{Backend: "toy", Model: "axes", Dimensions: 2})
	if _, err := s.Add(ctx, []vectorstore.Record{
		{ID: "retrieval", Content: "Ranking documents for a query.", Embedding: []float32{1, 0}},
		{ID: "clustering", Content: "Grouping points around centroids.", Embedding: []float32{0, 1}},
	}); err != nil {
		log.Fatal(err)
	}

	path := filepath.Join(tmp, "papers.gob.gz")
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.ExportChromem(ctx, f, vectorstore.ChromemOptions{}); err != nil {
		log.Fatal(err)
	}
	f.Close()

	// What a chromem-go program does with the file.
	db := chromem.NewDB()
	if err := db.ImportFromFile(path, ""); err != nil {
		log.Fatal(err)
	}
	coll := db.GetCollection("papermap", nil)
	res, _ := coll.QueryEmbedding(ctx, []float32{0.6, 0.8}, 1, nil, nil)
	fmt.Printf("%d documents; nearest: %s %.1f %q\n", coll.Count(), res[0].ID, res[0].Similarity, res[0].Content)
	// Output:
	// 2 documents; nearest: clustering 0.8 "Grouping points around centroids."
}
