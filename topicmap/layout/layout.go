package layout

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/internal/parallel"
)

// Options tunes UMAP. The zero value is the documented default of each field.
type Options struct {
	// Neighbors is the size of each paper's neighbourhood in the graph;
	// 0 means 20 up to 10,000 papers and 10 above (20 raised arXiv 2,000's
	// trustworthiness@10 by 0.003 and its archive agreement by 0.006 over
	// 10, with PCADims 100, for 1.3× the time; bench/RESULTS.md).
	Neighbors int
	// PCADims is the dimension the vectors are reduced to before the
	// neighbour search; 0 means 100 up to 100,000 papers and 50 above (or
	// the vectors' own dimension when smaller), a negative value searches
	// the vectors as given. 100 instead of 50 raised trustworthiness@10 by
	// 0.01 on arXiv 2,000 and ACM 20,000 (the neighbours are nearer the
	// stored vectors' own), for a label agreement 0.003-0.005 lower;
	// bench/RESULTS.md.
	PCADims int
	// Epochs is the number of passes of the optimisation; 0 means 500 up
	// to 20,000 papers and 200 above.
	Epochs int
	// NegativeRate is the number of random papers pushed away per edge
	// sample; 0 means 20 up to 20,000 papers and 10 above (umap-learn's
	// default is 5: each step up raised trustworthiness@10 on arXiv 2,000
	// and ACM 20,000 for proportionally more time; 500 epochs and 20
	// negatives at ACM 20,000 took 4× the time of 200 and 10 and raised it
	// from 0.955 to 0.968 with PCADims 100; bench/RESULTS.md).
	NegativeRate int
	// Seed seeds the PCA, the neighbour index and the optimisation.
	Seed uint64
	// Threads caps the goroutines; 0 means runtime.GOMAXPROCS(0). The
	// result does not depend on it.
	Threads int
	// SampleRows is the largest number of papers laid out directly; 0 means
	// 100,000, a negative value lays out every paper directly. Above it, a
	// seeded sample of SampleRows papers is laid out first (with the
	// epochs of its size), every other paper starts at the weighted mean of
	// its already placed neighbours in the graph, and RefineEpochs passes
	// over the whole graph follow.
	SampleRows int
	// RefineEpochs is the number of passes over the whole graph after a
	// sample's layout; 0 means 60.
	RefineEpochs int
	// RefineRate is the learning rate the refining passes start from
	// (falling linearly to 0); 0 means 0.25.
	RefineRate float32
	// NoiseWeight, when positive, replaces umap-learn's fuzzy
	// cross-entropy by the negative-sampling loss of Neg-t-SNE with noise
	// weight ν (see the package documentation): an edge sample pulls its
	// ends together to raise φ/(φ+ν), each negative sample pushes its head
	// away to lower it, with φ the curve 1/(1 + a·d^(2b)); smaller values
	// repel more, moving the layout from UMAP towards t-SNE. 0 (or a
	// negative value) means umap-learn's loss. ν = 0.1 raised the label
	// agreement of arXiv 2,000 and ACM 20,000 by 0.003 (2-3 seeds) and
	// lowered ACM 20,000's trustworthiness@10 by 0.004-0.005 (below
	// t-SNE's), so it is not the default
	// (bench/RESULTS.md, "Map layout V").
	NoiseWeight float64
}

func (o Options) withDefaults(n int) Options {
	if o.Neighbors <= 0 {
		o.Neighbors = 10
		if n <= 10000 {
			o.Neighbors = 20
		}
	}
	if o.PCADims == 0 {
		o.PCADims = 50
		if n <= 100000 {
			o.PCADims = 100
		}
	}
	if o.NegativeRate <= 0 {
		o.NegativeRate = 10
		if n <= 20000 {
			o.NegativeRate = 20
		}
	}
	if o.SampleRows == 0 {
		o.SampleRows = 100000
	} else if o.SampleRows < 0 {
		o.SampleRows = n
	}
	o.SampleRows = max(o.SampleRows, 3)
	if o.RefineEpochs <= 0 {
		o.RefineEpochs = 60
	}
	if o.RefineRate <= 0 {
		o.RefineRate = 0.25
	}
	return o
}

// epochs returns the number of epochs of a direct layout of n papers.
func (o Options) epochs(n int) int {
	switch {
	case o.Epochs > 0:
		return o.Epochs
	case n <= 20000:
		return 500
	}
	return 200
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
	red, unit, err := reduce(x, opts.PCADims, opts.Seed, opts.Threads)
	if err != nil {
		return nil, err
	}

	// 2. Neighbours.
	nbrs, err := cluster.KNN{K: k, Seed: opts.Seed, Threads: opts.Threads}.Search(unit)
	if err != nil {
		return nil, fmt.Errorf("layout: neighbours: %w", err)
	}

	// 3. Fuzzy simplicial set.
	g := fuzzyGraph(unit, nbrs, k)
	nbrs = nil

	// 4. Start from PCA and optimise; above SampleRows papers, start from a
	// laid-out sample instead and refine.
	threads := threadCount(opts.Threads)
	if n > opts.SampleRows {
		xy, err := sampleStart(red, unit, g, opts, k)
		if err != nil {
			return nil, err
		}
		optimize(xy, g, opts.RefineEpochs, opts.NegativeRate, lossOf(opts), opts.RefineRate, opts.Seed^streamRefine, threads)
		return xy, nil
	}
	xy := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		xy[2*i] = red.Data[i*red.Stride]
		xy[2*i+1] = red.Data[i*red.Stride+1]
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x756d6170)) // "umap"
	scaleInit(xy, rng)
	optimize(xy, g, opts.epochs(n), opts.NegativeRate, lossOf(opts), 1, opts.Seed, threads)
	return xy, nil
}

// Random streams of the stages after the sample's layout.
const (
	streamSample = 0x73616d706c65 // "sample"
	streamRefine = 0x726566696e65 // "refine"
)

// sampleStart lays out a seeded sample of opts.SampleRows rows of unit (its
// own neighbour graph, started from red's first two columns) and places
// every other row at the weighted mean of its placed neighbours in g, in
// rounds (a row whose neighbours are all unplaced waits for the next round).
// Rows that no path of g links to the sample are placed by Place against
// the sample. It returns the starting positions of all rows.
func sampleStart(red, unit blas32.General, g graph, opts Options, k int) ([]float32, error) {
	n, m := unit.Rows, opts.SampleRows
	rng := rand.New(rand.NewPCG(opts.Seed, streamSample))
	pick := rng.Perm(n)[:m]
	slices.Sort(pick)
	su := gatherRows(unit, pick)
	nbrs, err := cluster.KNN{K: k, Seed: opts.Seed, Threads: opts.Threads}.Search(su)
	if err != nil {
		return nil, fmt.Errorf("layout: neighbours of the sample: %w", err)
	}
	sg := fuzzyGraph(su, nbrs, k)
	nbrs = nil
	sxy := make([]float32, 2*m)
	for t, i := range pick {
		sxy[2*t] = red.Data[i*red.Stride]
		sxy[2*t+1] = red.Data[i*red.Stride+1]
	}
	scaleInit(sxy, rand.New(rand.NewPCG(opts.Seed, 0x756d6170)))
	optimize(sxy, sg, opts.epochs(m), opts.NegativeRate, lossOf(opts), 1, opts.Seed, threadCount(opts.Threads))

	xy := make([]float32, 2*n)
	placed := make([]bool, n)
	for t, i := range pick {
		xy[2*i], xy[2*i+1] = sxy[2*t], sxy[2*t+1]
		placed[i] = true
	}
	// Edges by head.
	start := make([]int, n+1)
	for _, h := range g.head {
		start[h+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	edge := make([]int32, len(g.head))
	fill := slices.Clone(start[:n])
	for e, h := range g.head {
		edge[fill[h]] = int32(e)
		fill[h]++
	}
	fill = nil
	var todo, now []int
	for i := 0; i < n; i++ {
		if !placed[i] {
			todo = append(todo, i)
		}
	}
	next := make([]float32, 2*n)
	for len(todo) > 0 {
		now, todo = todo, now[:0]
		var done []int
		for _, i := range now {
			var sx, sy, sw float64
			for _, e := range edge[start[i]:start[i+1]] {
				if j := g.tail[e]; placed[j] {
					w := float64(g.weight[e])
					sx += w * float64(xy[2*j])
					sy += w * float64(xy[2*j+1])
					sw += w
				}
			}
			if sw == 0 {
				todo = append(todo, i)
				continue
			}
			next[2*i], next[2*i+1] = float32(sx/sw), float32(sy/sw)
			done = append(done, i)
		}
		if len(done) == 0 {
			break
		}
		for _, i := range done {
			xy[2*i], xy[2*i+1] = next[2*i], next[2*i+1]
			placed[i] = true
		}
	}
	if len(todo) > 0 {
		// Not linked to the sample at all (small islands of the graph).
		p, err := Place(gatherRows(unit, pick), sxy, gatherRows(unit, todo), PlaceOptions{})
		if err != nil {
			return nil, fmt.Errorf("layout: place the papers apart from the sample: %w", err)
		}
		for t, i := range todo {
			xy[2*i], xy[2*i+1] = p[2*t], p[2*t+1]
		}
	}
	// Papers placed at the same mean are told apart, as in scaleInit.
	for i := range xy {
		xy[i] += float32(rng.NormFloat64() * 1e-4 * initScale)
	}
	return xy, nil
}

// reduce returns x reduced to pcaDims principal components (0 < pcaDims;
// at most the columns and rows−1, at least 2; a negative value: all columns)
// and the unit rows the neighbours are searched in: the reduced rows, or
// x's own when pcaDims < 0.
func reduce(x blas32.General, pcaDims int, seed uint64, threads int) (red, unit blas32.General, err error) {
	dims := pcaDims
	if dims < 0 || dims > x.Cols {
		dims = x.Cols
	}
	dims = max(2, min(dims, x.Rows-1))
	pca, err := cluster.FitPCA(x, dims, cluster.PCAOptions{Seed: seed, Threads: threads})
	if err != nil {
		return red, unit, fmt.Errorf("layout: reduce the vectors: %w", err)
	}
	red = pca.Transform(x)
	search := red
	if pcaDims < 0 {
		search = copyGeneral(x)
	}
	return red, normalizeRows(search), nil
}

func gatherRows(x blas32.General, rows []int) blas32.General {
	out := blas32.General{Rows: len(rows), Cols: x.Cols, Stride: x.Cols, Data: make([]float32, len(rows)*x.Cols)}
	for t, i := range rows {
		copy(out.Data[t*x.Cols:(t+1)*x.Cols], x.Data[i*x.Stride:i*x.Stride+x.Cols])
	}
	return out
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

// chunkNodes is the number of consecutive papers whose edges one task of an
// epoch optimises. Tasks, not goroutines, own the random streams, so the
// layout does not depend on the number of threads.
const chunkNodes = 1024

// optimize runs umap-learn's optimize_layout_euclidean on xy: edge sampling
// in proportion to weight, negative sampling, linear learning-rate decay from
// alpha0 to 0. Unlike umap-learn (which moves both ends of an edge, on one
// thread or racing on several), each epoch is split into tasks of chunkNodes
// papers that run in parallel and move only their own papers: the other end
// of an edge and the negative samples are read as they were at the start of
// the epoch, and, since the graph holds each edge in both directions, each
// end is pulled twice as hard when its own side is sampled. The result is
// the same for every thread count.
func optimize(xy []float32, g graph, epochs, negRate int, l loss, alpha0 float32, seed uint64, threads int) {
	n := len(xy) / 2
	var maxW float32
	for _, w := range g.weight {
		maxW = max(maxW, w)
	}
	if maxW == 0 || epochs <= 0 {
		return
	}
	// Edges too weak to be sampled even once are dropped; the rest are
	// ordered by head (counting sort) so that a task's edges are contiguous.
	start := make([]int, n+2)
	for e, w := range g.weight {
		if w >= maxW/float32(epochs) {
			start[int(g.head[e])+2]++
		}
	}
	for i := 2; i < len(start); i++ {
		start[i] += start[i-1]
	}
	m := start[n+1]
	tail := make([]int32, m)
	eps := make([]float32, m)
	for e, w := range g.weight {
		if w < maxW/float32(epochs) {
			continue
		}
		p := start[int(g.head[e])+1]
		start[int(g.head[e])+1]++
		tail[p] = g.tail[e]
		eps[p] = maxW / w
	}
	start = start[:n+1] // start[i]..start[i+1] are i's edges
	next := slices.Clone(eps)
	negEps := make([]float32, m)
	nextNeg := make([]float32, m)
	for e := range eps {
		negEps[e] = eps[e] / float32(negRate)
		nextNeg[e] = negEps[e]
	}
	prev := make([]float32, len(xy))
	tasks := (n + chunkNodes - 1) / chunkNodes
	threads = max(1, min(threads, tasks))
	for ep := 0; ep < epochs; ep++ {
		copy(prev, xy)
		alpha := alpha0 * float32(1-float64(ep)/float64(epochs))
		fe := float32(ep)
		task := func(c int) {
			rng := rand.New(rand.NewPCG(seed, uint64(ep)<<32|uint64(c)))
			for j := c * chunkNodes; j < min(n, (c+1)*chunkNodes); j++ {
				cx, cy := xy[2*j], xy[2*j+1]
				for e := start[j]; e < start[j+1]; e++ {
					if next[e] > fe {
						continue
					}
					k := int(tail[e])
					dx, dy := cx-prev[2*k], cy-prev[2*k+1]
					d2 := float64(dx*dx + dy*dy)
					if d2 > 0 {
						coef := float32(l.attract(d2))
						cx += 2 * clip(coef*dx) * alpha
						cy += 2 * clip(coef*dy) * alpha
					}
					next[e] += eps[e]
					nneg := int((fe - nextNeg[e]) / negEps[e])
					for p := 0; p < nneg; p++ {
						o := rng.IntN(n)
						if o == j {
							continue
						}
						dx, dy := cx-prev[2*o], cy-prev[2*o+1]
						d2 := float64(dx*dx + dy*dy)
						var gx, gy float32
						if d2 > 0 {
							coef := float32(l.repel(d2))
							gx, gy = clip(coef*dx), clip(coef*dy)
						} else {
							gx, gy = 4, 4
						}
						cx += gx * alpha
						cy += gy * alpha
					}
					nextNeg[e] += float32(nneg) * negEps[e]
				}
				xy[2*j], xy[2*j+1] = cx, cy
			}
		}
		parallel.For(threads, tasks, func(_, c int) { task(c) })
	}
}

// loss is the objective optimize descends: umap-learn's fuzzy cross-entropy
// (nu ≤ 0) or negative sampling with the noise weight nu (Neg-t-SNE).
type loss struct{ nu float64 }

func lossOf(o Options) loss { return loss{nu: o.NoiseWeight} }

// attract returns the coefficient c of the step c·(yᵢ − yⱼ) (before the
// learning rate and clipping) that an edge sample at squared distance d2 > 0
// gives its head: the negative gradient of −log φ (UMAP) or of
// −log(φ/(φ+ν)) (Neg-t-SNE), with φ = 1/(1 + a·d^(2b)).
func (l loss) attract(d2 float64) float64 {
	pb := pow(d2, curveB)
	if l.nu <= 0 {
		return -2 * curveA * curveB * pb / d2 / (curveA*pb + 1)
	}
	phi := 1 / (1 + curveA*pb)
	g := 2 * curveA * curveB * pb / d2 // ∇φ = −φ²·g·(yᵢ − yⱼ)
	return -l.nu * phi * g / (phi + l.nu)
}

// repel returns the coefficient of the step a negative sample at squared
// distance d2 > 0 gives the head: the negative gradient of −log(1 − φ)
// (UMAP, with umap-learn's 0.001 guard) or of −log(ν/(φ+ν)) (Neg-t-SNE).
func (l loss) repel(d2 float64) float64 {
	pb := pow(d2, curveB)
	if l.nu <= 0 {
		return 2 * curveB / ((0.001 + d2) * (curveA*pb + 1))
	}
	phi := 1 / (1 + curveA*pb)
	g := 2 * curveA * curveB * pb / d2
	return phi * phi * g / (phi + l.nu)
}

// pow returns x^y for x > 0 to about 10⁻⁶ relative error, several times
// faster than math.Pow (the optimisation calls it once per sample, and it
// dominated the run time): 2^(y·log₂x) with log₂ of the mantissa (reduced to
// [√½, √2)) by the atanh series and 2^f by its Taylor series, the power of
// two put in the exponent bits directly.
func pow(x, y float64) float64 {
	bits := math.Float64bits(x)
	e := int((bits>>52)&0x7ff) - 1023
	if e == -1023 || e == 1024 { // subnormal, Inf or NaN: leave to the library
		return math.Pow(x, y)
	}
	m := math.Float64frombits(bits&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	if m > math.Sqrt2 {
		m /= 2
		e++
	}
	t := (m - 1) / (m + 1) // |t| ≤ 0.172
	t2 := t * t
	l := float64(e) + 2/math.Ln2*t*(1+t2*(1.0/3+t2*(1.0/5+t2*(1.0/7))))
	z := y * l
	if z < -1000 || z > 1000 {
		return math.Exp2(z)
	}
	i := math.Floor(z)
	f := (z - i) * math.Ln2
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720+f/5040))))))
	return p * math.Float64frombits(uint64(int64(i)+1023)<<52)
}

func threadCount(threads int) int { return parallel.Threads(threads) }
