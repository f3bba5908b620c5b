package corpus

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore/sparse"
)

// TestSparseIndexAppended: a writer opened on a store adds new papers to
// the saved exact-term index without decoding it (sparse.Index.WriteAdded), or,
// when the ingest changes a stored paper, decodes and changes it; either
// way the saved index answers sparse and hybrid searches as one rebuilt
// from the records (same papers, scores within 1e-6: the rebuilt index
// numbers its documents in another order, so its sums may round apart).
func TestSparseIndexAppended(t *testing.T) {
	papers := readArxiv(t)[:400]
	changed := papers[10]
	changed.Abstract += " A revised abstract about graph neural networks."
	for _, tc := range []struct {
		name   string
		second []paper.Paper
	}{
		{"new papers", papers[250:400]},
		{"new papers and a changed one", slices.Concat(papers[250:400], []paper.Paper{changed})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			c := openLexical(t, dir, false)
			if _, err := c.Ingest(t.Context(), papers[:250], IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			c.Close()
			index := filepath.Join(dir, sparseIndexFile)
			before, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			c = openLexical(t, dir, false)
			if _, err := c.Ingest(t.Context(), tc.second, IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			c.Close()
			after, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			x, err := sparse.Read(after, sparse.Options{})
			y, _ := sparse.Read(before, sparse.Options{})
			if err != nil || x.Len() != 400 || x.Fingerprint == y.Fingerprint {
				t.Fatalf("the writer saved an index of %d papers (%v), fingerprint changed %v", x.Len(), err, x.Fingerprint != y.Fingerprint)
			}
			queries := []string{papers[300].Title, changed.Abstract, papers[20].Title + " " + papers[399].Title}
			type answer map[string][]Result
			search := func() answer {
				c := openLexical(t, dir, true)
				defer c.Close()
				out := answer{}
				for _, q := range queries {
					for _, mode := range []string{ModeSparse, ModeHybrid} {
						got, err := c.Search(t.Context(), q, 10, SearchOptions{Mode: mode, Exact: true})
						if err != nil || len(got) == 0 {
							t.Fatalf("%s search %q: %v, %v", mode, q, ids(got), err)
						}
						out[mode+" "+q] = got
					}
				}
				return out
			}
			saved := search()
			if err := os.Remove(index); err != nil {
				t.Fatal(err)
			}
			rebuilt := search() // a reader rebuilds the index in memory
			for k, want := range rebuilt {
				got := saved[k]
				if len(got) != len(want) {
					t.Fatalf("%s: %v, rebuilt %v", k, ids(got), ids(want))
				}
				for i := range want {
					if got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-6 {
						t.Fatalf("%s: %v, rebuilt %v", k, got, want)
					}
				}
			}
		})
	}
}
