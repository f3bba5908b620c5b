package vectorstore

import (
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

	"github.com/papermap/papermap/internal/safefile"
	"github.com/papermap/papermap/vectorstore/ann"
)

// The index's codes: 8-bit codes of the vectors of the graph's nodes
// (ann.Quantizer), which the graph walk reads instead of the vectors (a
// quarter of the memory per node; see ann.Index.UseCodes). The best nodes
// a walk finds are scored again from their vectors by package ann, and
// the rows a query returns are scored again by the exact scan's kernel
// (queryIndex), so the codes only steer the walk: damaged or stale codes
// can lower recall, never change a hit's score.
//
// The codes are made when the graph is built (buildIndex), extended when
// nodes are added (annIndex.insert), and saved beside the index file
// whenever it is (saveIndex). They are derived from the vectors: a writer
// that finds them missing, damaged or not matching the graph makes them
// again from its nodes' vectors (about a second at a million records); a
// reader then walks over the vectors, with a notice when the file was
// there but unusable.

// codesName is the codes' file in the store directory.
const codesName = "index.sq8"

// The codes file, version 2 (integers little-endian):
//
//	magic     "papermap-sq8 v2\n" (16 bytes)
//	dim       uint32
//	per       uint32: nodes per chunk
//	nodes     uint64: the graph's nodes when written
//	lo, step  dim × float32 each: the quantizer
//	sums      ⌈nodes/per⌉ × uint32: CRC-32C of each chunk's codes
//	crc       uint32: CRC-32C of everything before it
//	codes     nodes × dim bytes, node after node
//
// When loaded, all but the codes is checked (the checksum, the
// quantizer's values, the size and node count against the graph's), and
// the codes of up to codesCheck nodes spread over the graph against their
// vectors: a file left by another graph (one rebuilt since) is not used.
// A reader checks a chunk of codes when its walk first reads one of them
// (a walk of a million nodes meets some 25,000, a tenth of the 256 MB
// file in chunks of 2 KiB, where checking the whole file took 0.15 s of
// CPU before the walk could start); a writer checks them all. The codes
// of a chunk that fails are made again from the nodes' vectors, with a
// notice: damage costs a little time, never recall.
//
// Version 1 ("papermap-sq8 v1\n", pad uint32 zero instead of per, the
// codes after the quantizer and one CRC-32C of everything at the end) is
// checked whole when loaded, and rewritten in version 2 when the index is
// saved next.
var (
	codesMagic   = []byte("papermap-sq8 v2\n")
	codesMagicV1 = []byte("papermap-sq8 v1\n")
)

const (
	codesHeader = 32
	codesCheck  = 64
)

// codesChunk is about the bytes of codes under one checksum (a variable
// for the tests).
var codesChunk = 2 << 10

// codesPer returns the nodes per chunk of codes of dim bytes.
func codesPer(dim int) int { return max(1, codesChunk/dim) }

// indexCodes is the loaded codes of an index's nodes: a mapped file's
// and those of nodes added since.
type indexCodes struct {
	qz   *ann.Quantizer
	base []byte // nodes 0..len(base)/dim-1, from the file (mapped)
	more []byte // the nodes after them
	// A file of version 2 read lazily: the chunks' checks (nil: base is
	// checked).
	lazy *lazyCodes
}

// lazyCodes checks the chunks of a codes file as they are first read,
// and makes the codes of one that fails again from the vectors.
type lazyCodes struct {
	per    int
	sums   []byte
	state  []atomic.Uint32 // per chunk: 0 not checked, 1 checked (made again if it failed)
	mu     sync.Mutex      // serialises checks
	vec    func(int32) []float32
	bad    atomic.Bool
	notice func(string)
	path   string
}

// ensure checks the chunk of node (a node of base) unless it is checked.
func (c *indexCodes) ensure(node int) {
	z := c.lazy
	if z != nil && z.state[node/z.per].Load() == 0 {
		c.check(node / z.per)
	}
}

// check checks chunk k once; the codes of a chunk that fails are made
// again, in place (the mapping is private), from its nodes' vectors.
func (c *indexCodes) check(k int) {
	z := c.lazy
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.state[k].Load() != 0 {
		return
	}
	d := c.qz.Dim()
	lo, hi := k*z.per, min((k+1)*z.per, len(c.base)/d)
	b := c.base[lo*d : hi*d]
	if crc32.Checksum(b, crcTable) != binary.LittleEndian.Uint32(z.sums[4*k:]) {
		for node := lo; node < hi; node++ {
			c.qz.Encode(b[(node-lo)*d:(node-lo+1)*d], z.vec(int32(node)))
		}
		if !z.bad.Swap(true) && z.notice != nil {
			z.notice(fmt.Sprintf("vectorstore: the index's codes %s fail their checksum for nodes %d to %d; their codes were made again from the vectors (same answers; the next write to the store rewrites the file)", z.path, lo, hi-1))
		}
	}
	z.state[k].Store(1)
}

// checkAll checks every chunk not checked yet, and reports whether any
// failed (and was made again).
func (c *indexCodes) checkAll() (failed bool) {
	if z := c.lazy; z != nil {
		for k := range z.state {
			if z.state[k].Load() == 0 {
				c.check(k)
			}
		}
		return z.bad.Load()
	}
	return false
}

func (c *indexCodes) len() int { return (len(c.base) + len(c.more)) / c.qz.Dim() }

// Code implements ann.Codes.
func (c *indexCodes) Code(node int32) []byte {
	d := c.qz.Dim()
	if i := int(node) * d; i < len(c.base) {
		c.ensure(int(node))
		return c.base[i : i+d : i+d]
	}
	i := int(node)*d - len(c.base)
	return c.more[i : i+d : i+d]
}

// span returns the codes of nodes lo to hi-1, in at most two slices.
func (c *indexCodes) span(lo, hi int) [][]byte {
	d, nb := c.qz.Dim(), len(c.base)
	a, b := lo*d, hi*d
	switch {
	case b <= nb:
		return [][]byte{c.base[a:b]}
	case a >= nb:
		return [][]byte{c.more[a-nb : b-nb]}
	}
	return [][]byte{c.base[a:], c.more[:b-nb]}
}

func (c *indexCodes) add(v []float32) {
	d := c.qz.Dim()
	c.more = append(c.more, make([]byte, d)...)
	c.qz.Encode(c.more[len(c.more)-d:], v)
}

// useCodes makes ix's graph walk over c.
func (ix *annIndex) useCodes(c *indexCodes) {
	ix.codes = c
	_, opts := IndexSettings() // index.go
	ix.g.UseCodes(c.qz, c, opts)
}

// dropCodes makes ix's graph walk over the vectors again.
func (ix *annIndex) dropCodes() {
	ix.codes = nil
	ix.g.UseCodes(nil, nil, ann.CodeOptions{})
}

// makeCodes trains a quantizer on the vectors of ix's nodes 0..n-1 and
// codes them (a build's nodes before they are inserted, or a loaded
// graph's). The rows of a build are checked first; those of a loaded
// index are read unchecked, as by its walk (Vec).
func (ix *annIndex) makeCodes(n int) {
	if n == 0 {
		return
	}
	var c *indexCodes
	ix.t.walk(func() {
		qz := ann.TrainQuantizer(ix, n, ix.t.dim)
		c = &indexCodes{qz: qz, more: make([]byte, 0, n*ix.t.dim)}
		for node := range n {
			c.add(ix.Vec(int32(node)))
		}
	})
	ix.useCodes(c)
}

// codesAdding gives the nodes about to be added for rows their codes
// (annIndex.insert, before the graph's build).
func (ix *annIndex) codesAdding(rows []int) {
	c := ix.codes
	if c == nil {
		return
	}
	if c.len() != ix.g.Len() {
		ix.dropCodes() // cannot happen: the codes follow the nodes
		return
	}
	ix.t.walk(func() {
		for _, row := range rows {
			c.add(ix.t.vec(row))
		}
	})
}

// saveCodes writes ix's codes beside its index file (saveIndex). A
// failure removes the old file, which describes another graph, and is
// returned.
func (s *Store) saveCodes(ix *annIndex) error {
	path := filepath.Join(s.dir, codesName)
	c := ix.codes
	if c == nil || c.len() != ix.g.Len() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	c.checkAll() // never saved unchecked (a writer's are checked at load)
	err := safefile.Write(path, 0o600, func(f io.Writer) error {
		d := c.qz.Dim()
		n, per := c.len(), codesPer(d)
		h := make([]byte, 0, codesHeader+8*d+4*(n/per+2))
		h = append(h, codesMagic...)
		h = binary.LittleEndian.AppendUint32(h, uint32(d))
		h = binary.LittleEndian.AppendUint32(h, uint32(per))
		h = binary.LittleEndian.AppendUint64(h, uint64(n))
		for _, v := range slices.Concat(c.qz.Lo, c.qz.Step) {
			h = binary.LittleEndian.AppendUint32(h, math.Float32bits(v))
		}
		for lo := 0; lo < n; lo += per {
			var crc uint32
			for _, b := range c.span(lo, min(lo+per, n)) {
				crc = crc32.Update(crc, crcTable, b)
			}
			h = binary.LittleEndian.AppendUint32(h, crc)
		}
		h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, crcTable))
		for _, b := range [][]byte{h, c.base, c.more} {
			if _, err := f.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		os.Remove(path)
	}
	return err
}

// loadCodes gives a loaded index the codes of its file, or (a writer,
// build) makes them when the file is missing or unusable. A reader whose
// file is unusable walks over the vectors, with a notice; one with no
// file, silently (a store written before the codes). The caller holds
// idx.mu.
func (s *Store) loadCodes(ix *annIndex, build bool) {
	path := filepath.Join(s.dir, codesName)
	c, err := s.readCodes(path, ix)
	switch {
	case err == nil:
		if build && c.checkAll() {
			ix.dirty = true // a writer saves the codes made again
		}
		ix.useCodes(c)
		ix.advise = !build
		return
	case build:
		ix.makeCodes(ix.g.Len())
		ix.dirty = true // saved with the index at Close
	case !errors.Is(err, fs.ErrNotExist):
		s.indexNotice("vectorstore: %v; the index's walk reads the full vectors instead (slower, same answers); the next write to %s makes them again", err, s.dir)
	}
}

// readCodes maps the codes file and checks it against ix's graph (all
// but the chunks of codes of a version 2 file: see the format).
func (s *Store) readCodes(path string, ix *annIndex) (*indexCodes, error) {
	bad := func(reason string) error { return fmt.Errorf("the index's codes %s are unusable (%s)", path, reason) }
	data, err := s.mapWalked(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, bad(err.Error())
	}
	d := ix.t.dim
	size := int64(len(data))
	if size < int64(codesHeader+8*d+4) {
		return nil, bad(sizeError(size).Error())
	}
	le := binary.LittleEndian
	v1 := string(data[:len(codesMagicV1)]) == string(codesMagicV1)
	if !v1 && string(data[:len(codesMagic)]) != string(codesMagic) || int(le.Uint32(data[16:])) != d {
		return nil, bad("not a codes file of this version and dimension")
	}
	n := ix.g.Len()
	if nodes := le.Uint64(data[24:]); nodes != uint64(n) {
		return nil, bad(fmt.Sprintf("codes of %d nodes, the graph has %d", nodes, n))
	}
	c := &indexCodes{}
	var head []byte
	if v1 {
		body := data[:size-4]
		if crc32.Checksum(body, crcTable) != le.Uint32(data[size-4:]) {
			return nil, bad("checksum mismatch: damaged or cut short")
		}
		if int64(len(body)) != int64(codesHeader+8*d)+int64(n)*int64(d) {
			return nil, bad("cut short or too long")
		}
		head, c.base = body[:codesHeader+8*d], body[codesHeader+8*d:]
	} else {
		per := int(le.Uint32(data[20:]))
		if per != codesPer(d) {
			return nil, bad(fmt.Sprintf("chunks of %d nodes", per))
		}
		chunks := (n + per - 1) / per
		headLen := int64(codesHeader + 8*d + 4*chunks)
		if size != headLen+4+int64(n)*int64(d) {
			return nil, bad("cut short or too long")
		}
		head = data[:headLen]
		if crc32.Checksum(head, crcTable) != le.Uint32(data[headLen:]) {
			return nil, bad("checksum mismatch of its header: damaged")
		}
		c.base = data[headLen+4:]
		c.lazy = &lazyCodes{per: per, sums: head[codesHeader+8*d:], state: make([]atomic.Uint32, chunks),
			vec: ix.Vec, notice: s.opts.Notice, path: path}
	}
	qz := &ann.Quantizer{Lo: make([]float32, d), Step: make([]float32, d)}
	for i := range d {
		qz.Lo[i] = math.Float32frombits(le.Uint32(head[codesHeader+4*i:]))
		qz.Step[i] = math.Float32frombits(le.Uint32(head[codesHeader+4*(d+i):]))
	}
	if err := qz.Check(d); err != nil {
		return nil, bad(err.Error())
	}
	c.qz = qz
	// The codes of another graph's nodes (the graph was rebuilt since)
	// do not code these nodes' vectors. (Nodes whose records went are
	// not checked: their vectors may be lost.) Their chunks are checked
	// first: a chunk that fails is made again from the vectors, and is
	// then no sign of another graph.
	code := make([]byte, d)
	var mismatch bool
	sample := func(i int) int32 { return int32(int64(i) * int64(n) / int64(min(n, codesCheck))) }
	rows := make([]int32, 0, codesCheck)
	for i := range min(n, codesCheck) {
		rows = append(rows, ix.nodeRow[sample(i)])
	}
	ix.t.adviseRows(rows...) // read side by side, not one fault after another
	ix.t.walk(func() {
		for i := range min(n, codesCheck) {
			node := sample(i)
			if ix.nodeRow[node] < 0 {
				continue
			}
			qz.Encode(code, ix.Vec(node))
			if !slices.Equal(code, c.Code(node)) {
				mismatch = true
				return
			}
		}
	})
	if mismatch {
		return nil, bad("they code another graph's nodes")
	}
	if v1 && !s.readOnly {
		s.indexNotice("vectorstore: %s is in version 1: this writer rewrites it in version 2 (whose codes a search checks as it reads them)", path)
		ix.dirty = true // rewritten in version 2 with the index
	}
	return c, nil
}
