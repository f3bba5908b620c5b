package cluster

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// vectors is where FitThemes reads the papers' vectors: a matrix in memory,
// or ThemeInput.Scan, which hands them out block by block (so that a million
// papers' vectors need not be copied into one matrix beside the store's).
// Every pass over all rows goes through each; a matrix is one block.
type vectors struct {
	n, d int
	x    blas32.General // the matrix, when in memory
	scan func(f func(lo int, block blas32.General) error) error
}

// denseVectors reads the rows of x.
func denseVectors(x blas32.General) vectors {
	checkGeneral(x)
	return vectors{n: x.Rows, d: x.Cols, x: x}
}

// inputVectors reads in.Vectors, or in.Scan when Vectors.Data is nil.
func inputVectors(in ThemeInput) vectors {
	if in.Vectors.Data != nil || in.Scan == nil {
		return denseVectors(in.Vectors)
	}
	if in.Vectors.Rows < 0 || in.Vectors.Cols < 0 {
		panic("cluster: negative matrix dimension")
	}
	return vectors{n: in.Vectors.Rows, d: in.Vectors.Cols, scan: in.Scan}
}

// each calls f with consecutive blocks of the rows, from row 0, and returns
// the first error of the scan or of f. A scan that hands out blocks out of
// order, of the wrong width or of the wrong total panics: a broken
// ThemeInput.Scan is a programmer error.
func (v vectors) each(f func(lo int, b blas32.General) error) error {
	if v.scan == nil {
		if v.n == 0 {
			return nil
		}
		return f(0, v.x)
	}
	next := 0
	err := v.scan(func(lo int, b blas32.General) error {
		checkGeneral(b)
		if lo != next || b.Cols != v.d || lo+b.Rows > v.n {
			panic(fmt.Sprintf("cluster: ThemeInput.Scan gave rows %d to %d (%d columns) after row %d of %d×%d", lo, lo+b.Rows-1, b.Cols, next-1, v.n, v.d))
		}
		next += b.Rows
		return f(lo, b)
	})
	if err != nil {
		return fmt.Errorf("read the vectors: %w", err)
	}
	if next != v.n {
		panic(fmt.Sprintf("cluster: ThemeInput.Scan gave %d rows, not %d", next, v.n))
	}
	return nil
}

// all returns every row as one matrix: the matrix itself, or the scan's
// rows copied.
func (v vectors) all() (blas32.General, error) {
	if v.scan == nil {
		return v.x, nil
	}
	out := newGeneral(v.n, v.d)
	err := v.each(func(lo int, b blas32.General) error {
		for i := 0; i < b.Rows; i++ {
			copy(row(out, lo+i), row(b, i))
		}
		return nil
	})
	return out, err
}

// gather returns the rows idx (in any order, repeats allowed) as a new
// matrix, in the order of idx.
func (v vectors) gather(idx []int) (blas32.General, error) {
	if v.scan == nil {
		return gatherRows(v.x, idx), nil
	}
	out := newGeneral(len(idx), v.d)
	// Positions of idx in increasing row order, read as the blocks pass.
	order := make([]int, len(idx))
	for q := range order {
		order[q] = q
	}
	slices.SortStableFunc(order, func(a, b int) int { return idx[a] - idx[b] })
	p := 0
	err := v.each(func(lo int, b blas32.General) error {
		for ; p < len(order) && idx[order[p]] < lo+b.Rows; p++ {
			copy(row(out, order[p]), row(b, idx[order[p]]-lo))
		}
		return nil
	})
	return out, err
}

// checkFinite returns ErrNotFinite for a NaN or infinite entry, naming the
// first row that holds one. Rows are checked in parallel.
func (v vectors) checkFinite() error {
	return v.each(func(lo int, b blas32.General) error {
		bad := make([]int, numChunks(b.Rows)) // first bad row of each chunk +1, or 0
		parallelFor(threadCount(0), len(bad), func(_, c int) {
			clo, chi := chunkRange(c, b.Rows)
			for i := clo; i < chi && bad[c] == 0; i++ {
				for _, x := range row(b, i) {
					// x − x is 0 for a finite x and NaN for a NaN or an
					// infinity: one subtraction instead of two tests.
					if x-x != 0 {
						bad[c] = i + 1
						break
					}
				}
			}
		})
		for _, i := range bad {
			if i > 0 {
				return fmt.Errorf("row %d: %w", lo+i-1, ErrNotFinite)
			}
		}
		return nil
	})
}

// assign is Assign on every row, block by block: the same labels and
// distances, each row's being its own.
func (v vectors) assign(centroids blas32.General) ([]int, []float32, error) {
	if v.scan == nil {
		l, d := Assign(v.x, centroids, true)
		return l, d, nil
	}
	labels, dist := make([]int, v.n), make([]float32, v.n)
	err := v.each(func(lo int, b blas32.General) error {
		l, d := Assign(b, centroids, true)
		copy(labels[lo:], l)
		copy(dist[lo:], d)
		return nil
	})
	return labels, dist, err
}

// meanDirections returns, per label, the unit mean direction of its rows (a
// zero row for a label without rows). Rows are summed in row order.
func (v vectors) meanDirections(labels []int, k int) (blas32.General, error) {
	d := v.d
	sum := make([]float64, k*d)
	err := v.each(func(lo int, b blas32.General) error {
		for i := 0; i < b.Rows; i++ {
			l := labels[lo+i]
			axpy64(sum[l*d:(l+1)*d], 1, row(b, i))
		}
		return nil
	})
	if err != nil {
		return blas32.General{}, err
	}
	out := newGeneral(k, d)
	for c := 0; c < k; c++ {
		s := 0.0
		for _, v := range sum[c*d : (c+1)*d] {
			s += v * v
		}
		if s == 0 {
			continue
		}
		inv := 1 / math.Sqrt(s)
		for t := 0; t < d; t++ {
			out.Data[c*d+t] = float32(sum[c*d+t] * inv)
		}
	}
	return out, nil
}

// meanDirections is vectors.meanDirections of the rows of x.
func meanDirections(x blas32.General, labels []int, k int) blas32.General {
	out, _ := denseVectors(x).meanDirections(labels, k) // a matrix gives no error
	return out
}

// representatives is Representatives on every row, block by block (in
// cosine geometry, as FitThemes uses it).
func (v vectors) representatives(labels []int, centroids blas32.General, n int) ([][]int, error) {
	if v.scan == nil {
		return Representatives(v.x, labels, centroids, n, true), nil
	}
	if len(labels) != v.n || centroids.Cols != v.d {
		panic("cluster: Representatives shape mismatch")
	}
	cs := looseCenters(centroids, true)
	dist := make([]float64, v.n)
	err := v.each(func(lo int, b blas32.General) error {
		memberDistances(b, labels[lo:lo+b.Rows], cs, true, dist[lo:lo+b.Rows])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return nearestMembers(labels, dist, centroids.Rows, n), nil
}

// silhouette is Silhouette in cosine geometry of the labelling of every
// row, on its seeded sample of sampleSize rows.
func (v vectors) silhouette(labels []int, sampleSize int, seed uint64) (float64, error) {
	if v.scan == nil {
		return Silhouette(v.x, labels, sampleSize, seed, true), nil
	}
	if len(labels) != v.n {
		panic("cluster: Silhouette label count mismatch")
	}
	idx := silhouetteSample(v.n, sampleSize, seed)
	s, err := v.gather(idx)
	if err != nil {
		return 0, err
	}
	lab := make([]int, len(idx))
	for q, i := range idx {
		lab[q] = labels[i]
	}
	return Silhouette(s, lab, 0, seed, true), nil
}
