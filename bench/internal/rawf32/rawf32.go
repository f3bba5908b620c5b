// Package rawf32 reads the vector files of the benchmarks: raw
// little-endian float32 rows of a fixed number of values, one row after
// the other, as bench/ann/embed writes them (x.f32, q.f32).
package rawf32

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// Read returns the first limit rows of path (0: every row) as one
// row-major slice of rows × dim values, and the number of rows. It reads
// no more of the file than those rows, so the peak memory is theirs. The
// file must hold whole rows, and at least limit of them.
func Read(path string, limit, dim int) ([]float32, int, error) {
	if limit < 0 || dim <= 0 {
		return nil, 0, fmt.Errorf("read vectors %s: bad request of %d rows of %d values", path, limit, dim)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read vectors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read vectors: %w", err)
	}
	row := int64(4 * dim)
	if st.Size()%row != 0 {
		return nil, 0, fmt.Errorf("read vectors %s: %d bytes is not a whole number of rows of %d float32 values (%d bytes each): wrong -dim or not a raw float32 file",
			path, st.Size(), dim, row)
	}
	n := int(st.Size() / row)
	if limit > n {
		return nil, 0, fmt.Errorf("read vectors %s: %d rows of %d values, %d wanted: ask for fewer rows, or give a longer file",
			path, n, dim, limit)
	}
	if limit > 0 {
		n = limit
	}
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, row)
	x := make([]float32, n*dim)
	for i := range n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, 0, fmt.Errorf("read vectors %s: row %d: %w", path, i, err)
		}
		v := x[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
	}
	return x, n, nil
}
