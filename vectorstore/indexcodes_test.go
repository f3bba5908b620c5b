package vectorstore

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// codesInUse reports whether s's loaded index walks over codes, and
// whether they came from the file (mapped) rather than being made.
func codesInUse(s *Store) (inUse, fromFile bool) {
	ix := s.idx.ix.Load()
	if ix == nil || ix.codes == nil {
		return false, false
	}
	return true, len(ix.codes.base) > 0
}

// TestIndexCodes checks the codes' life: a writer's build makes them and
// Close saves them beside the index; a reader walks over them with the
// exact scan's scores and recall@10 ≥ 0.95 against it (recallAgainstScan
// fails on any score that differs); a writer that adds records extends
// them and saves them again, and a reader uses the extended file; a
// reader without the file walks over the vectors silently, and a writer
// makes the file again.
func TestIndexCodes(t *testing.T) {
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(21, "p", ixN))
	qs := queries(21, 50)
	if r := recallAgainstScan(t, s, qs, 10, QueryOptions{}); r < 0.95 {
		t.Errorf("writer: recall@10 = %.3f, want ≥ 0.95", r)
	}
	if use, _ := codesInUse(s); !use {
		t.Fatal("the writer's build made no codes")
	}
	mustClose(t, s)
	path := filepath.Join(dir, codesName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Close saved no codes: %v", err)
	}
	if want := int64(codesHeader + 8*ixDim + ixN*ixDim + 4); fi.Size() != want {
		t.Errorf("codes file of %d bytes, want %d", fi.Size(), want)
	}

	reader := func(when string, wantCodes bool) {
		t.Helper()
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		defer r.Close()
		if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
			t.Errorf("%s: recall@10 = %.3f, want ≥ 0.95", when, got)
		}
		if use, file := codesInUse(r); use != wantCodes || use && !file {
			t.Errorf("%s: codes in use %v (from the file %v), want %v", when, use, file, wantCodes)
		}
		if n := nt.all(); n != "" {
			t.Errorf("%s: unexpected notices: %s", when, n)
		}
	}
	reader("reader", true)

	s = openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(22, "n", 200))
	if err := s.Delete(context.Background(), "p-000010", "p-000011"); err != nil {
		t.Fatal(err)
	}
	recallAgainstScan(t, s, qs, 10, QueryOptions{})
	if use, file := codesInUse(s); !use || !file {
		t.Errorf("writer after adds: codes in use %v, from the file %v", use, file)
	}
	mustClose(t, s)
	reader("reader after adds", true)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	reader("reader without codes", false)
	s = openIndexed(t, dir, false, &nt)
	recallAgainstScan(t, s, qs[:1], 10, QueryOptions{})
	mustClose(t, s)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the writer did not make the missing codes again: %v", err)
	}
	reader("reader after the writer", true)
}

// TestIndexCodesDamage cuts the codes file at random offsets and changes
// random bytes of it: a reader never uses the damaged codes, says so
// naming the file, and still answers exactly as the scan scores (recall
// ≥ 0.95 over the vectors). The codes of another store's graph, intact,
// are refused too. A writer then makes good codes again.
func TestIndexCodesDamage(t *testing.T) {
	dir, path, good := indexedStore(t, 23, codesName)
	var nt notices
	other := t.TempDir()
	o := openIndexed(t, other, false, &nt)
	mustAdd(t, o, blobRecords(24, "p", ixN))
	mustClose(t, o)
	foreign, err := os.ReadFile(filepath.Join(other, codesName))
	if err != nil {
		t.Fatal(err)
	}
	qs := queries(23, 20)
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := range 11 {
		var bad []byte
		switch {
		case trial == 10:
			bad = foreign
		case trial%2 == 0:
			bad = good[:rng.IntN(len(good))]
		default:
			bad = slices.Clone(good)
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
			t.Errorf("trial %d: recall@10 = %.3f over the vectors, want ≥ 0.95", trial, got)
		}
		if r.idx.ix.Load() == nil {
			t.Errorf("trial %d: damaged codes made the reader drop the index", trial)
		}
		if use, _ := codesInUse(r); use {
			t.Fatalf("trial %d: damaged codes were used", trial)
		}
		if !strings.Contains(nt.all(), codesName) {
			t.Errorf("trial %d: no notice naming the codes file: %q", trial, nt.all())
		}
		r.Close()
	}
	nt = notices{}
	w := openIndexed(t, dir, false, &nt)
	recallAgainstScan(t, w, qs[:1], 10, QueryOptions{})
	if use, file := codesInUse(w); !use || file {
		t.Errorf("writer over foreign codes: codes in use %v (from the file %v), want made again", use, file)
	}
	mustClose(t, w)
	if b, err := os.ReadFile(path); err != nil || !slices.Equal(b, good) {
		t.Errorf("the writer's codes differ from the build's (%v): the quantizer or the coding is not deterministic", err)
	}
}
