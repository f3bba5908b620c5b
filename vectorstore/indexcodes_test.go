package vectorstore

import (
	"context"
	"encoding/binary"
	"hash/crc32"
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
	defer func(c int) { codesChunk = c }(codesChunk)
	codesChunk = 1 // a chunk per node: a walk meets some of the 3,000
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
	if want := int64(codesHeadLen(ixN, ixDim) + 4 + ixN*ixDim); fi.Size() != want {
		t.Errorf("codes file of %d bytes, want %d", fi.Size(), want)
	}

	reader := func(when string, wantCodes bool) {
		t.Helper()
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		defer r.Close()
		recallAgainstScan(t, r, qs[:1], 10, QueryOptions{}) // one walk (exact scores checked)
		if use, file := codesInUse(r); use != wantCodes || use && !file {
			t.Errorf("%s: codes in use %v (from the file %v), want %v", when, use, file, wantCodes)
		}
		if wantCodes {
			// Checked as read: the walk met some chunks, not all.
			z := r.idx.ix.Load().codes.lazy
			checked := 0
			for k := range z.state {
				checked += int(z.state[k].Load())
			}
			if checked == 0 || checked == len(z.state) {
				t.Errorf("%s: %d of %d chunks of codes checked by a search: want some, not all", when, checked, len(z.state))
			}
		}
		if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
			t.Errorf("%s: recall@10 = %.3f, want ≥ 0.95", when, got)
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

// codesHeadLen is the length of a version 2 codes file's header (before
// its checksum) for n nodes of dim dimensions.
func codesHeadLen(n, dim int) int {
	return codesHeader + 8*dim + 4*((n+codesPer(dim)-1)/codesPer(dim))
}

// TestIndexCodesDamage cuts the codes file at random offsets and changes
// random bytes of its header: a reader never uses the damaged codes, says
// so naming the file, and still answers exactly as the scan scores
// (recall ≥ 0.95 over the vectors). A byte changed among the codes is
// found when a walk first reads its chunk (or by checking them all): the
// chunk's codes are made again from the vectors, exactly as they were,
// with a notice naming the file, and the answers are the scan's. The
// codes of another store's graph, intact, are refused too. A writer then
// makes good codes again.
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
	head := codesHeadLen(ixN, ixDim) + 4
	rng := rand.New(rand.NewPCG(13, 14))
	met := 0
	for trial := range 31 {
		var bad []byte
		inCodes := false
		switch {
		case trial == 30:
			bad = foreign
		case trial%3 == 0:
			bad = good[:rng.IntN(len(good))]
		case trial%3 == 1:
			bad = slices.Clone(good)
			bad[rng.IntN(head)] ^= byte(1 + rng.IntN(255))
		default:
			bad = slices.Clone(good)
			bad[head+rng.IntN(len(good)-head)] ^= byte(1 + rng.IntN(255))
			inCodes = true
		}
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
			t.Errorf("trial %d: recall@10 = %.3f, want ≥ 0.95", trial, got)
		}
		ix := r.idx.ix.Load()
		if ix == nil {
			t.Fatalf("trial %d: damaged codes made the reader drop the index", trial)
		}
		use, _ := codesInUse(r)
		switch {
		case !inCodes && use:
			t.Fatalf("trial %d: damaged codes were used", trial)
		case !inCodes && !strings.Contains(nt.all(), codesName):
			t.Errorf("trial %d: no notice naming the codes file: %q", trial, nt.all())
		case inCodes && !use:
			t.Errorf("trial %d: a changed code made the reader drop all the codes", trial)
		case inCodes:
			if strings.Contains(nt.all(), codesName) {
				met++ // a walk met the chunk
			}
			if !ix.codes.checkAll() || !slices.Equal(ix.codes.base, good[head:]) {
				t.Errorf("trial %d: the changed chunk was not found, or not made again as it was", trial)
			}
			if !strings.Contains(nt.all(), codesName) {
				t.Errorf("trial %d: no notice naming the codes file: %q", trial, nt.all())
			}
		}
		r.Close()
	}
	t.Logf("%d of 10 changed codes met by the walks of %d queries", met, len(qs))
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

	// A writer over a changed code makes its chunk again and rewrites
	// the file.
	bad := slices.Clone(good)
	bad[len(bad)-1] ^= 1
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	nt = notices{}
	w = openIndexed(t, dir, false, &nt)
	recallAgainstScan(t, w, qs[:1], 10, QueryOptions{})
	mustClose(t, w)
	if b, err := os.ReadFile(path); err != nil || !slices.Equal(b, good) || !strings.Contains(nt.all(), codesName) {
		t.Errorf("a writer over a changed code: file rewritten as the build's %v (%v), notice %q", slices.Equal(b, good), err, nt.all())
	}
}

// TestIndexCodesV1 checks that a codes file of version 1 (one checksum of
// the whole file, written here as papermap wrote it) is still read, and
// rewritten in version 2 by the next writer, which says so.
func TestIndexCodesV1(t *testing.T) {
	dir, path, good := indexedStore(t, 25, codesName)
	head := codesHeadLen(ixN, ixDim)
	v1 := slices.Concat(codesMagicV1, good[16:20], make([]byte, 4), good[24:codesHeader+8*ixDim], good[head+4:])
	v1 = binary.LittleEndian.AppendUint32(v1, crc32.Checksum(v1, crcTable))
	if err := os.WriteFile(path, v1, 0o600); err != nil {
		t.Fatal(err)
	}
	qs := queries(25, 20)
	var nt notices
	r := openIndexed(t, dir, true, &nt)
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("version 1: recall@10 = %.3f, want ≥ 0.95", got)
	}
	if use, file := codesInUse(r); !use || !file || nt.all() != "" {
		t.Errorf("version 1: codes in use %v (from the file %v), notices %q", use, file, nt.all())
	}
	r.Close()
	bad := slices.Clone(v1)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	r = openIndexed(t, dir, true, &nt)
	recallAgainstScan(t, r, qs[:1], 10, QueryOptions{})
	if use, _ := codesInUse(r); use || !strings.Contains(nt.all(), codesName) {
		t.Errorf("version 1 damaged: codes in use %v, notices %q", use, nt.all())
	}
	r.Close()
	if err := os.WriteFile(path, v1, 0o600); err != nil {
		t.Fatal(err)
	}
	var wn notices
	w := openIndexed(t, dir, false, &wn)
	recallAgainstScan(t, w, qs[:1], 10, QueryOptions{})
	mustClose(t, w)
	if b, err := os.ReadFile(path); err != nil || !slices.Equal(b, good) {
		t.Errorf("the writer did not rewrite version 1 as the build's version 2 (%v)", err)
	}
	if !strings.Contains(wn.all(), codesName+" is in version 1: this writer rewrites it") {
		t.Errorf("the writer's notices %q do not say it rewrites version 1", wn.all())
	}
}
