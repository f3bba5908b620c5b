package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
)

func ExampleNew() {
	// A stand-in for `ollama serve` that embeds every text as (3, 4, 0)
	// and remembers what it was sent last.
	var (
		mu   sync.Mutex
		sent []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		sent = req.Input
		mu.Unlock()
		vecs := make([][]float32, len(req.Input))
		for i := range vecs {
			vecs[i] = []float32{3, 4, 0}
		}
		json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": vecs})
	}))
	defer srv.Close()

	ctx := context.Background()
	o, err := ollama.New(ctx, ollama.Options{Hosts: []string{srv.URL}})
	if err != nil {
		fmt.Println(err)
		return
	}
	vecs, err := o.Embed(ctx, []string{"graph neural networks"}, embed.Query)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", o.Info())
	mu.Lock()
	fmt.Printf("sent %q\n", sent)
	mu.Unlock()
	fmt.Println(vecs[0])
	// Output:
	// {Backend:ollama Model:nomic-embed-text Dimensions:3}
	// sent ["search_query: graph neural networks"]
	// [0.6 0.8 0]
}

func ExampleProbe() {
	// A server that has a model, but not nomic-embed-text.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"models":[{"name":"all-minilm:latest","model":"all-minilm:latest"}]}`)
	}))
	defer srv.Close()

	err := ollama.Probe(context.Background(), ollama.Options{Hosts: []string{srv.URL}})
	var notFound *ollama.ModelNotFoundError
	if errors.As(err, &notFound) {
		fmt.Println("missing:", notFound.Model)
	}
	err = ollama.Probe(context.Background(), ollama.Options{Hosts: []string{srv.URL}, Model: "all-minilm"})
	fmt.Println("all-minilm:", err)
	// Output:
	// missing: nomic-embed-text
	// all-minilm: <nil>
}
