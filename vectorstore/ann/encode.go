package ann

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Encode writes the graph (parameters, layers, neighbour lists, deletion
// marks; not the vectors) to w, for Decode.
func (x *Index) Encode(w *bufio.Writer) error {
	var buf []byte
	put := func(v uint64) { buf = binary.AppendUvarint(buf, v) }
	put(uint64(x.m))
	put(uint64(x.efC))
	put(x.seed)
	put(uint64(len(x.level)))
	put(uint64(x.entry + 1))
	put(uint64(x.top))
	if _, err := w.Write(buf); err != nil {
		return err
	}
	for node := range x.level {
		buf = buf[:0]
		buf = append(buf, x.level[node])
		if x.IsDeleted(int32(node)) {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
		for l := 0; l <= int(x.level[node]); l++ {
			cnt, slots := x.list(int32(node), l)
			put(uint64(*cnt))
			for _, o := range slots[:*cnt] {
				put(uint64(o))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// errFormat is wrapped by every error of Decode about the bytes read.
var errFormat = errors.New("not an index graph written by this version")

// Decode reads a graph written by Encode, over vecs. Whatever the bytes,
// it returns an error rather than an index that could panic: every count
// and neighbour is checked.
func Decode(r *bufio.Reader, vecs Vectors) (*Index, error) {
	var err error
	get := func(limit uint64) uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(r)
		if err == nil && v > limit {
			err = fmt.Errorf("%w: value %d above %d", errFormat, v, limit)
		}
		if err != nil {
			return 0
		}
		return v
	}
	m := int(get(255))
	efC := int(get(1 << 20))
	seed := get(^uint64(0))
	n := int(get(1 << 31))
	entry := int32(get(uint64(n))) - 1
	top := int(get(maxLevel))
	if err != nil {
		return nil, fmt.Errorf("ann: decode: %w", noEOF(err))
	}
	if m < 2 || (n > 0) != (entry >= 0) {
		return nil, fmt.Errorf("ann: decode: %w: M %d, %d nodes, entry %d", errFormat, m, n, entry)
	}
	x := New(vecs, Options{M: m, EfConstruction: efC, Seed: seed})
	// Nothing is allocated from n: the slices grow with the bytes read.
	x.entry, x.top = entry, top
	for node := range n {
		var hdr [2]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, fmt.Errorf("ann: decode node %d: %w", node, noEOF(err))
		}
		lv := int(hdr[0])
		if lv > maxLevel || hdr[1] > 1 {
			return nil, fmt.Errorf("ann: decode node %d: %w: layer %d, deleted %d", node, errFormat, lv, hdr[1])
		}
		x.level = append(x.level, uint8(lv))
		if node%64 == 0 {
			x.deleted = append(x.deleted, 0)
		}
		if hdr[1] == 1 {
			x.deleted[node>>6] |= 1 << (node & 63)
			x.nDeleted++
		}
		x.upOff = append(x.upOff, int32(len(x.up)))
		x.up = append(x.up, make([]int32, lv*(x.m+1))...)
		x.l0 = append(x.l0, make([]int32, x.m0+1)...)
		for l := 0; l <= lv; l++ {
			capN := x.m
			if l == 0 {
				capN = x.m0
			}
			cnt, slots := x.list(int32(node), l)
			c := int(get(uint64(capN)))
			for i := range c {
				slots[i] = int32(get(uint64(n - 1)))
			}
			if err != nil {
				return nil, fmt.Errorf("ann: decode node %d: %w", node, noEOF(err))
			}
			*cnt = int32(c)
		}
	}
	// A neighbour on layer l must have a list on layer l.
	for node := range n {
		for l := 1; l <= int(x.level[node]); l++ {
			cnt, slots := x.list(int32(node), l)
			for _, o := range slots[:*cnt] {
				if int(x.level[o]) < l {
					return nil, fmt.Errorf("ann: decode node %d: %w: neighbour %d on layer %d has no list there", node, errFormat, o, l)
				}
			}
		}
	}
	if n > 0 && int(x.level[entry]) != top {
		return nil, fmt.Errorf("ann: decode: %w: the entry node %d is on layer %d, not %d", errFormat, entry, x.level[entry], top)
	}
	return x, nil
}

// noEOF turns an end of file in the middle of a graph into an error that
// says so.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: cut short", io.ErrUnexpectedEOF)
	}
	return err
}
