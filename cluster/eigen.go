package cluster

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// topEigen returns the k largest eigenvalues of the symmetric d×d matrix a
// (row-major, float64), in decreasing order, and their unit eigenvectors as the
// rows of a k×d matrix.
//
// It runs Lanczos with full reorthogonalisation (twice, Daniel, Gragg, Kaufman
// and Stewart 1976) from a seeded start vector, and stops when every wanted Ritz
// pair has residual ‖a·y − θy‖ ≤ 1e-10·‖a‖, or when the Krylov space is the
// whole space, in which case the decomposition is complete. Ritz values come
// from the tridiagonal matrix by implicit QL/QR without vectors (LAPACK dsterf),
// and Ritz vectors by inverse iteration on it (as LAPACK dstein does). For the top
// of a PCA spectrum this converges in a few times k steps, far cheaper than a
// full dense eigendecomposition.
func topEigen(a []float64, d, k int, seed uint64) ([]float64, []float64) {
	if k > d {
		panic("cluster: topEigen k > d")
	}
	if d <= 48 {
		return denseEigen(a, d, k)
	}
	impl := gonum.Implementation{}
	A := blas64.General{Rows: d, Cols: d, Stride: d, Data: a}
	anorm := 0.0
	for _, v := range a {
		anorm = max(anorm, math.Abs(v))
	}
	anorm *= float64(d) // a cheap bound on ‖a‖₂
	rng := newRand(seed, 0xe16e)
	V := make([]float64, 0, (min(d, 4*k+40))*d)
	var alpha, beta []float64
	randomUnit := func() []float64 {
		// A random vector orthogonal to the current basis.
		for {
			w := make([]float64, d)
			for i := range w {
				w[i] = rng.NormFloat64()
			}
			orthogonalise(V, w, d)
			orthogonalise(V, w, d)
			if nrm := blas64.Nrm2(blas64.Vector{N: d, Inc: 1, Data: w}); nrm > 1e-8 {
				for i := range w {
					w[i] /= nrm
				}
				return w
			}
		}
	}
	v := randomUnit()
	w := make([]float64, d)
	next := k + 16
	var vals []float64
	var S []float64 // Ritz vectors in the Lanczos basis, k×m
	for m := 1; ; m++ {
		V = append(V, v...)
		blas64.Gemv(blas.NoTrans, 1, A, blas64.Vector{N: d, Inc: 1, Data: v}, 0, blas64.Vector{N: d, Inc: 1, Data: w})
		al := blas64.Dot(blas64.Vector{N: d, Inc: 1, Data: w}, blas64.Vector{N: d, Inc: 1, Data: v})
		alpha = append(alpha, al)
		orthogonalise(V, w, d)
		orthogonalise(V, w, d)
		be := blas64.Nrm2(blas64.Vector{N: d, Inc: 1, Data: w})
		if m == d || m >= next {
			vals, S = tridiagTop(impl, alpha, beta, k, anorm)
			if m == d || ritzConverged(vals, S, alpha, beta, be, k, anorm) {
				break
			}
			next = m + max(8, m/4)
		}
		beta = append(beta, be)
		if be <= 1e-12*anorm {
			// Invariant subspace: continue from a fresh direction; the tridiagonal
			// matrix splits (β = 0) and stays exact.
			beta[len(beta)-1] = 0
			v = randomUnit()
			continue
		}
		v = make([]float64, d)
		for i := range v {
			v[i] = w[i] / be
		}
	}
	m := len(alpha)
	vecs := make([]float64, k*d)
	for i := 0; i < k; i++ {
		y := vecs[i*d : (i+1)*d]
		for t := 0; t < m; t++ {
			s := S[i*m+t]
			if s == 0 {
				continue
			}
			vt := V[t*d : (t+1)*d]
			for c := range y {
				y[c] += s * vt[c]
			}
		}
		nrm := blas64.Nrm2(blas64.Vector{N: d, Inc: 1, Data: y})
		for c := range y {
			y[c] /= nrm
		}
	}
	return vals, vecs
}

// orthogonalise removes from w its components along the rows of V (m×d):
// w −= Vᵀ(V w).
func orthogonalise(V, w []float64, d int) {
	m := len(V) / d
	if m == 0 {
		return
	}
	Vg := blas64.General{Rows: m, Cols: d, Stride: d, Data: V}
	h := make([]float64, m)
	blas64.Gemv(blas.NoTrans, 1, Vg, blas64.Vector{N: d, Inc: 1, Data: w}, 0, blas64.Vector{N: m, Inc: 1, Data: h})
	blas64.Gemv(blas.Trans, -1, Vg, blas64.Vector{N: m, Inc: 1, Data: h}, 1, blas64.Vector{N: d, Inc: 1, Data: w})
}

// tridiagTop returns the k largest eigenvalues (decreasing) of the symmetric
// tridiagonal matrix with diagonal alpha and off-diagonal beta, and their
// eigenvectors (k×m, row i for value i) by inverse iteration.
func tridiagTop(impl gonum.Implementation, alpha, beta []float64, k int, anorm float64) ([]float64, []float64) {
	m := len(alpha)
	kk := min(k, m)
	ev := slices.Clone(alpha)
	if m > 1 {
		e := slices.Clone(beta[:m-1])
		if !impl.Dsterf(m, ev, e) {
			panic("cluster: tridiagonal eigenvalues did not converge")
		}
	}
	vals := make([]float64, k)
	for i := 0; i < kk; i++ {
		vals[i] = ev[m-1-i]
	}
	S := make([]float64, k*m)
	rng := newRand(uint64(m), 0x5eed)
	for i := 0; i < kk; i++ {
		s := S[i*m : (i+1)*m]
		for t := range s {
			s[t] = rng.Float64() - 0.5
		}
		// Nearly equal eigenvalues get slightly separated shifts so that inverse
		// iteration does not return the same vector twice (as dstein does).
		shift := vals[i]
		if i > 0 && vals[i-1]-shift < 1e-12*anorm {
			shift = vals[i-1] - 1e-12*anorm*float64(i)
		}
		for it := 0; it < 4; it++ {
			tridiagSolve(alpha, beta, shift, s, anorm)
			for j := 0; j < i; j++ {
				prev := S[j*m : (j+1)*m]
				dot := 0.0
				for t := range s {
					dot += s[t] * prev[t]
				}
				for t := range s {
					s[t] -= dot * prev[t]
				}
			}
			nrm := 0.0
			for _, v := range s {
				nrm += v * v
			}
			nrm = math.Sqrt(nrm)
			for t := range s {
				s[t] /= nrm
			}
		}
	}
	return vals, S
}

// tridiagSolve overwrites b with the solution of (T − σI)x = b for the
// tridiagonal T, by Gaussian elimination with partial pivoting (LAPACK dgttrf
// and dgtts2); a zero pivot is replaced by a tiny one, which is what inverse
// iteration wants. The result is rescaled to unit max-norm.
func tridiagSolve(alpha, beta []float64, sigma float64, b []float64, anorm float64) {
	m := len(alpha)
	tiny := max(1e-15*anorm, 1e-300)
	d := make([]float64, m)
	for i := range d {
		d[i] = alpha[i] - sigma
	}
	dl := slices.Clone(beta[:m-1])
	du := slices.Clone(beta[:m-1])
	du2 := make([]float64, max(m-2, 0))
	swap := make([]bool, max(m-1, 0))
	for i := 0; i < m-1; i++ {
		if math.Abs(d[i]) >= math.Abs(dl[i]) {
			if d[i] == 0 {
				d[i] = tiny
			}
			f := dl[i] / d[i]
			dl[i] = f
			d[i+1] -= f * du[i]
		} else {
			f := d[i] / dl[i]
			d[i] = dl[i]
			dl[i] = f
			t := du[i]
			du[i] = d[i+1]
			d[i+1] = t - f*d[i+1]
			if i < m-2 {
				du2[i] = du[i+1]
				du[i+1] = -f * du[i+1]
			}
			swap[i] = true
		}
	}
	if d[m-1] == 0 {
		d[m-1] = tiny
	}
	for i := 0; i < m-1; i++ {
		if swap[i] {
			b[i], b[i+1] = b[i+1], b[i]-dl[i]*b[i+1]
		} else {
			b[i+1] -= dl[i] * b[i]
		}
	}
	for i := m - 1; i >= 0; i-- {
		s := b[i]
		if i+1 < m {
			s -= du[i] * b[i+1]
		}
		if i+2 < m {
			s -= du2[i] * b[i+2]
		}
		b[i] = s / d[i]
		if math.IsInf(b[i], 0) || math.IsNaN(b[i]) {
			b[i] = math.Copysign(1e300, s)
		}
	}
	nrm := 0.0
	for _, v := range b {
		nrm = max(nrm, math.Abs(v))
	}
	if nrm > 0 {
		for i := range b {
			b[i] /= nrm
		}
	}
}

// ritzConverged reports whether every wanted Ritz pair has a small residual:
// |β_m·s_m| (the Lanczos estimate) plus ‖T s − θ s‖.
func ritzConverged(vals, S, alpha, beta []float64, bm float64, k int, anorm float64) bool {
	m := len(alpha)
	if m < k {
		return false
	}
	tol := 1e-10 * max(math.Abs(vals[0]), 1e-300)
	for i := 0; i < k; i++ {
		s := S[i*m : (i+1)*m]
		r := math.Abs(bm * s[m-1])
		// ‖T s − θ s‖ for the computed s.
		res := 0.0
		for t := 0; t < m; t++ {
			v := (alpha[t] - vals[i]) * s[t]
			if t > 0 {
				v += beta[t-1] * s[t-1]
			}
			if t+1 < m {
				v += beta[t] * s[t+1]
			}
			res += v * v
		}
		if r+math.Sqrt(res) > tol {
			return false
		}
	}
	return true
}

// denseEigen is topEigen for small matrices: a full decomposition.
func denseEigen(a []float64, d, k int) ([]float64, []float64) {
	sym := mat.NewSymDense(d, slices.Clone(a))
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		panic("cluster: eigendecomposition did not converge")
	}
	all := es.Values(nil)
	var ev mat.Dense
	es.VectorsTo(&ev)
	vals := make([]float64, k)
	vecs := make([]float64, k*d)
	for i := 0; i < k; i++ {
		c := d - 1 - i
		vals[i] = all[c]
		for r := 0; r < d; r++ {
			vecs[i*d+r] = ev.At(r, c)
		}
	}
	return vals, vecs
}
