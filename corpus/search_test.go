package corpus

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/sparse"
)

func openLexical(t *testing.T, dir string, readOnly bool) *Corpus {
	t.Helper()
	c, err := Open(t.Context(), dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ids(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestEveryPaperFindable: a store fitted on three papers still stores and
// finds papers and queries none of whose words its model knows, and
// title-only records made of stop words.
func TestEveryPaperFindable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	c := openLexical(t, dir, false)
	first := []paper.Paper{
		{ID: "p1", Title: "Graph neural networks", Abstract: "Message passing on graphs for molecules."},
		{ID: "p2", Title: "Query expansion", Abstract: "Pseudo relevance feedback for retrieval of documents."},
		{ID: "p3", Title: "Touch screens", Abstract: "A user study of touch interaction on phones."},
	}
	if _, err := c.Ingest(t.Context(), first, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	later := []paper.Paper{
		{ID: "astro", Title: "A galaxy redshift survey", Abstract: "We measure redshifts of distant galaxies in a deep survey."},
		{ID: "again", Title: "Do That Again?"},
		{ID: "perco", Title: "PERCOLATe"},
	}
	st, err := c.Ingest(t.Context(), later, IngestOptions{RefitGrowth: -1}) // keep the 3-paper model
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 3 || len(st.Skipped) != 0 {
		t.Fatalf("ingest: %+v, want the 3 papers added and none skipped", st)
	}
	for _, tc := range []struct {
		mode, query, want string
	}{
		{ModeHybrid, "galaxy redshift survey", "astro"},
		{ModeSparse, "galaxy redshift survey", "astro"},
		{ModeDense, "galaxy redshift survey", "astro"}, // by hashed n-grams
		{ModeHybrid, "percolate", "perco"},
		{ModeDense, "Do That Again?", "again"},
		{ModeHybrid, "Do That Again?", "again"},
	} {
		res, err := c.Search(t.Context(), tc.query, 1, SearchOptions{Mode: tc.mode})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.mode, tc.query, err)
		}
		if got := ids(res); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s %q: got %v, want [%s]", tc.mode, tc.query, got, tc.want)
		}
	}
	for _, id := range []string{"again", "perco", "astro"} {
		if _, ok := c.Paper(id); !ok {
			t.Errorf("paper %s is not stored", id)
		}
	}
}

// TestSparseIndexDerived: the saved exact-term index follows ingests, and a
// missing, damaged or stale one is rebuilt, by readers in memory and by
// writers on disk.
func TestSparseIndexDerived(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	papers := readArxiv(t)[:300]
	c := openLexical(t, dir, false)
	if _, err := c.Ingest(t.Context(), papers[:200], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ingest(t.Context(), papers[200:], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	query := papers[250].Title
	want, err := c.Search(t.Context(), query, 5, SearchOptions{Mode: ModeSparse})
	if err != nil || len(want) == 0 || want[0].ID != papers[250].ID {
		t.Fatalf("sparse search for the title of %s: %v, %v", papers[250].ID, ids(want), err)
	}
	c.Close()
	index := filepath.Join(dir, sparseIndexFile)
	saved, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func()
	}{
		{"intact", func() {}},
		{"missing", func() { os.Remove(index) }},
		{"damaged", func() { os.WriteFile(index, saved[:len(saved)/2], 0o600) }},
		{"earlier version", func() {
			// A version 1 index held unstemmed words.
			v1 := append([]byte("papermap-sparse v1\n"), saved[len("papermap-sparse v2\n"):]...)
			os.WriteFile(index, v1, 0o600)
		}},
		{"stale", func() {
			// An index saved before the last ingest (as after a crash
			// between the two writes).
			x := openLexical(t, filepath.Join(t.TempDir(), "other"), false)
			if _, err := x.Ingest(t.Context(), papers[:200], IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			old, _ := os.ReadFile(filepath.Join(x.Dir(), sparseIndexFile))
			os.WriteFile(index, old, 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(index, saved, 0o600)
			tc.damage()
			for _, ro := range []bool{true, false} {
				c := openLexical(t, dir, ro)
				got, err := c.Search(t.Context(), query, 5, SearchOptions{Mode: ModeSparse})
				c.Close()
				if err != nil || !slices.Equal(ids(got), ids(want)) {
					t.Errorf("read-only %v: %v, %v; want %v", ro, ids(got), err, ids(want))
				}
			}
			// The writer saved what it rebuilt: an index of the current
			// records (its documents may be in another order).
			now, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			x, err := sparse.Read(now, sparse.Options{})
			y, _ := sparse.Read(saved, sparse.Options{})
			if err != nil || x.Fingerprint != y.Fingerprint || x.Len() != 300 {
				t.Errorf("the writer did not save an index of the current records: %v", err)
			}
		})
	}
}

// TestSparseIndexDamagedChunk: a saved exact-term index whose chunks after
// the first are damaged is read (Read checks the first), and the damage
// is met by a reader's search, which answers from an index rebuilt from
// the records, with a notice, as it does for every mode that reads the
// index; a writer checks every chunk at load and rebuilds and saves it.
func TestSparseIndexDamagedChunk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	papers := readArxiv(t)[:400]
	c := openLexical(t, dir, false)
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	query := papers[250].Title
	want := map[string][]string{}
	for _, mode := range []string{ModeSparse, ModeHybrid} {
		res, err := c.Search(t.Context(), query, 5, SearchOptions{Mode: mode})
		if err != nil || len(res) == 0 || res[0].ID != papers[250].ID {
			t.Fatalf("%s search for the title of %s: %v, %v", mode, papers[250].ID, ids(res), err)
		}
		want[mode] = ids(res)
	}
	simWant, err := c.Similar(t.Context(), papers[250].ID, 5, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	index := filepath.Join(dir, sparseIndexFile)
	saved, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	// The footer (sparse/chunks.go): the body's end, the chunk size.
	f := saved[len(saved)-16:]
	end, size := int(binary.LittleEndian.Uint64(f)), int(binary.LittleEndian.Uint32(f[8:]))
	if end <= 2*size {
		t.Fatalf("an index of %d bytes in chunks of %d: too few chunks to damage some after the first", end, size)
	}
	damaged := bytes.Clone(saved)
	for at := size + size/2; at < end; at += size {
		damaged[at] ^= 0x55
	}
	for _, ro := range []bool{true, false} {
		for _, what := range []string{ModeSparse, ModeHybrid, "similar"} {
			if err := os.WriteFile(index, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			var notes bytes.Buffer
			x, err := Open(t.Context(), dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}, ReadOnly: ro, Notice: &notes})
			if err != nil {
				t.Fatal(err)
			}
			var res []Result
			if what == "similar" {
				res, err = x.Similar(t.Context(), papers[250].ID, 5, SearchOptions{})
			} else {
				res, err = x.Search(t.Context(), query, 5, SearchOptions{Mode: what})
			}
			x.Close()
			exp := want[what]
			if what == "similar" {
				exp = ids(simWant)
			}
			if err != nil || !slices.Equal(ids(res), exp) {
				t.Errorf("read-only %v, %s: %v, %v; want %v", ro, what, ids(res), err, exp)
			}
			if !strings.Contains(notes.String(), "exact-term index") || !strings.Contains(notes.String(), "damaged") {
				t.Errorf("read-only %v, %s: no notice of the damaged index: %q", ro, what, notes.String())
			}
			now, _ := os.ReadFile(index)
			if rewritten := !bytes.Equal(now, damaged); rewritten == ro {
				t.Errorf("read-only %v, %s: the file was rewritten: %v", ro, what, rewritten)
			}
		}
	}
}

// TestSimilarModes: in every mode Similar never returns the paper itself
// and honours Where; hybrid with all the weight on the dense side ranks as
// dense does, and the default (hybrid) differs from both single rankings
// on some paper (it fuses them).
func TestSimilarModes(t *testing.T) {
	papers := readArxiv(t)[:300]
	c := openLexical(t, filepath.Join(t.TempDir(), "store"), false)
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	arch := papers[0].Extra["archive"]
	differs := map[string]bool{}
	for _, p := range papers[:40] {
		got := map[string][]string{}
		for _, mode := range []string{"", ModeHybrid, ModeDense, ModeSparse} {
			res, err := c.Similar(t.Context(), p.ID, 10, SearchOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 10 {
				t.Fatalf("%s, mode %q: %d results, want 10", p.ID, mode, len(res))
			}
			if slices.Contains(ids(res), p.ID) {
				t.Errorf("%s, mode %q: the paper itself is among its similar papers", p.ID, mode)
			}
			got[mode] = ids(res)
			filtered, err := c.Similar(t.Context(), p.ID, 5, SearchOptions{Mode: mode, Where: vectorstore.Filter{"archive": arch}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range filtered {
				if q, _ := c.Paper(r.ID); q.Extra["archive"] != arch || r.ID == p.ID {
					t.Errorf("%s, mode %q, archive %s: got %s of archive %q", p.ID, mode, arch, r.ID, q.Extra["archive"])
				}
			}
		}
		if !slices.Equal(got[""], got[ModeHybrid]) {
			t.Errorf("%s: the default mode %v is not hybrid %v", p.ID, got[""], got[ModeHybrid])
		}
		allDense, err := c.Similar(t.Context(), p.ID, 10, SearchOptions{Mode: ModeHybrid, Fuse: sparse.FuseOptions{DenseWeight: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(allDense), got[ModeDense]) {
			t.Errorf("%s: hybrid with dense weight 1 %v, dense %v", p.ID, ids(allDense), got[ModeDense])
		}
		differs[ModeDense] = differs[ModeDense] || !slices.Equal(got[""], got[ModeDense])
		differs[ModeSparse] = differs[ModeSparse] || !slices.Equal(got[""], got[ModeSparse])
	}
	if !differs[ModeDense] || !differs[ModeSparse] {
		t.Errorf("hybrid similar equals one ranking on all 40 papers: differs from dense %v, from sparse %v", differs[ModeDense], differs[ModeSparse])
	}
}
