package vectorstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/papermap/papermap/internal/readahead"
	"github.com/papermap/papermap/internal/safefile"
)

// The snapshot (DIR/records.idx) is derived from the record log, so that
// Open need not read the log: it holds the live records' IDs, hashes and
// frame offsets, and their vectors as a matrix that Open maps into memory.
// It is stamped with the length of the log it covers and a checksum of the
// log's last bytes before that length; Open replays the frames after it.
// A snapshot that is missing, cut short, stale or damaged is ignored (with
// a notice) and the log is read instead; a writer then writes a new one
// when it closes.
//
// Layout of version 2, which writers write (integers little-endian):
//
//	 0  magic      16 bytes "papermap-idx v2\n"
//	16  dim        uint32
//	20  chunkRows  uint32   rows per checksummed chunk of the matrix
//	24  rows       uint64
//	32  logBytes   uint64   length of the log the snapshot covers
//	40  tailCRC    uint32   CRC-32C of the (up to) 4096 log bytes before logBytes
//	44  nchunks    uint32   chunks of the matrix
//	48  indexLen   uint64   length of the row index's entries
//	56  indexRows  uint32   rows per checksummed chunk of the row index
//	60  dirLen     uint32   length of the directory
//	64  dirCRC     uint32   CRC-32C of the chunk checksums and the directory
//	68  headerCRC  uint32   CRC-32C of bytes 0 to 68
//	72  nchunks × uint32    CRC-32C of each chunk of the matrix
//	    directory: per chunk of the row index, uint64 offset of its first
//	               entry among the entries, uint32 CRC-32C of its entries,
//	               uvarint length and bytes of its first ID
//	    row index: per row, uvarint id length, id, uvarint hash length,
//	               hash, uvarint frame offset, uvarint frame length
//	    zero bytes up to a multiple of 4096
//	    matrix: rows × dim float32, row i the vector of the i-th index entry
//
// Rows are in ID order. The header and the directory are checked at Open;
// a reader decodes a chunk of the row index the first time one of its rows
// is used (lazyRows: a query decodes the chunks of its hits, not the 86 MB
// of a million records), and a writer decodes them all at Open. Each chunk
// of the matrix is checked the first time one of its rows is read
// (table.ready), and a chunk that fails is read again from the log; a
// chunk of the row index that fails makes a reader read the rows from the
// log, and a writer read the whole log, as without a snapshot.
//
// Version 1 (magic "papermap-idx v1\n") has a 64-byte header: the same
// fields to byte 48, then indexLen uint64, indexCRC uint32 (CRC-32C of the
// whole row index), headerCRC uint32 (of bytes 0 to 60); the chunk
// checksums at 64, no directory, and the row index, checked and decoded
// whole at Open. It is still read so; a writer rewrites it in version 2
// when it closes.
const snapName = "records.idx"

// snapVersion is the version of the snapshots writers write.
const snapVersion = 2

var (
	snapMagic   = []byte("papermap-idx v2\n")
	snapMagicV1 = []byte("papermap-idx v1\n")
)

const (
	snapHeaderLen   = 72
	snapHeaderLenV1 = 64
	snapAlign       = 4096
	// snapChunkBytes is about the size of a checksummed chunk of the
	// matrix: small enough that reading a few scattered rows (an
	// approximate index's search) checks little more than those rows.
	snapChunkBytes = 64 << 10
	snapTailBytes  = 4096
)

// mappedSnapshot is the matrix of a snapshot, mapped into memory, and the
// state of its chunks' checks.
type mappedSnapshot struct {
	data      []byte // the mapping (or a heap copy where mapping is not available)
	unmap     func() error
	rows      int // rows of the matrix as mapped
	chunkRows int
	crcs      []uint32
	vecOff    int
	ok        []atomic.Bool // chunk c was checked (and fixed when needed)
	all       atomic.Bool   // every chunk was checked
	mu        sync.Mutex    // serialises checks
	// walks is held for reading by graph walks, which read rows whose
	// chunks may not be checked yet (table.walk), and for writing while a
	// chunk that failed its check is rewritten from the log: a row is
	// never rewritten under a walk that reads it.
	walks  sync.RWMutex
	fixed  atomic.Bool // a chunk was read again from the log
	notice func(string)
	// populating: the matrix's cached pages are being (or were)
	// entered into the page tables (populate), by a goroutine that close
	// waits for.
	populating atomic.Bool
	populated  sync.WaitGroup
	// prefetching: the matrix's pages not cached are being (or were)
	// asked for ahead of a walk (prefetch), by a goroutine in populated
	// that stops at the next window once stop is set (close).
	prefetching atomic.Bool
	stop        atomic.Bool
}

// populate starts entering the cached pages of a mapped matrix into the
// page tables (once, on another goroutine: searches go on meanwhile, their
// faults and it mapping the same pages at worst), ahead of a search that
// reads many of its rows (a graph walk, a scan): see populateResident.
func (t *table) populate() {
	sn := t.snap
	if sn == nil || !t.mapped() || !sn.populating.CompareAndSwap(false, true) {
		return
	}
	b := sn.data[sn.vecOff-sn.vecOff%os.Getpagesize():]
	sn.populated.Go(func() { populateResident(b) })
}

// prefetch starts asking for the pages of a mapped matrix that are not
// cached (once, on another goroutine), ahead of a graph walk that meets
// rows all over it: see prefetchCold.
func (t *table) prefetch() {
	sn := t.snap
	if sn == nil || !t.mapped() || !sn.prefetching.CompareAndSwap(false, true) {
		return
	}
	b := sn.data[sn.vecOff-sn.vecOff%os.Getpagesize() : sn.vecOff+4*sn.rows*t.dim]
	sn.populated.Go(func() { prefetchCold(b, &sn.stop) })
}

// adviseRows asks for the chunks of the given rows that are not checked
// yet, ahead of their reading (readahead.WillNeed): a reader's graph walk over
// the index's codes reads only some hundred rows of a cold matrix (those
// it scores again, then the exact scan of its candidates), each in its
// own chunk, and the check of a chunk reads all of it.
func (t *table) adviseRows(rows ...int32) {
	sn := t.snap
	if sn == nil || sn.all.Load() || !t.mapped() {
		return
	}
	last := -1
	for _, r := range rows {
		if r < 0 || int(r) >= sn.rows {
			continue
		}
		c := int(r) / sn.chunkRows
		if c == last || sn.ok[c].Load() {
			continue
		}
		last = c
		lo, hi := c*sn.chunkRows, min((c+1)*sn.chunkRows, sn.rows)
		readahead.WillNeed(sn.data[sn.vecOff+4*lo*t.dim : sn.vecOff+4*hi*t.dim])
	}
}

func snapChunkRows(dim int) int { return max(1, snapChunkBytes/(4*dim)) }

// ready checks the snapshot rows lo to hi-1 of t against their chunks'
// checksums, reading the rows of a chunk that fails from the log. Rows
// that are not from the snapshot need no check.
func (t *table) ready(lo, hi int) error {
	sn := t.snap
	if sn == nil || sn.all.Load() {
		return nil
	}
	hi = min(hi, sn.rows)
	if lo >= hi {
		return nil
	}
	for c := lo / sn.chunkRows; c*sn.chunkRows < hi; c++ {
		if sn.ok[c].Load() {
			continue
		}
		if err := t.checkChunk(c, hi-lo <= sn.chunkRows); err != nil {
			return err
		}
	}
	return nil
}

// readyAll checks every row (see ready).
func (t *table) readyAll() error {
	sn := t.snap
	if sn == nil || sn.all.Load() {
		return nil
	}
	if err := t.ready(0, sn.rows); err != nil {
		return err
	}
	sn.all.Store(true)
	return nil
}

// readyRows checks the given rows (see ready).
func (t *table) readyRows(rows []int32) error {
	sn := t.snap
	if sn == nil || sn.all.Load() {
		return nil
	}
	for _, r := range rows {
		if int(r) < sn.rows && !sn.ok[int(r)/sn.chunkRows].Load() {
			if err := t.checkChunk(int(r)/sn.chunkRows, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkChunk checks chunk c (see ready). With scattered (a few rows, not a
// run of chunks), the chunk is asked for first (readahead.WillNeed): a
// fault on a page not cached reads the disk's read-ahead size around it
// (8 MiB on the test VM, for a chunk of 64 KiB), and a cold hybrid search
// at a million papers checks a hundred chunks all over the matrix. A run
// of chunks is left to the kernel's read-ahead, which reads it in large
// parts.
func (t *table) checkChunk(c int, scattered bool) error {
	sn := t.snap
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.ok[c].Load() {
		return nil
	}
	lo, hi := c*sn.chunkRows, min((c+1)*sn.chunkRows, sn.rows)
	b := sn.data[sn.vecOff+4*lo*t.dim : sn.vecOff+4*hi*t.dim]
	if scattered {
		readahead.WillNeed(b)
	}
	if crc32.Checksum(b, castagnoli) != sn.crcs[c] {
		// Never trusted over the log: the chunk's rows are read again
		// from their frames.
		if err := t.fixChunk(lo, hi); err != nil {
			return err
		}
		if !sn.fixed.Swap(true) && sn.notice != nil {
			sn.notice(fmt.Sprintf("vectorstore: %s: rows %d to %d fail their checksum; they were read from %s instead (a writer rewrites %s when it closes)", snapName, lo, hi-1, logName, snapName))
		}
	}
	sn.ok[c].Store(true)
	return nil
}

// fixChunk reads rows lo to hi-1 again from their frames in the log, with
// no graph walk reading them meanwhile (walks). The caller holds sn.mu.
func (t *table) fixChunk(lo, hi int) error {
	sn := t.snap
	sn.walks.Lock()
	defer sn.walks.Unlock()
	var buf []byte
	for i := lo; i < hi; i++ {
		var f frame
		var err error
		if buf, f, err = t.frame(i, buf); err != nil {
			return err
		}
		if f.dim != t.dim {
			return fmt.Errorf("vectorstore: record %q has %d dims, the store %d", f.id, f.dim, t.dim)
		}
		decodeVector(t.vec(i), f.vec)
	}
	return nil
}

// walk runs f, which may read rows of the matrix whose chunks are not
// checked (an approximate index's graph walk, see annIndex.Vec), so that
// no chunk is rewritten meanwhile. f must not check chunks itself (ready).
func (t *table) walk(f func()) {
	if sn := t.snap; sn != nil && !sn.all.Load() {
		sn.walks.RLock()
		defer sn.walks.RUnlock()
	}
	f()
}

// close releases the mapping. The table must not be used afterwards.
func (sn *mappedSnapshot) close() error {
	if sn == nil || sn.unmap == nil {
		return nil
	}
	sn.stop.Store(true)
	sn.populated.Wait()
	err := sn.unmap()
	sn.unmap, sn.data = nil, nil
	return err
}

// logTailCRC returns the checksum of the log bytes before end that a
// snapshot covering end bytes of the log is stamped with.
func logTailCRC(log io.ReaderAt, end int64) (uint32, error) {
	start := max(0, end-snapTailBytes)
	b := make([]byte, end-start)
	if _, err := log.ReadAt(b, start); err != nil {
		return 0, err
	}
	return crc32.Checksum(b, castagnoli), nil
}

// writeSnapshot writes the snapshot of t, which covers the first logBytes
// bytes of the log in log, to DIR/records.idx, atomically. Every row of t
// must be checked (readyAll).
func writeSnapshot(dir string, t *table, log io.ReaderAt, logBytes int64) error {
	tail, err := logTailCRC(log, logBytes)
	if err != nil {
		return fmt.Errorf("vectorstore: write %s: %w", snapName, err)
	}
	dim := t.dim
	order := t.sortedRows()
	// The row index (some 90 MB at a million records) is not built in
	// memory: a first pass measures and checksums its chunks and writes
	// the directory, the write encodes it again entry by entry.
	var entry []byte
	appendEntry := func(i int) []byte {
		r := &t.mem[i]
		entry = appendString(entry[:0], r.id)
		entry = appendString(entry, r.hash)
		entry = binary.AppendUvarint(entry, uint64(r.off))
		entry = binary.AppendUvarint(entry, uint64(r.size))
		return entry
	}
	var dir2 []byte
	indexLen := 0
	for lo := 0; lo < len(order); lo += snapIndexChunkRows {
		crc := uint32(0)
		dir2 = binary.LittleEndian.AppendUint64(dir2, uint64(indexLen))
		for _, i := range order[lo:min(lo+snapIndexChunkRows, len(order))] {
			e := appendEntry(i)
			indexLen += len(e)
			crc = crc32.Update(crc, castagnoli, e)
		}
		dir2 = binary.LittleEndian.AppendUint32(dir2, crc)
		dir2 = appendString(dir2, t.mem[order[lo]].id)
	}
	chunkRows := snapChunkRows(max(dim, 1))
	nchunks := (len(order) + chunkRows - 1) / chunkRows
	crcs := make([]uint32, nchunks)
	row := make([]byte, 4*dim)
	encodeRow := func(i int) []byte {
		for j, v := range t.vec(i) {
			binary.LittleEndian.PutUint32(row[4*j:], math.Float32bits(v))
		}
		return row
	}
	for c := range crcs {
		var crc uint32
		for k := c * chunkRows; k < min((c+1)*chunkRows, len(order)); k++ {
			crc = crc32.Update(crc, castagnoli, encodeRow(order[k]))
		}
		crcs[c] = crc
	}
	hdr := make([]byte, snapHeaderLen, snapHeaderLen+4*nchunks+len(dir2))
	for _, c := range crcs {
		hdr = binary.LittleEndian.AppendUint32(hdr, c)
	}
	hdr = append(hdr, dir2...)
	copy(hdr, snapMagic)
	binary.LittleEndian.PutUint32(hdr[16:], uint32(dim))
	binary.LittleEndian.PutUint32(hdr[20:], uint32(chunkRows))
	binary.LittleEndian.PutUint64(hdr[24:], uint64(len(order)))
	binary.LittleEndian.PutUint64(hdr[32:], uint64(logBytes))
	binary.LittleEndian.PutUint32(hdr[40:], tail)
	binary.LittleEndian.PutUint32(hdr[44:], uint32(nchunks))
	binary.LittleEndian.PutUint64(hdr[48:], uint64(indexLen))
	binary.LittleEndian.PutUint32(hdr[56:], snapIndexChunkRows)
	binary.LittleEndian.PutUint32(hdr[60:], uint32(len(dir2)))
	binary.LittleEndian.PutUint32(hdr[64:], crc32.Checksum(hdr[snapHeaderLen:], castagnoli))
	binary.LittleEndian.PutUint32(hdr[68:], crc32.Checksum(hdr[:68], castagnoli))
	pre := len(hdr) + indexLen
	pad := (snapAlign - pre%snapAlign) % snapAlign
	err = safefile.Write(filepath.Join(dir, snapName), 0o600, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		w.Write(hdr)
		for _, i := range order {
			w.Write(appendEntry(i))
		}
		w.Write(make([]byte, pad))
		for _, i := range order {
			if _, err := w.Write(encodeRow(i)); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("vectorstore: write %s: %w", snapName, err)
	}
	return nil
}

// removeSnapshot removes DIR/records.idx, before the log it covers is
// replaced (Compact, Repair).
func removeSnapshot(dir string) error {
	if err := os.Remove(filepath.Join(dir, snapName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vectorstore: %w", err)
	}
	return nil
}

// staleSnapshot says why a snapshot cannot be used; Open then reads the
// log.
type staleSnapshot struct{ reason string }

func (e *staleSnapshot) Error() string { return e.reason }

func stale(format string, args ...any) error {
	return &staleSnapshot{fmt.Sprintf(format, args...)}
}

// openSnapshot reads DIR/records.idx into a table whose matrix is mapped,
// if the snapshot matches the log (log, of logSize bytes). dim is the
// manifest's dimension. With lazy (a reader), the row index of a version
// 2 snapshot is decoded a chunk at a time when rows are used (lazyRows);
// otherwise it is decoded whole, now. It returns the table, the log
// length it covers and the snapshot's version; a *staleSnapshot error
// says why the snapshot cannot be used (it is missing, cut short, stale or
// damaged), other errors are I/O errors.
func openSnapshot(dir string, log io.ReaderAt, logSize int64, dim int, lazy bool) (*table, int64, int, error) {
	f, err := os.Open(filepath.Join(dir, snapName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, 0, stale("there is none")
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("vectorstore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("vectorstore: %w", err)
	}
	size := fi.Size()
	if size < snapHeaderLenV1 {
		return nil, 0, 0, stale("it is cut short")
	}
	hdr := make([]byte, min(size, snapHeaderLen))
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, 0, 0, fmt.Errorf("vectorstore: read %s: %w", snapName, err)
	}
	version, hlen := 2, snapHeaderLen
	switch {
	case bytes.Equal(hdr[:16], snapMagicV1):
		version, hlen = 1, snapHeaderLenV1
		if crc32.Checksum(hdr[:60], castagnoli) != binary.LittleEndian.Uint32(hdr[60:]) {
			return nil, 0, 0, stale("its header is damaged")
		}
	case len(hdr) < snapHeaderLen:
		return nil, 0, 0, stale("it is cut short")
	case !bytes.Equal(hdr[:16], snapMagic) || crc32.Checksum(hdr[:68], castagnoli) != binary.LittleEndian.Uint32(hdr[68:]):
		return nil, 0, 0, stale("its header is damaged")
	}
	sdim := int(binary.LittleEndian.Uint32(hdr[16:]))
	chunkRows := int(binary.LittleEndian.Uint32(hdr[20:]))
	rows := binary.LittleEndian.Uint64(hdr[24:])
	logBytes := int64(binary.LittleEndian.Uint64(hdr[32:]))
	tail := binary.LittleEndian.Uint32(hdr[40:])
	nchunks := int(binary.LittleEndian.Uint32(hdr[44:]))
	indexLen := binary.LittleEndian.Uint64(hdr[48:])
	var indexCRC, dirCRC uint32
	var indexRows, dirLen int
	if version == 1 {
		indexCRC = binary.LittleEndian.Uint32(hdr[56:])
	} else {
		indexRows = int(binary.LittleEndian.Uint32(hdr[56:]))
		dirLen = int(binary.LittleEndian.Uint32(hdr[60:]))
		dirCRC = binary.LittleEndian.Uint32(hdr[64:])
	}
	switch {
	case dim > 0 && sdim != dim, sdim <= 0:
		return nil, 0, 0, stale("it has %d dims, the store %d", sdim, dim)
	case logBytes < int64(len(logHeader)) || logBytes > logSize:
		return nil, 0, 0, stale("it covers %d bytes of the log, which has %d", logBytes, logSize)
	case chunkRows != snapChunkRows(sdim) || rows > uint64(size)/4 || uint64(nchunks) != (rows+uint64(chunkRows)-1)/uint64(chunkRows) || indexLen > uint64(size),
		version == 2 && (indexRows <= 0 || int64(dirLen) > size):
		return nil, 0, 0, stale("its header is inconsistent")
	}
	meta0 := hlen + 4*nchunks + dirLen // the entries start here
	pre := meta0 + int(indexLen)
	vecOff := pre + (snapAlign-pre%snapAlign)%snapAlign
	if want := int64(vecOff) + int64(rows)*int64(sdim)*4; size != want {
		return nil, 0, 0, stale("it has %d bytes, not %d", size, want)
	}
	if got, err := logTailCRC(log, logBytes); err != nil {
		return nil, 0, 0, fmt.Errorf("vectorstore: read %s: %w", logName, err)
	} else if got != tail {
		return nil, 0, 0, stale("it was made from another log (the log was rewritten)")
	}
	// Version 1: the chunk checksums and the whole row index; version 2:
	// the chunk checksums and the directory.
	metaEnd := meta0
	if version == 1 {
		metaEnd = pre
	}
	meta := make([]byte, metaEnd-hlen)
	if _, err := f.ReadAt(meta, int64(hlen)); err != nil {
		return nil, 0, 0, fmt.Errorf("vectorstore: read %s: %w", snapName, err)
	}
	crcs := make([]uint32, nchunks)
	for c := range crcs {
		crcs[c] = binary.LittleEndian.Uint32(meta[4*c:])
	}
	var t *table
	var lz *lazyRows
	if version == 1 {
		index := meta[4*nchunks:]
		// The checksum (86 MB of row index at a million records) is summed
		// on another CPU while the index is parsed; a parse of damaged bytes
		// fails or is dropped, never trusted.
		crcOK := make(chan bool, 1)
		go func() { crcOK <- crc32.Checksum(index, castagnoli) == indexCRC }()
		t = &table{mem: make([]rowInfo, rows)} // rowOf is built by the first change
		err := parseRowEntries(t.mem, index, logBytes, 0)
		if !<-crcOK {
			return nil, 0, 0, stale("its row index fails its checksum")
		}
		if err != nil {
			return nil, 0, 0, err
		}
	} else {
		if crc32.Checksum(meta, castagnoli) != dirCRC {
			return nil, 0, 0, stale("its directory fails its checksum")
		}
		if lz, err = parseDirectory(meta[4*nchunks:], int(rows), indexRows, indexLen); err != nil {
			return nil, 0, 0, err
		}
		lz.logBytes, lz.dim = logBytes, sdim
		t = &table{lz: lz}
	}
	t.dim = sdim
	t.src = log

	sn := &mappedSnapshot{rows: int(rows), chunkRows: chunkRows, crcs: crcs, vecOff: vecOff, ok: make([]atomic.Bool, nchunks)}
	if rows > 0 {
		data, unmap, err := mapFile(f, size)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("vectorstore: map %s: %w", snapName, err)
		}
		sn.data, sn.unmap = data, unmap
		t.vecs = unsafe.Slice((*float32)(unsafe.Pointer(&data[vecOff])), int(rows)*sdim)
		t.vecs = t.vecs[:len(t.vecs):len(t.vecs)]
		if !nativeLittleEndian {
			// The file is little-endian: decode it on the heap.
			vecs := make([]float32, int(rows)*sdim)
			decodeVector(vecs, data[vecOff:])
			t.vecs = vecs
		}
		if lz != nil {
			lz.entries = data[meta0:pre:pre]
		}
	}
	t.snap = sn
	if lz != nil && !lazy {
		// A writer decodes every chunk now; one that fails is a
		// snapshot not used, as in version 1.
		if err := t.decodeAll(); err != nil {
			sn.close()
			return nil, 0, 0, err
		}
	}
	return t, logBytes, version, nil
}

// parseDirectory decodes the directory of a version 2 snapshot (see the
// layout above) whose checksum is right.
func parseDirectory(d []byte, rows, chunkRows int, indexLen uint64) (*lazyRows, error) {
	n := (rows + chunkRows - 1) / chunkRows
	lz := &lazyRows{rows: rows, chunkRows: chunkRows, offs: make([]uint64, n+1), crcs: make([]uint32, n),
		fences: make([]string, n), chunks: make([]atomic.Pointer[[]rowInfo], n)}
	all := string(d) // one copy: the fences are substrings of it
	p := 0
	for c := range n {
		if len(d)-p < 12 {
			return nil, stale("its directory is damaged: cut short")
		}
		lz.offs[c] = binary.LittleEndian.Uint64(d[p:])
		lz.crcs[c] = binary.LittleEndian.Uint32(d[p+8:])
		p += 12
		l, k := binary.Uvarint(d[p:])
		if k <= 0 || l == 0 || l > uint64(len(d)-p-k) {
			return nil, stale("its directory is damaged: chunk %d", c)
		}
		p += k
		lz.fences[c] = all[p : p+int(l)]
		p += int(l)
		if c == 0 && lz.offs[0] != 0 || c > 0 && (lz.offs[c] <= lz.offs[c-1] || lz.fences[c] <= lz.fences[c-1]) {
			return nil, stale("its directory is damaged: chunk %d is out of order", c)
		}
	}
	lz.offs[n] = indexLen
	if p != len(d) || (n > 0 && lz.offs[n-1] >= indexLen) || (n == 0 && indexLen != 0) {
		return nil, stale("its directory is damaged: it does not cover the row index")
	}
	return lz, nil
}

// decodeAll decodes the whole row index of a lazy table into t.mem (a
// writer's, which changes rows): the entries are copied to the heap at
// once, each chunk checked against its checksum. A chunk that fails is a
// *staleSnapshot error.
func (t *table) decodeAll() error {
	lz := t.lz
	if lz == nil {
		return nil
	}
	b := bytes.Clone(lz.entries)
	mem := make([]rowInfo, lz.rows)
	for c := range lz.nchunks() {
		lo, hi := lz.bounds(c)
		e := b[lz.offs[c]:lz.offs[c+1]]
		if crc32.Checksum(e, castagnoli) != lz.crcs[c] {
			return stale("rows %d to %d of its row index fail their checksum", lo, hi-1)
		}
		if err := parseRowEntries(mem[lo:hi], e, lz.logBytes, lo); err != nil {
			return err
		}
		if mem[lo].id != lz.fences[c] || (c+1 < lz.nchunks() && mem[hi-1].id >= lz.fences[c+1]) {
			return stale("rows %d to %d of its row index do not match its directory", lo, hi-1)
		}
	}
	t.mem, t.lz = mem, nil
	return nil
}

var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// mapped reports whether t's matrix is (still) the snapshot's mapping.
func (t *table) mapped() bool {
	sn := t.snap
	if sn == nil || len(sn.data) == 0 || cap(t.vecs) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(t.vecs)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(sn.data)))
	return p >= lo && p < lo+uintptr(len(sn.data))
}

// toHeap moves a mapped matrix, or one in the arena, to the heap, once
// every row is checked, and keeps it there.
func (t *table) toHeap() {
	t.heapOnly = true
	if t.mapped() || t.arena != nil {
		t.vecs = slices.Clone(t.vecs)
		t.freeArena()
	}
}

// rows returns the number of rows of the matrix (the live records). The
// caller holds mu, for reading at least. Row numbers are those of vector
// and of Query's scan; Add appends rows, Delete moves the last row into
// the hole, and Open may renumber them all.
func (s *Store) rows() int { return s.t.n() }

// vector returns row i of the matrix, checked against its snapshot chunk
// (see table.ready) the first time; it shares memory with the store (a
// mapped snapshot, or the heap) and must not be changed. The caller holds
// mu, for reading at least, for as long as it uses the slice.
func (s *Store) vector(i int) ([]float32, error) {
	if err := s.t.ready(i, i+1); err != nil {
		return nil, err
	}
	return s.t.vec(i), nil
}
