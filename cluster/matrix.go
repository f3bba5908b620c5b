package cluster

import (
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/internal/parallel"
)

// checkGeneral panics if m is not a well-formed row-major matrix: a malformed
// matrix is a programmer error, not bad data.
func checkGeneral(m blas32.General) {
	if m.Rows < 0 || m.Cols < 0 {
		panic("cluster: negative matrix dimension")
	}
	if m.Rows == 0 || m.Cols == 0 {
		return
	}
	if m.Stride < m.Cols {
		panic("cluster: matrix stride less than columns")
	}
	if len(m.Data) < (m.Rows-1)*m.Stride+m.Cols {
		panic("cluster: matrix data too short")
	}
}

// row returns row i of m as a slice of length m.Cols.
func row(m blas32.General, i int) []float32 {
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// newGeneral returns a zeroed, densely stored rows×cols matrix.
func newGeneral(rows, cols int) blas32.General {
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// cloneGeneral returns a densely stored copy of m.
func cloneGeneral(m blas32.General) blas32.General {
	c := newGeneral(m.Rows, m.Cols)
	for i := 0; i < m.Rows; i++ {
		copy(row(c, i), row(m, i))
	}
	return c
}

// threadCount turns a Threads setting into a worker count.
func threadCount(threads int) int { return parallel.Threads(threads) }

// parallelFor is parallel.For: f(worker, i) for every i in [0, n) on at most
// threads goroutines; results must not depend on which worker ran an item.
func parallelFor(threads, n int, f func(worker, i int)) { parallel.For(threads, n, f) }

// chunkRows is the number of rows in one unit of parallel work over the data.
// It is fixed (never derived from the thread count) so that per-chunk partial
// sums, combined in chunk order, give the same result on any machine.
const chunkRows = 256

func numChunks(n int) int { return (n + chunkRows - 1) / chunkRows }

func chunkRange(c, n int) (lo, hi int) {
	lo = c * chunkRows
	return lo, min(lo+chunkRows, n)
}
