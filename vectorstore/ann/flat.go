package ann

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The flat layout (WriteFlat, LoadFlat) holds the graph as the arrays the
// index searches, so that a loaded graph is those bytes (a memory-mapped
// file) rather than a copy decoded from them. Integers are little-endian;
// every section starts at a multiple of 8 bytes from the start:
//
//	 0  magic   8 bytes "annflat1"
//	 8  M       uint32
//	12  top     uint32   layer of the entry node
//	16  efC     uint64
//	24  seed    uint64
//	32  n       uint64   nodes
//	40  entry   int64    -1 when empty
//	48  upLen   uint64   length of the upper layers' lists, in int32
//	56  level   n bytes, zero-padded to a multiple of 8
//	    deleted ⌈n/64⌉ × uint64, a bitset
//	    l0      n·(2M+1) × int32: per node its count, then 2M slots
//	    up      upLen × int32, zero-padded to a multiple of 8: the lists
//	            of the layers ≥ 1, node after node, layer after layer,
//	            each its count then M slots
const flatMagic = "annflat1"

const flatHeader = 56

// FlatSize returns the length of the graph's flat layout.
func (x *Index) FlatSize() int64 {
	n := int64(len(x.level))
	return flatHeader + pad8(n) + 8*((n+63)/64) + 4*int64(len(x.l0)) + pad8(4*int64(len(x.up)))
}

func pad8(n int64) int64 { return (n + 7) &^ 7 }

// WriteFlat writes the graph (not the vectors) in the flat layout, for
// LoadFlat. The caller places it at an offset that is a multiple of 8 in
// its file, so that LoadFlat can use the mapped bytes in place.
func (x *Index) WriteFlat(w io.Writer) error {
	n := len(x.level)
	h := make([]byte, flatHeader, 1<<16)
	copy(h, flatMagic)
	binary.LittleEndian.PutUint32(h[8:], uint32(x.m))
	binary.LittleEndian.PutUint32(h[12:], uint32(x.top))
	binary.LittleEndian.PutUint64(h[16:], uint64(x.efC))
	binary.LittleEndian.PutUint64(h[24:], x.seed)
	binary.LittleEndian.PutUint64(h[32:], uint64(n))
	binary.LittleEndian.PutUint64(h[40:], uint64(int64(x.entry)))
	binary.LittleEndian.PutUint64(h[48:], uint64(len(x.up)))
	h = append(h, x.level...)
	h = append(h, make([]byte, pad8(int64(n))-int64(n))...)
	if _, err := w.Write(h); err != nil {
		return err
	}
	b := h[:0]
	flush := func(force bool) error {
		if len(b) >= 1<<15 || (force && len(b) > 0) {
			_, err := w.Write(b)
			b = b[:0]
			return err
		}
		return nil
	}
	for i := range (n + 63) / 64 {
		b = binary.LittleEndian.AppendUint64(b, x.deleted[i])
		if err := flush(false); err != nil {
			return err
		}
	}
	for _, arr := range [][]int32{x.l0, x.up} {
		for _, v := range arr {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if len(x.up)%2 == 1 {
		b = append(b, 0, 0, 0, 0)
	}
	return flush(true)
}

// littleEndian reports whether the CPU stores integers little-endian, so
// that the flat layout's arrays can be used in place.
var littleEndian = func() bool { v := uint16(1); return *(*byte)(unsafe.Pointer(&v)) == 1 }()

// LoadFlat returns the graph written by WriteFlat at the start of data,
// over vecs, and the length of its layout. Where the CPU is
// little-endian and data starts at a multiple of 8 bytes in memory (a
// mapped file), the index uses data in place: data must then stay
// readable for the life of the index, and Add and Delete write into it
// (map it privately). Whatever the bytes, it returns an error rather than
// an index that could panic: every count, layer and neighbour is checked
// (the checksum that tells damage from a good file is the caller's).
func LoadFlat(data []byte, vecs Vectors) (*Index, int64, error) {
	x, size, _, err := loadFlat(data, vecs)
	if err != nil {
		return nil, 0, err
	}
	if err := x.checkLists(0, len(x.level)); err != nil {
		return nil, 0, err
	}
	return x, size, nil
}

// loadFlat reads the header, the layers and the deletion marks of a flat
// layout, derives upOff and checks the layers (not the lists: see
// checkLists). lists are the bytes of the layout's l0 and up arrays.
func loadFlat(data []byte, vecs Vectors) (x *Index, size int64, lists [2][]byte, err error) {
	if len(data) < flatHeader || string(data[:8]) != flatMagic {
		return nil, 0, lists, fmt.Errorf("ann: load: %w: no flat layout header", errFormat)
	}
	le := binary.LittleEndian
	m := int(le.Uint32(data[8:]))
	top := int(le.Uint32(data[12:]))
	efC, seed := le.Uint64(data[16:]), le.Uint64(data[24:])
	n64, entry64, upLen := le.Uint64(data[32:]), int64(le.Uint64(data[40:])), le.Uint64(data[48:])
	if m < 2 || m > 255 || top > maxLevel || efC > 1<<20 || n64 >= 1<<31 || upLen >= 1<<31 ||
		entry64 < -1 || entry64 >= int64(n64) || (n64 > 0) != (entry64 >= 0) {
		return nil, 0, lists, fmt.Errorf("ann: load: %w: M %d, top %d, %d nodes, entry %d", errFormat, m, top, n64, entry64)
	}
	n := int64(n64)
	x = New(vecs, Options{M: m, EfConstruction: int(efC), Seed: seed})
	x.entry, x.top = int32(entry64), top
	size = flatHeader + pad8(n) + 8*((n+63)/64) + 4*n*int64(x.m0+1) + pad8(4*int64(upLen))
	if int64(len(data)) < size {
		return nil, 0, lists, fmt.Errorf("ann: load: %w: %d bytes, the layout needs %d", errFormat, len(data), size)
	}
	off := int64(flatHeader)
	inPlace := littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%8 == 0
	x.level = data[off : off+n : off+n]
	off += pad8(n)
	nw := (n + 63) / 64
	x.deleted = u64s(data[off:off+8*nw], inPlace)
	off += 8 * nw
	lists[0] = data[off : off+4*n*int64(x.m0+1)]
	x.l0 = i32s(lists[0], inPlace)
	off += 4 * n * int64(x.m0+1)
	lists[1] = data[off : off+4*int64(upLen)]
	x.up = i32s(lists[1], inPlace)
	if !inPlace {
		x.level = append([]byte(nil), x.level...)
	}
	if err := x.checkLayers(); err != nil {
		return nil, 0, lists, err
	}
	return x, size, lists, nil
}

// FlatChunk is how many nodes' neighbour lists share a checksum in
// FlatSums and LoadFlatLazy: about 1 KiB of lists at M 16. One search of
// the 1M store at ef 1,849 checked 22,587 of its 125,001 chunks of 8 (a
// `similar` 24,768; bench/RESULTS.md, "search at 1M from a cold cache"):
// some 25,000 nodes met, which chunks of 64 would have spread over nearly
// all of them.
const FlatChunk = 8

var flatCRC = crc32.MakeTable(crc32.Castagnoli)

// FlatSums returns, for each FlatChunk nodes in order, the CRC-32C of
// their lists as WriteFlat writes them: their layer-0 lists, then their
// lists of the upper layers. A caller that keeps them with the layout can
// load it with LoadFlatLazy.
func (x *Index) FlatSums() []uint32 {
	n := len(x.level)
	sums := make([]uint32, 0, (n+FlatChunk-1)/FlatChunk)
	var buf []byte
	for a := 0; a < n; a += FlatChunk {
		b := min(n, a+FlatChunk)
		buf = buf[:0]
		for _, v := range x.l0[a*(x.m0+1) : b*(x.m0+1)] {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
		for _, v := range x.up[x.upOff[a]:x.upEnd(b, len(x.up))] {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
		sums = append(sums, crc32.Checksum(buf, flatCRC))
	}
	return sums
}

// FlatListsOffset returns where the lists start in the graph's flat
// layout: they run from there to its end (FlatSize), and everything
// before them (header, layers, deletion marks) is what LoadFlatLazy reads
// at once.
func (x *Index) FlatListsOffset() int64 {
	n := int64(len(x.level))
	return flatHeader + pad8(n) + 8*((n+63)/64)
}

// upEnd returns where the upper lists of nodes before b end (upLen when b
// is the last node).
func (x *Index) upEnd(b, upLen int) int {
	if b < len(x.upOff) {
		return int(x.upOff[b])
	}
	return upLen
}

// LoadFlatLazy is LoadFlat for a process that searches a few times: it
// checks the header, the layers and the deletion marks at once (a byte or
// so per node), and the lists of a chunk of FlatChunk nodes only when a
// search first asks for the vector (or, over codes, the code) of one of them, against sums (FlatSums
// of the graph written) and by every count and neighbour. A search reads
// a node's lists only after it has asked for the node's vector (to score
// it: the entry node, then every node it meets), so no list is read
// unchecked; and a graph walk of a million nodes reads a small part of
// the lists (loading them all checked 130 MB and took 60-80 ms).
//
// A chunk that fails is never read: its nodes lose their links (they are
// still met and returned, and lead nowhere), and Damaged reports true from
// then on. CheckLists checks the chunks not checked yet, as a caller must
// before Add, Delete or WriteFlat.
func LoadFlatLazy(data []byte, vecs Vectors, sums []uint32) (*Index, int64, error) {
	x, size, lists, err := loadFlat(data, vecs)
	if err != nil {
		return nil, 0, err
	}
	n := len(x.level)
	if len(sums) != (n+FlatChunk-1)/FlatChunk {
		return nil, 0, fmt.Errorf("ann: load: %w: %d list checksums for %d nodes", errFormat, len(sums), n)
	}
	z := &lazyLists{x: x, vecs: vecs, n: n, lists: lists, sums: sums, state: make([]atomic.Uint32, len(sums))}
	x.vecs, x.lazy = z, z
	return x, size, nil
}

// lazyLists stands between a lazily loaded graph and its vectors: it
// checks a node's chunk of lists before giving its vector (LoadFlatLazy).
type lazyLists struct {
	x       *Index
	vecs    Vectors
	n       int       // nodes loaded; nodes added since need no check
	lists   [2][]byte // the bytes of l0 and up, as loaded
	sums    []uint32
	state   []atomic.Uint32 // per chunk: 0 not checked, 1 intact, 2 damaged
	mu      sync.Mutex      // serialises checks
	all     atomic.Bool     // every chunk is checked and intact
	damaged atomic.Int32    // chunks found damaged
}

func (z *lazyLists) Vec(node int32) []float32 {
	z.ensure(node)
	return z.vecs.Vec(node)
}

// ensure checks node's chunk of lists unless it is checked already.
func (z *lazyLists) ensure(node int32) {
	if !z.all.Load() && int(node) < z.n && z.state[int(node)/FlatChunk].Load() == 0 {
		z.check(int(node) / FlatChunk)
	}
}

// check checks chunk c, once: on damage its nodes' lists are emptied
// (written into the loaded bytes, which are the caller's private copy).
func (z *lazyLists) check(c int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.state[c].Load() != 0 {
		return
	}
	x := z.x
	a, b := c*FlatChunk, min(z.n, (c+1)*FlatChunk)
	upLen := len(z.lists[1]) / 4
	crc := crc32.Checksum(z.lists[0][4*a*(x.m0+1):4*b*(x.m0+1)], flatCRC)
	crc = crc32.Update(crc, flatCRC, z.lists[1][4*int(x.upOff[a]):4*x.upEnd(b, upLen)])
	if crc == z.sums[c] && x.checkLists(a, b) == nil {
		z.state[c].Store(1)
		return
	}
	for node := a; node < b; node++ {
		for l := 0; l <= int(x.level[node]); l++ {
			cnt, _ := x.list(int32(node), l)
			*cnt = 0
		}
	}
	z.damaged.Add(1)
	z.state[c].Store(2)
}

// CheckLists checks the lists of a graph loaded by LoadFlatLazy that no
// search has checked yet, and returns an error when any chunk is damaged
// (then it must not be changed or written). A graph loaded otherwise is
// checked already.
func (x *Index) CheckLists() error {
	z, ok := x.vecs.(*lazyLists)
	if !ok || z.all.Load() {
		return nil
	}
	for c := range z.state {
		if z.state[c].Load() == 0 {
			z.check(c)
		}
	}
	if d := z.damaged.Load(); d > 0 {
		return fmt.Errorf("ann: load: %w: the lists of %d chunks of %d nodes fail their checksum or checks", errFormat, d, FlatChunk)
	}
	z.all.Store(true)
	return nil
}

// Damaged reports whether a graph loaded by LoadFlatLazy has met lists
// that failed their check: its searches may miss nodes.
func (x *Index) Damaged() bool {
	z, ok := x.vecs.(*lazyLists)
	return ok && z.damaged.Load() > 0
}

// checkLayers derives upOff and the deletion count, and checks the
// layers and the entry node of a loaded graph.
func (x *Index) checkLayers() error {
	n := len(x.level)
	if n%64 != 0 && len(x.deleted) > 0 && x.deleted[len(x.deleted)-1]>>(n%64) != 0 {
		return fmt.Errorf("ann: load: %w: deletion marks beyond the last node", errFormat)
	}
	for _, w := range x.deleted {
		x.nDeleted += bits.OnesCount64(w)
	}
	x.upOff = make([]int32, n)
	total := 0
	for node, lv := range x.level {
		if lv > maxLevel {
			return fmt.Errorf("ann: load node %d: %w: layer %d", node, errFormat, lv)
		}
		x.upOff[node] = int32(total)
		total += int(lv) * (x.m + 1)
		if total > len(x.up) {
			break
		}
	}
	if total != len(x.up) {
		return fmt.Errorf("ann: load: %w: the layers need %d list cells, there are %d", errFormat, total, len(x.up))
	}
	if n > 0 && int(x.level[x.entry]) != x.top {
		return fmt.Errorf("ann: load: %w: the entry node %d is on layer %d, not %d", errFormat, x.entry, x.level[x.entry], x.top)
	}
	return nil
}

// checkLists checks every count and neighbour of the lists of nodes lo
// to hi-1 (the layers are checked: checkLayers).
func (x *Index) checkLists(lo, hi int) error {
	n := len(x.level)
	for node := lo; node < hi; node++ {
		for l := 0; l <= int(x.level[node]); l++ {
			capN := x.m
			if l == 0 {
				capN = x.m0
			}
			cnt, slots := x.list(int32(node), l)
			c := *cnt
			if c < 0 || int(c) > capN {
				return fmt.Errorf("ann: load node %d: %w: %d neighbours on layer %d", node, errFormat, c, l)
			}
			for _, o := range slots[:c] {
				// Every node has a list on layer 0: the layer of a
				// neighbour there is not looked up (a random read).
				if o < 0 || int(o) >= n || l > 0 && int(x.level[o]) < l {
					return fmt.Errorf("ann: load node %d: %w: neighbour %d on layer %d", node, errFormat, o, l)
				}
			}
		}
	}
	return nil
}

// i32s returns b as int32s: in place, or decoded into a new slice.
func i32s(b []byte, inPlace bool) []int32 {
	if len(b) == 0 {
		return nil
	}
	if inPlace {
		return unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)[: len(b)/4 : len(b)/4]
	}
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// u64s returns b as uint64s: in place, or decoded into a new slice.
func u64s(b []byte, inPlace bool) []uint64 {
	if len(b) == 0 {
		return nil
	}
	if inPlace {
		return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)[: len(b)/8 : len(b)/8]
	}
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}
