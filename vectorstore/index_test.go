package vectorstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The index tests use 3,000 records of 32 dimensions in 20 noisy blobs and
// a threshold of 1,000, so that the store uses its index.
const (
	ixN         = 3000
	ixDim       = 32
	ixThreshold = 1000
	ixNoise     = 1.0
)

// blobRecords returns makeRecords's records with their embeddings replaced
// by points around 20 random centres (noise 0.5 per dimension against
// centres of unit variance): clustered like embeddings of papers.
func blobRecords(seed uint64, prefix string, n int) []Record {
	recs := makeRecords(seed, prefix, n, ixDim)
	rng := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float64, 20)
	for c := range centres {
		centres[c] = make([]float64, ixDim)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64()
		}
	}
	for i := range recs {
		recs[i].Embedding = blobVec(rng, centres[i%20])
	}
	return recs
}

func blobVec(rng *rand.Rand, centre []float64) []float32 {
	v := make([]float32, len(centre))
	var ss float64
	for j := range v {
		x := centre[j] + ixNoise*rng.NormFloat64()
		v[j] = float32(x)
		ss += x * x
	}
	for j := range v {
		v[j] = float32(float64(v[j]) / math.Sqrt(ss))
	}
	return v
}

// notices collects a store's notices.
type notices struct {
	mu  sync.Mutex
	msg []string
}

func (n *notices) add(m string) { n.mu.Lock(); n.msg = append(n.msg, m); n.mu.Unlock() }
func (n *notices) all() string  { n.mu.Lock(); defer n.mu.Unlock(); return strings.Join(n.msg, "\n") }

func openIndexed(t *testing.T, dir string, readOnly bool, nt *notices) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{ReadOnly: readOnly, IndexThreshold: ixThreshold, Notice: nt.add})
	if err != nil {
		t.Fatal(err)
	}
	if !readOnly {
		if err := s.SetEmbedder(testInfo(ixDim)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// recallAgainstScan returns the mean recall@k of s's queries against the
// exact scan, and fails the test on a hit whose score differs from the
// scan's score of that record.
func recallAgainstScan(t *testing.T, s *Store, qs [][]float32, k int, opts QueryOptions) float64 {
	t.Helper()
	ctx := context.Background()
	exact := opts
	exact.Exact = true
	var sum float64
	for i, q := range qs {
		got, err := s.Query(ctx, q, k, opts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Query(ctx, q, k, exact)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("query %d: %d hits, the scan %d", i, len(got), len(want))
		}
		hit := 0
		for _, g := range got {
			for _, w := range want {
				if g.ID == w.ID {
					hit++
					if g.Score != w.Score {
						t.Fatalf("query %d: %s scored %v, by the scan %v", i, g.ID, g.Score, w.Score)
					}
				}
			}
		}
		if len(want) > 0 {
			sum += float64(hit) / float64(len(want))
		}
	}
	t.Logf("recall %.4f", sum/float64(len(qs)))
	return sum / float64(len(qs))
}

func queries(seed uint64, n int) [][]float32 {
	recs := blobRecords(seed, "q", n)
	out := make([][]float32, n)
	for i := range recs {
		out[i] = recs[i].Embedding
	}
	return out
}

// TestIndexRecall checks the index against the exact scan, in the writer
// that built it and in a reader that loads it from its file: recall@10 ≥
// 0.95 (issue 14's target), with and without a filter that keeps a third
// of the records, and k hits for a filter that keeps 2% (scanned).
func TestIndexRecall(t *testing.T) {
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	recs := blobRecords(1, "p", ixN)
	mustAdd(t, s, recs)
	qs := queries(1, 100) // same centres (seed 1), other points
	if r := recallAgainstScan(t, s, qs, 10, QueryOptions{}); r < 0.95 {
		t.Errorf("writer: recall@10 = %.3f, want ≥ 0.95", r)
	}
	if s.idx.ix.Load() == nil {
		t.Fatal("the writer answered without an index")
	}
	mustClose(t, s)
	if _, err := os.Stat(filepath.Join(dir, indexName)); err != nil {
		t.Fatalf("Close saved no index: %v", err)
	}
	if !strings.Contains(nt.all(), "building the approximate index of 3000 records") {
		t.Errorf("the writer built the index without a notice: %q", nt.all())
	}

	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	for _, c := range []struct {
		name string
		opts QueryOptions
	}{
		{"all", QueryOptions{}},
		{"venue=kdd", QueryOptions{Where: Filter{"venue": "kdd"}}},
		{"exclude", QueryOptions{Exclude: []string{"p-000001", "p-000002"}}},
	} {
		if got := recallAgainstScan(t, r, qs, 10, c.opts); got < 0.95 {
			t.Errorf("reader, %s: recall@10 = %.3f, want ≥ 0.95", c.name, got)
		}
	}
	if r.idx.ix.Load() == nil {
		t.Fatal("the reader answered without the saved index")
	}
	// year=2003 and venue=sigir: 1 in 21 records, under 1/indexPatch.
	hits, err := r.Query(context.Background(), qs[0], 10, QueryOptions{Where: Filter{"venue": "sigir", "year": "2003"}})
	if err != nil || len(hits) != 10 {
		t.Fatalf("selective filter: %d hits (%v), want 10", len(hits), err)
	}
	if n := nt.all(); n != "" {
		t.Errorf("unexpected notices: %s", n)
	}
}

// TestIndexFollowsWrites checks that a loaded index follows Add (new and
// changed records) and Delete (with rows moving), and that after a
// reopen the saved index still matches: a record's own vector finds it
// first, a deleted record is never returned.
func TestIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	recs := blobRecords(2, "p", ixN)
	mustAdd(t, s, recs)
	qs := queries(2, 50)
	recallAgainstScan(t, s, qs[:1], 10, QueryOptions{}) // loads the index
	more := blobRecords(3, "n", 100)
	mustAdd(t, s, more)
	changed := slices.Clone(recs[:50])
	for i := range changed {
		changed[i].Content += " (revised)"
		changed[i].Embedding = more[i].Embedding
	}
	mustAdd(t, s, changed)
	var gone []string
	for i := 100; i < 400; i += 2 {
		gone = append(gone, recs[i].ID)
	}
	if err := s.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store, when string) {
		t.Helper()
		for _, r := range append(more[:20:20], changed[:20]...) {
			hits, err := s.Query(ctx, r.Embedding, 2, QueryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// changed[i] has more[i]'s vector: either may come first.
			if len(hits) == 0 || (hits[0].ID != r.ID && hits[1].ID != r.ID) {
				t.Fatalf("%s: %s's own vector finds %v", when, r.ID, hits)
			}
		}
		for _, q := range qs {
			hits, _ := s.Query(ctx, q, 10, QueryOptions{})
			for _, h := range hits {
				if slices.Contains(gone, h.ID) {
					t.Fatalf("%s: deleted %s returned", when, h.ID)
				}
			}
		}
		if r := recallAgainstScan(t, s, qs, 10, QueryOptions{}); r < 0.95 {
			t.Errorf("%s: recall@10 = %.3f, want ≥ 0.95", when, r)
		}
	}
	check(s, "writer")
	mustClose(t, s)
	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	check(r, "reader")
	if ix := r.idx.ix.Load(); ix == nil || !ix.byRank {
		t.Fatalf("the reader has no index, or did not map it by its stamp (%v)", ix != nil)
	}
	if n := nt.all(); n != "" {
		t.Errorf("unexpected notices: %s", n)
	}
	// Without the snapshot the rows are in the log's order, not by ID:
	// the stamp still holds, and the ranks go through the IDs' order.
	r.Close()
	if err := os.Remove(filepath.Join(dir, snapName)); err != nil {
		t.Fatal(err)
	}
	r = openIndexed(t, dir, true, &nt)
	defer r.Close()
	check(r, "reader without snapshot")
	if ix := r.idx.ix.Load(); ix == nil || !ix.byRank {
		t.Fatal("the reader without snapshot did not map the index by its stamp")
	}
}

// TestIndexStale checks an index file behind the log (a writer that did
// not bring it up to date, like one killed before Close): a reader adds
// the few missing records itself, and one far behind is not used (scan,
// with a notice).
func TestIndexStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(4, "p", ixN))
	mustClose(t, s)
	nt = notices{}
	// A writer that never uses the index: its Close leaves the file as is.
	w, err := Open(ctx, dir, Options{IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	few := blobRecords(5, "few", 50)
	mustAdd(t, w, few)
	mustClose(t, w)
	r := openIndexed(t, dir, true, &nt)
	for _, rec := range few[:10] {
		hits, err := r.Query(ctx, rec.Embedding, 1, QueryOptions{})
		if err != nil || len(hits) != 1 || hits[0].ID != rec.ID {
			t.Fatalf("record %s added after the index: its vector finds %v (%v)", rec.ID, hits, err)
		}
	}
	if ix := r.idx.ix.Load(); ix == nil || ix.byRank || nt.all() != "" {
		t.Fatalf("a reader did not patch an index 50 records behind, by its IDs (notices: %q)", nt.all())
	}
	r.Close()

	w, err = Open(ctx, dir, Options{IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, w, blobRecords(6, "many", ixN/4))
	mustClose(t, w)
	r = openIndexed(t, dir, true, &nt)
	defer r.Close()
	qs := queries(4, 20)
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got != 1 {
		t.Errorf("an index far behind: recall %.3f, want the exact scan (1)", got)
	}
	if r.idx.ix.Load() != nil || !strings.Contains(nt.all(), "out of date") {
		t.Errorf("an index far behind was used, or silently: notices %q", nt.all())
	}
}

// TestIndexDamage cuts the index file at random offsets and flips random
// bytes: a reader then answers exactly (the scan) and says why, and a
// writer rebuilds the index (with a notice) and saves a good one.
func TestIndexDamage(t *testing.T) {
	dir, path, good := indexedStore(t, 7, indexName)
	var nt notices
	qs := queries(7, 5)
	rest := indexRestOff(t, good)
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 10 {
		// Even trials cut the file, odd ones change a byte, the last one
		// a byte of the records' IDs and hashes. at: the first byte
		// damaged or missing.
		var bad []byte
		var at int
		switch {
		case trial%2 == 0:
			bad = good[:rng.IntN(len(good))]
			at = len(bad)
		default:
			at = rng.IntN(len(good))
			if trial == 9 {
				at = rest + rng.IntN(len(good)-rest)
			}
			bad = slices.Clone(good)
			bad[at] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		got := recallAgainstScan(t, r, qs, 10, QueryOptions{})
		if at >= rest+4 || at >= rest && at < len(bad) {
			// The IDs and hashes are not read when the stamp matches
			// (TestIndexStaleDamagedIDs: they are checked when it
			// does not): the intact graph is used.
			if got < 0.95 || r.idx.ix.Load() == nil || nt.all() != "" {
				t.Errorf("trial %d: byte %d of the IDs damaged: index used %v, recall %.3f, notices %q", trial, at, r.idx.ix.Load() != nil, got, nt.all())
			}
			r.Close()
			continue
		}
		if got != 1 || r.idx.ix.Load() != nil {
			t.Fatalf("trial %d: a damaged index was used (recall %.3f)", trial, got)
		}
		if !strings.Contains(nt.all(), indexName) {
			t.Errorf("trial %d: no notice naming the index file: %q", trial, nt.all())
		}
		r.Close()
	}
	if err := os.WriteFile(path, flip(good, rest/2), 0o600); err != nil { // the graph damaged
		t.Fatal(err)
	}
	nt = notices{}
	w := openIndexed(t, dir, false, &nt)
	if got := recallAgainstScan(t, w, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("rebuilt index: recall %.3f", got)
	}
	if !strings.Contains(nt.all(), "rebuilding") {
		t.Errorf("the writer rebuilt without a notice: %q", nt.all())
	}
	mustClose(t, w)
	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	recallAgainstScan(t, r, qs, 10, QueryOptions{})
	if r.idx.ix.Load() == nil || nt.all() != "" {
		t.Errorf("the rebuilt index was not saved or not usable: %q", nt.all())
	}
}

// indexedStore writes ixN blob records (seed) to a new store, whose
// writer saves its index, and returns the store, its file name (the
// index, its codes, the snapshot...) and that file's bytes.
func indexedStore(t *testing.T, seed uint64, name string) (dir, path string, data []byte) {
	t.Helper()
	dir = t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(seed, "p", ixN))
	mustClose(t, s)
	path = filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, data
}

// indexRestOff returns where the records' IDs and hashes start in an index
// file of version 2 or 3 (restOff in its header).
func indexRestOff(t *testing.T, b []byte) int {
	t.Helper()
	v, _ := indexHeader(t, b)
	return int(v[6])
}

// indexHeader returns the header fields of an index file of version 2 or
// 3 (dim, identity length, logBytes, tailCRC, live, nodes, restOff) and
// the header's length.
func indexHeader(t testing.TB, b []byte) (v [7]uint64, length int) {
	t.Helper()
	p := b[len(indexMagic):]
	for i := range v {
		x, k := binary.Uvarint(p)
		if k <= 0 {
			t.Fatal("bad index header")
		}
		p, v[i] = p[k:], x
		if i == 1 { // the identity's length, then its bytes
			p = p[x:]
		}
	}
	return v, len(b) - len(p)
}

// TestIndexStaleDamagedIDs damages the records' IDs of an index whose
// stamp no longer matches the log (a writer that did not keep the index
// added records): the IDs are read then, so the index is not used.
func TestIndexStaleDamagedIDs(t *testing.T) {
	ctx := context.Background()
	dir, path, good := indexedStore(t, 8, indexName)
	var nt notices
	bad := slices.Clone(good)
	bad[indexRestOff(t, good)+3] ^= 0x20
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, dir, Options{IndexThreshold: -1}) // leaves the index alone
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, w, blobRecords(9, "x", 5))
	mustClose(t, w)
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	if got := recallAgainstScan(t, r, queries(8, 5), 10, QueryOptions{}); got != 1 || r.idx.ix.Load() != nil {
		t.Errorf("an index with damaged IDs was used under a stale stamp (recall %.3f)", got)
	}
	if !strings.Contains(nt.all(), "IDs: damaged") {
		t.Errorf("notices %q, want one saying the IDs are damaged", nt.all())
	}
}

// TestIndexBatch checks that QueryBatch through the index (queries shared
// between goroutines) gives exactly the hits of single queries.
func TestIndexBatch(t *testing.T) {
	ctx := context.Background()
	var nt notices
	s := openIndexed(t, t.TempDir(), false, &nt)
	defer s.Close()
	mustAdd(t, s, blobRecords(8, "p", ixN))
	qs := queries(8, 30)
	batch, err := s.QueryBatch(ctx, qs, 10, QueryOptions{Where: Filter{"venue": "chi"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range qs {
		one, err := s.Query(ctx, q, 10, QueryOptions{Where: Filter{"venue": "chi"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one, batch[i]) {
			t.Fatalf("query %d: batch %v, alone %v", i, batch[i], one)
		}
	}
	if s.idx.ix.Load() == nil {
		t.Fatal("no index was used")
	}
}

// writeIndexV1 writes ix as papermap wrote index files of version 1 (the
// graph in ann's compact encoding, each node's ID and hash, the dead
// nodes' vectors, a CRC-32C).
func writeIndexV1(t *testing.T, path string, ix *annIndex, identity string) {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	b := append([]byte(nil), indexMagicV1...)
	b = binary.AppendUvarint(b, uint64(ix.t.dim))
	b = appendString(b, identity)
	b = binary.AppendUvarint(b, 0)
	b = binary.AppendUvarint(b, uint64(ix.t.n()))
	w.Write(b)
	if err := ix.g.Encode(w); err != nil {
		t.Fatal(err)
	}
	for node := range ix.g.Len() {
		row := ix.nodeRow[node]
		r, err := ix.t.row(int(row))
		if err != nil {
			t.Fatal(err)
		}
		h, _ := hex.DecodeString(r.hash)
		w.Write(append(appendString(nil, r.id), h...))
	}
	w.Write([]byte{0})
	w.Flush()
	data := binary.LittleEndian.AppendUint32(buf.Bytes(), crc32.Checksum(buf.Bytes(), crcTable))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestIndexV1 checks that an index file of version 1 is still used by a
// reader (its nodes checked by ID and hash), and rewritten in version 2
// by the next writer.
func TestIndexV1(t *testing.T) {
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(9, "p", ixN))
	qs := queries(9, 50)
	recallAgainstScan(t, s, qs[:1], 10, QueryOptions{}) // builds the index
	path := filepath.Join(dir, indexName)
	writeIndexV1(t, path+".v1", s.idx.ix.Load(), s.indexIdentity())
	mustClose(t, s)
	if err := os.Rename(path+".v1", path); err != nil {
		t.Fatal(err)
	}
	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("version 1 index: recall %.3f", got)
	}
	if ix := r.idx.ix.Load(); ix == nil || ix.byRank || nt.all() != "" {
		t.Fatalf("the version 1 index was not used, or not by its IDs (notices %q)", nt.all())
	}
	r.Close()
	w := openIndexed(t, dir, false, &nt)
	recallAgainstScan(t, w, qs[:1], 10, QueryOptions{})
	mustClose(t, w)
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, indexMagic) {
		t.Fatalf("the writer did not rewrite the index in version 3 (%v)", err)
	}
	r = openIndexed(t, dir, true, &nt)
	defer r.Close()
	recallAgainstScan(t, r, qs[:1], 10, QueryOptions{})
	if ix := r.idx.ix.Load(); ix == nil || !ix.byRank {
		t.Error("the rewritten index was not loaded by its stamp")
	}
}

// TestIndexCheckpoint checks that a build saves its progress between
// slices, and that a writer finding the saved part of an interrupted
// build inserts the rest instead of starting again.
func TestIndexCheckpoint(t *testing.T) {
	defer func(s int, c time.Duration) { indexSlice, indexCheckpoint = s, c }(indexSlice, indexCheckpoint)
	indexSlice, indexCheckpoint = 500, 0
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	defer s.Close()
	mustAdd(t, s, blobRecords(10, "p", ixN))
	// A build interrupted after its first checkpoint, as by a kill.
	ctx, cancel := context.WithCancel(context.Background())
	saves := 0
	save := s.indexCheckpointer()
	s.mu.Lock()
	_, err := buildIndex(ctx, s.t, func(ix *annIndex) { save(ix); saves++; cancel() })
	s.mu.Unlock()
	if err == nil || saves != 1 {
		t.Fatalf("the interrupted build: %v after %d checkpoints", err, saves)
	}
	nt = notices{}
	mustClose(t, s) // brings the index up to date from what was saved
	if n := nt.all(); !strings.Contains(n, "adding 2500 records") || strings.Contains(n, "building") {
		t.Errorf("Close did not continue the saved build (500 of 3000 records): notices %q", n)
	}
	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	if got := recallAgainstScan(t, r, queries(10, 50), 10, QueryOptions{}); got < 0.95 {
		t.Errorf("the build continued from its checkpoint: recall %.3f", got)
	}
	if ix := r.idx.ix.Load(); ix == nil || !ix.byRank || nt.all() != "" {
		t.Errorf("the continued index was not saved whole (notices %q)", nt.all())
	}
}

// TestIndexWalkDamagedMatrix damages vectors of the snapshot's matrix
// (records.idx) under a saved index: the graph walk reads rows without
// checking their chunks (annIndex.Vec), so it meets damaged rows, but
// every hit must still have the score of the log's vector (the scan's,
// after the chunk is read again from the log) and the recall must stay.
// Queries run in parallel, so that chunks are rewritten from the log
// while other walks run (table.walk's lock keeps them apart; the race
// detector does not see the mapped matrix, so this test checks the
// answers, not the lock).
func TestIndexWalkDamagedMatrix(t *testing.T) {
	dir, path, good := indexedStore(t, 9, snapName)
	var nt notices
	bad := slices.Clone(good)
	vecOff := len(good) - ixN*ixDim*4
	rng := rand.New(rand.NewPCG(13, 14))
	for range 40 { // rows scattered over the matrix, each made far from its vector
		row := rng.IntN(ixN)
		for j := range ixDim {
			binary.LittleEndian.PutUint32(bad[vecOff+4*(row*ixDim+j):], math.Float32bits(float32(rng.NormFloat64())))
		}
	}
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	// The truth: the exact scan of a store read from the log alone.
	ref := filepath.Join(t.TempDir(), "ref")
	if err := os.CopyFS(ref, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(ref, snapName))
	truth := openIndexed(t, ref, true, &notices{})
	defer truth.Close()

	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	qs := queries(9, 64)
	ctx := context.Background()
	got := make([][]Hit, len(qs))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(qs); i += 4 {
				h, err := r.Query(ctx, qs[i], 10, QueryOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = h
			}
		})
	}
	wg.Wait()
	if r.idx.ix.Load() == nil {
		t.Fatal("the index was not used")
	}
	var recall float64
	for i, q := range qs {
		want, err := truth.Query(ctx, q, 10, QueryOptions{Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		score := map[string]float32{}
		for _, h := range want {
			score[h.ID] = h.Score
		}
		for _, h := range got[i] {
			if sc, ok := score[h.ID]; ok {
				recall++
				if sc != h.Score {
					t.Fatalf("query %d: %s scored %v, by the log's vector %v", i, h.ID, h.Score, sc)
				}
			}
		}
	}
	recall /= float64(10 * len(qs))
	if recall < 0.95 {
		t.Errorf("recall %.3f against the scan of the log's vectors", recall)
	}
	// Every hit's score is the log's: compare with the scan of the
	// damaged store too, whose chunks are all read again by now.
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("recall %.3f against the reader's own scan", got)
	}
	if !strings.Contains(nt.all(), "fail their checksum") {
		t.Errorf("no notice of the damaged rows: %q", nt.all())
	}
}

// TestIndexCloseContext stops a writer's Close in its index build (as
// papermap does on SIGINT or SIGTERM): the snapshot and the manifest are
// written before the build starts, CloseContext returns without error and
// without the index, with a notice, and the next writer builds it.
func TestIndexCloseContext(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(11, "p", ixN))
	cctx, cancel := context.WithCancel(ctx)
	var snapAtBuild string
	s.opts.Notice = func(m string) {
		nt.add(m)
		if strings.Contains(m, "building the approximate index") {
			// The snapshot is on disk, covering the whole log, before
			// the build begins: a kill now costs only the index.
			b, err := os.ReadFile(filepath.Join(dir, snapName))
			switch {
			case err != nil:
				snapAtBuild = err.Error()
			case !bytes.HasPrefix(b, snapMagic) || int64(binary.LittleEndian.Uint64(b[32:])) != logSize(t, dir):
				snapAtBuild = "a snapshot that does not cover the log"
			default:
				snapAtBuild = "ok"
			}
			cancel()
		}
	}
	if err := s.CloseContext(cctx); err != nil {
		t.Fatalf("CloseContext: %v", err)
	}
	if snapAtBuild != "ok" {
		t.Errorf("the snapshot when the build began: %s", snapAtBuild)
	}
	if _, err := os.Stat(filepath.Join(dir, indexName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("index file after a stopped build: %v", err)
	}
	if n := nt.all(); !strings.Contains(n, "was not finished") || !strings.Contains(n, "next write builds it") {
		t.Errorf("notices %q, want one saying the index was not finished", n)
	}

	nt = notices{}
	r := openIndexed(t, dir, true, &nt)
	if !r.fromSnap || r.Len() != ixN {
		t.Errorf("reader after the stopped build: snapshot used %v, %d records", r.fromSnap, r.Len())
	}
	if hits, err := r.Query(ctx, queries(11, 1)[0], 10, QueryOptions{}); err != nil || len(hits) != 10 {
		t.Errorf("query without the index: %v %v", hits, err)
	}
	mustClose(t, r)
	if n := nt.all(); !strings.Contains(n, "searching every vector instead") {
		t.Errorf("reader's notices %q, want one saying it scans", n)
	}

	nt = notices{}
	w := openIndexed(t, dir, false, &nt)
	mustClose(t, w)
	if _, err := os.Stat(filepath.Join(dir, indexName)); err != nil || !strings.Contains(nt.all(), "building the approximate index") {
		t.Errorf("the next writer did not build the index: %v, notices %q", err, nt.all())
	}
}

// indexLists returns, for an index file of version 3, where the layer-0
// lists start, how many bytes one node's take, and the graph's entry node.
func indexLists(t testing.TB, b []byte) (l0, perNode, entry int) {
	t.Helper()
	if !bytes.HasPrefix(b, indexMagic) {
		t.Fatal("not an index file of version 3")
	}
	v, length := indexHeader(t, b)
	n := int(v[5])
	graph := int(pad8(int64(length)) + pad8(4*int64((n+7)/8)))
	m := int(binary.LittleEndian.Uint32(b[graph+8:]))
	entry = int(int64(binary.LittleEndian.Uint64(b[graph+40:])))
	return graph + 56 + int(pad8(int64(n))) + 8*((n+63)/64), 4 * (2*m + 1), entry
}

// TestIndexChunkDamage damages one chunk of the graph's lists (version 3:
// checked when a walk first meets them): a reader whose walk meets the
// chunk answers exactly (the scan) with a notice naming the file and
// scans from then on; a reader whose walks do not meet it uses the index
// (the damage is still there for CheckLists to find: it was never read).
// A writer checks every chunk and rebuilds (TestIndexDamage, whose last
// damage is in the lists).
func TestIndexChunkDamage(t *testing.T) {
	dir, path, good := indexedStore(t, 7, indexName)
	var nt notices
	l0, per, entry := indexLists(t, good)
	const chunk = 8 // ann.FlatChunk
	last := (ixN - 1) / chunk
	qs := queries(7, 5)
	rng := rand.New(rand.NewPCG(5, 6))
	met := 0
	for trial, c := range []int{entry / chunk, 0, last, rng.IntN(last), rng.IntN(last), rng.IntN(last), rng.IntN(last), rng.IntN(last)} {
		node := c*chunk + rng.IntN(min(chunk, ixN-c*chunk))
		if err := os.WriteFile(path, flip(good, l0+node*per+rng.IntN(per)), 0o600); err != nil {
			t.Fatal(err)
		}
		nt = notices{}
		r := openIndexed(t, dir, true, &nt)
		// A small candidate list meets fewer chunks. The query whose
		// walk meets the damage, and every later one, must be exact.
		opts := QueryOptions{IndexEf: 10 + 100*(trial%3)}
		for i := range qs {
			before := nt.all() != ""
			got := recallAgainstScan(t, r, qs[i:i+1], 10, opts)
			switch {
			case nt.all() != "" && !before:
				met++
				if !strings.Contains(nt.all(), indexName) || !strings.Contains(nt.all(), "damaged") {
					t.Errorf("trial %d (chunk %d): notice %q", trial, c, nt.all())
				}
				fallthrough
			case before:
				if got != 1 || r.idx.ix.Load() != nil {
					t.Errorf("trial %d (chunk %d), query %d: after the damage was met: recall %.3f, index kept %v", trial, c, i, got, r.idx.ix.Load() != nil)
				}
			case got < 0.8:
				t.Errorf("trial %d (chunk %d), query %d: recall %.3f through the index", trial, c, i, got)
			}
		}
		if ix := r.idx.ix.Load(); nt.all() == "" && (ix == nil || ix.g.CheckLists() == nil) {
			t.Errorf("trial %d (chunk %d): no notice, and the index was dropped or its damage is gone", trial, c)
		}
		if trial == 0 && nt.all() == "" {
			t.Errorf("the entry node's chunk is met by every walk: no notice")
		}
		r.Close()
	}
	t.Logf("%d of 8 damaged chunks met by the walks", met)
}

// TestIndexPrepareQuery checks that PrepareQuery loads a reader's index in
// the background (queries racing with the load get the same hits as a
// store that loads it itself), and starts nothing for a writer.
func TestIndexPrepareQuery(t *testing.T) {
	ctx := context.Background()
	dir, _, _ := indexedStore(t, 9, indexName)
	qs := queries(9, 8)
	var nt notices
	plain := openIndexed(t, dir, true, &nt)
	defer plain.Close()
	want, err := plain.QueryBatch(ctx, qs, 10, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := openIndexed(t, dir, true, &nt)
	r.PrepareQuery(ctx)
	got := make([][][]Hit, 2)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], _ = r.QueryBatch(ctx, qs, 10, QueryOptions{}) })
	}
	wg.Wait()
	for i := range got {
		if !slices.EqualFunc(got[i], want, slices.Equal) {
			t.Errorf("goroutine %d: hits differ from a store without PrepareQuery", i)
		}
	}
	mustClose(t, r)
	r = openIndexed(t, dir, true, &nt)
	r.PrepareQuery(ctx)
	for deadline := time.Now().Add(10 * time.Second); r.idx.ix.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("PrepareQuery did not load the index within 10 s")
		}
	}
	mustClose(t, r)
	if nt.all() != "" {
		t.Errorf("notices: %q", nt.all())
	}
	// A writer of a store without an index file would build it: nothing
	// starts.
	if err := os.Remove(filepath.Join(dir, indexName)); err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, dir, Options{IndexThreshold: ixThreshold})
	if err != nil {
		t.Fatal(err)
	}
	w.PrepareQuery(ctx)
	time.Sleep(100 * time.Millisecond)
	// A load started would hold idx.mu for the build, or have ended it
	// with the index set.
	if w.idx.ix.Load() != nil || !w.idx.mu.TryLock() {
		t.Error("PrepareQuery started a writer's index load (a build)")
	} else {
		w.idx.mu.Unlock()
	}
	if err := w.CloseContext(canceled()); err != nil {
		t.Fatal(err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// indexV2 returns an index file of version 3 as version 2 wrote it: no
// checksums of the lists, the first checksum over the whole graph.
func indexV2(t *testing.T, b []byte) []byte {
	t.Helper()
	v, length := indexHeader(t, b)
	n, restOff := int(v[5]), int(v[6])
	graph := int(pad8(int64(length)) + pad8(4*int64((n+7)/8)))
	body := b[graph : restOff-4] // graph, ranks, dead
	hdr := slices.Clone(indexMagicV2)
	p := b[len(indexMagic):]
	for i := range 6 { // all but restOff, the identity's bytes after its length
		x, k := binary.Uvarint(p)
		hdr, p = binary.AppendUvarint(hdr, x), p[k:]
		if i == 1 {
			hdr, p = append(hdr, p[:x]...), p[x:]
		}
	}
	var out []byte
	for w := 1; ; w++ {
		out = binary.AppendUvarint(slices.Clone(hdr), uint64(pad8(int64(len(hdr)+w))+int64(len(body))+4))
		if len(out) == len(hdr)+w {
			break
		}
	}
	out = append(out, make([]byte, pad8(int64(len(out)))-int64(len(out)))...)
	out = append(out, body...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
	return append(out, b[restOff:]...)
}

// TestIndexV2 checks that an index file of version 2 is read (checked
// whole) and used by a reader, and rewritten in version 3 by a writer,
// with a notice; damage to its graph is still found.
func TestIndexV2(t *testing.T) {
	dir, path, good := indexedStore(t, 10, indexName)
	v2 := indexV2(t, good)
	if err := os.WriteFile(path, v2, 0o600); err != nil {
		t.Fatal(err)
	}
	qs := queries(10, 20)
	var nt notices
	r := openIndexed(t, dir, true, &nt)
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("version 2 index: recall %.3f", got)
	}
	if ix := r.idx.ix.Load(); ix == nil || !ix.byRank || nt.all() != "" {
		t.Fatalf("the version 2 index was not used by its stamp (notices %q)", nt.all())
	}
	mustClose(t, r)
	rest := indexRestOff(t, v2)
	if err := os.WriteFile(path, flip(v2, rest/2), 0o600); err != nil { // the graph
		t.Fatal(err)
	}
	r = openIndexed(t, dir, true, &nt)
	if got := recallAgainstScan(t, r, qs[:3], 10, QueryOptions{}); got != 1 || r.idx.ix.Load() != nil || !strings.Contains(nt.all(), "checksum mismatch") {
		t.Errorf("a damaged version 2 graph: recall %.3f, used %v, notices %q", got, r.idx.ix.Load() != nil, nt.all())
	}
	mustClose(t, r)
	if err := os.WriteFile(path, v2, 0o600); err != nil {
		t.Fatal(err)
	}
	nt = notices{}
	w := openIndexed(t, dir, false, &nt)
	recallAgainstScan(t, w, qs[:1], 10, QueryOptions{})
	mustClose(t, w)
	if !strings.Contains(nt.all(), "version 2") || strings.Contains(nt.all(), "rebuilding") {
		t.Errorf("the writer's notices %q, want one saying it rewrites version 2 (not a rebuild)", nt.all())
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, indexMagic) {
		t.Fatalf("the writer did not rewrite the index in version 3 (%v)", err)
	}
	nt = notices{}
	r = openIndexed(t, dir, true, &nt)
	defer r.Close()
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 || r.idx.ix.Load() == nil || nt.all() != "" {
		t.Errorf("the rewritten index: recall %.3f, used %v, notices %q", got, r.idx.ix.Load() != nil, nt.all())
	}
}

// FuzzIndex changes a byte of a saved index file (version 3) and cuts it:
// a reader's answers keep the scan's scores, and recall stays that of an
// intact graph or the scan's (a damaged chunk the walk meets is never
// read: the scan answers), without a panic.
func FuzzIndex(f *testing.F) {
	dir := f.TempDir()
	var nt notices
	s, err := Open(context.Background(), dir, Options{IndexThreshold: ixThreshold, Notice: nt.add})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.SetEmbedder(testInfo(ixDim)); err != nil {
		f.Fatal(err)
	}
	if _, err := s.Add(context.Background(), blobRecords(12, "p", 1200)); err != nil {
		f.Fatal(err)
	}
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, indexName))
	if err != nil {
		f.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range []string{logName, manifestName, snapName} {
		if files[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			f.Fatal(err)
		}
	}
	// Seeds: the header, the list checksums, the graph's header and
	// layers, lists near the start and the end, the ranks, the two
	// checksums and the IDs; cuts.
	l0, per, _ := indexLists(f, good)
	v, length := indexHeader(f, good)
	rest := int(v[6])
	for _, at := range []int{3, length - 1, length + 4, l0 - 100, l0 + 5, l0 + 77*per + 9, rest - 200, rest - 9, rest - 2, rest + 5, len(good) - 2} {
		f.Add(uint32(at), byte(0x40), uint32(0))
	}
	f.Add(uint32(0), byte(0), uint32(l0+500))
	f.Add(uint32(0), byte(0), uint32(len(good)-1))
	qs := queries(12, 4)
	f.Fuzz(func(t *testing.T, at uint32, xor byte, cut uint32) {
		b := slices.Clone(good)
		if int(at) < len(b) {
			b[at] ^= xor
		}
		if cut > 0 && int(cut) < len(b) {
			b = b[:cut]
		}
		d := t.TempDir()
		files[indexName] = b
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(d, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var nt notices
		r, err := Open(context.Background(), d, Options{ReadOnly: true, IndexThreshold: ixThreshold, Notice: nt.add})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.8 {
			t.Errorf("recall %.3f (notices %q)", got, nt.all())
		}
	})
}

// TestGraphEf checks the default candidate list against the values its
// rules document (DefaultIndexEf's and graphEf's comments, from
// bench/RESULTS.md's measurements): for the graph the store builds (M 24),
// 300 up to 100,000 records and 300·(n/100,000)^0.56 above; for a graph of
// M 16, twice the rule of graphs built node by node, 256·(n/100,000)^0.5.
func TestGraphEf(t *testing.T) {
	for _, c := range []struct{ n, m, want int }{
		{0, indexM, 300},
		{50_000, indexM, 300},
		{100_000, indexM, 300},
		{200_000, indexM, 443},
		{1_000_000, indexM, 1090},
		{1_000_000, 32, 1090},
		{100_000, 16, 512},
		{1_000_000, 16, 1620},
	} {
		if got := graphEf(c.n, c.m); got != c.want {
			t.Errorf("graphEf(%d, M %d) = %d, want %d", c.n, c.m, got, c.want)
		}
		if c.m == indexM && DefaultIndexEf(c.n) != c.want {
			t.Errorf("DefaultIndexEf(%d) = %d, want %d", c.n, DefaultIndexEf(c.n), c.want)
		}
	}
}

// TestIndexBatchBuild checks a writer's build in batch (IndexSettings:
// ann.CodeOptions.Batch, its threshold lowered to this size): it is one
// build, not split into checkpointed slices; the writer and, after a
// reopen, a reader find the top 10 of the scan (recall ≥ 0.95); records
// added later are inserted one by one into the batch-built graph; and
// Store.IndexEf gives the default candidate list of the loaded graph.
func TestIndexBatchBuild(t *testing.T) {
	defer func(f, s int) { indexBatchFrom, indexSlice = f, s }(indexBatchFrom, indexSlice)
	indexBatchFrom, indexSlice = 1000, 500
	dir := t.TempDir()
	var nt notices
	s := openIndexed(t, dir, false, &nt)
	mustAdd(t, s, blobRecords(11, "p", ixN))
	saves := 0
	s.mu.Lock()
	ix, err := buildIndex(context.Background(), s.t, func(*annIndex) { saves++ })
	s.mu.Unlock()
	if err != nil || saves != 0 {
		t.Fatalf("batch build: %v, %d checkpoints (want one build, none)", err, saves)
	}
	if ix.g.Len() != ixN {
		t.Fatalf("the batch build has %d nodes, want %d", ix.g.Len(), ixN)
	}
	qs := queries(11, 100)
	if r := recallAgainstScan(t, s, qs, 10, QueryOptions{}); r < 0.95 {
		t.Errorf("writer: recall@10 = %.3f, want ≥ 0.95", r)
	}
	mustAdd(t, s, blobRecords(12, "q", 200))
	if r := recallAgainstScan(t, s, qs, 10, QueryOptions{}); r < 0.95 {
		t.Errorf("writer after 200 more records: recall@10 = %.3f, want ≥ 0.95", r)
	}
	mustClose(t, s)
	r := openIndexed(t, dir, true, &nt)
	defer r.Close()
	if got := recallAgainstScan(t, r, qs, 10, QueryOptions{}); got < 0.95 {
		t.Errorf("reader: recall@10 = %.3f, want ≥ 0.95", got)
	}
	if r.idx.ix.Load() == nil {
		t.Fatal("the reader answered without the saved index")
	}
	if got, want := r.IndexEf(), DefaultIndexEf(ixN+200); got != want {
		t.Errorf("IndexEf = %d, want %d", got, want)
	}
}
