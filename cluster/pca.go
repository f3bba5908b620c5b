package cluster

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/lapack/gonum"
)

// PCAMethod selects how FitPCA finds the components.
type PCAMethod int

const (
	// Auto uses Exact when d ≤ 1024 and Randomized above.
	Auto PCAMethod = iota
	// Exact builds the d×d covariance matrix in one pass over the data and
	// takes its leading eigenvectors (Lanczos to a residual of 1e-10 relative):
	// the answer to working precision, for O(n·d²) work.
	Exact
	// Randomized uses the randomized range finder with power iterations (Halko,
	// Martinsson and Tropp 2011, algorithms 4.4 and 5.1): O(n·d·(k+10)) work per
	// pass, for large d. Its accuracy depends on PowerIters and the spectrum.
	Randomized
)

// PCAOptions are the settings of FitPCA; the zero value means the defaults.
type PCAOptions struct {
	Method PCAMethod
	// Seed drives the random start vectors (both methods).
	Seed uint64
	// PowerIters is the number of power iterations of the randomized method.
	// Default 7 when k < d/10, else 4 (scikit-learn's rule).
	PowerIters int
	// Oversample is the number of extra random directions of the randomized
	// method. Default 10.
	Oversample int
	// Threads caps the number of goroutines. Default runtime.GOMAXPROCS(0).
	Threads int
}

// PCA is a fitted principal component analysis.
type PCA struct {
	// Mean is the mean row of the training data.
	Mean []float32
	// Components is k×d; its rows are orthonormal, in decreasing order of
	// variance, each with its largest-magnitude entry positive.
	Components blas32.General
	// Variance[i] is the variance of the data along component i (with the n−1
	// denominator, as scikit-learn's explained_variance_).
	Variance []float64
	// TotalVariance is the sum of the variances of all d features, so
	// Variance[i]/TotalVariance is the explained variance ratio.
	TotalVariance float64
}

// FitPCA finds the k leading principal components of the rows of x. It returns
// ErrBadOption unless 1 ≤ k ≤ d, ErrTooFewPoints for fewer than two rows and
// ErrNotFinite for NaN or infinite data.
func FitPCA(x blas32.General, k int, opts PCAOptions) (*PCA, error) {
	checkGeneral(x)
	n, d := x.Rows, x.Cols
	if k < 1 || k > d {
		return nil, fmt.Errorf("pca with k = %d on %d columns: %w", k, d, ErrBadOption)
	}
	if n < 2 {
		return nil, fmt.Errorf("pca on %d rows: %w", n, ErrTooFewPoints)
	}
	threads := threadCount(opts.Threads)
	p, err := newPoints(x, false, threads)
	if err != nil {
		return nil, err
	}
	mean := columnMeans(p, threads)
	method := opts.Method
	if method == Auto {
		method = Exact
		if d > 1024 {
			method = Randomized
		}
	}
	var vals, vecs []float64
	var total float64
	switch method {
	case Exact:
		cov := covariance(x, mean, threads)
		for i := 0; i < d; i++ {
			total += cov[i*d+i]
		}
		vals, vecs = topEigen(cov, d, k, opts.Seed)
	case Randomized:
		vals, vecs = randomizedPCA(p, mean, k, opts, threads)
		m2 := 0.0
		for _, v := range mean {
			m2 += v * v
		}
		sq := 0.0
		for _, v := range p.xn {
			sq += v
		}
		total = max(sq-float64(n)*m2, 0) / float64(n-1)
	default:
		panic("cluster: unknown PCA method")
	}
	out := &PCA{Mean: make([]float32, d), Components: newGeneral(k, d), Variance: make([]float64, k), TotalVariance: total}
	for t, v := range mean {
		out.Mean[t] = float32(v)
	}
	for i := 0; i < k; i++ {
		out.Variance[i] = max(vals[i], 0)
		v := vecs[i*d : (i+1)*d]
		// Deterministic sign: the entry of largest magnitude is positive.
		big := 0
		for t := range v {
			if math.Abs(v[t]) > math.Abs(v[big]) {
				big = t
			}
		}
		s := 1.0
		if v[big] < 0 {
			s = -1
		}
		r := row(out.Components, i)
		for t := range v {
			r[t] = float32(s * v[t])
		}
	}
	return out, nil
}

// Transform projects the rows of x onto the components: row i of the n×k result
// is Components·(x_i − Mean). It panics if x has the wrong number of columns.
func (p *PCA) Transform(x blas32.General) blas32.General {
	checkGeneral(x)
	k, d := p.Components.Rows, p.Components.Cols
	if x.Cols != d {
		panic("cluster: PCA.Transform column mismatch")
	}
	out := newGeneral(x.Rows, k)
	if x.Rows == 0 {
		return out
	}
	cs := newCenters(k, d)
	for j := 0; j < k; j++ {
		copy(cs.row(j), row(p.Components, j))
	}
	projectCentered(x, p.Mean, cs, out, threadCount(0))
	return out
}

// projectCentered sets out[i][j] = (x_i − mean)·c_j. Rows are centred in float32
// into a small buffer before the tile kernel, which keeps the projection accurate
// when the mean is large next to the spread.
func projectCentered(x blas32.General, mean []float32, cs *centers, out blas32.General, threads int) {
	n, d, k := x.Rows, x.Cols, cs.k
	scr := make([][]float32, threads)
	parallelFor(threads, numChunks(n), func(w, c int) {
		lo, hi := chunkRange(c, n)
		if scr[w] == nil {
			scr[w] = make([]float32, 8*d+12*cs.ntri)
		}
		buf := scr[w]
		res := buf[8*d:]
		var rows [4][]float32
		for i := lo; i < hi; i += 4 {
			nr := min(4, hi-i)
			for r := 0; r < 4; r++ {
				dst := buf[r*d : (r+1)*d]
				rows[r] = dst
				if r >= nr {
					continue
				}
				sub(dst, row(x, i+r), mean)
			}
			dotStrip(&rows, cs.c, d, cs.ntri, d, res, nil)
			for r := 0; r < nr; r++ {
				o := row(out, i+r)
				for j := 0; j < k; j++ {
					o[j] = dotAt(res, r, j)
				}
			}
		}
	})
}

// columnMeans returns the mean row in float64, from fixed-chunk partial sums.
func columnMeans(p *points, threads int) []float64 {
	nc := numChunks(p.n)
	d := p.d
	part := make([]float64, nc*d)
	parallelFor(threads, nc, func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		s := part[c*d : (c+1)*d]
		for i := lo; i < hi; i++ {
			axpy64(s, p.scale(i), row(p.x, i))
		}
	})
	mean := make([]float64, d)
	for c := 0; c < nc; c++ {
		for t, v := range part[c*d : (c+1)*d] {
			mean[t] += v
		}
	}
	for t := range mean {
		mean[t] /= float64(p.n)
	}
	return mean
}

// covBlock is the number of rows transposed together for the covariance.
const covBlock = 256

// covariance returns the d×d sample covariance (n−1 denominator) of the rows of
// x, row-major in float64. Blocks of covBlock centred rows are transposed so
// that the tile kernel computes feature-by-feature dot products over contiguous
// memory; only the lower triangle is computed. Each block's float32 products
// are added into float64 sums, per fixed range of rows, and the ranges are
// combined in order.
func covariance(x blas32.General, mean []float64, threads int) []float64 {
	n, d := x.Rows, x.Cols
	nb := (n + covBlock - 1) / covBlock
	ns := min(max(nb/16, 1), 8)
	dp := (d + 11) / 12 * 12
	ntri := dp / 3
	m32 := make([]float32, d)
	for t, v := range mean {
		m32[t] = float32(v)
	}
	parts := make([]float64, ns*d*d)
	parallelFor(threads, ns, func(_, s int) {
		T := make([]float32, dp*covBlock)
		out := make([]float32, 12*ntri)
		G := parts[s*d*d : (s+1)*d*d]
		var rows [4][]float32
		for b := s * nb / ns; b < (s+1)*nb/ns; b++ {
			lo := b * covBlock
			hi := min(lo+covBlock, n)
			transposeCentered(x, lo, hi, m32, T)
			for q := 0; q < dp/4; q++ {
				f0 := 4 * q
				if f0 >= d {
					break
				}
				for r := range rows {
					rows[r] = T[(f0+r)*covBlock : (f0+r+1)*covBlock]
				}
				nt := min((f0+3)/3+1, ntri)
				dotStrip(&rows, T, covBlock, nt, covBlock, out, nil)
				for r := 0; r < 4 && f0+r < d; r++ {
					f := f0 + r
					g := G[f*d : f*d+f+1]
					// g[j] += dotAt(out, r, j), walking the strip layout directly.
					j := 0
					for t := 0; j+3 <= len(g); t++ {
						o := out[12*t+r : 12*t+r+9]
						g[j] += float64(o[0])
						g[j+1] += float64(o[4])
						g[j+2] += float64(o[8])
						j += 3
					}
					for ; j < len(g); j++ {
						g[j] += float64(dotAt(out, r, j))
					}
				}
			}
		}
	})
	cov := parts[:d*d]
	for s := 1; s < ns; s++ {
		for t, v := range parts[s*d*d : (s+1)*d*d] {
			cov[t] += v
		}
	}
	inv := 1 / float64(n-1)
	for f := 0; f < d; f++ {
		for g := 0; g <= f; g++ {
			v := cov[f*d+g] * inv
			cov[f*d+g] = v
			cov[g*d+f] = v
		}
	}
	return cov
}

// transposeCentered writes T[f*covBlock+b] = x[lo+b][f] − mean[f] for the rows
// lo..hi-1 and zero for the rest of the block.
func transposeCentered(x blas32.General, lo, hi int, mean []float32, T []float32) {
	d := x.Cols
	nb := hi - lo
	b := 0
	if useAVX2 {
		nf8 := d / 8
		for ; b+8 <= nb; b += 8 {
			if nf8 > 0 {
				src := x.Data[(lo+b)*x.Stride:]
				_ = src[7*x.Stride+d-1] // the eight rows are in range
				transpose8AVX2(&src[0], x.Stride, &mean[0], &T[b], covBlock, nf8)
			}
			for f := 8 * nf8; f < d; f++ {
				for r := 0; r < 8; r++ {
					T[f*covBlock+b+r] = x.Data[(lo+b+r)*x.Stride+f] - mean[f]
				}
			}
		}
	}
	const tile = 16
	for ; b < nb; b += tile {
		b1 := min(b+tile, nb)
		for f0 := 0; f0 < d; f0 += tile {
			f1 := min(f0+tile, d)
			for r := b; r < b1; r++ {
				src := x.Data[(lo+r)*x.Stride+f0 : (lo+r)*x.Stride+f1]
				m := mean[f0:f1]
				for t, v := range src {
					T[(f0+t)*covBlock+r] = v - m[t]
				}
			}
		}
	}
	if nb < covBlock {
		for f := 0; f < d; f++ {
			clear(T[f*covBlock+nb : (f+1)*covBlock])
		}
	}
}

// randomizedPCA returns the k leading eigenvalues of the covariance and their
// eigenvectors (k×d) by randomized subspace iteration (Halko, Martinsson and
// Tropp 2011, algorithm 4.4, with the orthonormalisation done on the small d×l
// side) and a final Rayleigh–Ritz step: Z ← orth(Xcᵀ·Xc·Z) PowerIters times from
// a Gaussian Z, then the eigenvectors of Zᵀ·C·Z rotate Z.
func randomizedPCA(p *points, mean []float64, k int, opts PCAOptions, threads int) ([]float64, []float64) {
	n, d := p.n, p.d
	over := opts.Oversample
	if over <= 0 {
		over = 10
	}
	l := min(k+over, d)
	iters := opts.PowerIters
	if iters <= 0 {
		iters = 4
		if k < d/10 {
			iters = 7
		}
	}
	rng := newRand(opts.Seed, 0x9ca)
	m32 := make([]float32, d)
	for t, v := range mean {
		m32[t] = float32(v)
	}
	Z := make([]float64, d*l) // d×l, row-major
	for i := range Z {
		Z[i] = rng.NormFloat64()
	}
	orthonormalColumns(Z, d, l)
	zt := make([]float64, l*d)
	transpose := func() {
		for i := 0; i < d; i++ {
			for j := 0; j < l; j++ {
				zt[j*d+i] = Z[i*l+j]
			}
		}
	}
	for it := 0; it < iters; it++ {
		transpose()
		Y := mulXc(p.x, m32, zt, l, threads) // n×l
		Z = mulXcT(p.x, m32, Y, l, threads)  // d×l
		orthonormalColumns(Z, d, l)
	}
	transpose()
	Y := mulXc(p.x, m32, zt, l, threads)
	// H = Yᵀ·Y/(n−1) = Zᵀ·C·Z, summed per fixed chunk and combined in order.
	nc := numChunks(n)
	parts := make([]float64, nc*l*l)
	parallelFor(threads, nc, func(_, c int) {
		lo, hi := chunkRange(c, n)
		h := parts[c*l*l : (c+1)*l*l]
		for i := lo; i < hi; i++ {
			y := Y[i*l : (i+1)*l]
			for a := 0; a < l; a++ {
				for b := 0; b <= a; b++ {
					h[a*l+b] += y[a] * y[b]
				}
			}
		}
	})
	H := make([]float64, l*l)
	for c := 0; c < nc; c++ {
		for t, v := range parts[c*l*l : (c+1)*l*l] {
			H[t] += v
		}
	}
	for a := 0; a < l; a++ {
		for b := 0; b <= a; b++ {
			v := H[a*l+b] / float64(n-1)
			H[a*l+b], H[b*l+a] = v, v
		}
	}
	vals, S := denseEigen(H, l, k) // S: k×l
	vecs := make([]float64, k*d)
	for i := 0; i < k; i++ {
		for t := 0; t < d; t++ {
			s := 0.0
			for j := 0; j < l; j++ {
				s += Z[t*l+j] * S[i*l+j]
			}
			vecs[i*d+t] = s
		}
	}
	return vals, vecs
}

// mulXc returns (X − 1·meanᵀ)·Mᵀ as an n×l float64 matrix, for M l×d.
func mulXc(x blas32.General, mean []float32, M []float64, l, threads int) []float64 {
	n, d := x.Rows, x.Cols
	cs := newCenters(l, d)
	for j := 0; j < l; j++ {
		r := cs.row(j)
		for t := range r {
			r[t] = float32(M[j*d+t])
		}
	}
	out := newGeneral(n, l)
	projectCentered(x, mean, cs, out, threads)
	Y := make([]float64, n*l)
	for i, v := range out.Data {
		Y[i] = float64(v)
	}
	return Y
}

// mulXcT returns (X − 1·meanᵀ)ᵀ·Q as a d×l float64 matrix, for Q n×l.
func mulXcT(x blas32.General, mean []float32, Q []float64, l, threads int) []float64 {
	n, d := x.Rows, x.Cols
	nb := (n + covBlock - 1) / covBlock
	ns := min(max(nb/16, 1), 8)
	lp := (l + 2) / 3 * 3
	dp := (d + 3) / 4 * 4
	parts := make([]float64, ns*d*l)
	parallelFor(threads, ns, func(_, s int) {
		T := make([]float32, dp*covBlock)
		Qt := make([]float32, lp*covBlock)
		out := make([]float32, 12*(lp/3))
		P := parts[s*d*l : (s+1)*d*l]
		var rows [4][]float32
		for b := s * nb / ns; b < (s+1)*nb/ns; b++ {
			lo := b * covBlock
			hi := min(lo+covBlock, n)
			transposeCentered(x, lo, hi, mean, T)
			clear(Qt)
			for i := lo; i < hi; i++ {
				for j := 0; j < l; j++ {
					Qt[j*covBlock+i-lo] = float32(Q[i*l+j])
				}
			}
			for f0 := 0; f0 < d; f0 += 4 {
				for r := range rows {
					rows[r] = T[(f0+r)*covBlock : (f0+r+1)*covBlock]
				}
				dotStrip(&rows, Qt, covBlock, lp/3, covBlock, out, nil)
				for r := 0; r < 4 && f0+r < d; r++ {
					g := P[(f0+r)*l : (f0+r+1)*l]
					for j := range g {
						g[j] += float64(dotAt(out, r, j))
					}
				}
			}
		}
	})
	res := parts[:d*l]
	for s := 1; s < ns; s++ {
		for t, v := range parts[s*d*l : (s+1)*d*l] {
			res[t] += v
		}
	}
	return res
}

// orthonormalColumns replaces the r×c matrix a (row-major, r ≥ c) by the Q
// factor of its thin QR decomposition (LAPACK dgeqrf and dorgqr).
func orthonormalColumns(a []float64, r, c int) {
	impl := gonum.Implementation{}
	tau := make([]float64, c)
	work := make([]float64, 1)
	impl.Dgeqrf(r, c, a, c, tau, work, -1)
	lw := int(work[0])
	impl.Dorgqr(r, c, c, a, c, tau, work, -1)
	lw = max(lw, int(work[0]), 1)
	work = make([]float64, lw)
	impl.Dgeqrf(r, c, a, c, tau, work, lw)
	impl.Dorgqr(r, c, c, a, c, tau, work, lw)
}
