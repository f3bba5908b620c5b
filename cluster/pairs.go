package cluster

import (
	"cmp"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Pair is two rows of a matrix of unit vectors, A < B, and their cosine:
// a candidate near-duplicate.
type Pair struct {
	A, B   int
	Cosine float64
}

// SimilarPairs returns the pairs among rows (indices into the rows of x,
// unit vectors) whose cosine is at least threshold, computing the Gram
// matrix in blocks: |rows|² dot products, for a few thousand rows at a
// time (for example one theme's members).
func SimilarPairs(x blas32.General, rows []int, threshold float64) []Pair {
	const block = 512
	dim := x.Cols
	var out []Pair
	gather := func(idx []int) blas32.General {
		g := blas32.General{Rows: len(idx), Cols: dim, Stride: dim, Data: make([]float32, len(idx)*dim)}
		for j, i := range idx {
			copy(g.Data[j*dim:], x.Data[i*x.Stride:i*x.Stride+dim])
		}
		return g
	}
	for a := 0; a < len(rows); a += block {
		ra := rows[a:min(a+block, len(rows))]
		ga := gather(ra)
		for b := a; b < len(rows); b += block {
			rb := rows[b:min(b+block, len(rows))]
			gb := gather(rb)
			gram := blas32.General{Rows: len(ra), Cols: len(rb), Stride: len(rb), Data: make([]float32, len(ra)*len(rb))}
			blas32.Gemm(blas.NoTrans, blas.Trans, 1, ga, gb, 0, gram)
			for i := range ra {
				for j := range rb {
					if b == a && j <= i {
						continue
					}
					if s := float64(gram.Data[i*len(rb)+j]); s >= threshold {
						p := Pair{A: ra[i], B: rb[j], Cosine: s}
						if p.A > p.B {
							p.A, p.B = p.B, p.A
						}
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

// NeighborPairs returns, once each, the pairs of a row of x and one of its
// k nearest neighbours (nbrs, row-major as KNN.Search gives them; -1 for
// none) whose cosine is at least threshold: the near-duplicates of a
// corpus too large for all pairs, since a paper's near-duplicates are
// among its nearest neighbours.
func NeighborPairs(x blas32.General, nbrs []int32, k int, threshold float64) []Pair {
	if k <= 0 || len(nbrs) != x.Rows*k {
		panic("cluster: NeighborPairs needs k neighbours per row")
	}
	var out []Pair
	row := func(i int) []float32 { return x.Data[i*x.Stride : i*x.Stride+x.Cols] }
	for i := 0; i < x.Rows; i++ {
		for _, j32 := range nbrs[i*k : (i+1)*k] {
			j := int(j32)
			if j < 0 {
				continue
			}
			s := dotF64(row(i), row(j))
			if s < threshold {
				continue
			}
			out = append(out, Pair{A: min(i, j), B: max(i, j), Cosine: s})
		}
	}
	// A pair found from both sides is kept once.
	slices.SortFunc(out, func(p, q Pair) int { return cmp.Or(cmp.Compare(p.A, q.A), cmp.Compare(p.B, q.B)) })
	return slices.CompactFunc(out, func(p, q Pair) bool { return p.A == q.A && p.B == q.B })
}

// SortPairs orders pairs by cosine, highest first, then by A and B, so that
// the order does not depend on how they were found.
func SortPairs(pairs []Pair) {
	slices.SortFunc(pairs, func(p, q Pair) int {
		return cmp.Or(cmp.Compare(q.Cosine, p.Cosine), cmp.Compare(p.A, q.A), cmp.Compare(p.B, q.B))
	})
}

// Dot returns the dot product of x and y (of equal length) accumulated in
// float64: the cosine of two unit vectors, computed as everywhere else in
// the package.
func Dot(x, y []float32) float64 {
	if len(x) != len(y) {
		panic("cluster: Dot length mismatch")
	}
	return dotF64(x, y)
}
