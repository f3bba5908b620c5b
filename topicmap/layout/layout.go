package layout

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
)

// Options tunes UMAP. The zero value is the documented default of each field.
type Options struct {
	// Neighbors is the size of each paper's neighbourhood in the graph;
	// 0 means 10.
	Neighbors int
	// PCADims is the dimension the vectors are reduced to before the
	// neighbour search; 0 means 50 (or the vectors' own dimension when
	// smaller), a negative value searches the vectors as given.
	PCADims int
	// Epochs is the number of passes of the optimisation; 0 means 500 up
	// to 10,000 papers and 200 above.
	Epochs int
	// NegativeRate is the number of random papers pushed away per edge
	// sample; 0 means 10 (umap-learn's default is 5: 10 raised
	// trustworthiness@10 by 0.01 on arXiv 2,000 and ACM 20,000 and venue
	// agreement on ACM, for twice the optimisation time; bench/RESULTS.md).
	NegativeRate int
	// Seed seeds the PCA, the neighbour index and the optimisation.
	Seed uint64
	// Threads caps the goroutines of the PCA and neighbour search; 0 means
	// runtime.GOMAXPROCS(0). The result does not depend on it.
	Threads int
}

func (o Options) withDefaults(n int) Options {
	if o.Neighbors <= 0 {
		o.Neighbors = 10
	}
	if o.PCADims == 0 {
		o.PCADims = 50
	}
	if o.Epochs <= 0 {
		o.Epochs = 200
		if n <= 10000 {
			o.Epochs = 500
		}
	}
	if o.NegativeRate <= 0 {
		o.NegativeRate = 10
	}
	return o
}

// ErrNotFinite is wrapped by the errors for input with NaN or infinite values.
var ErrNotFinite = errors.New("layout: not finite")

// curve parameters of umap-learn's find_ab_params for min_dist = 0,
// spread = 1 (the setting BERTopic uses for its maps): tighter clusters than
// the default min_dist 0.1, which raised trustworthiness@10 on arXiv 2,000
// from 0.895 to 0.909 (bench/RESULTS.md).
const (
	curveA = 1.929
	curveB = 0.7915
	// initScale is the half-width of the starting positions (umap-learn's
	// spectral initialisation is scaled to ±10 too).
	initScale = 10
)

// UMAP lays out the rows of x (one paper per row; any scale, as cosine
// similarity is used) and returns 2·x.Rows coordinates: row i at
// (out[2i], out[2i+1]). With fewer than three rows there is nothing to
// optimise (nor with fewer than two columns) and it returns PCA2's answer.
func UMAP(x blas32.General, opts Options) ([]float32, error) {
	n := x.Rows
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	if n < 3 || x.Cols < 2 {
		return PCA2(x, opts.Seed)
	}
	opts = opts.withDefaults(n)
	k := min(opts.Neighbors, n-1)

	// 1. PCA: the reduced vectors feed the neighbour search and their first
	// two columns the starting positions.
	dims := opts.PCADims
	if dims < 0 || dims > x.Cols {
		dims = x.Cols
	}
	dims = max(2, min(dims, n-1))
	pca, err := cluster.FitPCA(x, dims, cluster.PCAOptions{Seed: opts.Seed, Threads: opts.Threads})
	if err != nil {
		return nil, fmt.Errorf("layout: reduce the vectors: %w", err)
	}
	red := pca.Transform(x)
	search := red
	if opts.PCADims < 0 {
		search = copyGeneral(x)
	}
	unit := normalizeRows(search)

	// 2. Neighbours.
	nbrs, err := cluster.KNN{K: k, Seed: opts.Seed, Threads: opts.Threads}.Search(unit)
	if err != nil {
		return nil, fmt.Errorf("layout: neighbours: %w", err)
	}

	// 3. Fuzzy simplicial set.
	g := fuzzyGraph(unit, nbrs, k)

	// 4. Start from PCA and optimise.
	xy := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		xy[2*i] = red.Data[i*red.Stride]
		xy[2*i+1] = red.Data[i*red.Stride+1]
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x756d6170)) // "umap"
	scaleInit(xy, rng)
	optimize(xy, g, opts.Epochs, opts.NegativeRate, rng)
	return xy, nil
}

// PCA2 returns the rows of x projected on their first two principal
// components (2·x.Rows coordinates); fewer than three rows sit at 0.
func PCA2(x blas32.General, seed uint64) ([]float32, error) {
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	out := make([]float32, 2*x.Rows)
	if x.Rows < 3 || x.Cols < 2 {
		return out, nil
	}
	pca, err := cluster.FitPCA(x, 2, cluster.PCAOptions{Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("layout: pca: %w", err)
	}
	copy(out, pca.Transform(x).Data)
	return out, nil
}

func checkFinite(x blas32.General) error {
	for i := 0; i < x.Rows; i++ {
		for _, v := range x.Data[i*x.Stride : i*x.Stride+x.Cols] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%w: row %d", ErrNotFinite, i)
			}
		}
	}
	return nil
}

func copyGeneral(x blas32.General) blas32.General {
	out := blas32.General{Rows: x.Rows, Cols: x.Cols, Stride: x.Cols, Data: make([]float32, x.Rows*x.Cols)}
	for i := 0; i < x.Rows; i++ {
		copy(out.Data[i*x.Cols:(i+1)*x.Cols], x.Data[i*x.Stride:i*x.Stride+x.Cols])
	}
	return out
}

// normalizeRows returns a copy of x with unit rows (zero rows stay zero).
func normalizeRows(x blas32.General) blas32.General {
	out := copyGeneral(x)
	d := out.Cols
	for i := 0; i < out.Rows; i++ {
		r := out.Data[i*d : (i+1)*d]
		var s float64
		for _, v := range r {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range r {
			r[j] *= inv
		}
	}
	return out
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// graph is the symmetric fuzzy neighbour graph as directed edges (both
// directions of each pair), each with its membership strength.
type graph struct {
	head, tail []int32
	weight     []float32
}

// fuzzyGraph builds the fuzzy simplicial set of the kNN graph (umap-learn's
// smooth_knn_dist with local_connectivity 1, then the fuzzy union).
func fuzzyGraph(unit blas32.General, nbrs []int32, k int) graph {
	n, d := unit.Rows, unit.Cols
	w := make([]float32, n*k)
	dist := make([]float64, k)
	target := math.Log2(float64(k))
	var meanAll float64
	for i := 0; i < n; i++ {
		ri := unit.Data[i*d : (i+1)*d]
		rho := math.Inf(1)
		var mean float64
		for s := 0; s < k; s++ {
			j := nbrs[i*k+s]
			if j < 0 {
				dist[s] = math.Inf(1)
				continue
			}
			dd := math.Max(0, 1-float64(dot(ri, unit.Data[int(j)*d:(int(j)+1)*d])))
			dist[s] = dd
			mean += dd
			if dd > 0 && dd < rho {
				rho = dd
			}
		}
		mean /= float64(k)
		meanAll += mean
		if math.IsInf(rho, 1) {
			rho = 0
		}
		// Bisection for sigma (64 steps as umap-learn).
		lo, hi, sigma := 0.0, math.Inf(1), 1.0
		for it := 0; it < 64; it++ {
			var psum float64
			for s := 0; s < k; s++ {
				if math.IsInf(dist[s], 1) {
					continue
				}
				if v := dist[s] - rho; v > 0 {
					psum += math.Exp(-v / sigma)
				} else {
					psum++
				}
			}
			if math.Abs(psum-target) < 1e-5 {
				break
			}
			if psum > target {
				hi = sigma
				sigma = (lo + hi) / 2
			} else {
				lo = sigma
				if math.IsInf(hi, 1) {
					sigma *= 2
				} else {
					sigma = (lo + hi) / 2
				}
			}
		}
		if rho > 0 {
			sigma = math.Max(sigma, 1e-3*mean)
		} else {
			sigma = math.Max(sigma, 1e-3*meanAll/float64(i+1))
		}
		for s := 0; s < k; s++ {
			if math.IsInf(dist[s], 1) {
				continue
			}
			v := dist[s] - rho
			if v <= 0 {
				w[i*k+s] = 1
			} else {
				w[i*k+s] = float32(math.Exp(-v / sigma))
			}
		}
	}
	// weightOf(i, j) is i's membership for j (0 if j is not among i's
	// neighbours).
	weightOf := func(i, j int32) float32 {
		for s := 0; s < k; s++ {
			if nbrs[int(i)*k+s] == j {
				return w[int(i)*k+s]
			}
		}
		return 0
	}
	var g graph
	for i := int32(0); int(i) < n; i++ {
		for s := 0; s < k; s++ {
			j := nbrs[int(i)*k+s]
			if j < 0 {
				continue
			}
			a := w[int(i)*k+s]
			b := weightOf(j, i)
			if b > 0 && j < i {
				continue // the pair was emitted from j's side
			}
			u := a + b - a*b
			if u <= 0 {
				continue
			}
			g.head = append(g.head, i, j)
			g.tail = append(g.tail, j, i)
			g.weight = append(g.weight, u, u)
		}
	}
	return g
}

// scaleInit centres the starting positions, scales them to ±initScale and
// adds a little noise (umap-learn adds noise of 10⁻⁴ of the scale too), so
// that papers with identical vectors do not start at the same point.
func scaleInit(xy []float32, rng *rand.Rand) {
	n := len(xy) / 2
	for c := 0; c < 2; c++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += float64(xy[2*i+c])
		}
		mean /= float64(n)
		var m float64
		for i := 0; i < n; i++ {
			m = math.Max(m, math.Abs(float64(xy[2*i+c])-mean))
		}
		s := 1.0
		if m > 0 {
			s = initScale / m
		}
		for i := 0; i < n; i++ {
			xy[2*i+c] = float32((float64(xy[2*i+c])-mean)*s + rng.NormFloat64()*1e-4*initScale)
		}
	}
}

func clip(v float32) float32 {
	return max(-4, min(4, v))
}

// optimize runs umap-learn's optimize_layout_euclidean on xy: edge sampling
// in proportion to weight, negative sampling, linear learning-rate decay.
func optimize(xy []float32, g graph, epochs, negRate int, rng *rand.Rand) {
	n := len(xy) / 2
	var maxW float32
	for _, w := range g.weight {
		maxW = max(maxW, w)
	}
	if maxW == 0 {
		return
	}
	// Edges too weak to be sampled even once are dropped.
	var head, tail []int32
	var eps []float32
	for e, w := range g.weight {
		if w < maxW/float32(epochs) {
			continue
		}
		head = append(head, g.head[e])
		tail = append(tail, g.tail[e])
		eps = append(eps, maxW/w)
	}
	next := slices.Clone(eps)
	negEps := make([]float32, len(eps))
	nextNeg := make([]float32, len(eps))
	for e := range eps {
		negEps[e] = eps[e] / float32(negRate)
		nextNeg[e] = negEps[e]
	}
	const a, b = curveA, curveB
	for ep := 0; ep < epochs; ep++ {
		alpha := float32(1 - float64(ep)/float64(epochs))
		fe := float32(ep)
		for e := range eps {
			if next[e] > fe {
				continue
			}
			j, k := int(head[e]), int(tail[e])
			cx, cy := xy[2*j], xy[2*j+1]
			dx, dy := cx-xy[2*k], cy-xy[2*k+1]
			d2 := float64(dx*dx + dy*dy)
			if d2 > 0 {
				pb := pow(d2, b)
				coef := float32(-2 * a * b * pb / d2 / (a*pb + 1))
				gx, gy := clip(coef*dx)*alpha, clip(coef*dy)*alpha
				xy[2*j] += gx
				xy[2*j+1] += gy
				xy[2*k] -= gx
				xy[2*k+1] -= gy
			}
			next[e] += eps[e]
			nneg := int((fe - nextNeg[e]) / negEps[e])
			cx, cy = xy[2*j], xy[2*j+1]
			for p := 0; p < nneg; p++ {
				o := rng.IntN(n)
				if o == j {
					continue
				}
				dx, dy := cx-xy[2*o], cy-xy[2*o+1]
				d2 := float64(dx*dx + dy*dy)
				var gx, gy float32
				if d2 > 0 {
					coef := float32(2 * b / ((0.001 + d2) * (a*pow(d2, b) + 1)))
					gx, gy = clip(coef*dx), clip(coef*dy)
				} else {
					gx, gy = 4, 4
				}
				cx += gx * alpha
				cy += gy * alpha
			}
			xy[2*j], xy[2*j+1] = cx, cy
			nextNeg[e] += float32(nneg) * negEps[e]
		}
	}
}

// pow returns x^y for x > 0 to about 10⁻⁵ relative error, several times
// faster than math.Pow (the optimisation calls it once per sample, and it
// dominated the run time): 2^(y·log₂x) with log₂ of the mantissa by the
// atanh series and 2^f by its Taylor series.
func pow(x, y float64) float64 {
	bits := math.Float64bits(x)
	e := int((bits>>52)&0x7ff) - 1023
	if e == -1023 || e == 1024 { // subnormal, Inf or NaN: leave to the library
		return math.Pow(x, y)
	}
	m := math.Float64frombits(bits&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	t := (m - 1) / (m + 1)
	t2 := t * t
	l := float64(e) + 2/math.Ln2*t*(1+t2*(1.0/3+t2*(1.0/5+t2*(1.0/7+t2/9))))
	z := y * l
	if z < -1000 || z > 1000 {
		return math.Exp2(z)
	}
	i := math.Floor(z)
	f := (z - i) * math.Ln2
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720+f/5040))))))
	return math.Ldexp(p, int(i))
}
