package cluster

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// MiniBatchKMeans clusters rows by mini-batch k-means (Sculley 2010, "Web-scale
// k-means clustering"), following scikit-learn 1.2's MiniBatchKMeans: each step
// draws a batch, assigns it to the nearest centroids and moves each centroid to
// the running mean of every point ever assigned to it. It reads each row a few
// times instead of once per iteration, for data too large for KMeans. The zero
// value of every field but K means the documented default.
type MiniBatchKMeans struct {
	// K is the number of clusters (> 0, or 0 when Init is set).
	K int
	// BatchSize is the number of rows per step. Default 4096.
	BatchSize int
	// MaxIter caps the run at MaxIter passes over the data (MaxIter·n/BatchSize
	// steps). Default 100.
	MaxIter int
	// Restarts is the number of k-means++ seedings, each on InitSize random rows;
	// the one with the lowest inertia on a common validation sample wins.
	// Default 3; 1 when Init is set.
	Restarts int
	// InitSize is the number of rows seeding looks at. Default 3·BatchSize
	// (at least 3·K, at most n).
	InitSize int
	// Tol, if positive, stops when the centroids moved less than Tol times the
	// mean feature variance in one step. Default 0: off (scikit-learn's default).
	Tol float64
	// MaxNoImprovement stops after this many steps without a new minimum of the
	// smoothed batch inertia. Default 10; negative disables.
	MaxNoImprovement int
	// ReassignmentRatio: centroids that have received fewer than this fraction
	// of the points of the largest one are moved to random batch rows. Default
	// 0.01; negative disables.
	ReassignmentRatio float64
	// Seed drives every random choice.
	Seed uint64
	// Spherical selects cosine geometry, as in KMeans.
	Spherical bool
	// Init, if not nil, gives the initial centroids (K×d).
	Init *blas32.General
	// Threads caps the number of goroutines. Default runtime.GOMAXPROCS(0).
	// Results do not depend on it.
	Threads int
}

func (mb MiniBatchKMeans) withDefaults(n int) MiniBatchKMeans {
	if mb.K == 0 && mb.Init != nil {
		mb.K = mb.Init.Rows
	}
	if mb.BatchSize <= 0 {
		mb.BatchSize = 4096
	}
	mb.BatchSize = min(mb.BatchSize, max(n, 1))
	if mb.MaxIter <= 0 {
		mb.MaxIter = 100
	}
	if mb.Restarts <= 0 {
		mb.Restarts = 3
	}
	if mb.Init != nil {
		mb.Restarts = 1
	}
	if mb.InitSize <= 0 {
		mb.InitSize = 3 * mb.BatchSize
		if mb.InitSize < mb.K {
			mb.InitSize = 3 * mb.K
		}
	}
	mb.InitSize = min(max(mb.InitSize, mb.K), n)
	if mb.MaxNoImprovement == 0 {
		mb.MaxNoImprovement = 10
	}
	if mb.ReassignmentRatio == 0 {
		mb.ReassignmentRatio = 0.01
	}
	mb.Threads = threadCount(mb.Threads)
	return mb
}

// Fit clusters the rows of x; Labels and Inertia of the result cover every row.
// Iterations counts steps. Errors are as for KMeans.Fit.
func (mb MiniBatchKMeans) Fit(x blas32.General) (*Result, error) {
	checkGeneral(x)
	mb = mb.withDefaults(x.Rows)
	n, d, k := x.Rows, x.Cols, mb.K
	if err := checkShape(k, mb.Init, n, d); err != nil {
		return nil, err
	}
	p, err := newPoints(x, mb.Spherical, mb.Threads)
	if err != nil {
		return nil, err
	}
	threads := mb.Threads
	scr := make([]stripScratch, threads)
	rng := newRand(mb.Seed, 0xb47c)
	randomRows := func(m int) []int {
		idx := make([]int, m)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		return idx
	}

	// Seeding: the best of Restarts k-means++ runs on random subsets, judged on
	// one validation subset.
	var cs *centers
	if mb.Init != nil {
		if cs, err = initCenters(*mb.Init, mb.Spherical); err != nil {
			return nil, err
		}
	} else {
		valid := randomRows(mb.InitSize)
		best := math.Inf(1)
		ps := &points{x: newGeneral(mb.InitSize, d), n: mb.InitSize, d: d, xn: make([]float64, mb.InitSize)}
		if p.inv != nil {
			ps.inv = make([]float64, mb.InitSize)
		}
		for r := 0; r < mb.Restarts; r++ {
			// Seeding reads its rows dozens of times: a dense copy keeps them
			// together in cache.
			gather(p, randomRows(mb.InitSize), ps, threads)
			c := seedPlusPlus(ps, k, []*rand.Rand{rng}, threads, scr)[0]
			in := 0.0
			for _, v := range nearestAll(p, c, valid, threads, scr, nil, nil) {
				in += v
			}
			if in < best {
				best, cs = in, c
			}
		}
	}

	// State: running means in float64 and the number of points each has seen.
	c64 := make([]float64, k*d)
	for j := 0; j < k; j++ {
		for t, v := range cs.row(j) {
			c64[j*d+t] = float64(v)
		}
	}
	weight := make([]float64, k)
	tol := 0.0
	if mb.Tol > 0 {
		tol = mb.Tol * meanVariance(p, threads)
	}
	steps := int(int64(mb.MaxIter) * int64(n) / int64(mb.BatchSize))
	bs := mb.BatchSize
	alpha := min(float64(bs)*2/float64(n+1), 1)
	ewa, ewaMin := math.NaN(), math.Inf(1)
	noImprove := 0
	sinceReassign := 0
	labels := make([]int, bs)
	sums := make([]float64, k*d)
	cnt := make([]int, k)
	converged := false
	step := 0
	pb := &points{x: newGeneral(bs, d), n: bs, d: d, xn: make([]float64, bs)}
	if p.inv != nil {
		pb.inv = make([]float64, bs)
	}
	for step < steps {
		batch := randomRows(bs)
		// Visiting the rows in memory order makes the gather friendlier to the
		// caches and TLB; the batch is a multiset, so order does not matter.
		slices.Sort(batch)
		// The batch is copied into a dense matrix: the kernel and the sums
		// then read contiguous memory.
		gather(p, batch, pb, threads)
		d2 := nearestAll(pb, cs, nil, threads, scr, labels, nil)
		batchInertia := 0.0
		for _, v := range d2 {
			batchInertia += v
		}
		batchInertia /= float64(bs)
		if p.inv != nil {
			batchInertia /= 2 // 1 − cos = ‖x̂ − c‖²/2 for unit c
		}

		// Update: per-cluster sums over the batch, in batch order.
		clear(sums)
		clear(cnt)
		for q := range batch {
			a := labels[q]
			cnt[a]++
			axpy64(sums[a*d:(a+1)*d], pb.scale(q), row(pb.x, q))
		}
		moved := 0.0
		for j := 0; j < k; j++ {
			if cnt[j] == 0 {
				continue
			}
			w := weight[j] + float64(cnt[j])
			c := c64[j*d : (j+1)*d]
			s := sums[j*d : (j+1)*d]
			for t := range c {
				c[t] = (c[t]*weight[j] + s[t]) / w
			}
			weight[j] = w
		}

		// Move starved centroids to random rows of the batch (scikit-learn's
		// random reassignment), at most every 10·k points.
		sinceReassign += bs
		if mb.ReassignmentRatio > 0 && (slices.Contains(weight, 0) || sinceReassign >= 10*k) {
			sinceReassign = 0
			reassign(c64, weight, p, batch, mb.ReassignmentRatio, rng)
		}

		prev := cs
		cs = centersFrom(c64, k, d, p.inv != nil)
		for j := 0; j < k; j++ {
			a, b := prev.row(j), cs.row(j)
			for t := range a {
				v := float64(b[t]) - float64(a[t])
				moved += v * v
			}
		}
		step++

		// Stopping rules of scikit-learn's _mini_batch_convergence; the first
		// step's inertia belongs to the seeding and is ignored.
		if step == 1 {
			continue
		}
		if math.IsNaN(ewa) {
			ewa = batchInertia
		} else {
			ewa = ewa*(1-alpha) + batchInertia*alpha
		}
		if tol > 0 && moved <= tol {
			converged = true
			break
		}
		if ewa < ewaMin {
			noImprove, ewaMin = 0, ewa
		} else {
			noImprove++
		}
		if mb.MaxNoImprovement > 0 && noImprove >= mb.MaxNoImprovement {
			converged = true
			break
		}
	}

	all := make([]int, n)
	nearestAll(p, cs, nil, threads, scr, all, nil)
	return &Result{
		Centroids:  cs.general(),
		Labels:     all,
		Inertia:    inertiaOf(p, cs, all, threads),
		Iterations: step,
		Converged:  converged,
	}, nil
}

// centersFrom converts float64 centroids to the kernel's float32 layout,
// normalising them in cosine geometry.
func centersFrom(c64 []float64, k, d int, spherical bool) *centers {
	cs := newCenters(k, d)
	for j := 0; j < k; j++ {
		src := c64[j*d : (j+1)*d]
		f := 1.0
		if spherical {
			nrm := 0.0
			for _, v := range src {
				nrm += v * v
			}
			if nrm > 0 {
				f = 1 / math.Sqrt(nrm)
			}
		}
		dst := cs.row(j)
		for t, v := range src {
			dst[t] = float32(v * f)
		}
	}
	cs.refresh()
	return cs
}

// reassign moves centroids whose weight is below ratio·max(weight) to distinct
// random rows of the batch; their weight becomes the smallest weight among the
// rest, so they are not moved again at once. At most half a batch is moved.
func reassign(c64, weight []float64, p *points, batch []int, ratio float64, rng interface{ IntN(int) int }) {
	k, d := len(weight), p.d
	wmax := slices.Max(weight)
	var move []int
	for j, w := range weight {
		if w < ratio*wmax {
			move = append(move, j)
		}
	}
	if len(move) == 0 {
		return
	}
	if lim := len(batch) / 2; len(move) > lim {
		slices.SortStableFunc(move, func(a, b int) int {
			switch {
			case weight[a] < weight[b]:
				return -1
			case weight[a] > weight[b]:
				return 1
			}
			return 0
		})
		move = move[:lim]
	}
	keep := math.Inf(1)
	moving := make([]bool, k)
	for _, j := range move {
		moving[j] = true
	}
	for j, w := range weight {
		if !moving[j] {
			keep = min(keep, w)
		}
	}
	// Distinct batch positions by a partial Fisher–Yates shuffle.
	pos := make([]int, len(batch))
	for i := range pos {
		pos[i] = i
	}
	for q, j := range move {
		r := q + rng.IntN(len(pos)-q)
		pos[q], pos[r] = pos[r], pos[q]
		i := batch[pos[q]]
		c := c64[j*d : (j+1)*d]
		for t, v := range row(p.x, i) {
			c[t] = float64(v) * p.scale(i)
		}
		if !math.IsInf(keep, 1) {
			weight[j] = keep
		}
	}
}

// nearestAll labels the rows idx (nil: all rows) in parallel: labels[q] and the
// returned squared distance (as the geometry measures it) for position q. labels
// may be nil.
func nearestAll(p *points, cs *centers, idx []int, threads int, scr []stripScratch, labels []int, d2 []float64) []float64 {
	m := subset(idx).len(p.n)
	if d2 == nil {
		d2 = make([]float64, m)
	}
	nc := (m + chunkRows - 1) / chunkRows
	parallelFor(threads, nc, func(w, c int) {
		lo := c * chunkRows
		hi := min(lo+chunkRows, m)
		rows := subset(idx).rows(lo, hi, &scr[w])
		q := lo
		p.nearest(cs, rows, &scr[w], func(_, best int, d2b, _ float64) {
			if labels != nil {
				labels[q] = best
			}
			d2[q] = d2b
			q++
		})
	})
	return d2
}

// gather copies the rows idx of p into the dense pb (len(idx) rows), with their
// norms.
func gather(p *points, idx []int, pb *points, threads int) {
	parallelFor(threads, numChunks(len(idx)), func(_, c int) {
		lo, hi := chunkRange(c, len(idx))
		for q := lo; q < hi; q++ {
			i := idx[q]
			copy(row(pb.x, q), row(p.x, i))
			pb.xn[q] = p.xn[i]
			if p.inv != nil {
				pb.inv[q] = p.inv[i]
			}
		}
	})
}
