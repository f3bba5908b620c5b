package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// readVectors reads the first n rows of path, a file of raw little-endian
// float32 rows of dim values each (as bench/ann/embed writes them). The
// file must hold whole rows, and at least n of them.
func readVectors(path string, n, dim int) ([][]float32, error) {
	if n < 0 || dim <= 0 {
		return nil, fmt.Errorf("read vectors %s: bad request of %d rows of %d values", path, n, dim)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	row := int64(4 * dim)
	if st.Size()%row != 0 {
		return nil, fmt.Errorf("read vectors %s: %d bytes is not a whole number of rows of %d float32 values (%d bytes each): wrong -dim or not a raw float32 file",
			path, st.Size(), dim, row)
	}
	if have := st.Size() / row; have < int64(n) {
		return nil, fmt.Errorf("read vectors %s: %d rows of %d values, %d wanted: give a smaller -n or -queries, or a longer file",
			path, have, dim, n)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, row)
	all := make([]float32, n*dim) // one allocation for every row
	out := make([][]float32, n)
	for i := range out {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("read vectors %s: row %d: %w", path, i, err)
		}
		v := all[i*dim : (i+1)*dim : (i+1)*dim]
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
		out[i] = v
	}
	return out, nil
}
