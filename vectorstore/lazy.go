package vectorstore

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/papermap/papermap/internal/readahead"
)

// lazyRows is the row index of a version 2 snapshot (IDs, hashes and
// frame offsets of the live records, in ID order) as a reader uses it: a
// chunk of snapIndexChunkRows rows is copied from the mapped file, checked
// against its checksum and decoded the first time one of its rows is
// asked for, so that a query at a million records decodes the few chunks
// of its hits instead of the 86 MB of the whole index. The directory (each
// chunk's offset, checksum and first ID) is read and checked at Open.
//
// A chunk that fails its checksum, or does not decode to rows in ID order
// between its own first ID and the next chunk's, is never used: every row
// is then read from the log instead (the frames the snapshot covers, as an
// Open without the snapshot reads them), once, with a notice, and a
// writer rewrites the snapshot when it closes (a writer decodes every
// chunk at Open, see snapshotRows, and reads the whole log as before when
// one fails).
type lazyRows struct {
	entries   []byte // the entries of the row index, in the snapshot's mapping
	rows      int
	chunkRows int
	offs      []uint64 // chunk c's entries are entries[offs[c]:offs[c+1]]
	crcs      []uint32
	fences    []string // the first ID of each chunk
	logBytes  int64

	chunks []atomic.Pointer[[]rowInfo]
	mu     sync.Mutex // serialises decoding and the fallback
	// full holds every row once all were asked for at once (all), or
	// read from the log after a chunk failed (fallback).
	full  atomic.Pointer[[]rowInfo]
	fixed atomic.Bool // the rows were read from the log
	// failed is why the fallback failed (a damaged chunk, and a log that
	// cannot be read either): returned for that chunk's rows from then
	// on, rather than reading the log again for each. Guarded by mu.
	failed error

	src     io.ReaderAt // the log, for the fallback
	logPath string
	dim     int
	notice  func(string)
}

// snapIndexChunkRows is the number of rows of a checksummed chunk of the
// row index: some 22 KB at 86 bytes a row, so that the hits of a query
// cost a few chunks, and the directory (about 35 bytes a chunk, read at
// Open) stays near 140 KB at a million records.
const snapIndexChunkRows = 256

func (lz *lazyRows) nchunks() int { return len(lz.fences) }

// bounds returns the rows of chunk c.
func (lz *lazyRows) bounds(c int) (lo, hi int) {
	return c * lz.chunkRows, min((c+1)*lz.chunkRows, lz.rows)
}

// row returns row i.
func (lz *lazyRows) row(i int) (rowInfo, error) {
	if f := lz.full.Load(); f != nil {
		return (*f)[i], nil
	}
	c := i / lz.chunkRows
	rows, err := lz.chunk(c)
	if err != nil {
		return rowInfo{}, err
	}
	return rows[i-c*lz.chunkRows], nil
}

// find returns the row of id (rows are in ID order).
func (lz *lazyRows) find(id string) (int, bool, error) {
	if f := lz.full.Load(); f != nil {
		i, ok := slices.BinarySearchFunc(*f, id, cmpRowID)
		return i, ok, nil
	}
	// The last chunk whose first ID is not after id.
	c, ok := slices.BinarySearch(lz.fences, id)
	if !ok {
		c--
	}
	if c < 0 {
		return 0, false, nil
	}
	rows, err := lz.chunk(c)
	if err != nil {
		return 0, false, err
	}
	j, ok := slices.BinarySearchFunc(rows, id, cmpRowID)
	return c*lz.chunkRows + j, ok, nil
}

func cmpRowID(r rowInfo, id string) int { return strings.Compare(r.id, id) }

// chunk returns the rows of chunk c, decoding them the first time.
func (lz *lazyRows) chunk(c int) ([]rowInfo, error) {
	if p := lz.chunks[c].Load(); p != nil {
		return *p, nil
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if p := lz.chunks[c].Load(); p != nil {
		return *p, nil
	}
	lo, hi := lz.bounds(c)
	if f := lz.full.Load(); f != nil {
		return (*f)[lo:hi], nil
	}
	rows, err := lz.decode(c)
	if err != nil {
		if lz.failed != nil {
			return nil, lz.failed
		}
		full, ferr := lz.fallback(lo, hi, err)
		if ferr != nil {
			return nil, ferr
		}
		return full[lo:hi], nil
	}
	lz.chunks[c].Store(&rows)
	return rows, nil
}

// decode copies chunk c to the heap (the rows' strings may outlive the
// mapping), checks it and decodes it. Its error, a *staleSnapshot, says
// what is wrong.
func (lz *lazyRows) decode(c int) ([]rowInfo, error) {
	lo, hi := lz.bounds(c)
	e := lz.entries[lz.offs[c]:lz.offs[c+1]]
	// Asked for first: a fault on a page not cached reads the disk's
	// read-ahead size around it (8 MiB on the test VM), where the chunk
	// is some 22 KB, and a cold hybrid search at a million papers decodes
	// a hundred chunks all over the row index.
	readahead.WillNeed(e)
	b := bytes.Clone(e)
	if crc32.Checksum(b, castagnoli) != lz.crcs[c] {
		return nil, stale("rows %d to %d of its row index fail their checksum", lo, hi-1)
	}
	next := ""
	if c+1 < len(lz.fences) {
		next = lz.fences[c+1]
	}
	rows := make([]rowInfo, hi-lo)
	if err := parseRowEntries(rows, b, lz.logBytes, lo); err != nil {
		return nil, err
	}
	if rows[0].id != lz.fences[c] || (next != "" && rows[len(rows)-1].id >= next) {
		return nil, stale("rows %d to %d of its row index do not match its directory", lo, hi-1)
	}
	return rows, nil
}

// all returns every row, decoding the chunks not decoded yet.
func (lz *lazyRows) all() ([]rowInfo, error) {
	if f := lz.full.Load(); f != nil {
		return *f, nil
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if f := lz.full.Load(); f != nil {
		return *f, nil
	}
	full := make([]rowInfo, 0, lz.rows)
	for c := range lz.nchunks() {
		rows, err := lz.decodedOrNew(c)
		if err != nil {
			if lz.failed != nil {
				return nil, lz.failed
			}
			lo, hi := lz.bounds(c)
			return lz.fallback(lo, hi, err)
		}
		full = append(full, rows...)
	}
	lz.full.Store(&full)
	return full, nil
}

// decodedOrNew returns chunk c, decoded now unless it was. The caller
// holds mu.
func (lz *lazyRows) decodedOrNew(c int) ([]rowInfo, error) {
	if p := lz.chunks[c].Load(); p != nil {
		return *p, nil
	}
	return lz.decode(c)
}

// fallback reads every row from the log, once a chunk (rows lo to hi-1)
// failed for the given reason: the frames the snapshot covers are read
// in order, as an Open without the snapshot reads them, and the live
// records sorted by ID, which must be the snapshot's rows (the matrix's
// rows are in that order). The caller holds mu.
func (lz *lazyRows) fallback(lo, hi int, why error) ([]rowInfo, error) {
	byID := make(map[string]rowInfo, lz.rows)
	res, err := scanLog(lz.src, int64(len(logHeader)), lz.logBytes, scanStrict, func(f *frame, off, n int64) error {
		switch f.kind {
		case kindTombstone:
			delete(byID, f.id)
		case kindRecord:
			if f.dim != lz.dim {
				return &payloadError{fmt.Errorf("record %q has %d dims, the store %d", f.id, f.dim, lz.dim)}
			}
			byID[strings.Clone(f.id)] = rowInfo{hash: strings.Clone(f.hash), off: off, size: n}
		default:
			return &payloadError{fmt.Errorf("unknown frame kind %d", f.kind)}
		}
		return nil
	})
	if err == nil && (res.bad >= 0 || res.end != lz.logBytes) {
		err = &CorruptError{File: lz.logPath, Offset: res.end, Intact: -1,
			Reason: fmt.Sprintf("%s was damaged (%v) and the log it covers cannot be read whole either (%s); `papermap repair` keeps the intact records", snapName, why, res.reason)}
	}
	if err != nil {
		lz.failed = fmt.Errorf("vectorstore: read %s: %w", lz.logPath, err)
		return nil, lz.failed
	}
	full := make([]rowInfo, 0, len(byID))
	for id, r := range byID {
		r.id = id
		full = append(full, r)
	}
	slices.SortFunc(full, func(a, b rowInfo) int { return strings.Compare(a.id, b.id) })
	if len(full) != lz.rows {
		// The matrix's rows are the snapshot's: they cannot be matched
		// with the log's records.
		lz.failed = fmt.Errorf("vectorstore: %s was damaged (%v), and the log it covers holds %d records, not its %d: remove %s (the next Open reads the log, and a writer writes it again)",
			snapName, why, len(full), lz.rows, snapName)
		return nil, lz.failed
	}
	lz.full.Store(&full)
	lz.fixed.Store(true)
	if lz.notice != nil {
		lz.notice(fmt.Sprintf("vectorstore: %s: %v; the rows were read from %s instead (a writer rewrites %s when it closes)", snapName, why, logName, snapName))
	}
	return full, nil
}

// parseRowEntries decodes len(rows) entries of a row index (see
// snapshot.go) whose checksum is right into rows, rows first to
// first+len(rows)-1 of the snapshot (for messages). The IDs and hashes are substrings of b, which the caller
// hands over: it must never change it. The entries must be in strictly
// increasing ID order, their frames inside the first logBytes of the log.
func parseRowEntries(rows []rowInfo, b []byte, logBytes int64, first int) error {
	all := unsafe.String(unsafe.SliceData(b), len(b))
	r := payloadReader{p: b}
	for i := range rows {
		id := r.field("id")
		hash := r.field("hash")
		off := r.uvarint("offset")
		size := r.uvarint("frame")
		if r.err != nil {
			return stale("its row index is damaged: %v", r.err)
		}
		if off < uint64(len(logHeader)) || size < minRecordFrame || off+size > uint64(logBytes) || id.start == id.end {
			return stale("its row index is damaged: row %d is out of the log", first+i)
		}
		ri := rowInfo{id: all[id.start:id.end], hash: all[hash.start:hash.end], off: int64(off), size: int64(size)}
		if i > 0 && rows[i-1].id >= ri.id {
			// find relies on the order, and an ID is stored once.
			return stale("its row index is damaged: %q is not after %q", ri.id, rows[i-1].id)
		}
		rows[i] = ri
	}
	if r.pos != len(b) {
		return stale("its row index is damaged: trailing bytes")
	}
	return nil
}
