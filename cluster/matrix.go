package cluster

import (
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas32"
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
func threadCount(threads int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return max(threads, 1)
}

// parallelFor calls f(worker, i) for every i in [0, n), spreading the calls over
// at most threads goroutines. Items are handed out dynamically, so f must write
// only what item i owns; callers that reduce across items store one partial
// result per item and combine them in item order, which keeps results
// independent of the thread count.
func parallelFor(threads, n int, f func(worker, i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

// chunkRows is the number of rows in one unit of parallel work over the data.
// It is fixed (never derived from the thread count) so that per-chunk partial
// sums, combined in chunk order, give the same result on any machine.
const chunkRows = 256

func numChunks(n int) int { return (n + chunkRows - 1) / chunkRows }

func chunkRange(c, n int) (lo, hi int) {
	lo = c * chunkRows
	return lo, min(lo+chunkRows, n)
}
