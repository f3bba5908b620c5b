package backend_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/vectorstore"
)

// A new store gets its embedder at its first ingest (Start); when the store
// is opened again, Resume brings back the embedder its manifest names.
func Example() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "papermap-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "store")
	texts := []string{
		"graph neural networks for molecules",
		"variance reduction with control variates",
		"galaxy surveys and redshift",
	}

	st, err := vectorstore.Open(ctx, dir, vectorstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	emb, vecs, err := backend.Start(ctx, st, texts, backend.Settings{Backend: embed.BackendLexical}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(emb.Info().Backend, len(vecs), "vectors")
	// The manifest naming the embedder is written with the first record.
	recs := make([]vectorstore.Record, len(texts))
	for i, t := range texts {
		recs[i] = vectorstore.Record{ID: fmt.Sprint(i), Content: t, Embedding: vecs[i]}
	}
	if _, err := st.Add(ctx, recs); err != nil {
		log.Fatal(err)
	}
	if err := st.Close(); err != nil {
		log.Fatal(err)
	}

	st, err = vectorstore.Open(ctx, dir, vectorstore.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	m, _ := st.Manifest()
	again, err := backend.Resume(st, m.Embedder, backend.Settings{}, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.Info() == emb.Info())
	// Output:
	// lexical 3 vectors
	// true
}
