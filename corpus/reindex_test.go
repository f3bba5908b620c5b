package corpus

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/papermap/papermap/paper"
)

func readSeed(t *testing.T) []paper.Paper {
	t.Helper()
	ps, _, err := paper.ReadFile("../testdata/seed-abstracts.txt", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// checkSameVectors fails unless a and b hold the same papers with vectors
// equal within tol, in the same number of dimensions.
func checkSameVectors(t *testing.T, a, b *Corpus, tol float64) {
	t.Helper()
	if a.Embedder().Info() != b.Embedder().Info() {
		t.Fatalf("embedders differ: %+v and %+v", a.Embedder().Info(), b.Embedder().Info())
	}
	ia, va, da := a.Store().Matrix()
	ib, vb, db := b.Store().Matrix()
	if da != db || len(ia) != len(ib) {
		t.Fatalf("%d papers of %d dims vs %d of %d", len(ia), da, len(ib), db)
	}
	for i := range ia {
		if ia[i] != ib[i] {
			t.Fatalf("paper %d: %s vs %s", i, ia[i], ib[i])
		}
	}
	worst := 0.0
	for i := range va {
		worst = max(worst, math.Abs(float64(va[i]-vb[i])))
	}
	if worst > tol {
		t.Fatalf("largest difference between the vectors %.3g, want ≤ %g", worst, tol)
	}
}

// TestReindexEqualsFreshIngest: a store fitted on a few papers, then grown
// and reindexed, holds the vectors a fresh ingest of all its papers gives
// (the same texts in ID order: the same fit), and its themes are kept but
// stale until computed again.
func TestReindexEqualsFreshIngest(t *testing.T) {
	seed := readSeed(t)
	grown := openLexical(t, filepath.Join(t.TempDir(), "grown"), false)
	if _, err := grown.Ingest(t.Context(), seed[:12], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := grown.Ingest(t.Context(), seed, IngestOptions{RefitGrowth: -1}); err != nil {
		t.Fatal(err)
	}
	if got := grown.FittedOn(); got != 12 {
		t.Fatalf("fitted on %d papers before reindex, want 12 (RefitGrowth -1 never refits)", got)
	}
	before, err := grown.ComputeThemes(t.Context(), ThemeOptions{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s := grown.Staleness(before); s.Stale {
		t.Fatalf("themes just computed are stale: %+v", s)
	}
	st, err := grown.Reindex(t.Context(), ReindexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Papers != len(seed) || st.FittedOn != len(seed) || grown.FittedOn() != len(seed) {
		t.Fatalf("reindex: %+v, FittedOn %d; want %d papers, fitted on all", st, grown.FittedOn(), len(seed))
	}
	checkStaleThemes(t, grown, before)
	// vectorstore.Store.Replace builds in PARENT/.BASE.replace.
	side := filepath.Join(filepath.Dir(grown.Dir()), "."+filepath.Base(grown.Dir())+".replace")
	if _, err := os.Stat(side); !os.IsNotExist(err) {
		t.Fatalf("the build directory is left: %v", err)
	}

	fresh := openLexical(t, filepath.Join(t.TempDir(), "fresh"), false)
	if _, err := fresh.Ingest(t.Context(), seed, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// The same texts fitted in the same order: equal up to float32
	// rounding in the stored unit vectors.
	checkSameVectors(t, grown, fresh, 1e-5)

	// Searching works on the reopened store, exact-term index included.
	if _, err := grown.Search(t.Context(), "variance reduction", 5, SearchOptions{}); err != nil {
		t.Fatal(err)
	}
	// And the refitted store reopens as it is, themes still stale.
	dir := grown.Dir()
	grown.Close()
	again := openLexical(t, dir, true)
	checkSameVectors(t, again, fresh, 1e-5)
	checkStaleThemes(t, again, before)
	again.Close()

	// Computing the themes again makes them current.
	w := openLexical(t, dir, false)
	if _, err := w.ComputeThemes(t.Context(), ThemeOptions{K: 3}); err != nil {
		t.Fatal(err)
	}
	m, err := w.LoadThemes()
	if err != nil || m.Reembedded || w.Staleness(m).Stale {
		t.Fatalf("themes computed after reindex: %v, reembedded %v, %+v", err, m != nil && m.Reembedded, w.Staleness(m))
	}
	if _, err := w.Report(t.Context(), m, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkStaleThemes: after a reindex the saved themes are those computed
// before (same themes, same members), reported stale because the papers
// were embedded again, and refused by Map and Report whose geometry would
// be in the old space.
func checkStaleThemes(t *testing.T, c *Corpus, before *ThemeModel) {
	t.Helper()
	m, err := c.LoadThemes()
	if err != nil {
		t.Fatalf("themes after reindex: %v, want the old ones marked stale", err)
	}
	if !m.Reembedded || m.K != before.K || len(m.Themes) != len(before.Themes) {
		t.Fatalf("themes after reindex: reembedded %v, k %d (want true, %d)", m.Reembedded, m.K, before.K)
	}
	for i := range m.Themes {
		if !slices.Equal(m.Themes[i].Members, before.Themes[i].Members) || m.Themes[i].Label != before.Themes[i].Label {
			t.Errorf("theme %d after reindex: %q %v, before %q %v", i, m.Themes[i].Label, m.Themes[i].Members, before.Themes[i].Label, before.Themes[i].Members)
		}
	}
	if s := c.Staleness(m); s != (Staleness{Stale: true, Reembedded: true}) {
		t.Errorf("staleness after reindex: %+v, want stale, reembedded, nothing new or removed", s)
	}
	if _, err := c.Map(t.Context(), m, MapOptions{Layout: LayoutPCA}); !errors.Is(err, ErrThemesReembedded) {
		t.Errorf("Map with themes of the old vectors: %v, want ErrThemesReembedded", err)
	}
	if _, err := c.Report(t.Context(), m, ReportOptions{}); !errors.Is(err, ErrThemesReembedded) {
		t.Errorf("Report with themes of the old vectors: %v, want ErrThemesReembedded", err)
	}
}

// TestIngestRefitsAtGrowth: the ingest that doubles the store refits the
// model, says so, and the store then matches a fresh ingest.
func TestIngestRefitsAtGrowth(t *testing.T) {
	seed := readSeed(t)
	c := openLexical(t, filepath.Join(t.TempDir(), "s"), false)
	if _, err := c.Ingest(t.Context(), seed[:30], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// 50 < 2 × 30: no refit yet.
	if _, err := c.Ingest(t.Context(), seed[:50], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := c.FittedOn(); got != 30 {
		t.Fatalf("fitted on %d papers with 50 stored, want 30 (no refit below 2×)", got)
	}
	st, err := c.Ingest(t.Context(), seed, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.FittedOn(); got != len(seed) {
		t.Fatalf("fitted on %d papers with %d stored, want a refit on all", got, len(seed))
	}
	if st.Embedder != c.Embedder().Info() {
		t.Errorf("ingest reports embedder %+v, the store has %+v", st.Embedder, c.Embedder().Info())
	}
	fresh := openLexical(t, filepath.Join(t.TempDir(), "fresh"), false)
	if _, err := fresh.Ingest(t.Context(), seed, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	checkSameVectors(t, c, fresh, 1e-5)
}
