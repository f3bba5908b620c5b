package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

// TestReindexKill kills `papermap reindex` with SIGKILL at seeded random
// moments, each time on a fresh copy of a store of the 2,000 arXiv papers
// whose lexical model was fitted on 300 of them. After every kill the store
// opens, holds exactly its 2,000 papers, and every stored vector is the
// embedding of its paper by the store's current model (the old one, fitted
// on 300, or the new one, fitted on 2,000): never a mix. A rerun of
// reindex then finishes. PAPERMAP_KILLS (default 8) and
// PAPERMAP_KILL_SEED (default 1) change the number of kills and the seed.
func TestReindexKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs papermap reindex some 10 times")
	}
	bin := papermapBinary(t)
	dir := t.TempDir()
	papers, _, err := paper.ReadFile(arxivFile, paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const fitted = 300
	base := filepath.Join(dir, "base")
	func() {
		c, err := corpus.Open(t.Context(), base, corpus.Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Ingest(t.Context(), papers[:fitted], corpus.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Ingest(t.Context(), papers, corpus.IngestOptions{RefitGrowth: -1}); err != nil {
			t.Fatal(err)
		}
	}()
	wantIDs := storedIDs(t, base)
	if len(wantIDs) != len(papers) {
		t.Fatalf("the base store holds %d papers, want %d", len(wantIDs), len(papers))
	}

	// An undisturbed run times the window the kills are spread over.
	ref := copyStoreTo(t, base, filepath.Join(dir, "ref"))
	start := time.Now()
	if out, err := exec.Command(bin, "reindex", "--quiet", "--store", ref).CombinedOutput(); err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	window := time.Since(start)
	if got := checkOneModel(t, ref, wantIDs); got != len(papers) {
		t.Fatalf("after an undisturbed reindex the model is fitted on %d papers, want %d", got, len(papers))
	}

	rng := rand.New(rand.NewPCG(uint64(envInt(t, "PAPERMAP_KILL_SEED", 1)), 7))
	kills := envInt(t, "PAPERMAP_KILLS", 8)
	states := map[int]int{}
	for i := range kills {
		store := copyStoreTo(t, base, filepath.Join(dir, "k"+strconv.Itoa(i)))
		cmd := exec.Command(bin, "reindex", "--quiet", "--store", store)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Float64() * 1.1 * float64(window))
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && !ee.Exited()
		if err != nil && !killed {
			t.Fatalf("kill %d: reindex failed on its own: %v", i, err)
		}
		on := checkOneModel(t, store, wantIDs)
		if on != fitted && on != len(papers) {
			t.Fatalf("kill %d after %v: the model is fitted on %d papers, want %d or %d", i, delay, on, fitted, len(papers))
		}
		states[on]++
		t.Logf("kill %d after %v (killed %v): model fitted on %d papers", i, delay.Round(time.Millisecond), killed, on)
		if out, err := exec.Command(bin, "reindex", "--quiet", "--store", store).CombinedOutput(); err != nil {
			t.Fatalf("kill %d: the rerun of reindex failed: %v\n%s", i, err, out)
		}
		if on := checkOneModel(t, store, wantIDs); on != len(papers) {
			t.Fatalf("kill %d: after the rerun the model is fitted on %d papers, want %d", i, on, len(papers))
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(store), "."+filepath.Base(store)+".replace")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("kill %d: the rerun left the build directory: %v", i, err)
		}
		os.RemoveAll(store)
	}
	t.Logf("reindex took %v undisturbed; states after the kills (fitted on → count): %v", window.Round(time.Millisecond), states)
}

// copyStore copies the files of store src into a new directory dst.
func copyStoreTo(t *testing.T, src, dst string) string {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func storedIDs(t *testing.T, store string) []string {
	t.Helper()
	c, err := corpus.Open(context.Background(), store, corpus.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Store().IDs()
}

// checkOneModel opens store for writing (which clears what an interrupted
// reindex left), checks that it holds exactly ids and that every stored
// vector is its paper's embedding by the store's model, and returns how
// many papers that model was fitted on.
func checkOneModel(t *testing.T, store string, ids []string) int {
	t.Helper()
	c, err := corpus.Open(context.Background(), store, corpus.Options{})
	if err != nil {
		t.Fatalf("open %s after the kill: %v", store, err)
	}
	defer c.Close()
	got, vecs, dim := c.Store().Matrix()
	if !slices.Equal(got, ids) {
		t.Fatalf("%s holds %d papers, not the %d it had", store, len(got), len(ids))
	}
	texts := make([]string, len(got))
	for i, id := range got {
		p, ok := c.Paper(id)
		if !ok {
			t.Fatalf("paper %s not found", id)
		}
		texts[i] = p.Text()
	}
	want, err := c.Embedder().Embed(context.Background(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if len(want[i]) != dim {
			t.Fatalf("paper %s: the model gives %d dims, the store holds %d", got[i], len(want[i]), dim)
		}
		for j, w := range want[i] {
			if d := math.Abs(float64(w - vecs[i*dim+j])); d > 1e-4 {
				t.Fatalf("paper %s: stored vector differs from the store's model's embedding by %.3g at %d: a mixed store", got[i], d, j)
			}
		}
	}
	return c.FittedOn()
}
