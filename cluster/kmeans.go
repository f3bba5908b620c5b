package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"
)

// KMeans clusters rows by Lloyd's algorithm from k-means++ seeds. The zero value
// of every field but K means the documented default.
type KMeans struct {
	// K is the number of clusters; it must be positive (or zero when Init is
	// set, which then gives K).
	K int
	// Restarts is how many seedings to run (scikit-learn's n_init); the run with
	// the lowest inertia wins, ties to the earlier run. Default 4; 1 when Init is set.
	Restarts int
	// MaxIter caps Lloyd iterations per run. Default 100.
	MaxIter int
	// Tol stops a run when the centroids moved, in total, less than Tol times the
	// mean per-feature variance of the data: Σ_j ‖c_j' − c_j‖² ≤ Tol·mean(var)
	// (scikit-learn's rule). Default 1e-4; a negative Tol disables the test, so a
	// run stops only when no label changes or at MaxIter.
	Tol float64
	// Seed drives every random choice; the same data and Seed give the same result.
	Seed uint64
	// Spherical selects cosine geometry (spherical k-means): points are compared
	// by direction only, centroids are unit vectors (the normalised mean of the
	// members' unit vectors), and inertia is Σ(1 − cos). Rows need not be
	// normalised but must not be zero.
	Spherical bool
	// Init, if not nil, gives the initial centroids (K×d) and disables seeding.
	Init *blas32.General
	// Threads caps the number of goroutines. Default runtime.GOMAXPROCS(0).
	// Results do not depend on it.
	Threads int

	// noBounds turns off Hamerly's bounds (tests and benchmarks only).
	noBounds bool
}

// Result is a clustering.
type Result struct {
	// Centroids is K×d; in cosine geometry its rows are unit vectors.
	Centroids blas32.General
	// Labels[i] is the cluster of row i, in [0, K).
	Labels []int
	// Inertia is Σ‖x_i − c‖² (Euclidean) or Σ(1 − cos(x_i, c)) (cosine) over all
	// rows, with c the centroid of the row's cluster.
	Inertia float64
	// Iterations is the number of Lloyd iterations (or mini-batch steps) run.
	Iterations int
	// Converged reports whether the run stopped before its iteration cap.
	Converged bool
}

func (km KMeans) withDefaults() KMeans {
	if km.K == 0 && km.Init != nil {
		km.K = km.Init.Rows
	}
	if km.Restarts <= 0 {
		km.Restarts = 4
	}
	if km.Init != nil {
		km.Restarts = 1
	}
	if km.MaxIter <= 0 {
		km.MaxIter = 100
	}
	if km.Tol == 0 {
		km.Tol = 1e-4
	}
	km.Threads = threadCount(km.Threads)
	return km
}

// checkShape validates K and Init against the data.
func checkShape(k int, init *blas32.General, n, d int) error {
	if k <= 0 {
		return fmt.Errorf("k = %d: %w", k, ErrBadOption)
	}
	if d == 0 {
		return fmt.Errorf("data has no columns: %w", ErrBadOption)
	}
	if n < k {
		return fmt.Errorf("%d rows for %d clusters: %w", n, k, ErrTooFewPoints)
	}
	if init != nil {
		checkGeneral(*init)
		if init.Rows != k || init.Cols != d {
			return fmt.Errorf("init is %d×%d, want %d×%d: %w", init.Rows, init.Cols, k, d, ErrBadOption)
		}
	}
	return nil
}

// initCenters copies explicit initial centroids, normalising them in cosine
// geometry.
func initCenters(init blas32.General, spherical bool) (*centers, error) {
	cs := newCenters(init.Rows, init.Cols)
	for j := 0; j < init.Rows; j++ {
		dst := cs.row(j)
		copy(dst, row(init, j))
		s := dotF64(dst, dst)
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("init row %d: %w", j, ErrNotFinite)
		}
		if spherical {
			if s == 0 {
				return nil, fmt.Errorf("init row %d: %w", j, ErrZeroVector)
			}
			f := 1 / math.Sqrt(s)
			for t, v := range dst {
				dst[t] = float32(float64(v) * f)
			}
		}
	}
	cs.refresh()
	return cs, nil
}

// Fit clusters the rows of x. It returns ErrBadOption for a bad K or Init,
// ErrTooFewPoints when x has fewer rows than K, ErrNotFinite for NaN or infinite
// data, and ErrZeroVector for a zero row in cosine geometry.
func (km KMeans) Fit(x blas32.General) (*Result, error) {
	checkGeneral(x)
	km = km.withDefaults()
	if err := checkShape(km.K, km.Init, x.Rows, x.Cols); err != nil {
		return nil, err
	}
	p, err := newPoints(x, km.Spherical, km.Threads)
	if err != nil {
		return nil, err
	}
	var start *centers
	if km.Init != nil {
		if start, err = initCenters(*km.Init, km.Spherical); err != nil {
			return nil, err
		}
	}
	e := newLloyd(p, km.K, km.Threads, !km.noBounds)
	e.maxIter = km.MaxIter
	e.tol = -1
	if km.Tol > 0 {
		e.tol = km.Tol * meanVariance(p, km.Threads)
	}
	var seeds []*centers
	if start == nil {
		rngs := make([]*rand.Rand, km.Restarts)
		for r := range rngs {
			rngs[r] = newRand(km.Seed, uint64(r))
		}
		seeds = seedPlusPlus(p, km.K, rngs, km.Threads, e.scr)
	}
	var best *Result
	for r := 0; r < km.Restarts; r++ {
		init := start
		if init == nil {
			init = seeds[r]
		}
		res := e.run(init)
		if best == nil || res.Inertia < best.Inertia {
			best = res
		}
	}
	return best, nil
}

// meanVariance is the mean over features of the variance of the rows (of the
// unit rows in cosine geometry), the scale of KMeans.Tol.
func meanVariance(p *points, threads int) float64 {
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
	sq := 0.0
	for i := 0; i < p.n; i++ {
		sq += p.base(i)
	}
	n := float64(p.n)
	m2 := 0.0
	for _, v := range mean {
		m2 += (v / n) * (v / n)
	}
	return max(sq/n-m2, 0) / float64(d)
}
