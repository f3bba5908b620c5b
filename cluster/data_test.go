package cluster

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"
)

// Blobs returns n rows in d dimensions drawn around k random centres (standard
// normal coordinates scaled by sep) with unit-variance Gaussian noise of scale
// noise, and the index of each row's centre. Rows are assigned to centres
// round-robin. With unit set, rows are normalised to length 1.
func Blobs(n, d, k int, sep, noise float64, unit bool, seed uint64) (blas32.General, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	ctr := make([]float64, k*d)
	for i := range ctr {
		ctr[i] = rng.NormFloat64() * sep
	}
	x := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, n*d)}
	truth := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % k
		truth[i] = c
		r := x.Data[i*d : (i+1)*d]
		s := 0.0
		for t := range r {
			v := ctr[c*d+t] + rng.NormFloat64()*noise
			r[t] = float32(v)
			s += v * v
		}
		if unit {
			f := 1 / math.Sqrt(s)
			for t := range r {
				r[t] = float32(float64(r[t]) * f)
			}
		}
	}
	return x, truth
}

func blas32General(x blas32.General, rows int) blas32.General {
	return blas32.General{Rows: rows, Cols: x.Cols, Stride: x.Stride, Data: x.Data}
}
