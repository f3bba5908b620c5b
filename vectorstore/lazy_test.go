package vectorstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// decodedChunks counts the chunks of a lazy table's row index decoded so
// far; -1 when the rows are all in memory.
func decodedChunks(s *Store) int {
	lz := s.t.lz
	if lz == nil || lz.full.Load() != nil {
		return -1
	}
	n := 0
	for c := range lz.chunks {
		if lz.chunks[c].Load() != nil {
			n++
		}
	}
	return n
}

// lazyFixture writes a store of n records (no deletes: row r is record r)
// and returns its directory and records.
func lazyFixture(t *testing.T, n, dim int) (string, []Record) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir, dim)
	recs := makeRecords(41, "z", n, dim)
	mustAdd(t, s, recs)
	mustClose(t, s)
	return dir, recs
}

// TestSnapshotLazyRows checks that a reader decodes only the chunks of the
// row index it uses (a Get one, a query its hits' ones), and answers as a
// writer, which decodes it whole, does.
func TestSnapshotLazyRows(t *testing.T) {
	ctx := context.Background()
	const n, dim = 3000, 8 // 12 chunks of the row index
	dir, recs := lazyFixture(t, n, dim)
	r, err := Open(ctx, dir, Options{ReadOnly: true, IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.t.lz == nil || len(r.t.lz.chunks) != (n+snapIndexChunkRows-1)/snapIndexChunkRows {
		t.Fatalf("the reader's table is not lazy (%v)", r.t.lz)
	}
	if got := decodedChunks(r); got != 0 {
		t.Fatalf("%d chunks decoded by Open", got)
	}
	if got, ok := r.Get(recs[1234].ID); !ok || sameRecord(got, recs[1234]) != "" {
		t.Fatalf("Get: %v %v", ok, sameRecord(got, recs[1234]))
	}
	if got := decodedChunks(r); got != 1 {
		t.Errorf("%d chunks decoded after one Get, want 1", got)
	}
	if _, ok := r.Get("z-999999"); ok {
		t.Error("Get of an unknown ID found it")
	}
	if _, ok := r.Get("a"); ok { // before the first chunk
		t.Error("Get of an unknown ID found it")
	}
	if got := decodedChunks(r); got != 2 { // and the last chunk, for z-999999
		t.Errorf("%d chunks decoded after three Gets, want 2", got)
	}
	const k = 3
	hits, err := r.Query(ctx, recs[77].Embedding, k, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hits[0].ID != recs[77].ID {
		t.Errorf("query by the vector of %s finds %v", recs[77].ID, hits)
	}
	if got := decodedChunks(r); got > 2+k {
		t.Errorf("%d chunks decoded after a query for %d hits, want at most %d", got, k, 2+k)
	}

	w, err := Open(ctx, dir, Options{IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.t.lz != nil {
		t.Fatal("a writer's row index is not decoded at Open")
	}
	for i := 0; i < n; i += 97 {
		q := recs[(i*7)%n].Embedding
		opts := QueryOptions{Exclude: []string{recs[i].ID}}
		if i%2 == 1 {
			opts.Where = Filter{"venue": "kdd"}
		}
		a, err1 := r.Query(ctx, q, 10, opts)
		b, err2 := w.Query(ctx, q, 10, opts)
		if err1 != nil || err2 != nil || !slices.Equal(a, b) {
			t.Fatalf("query %d: the reader finds %v (%v), the writer %v (%v)", i, a, err1, b, err2)
		}
		h1, ok1 := r.Lookup(recs[i].ID)
		h2, ok2 := w.Lookup(recs[i].ID)
		if !ok1 || !ok2 || h1 != h2 {
			t.Fatalf("Lookup(%s) = %q %v on the reader, %q %v on the writer", recs[i].ID, h1, ok1, h2, ok2)
		}
	}
	ids1, v1, _ := r.Matrix()
	ids2, v2, _ := w.Matrix()
	if !slices.Equal(ids1, ids2) || !slices.Equal(v1, v2) || !slices.Equal(r.IDs(), ids2) {
		t.Error("Matrix or IDs differ between the reader and the writer")
	}
	i1, h1 := r.IDHashes()
	i2, h2 := w.IDHashes()
	if !slices.Equal(i1, i2) || !slices.Equal(h1, h2) {
		t.Error("IDHashes differ between the reader and the writer")
	}
}

// TestSnapshotLazyDamageConcurrent damages a chunk of the row index in
// the middle and has readers query and get records from several
// goroutines: whichever meets the chunk first reads the rows from the
// log, once, and every answer is the log's (run with -race).
func TestSnapshotLazyDamageConcurrent(t *testing.T) {
	ctx := context.Background()
	const n, dim = 2000, 8
	base, recs := lazyFixture(t, n, dim)
	good, err := os.ReadFile(filepath.Join(base, snapName))
	if err != nil {
		t.Fatal(err)
	}
	lay := snapLayout(t, good)
	dir := copyDir(t, base)
	writeSnap(t, dir, flip(good, lay.offs[3]+5)) // rows 768 to 1023
	var notes noticeLog
	s, err := Open(ctx, dir, Options{ReadOnly: true, IndexThreshold: -1, Notice: notes.add})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.fromSnap {
		t.Fatal("the snapshot was not used")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 * 13 {
				got, ok := s.Get(recs[i].ID)
				if !ok || sameRecord(got, recs[i]) != "" {
					errs <- fmt.Errorf("Get(%s): %v %s", recs[i].ID, ok, sameRecord(got, recs[i]))
					return
				}
				hits, err := s.Query(ctx, recs[i].Embedding, 2, QueryOptions{})
				if err != nil || hits[0].ID != recs[i].ID {
					errs <- fmt.Errorf("query by the vector of %s: %v %v", recs[i].ID, hits, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := notes.String(); strings.Count(got, "rows 768 to 1023 of its row index fail their checksum") != 1 || !strings.Contains(got, "read from records.log") {
		t.Errorf("notices %q, want one saying the rows were read from the log", got)
	}
	if !s.t.lz.fixed.Load() {
		t.Error("the rows were not read from the log")
	}
}

// FuzzSnapshot damages a version 2 snapshot (a byte changed, the file
// cut) and checks that the store still holds exactly what its log holds,
// for a reader and for a writer, whatever the bytes.
func FuzzSnapshot(f *testing.F) {
	const dim = 8
	base := f.TempDir()
	s, err := Open(context.Background(), base, Options{IndexThreshold: -1})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.SetEmbedder(testInfo(dim)); err != nil {
		f.Fatal(err)
	}
	recs := makeRecords(43, "f", 600, dim)
	if _, err := s.Add(context.Background(), recs); err != nil {
		f.Fatal(err)
	}
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(base, snapName))
	if err != nil {
		f.Fatal(err)
	}
	want := make(map[string]Record, len(recs))
	for _, r := range recs {
		want[r.ID] = r
	}
	// Seeds: a byte of the header, the matrix checksums, the directory,
	// each chunk of the row index, the padding and the matrix; cuts.
	lay := snapLayout(f, good)
	seeds := []int{20, 30, 50, 58, 62, 66, 70, snapHeaderLen + 1, lay.dir + 3, lay.dir + 14, lay.pre + 1, lay.vecs + 9, len(good) - 1}
	for _, off := range lay.offs[:len(lay.offs)-1] {
		seeds = append(seeds, off+7)
	}
	for _, at := range seeds {
		f.Add(uint32(at), byte(0x40), uint32(0))
	}
	f.Add(uint32(0), byte(0), uint32(len(good)-1))
	f.Add(uint32(0), byte(0), uint32(100))
	f.Fuzz(func(t *testing.T, at uint32, xor byte, cut uint32) {
		b := append([]byte(nil), good...)
		if int(at) < len(b) {
			b[at] ^= xor
		}
		if cut > 0 && int(cut) < len(b) {
			b = b[:cut]
		}
		dir := t.TempDir()
		for _, name := range []string{logName, manifestName} {
			data, err := os.ReadFile(filepath.Join(base, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		writeSnap(t, dir, b)
		for _, ro := range []bool{true, false} {
			s, err := Open(context.Background(), dir, Options{ReadOnly: ro, IndexThreshold: -1})
			if err != nil {
				t.Fatalf("read-only %v: %v", ro, err)
			}
			if s.Len() != len(want) {
				t.Fatalf("read-only %v: %d records, want %d", ro, s.Len(), len(want))
			}
			for i := 0; i < len(recs); i += 7 {
				got, ok := s.Get(recs[i].ID)
				if !ok || sameRecord(got, recs[i]) != "" {
					t.Fatalf("read-only %v: Get(%s) %v %s", ro, recs[i].ID, ok, sameRecord(got, recs[i]))
				}
				hits, err := s.Query(context.Background(), recs[i].Embedding, 1, QueryOptions{})
				if err != nil || hits[0].ID != recs[i].ID {
					t.Fatalf("read-only %v: query by the vector of %s: %v %v", ro, recs[i].ID, hits, err)
				}
			}
			if ids := s.IDs(); len(ids) != len(want) {
				t.Fatalf("read-only %v: %d IDs", ro, len(ids))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestSnapshotLazyDamagedLog damages a chunk of the row index and a frame
// of the log (a large log: Open does not check it whole): the reader
// cannot read that chunk's rows from the log either. Those rows are
// reported missing, with a notice, once (the log is not read again for
// each), and every other row still answers.
func TestSnapshotLazyDamagedLog(t *testing.T) {
	ctx := context.Background()
	const n, dim = 2000, 8
	base, recs := lazyFixture(t, n, dim)
	good, err := os.ReadFile(filepath.Join(base, snapName))
	if err != nil {
		t.Fatal(err)
	}
	lay := snapLayout(t, good)
	dir := copyDir(t, base)
	writeSnap(t, dir, flip(good, lay.offs[3]+5)) // rows 768 to 1023
	logPath := filepath.Join(dir, logName)
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, flip(log, len(log)/2), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(v int64) { verifyLogMax = v }(verifyLogMax)
	verifyLogMax = 0
	var notes noticeLog
	s, err := Open(ctx, dir, Options{ReadOnly: true, IndexThreshold: -1, Notice: notes.add})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.Get(recs[800].ID); ok {
		t.Error("Get returned a record whose row could not be read")
	}
	if _, ok := s.Get(recs[900].ID); ok {
		t.Error("Get returned a record whose row could not be read")
	}
	if got := notes.String(); strings.Count(got, "cannot be read whole either") != 2 {
		t.Errorf("notices %q, want two saying the log cannot be read either", got)
	}
	if s.t.lz.failed == nil || s.t.lz.full.Load() != nil {
		t.Error("the failed fallback was not kept")
	}
	ids := s.IDs()
	if len(ids) != n-256 || slices.Contains(ids, recs[800].ID) {
		t.Errorf("IDs: %d, want the %d of the readable chunks", len(ids), n-256)
	}
	for _, i := range []int{0, 767, 1024, n - 1} {
		if got, ok := s.Get(recs[i].ID); !ok || sameRecord(got, recs[i]) != "" {
			// A frame of the damaged log may be one of these: only
			// the row index's fallback is under test.
			if !strings.Contains(notes.String(), recs[i].ID) {
				t.Errorf("Get(%s): %v %s", recs[i].ID, ok, sameRecord(got, recs[i]))
			}
		}
	}
}
