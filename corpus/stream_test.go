package corpus

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

// sliceStream is a Stream over papers held in memory (and records to
// skip, yielded before them).
func sliceStream(papers []paper.Paper, skips ...*paper.RecordError) Stream {
	return func(ctx context.Context, yield func(paper.Paper, *paper.RecordError) error) error {
		for _, s := range skips {
			if err := yield(paper.Paper{}, s); err != nil {
				return err
			}
		}
		for _, p := range papers {
			if err := yield(p, nil); err != nil {
				return err
			}
		}
		return nil
	}
}

func arxivPapers(t *testing.T) []paper.Paper {
	t.Helper()
	ps, _, err := paper.ReadFile(filepath.Join("..", "testdata", "arxiv-2007-04-2000.jsonl"), paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestIngestStreamLarge takes the path of an input larger than FitSample on
// the 2,000 arXiv papers (FitSample 500): every paper is stored, with the
// vector the fitted model gives it; the model is fitted on the 500 papers
// whose IDs hash lowest, whatever the order of the input; the store
// records the sample, so the next ingest does not refit; duplicates are
// skipped as Dedupe skips them.
func TestIngestStreamLarge(t *testing.T) {
	ctx := context.Background()
	papers := arxivPapers(t)
	const sample = 500
	dup := papers[7]
	dup.Source.Line = 99999
	input := append(slices.Clone(papers), dup)
	opts := Options{Embedder: backend.Settings{Backend: embed.BackendLexical}}

	ingest := func(in []paper.Paper) (string, IngestStats) {
		dir := filepath.Join(t.TempDir(), "store")
		c, err := Open(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stats, err := c.IngestStream(ctx, sliceStream(in), IngestOptions{FitSample: sample, ChunkSize: 300})
		if err != nil {
			t.Fatal(err)
		}
		if c.Len() != len(papers) || stats.Added != len(papers) {
			t.Fatalf("stored %d papers (added %d) of %d", c.Len(), stats.Added, len(papers))
		}
		if got := c.FittedOn(); got != sample {
			t.Errorf("model fitted on %d papers, want the sample of %d", got, sample)
		}
		if got := backend.SampledFrom(c.Store()); got != len(papers) {
			t.Errorf("SampledFrom = %d, want %d", got, len(papers))
		}
		// Every stored vector is the model's embedding of the paper.
		for _, i := range []int{0, 1, 499, 1500, 1999} {
			p := papers[i]
			r, ok := c.Store().Get(p.ID)
			if !ok {
				t.Fatalf("%s not stored", p.ID)
			}
			want, err := c.Embedder().Embed(ctx, []string{embedText(record(p))}, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			for k := range want[0] {
				if math.Abs(float64(want[0][k]-r.Embedding[k])) > 1e-6 {
					t.Fatalf("%s: stored vector differs from the model's at %d: %v vs %v", p.ID, k, r.Embedding[k], want[0][k])
				}
			}
		}
		model, err := c.Store().ReadFile(backend.LexicalModelFile)
		if err != nil {
			t.Fatal(err)
		}
		return string(model), stats
	}
	model, stats := ingest(input)
	if len(stats.Skipped) != 1 || stats.Skipped[0].Pos.Line != 99999 {
		t.Errorf("skipped %v, want the one duplicate", stats.Skipped)
	}
	shuffled := slices.Clone(papers)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if model2, _ := ingest(shuffled); model2 != model {
		t.Error("the model depends on the order of the input")
	}
}

// TestIngestStreamNoRefitAfterSample: a store whose model was fitted on a
// sample of N papers is refitted when it reaches twice N, not twice the
// sample.
func TestIngestStreamNoRefitAfterSample(t *testing.T) {
	ctx := context.Background()
	papers := arxivPapers(t)
	dir := filepath.Join(t.TempDir(), "store")
	var notices bytes.Buffer
	c, err := Open(ctx, dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}, Notice: &notices})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.IngestStream(ctx, sliceStream(papers[:1000]), IngestOptions{FitSample: 200}); err != nil {
		t.Fatal(err)
	}
	// 1,500 papers: more than twice the sample, less than twice 1,000.
	if _, err := c.IngestStream(ctx, sliceStream(papers[1000:1500]), IngestOptions{FitSample: 200}); err != nil {
		t.Fatal(err)
	}
	if c.FittedOn() != 200 || bytes.Contains(notices.Bytes(), []byte("refitting")) {
		t.Fatalf("refitted at 1,500 papers: fitted on %d; notices %q", c.FittedOn(), notices.String())
	}
	// 2,000: twice the papers the sample stood for.
	if _, err := c.IngestStream(ctx, sliceStream(papers[1500:]), IngestOptions{FitSample: 200}); err != nil {
		t.Fatal(err)
	}
	if c.FittedOn() != 2000 {
		t.Errorf("at 2,000 papers the model is fitted on %d, want a refit on all", c.FittedOn())
	}
	if got := backend.SampledFrom(c.Store()); got != 0 {
		t.Errorf("after the refit on all papers, SampledFrom = %d, want 0", got)
	}
}

// TestIngestStreamStrict: with Strict, a skipped record or a duplicate
// rejects the input before anything is written.
func TestIngestStreamStrict(t *testing.T) {
	ctx := context.Background()
	papers := arxivPapers(t)[:300]
	cases := map[string]Stream{
		"skipped record": sliceStream(papers, &paper.RecordError{Pos: paper.Position{File: "x", Line: 3}, Reason: "no title and no abstract"}),
		"duplicate":      sliceStream(append(slices.Clone(papers), papers[0])),
	}
	for name, in := range cases {
		for _, sample := range []int{100, -1} { // the large path and the small one
			dir := filepath.Join(t.TempDir(), "store")
			c, err := Open(ctx, dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.IngestStream(ctx, in, IngestOptions{Strict: true, FitSample: sample})
			var se *StrictError
			if !errors.As(err, &se) || len(se.Skipped) != 1 {
				t.Errorf("%s, sample %d: err = %v, want a *StrictError with one record", name, sample, err)
			}
			if c.Len() != 0 {
				t.Errorf("%s, sample %d: %d papers stored", name, sample, c.Len())
			}
			c.Close()
			if _, err := os.Stat(filepath.Join(dir, backend.LexicalModelFile)); err == nil {
				t.Errorf("%s, sample %d: a model was written", name, sample)
			}
		}
	}
}

// TestIngestStreamInputChanged: an input that is not the same when read the
// second time is refused, not stored wrongly.
func TestIngestStreamInputChanged(t *testing.T) {
	ctx := context.Background()
	papers := arxivPapers(t)[:400]
	reads := 0
	in := func(ctx context.Context, yield func(paper.Paper, *paper.RecordError) error) error {
		reads++
		ps := papers
		if reads > 1 {
			ps = slices.Concat(papers[:10], papers[11:]) // a paper vanished
		}
		return sliceStream(ps)(ctx, yield)
	}
	c, err := Open(ctx, filepath.Join(t.TempDir(), "store"), Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.IngestStream(ctx, in, IngestOptions{FitSample: 100}); err == nil {
		t.Fatal("an input that changed between the passes was ingested")
	}
}

// TestIngestStreamLargeSparse: the large path keeps the exact-term index
// as it stores papers, into a new store and into one whose saved index
// matches it, and builds it again from the store when the saved one is
// missing. Each time the saved index matches the store (a reader uses it
// without rebuilding) and ranks as an index built from the stored papers.
func TestIngestStreamLargeSparse(t *testing.T) {
	ctx := context.Background()
	papers := arxivPapers(t)
	dir := filepath.Join(t.TempDir(), "store")
	opts := Options{Embedder: backend.Settings{Backend: embed.BackendLexical}}
	queries := []string{papers[3].Title, papers[1200].Title, papers[1999].Title, "dark matter halo", "graph colouring"}
	for step, part := range [][]paper.Paper{papers[:800], papers[800:1400], papers[1400:]} {
		if step == 2 {
			// The third ingest finds no saved index: it rebuilds it.
			if err := os.Remove(filepath.Join(dir, sparseIndexFile)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Open(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.IngestStream(ctx, sliceStream(part), IngestOptions{FitSample: 200, ChunkSize: 128, RefitGrowth: -1}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}

		var notes bytes.Buffer
		r, err := Open(ctx, dir, Options{ReadOnly: true, Notice: &notes})
		if err != nil {
			t.Fatal(err)
		}
		fp := r.fingerprint()
		saved, ok := r.loadSparse(fp)
		if !ok {
			t.Fatalf("step %d: the saved exact-term index does not match the store (%s)", step, notes.String())
		}
		built, err := r.buildSparse(ctx, fp)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Len() != r.Len() || !slices.Equal(saved.IDs(), built.IDs()) {
			t.Fatalf("step %d: the saved index holds %d papers, the store %d", step, saved.Len(), r.Len())
		}
		for _, q := range queries {
			got, _ := saved.Search(q, 10, nil, nil)
			want, _ := built.Search(q, 10, nil, nil)
			if len(got) != len(want) {
				t.Fatalf("step %d, %q: %d hits, want %d", step, q, len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
					t.Fatalf("step %d, %q: hit %d is %v, want %v", step, q, i, got[i], want[i])
				}
			}
		}
		r.Close()
	}
}
