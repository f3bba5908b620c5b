package lexical

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// This file holds the truncated SVD behind the lexical model: a compressed
// sparse row matrix and the randomised subspace iteration of Halko,
// Martinsson and Tropp (2011, "Finding structure with randomness",
// algorithms 4.4 and 5.1), both written here because gonum has neither a
// sparse matrix type nor a randomised SVD. The dense parts (Gram matrices,
// triangular solves, the small eigenproblem) are gonum's.
//
// Determinism: every parallel loop below computes each output row in one
// goroutine, in a fixed order, and every reduction over row blocks sums the
// block results in block order, with blocks fixed by the data and not by
// the number of goroutines. Results are therefore bit-identical whatever
// GOMAXPROCS is.

// csrMatrix is a sparse matrix in compressed sparse row form: the entries of
// row i are values[indptr[i]:indptr[i+1]] in the columns
// indices[indptr[i]:indptr[i+1]], which are strictly increasing.
type csrMatrix struct {
	rows, cols int
	indptr     []int
	indices    []int32
	values     []float32
}

// nnz returns the number of stored entries.
func (a *csrMatrix) nnz() int { return len(a.indices) }

// transpose returns Aᵀ in CSR form (that is, A in compressed sparse column
// form). Its rows keep increasing column indices because A's rows are
// visited in order.
func (a *csrMatrix) transpose() *csrMatrix {
	t := &csrMatrix{
		rows:    a.cols,
		cols:    a.rows,
		indptr:  make([]int, a.cols+1),
		indices: make([]int32, a.nnz()),
		values:  make([]float32, a.nnz()),
	}
	for _, j := range a.indices {
		t.indptr[j+1]++
	}
	for j := 0; j < a.cols; j++ {
		t.indptr[j+1] += t.indptr[j]
	}
	next := slices.Clone(t.indptr[:a.cols])
	for i := 0; i < a.rows; i++ {
		for p := a.indptr[i]; p < a.indptr[i+1]; p++ {
			j := a.indices[p]
			q := next[j]
			t.indices[q] = int32(i)
			t.values[q] = a.values[p]
			next[j]++
		}
	}
	return t
}

// rowBlocks splits the rows of a into consecutive blocks of roughly
// perBlock stored entries (and at least one row), for load balancing.
func (a *csrMatrix) rowBlocks(perBlock int) []int {
	bounds := []int{0}
	start := 0
	for i := 0; i < a.rows; i++ {
		if a.indptr[i+1]-a.indptr[start] >= perBlock {
			bounds = append(bounds, i+1)
			start = i + 1
		}
	}
	if bounds[len(bounds)-1] != a.rows {
		bounds = append(bounds, a.rows)
	}
	return bounds
}

// mulDense32 sets dst = A·z, where z is a.cols×l and dst is a.rows×l, both
// dense row-major float32: each row of dst is a sum of rows of z scaled by
// A's entries, in increasing column order, computed by one goroutine.
//
// The columns are visited in chunks of zChunkRows, all rows of A taking
// their entries in the current chunk before the next chunk starts, so that
// the rows of z being read stay in cache (4.4 MB at l = 272). On the 98k ACM
// abstracts this is 2-3 times as fast as going through A row by row, for
// A·Z (45k-row z) and even more for Aᵀ·Y (98k-row y). The order of each sum,
// hence the result, is the same.
func (a *csrMatrix) mulDense32(ctx context.Context, z []float32, l int, dst []float32) error {
	const zChunkRows = 4096
	impl := blas32.Implementation()
	blocks := a.rowBlocks(1 << 15)
	cursor := slices.Clone(a.indptr[:a.rows])
	clear(dst)
	for c0 := 0; c0 < a.cols; c0 += zChunkRows {
		c1 := int32(min(c0+zChunkRows, a.cols))
		err := parallelBlocks(ctx, blocks, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				p, end := cursor[j], a.indptr[j+1]
				if p == end || a.indices[p] >= c1 {
					continue
				}
				out := dst[j*l : (j+1)*l]
				for ; p < end && a.indices[p] < c1; p++ {
					i := int(a.indices[p])
					impl.Saxpy(l, a.values[p], z[i*l:(i+1)*l], 1, out, 1)
				}
				cursor[j] = p
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mulRows64 sets dst = A·z in float64, serially; a's indptr may be a window
// into a larger matrix (absolute offsets into indices and values).
func (a *csrMatrix) mulRows64(z []float64, l int, dst []float64) {
	impl := blas64.Implementation()
	for i := 0; i < a.rows; i++ {
		out := dst[i*l : (i+1)*l]
		clear(out)
		for p := a.indptr[i]; p < a.indptr[i+1]; p++ {
			j := int(a.indices[p])
			impl.Daxpy(l, float64(a.values[p]), z[j*l:(j+1)*l], 1, out, 1)
		}
	}
}

// parallelBlocks calls fn(bounds[b], bounds[b+1]) for every block b, on up
// to GOMAXPROCS goroutines, and stops handing out blocks once ctx is done.
func parallelBlocks(ctx context.Context, bounds []int, fn func(lo, hi int)) error {
	nb := len(bounds) - 1
	if nb <= 0 {
		return ctx.Err()
	}
	workers := min(runtime.GOMAXPROCS(0), nb)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				b := int(next.Add(1)) - 1
				if b >= nb {
					return
				}
				fn(bounds[b], bounds[b+1])
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// evenBlocks returns the bounds of consecutive blocks of size rows (the last
// one shorter) covering [0, n).
func evenBlocks(n, size int) []int {
	bounds := make([]int, 0, n/size+2)
	for lo := 0; lo < n; lo += size {
		bounds = append(bounds, lo)
	}
	return append(bounds, n)
}

// denseBlockRows is the number of rows of a tall dense matrix handled as one
// block by gramMatrix, orthonormalize and mulSmall. It is fixed, so that sums
// over blocks do not depend on the number of goroutines.
const denseBlockRows = 4096

// gramMatrix returns ZᵀZ for the m×l row-major matrix z, computed as a sum
// of per-block products (syrkRows) added in block order.
func gramMatrix(ctx context.Context, z []float64, m, l int) (*mat.SymDense, error) {
	bounds := evenBlocks(m, denseBlockRows)
	partial := make([][]float64, len(bounds)-1)
	err := parallelBlocks(ctx, evenBlocks(len(partial), 1), func(b, _ int) {
		r0, r1 := bounds[b], bounds[b+1]
		c := make([]float64, l*l)
		syrkRows(z[r0*l:r1*l], l, c)
		partial[b] = c
	})
	if err != nil {
		return nil, err
	}
	return sumUpper(partial, l), nil
}

// syrkRows adds to the upper triangle of the l×l row-major g the products
// xᵀx of the rows x of the row-major z, one row at a time, with an axpy per
// entry of the row. With g (l² float64s) resident in cache this runs about
// three times as fast as gonum's Dsyrk for these tall, thin matrices.
func syrkRows(z []float64, l int, g []float64) {
	impl := blas64.Implementation()
	for i := 0; i+l <= len(z); i += l {
		row := z[i : i+l]
		for a, x := range row {
			if x != 0 {
				impl.Daxpy(l-a, x, row[a:], 1, g[a*l+a:(a+1)*l], 1)
			}
		}
	}
}

// sumUpper adds the upper triangles of the l×l row-major matrices in order
// and returns the symmetric sum.
func sumUpper(parts [][]float64, l int) *mat.SymDense {
	sum := make([]float64, l*l)
	for _, c := range parts {
		for i := 0; i < l; i++ {
			for j := i; j < l; j++ {
				sum[i*l+j] += c[i*l+j]
			}
		}
	}
	return mat.NewSymDense(l, sum)
}

// productGram returns (A·Z)ᵀ(A·Z) = Zᵀ·AᵀA·Z in float64 for the a.cols×l
// row-major z, without storing A·Z: blocks of rows of A·Z are formed and
// reduced with syrkRows one at a time, and the block results added in
// order.
func (a *csrMatrix) productGram(ctx context.Context, z []float64, l int) (*mat.SymDense, error) {
	const rowsPerBlock = 8192
	bounds := evenBlocks(a.rows, rowsPerBlock)
	// One block of A·Z per goroutine at a time (18 MB at l = 272), reused.
	buffers := sync.Pool{New: func() any { return make([]float64, rowsPerBlock*l) }}
	partial := make([][]float64, len(bounds)-1)
	err := parallelBlocks(ctx, evenBlocks(len(partial), 1), func(b, _ int) {
		r0, r1 := bounds[b], bounds[b+1]
		block := &csrMatrix{rows: r1 - r0, cols: a.cols, indptr: a.indptr[r0 : r1+1], indices: a.indices, values: a.values}
		y := buffers.Get().([]float64)[:(r1-r0)*l]
		block.mulRows64(z, l, y)
		c := make([]float64, l*l)
		syrkRows(y, l, c)
		buffers.Put(y)
		partial[b] = c
	})
	if err != nil {
		return nil, err
	}
	return sumUpper(partial, l), nil
}

// mulSmall returns the m×r row-major product Z·T of the m×l row-major z and
// the l×r matrix t, block by block in parallel: each row of the product is a
// sum of rows of T (kept in cache), one axpy per entry of the row of Z.
func mulSmall(ctx context.Context, z []float64, m, l int, t *mat.Dense) ([]float64, error) {
	_, r := t.Dims()
	tr := mat.DenseCopyOf(t).RawMatrix().Data
	out := make([]float64, m*r)
	impl := blas64.Implementation()
	err := parallelBlocks(ctx, evenBlocks(m, denseBlockRows), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o := out[i*r : (i+1)*r]
			for j, x := range z[i*l : (i+1)*l] {
				if x != 0 {
					impl.Daxpy(r, x, tr[j*r:(j+1)*r], 1, o, 1)
				}
			}
		}
	})
	return out, err
}

// errSVDFailed reports a numerical failure of the small dense
// factorisations (it does not happen with finite input).
var errSVDFailed = errors.New("lexical: truncated svd: eigen-decomposition did not converge")

// orthonormalize returns an m×r matrix with orthonormal columns spanning the
// same space as the m×l row-major z (r < l only when z is rank deficient),
// and r. It uses Cholesky-QR on the column-scaled Gram matrix, repeated
// when that matrix's condition number exceeds 1e8 (CholeskyQR2), and falls
// back to the eigen-decomposition of the Gram matrix, dropping null
// directions, when Cholesky fails (z rank deficient).
func orthonormalize(ctx context.Context, z []float64, m, l int) ([]float64, int, error) {
	impl := blas64.Implementation()
	for pass := 0; pass < 4; pass++ {
		g, err := gramMatrix(ctx, z, m, l)
		if err != nil {
			return nil, 0, err
		}
		d := make([]float64, l)
		for j := range d {
			d[j] = math.Sqrt(g.At(j, j))
		}
		scaled := mat.NewSymDense(l, nil)
		for i := 0; i < l; i++ {
			for j := i; j < l; j++ {
				if d[i] > 0 && d[j] > 0 {
					scaled.SetSym(i, j, g.At(i, j)/(d[i]*d[j]))
				}
			}
		}
		var chol mat.Cholesky
		if slices.Min(d) > 0 && chol.Factorize(scaled) && chol.Cond() < 1e12 {
			// Z·D⁻¹·Rs⁻¹ = Z·(Rs·D)⁻¹.
			var rs mat.TriDense
			chol.UTo(&rs)
			r := make([]float64, l*l)
			for i := 0; i < l; i++ {
				for j := i; j < l; j++ {
					r[i*l+j] = rs.At(i, j) * d[j]
				}
			}
			err := parallelBlocks(ctx, evenBlocks(m, denseBlockRows), func(lo, hi int) {
				impl.Dtrsm(blas.Right, blas.Upper, blas.NoTrans, blas.NonUnit, hi-lo, l, 1, r, l, z[lo*l:hi*l], l)
			})
			if err != nil {
				return nil, 0, err
			}
			if chol.Cond() < 1e8 {
				// Loss of orthogonality is about ε·cond, below 2e-8:
				// harmless for the next iteration and for Rayleigh–Ritz.
				// (The first two iterations on TF-IDF matrices reach
				// cond ≈ 1e4-1e5; a second pass there would cost a
				// third of the orthonormalisation time for nothing.)
				return z, l, nil
			}
			continue
		}
		// Rank deficient: Gs = E·Λ·Eᵀ, keep λ > 1e-12·λmax, Z ← Z·D⁻¹·E·Λ^-½.
		var eig mat.EigenSym
		if !eig.Factorize(scaled, true) {
			return nil, 0, errSVDFailed
		}
		vals := eig.Values(nil)
		var vecs mat.Dense
		eig.VectorsTo(&vecs)
		lmax := vals[len(vals)-1]
		var keep []int
		for j := len(vals) - 1; j >= 0; j-- {
			if vals[j] > 1e-12*lmax {
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 {
			return nil, 0, nil
		}
		t := mat.NewDense(l, len(keep), nil)
		for c, j := range keep {
			s := 1 / math.Sqrt(vals[j])
			for i := 0; i < l; i++ {
				if d[i] > 0 {
					t.Set(i, c, vecs.At(i, j)*s/d[i])
				}
			}
		}
		z, err = mulSmall(ctx, z, m, l, t)
		if err != nil {
			return nil, 0, err
		}
		l = len(keep)
	}
	return z, l, nil
}

// svdOptions are the settings of randomizedSVD.
type svdOptions struct {
	k          int    // number of singular triplets wanted
	oversample int    // extra columns of the random sketch
	powerIters int    // subspace iterations with AᵀA
	seed       uint64 // seed of the Gaussian test matrix
}

// truncatedSVD is the result of randomizedSVD: A ≈ U·diag(sigma)·Vᵀ.
type truncatedSVD struct {
	sigma []float64 // singular values, descending; len(sigma) = r ≤ k
	v     []float64 // a.cols×r row-major right singular vectors
}

// randomizedSVD computes the leading right singular vectors and singular
// values of a (with at its transpose) by randomised subspace iteration on
// AᵀA followed by Rayleigh–Ritz:
//
//	Z ← Ω, a seeded Gaussian cols×l matrix, l = k + oversample
//	repeat powerIters times: Z ← orth(Aᵀ·(A·Z))      (float32 products)
//	C = (A·Z)ᵀ·(A·Z) = E·Λ·Eᵀ                        (float64)
//	V = Z·E[:, :k], σ = √Λ
//
// Working on AᵀA keeps every dense matrix that is orthonormalised
// cols×l (terms × l), never rows×l: with 98k abstracts and 45k terms that
// is where the time would go. Orthonormalising once per AᵀA step loses
// accuracy only in proportion to (σ₁/σₗ)², far below float64 precision for
// TF-IDF spectra, and the float32 products limit the subspace, not the
// Rayleigh–Ritz values, which are computed in float64 for that subspace.
// Components whose singular value is below 1e-6·σ₁ (beyond the matrix's
// numerical rank) are dropped. Signs are fixed so that the
// largest-magnitude entry of each column of V is positive (the first one
// on ties).
func randomizedSVD(ctx context.Context, a, at *csrMatrix, o svdOptions) (*truncatedSVD, error) {
	m := a.cols
	k := min(o.k, a.rows, a.cols)
	if k <= 0 {
		return &truncatedSVD{}, nil
	}
	l := min(k+o.oversample, m)
	z := make([]float64, m*l)
	iters := o.powerIters
	if l == m {
		// The sketch is the whole space: start from the identity, and
		// Rayleigh–Ritz alone is exact.
		for i := 0; i < m; i++ {
			z[i*l+i] = 1
		}
		iters = 0
	} else {
		rng := rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15))
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		if iters == 0 {
			// Rayleigh–Ritz needs orthonormal columns; otherwise the
			// first iteration orthonormalises.
			var err error
			if z, l, err = orthonormalize(ctx, z, m, l); err != nil || l == 0 {
				return &truncatedSVD{}, err
			}
		}
	}
	if iters > 0 {
		z32 := make([]float32, m*l)
		y32 := make([]float32, a.rows*l)
		for it := 0; it < iters; it++ {
			for i, v := range z[:m*l] {
				z32[i] = float32(v)
			}
			if err := a.mulDense32(ctx, z32[:m*l], l, y32[:a.rows*l]); err != nil {
				return nil, err
			}
			// Aᵀ·Y overwrites z32, no longer needed.
			if err := at.mulDense32(ctx, y32[:a.rows*l], l, z32[:m*l]); err != nil {
				return nil, err
			}
			for i, v := range z32[:m*l] {
				z[i] = float64(v)
			}
			var err error
			if z, l, err = orthonormalize(ctx, z[:m*l], m, l); err != nil || l == 0 {
				return &truncatedSVD{}, err
			}
		}
	}

	// Rayleigh–Ritz in float64.
	c, err := a.productGram(ctx, z, l)
	if err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(c, true) {
		return nil, errSVDFailed
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := math.Sqrt(max(vals[l-1], 0))
	r := 0
	for r < k && r < l {
		s := math.Sqrt(max(vals[l-1-r], 0))
		if s == 0 || s <= 1e-6*top {
			break
		}
		r++
	}
	if r == 0 {
		return &truncatedSVD{}, nil
	}
	e := mat.NewDense(l, r, nil)
	sigma := make([]float64, r)
	for c := 0; c < r; c++ {
		j := l - 1 - c
		sigma[c] = math.Sqrt(vals[j])
		for i := 0; i < l; i++ {
			e.Set(i, c, vecs.At(i, j))
		}
	}
	v, err := mulSmall(ctx, z, m, l, e)
	if err != nil {
		return nil, err
	}
	fixSigns(v, m, r)
	return &truncatedSVD{sigma: sigma, v: v}, nil
}

// fixSigns flips columns of the m×r row-major v so that in each column the
// entry of largest magnitude (the first one, on ties) is positive.
func fixSigns(v []float64, m, r int) {
	for c := 0; c < r; c++ {
		best, arg := -1.0, 0
		for i := 0; i < m; i++ {
			if a := math.Abs(v[i*r+c]); a > best {
				best, arg = a, i
			}
		}
		if v[arg*r+c] < 0 {
			for i := 0; i < m; i++ {
				v[i*r+c] = -v[i*r+c]
			}
		}
	}
}
