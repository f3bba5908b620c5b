package testmodel

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/x448/float16"
)

// tensor is one named weight, generated on demand so that a model is never
// held in memory whole.
type tensor struct {
	name  string
	shape []int
	fill  func(dst []float32)
}

func (t tensor) elems() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// TensorInfo is one entry of a safetensors header.
type TensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// writeSafetensors writes tensors in the safetensors format: an 8-byte
// little-endian header length, a JSON header padded with spaces to a
// multiple of 8 bytes, then the raw little-endian data of each tensor in the
// order of their names (the order the header lists them in, since
// encoding/json sorts map keys).
func writeSafetensors(path string, dtype DType, tensors []tensor) (err error) {
	ts := slices.Clone(tensors)
	slices.SortFunc(ts, func(a, b tensor) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range ts {
		n := int64(t.elems() * dtype.size())
		header[t.name] = TensorInfo{DType: dtype.String(), Shape: t.shape, DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("testmodel: safetensors header: %w", err)
	}
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("testmodel: %w", cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hb)))
	w.Write(lenb[:])
	w.Write(hb)
	var buf []float32
	var raw []byte
	for _, t := range ts {
		buf = slices.Grow(buf[:0], t.elems())[:t.elems()]
		t.fill(buf)
		raw = encode(raw[:0], dtype, buf)
		if _, err := w.Write(raw); err != nil {
			return fmt.Errorf("testmodel: writing %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("testmodel: writing %s: %w", path, err)
	}
	return nil
}

func encode(dst []byte, dtype DType, v []float32) []byte {
	switch dtype {
	case F16:
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint16(dst, float16.Fromfloat32(x).Bits())
		}
	default:
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
		}
	}
	return dst
}

// ErrBadSafetensors is returned by ReadSafetensorsHeader for a file that is
// not a well-formed safetensors file.
var ErrBadSafetensors = errors.New("malformed safetensors file")

// ReadSafetensorsHeader reads the header of a safetensors file and checks
// that it is consistent: every tensor's byte range matches its shape and
// type, the ranges tile the data section without gap or overlap, and the
// data section ends where the file ends. It returns the tensors by name and
// the offset of the data section in the file. The "__metadata__" entry is
// left out.
func ReadSafetensorsHeader(path string) (map[string]TensorInfo, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("testmodel: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("testmodel: %w", err)
	}
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil {
		return nil, 0, fmt.Errorf("testmodel: %s: %w: %w", path, ErrBadSafetensors, err)
	}
	if n > uint64(st.Size())-8 {
		return nil, 0, fmt.Errorf("testmodel: %s: %w: header length %d beyond the file", path, ErrBadSafetensors, n)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(f, hb); err != nil {
		return nil, 0, fmt.Errorf("testmodel: %s: %w: %w", path, ErrBadSafetensors, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, 0, fmt.Errorf("testmodel: %s: %w: %w", path, ErrBadSafetensors, err)
	}
	out := make(map[string]TensorInfo, len(raw))
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var ti TensorInfo
		if err := json.Unmarshal(msg, &ti); err != nil {
			return nil, 0, fmt.Errorf("testmodel: %s: %w: tensor %s: %w", path, ErrBadSafetensors, name, err)
		}
		size := map[string]int64{"F32": 4, "F16": 2, "BF16": 2}[ti.DType]
		if size == 0 {
			return nil, 0, fmt.Errorf("testmodel: %s: %w: tensor %s has dtype %q", path, ErrBadSafetensors, name, ti.DType)
		}
		elems := int64(1)
		for _, d := range ti.Shape {
			elems *= int64(d)
		}
		if ti.DataOffsets[1]-ti.DataOffsets[0] != elems*size {
			return nil, 0, fmt.Errorf("testmodel: %s: %w: tensor %s spans %d bytes for shape %v", path, ErrBadSafetensors, name, ti.DataOffsets[1]-ti.DataOffsets[0], ti.Shape)
		}
		out[name] = ti
		spans = append(spans, span{name, ti.DataOffsets[0], ti.DataOffsets[1]})
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.begin - b.begin) })
	var end int64
	for _, s := range spans {
		if s.begin != end {
			return nil, 0, fmt.Errorf("testmodel: %s: %w: tensor %s starts at %d, want %d", path, ErrBadSafetensors, s.name, s.begin, end)
		}
		end = s.end
	}
	dataStart := 8 + int64(n)
	if dataStart+end != st.Size() {
		return nil, 0, fmt.Errorf("testmodel: %s: %w: data ends at %d, file at %d", path, ErrBadSafetensors, dataStart+end, st.Size())
	}
	return out, dataStart, nil
}
