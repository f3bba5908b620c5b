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

// The codes file (integers little-endian):
//
//	magic     "papermap-sq8 v1\n" (16 bytes)
//	dim       uint32
//	pad       uint32, zero
//	nodes     uint64: the graph's nodes when written
//	lo, step  dim × float32 each: the quantizer
//	codes     nodes × dim bytes, node after node
//	crc       uint32, CRC-32C of everything before it
//
// It is checked whole when loaded (its checksum, the quantizer's values,
// the node count against the graph's), and its codes against the vectors
// of up to codesCheck nodes spread over the graph: a file left by another
// graph (one rebuilt since) is not used.
var codesMagic = []byte("papermap-sq8 v1\n")

const (
	codesHeader = 32
	codesCheck  = 64
)

// indexCodes is the loaded codes of an index's nodes: a mapped file's
// and those of nodes added since.
type indexCodes struct {
	qz   *ann.Quantizer
	base []byte // nodes 0..len(base)/dim-1, from the file (mapped)
	more []byte // the nodes after them
}

func (c *indexCodes) len() int { return (len(c.base) + len(c.more)) / c.qz.Dim() }

// Code implements ann.Codes.
func (c *indexCodes) Code(node int32) []byte {
	d := c.qz.Dim()
	if i := int(node) * d; i < len(c.base) {
		return c.base[i : i+d : i+d]
	}
	i := int(node)*d - len(c.base)
	return c.more[i : i+d : i+d]
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
	err := safefile.Write(path, 0o600, func(f io.Writer) error {
		cw := &crcWriter{w: f}
		d := c.qz.Dim()
		h := make([]byte, 0, codesHeader+8*d)
		h = append(h, codesMagic...)
		h = binary.LittleEndian.AppendUint32(h, uint32(d))
		h = binary.LittleEndian.AppendUint32(h, 0)
		h = binary.LittleEndian.AppendUint64(h, uint64(c.len()))
		for _, v := range slices.Concat(c.qz.Lo, c.qz.Step) {
			h = binary.LittleEndian.AppendUint32(h, math.Float32bits(v))
		}
		for _, b := range [][]byte{h, c.base, c.more} {
			if _, err := cw.Write(b); err != nil {
				return err
			}
		}
		_, err := f.Write(binary.LittleEndian.AppendUint32(nil, cw.crc))
		return err
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
		ix.useCodes(c)
		return
	case build:
		ix.makeCodes(ix.g.Len())
		ix.dirty = true // saved with the index at Close
	case !errors.Is(err, fs.ErrNotExist):
		s.indexNotice("vectorstore: %v; the index's walk reads the full vectors instead (slower, same answers); the next write to %s makes them again", err, s.dir)
	}
}

// readCodes maps the codes file and checks it against ix's graph.
func (s *Store) readCodes(path string, ix *annIndex) (*indexCodes, error) {
	bad := func(reason string) error { return fmt.Errorf("the index's codes %s are unusable (%s)", path, reason) }
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, bad(err.Error())
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, bad(err.Error())
	}
	d := ix.t.dim
	size := fi.Size()
	if size < int64(codesHeader+8*d+4) || size >= math.MaxInt32*32 {
		return nil, bad(fmt.Sprintf("a file of %d bytes", size))
	}
	data, unmap, err := mapFile(f, size)
	if err != nil {
		return nil, bad(err.Error())
	}
	s.idx.unmaps = append(s.idx.unmaps, unmap)
	populateResident(data)
	le := binary.LittleEndian
	body := data[:size-4]
	if crc32.Checksum(body, crcTable) != le.Uint32(data[size-4:]) {
		return nil, bad("checksum mismatch: damaged or cut short")
	}
	if string(body[:len(codesMagic)]) != string(codesMagic) || int(le.Uint32(body[16:])) != d {
		return nil, bad("not a codes file of this version and dimension")
	}
	n := ix.g.Len()
	if nodes := le.Uint64(body[24:]); nodes != uint64(n) || int64(len(body)) != int64(codesHeader+8*d)+int64(n)*int64(d) {
		return nil, bad(fmt.Sprintf("codes of %d nodes, the graph has %d", nodes, n))
	}
	qz := &ann.Quantizer{Lo: make([]float32, d), Step: make([]float32, d)}
	for i := range d {
		qz.Lo[i] = math.Float32frombits(le.Uint32(body[codesHeader+4*i:]))
		qz.Step[i] = math.Float32frombits(le.Uint32(body[codesHeader+4*(d+i):]))
	}
	if err := qz.Check(d); err != nil {
		return nil, bad(err.Error())
	}
	c := &indexCodes{qz: qz, base: body[codesHeader+8*d:]}
	// The codes of another graph's nodes (the graph was rebuilt since)
	// do not code these nodes' vectors. (Nodes whose records went are
	// not checked: their vectors may be lost.)
	code := make([]byte, d)
	var mismatch bool
	ix.t.walk(func() {
		for i := range min(n, codesCheck) {
			node := int32(int64(i) * int64(n) / int64(min(n, codesCheck)))
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
	return c, nil
}
