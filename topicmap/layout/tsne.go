package layout

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/internal/parallel"
)

// TSNEOptions tunes TSNE. The zero value is the documented default of each
// field: scikit-learn's (sklearn.manifold.TSNE 1.2 with init="pca",
// learning_rate="auto", metric="cosine", after PCA to 50 dimensions).
type TSNEOptions struct {
	// Perplexity is the effective number of neighbours of each paper's
	// affinities; 0 means 30. It is lowered to (rows−1)/3 for small inputs.
	Perplexity float64
	// PCADims is the dimension the vectors are reduced to first; 0 means
	// 50 (or the vectors' own dimension when smaller), a negative value
	// uses the vectors as given.
	PCADims int
	// Iterations is the number of gradient steps, the first 250 (or a
	// quarter, when fewer than 1,000) with early exaggeration; 0 means 1,000.
	Iterations int
	// Theta is the Barnes-Hut accuracy: a cell of width w at distance d
	// stands for its papers when w/d < Theta; 0 (or a negative value)
	// means 0.5.
	Theta float64
	// Seed seeds the PCA and the neighbour index.
	Seed uint64
	// Threads caps the goroutines; 0 means runtime.GOMAXPROCS(0). The
	// result does not depend on it.
	Threads int
}

// scikit-learn's constants of the optimisation (sklearn/manifold/_t_sne.py).
const (
	tsneExaggeration  = 12
	tsneExploreIters  = 250
	tsneMomentumEarly = 0.5
	tsneMomentumLate  = 0.8
	tsneMinGain       = 0.01
	tsneInitStd       = 1e-4
)

// ErrTooFewRows is wrapped by the errors for inputs too small to lay out.
var ErrTooFewRows = errors.New("layout: too few rows")

func (o TSNEOptions) withDefaults(n int) TSNEOptions {
	if o.Perplexity <= 0 {
		o.Perplexity = 30
	}
	o.Perplexity = min(o.Perplexity, float64(n-1)/3)
	if o.PCADims == 0 {
		o.PCADims = 50
	}
	if o.Iterations <= 0 {
		o.Iterations = 1000
	}
	if o.Theta <= 0 {
		o.Theta = 0.5
	}
	return o
}

// TSNE lays out the rows of x (one paper per row; any scale, as cosine
// distance is used) by Barnes-Hut t-SNE and returns 2·x.Rows coordinates:
// row i at (out[2i], out[2i+1]). It needs at least three rows and two
// columns of finite values. See the package documentation for the method.
func TSNE(x blas32.General, opts TSNEOptions) ([]float32, error) {
	n := x.Rows
	if err := checkFinite(x); err != nil {
		return nil, err
	}
	if n < 3 || x.Cols < 2 {
		return nil, fmt.Errorf("%w: t-SNE needs 3 rows of 2 columns, got %d of %d", ErrTooFewRows, n, x.Cols)
	}
	opts = opts.withDefaults(n)
	threads := threadCount(opts.Threads)

	// 1. PCA (the reduced vectors feed the neighbour search, their first two
	// columns the start).
	red, unit, err := reduce(x, opts.PCADims, opts.Seed, opts.Threads)
	if err != nil {
		return nil, err
	}

	// 2. Neighbours: 3·perplexity of them, as scikit-learn.
	k := min(n-1, int(3*opts.Perplexity+1))
	nbrs, err := cluster.KNN{K: k, Seed: opts.Seed, Threads: opts.Threads}.Search(unit)
	if err != nil {
		return nil, fmt.Errorf("layout: neighbours: %w", err)
	}

	// 3. Affinities.
	p := tsneAffinities(unit, nbrs, k, opts.Perplexity, threads)
	nbrs = nil

	// 4. Start from PCA scaled to standard deviation 1e-4 on the first axis.
	y := make([]float64, 2*n)
	var mean, ss float64
	for i := 0; i < n; i++ {
		mean += float64(red.Data[i*red.Stride])
	}
	mean /= float64(n)
	for i := 0; i < n; i++ {
		d := float64(red.Data[i*red.Stride]) - mean
		ss += d * d
	}
	std := math.Sqrt(ss / float64(n))
	if std == 0 {
		std = 1
	}
	for i := 0; i < n; i++ {
		y[2*i] = float64(red.Data[i*red.Stride]) / std * tsneInitStd
		y[2*i+1] = float64(red.Data[i*red.Stride+1]) / std * tsneInitStd
	}

	// 5. Gradient descent.
	newTSNEOptimizer(p, opts.Theta, threads).run(y, opts.Iterations)
	out := make([]float32, 2*n)
	for i, v := range y {
		out[i] = float32(v)
	}
	return out, nil
}

// sparseP is the symmetric affinity matrix in compressed rows.
type sparseP struct {
	start []int // row i is col/val[start[i]:start[i+1]]
	col   []int32
	val   []float32 // float32 (as scikit-learn's): the iterations stream it
}

// tsneAffinities returns scikit-learn's joint probabilities: for each row,
// p_j|i ∝ exp(−β·dᵢⱼ²) over its k neighbours with d the cosine distance
// (scikit-learn squares every metric's distances since 1.1) and
// β found by bisection so that the perplexity is perp
// (_binary_search_perplexity), then P = (P + Pᵀ)/ΣP.
func tsneAffinities(unit blas32.General, nbrs []int32, k int, perp float64, threads int) sparseP {
	return symmetrize(conditionalP(unit, nbrs, k, perp, threads), nbrs, k)
}

// conditionalP returns p_j|i for each row i and its k neighbours j (row-major
// n×k; 0 for missing neighbours).
func conditionalP(unit blas32.General, nbrs []int32, k int, perp float64, threads int) []float64 {
	n, d := unit.Rows, unit.Cols
	cond := make([]float64, n*k)
	want := math.Log(perp)
	const chunk = 256
	parallel.For(threads, (n+chunk-1)/chunk, func(_, c int) {
		dist := make([]float64, k)
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			ri := unit.Data[i*d : (i+1)*d]
			for s := 0; s < k; s++ {
				j := nbrs[i*k+s]
				if j < 0 {
					dist[s] = math.Inf(1)
					continue
				}
				c := math.Max(0, 1-float64(dot(ri, unit.Data[int(j)*d:(int(j)+1)*d])))
				dist[s] = c * c
			}
			row := cond[i*k : (i+1)*k]
			beta, lo, hi := 1.0, math.Inf(-1), math.Inf(1)
			for it := 0; it < 100; it++ {
				var sum, sumDP float64
				for s, ds := range dist {
					v := math.Exp(-ds * beta)
					row[s] = v
					sum += v
					if v > 0 {
						sumDP += ds * v
					}
				}
				if sum == 0 {
					sum = 1e-8
				}
				for s := range row {
					row[s] /= sum
				}
				h := math.Log(sum) + beta*sumDP/sum
				diff := h - want
				if math.Abs(diff) <= 1e-5 {
					break
				}
				if diff > 0 {
					lo = beta
					if math.IsInf(hi, 1) {
						beta *= 2
					} else {
						beta = (beta + hi) / 2
					}
				} else {
					hi = beta
					if math.IsInf(lo, -1) {
						beta /= 2
					} else {
						beta = (beta + lo) / 2
					}
				}
			}
		}
	})
	return cond
}

// symmetrize returns (C + Cᵀ)/ΣC in compressed rows, for the conditional
// probabilities C (row i's k values over its neighbours nbrs[i·k:(i+1)·k]).
func symmetrize(cond []float64, nbrs []int32, k int) sparseP {
	n := len(nbrs) / k
	// Count each row's entries (its own and those pointing to it), then
	// merge duplicates.
	cnt := make([]int, n+1)
	for i := 0; i < n; i++ {
		for s := 0; s < k; s++ {
			if j := nbrs[i*k+s]; j >= 0 {
				cnt[i+1]++
				cnt[int(j)+1]++
			}
		}
	}
	for i := 1; i <= n; i++ {
		cnt[i] += cnt[i-1]
	}
	col := make([]int32, cnt[n])
	val := make([]float64, cnt[n])
	fill := slices.Clone(cnt[:n])
	for i := 0; i < n; i++ {
		for s := 0; s < k; s++ {
			j := nbrs[i*k+s]
			if j < 0 {
				continue
			}
			v := cond[i*k+s]
			col[fill[i]], val[fill[i]] = j, v
			fill[i]++
			col[fill[j]], val[fill[j]] = int32(i), v
			fill[j]++
		}
	}
	// Sort each row by column and sum duplicates, compacting in place.
	p := sparseP{start: make([]int, n+1)}
	w := 0
	var total float64
	type entry struct {
		c int32
		v float64
	}
	var buf []entry
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for e := cnt[i]; e < cnt[i+1]; e++ {
			buf = append(buf, entry{col[e], val[e]})
		}
		slices.SortFunc(buf, func(a, b entry) int { return int(a.c) - int(b.c) })
		for t := 0; t < len(buf); {
			c, v := buf[t].c, buf[t].v
			for t++; t < len(buf) && buf[t].c == c; t++ {
				v += buf[t].v
			}
			col[w], val[w] = c, v
			total += v
			w++
		}
		p.start[i+1] = w
	}
	if total == 0 {
		total = 1
	}
	p.col, p.val = col[:w], make([]float32, w)
	for e := range p.val {
		p.val[e] = float32(val[e] / total)
	}
	return p
}

// quadNode is a cell of the Barnes-Hut tree: its papers' centre of mass,
// count and squared width (float32, as scikit-learn's tree: 24 bytes a
// node keeps the tree in cache), and its children (nodes child..child+nchild−1)
// or, for a leaf (nchild 0), its paper (child, when count is 1) or papers
// (order[child:hi], coincident or nearly so, at the depth limit).
type quadNode struct {
	cx, cy, w2, count float32
	child, nchild     int32
	hi                int32
}

// tsneOptimizer holds the buffers of the gradient descent, allocated once.
type tsneOptimizer struct {
	p       sparseP
	theta2  float64
	threads int
	n       int

	nodes  []quadNode
	order  []int32 // papers in tree order
	grad   []float64
	attr   []float64 // the attraction Σⱼ pᵢⱼ qᵢⱼZ (yᵢ−yⱼ), per paper
	update []float64
	gains  []float64
	sumQ   []float64 // per paper: its part of Z
	stacks [][]int32 // per worker
}

func newTSNEOptimizer(p sparseP, theta float64, threads int) *tsneOptimizer {
	n := len(p.start) - 1
	o := &tsneOptimizer{p: p, threads: threads, n: n,
		order: make([]int32, n), grad: make([]float64, 2*n),
		update: make([]float64, 2*n), gains: make([]float64, 2*n),
		attr: make([]float64, 2*n), sumQ: make([]float64, n), stacks: make([][]int32, threads)}
	o.theta2 = theta * theta
	return o
}

// tsneChunk is the number of papers (in tree order) of one parallel task.
const tsneChunk = 512

// run is scikit-learn's _gradient_descent, twice: 250 iterations with P
// exaggerated 12 times and momentum 0.5, the rest with momentum 0.8;
// delta-bar-delta gains, learning rate max(n/12/4, 50).
func (o *tsneOptimizer) run(y []float64, iters int) {
	explore := min(tsneExploreIters, iters/4)
	rate := max(float64(o.n)/tsneExaggeration/4, 50)
	for stage := 0; stage < 2; stage++ {
		exag, mom, from, to := float64(tsneExaggeration), tsneMomentumEarly, 0, explore
		if stage == 1 {
			exag, mom, from, to = 1, tsneMomentumLate, explore, iters
		}
		clear(o.update)
		for i := range o.gains {
			o.gains[i] = 1
		}
		for it := from; it < to; it++ {
			o.gradient(y, exag)
			parallel.For(o.threads, (o.n+tsneChunk-1)/tsneChunk, func(_, c int) {
				for e := 2 * c * tsneChunk; e < min(2*o.n, 2*(c+1)*tsneChunk); e++ {
					g, u := o.grad[e], o.update[e]
					if u*g < 0 {
						o.gains[e] += 0.2
					} else {
						o.gains[e] *= 0.8
					}
					o.gains[e] = max(o.gains[e], tsneMinGain)
					u = mom*u - rate*o.gains[e]*g
					o.update[e] = u
					y[e] += u
				}
			})
		}
	}
}

// gradient sets o.grad to the gradient of KL(P‖Q) at y with P multiplied
// by exag: 4·(exag·Σⱼ pᵢⱼ qᵢⱼZ (yᵢ−yⱼ) − Σⱼ (qᵢⱼZ)² (yᵢ−yⱼ) / Z), the
// second sum by Barnes-Hut over the quadtree of y.
func (o *tsneOptimizer) gradient(y []float64, exag float64) {
	tasks := (o.n + tsneChunk - 1) / tsneChunk
	// The tree is built on one goroutine while the others sum the
	// attraction (which does not need it): the build is serial.
	built := make(chan struct{})
	go func() {
		o.build(y)
		close(built)
	}()
	p := o.p
	parallel.For(o.threads, tasks, func(_, c int) {
		for i := c * tsneChunk; i < min(o.n, (c+1)*tsneChunk); i++ {
			yx, yy := y[2*i], y[2*i+1]
			var ax, ay float64
			for e := p.start[i]; e < p.start[i+1]; e++ {
				j := p.col[e]
				dx, dy := yx-y[2*j], yy-y[2*j+1]
				q := float64(p.val[e]) / (1 + dx*dx + dy*dy)
				ax += q * dx
				ay += q * dy
			}
			o.attr[2*i], o.attr[2*i+1] = ax, ay
		}
	})
	<-built
	// Repulsion, unnormalised, per paper in tree order; Z's parts per paper.
	parallel.For(o.threads, tasks, func(w, c int) {
		for t := c * tsneChunk; t < min(o.n, (c+1)*tsneChunk); t++ {
			i := o.order[t]
			fx, fy, z := o.repulsion(y, i, w)
			o.grad[2*i], o.grad[2*i+1] = fx, fy
			o.sumQ[i] = z
		}
	})
	var z float64
	for _, v := range o.sumQ {
		z += v
	}
	if z == 0 {
		z = 1
	}
	for e, a := range o.attr {
		o.grad[e] = 4 * (exag*a - o.grad[e]/z)
	}
}

// repulsion returns Σⱼ (qᵢⱼZ)²(yᵢ−yⱼ) and Σⱼ qᵢⱼZ over all j ≠ i, with
// cells of the tree standing for their papers when width²/d² < θ².
func (o *tsneOptimizer) repulsion(y []float64, i int32, w int) (fx, fy, z float64) {
	yx, yy := y[2*i], y[2*i+1]
	stack := append(o.stacks[w][:0], 0)
	for len(stack) > 0 {
		nd := &o.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		dx, dy := yx-float64(nd.cx), yy-float64(nd.cy)
		d2 := dx*dx + dy*dy
		switch {
		case nd.nchild == 0 && nd.count == 1:
			if nd.child == i {
				continue
			}
			q := 1 / (1 + d2)
			z += q
			q *= q
			fx += q * dx
			fy += q * dy
		case nd.nchild == 0:
			// A leaf of several papers (at the depth limit): each on its own.
			for _, j := range o.order[nd.child:nd.hi] {
				if j == i {
					continue
				}
				dx, dy := yx-y[2*j], yy-y[2*j+1]
				q := 1 / (1 + dx*dx + dy*dy)
				z += q
				q *= q
				fx += q * dx
				fy += q * dy
			}
		case float64(nd.w2) < o.theta2*d2:
			q := 1 / (1 + d2)
			m := float64(nd.count) * q
			z += m
			m *= q
			fx += m * dx
			fy += m * dy
		default:
			for c := nd.child; c < nd.child+nd.nchild; c++ {
				stack = append(stack, c)
			}
		}
	}
	o.stacks[w] = stack
	return fx, fy, z
}

// maxDepth bounds the quadtree: cells below it are leaves of all their
// papers (coincident or nearly so).
const maxDepth = 48

// build makes the quadtree of y in o.nodes and o.order, reusing their memory.
func (o *tsneOptimizer) build(y []float64) {
	n := o.n
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := 0; i < n; i++ {
		o.order[i] = int32(i)
		minX, maxX = min(minX, y[2*i]), max(maxX, y[2*i])
		minY, maxY = min(minY, y[2*i+1]), max(maxY, y[2*i+1])
	}
	w := max(maxX-minX, maxY-minY) * (1 + 1e-9)
	if w == 0 {
		w = 1
	}
	o.nodes = append(o.nodes[:0], quadNode{})
	o.split(y, 0, 0, int32(n), minX, minY, w, 0)
}

// split fills node nd with the papers order[lo:hi] in the square at (x0, y0)
// of width w.
func (o *tsneOptimizer) split(y []float64, nd int32, lo, hi int32, x0, y0, w float64, depth int) {
	ord := o.order
	var sx, sy float64
	for _, i := range ord[lo:hi] {
		sx += y[2*i]
		sy += y[2*i+1]
	}
	cnt := float64(hi - lo)
	node := quadNode{cx: float32(sx / cnt), cy: float32(sy / cnt), w2: float32(w * w), count: float32(cnt), child: lo, hi: hi}
	if hi-lo == 1 {
		node.child = ord[lo]
	}
	if hi-lo == 1 || depth >= maxDepth {
		o.nodes[nd] = node
		return
	}
	// Partition into quadrants: by x (left, right), then each half by y.
	h := w / 2
	mx, my := x0+h, y0+h
	a, b := lo, hi
	for a < b {
		if y[2*ord[a]] >= mx {
			b--
			ord[a], ord[b] = ord[b], ord[a]
		} else {
			a++
		}
	}
	midX := a
	var cut [2]int32
	for half, r := range [2][2]int32{{lo, midX}, {midX, hi}} {
		a, b := r[0], r[1]
		for a < b {
			if y[2*ord[a]+1] >= my {
				b--
				ord[a], ord[b] = ord[b], ord[a]
			} else {
				a++
			}
		}
		cut[half] = a
	}
	bounds := [5]int32{lo, cut[0], midX, cut[1], hi}
	corner := [4][2]float64{{x0, y0}, {x0, my}, {mx, y0}, {mx, my}}
	first := int32(len(o.nodes))
	var nc int32
	for q := 0; q < 4; q++ {
		if bounds[q+1] > bounds[q] {
			o.nodes = append(o.nodes, quadNode{})
			nc++
		}
	}
	node.child, node.nchild = first, nc
	o.nodes[nd] = node
	c := first
	for q := 0; q < 4; q++ {
		if bounds[q+1] > bounds[q] {
			o.split(y, c, bounds[q], bounds[q+1], corner[q][0], corner[q][1], h, depth+1)
			c++
		}
	}
}

// Names of the neighbour-preserving layouts.
const (
	MethodTSNE = "tsne"
	MethodUMAP = "umap"
)

// TSNEMaxRows is the largest number of papers DefaultMethod lays out by
// t-SNE (from SmallRows + 1). Up to it t-SNE kept as many of each paper's neighbours as
// scikit-learn's t-SNE and more of their labels than UMAP, in less time
// than scikit-learn; at 100,000 papers it took 134 s on two cores where
// UMAP took 47 s, and above it UMAP's sample-and-refine path keeps the
// time linear (bench/RESULTS.md, "Map layout VII").
const TSNEMaxRows = 100000

// SmallRows is the largest number of papers DefaultMethod lays out by UMAP
// rather than t-SNE at the small end. On samples of 60 and 90 papers of
// arXiv (archive labels) and of ACM (venue labels), five samples of each,
// each ingested into its own store with its own lexical model, UMAP kept
// more of each paper's 5 nearest neighbours than t-SNE (trustworthiness@5
// 0.83-0.86 against 0.79-0.82) and more of their labels (0.34-0.46 against
// 0.31-0.40), and so at k = 10, in every set and size and at each of four
// seeds; at 30 papers it kept more neighbours and as many labels (within
// 0.01); at 120 more labels but fewer neighbours (0.82-0.86 against
// 0.83-0.86), and at 250 t-SNE kept more of both on ACM. t-SNE with a lower
// perplexity than its cap of (n−1)/3, a smaller neighbourhood for a small
// corpus, kept fewer of both at every size (bench/RESULTS.md, "The map of a
// small corpus").
const SmallRows = 100

// DefaultMethod returns the layout the map uses for n papers: MethodUMAP
// up to SmallRows papers, MethodTSNE up to TSNEMaxRows, MethodUMAP above
// (UMAP places fewer than three papers by PCA).
func DefaultMethod(n int) string {
	if n > SmallRows && n <= TSNEMaxRows {
		return MethodTSNE
	}
	return MethodUMAP
}
