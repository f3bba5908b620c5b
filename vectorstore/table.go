package vectorstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unsafe"

	"github.com/papermap/papermap/internal/safefile"
)

// rowInfo is what stays in memory of a record besides its vector: its
// content and metadata are read from the log when asked for (see
// table.record), by the offset of its frame.
type rowInfo struct {
	id   string
	hash string
	off  int64 // offset of the record's frame in the log
	size int64 // length of the record's frame in the log
}

// table holds the live records: row i of vecs (dim values, row-major) is
// the vector of rows[i]. Rows are in no particular order.
//
// vecs may be a private memory mapping of the snapshot (see snapshot.go),
// whose rows are checked against their checksums the first time they are
// read: code that reads rows calls ready (or readyAll) first, and code
// that writes them calls readyAll.
type table struct {
	dim  int
	vecs []float32
	// mem holds the rows, unless lz does: a reader's table read from a
	// version 2 snapshot decodes them when they are used (n, row,
	// locate). Code that changes rows runs in writers, whose tables
	// always have mem (openSnapshot decodes the snapshot whole for them).
	mem []rowInfo
	lz  *lazyRows
	// rowOf maps IDs to rows. It is nil for a table just read from a
	// snapshot, whose rows are sorted by ID: find then searches them, and
	// the first change builds the map (mutable), which a million
	// entries make worth sparing the Open of a reader.
	rowOf map[string]int

	// src is the log the rows' offsets point into, logPath its name.
	src     io.ReaderAt
	logPath string
	// metas caches every row's metadata once a filter needed them all;
	// nil until then (see loadMetas).
	metas []map[string]string
	// snap is the mapped snapshot vecs came from, nil when vecs is on the
	// heap.
	snap *mappedSnapshot
	// arena is the memory of vecs once the matrix grew beyond what it
	// was given (see reserve): an anonymous mapping outside the Go heap,
	// released by close. nil when vecs is on the heap or is the
	// snapshot's mapping.
	arena []byte
	// heapOnly keeps vecs on the Go heap: a chromem-go collection's
	// documents share its rows and may outlive the store (toHeap).
	heapOnly bool
}

// reserve makes room for rows rows in vecs (its capacity), moving the
// matrix when it must grow. A growing matrix lives outside the Go heap
// (mapAnon): a 1 GB matrix on the heap would let the garbage collector,
// which lets the heap grow to twice what is live before it runs, take
// another gigabyte; and a mapping grows in place, where a heap slice is
// copied while both copies are live. Capacity not yet used costs address
// space, not memory. The caller has the table to itself (the store's
// write lock).
func (t *table) reserve(rows int) {
	need := rows * t.dim
	if need <= cap(t.vecs) {
		return
	}
	size := max(need, 2*cap(t.vecs), 1024*t.dim)
	if !t.heapOnly {
		var b []byte
		var err error
		if t.arena != nil {
			b, err = remapAnon(t.arena, 4*size)
		} else if b, err = mapAnon(4 * size); err == nil {
			// A mapped snapshot's matrix is no longer read once
			// copied (a chunk not checked yet is checked against the
			// file's bytes, which its pages read again): its pages
			// leave the page tables as they are copied, where the
			// copy made them all resident (at a million records 1 GB
			// of a one-paper ingest's peak memory counted twice).
			copyMatrix(floats(b), t.vecs, t.mapped())
		}
		if err == nil {
			t.arena = b
			t.vecs = floats(b)[:len(t.vecs)]
			return
		}
		// Out of address space or mappings: the heap will do.
	}
	grown := make([]float32, len(t.vecs), size)
	copy(grown, t.vecs)
	t.freeArena()
	t.vecs = grown
}

// floats returns b as float32 values (b is page-aligned memory from
// mapAnon).
func floats(b []byte) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// freeArena releases the arena once vecs no longer uses it.
func (t *table) freeArena() error {
	if t.arena == nil {
		return nil
	}
	err := unmapAnon(t.arena)
	t.arena = nil
	return err
}

// close releases the memory of the matrix outside the Go heap (the
// snapshot's mapping, the arena). The table must not be used afterwards.
func (t *table) close() error {
	return errors.Join(t.snap.close(), t.freeArena())
}

func newTable() *table { return &table{rowOf: make(map[string]int)} }

// n returns the number of rows.
func (t *table) n() int {
	if t.lz != nil {
		return t.lz.rows
	}
	return len(t.mem)
}

// row returns row i's ID, hash and frame. A lazy table decodes the
// row's chunk of the snapshot's row index the first time (an error is an
// I/O error or damage that the log could not make good, see lazyRows).
func (t *table) row(i int) (rowInfo, error) {
	if t.lz != nil {
		return t.lz.row(i)
	}
	return t.mem[i], nil
}

// allRows returns every row (a lazy table decodes them all).
func (t *table) allRows() ([]rowInfo, error) {
	if t.lz != nil {
		return t.lz.all()
	}
	return t.mem, nil
}

// locate returns the row of id, in any table.
func (t *table) locate(id string) (int, bool, error) {
	if t.lz != nil {
		return t.lz.find(id)
	}
	i, ok := t.find(id)
	return i, ok, nil
}

// find returns the row of id in a table whose rows are in memory (a
// writer's); see locate for any table.
func (t *table) find(id string) (int, bool) {
	if t.lz != nil {
		panic("vectorstore: find on a table whose row index is not decoded")
	}
	if t.rowOf != nil {
		i, ok := t.rowOf[id]
		return i, ok
	}
	return slices.BinarySearchFunc(t.mem, id, cmpRowID)
}

// mutable builds rowOf if needed, before rows change. The caller holds
// the store's write lock (or has the table to itself).
func (t *table) mutable() {
	if t.lz != nil {
		panic("vectorstore: a change to a table whose row index is not decoded")
	}
	if t.rowOf != nil {
		return
	}
	m := make(map[string]int, len(t.mem))
	for i := range t.mem {
		m[t.mem[i].id] = i
	}
	t.rowOf = m
}

// vec returns row i of the matrix; its capacity ends with the row, so an
// append to it can never write into the next one. The row must have been
// checked (ready).
func (t *table) vec(i int) []float32 {
	return t.vecs[i*t.dim : (i+1)*t.dim : (i+1)*t.dim]
}

// sortedRows returns the row indices ordered by record ID: a table read
// from a snapshot, and not changed since, has its rows in that order.
func (t *table) sortedRows() []int {
	if t.rowOf == nil {
		idx := make([]int, t.n())
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	type entry struct {
		id  string
		row int
	}
	// Sorting copies of the IDs next to their rows reads each ID's bytes
	// and nothing else, instead of jumping through the rows.
	es := make([]entry, len(t.mem))
	for i := range t.mem {
		es[i] = entry{t.mem[i].id, i}
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	idx := make([]int, len(es))
	for i, e := range es {
		idx[i] = e.row
	}
	return idx
}

// liveBytes is the length of the frames of the live records.
func (t *table) liveBytes() int64 {
	var n int64
	for i := range t.mem {
		n += t.mem[i].size
	}
	return n
}

// loader rebuilds a table from the frames of a log, in order: a record
// frame adds or replaces its ID, a tombstone removes it.
type loader struct {
	t       *table
	records int    // record frames in the log: rows to allocate
	dead    []bool // rows removed by a tombstone, dropped by finish
	ndead   int
}

func (l *loader) apply(f *frame, off, n int64) error {
	t := l.t
	switch f.kind {
	case kindTombstone:
		if i, ok := t.rowOf[f.id]; ok {
			l.dead[i] = true
			l.ndead++
			delete(t.rowOf, f.id)
			if t.metas != nil {
				t.metas[i] = nil
			}
		}
		return nil
	case kindRecord:
	default:
		return &payloadError{fmt.Errorf("unknown frame kind %d", f.kind)}
	}
	if t.dim == 0 {
		t.dim = f.dim
	}
	if f.dim != t.dim {
		return &payloadError{fmt.Errorf("record %q has %d dims, the store %d", f.id, f.dim, t.dim)}
	}
	i, ok := t.rowOf[f.id]
	if !ok {
		i = len(t.mem)
		t.rowOf[f.id] = i
		t.mem = append(t.mem, rowInfo{})
		l.dead = append(l.dead, false)
		t.reserve(max(l.records, i+1))
		t.vecs = t.vecs[:len(t.vecs)+t.dim]
		if t.metas != nil {
			t.metas = append(t.metas, nil)
		}
	}
	// The strings of a frame share one allocation with its content: keep
	// copies of the ID and hash only, so that the content is not held.
	t.mem[i] = rowInfo{id: strings.Clone(f.id), hash: strings.Clone(f.hash), off: off, size: n}
	if t.metas != nil {
		t.metas[i] = cloneMetaStrings(f.meta)
	}
	decodeVector(t.vec(i), f.vec)
	return nil
}

// finish drops the rows removed by tombstones, keeping the order of the
// others.
func (l *loader) finish() {
	if l.ndead == 0 {
		return
	}
	t := l.t
	w := 0
	for r := range t.mem {
		if l.dead[r] {
			continue
		}
		if w != r {
			t.mem[w] = t.mem[r]
			copy(t.vecs[w*t.dim:(w+1)*t.dim], t.vecs[r*t.dim:(r+1)*t.dim])
			t.rowOf[t.mem[w].id] = w
			if t.metas != nil {
				t.metas[w] = t.metas[r]
			}
		}
		w++
	}
	clear(t.mem[w:])
	t.mem = t.mem[:w]
	t.vecs = t.vecs[:w*t.dim]
	if t.metas != nil {
		clear(t.metas[w:])
		t.metas = t.metas[:w]
	}
	l.dead, l.ndead = nil, 0
}

// loadTable reads the log in f (of the given size, header included) into a
// new table. dim is the manifest's dimension, 0 when unknown.
func loadTable(f *os.File, size int64, dim int, mode scanMode) (*table, scanResult, error) {
	t, res, err := decodeTable(f, size, dim, mode)
	if err != nil {
		return nil, res, fmt.Errorf("vectorstore: read %s: %w", f.Name(), err)
	}
	t.logPath = f.Name()
	return t, res, nil
}

// replayTail applies the frames of the log after what a snapshot covers
// (from) to the snapshot's table t, in strict mode. The log has the
// given size.
func replayTail(t *table, from, size int64) (*table, scanResult, error) {
	if from >= size {
		return t, scanResult{end: size, bad: -1}, nil
	}
	// The frames may change rows of the mapping and add rows: the rows
	// are checked before anything is written over them.
	if err := t.readyAll(); err != nil {
		return nil, scanResult{}, err
	}
	t.mutable()
	l := &loader{t: t, records: len(t.mem) + 1024, dead: make([]bool, len(t.mem))}
	res, err := scanLog(t.src, from, size, scanStrict, l.apply)
	if err != nil {
		return nil, res, err
	}
	l.finish()
	return t, res, nil
}

func decodeTable(ra io.ReaderAt, size int64, dim int, mode scanMode) (*table, scanResult, error) {
	n, err := countRecordFrames(ra, size)
	if err != nil {
		return nil, scanResult{}, err
	}
	l := &loader{t: newTable(), records: n}
	l.t.dim = dim
	l.t.src = ra
	l.t.rowOf = make(map[string]int, n)
	l.t.mem = make([]rowInfo, 0, n)
	l.dead = make([]bool, 0, n)
	res, err := scanLog(ra, int64(len(logHeader)), size, mode, l.apply)
	if err != nil {
		return nil, res, err
	}
	l.finish()
	return l.t, res, nil
}

// checkHeader reports whether the first bytes of a log are its header. A
// log shorter than the header whose bytes are a prefix of it is empty (its
// creation was interrupted): complete is then false.
func checkHeader(f *os.File, size int64) (complete bool, err error) {
	n := min(size, int64(len(logHeader)))
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil {
		return false, fmt.Errorf("vectorstore: read %s: %w", f.Name(), err)
	}
	if string(b) != string(logHeader[:n]) {
		return false, &CorruptError{File: f.Name(), Offset: 0, Reason: "not a papermap record log"}
	}
	return n == int64(len(logHeader)), nil
}

// writeLog writes the records of t, in ID order, to a new log that
// replaces DIR/records.log atomically. It returns the new log's size and
// the offset of each row's frame in it. The snapshot, which covers the
// old log, is removed first.
func writeLog(ctx context.Context, dir string, t *table) (int64, []int64, error) {
	if err := removeSnapshot(dir); err != nil {
		return 0, nil, err
	}
	var size int64
	var offs []int64
	err := safefile.Write(filepath.Join(dir, logName), 0o600, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		var err error
		if size, offs, err = encodeTable(ctx, w, t); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return 0, nil, fmt.Errorf("vectorstore: rewrite log: %w", err)
	}
	return size, offs, nil
}

// Tolerance of chromem-go's own unit-norm check: a vector further from
// norm 1 than this is copied and rescaled by chromem-go when added to a
// collection, which would break the sharing of rows with the matrix.
const unitTolerance = 1e-6

// unitNorm returns the Euclidean norm of v, or an error for a value that
// is not finite.
func unitNorm(v []float32) (float64, error) {
	var ss float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("value %d is %v", i, x)
		}
		ss += float64(x) * float64(x)
	}
	return math.Sqrt(ss), nil
}

// copyUnit copies v to dst, rescaled to norm exactly 1 (within float32
// rounding) unless it is already within unitTolerance of it.
func copyUnit(dst, v []float32, norm float64) {
	if math.Abs(norm-1) < unitTolerance {
		copy(dst, v)
		return
	}
	for i, x := range v {
		dst[i] = float32(float64(x) / norm)
	}
}

// encodeTable writes a log holding the records of t, in ID order, to w and
// returns its length and the offset of each row's frame in it.
func encodeTable(ctx context.Context, w io.Writer, t *table) (int64, []int64, error) {
	size := int64(len(logHeader))
	if _, err := w.Write(logHeader); err != nil {
		return 0, nil, err
	}
	offs := make([]int64, len(t.mem))
	var buf []byte
	for k, i := range t.sortedRows() {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, nil, err
			}
		}
		// Each record's frame is copied from the log, once its checksum
		// and its ID are checked: the bytes, vector included, are the
		// ones that were acknowledged.
		var err error
		if buf, _, err = t.frame(i, buf); err != nil {
			return 0, nil, err
		}
		offs[i] = size
		size += int64(len(buf))
		if _, err := w.Write(buf); err != nil {
			return 0, nil, err
		}
	}
	return size, offs, nil
}

// countRecordFrames counts the record frames of a log by walking their
// headers, without checking them, up to the first header that is not one.
// It sizes the matrix, so that it is allocated once and exactly (for a log
// without replaced records); the rare log with more records (a damaged one
// under Repair) grows it.
func countRecordFrames(ra io.ReaderAt, size int64) (int, error) {
	r := newLogReader(ra, size)
	n := 0
	for off := int64(len(logHeader)); off < size; {
		hdr, err := r.at(off, frameHeaderLen+1)
		if err == errShort {
			break
		}
		if err != nil {
			return 0, err
		}
		length := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if !bytes.Equal(hdr[:4], frameMagic[:]) || length > size-off-frameHeaderLen {
			break
		}
		if hdr[frameHeaderLen] == kindRecord {
			n++
		}
		off += frameHeaderLen + length
	}
	return n, nil
}

// frame reads the log frame of row i into buf (reused when large enough)
// and decodes it, checking its checksum and that it holds the row's
// record. The frame's strings do not share buf.
func (t *table) frame(i int, buf []byte) ([]byte, frame, error) {
	r, err := t.row(i)
	if err != nil {
		return buf, frame{}, err
	}
	if t.src == nil {
		return buf, frame{}, fmt.Errorf("record %q: its log is not open", r.id)
	}
	if int64(cap(buf)) < r.size {
		buf = make([]byte, r.size)
	}
	buf = buf[:r.size]
	if m, err := t.src.ReadAt(buf, r.off); m < len(buf) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return buf, frame{}, fmt.Errorf("read record %q at offset %d of the log: %w", r.id, r.off, err)
	}
	f, n, err := (&logReader{ra: bytes.NewReader(buf), size: r.size}).frameAt(0)
	if err == nil && (n != r.size || f.kind != kindRecord || f.id != r.id) {
		err = errors.New("the frame there is not the record's")
	}
	if err != nil {
		return buf, frame{}, &CorruptError{File: t.logPath, Offset: r.off, Intact: -1,
			Reason: fmt.Sprintf("record %q cannot be read back (%v); `papermap repair` keeps the intact records", r.id, err)}
	}
	return buf, f, nil
}

// record returns the content and metadata of row i, read from the log.
func (t *table) record(i int) (content string, meta map[string]string, err error) {
	_, f, err := t.frame(i, nil)
	if err != nil {
		return "", nil, err
	}
	return f.content, f.meta, nil
}

// loadMetas reads every row's metadata from the log into t.metas, in the
// order of the frames in the log, unless it is there already. The caller
// holds the store's write lock, or its read lock and metaMu.
func (t *table) loadMetas() error {
	if t.metas != nil || t.n() == 0 {
		return nil
	}
	rows, err := t.allRows()
	if err != nil {
		return err
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch x, y := rows[a].off, rows[b].off; {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	metas := make([]map[string]string, len(rows))
	var buf []byte
	for _, i := range order {
		var f frame
		var err error
		if buf, f, err = t.frame(i, buf); err != nil {
			return err
		}
		metas[i] = cloneMetaStrings(f.meta)
	}
	t.metas = metas
	return nil
}

// cloneMetaStrings copies a decoded frame's metadata so that it does not
// hold the frame's content, with which its strings share memory.
func cloneMetaStrings(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[strings.Clone(k)] = strings.Clone(v)
	}
	return c
}
