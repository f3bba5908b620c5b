package sparse

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A file of version 4 has the body of version 3 (lazy.go) and, instead of
// one checksum of everything, one per chunk of chunkBytes, so that a
// process answering one query checks (and reads from disk) only the
// chunks it reads: at a million papers the file is 179 MB and a query
// reads some megabytes of it (the norms, the postings of its terms, the
// entries its binary searches meet). After the body:
//
//	sums     uint32 per chunk: CRC-32C of bytes [c·size, min((c+1)·size, end))
//	         of the file (the header line included)
//	end      uint64: where the body ends (and the sums start)
//	size     uint32: the chunk size
//	crc      uint32: CRC-32C of sums, end and size
//
// Read checks the sums' checksum and the chunks holding the header; a
// search checks each other chunk when it first reads it, and a chunk that
// fails is never read: the search goes on with zeros in its place, and
// Damaged reports true from then on (its owner rebuilds the index).
// Check checks all the chunks, as a caller must before changing or
// saving the index.
const footerLen = 16

// chunkBytes is the chunk size WriteTo writes (a variable for the tests).
var chunkBytes = 16 << 10

// chunks is the state of a version 4 file's chunk checks.
type chunks struct {
	data    []byte // the file up to the sums
	base    uintptr
	size    int
	sums    []byte
	state   []atomic.Uint32 // per chunk: 0 not checked, 1 intact, 2 damaged
	mu      sync.Mutex      // serialises checks
	damaged *atomic.Bool    // the Index's: a chunk failed
}

// readChunks reads the footer and the sums of a version 4 file.
func readChunks(data []byte, damaged *atomic.Bool) (*chunks, error) {
	if len(data) < len(header)+footerLen {
		return nil, fmt.Errorf("%w: cut short", ErrCorrupt)
	}
	f := data[len(data)-footerLen:]
	end, size := binary.LittleEndian.Uint64(f), binary.LittleEndian.Uint32(f[8:])
	if size < 64 || size > 1<<30 || end < uint64(len(header)) || end > uint64(len(data)-footerLen) {
		return nil, fmt.Errorf("%w: cut short or bad footer", ErrCorrupt)
	}
	n := (end + uint64(size) - 1) / uint64(size)
	if end+4*n != uint64(len(data)-footerLen) {
		return nil, fmt.Errorf("%w: cut short or bad footer", ErrCorrupt)
	}
	if crc32.Checksum(data[end:len(data)-4], castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch of the chunks' checksums", ErrCorrupt)
	}
	return &chunks{
		data: data[:end], base: uintptr(unsafe.Pointer(unsafe.SliceData(data))), size: int(size),
		sums: data[end : end+4*n], state: make([]atomic.Uint32, n), damaged: damaged,
	}, nil
}

// ok reports whether bytes i to i+n-1 of b, a part of the file, are in
// chunks that pass their check (checking those not checked yet); a nil
// chunks (a file checked whole) passes everything.
func (c *chunks) ok(b []byte, i, n int) bool {
	if c == nil || n <= 0 {
		return true
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))-c.base) + i
	for k := off / c.size; k*c.size < off+n; k++ {
		switch c.state[k].Load() {
		case 1:
			continue
		case 0:
			if c.check(k) {
				continue
			}
		}
		return false
	}
	return true
}

// check checks chunk k, once.
func (c *chunks) check(k int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.state[k].Load(); s != 0 {
		return s == 1
	}
	b := c.data[k*c.size : min((k+1)*c.size, len(c.data))]
	if crc32.Checksum(b, castagnoli) == binary.LittleEndian.Uint32(c.sums[4*k:]) {
		c.state[k].Store(1)
		return true
	}
	c.damaged.Store(true)
	c.state[k].Store(2)
	return false
}

// checkAll checks every chunk not checked yet and returns the number that
// fail.
func (c *chunks) checkAll() int {
	if c == nil {
		return 0
	}
	bad := 0
	for k := range c.state {
		if c.state[k].Load() == 2 || (c.state[k].Load() == 0 && !c.check(k)) {
			bad++
		}
	}
	return bad
}

// chunkSums computes the sums of a version 4 file as it is written.
type chunkSums struct {
	size int
	fill int // bytes of the current chunk so far
	crc  uint32
	sums []byte
}

func (s *chunkSums) write(b []byte) {
	for len(b) > 0 {
		n := min(len(b), s.size-s.fill)
		s.crc = crc32.Update(s.crc, castagnoli, b[:n])
		s.fill += n
		b = b[n:]
		if s.fill == s.size {
			s.flush()
		}
	}
}

// flush ends the current chunk (the last one may be short).
func (s *chunkSums) flush() {
	if s.fill > 0 {
		s.sums = binary.LittleEndian.AppendUint32(s.sums, s.crc)
	}
	s.fill, s.crc = 0, 0
}

// footer returns the sums and the footer of a body of end bytes.
func (s *chunkSums) footer(end int64) []byte {
	s.flush()
	b := binary.LittleEndian.AppendUint64(s.sums, uint64(end))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.size))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}
