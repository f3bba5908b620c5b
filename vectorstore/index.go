package vectorstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/papermap/papermap/internal/safefile"
	"github.com/papermap/papermap/vectorstore/ann"
)

// The approximate index (package vectorstore/ann, an HNSW graph) over the
// store's vectors. It is derived data: the log is the truth, and the index
// is only ever used for the records it is checked to cover.
//
// Everything the rest of the package calls is in this file: indexFor (in
// QueryBatch), indexRetire, indexMove and indexAdded (in Add and Delete,
// under mu), and indexClose (in Close).

// indexName is the index's file in the store directory.
const indexName = "index.hnsw"

// DefaultIndexThreshold is the default of Options.IndexThreshold: from
// this many records on, Query searches the approximate index instead of
// scanning every vector. The line is where the scan leaves issue 14's
// 5 ms median: it scanned 100,000 × 384 in 10 ms per query on 2026-11-27
// (bench/RESULTS.md, "Side by side"), so about 5 ms at 50,000, and less
// at 256 dimensions. Above it the index pays for itself at once: on
// 60,000 ACM abstracts (256 dims) its build took 18.6 s of CPU at the
// ingest's close, and a query 0.81 ms against the scan's 39.9 ms on the
// loaded machine of 2026-12-06 (bench/RESULTS.md, "Approximate index").
// Below it, the scan is fast enough and an ingest builds nothing.
const DefaultIndexThreshold = 50_000

// DefaultIndexEf returns the candidate list of an index search over n
// records, the default of QueryOptions.IndexEf: 300 up to 100,000
// records, then 300·(n/100,000)^0.56 (443 at 200,000, 1,090 at a
// million). It is set for the harder queries, new texts rather than
// stored papers' own vectors, on the graph the store builds
// (IndexSettings: M 24, the bottom layer built in batch over codes with
// Vamana's α 1.2, ann.BatchOptions), measured on 2026-12-07 with the 1M
// corpus's real 384-dim embeddings and 200 new papers as queries
// (bench/RESULTS.md, "The index build in batch"): recall@10 0.944 at 256
// and 0.979 at 512 over 100,000; 0.948 at 384 and 0.963 at 512 over
// 200,000; 0.9505 at 1,024 (3.1 ms) and 0.9585 at 1,280 (3.6 ms) over a
// million, on the loaded machine (a build node by node, efConstruction
// 100, found 0.9535 at 768 in 2.4 ms, for four times the build time).
// Graphs built node by node with M 24 (before 2026-12-07) get this list
// too, a little more than they need; those of M 16 keep their own rule
// (graphEf).
func DefaultIndexEf(n int) int {
	const base, from = 300, 100_000
	if n <= from {
		return base
	}
	return int(math.Ceil(base * math.Pow(float64(n)/from, 0.56)))
}

// graphEf is the default candidate list of a search over n records in a
// graph of degree m: DefaultIndexEf(n), and for a graph of M 16 (built
// node by node before 2026-12-07), which needs about twice the candidates
// of one of M 24 built node by node (384 against 192 at 100,000), twice
// the rule those had, 256·(n/100,000)^0.5 above 100,000 (1,620 at a
// million).
func graphEf(n, m int) int {
	if m < indexM {
		const base, from = 256, 100_000
		return 2 * int(math.Ceil(base*math.Sqrt(max(float64(n), from)/from)))
	}
	return DefaultIndexEf(n)
}

const (
	indexM    = 24
	indexSeed = 1
)

// indexEfConstruction is the candidate list of an insertion
// (ann.Options.EfConstruction), which the build's time is about
// proportional to. 64 was measured against 100 and 48 on the 1M corpus's
// real 384-dim embeddings, new papers as queries (bench/RESULTS.md, "The
// index build at 1M × 384"): it builds in 0.45-0.5 times the CPU of 100
// but needs about 1.7 times the candidates for the same recall. Through
// the store at 1M × 256 (the lexical default), each measured right after
// its build in the same conditions, a graph of 64 found 0.9745 of the top
// 10 at ef 1,536 in 6.1 ms, one of 100 found 0.976 at ef 768 in 4.5 ms
// (bench/RESULTS.md, "The index at 1M × 256 on the product path"): the
// store keeps 100, as a build is paid once and the candidates at every
// query.
const indexEfConstruction = 100

// indexBatchFrom is the smallest build done in batch (ann.BatchOptions.From;
// 0: its default, 50,000); a variable for the tests.
var indexBatchFrom = 0

// IndexSettings returns the settings the store builds its index with: the
// graph's (ann.New) and its codes' (ann.Index.UseCodes, with a quantizer
// trained on the records' vectors by ann.TrainQuantizer). They have this
// one home so that a benchmark of the index alone (bench/ann -store,
// bench/side's case 7) measures the index the store builds.
func IndexSettings() (ann.Options, ann.CodeOptions) {
	return ann.Options{M: indexM, EfConstruction: indexEfConstruction, Seed: indexSeed},
		ann.CodeOptions{Build: true, Batch: &ann.BatchOptions{From: indexBatchFrom}}
}

// indexPatch bounds the repair of an index found out of date: a reader
// inserts the missing records itself when they are at most 1/indexPatch
// of the store (more would take it longer than many exact scans), and a
// writer rebuilds the graph from scratch when more than half its nodes
// are dead.
const indexPatch = 16

// indexSlice is the smallest slice of a build (ann.Index.Build's batch),
// a quarter of the nodes already built up to indexSliceMax: between
// slices the build checks its context and may save its progress, so
// indexSliceMax bounds how long a cancelled build runs on (16,384 records
// are some 12 s of CPU at a million: bench/RESULTS.md, "The index at a
// million", 753 s for 1M).
// indexCheckpoint is how often a writer's build saves what it has built
// so far, so that a build killed or interrupted (a million records take
// minutes) is continued by the next writer instead of started again.
// Variables for the tests.
var (
	indexSlice      = 4096
	indexSliceMax   = 16384
	indexCheckpoint = time.Minute
)

// indexMagic starts the index file (version 3); indexMagicV2 and
// indexMagicV1 older ones, still read.
var (
	indexMagic   = []byte("papermap-hnsw v3\n")
	indexMagicV2 = []byte("papermap-hnsw v2\n")
)

// annIndex is the loaded index: the graph and which record each node is.
type annIndex struct {
	g       *ann.Index
	t       *table
	nodeRow []int32             // node → row, -1 when the node is dead
	rowNode []int32             // row → node
	gone    map[int32][]float32 // vectors of dead nodes, which still route searches
	zero    []float32           // the vector of a dead node whose vector is lost
	dirty   bool                // differs from the file
	byRank  bool                // loaded by its stamp, without reading IDs (for tests)
	// checkpoint, when set (a writer), is called between the slices of
	// a build with what is built so far.
	checkpoint func(*annIndex)
	notice     func(string) // the store's Options.Notice
	codes      *indexCodes  // the nodes' 8-bit codes, nil: walk over the vectors (indexcodes.go)
	// advise: Vec asks for the row's chunk ahead of its reading
	// (table.adviseRows): a reader's walk over codes reads few rows,
	// each from a cold matrix at worst.
	advise bool
}

// Vec implements ann.Vectors: a live node's vector is its row of the
// store's matrix, not a copy. A row of a mapped snapshot is read without
// checking its chunk's checksum (table.ready): a walk through the graph of
// a million records meets rows in most of the matrix's chunks, and
// checking them made one query read the whole matrix (1 GB) from the
// page cache. An unchecked row can only lead the walk astray: the rows the
// walk returns are checked, read again from the log if damaged, and
// scored again by the exact scan's kernel (queryIndex). Walks run inside
// table.walk, so that no chunk is rewritten under them.
func (ix *annIndex) Vec(node int32) []float32 {
	if r := ix.nodeRow[node]; r >= 0 {
		if ix.advise {
			ix.t.adviseRows(r)
		}
		return ix.t.vec(int(r))
	}
	if v, ok := ix.gone[node]; ok {
		return v
	}
	return ix.zero
}

// indexState is the Store's part for the index.
type indexState struct {
	ix     atomic.Pointer[annIndex] // nil until loaded
	mu     sync.Mutex               // serialises loading
	failed bool                     // a reader could not use the file: scan, and say so once
	// unmaps release the index files mapped so far (readIndex): a graph
	// loaded from one uses the mapping in place, so they are released
	// only when the store is (indexRelease). Guarded by mu.
	unmaps []func() error
	// fetching are the goroutines asking for a reader's mapped index
	// file ahead of its reads (prefetchCold); stop ends them.
	fetching sync.WaitGroup
	stop     atomic.Bool
	// early are the index files mapped ahead of their reading (mapEarly),
	// by path. Guarded by mu.
	early map[string]earlyMap
}

// indexRelease unmaps the index files read by the store, which is closed
// (no index is used any more).
func (s *Store) indexRelease() error {
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	s.idx.ix.Store(nil)
	s.idx.stop.Store(true)
	s.idx.fetching.Wait()
	var errs []error
	for _, unmap := range s.idx.unmaps {
		errs = append(errs, unmap())
	}
	s.idx.unmaps = nil
	s.idx.early = nil
	return errors.Join(errs...)
}

func (s *Store) indexThreshold() int {
	switch t := s.opts.IndexThreshold; {
	case t == 0:
		return DefaultIndexThreshold
	case t < 0:
		return math.MaxInt
	default:
		return t
	}
}

// indexIdentity names the store an index was made for: its embedder and
// the creation time of its manifest. A store rebuilt by Replace (reindex,
// lexical refit) has a new creation time, so an index of its old vectors
// that Replace carried over is not taken for its own even where the
// records' hashes (of contents, not vectors) match.
func (s *Store) indexIdentity() string {
	e := s.manifest.Embedder
	return fmt.Sprintf("%s/%s/%d/%d", e.Backend, e.Model, e.Dimensions, s.manifest.Created.UnixNano())
}

func (s *Store) indexNotice(format string, args ...any) {
	if s.opts.Notice != nil {
		s.opts.Notice(fmt.Sprintf(format, args...))
	}
}

// indexFor returns the index to answer a query with, or nil for the exact
// scan: when the store is below the threshold, when asked for an exact
// search, or when no index can be had (a reader with no usable file). The
// caller holds mu for reading.
func (s *Store) indexFor(ctx context.Context, exact bool) *annIndex {
	if exact || s.t.n() < s.indexThreshold() {
		return nil
	}
	if ix := s.idx.ix.Load(); ix != nil {
		return ix
	}
	if !s.readOnly || !s.hasCodes() {
		s.t.populate() // while the index loads: a walk over vectors reads rows all over the matrix
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if ix := s.idx.ix.Load(); ix != nil || s.idx.failed {
		return ix
	}
	ix, err := s.loadIndex(ctx, !s.readOnly)
	if err != nil {
		s.idx.failed = true
		s.indexNotice("vectorstore: %v; searching every vector instead (exact, slower); the next write to %s rebuilds the index", err, s.dir)
		return nil
	}
	s.idx.ix.Store(ix)
	return ix
}

// IndexEf returns the candidate list that a query with
// QueryOptions.IndexEf 0 searches the loaded index with (the default for
// its graph, graphEf), or DefaultIndexEf(Len()) while no index is loaded.
func (s *Store) IndexEf() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.t.n()
	if ix := s.idx.ix.Load(); ix != nil {
		return graphEf(n, ix.g.M())
	}
	return DefaultIndexEf(n)
}

// PrepareQuery starts loading the approximate index on another goroutine,
// when a reader's next query will use it: a caller about to embed a query
// (the lexical model is read and checked first, tens of milliseconds at a
// million papers) lets both happen at once. It returns at once and does
// nothing for a writer (whose load may build the index for minutes), below
// the threshold, or when the index is loaded or known unusable. The query
// that follows waits for the load, or does it, as without PrepareQuery.
func (s *Store) PrepareQuery(ctx context.Context) {
	if !s.readOnly || s.idx.ix.Load() != nil {
		return
	}
	go func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if !s.closed && ctx.Err() == nil && s.t.n() >= s.indexThreshold() {
			if !s.hasCodes() {
				s.t.prefetch() // the walk's rows
			}
			s.indexFor(ctx, false)
		}
	}()
}

// hasCodes reports whether the store has the index's codes file: a
// reader's walk will then read the codes (readCodes reads them ahead) and
// some hundred rows of the matrix (asked for as it meets them,
// annIndex.advise), not rows all over the matrix, which it then neither
// reads ahead (prefetch) nor maps whole (populate).
func (s *Store) hasCodes() bool {
	_, err := os.Stat(filepath.Join(s.dir, codesName))
	return err == nil
}

// loadIndex reads the index file and brings it up to date with the
// table; build allows building it from scratch when the file is missing,
// damaged or too far behind (a writer), else those are errors (a reader).
// The caller holds mu (for reading at least) and idx.mu.
func (s *Store) loadIndex(ctx context.Context, build bool) (*annIndex, error) {
	path := filepath.Join(s.dir, indexName)
	if !build {
		// Both files are read from the start, side by side.
		s.mapEarly(path)
		if s.idx.early[path].err == nil {
			s.mapEarly(filepath.Join(s.dir, codesName))
		}
	}
	ix, err := s.readIndex(path)
	if err == nil {
		s.loadCodes(ix, build) // indexcodes.go
		ix.notice = s.opts.Notice
		if build {
			ix.checkpoint = s.indexCheckpointer()
		}
		err = ix.patch(ctx, build)
	}
	if err == nil {
		return ix, nil
	}
	if !build {
		return nil, err
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr // stopped, not damaged: no rebuild
	}
	if errors.Is(err, fs.ErrNotExist) {
		s.indexNotice("vectorstore: building the approximate index of %d records (searches use it from %d records on)", s.t.n(), s.indexThreshold())
	} else {
		s.indexNotice("vectorstore: %v: rebuilding the index of %d records", err, s.t.n())
	}
	return buildIndex(ctx, s.t, s.indexCheckpointer())
}

// indexCheckpointer returns a writer's checkpoint: it saves the index
// being built when indexCheckpoint has passed since the build started or
// since the last save. A failure is a notice (the build goes on).
func (s *Store) indexCheckpointer() func(*annIndex) {
	last := time.Now()
	return func(ix *annIndex) {
		if time.Since(last) < indexCheckpoint {
			return
		}
		if err := s.saveIndex(ix); err != nil {
			s.indexNotice("vectorstore: could not save the index being built in %s: %v", s.dir, err)
		}
		last = time.Now()
	}
}

// saveIndex writes ix to the index file, stamped with the log as it is.
// The caller holds mu.
func (s *Store) saveIndex(ix *annIndex) error {
	tail, err := logTailCRC(s.log, s.size)
	if err != nil {
		return err
	}
	if err := writeIndex(filepath.Join(s.dir, indexName), ix, indexStamp{identity: s.indexIdentity(), logBytes: s.size, tailCRC: tail}); err != nil {
		return err
	}
	return s.saveCodes(ix) // indexcodes.go
}

// buildIndex builds the index of every row of t (checkpoint: see
// annIndex.checkpoint).
func buildIndex(ctx context.Context, t *table, checkpoint func(*annIndex)) (*annIndex, error) {
	// Every row is read, most of them many times: check them once, so
	// that the graph is built from the log's vectors even where the
	// snapshot is damaged.
	if err := t.readyAll(); err != nil {
		return nil, err
	}
	n := t.n()
	ix := &annIndex{t: t, gone: map[int32][]float32{}, zero: make([]float32, t.dim), dirty: true,
		nodeRow: make([]int32, n), rowNode: make([]int32, n)}
	for i := range n {
		ix.nodeRow[i], ix.rowNode[i] = int32(i), int32(i)
	}
	opts, _ := IndexSettings()
	ix.g = ann.New(ix, opts)
	ix.makeCodes(n) // indexcodes.go
	ix.checkpoint = checkpoint
	if err := ix.build(ctx, n); err != nil {
		return nil, err
	}
	return ix, nil
}

// build inserts nodes g.Len()..n-1 in slices, checking ctx in between.
func (ix *annIndex) build(ctx context.Context, n int) error {
	for lo := ix.g.Len(); lo < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ix.g.BuildsInBatch(n) {
			// One batch build, not split into slices (ann.CodeOptions.Batch),
			// which stops soon after ctx is done and then leaves nothing
			// to continue from.
			var err error
			ix.t.walk(func() { err = ix.g.BuildContext(ctx, n, 0) })
			if err != nil {
				return err
			}
			break
		}
		hi := min(n, lo+max(indexSlice, min(lo/4, indexSliceMax)))
		ix.t.walk(func() { ix.g.Build(hi, 0) })
		lo = hi
		if ix.checkpoint != nil && hi < n {
			ix.checkpoint(ix)
		}
	}
	return nil
}

// mapByID maps the nodes of an index whose stamp does not match the log
// to the table's rows by their records' IDs and hashes (ids, hashes: per
// node, from the file): a node is its record's only when the record is
// live with the same hash (so the same vector); the others are marked
// dead.
// An error is a row of a lazy table that could not be read (see
// lazyRows).
func (ix *annIndex) mapByID(ids, hashes []string) error {
	t := ix.t
	n := ix.g.Len()
	ix.nodeRow = make([]int32, n)
	ix.rowNode = make([]int32, t.n())
	for i := range ix.rowNode {
		ix.rowNode[i] = -1
	}
	for node := range n {
		ix.nodeRow[node] = -1
		if ix.g.IsDeleted(int32(node)) {
			continue
		}
		row, ok, err := t.locate(ids[node])
		var r rowInfo
		if err == nil && ok {
			r, err = t.row(row)
		}
		if err != nil {
			return err
		}
		if ok && r.hash == hashes[node] && ix.rowNode[row] < 0 {
			ix.nodeRow[node], ix.rowNode[row] = int32(row), int32(node)
			continue
		}
		ix.g.Delete(int32(node)) // its vector is lost: it routes as zero
		ix.dirty = true
	}
	return nil
}

// mapByRank maps the nodes of an index whose stamp matches the log: the
// live records are those the index was written for, and ranks gives each
// node's record as its position among them in ID order (-1: a dead node).
// It returns false when the ranks are not a one-to-one map onto the
// table's rows (a file written wrongly: the caller falls back to the IDs).
func (ix *annIndex) mapByRank(ranks []int32) bool {
	t := ix.t
	n := ix.g.Len()
	var byRank []int // rank → row; nil when the rows are in ID order
	if t.rowOf != nil {
		byRank = t.sortedRows()
	}
	ix.nodeRow = make([]int32, n)
	ix.rowNode = make([]int32, t.n())
	for i := range ix.rowNode {
		ix.rowNode[i] = -1
	}
	for node := range n {
		ix.nodeRow[node] = -1
		rank := ranks[node]
		if ix.g.IsDeleted(int32(node)) {
			continue
		}
		if rank < 0 || int(rank) >= t.n() {
			return false
		}
		row := int(rank)
		if byRank != nil {
			row = byRank[rank]
		}
		if ix.rowNode[row] >= 0 {
			return false
		}
		ix.nodeRow[node], ix.rowNode[row] = int32(row), int32(node)
	}
	return true
}

// patch inserts the records no node covers, unless there are too many
// for a reader (!build). A writer rebuilds instead when the graph is
// mostly dead.
func (ix *annIndex) patch(ctx context.Context, build bool) error {
	t := ix.t
	var missing []int
	for row, node := range ix.rowNode {
		if node < 0 {
			missing = append(missing, row)
		}
	}
	if build && len(missing) > 0 && ix.notice != nil {
		ix.notice(fmt.Sprintf("vectorstore: adding %d records to the approximate index", len(missing)))
	}
	if !build && len(missing)*indexPatch > t.n() {
		return fmt.Errorf("the index is out of date: it covers %d of the %d records", t.n()-len(missing), t.n())
	}
	// A writer inserts the missing records however many they are (the
	// rest of a build that was interrupted, or records written since):
	// that is the build it would do from scratch, minus what is there.
	// A graph mostly of dead nodes is rebuilt instead.
	if build && 2*ix.g.Deleted() > ix.g.Len() {
		return fmt.Errorf("the index is out of date: %d of its %d nodes are dead", ix.g.Deleted(), ix.g.Len())
	}
	if len(missing) > 0 {
		// Inserting changes the lists of the nodes it links to: all are
		// checked first (a writer's are already).
		if err := ix.g.CheckLists(); err != nil {
			return fmt.Errorf("the index is damaged: %v", err)
		}
	}
	return ix.insert(ctx, missing)
}

// insert adds nodes for rows (live, not covered).
func (ix *annIndex) insert(ctx context.Context, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	for _, row := range rows {
		node := int32(len(ix.nodeRow))
		ix.nodeRow = append(ix.nodeRow, int32(row))
		ix.rowNode[row] = node
	}
	ix.codesAdding(rows) // indexcodes.go
	ix.dirty = true
	return ix.build(ctx, len(ix.nodeRow))
}

// retire marks the node of row dead before the row changes, keeping a
// copy of its vector for routing.
func (ix *annIndex) retire(row int) {
	node := ix.rowNode[row]
	if node < 0 {
		return
	}
	if ix.t.ready(row, row+1) == nil { // else the dead node routes as zero
		ix.gone[node] = append([]float32(nil), ix.t.vec(row)...)
	}
	ix.g.Delete(node)
	ix.nodeRow[node], ix.rowNode[row] = -1, -1
	ix.dirty = true
}

// indexRetire is called by Delete before the record of row is removed
// (or replaced by the last row), under mu.
func (s *Store) indexRetire(row int) {
	if ix := s.idx.ix.Load(); ix != nil {
		ix.retire(row)
	}
}

// indexMove is called by Delete after the last row moved to row to.
func (s *Store) indexMove(from, to int) {
	if ix := s.idx.ix.Load(); ix != nil {
		node := ix.rowNode[from]
		ix.rowNode[to] = node
		if node >= 0 {
			ix.nodeRow[node] = int32(to)
		}
		ix.rowNode = ix.rowNode[:from]
	}
}

// indexDropped is called by Delete after the last row was removed
// without moving (the deleted record was the last row).
func (s *Store) indexDropped(last int) {
	if ix := s.idx.ix.Load(); ix != nil {
		ix.rowNode = ix.rowNode[:last]
	}
}

// indexAdding is called by Add, under mu, before it stores changes: the
// nodes of the records it replaces are retired.
func (s *Store) indexAdding(recs []Record, changes []change) {
	ix := s.idx.ix.Load()
	if ix == nil {
		return
	}
	for _, c := range changes {
		if row, ok := s.t.find(recs[c.rec].ID); ok {
			ix.retire(row)
		}
	}
}

// indexAdded is called by Add, under mu, once the changes are in the
// table: their records get nodes. A batch larger than 1/indexPatch of
// the store drops the loaded index instead (the next query or Close
// brings it up to date in parallel, rather than one node at a time while
// readers wait).
func (s *Store) indexAdded(recs []Record, changes []change) {
	ix := s.idx.ix.Load()
	if ix == nil {
		return
	}
	for len(ix.rowNode) < s.t.n() {
		ix.rowNode = append(ix.rowNode, -1)
	}
	var rows []int
	for _, c := range changes {
		row, _ := s.t.find(recs[c.rec].ID)
		if ix.rowNode[row] < 0 {
			ix.rowNode[row] = -2 // once per row when a batch repeats an ID
			rows = append(rows, row)
		}
	}
	for _, r := range rows {
		ix.rowNode[r] = -1
	}
	if len(rows)*indexPatch > s.t.n() {
		s.idx.ix.Store(nil)
		return
	}
	if err := ix.insert(context.Background(), rows); err != nil {
		s.idx.ix.Store(nil)
	}
}

// indexInterrupted tells why Close left the index as it was: its build
// was stopped (ctx), or failed.
func (s *Store) indexInterrupted(ctx context.Context, err error) {
	if ctx.Err() != nil {
		s.indexNotice("vectorstore: the approximate index of %s was not finished (%v): the records are saved; the index is derived from them, and the next write builds it (from its last checkpoint, if one was saved); until then searches scan every vector", s.dir, context.Cause(ctx))
		return
	}
	s.indexNotice("vectorstore: could not build the index of %s: %v; searches scan every vector until a write rebuilds it", s.dir, err)
}

// indexClose is called by a writer's Close, before the table goes: above
// the threshold the index is brought up to date (built if need be) and
// saved when it changed. It never fails Close (the records are safe
// whatever happens to the index): a failure is a notice, and the next
// writer tries again.
func (s *Store) indexClose(ctx context.Context) {
	if s.t.n() < s.indexThreshold() {
		return
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	ix := s.idx.ix.Load()
	if ix == nil {
		var err error
		if ix, err = s.loadIndex(ctx, true); err != nil {
			s.indexInterrupted(ctx, err)
			return
		}
	}
	if ix.g.Deleted() > 0 && 2*ix.g.Deleted() > ix.g.Len() {
		fresh, err := buildIndex(ctx, s.t, s.indexCheckpointer())
		if err != nil {
			s.indexInterrupted(ctx, err)
			return
		}
		ix = fresh
	}
	if !ix.dirty {
		return
	}
	if err := s.saveIndex(ix); err != nil {
		s.indexNotice("vectorstore: could not save the index of %s: %v; the next write tries again", s.dir, err)
		return
	}
	ix.dirty = false
}

// The index file (integers little-endian unless uvarint):
//
//	magic     "papermap-hnsw v3\n"
//	header    uvarint dim, uvarint-length identity (indexIdentity),
//	          uvarint logBytes, uvarint tailCRC, uvarint live records,
//	          uvarint nodes, uvarint restOff; zero bytes to a multiple of 8
//	sums      ⌈nodes/ann.FlatChunk⌉ × uint32: CRC-32C of each chunk of 8
//	          nodes' neighbour lists (ann.Index.FlatSums); zero-padded to 8
//	graph     ann's flat layout (ann.Index.WriteFlat), used in place
//	ranks     nodes × int32: the node's record as its position among the
//	          live records in ID order, -1 for a dead node; zero-padded to 8
//	dead      per dead node with a saved vector: uvarint node+1, dim ×
//	          float32; then uvarint 0
//	crc       uint32, CRC-32C of everything before it (ends at restOff)
//	          but the graph's lists (from ann.Index.FlatListsOffset to the
//	          graph's end), which the sums cover
//	rest      per node: uvarint-length record ID, 32-byte record hash
//	          (HashRecord, binary; zero for a dead node)
//	crc       uint32, CRC-32C of rest
//
// The first checksum is checked at every load (header, layers, deletion
// marks, ranks: some 6 MB at a million nodes); a chunk of lists when a
// walk first asks for the vector of one of its nodes (ann.LoadFlatLazy), so
// a one-query process checks the lists it reads rather than the whole 130
// MB, and a walk that meets a damaged chunk is answered by the scan, with a
// notice (indexDamaged); a writer checks every chunk at load. The second
// checksum is checked when the IDs are read (the stamp does not match).
// Version 2 is version 3 without the sums, its first checksum covering the
// lists: it is read, checked whole, and rewritten in version 3 by the next
// writer, with a notice.
// The stamp (logBytes, tailCRC: the log's length when the index was
// written and the checksum of the log's last bytes before it, as in the
// snapshot; and the number of live records) says which records the
// index covers. When it matches the log being read, the ranks map nodes
// to rows at the cost of reading them, and the IDs are not read; when it
// does not (records were written since, by a writer that did not update
// the index, or a crash came between the log's write and the index's),
// each node's ID and hash are checked against the log's records, and a
// node whose record changed or went is dead. Either way a query's
// candidates are scored again from the table (queryIndex): the index
// only chooses which records are scored, never what they hold. The file
// is replaced atomically; version 1 files (IDs and hashes only) are read
// by their IDs and rewritten by the next writer.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

var indexMagicV1 = []byte("papermap-hnsw v1\n")

// indexStamp is what an index file says it was made for.
type indexStamp struct {
	identity string
	logBytes int64
	tailCRC  uint32
}

// crcWriter checksums what it writes, but for the bytes at offsets skipLo
// to skipHi-1 (the graph's lists in version 3, which have their own
// checksums).
type crcWriter struct {
	w              io.Writer
	crc            uint32
	n              int64
	skipLo, skipHi int64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	if lo, hi := c.skipLo-c.n, c.skipHi-c.n; hi > 0 && lo < int64(len(p)) {
		lo, hi = max(lo, 0), min(hi, int64(len(p)))
		c.crc = crc32.Update(crc32.Update(c.crc, crcTable, p[:lo]), crcTable, p[hi:])
	} else {
		c.crc = crc32.Update(c.crc, crcTable, p)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// rowRanks returns each row's position among t's rows in ID order.
func rowRanks(t *table) []int32 {
	ranks := make([]int32, t.n())
	if t.rowOf == nil { // rows read from a snapshot, in ID order
		for i := range ranks {
			ranks[i] = int32(i)
		}
		return ranks
	}
	for rank, row := range t.sortedRows() {
		ranks[row] = int32(rank)
	}
	return ranks
}

func writeIndex(path string, ix *annIndex, st indexStamp) error {
	t := ix.t
	n := ix.g.Len()
	ranks := rowRanks(t)
	var hdr []byte
	hdr = append(hdr, indexMagic...)
	hdr = binary.AppendUvarint(hdr, uint64(t.dim))
	hdr = appendString(hdr, st.identity)
	hdr = binary.AppendUvarint(hdr, uint64(st.logBytes))
	hdr = binary.AppendUvarint(hdr, uint64(st.tailCRC))
	hdr = binary.AppendUvarint(hdr, uint64(t.n()))
	hdr = binary.AppendUvarint(hdr, uint64(n))
	// restOff: the header's own length (with restOff, at most 10 bytes
	// more) is known once restOff is; try the widths until they agree.
	var dead []byte
	for node, v := range ix.gone {
		dead = binary.AppendUvarint(dead, uint64(node)+1)
		for _, f := range v {
			dead = binary.LittleEndian.AppendUint32(dead, math.Float32bits(f))
		}
	}
	dead = append(dead, 0)
	sums := ix.g.FlatSums()
	sumsLen := pad8(4 * int64(len(sums)))
	body := sumsLen + ix.g.FlatSize() + pad8(4*int64(n)) + int64(len(dead)) + 4
	var full []byte
	for w := 1; ; w++ {
		full = binary.AppendUvarint(slices.Clone(hdr), uint64(pad8(int64(len(hdr)+w))+body))
		if len(full) == len(hdr)+w {
			break
		}
	}
	full = append(full, make([]byte, pad8(int64(len(full)))-int64(len(full)))...)
	return safefile.Write(path, 0o600, func(f io.Writer) error {
		graphAt := int64(len(full)) + sumsLen
		cw := &crcWriter{w: f, skipLo: graphAt + ix.g.FlatListsOffset(), skipHi: graphAt + ix.g.FlatSize()}
		w := bufio.NewWriterSize(cw, 1<<20)
		w.Write(full)
		b := make([]byte, 0, sumsLen)
		for _, c := range sums {
			b = binary.LittleEndian.AppendUint32(b, c)
		}
		w.Write(b[:sumsLen])
		if err := ix.g.WriteFlat(w); err != nil {
			return err
		}
		b = b[:0]
		for node := range n {
			r := int32(-1)
			if row := ix.nodeRow[node]; row >= 0 {
				r = ranks[row]
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(r))
			if len(b) >= 1<<16 {
				w.Write(b)
				b = b[:0]
			}
		}
		if n%2 == 1 {
			b = append(b, 0, 0, 0, 0)
		}
		w.Write(b)
		w.Write(dead)
		if err := w.Flush(); err != nil {
			return err
		}
		if _, err := f.Write(binary.LittleEndian.AppendUint32(nil, cw.crc)); err != nil {
			return err
		}
		rw := &crcWriter{w: f}
		w = bufio.NewWriterSize(rw, 1<<20)
		var zero [32]byte
		for node := range n {
			b = b[:0]
			if row := ix.nodeRow[node]; row >= 0 {
				b = appendString(b, t.mem[row].id)
				h, err := hex.DecodeString(t.mem[row].hash)
				if err != nil || len(h) != 32 {
					h = zero[:] // cannot happen: hashes are hex SHA-256
				}
				b = append(b, h...)
			} else {
				b = appendString(b, "")
				b = append(b, zero[:]...)
			}
			w.Write(b)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		_, err := f.Write(binary.LittleEndian.AppendUint32(nil, rw.crc))
		return err
	})
}

func pad8(n int64) int64 { return (n + 7) &^ 7 }

// indexError says what is wrong with the index file.
func indexError(path, reason string) error {
	return fmt.Errorf("the index %s is unusable (%s)", path, reason)
}

// mapIndexFile maps the index file privately (a writer's changes to the
// graph are copied on write, never written to the file): see mapWalked.
func (s *Store) mapIndexFile(path string) ([]byte, error) {
	data, err := s.mapWalked(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no index %s: %w", path, fs.ErrNotExist)
	case err != nil:
		return nil, indexError(path, err.Error())
	case len(data) < len(indexMagic):
		return nil, indexError(path, sizeError(len(data)).Error())
	}
	return data, nil
}

// sizeError is a file of a size no index file has.
type sizeError int64

func (e sizeError) Error() string { return fmt.Sprintf("a file of %d bytes", int64(e)) }

// mapWalked maps a file a graph walk reads (index.hnsw, index.sq8)
// privately. The mapping is released with the store (indexRelease); its
// cached pages are entered into the page tables at once
// (populateResident), and a reader's pages not cached are read in the
// background (readCold): a walk reads nearly every page of both files. A
// mapping made ahead (mapEarly) is taken from idx.early. The caller holds
// idx.mu.
func (s *Store) mapWalked(path string) ([]byte, error) {
	if e, ok := s.idx.early[path]; ok {
		delete(s.idx.early, path)
		return e.data, e.err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 || fi.Size() >= math.MaxInt32*32 {
		return nil, sizeError(fi.Size())
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, err
	}
	s.idx.unmaps = append(s.idx.unmaps, unmap)
	populateResident(data)
	if s.readOnly {
		s.idx.fetching.Go(func() { readCold(data, &s.idx.stop) })
	}
	return data, nil
}

// mapEarly maps a file of the index (mapWalked) before it is needed, so
// that its reading starts at once: a reader maps the codes file before it
// reads the head of the graph's, and both files are read side by side.
// The mapping, or the error, waits in idx.early for mapWalked. The caller
// holds idx.mu.
func (s *Store) mapEarly(path string) {
	if _, ok := s.idx.early[path]; ok {
		return
	}
	data, err := s.mapWalked(path)
	if s.idx.early == nil {
		s.idx.early = map[string]earlyMap{}
	}
	s.idx.early[path] = earlyMap{data, err}
}

// earlyMap is a mapping made by mapEarly.
type earlyMap struct {
	data []byte
	err  error
}

// readIndex reads the index file and maps its nodes to the table's rows
// (by rank when its stamp matches the log, else by ID). The file is mapped
// and the graph used in place: only the pages a search touches are read.
// The caller holds idx.mu.
func (s *Store) readIndex(path string) (*annIndex, error) {
	t := s.t
	data, err := s.mapIndexFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, indexMagicV1) {
		ix, ids, hashes, err := readIndexV1(path, data, t, s.indexIdentity())
		if err != nil {
			return nil, err
		}
		if err := ix.mapByID(ids, hashes); err != nil {
			return nil, err
		}
		ix.dirty = true // rewritten in version 2 by a writer
		return ix, nil
	}
	v3 := bytes.HasPrefix(data, indexMagic)
	if !v3 && !bytes.HasPrefix(data, indexMagicV2) {
		return nil, indexError(path, "not an index file of this version")
	}
	p := data[len(indexMagic):]
	uv := func() uint64 {
		v, k := binary.Uvarint(p)
		if k <= 0 {
			p = nil
			return 0
		}
		p = p[k:]
		return v
	}
	dim := uv()
	var emb string
	if l := uv(); l <= 1<<10 && l <= uint64(len(p)) {
		emb, p = string(p[:l]), p[l:]
	} else {
		p = nil
	}
	var hv [5]uint64
	for i := range hv {
		hv[i] = uv()
	}
	if p == nil {
		return nil, indexError(path, "bad header")
	}
	if int(dim) != t.dim || emb != s.indexIdentity() {
		return nil, indexError(path, fmt.Sprintf("made for another store: %q, this one is %q", emb, s.indexIdentity()))
	}
	logBytes, tailCRC, live, n, restOff := int64(hv[0]), hv[1], hv[2], hv[3], hv[4]
	graphOff := pad8(int64(len(data) - len(p)))
	if restOff < uint64(graphOff)+4 || restOff > uint64(len(data))-4 || n >= 1<<31 {
		return nil, indexError(path, "cut short or bad header")
	}
	head, rest := data[:restOff-4], data[restOff:len(data)-4]
	headSum := binary.LittleEndian.Uint32(data[restOff-4:])
	ix := &annIndex{t: t, gone: map[int32][]float32{}, zero: make([]float32, t.dim)}
	var g *ann.Index
	var size int64
	if v3 {
		// Version 3: the lists' checksums, then the graph; the file's
		// checksum covers all but the lists, which are checked by chunk
		// when a walk first meets them (ann.LoadFlatLazy), all of them
		// at once by a writer. LoadFlatLazy never panics on damaged
		// bytes, and what it loads is dropped unless the checksum
		// matches.
		chunks := (int64(n) + ann.FlatChunk - 1) / ann.FlatChunk
		sumsOff := graphOff
		graphOff += pad8(4 * chunks)
		if graphOff > int64(len(head)) {
			return nil, indexError(path, "cut short")
		}
		sums := make([]uint32, chunks)
		for i := range sums {
			sums[i] = binary.LittleEndian.Uint32(head[sumsOff+4*int64(i):])
		}
		var err error
		g, size, err = ann.LoadFlatLazy(head[graphOff:], ix, sums)
		if err != nil {
			return nil, indexError(path, fmt.Sprintf("damaged or cut short: %v", err))
		}
		lo, hi := graphOff+g.FlatListsOffset(), graphOff+size
		if crc32.Update(crc32.Checksum(head[:lo], crcTable), crcTable, head[hi:]) != headSum {
			return nil, indexError(path, "checksum mismatch: damaged or cut short")
		}
		if g.Len() != int(n) {
			return nil, indexError(path, fmt.Sprintf("a graph of %d nodes, the header says %d", g.Len(), n))
		}
		if !s.readOnly {
			// A writer changes the graph and writes it whole: every
			// list is checked first.
			if err := g.CheckLists(); err != nil {
				return nil, indexError(path, fmt.Sprintf("graph: %v", err))
			}
		}
	} else {
		// Version 2: the checksum covers the whole graph, summed on
		// another CPU while the graph is checked (LoadFlat never panics
		// on damaged bytes, and what it loads is dropped unless the
		// checksum matches).
		sum := make(chan bool, 1)
		go func() { sum <- crc32.Checksum(head, crcTable) == headSum }()
		var err error
		g, size, err = ann.LoadFlat(head[graphOff:], ix)
		if !<-sum {
			return nil, indexError(path, "checksum mismatch: damaged or cut short")
		}
		if err != nil || g.Len() != int(n) {
			return nil, indexError(path, fmt.Sprintf("graph: %v", err))
		}
	}
	ix.g = g
	if !v3 && !s.readOnly {
		s.indexNotice("vectorstore: %s is in version 2: this writer rewrites it in version 3 (whose graph a search checks as it reads it)", path)
		ix.dirty = true
	}
	off := graphOff + size
	if off+pad8(4*int64(n)) > int64(len(head)) {
		return nil, indexError(path, "cut short")
	}
	ranks := make([]int32, n)
	for i := range ranks {
		ranks[i] = int32(binary.LittleEndian.Uint32(head[off+4*int64(i):]))
	}
	off += pad8(4 * int64(n))
	if err := ix.readDead(bufio.NewReader(bytes.NewReader(head[off:])), int(n)); err != nil {
		return nil, indexError(path, err.Error())
	}
	if logBytes == s.size && live == uint64(t.n()) {
		if tail, err := logTailCRC(s.log, s.size); err == nil && uint64(tail) == tailCRC && ix.mapByRank(ranks) {
			ix.byRank = true
			return ix, nil
		}
	}
	// Records were written since: check each node's record by its ID.
	if crc32.Checksum(rest, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, indexError(path, "checksum mismatch of the records' IDs: damaged")
	}
	ids, hashes, err := readIDs(bufio.NewReader(bytes.NewReader(rest)), int(n))
	if err != nil {
		return nil, indexError(path, err.Error())
	}
	if err := ix.mapByID(ids, hashes); err != nil {
		return nil, err
	}
	ix.dirty = true // a writer saves it with a stamp that matches
	return ix, nil
}

// readIDs reads n nodes' record IDs and hashes.
func readIDs(r *bufio.Reader, n int) (ids, hashes []string, err error) {
	ids, hashes = make([]string, n), make([]string, n)
	var h [32]byte
	for node := range n {
		id, err := readString(r, maxPayloadLen)
		if err == nil {
			_, err = io.ReadFull(r, h[:])
		}
		if err != nil {
			return nil, nil, fmt.Errorf("node %d: %v", node, err)
		}
		ids[node], hashes[node] = id, hex.EncodeToString(h[:])
	}
	if r.Buffered() > 0 {
		return nil, nil, errors.New("trailing bytes")
	}
	return ids, hashes, nil
}

// readDead reads the vectors of dead nodes (of n nodes).
func (ix *annIndex) readDead(r *bufio.Reader, n int) error {
	dim := ix.t.dim
	buf := make([]byte, 4*dim)
	for {
		v, err := binary.ReadUvarint(r)
		if err != nil || v > uint64(n) {
			return errors.New("bad list of dead nodes")
		}
		if v == 0 {
			break
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return errors.New("bad list of dead nodes")
		}
		vec := make([]float32, dim)
		for i := range vec {
			vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		ix.gone[int32(v-1)] = vec
	}
	if r.Buffered() > 0 {
		return errors.New("trailing bytes")
	}
	return nil
}

// readIndexV1 reads an index file of version 1 (the graph in ann's
// compact encoding, then each node's ID and hash, then the dead nodes'
// vectors, then a CRC-32C of everything before it).
func readIndexV1(path string, data []byte, t *table, identity string) (*annIndex, []string, []string, error) {
	if len(data) < len(indexMagicV1)+4 {
		return nil, nil, nil, indexError(path, "cut short")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, nil, nil, indexError(path, "checksum mismatch: damaged or cut short")
	}
	r := bufio.NewReader(bytes.NewReader(body[len(indexMagicV1):]))
	dim, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, nil, nil, indexError(path, "bad header")
	}
	emb, err := readString(r, 1<<10)
	if err != nil || int(dim) != t.dim || emb != identity {
		return nil, nil, nil, indexError(path, fmt.Sprintf("made for another store: %q, this one is %q", emb, identity))
	}
	for range 2 { // log length and records when written: informative
		if _, err := binary.ReadUvarint(r); err != nil {
			return nil, nil, nil, indexError(path, "bad header")
		}
	}
	ix := &annIndex{t: t, gone: map[int32][]float32{}, zero: make([]float32, t.dim)}
	g, err := ann.Decode(r, ix)
	if err != nil {
		return nil, nil, nil, indexError(path, err.Error())
	}
	ix.g = g
	n := g.Len()
	ids, hashes := make([]string, n), make([]string, n)
	var h [32]byte
	for node := range n {
		id, err := readString(r, maxPayloadLen)
		if err == nil {
			_, err = io.ReadFull(r, h[:])
		}
		if err != nil {
			return nil, nil, nil, indexError(path, fmt.Sprintf("node %d: %v", node, err))
		}
		ids[node], hashes[node] = id, hex.EncodeToString(h[:])
	}
	if err := ix.readDead(r, n); err != nil {
		return nil, nil, nil, indexError(path, err.Error())
	}
	return ix, ids, hashes, nil
}

// readString reads a uvarint-length string of at most limit bytes.
func readString(r *bufio.Reader, limit int) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return "", err
	}
	if n > uint64(limit) {
		return "", fmt.Errorf("string of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// search returns the rows the index finds for q (a unit vector): up to
// max(ef, k) of them (ef 0: DefaultIndexEf), among the rows accepted by cand (nil: all) and
// not excluded. It widens the search while it finds fewer than k such
// rows though the filter has more, and returns ok = false when even a
// wide search does not: the caller scans instead.
func (ix *annIndex) search(q []float32, k, ef int, cand []int32, excluded map[int32]bool) (rows []int32, ok bool) {
	n := ix.t.n()
	want := min(k, n-len(excluded))
	var accept func(int32) bool
	if ef <= 0 {
		ef = graphEf(n, ix.g.M())
	}
	ef = max(ef, k)
	if cand != nil || len(excluded) > 0 {
		var in []uint64
		if cand != nil {
			in = make([]uint64, (n+63)/64)
			for _, r := range cand {
				in[r>>6] |= 1 << (r & 63)
			}
			want = min(k, len(cand))
			// The filter keeps a share len(cand)/n of what the search
			// meets: widen it accordingly.
			ef = int(min(int64(ef)*int64(n)/int64(max(1, len(cand))), 1<<14))
		}
		accept = func(node int32) bool {
			r := ix.nodeRow[node]
			if r < 0 || excluded[r] {
				return false
			}
			return in == nil || in[r>>6]&(1<<(r&63)) != 0
		}
	}
	for ; ; ef *= 4 {
		var res []ann.Result
		// Only the best max(indexRescore·k, indexRescoreMin) are used:
		// asking for no more spares ann's rescoring of the rest (a walk
		// over codes scores its results again from the rows).
		ix.t.walk(func() { res = ix.g.Search(q, max(indexRescore*k, indexRescoreMin), ef, accept) })
		if len(res) >= want || ef >= 1<<14 {
			if len(res) < want {
				return nil, false
			}
			res = res[:min(len(res), max(indexRescore*k, indexRescoreMin))]
			rows = make([]int32, 0, len(res))
			for _, r := range res {
				rows = append(rows, ix.nodeRow[r.Node])
			}
			return rows, true
		}
	}
}

// indexRescore·k (at least indexRescoreMin) of the best rows a graph
// walk finds are checked and scored again by the exact scan (queryIndex):
// the walk's own scores are dot products of the same rows, so the exact
// top k are among its first k unless rows are damaged (then read from the
// log) or scores tie to the last bits. Rescoring all ef rows (1,849 at a
// million) checked as many 64 KiB chunks of the matrix (64 MB) per query.
const (
	indexRescore    = 4
	indexRescoreMin = 64
)

// indexWorth reports whether a filter leaves enough rows for the index to
// beat a scan of them: below 1/indexPatch of the store, scanning the
// matching rows reads less than the widened graph search would.
func indexWorth(cand []int32, n int) bool {
	return cand == nil || len(cand)*indexPatch >= n
}

// queryIndex answers QueryBatch's queries with the index: each query's
// candidates are scored again by the exact scan's kernel (t.scan over
// those rows), so hits have the scan's scores and order. A query the
// index cannot answer (a filter it cannot satisfy) is scanned. The
// caller holds mu for reading.
func (s *Store) queryIndex(ctx context.Context, ix *annIndex, units [][]float32, k, ef int, cand []int32, excluded map[int32]bool) ([][]Hit, error) {
	t := s.t
	if !ix.advise {
		t.populate() // a walk over vectors (see hasCodes)
	}
	out := make([][]Hit, len(units))
	// The queries are shared between the CPUs; each is answered alone,
	// so the hits do not depend on the split.
	workers := min(runtime.GOMAXPROCS(0), len(units))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(units); i += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				rows, ok := ix.search(units[i], k, ef, cand, excluded)
				if ix.g.Damaged() {
					// The walk met lists that failed their check: its
					// candidates may miss the best rows.
					s.indexDamaged(ix)
					rows, ok = nil, false
				}
				if !ok {
					rows = cand // the exact scan of the filter's rows (nil: all)
				} else if ix.advise {
					t.adviseRows(rows...) // scattered rows the scan checks
				}
				tops, err := t.scan(ctx, [][]float32{units[i]}, k, rowsOrEmpty(rows, ok), excluded)
				if err != nil {
					errs[w] = err
					return
				}
				if out[i], err = tops[0].hits(t); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// indexDamaged drops a loaded index whose walk met damaged lists (a
// reader's: a writer checks them all at load): this and later queries
// scan every vector, and a notice says so once.
func (s *Store) indexDamaged(ix *annIndex) {
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if s.idx.ix.Load() != ix {
		return
	}
	s.idx.ix.Store(nil)
	s.idx.failed = true
	s.indexNotice("vectorstore: the index %s is unusable (part of its graph is damaged); searching every vector instead (exact, slower); the next write to %s rebuilds the index", filepath.Join(s.dir, indexName), s.dir)
}

// rowsOrEmpty keeps "no rows found" from reading as "every row" (nil) in
// t.scan.
func rowsOrEmpty(rows []int32, ok bool) []int32 {
	if ok && rows == nil {
		return []int32{}
	}
	return rows
}
