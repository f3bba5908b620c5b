package vectorstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/papermap/papermap/embed"
)

// testInfo is the embedder of the test stores: random vectors.
func testInfo(dim int) embed.Info {
	return embed.Info{Backend: "test", Model: "random", Dimensions: dim}
}

// randUnit returns a random unit vector: Gaussian entries, normalised, so
// directions are uniform on the sphere.
func randUnit(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var ss float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		ss += x * x
	}
	n := math.Sqrt(ss)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
	return v
}

// makeRecords returns n records with IDs prefix-000000 ..., content and
// metadata derived from the index, and random unit embeddings.
func makeRecords(seed uint64, prefix string, n, dim int) []Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{
			ID:      fmt.Sprintf("%s-%06d", prefix, i),
			Content: fmt.Sprintf("abstract of paper %d of %s", i, prefix),
			Metadata: map[string]string{
				"year":  fmt.Sprint(2000 + i%7),
				"venue": []string{"sigir", "kdd", "chi"}[i%3],
			},
			Embedding: randUnit(rng, dim),
		}
	}
	return recs
}

// openStore opens a writer on dir with the test embedder set. Its stores
// have no approximate index (index_test.go tests it): the other tests
// and benchmarks are about the exact scan.
func openStore(t testing.TB, dir string, dim int) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{IndexThreshold: -1})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	if err := s.SetEmbedder(testInfo(dim)); err != nil {
		t.Fatalf("SetEmbedder: %v", err)
	}
	return s
}

func mustAdd(t testing.TB, s *Store, recs []Record) AddStats {
	t.Helper()
	st, err := s.Add(context.Background(), recs)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return st
}

func mustClose(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func logSize(t testing.TB, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// sameRecord reports how got differs from want, or "".
func sameRecord(got, want Record) string {
	if got.ID != want.ID || got.Content != want.Content {
		return fmt.Sprintf("got %q/%q, want %q/%q", got.ID, got.Content, want.ID, want.Content)
	}
	if len(got.Metadata) != len(want.Metadata) {
		return fmt.Sprintf("%s: metadata %v, want %v", got.ID, got.Metadata, want.Metadata)
	}
	for k, v := range want.Metadata {
		if got.Metadata[k] != v {
			return fmt.Sprintf("%s: metadata %v, want %v", got.ID, got.Metadata, want.Metadata)
		}
	}
	if len(got.Embedding) != len(want.Embedding) {
		return fmt.Sprintf("%s: %d dims, want %d", got.ID, len(got.Embedding), len(want.Embedding))
	}
	for i := range want.Embedding {
		if math.Float32bits(got.Embedding[i]) != math.Float32bits(want.Embedding[i]) {
			return fmt.Sprintf("%s: embedding[%d] = %v, want %v", got.ID, i, got.Embedding[i], want.Embedding[i])
		}
	}
	return ""
}
