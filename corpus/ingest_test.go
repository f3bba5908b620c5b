package corpus

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
)

// TestFailedFirstIngestLeavesNoModel: a first ingest whose papers cannot be
// stored leaves the store new, without a lexical model fitted on papers it
// does not hold (issue 13 §3), and the next ingest fits its own. The store
// refuses a record with an empty ID, which no reader produces; here it
// stands for any failure of the first Add after the fit.
func TestFailedFirstIngestLeavesNoModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	opts := Options{Embedder: backend.Settings{Backend: embed.BackendLexical}}
	c, err := Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	bad := []paper.Paper{
		{ID: "", Title: "No id", Abstract: "Quantum error correction with surface codes and lattice surgery."},
		{ID: "a", Title: "Surface codes", Abstract: "Surface codes protect quantum memories against local noise."},
	}
	if _, err := c.Ingest(t.Context(), bad, IngestOptions{}); err == nil {
		t.Fatal("Ingest of a record with an empty ID succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, backend.LexicalModelFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after a failed first ingest, %s: Stat error %v; want it absent", backend.LexicalModelFile, err)
	}
	if c.Embedder() != nil || c.Len() != 0 {
		t.Errorf("after a failed first ingest: embedder %T, %d papers; want a new store", c.Embedder(), c.Len())
	}

	// The same process, and then a new one, start afresh: the model is
	// fitted on the papers of the ingest that stores them.
	good := []paper.Paper{
		{ID: "b", Title: "Protein folding", Abstract: "Protein folding pathways simulated with molecular dynamics and coarse models."},
		{ID: "c", Title: "Folding kinetics", Abstract: "Kinetics of protein folding measured by single molecule fluorescence."},
	}
	if _, err := c.Ingest(t.Context(), good, IngestOptions{}); err != nil {
		t.Fatalf("second ingest in the same process: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Len() != 2 {
		t.Errorf("reopened store holds %d papers, want 2", c.Len())
	}
	// The vocabulary is that of the papers stored, not of the failed ingest
	// (the model itself, not the hashed n-gram fallback that embeds any
	// text).
	data, err := c.Store().ReadFile(backend.LexicalModelFile)
	if err != nil {
		t.Fatal(err)
	}
	lex, err := lexical.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lex.Embed(t.Context(), []string{"surface codes quantum"}, embed.Query); !errors.Is(err, lexical.ErrNoKnownTerms) {
		t.Errorf("embedding words known only to the failed ingest's papers: %v; want lexical.ErrNoKnownTerms", err)
	}
}
