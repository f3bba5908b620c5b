package cluster

import (
	"math"
	"slices"
)

// lloyd runs Lloyd iterations from given centroids. With bounds set it skips
// distance computations using Hamerly's bounds (Hamerly 2010, "Making k-means
// even faster"), widened by the rounding error of the tile kernel so that a
// point is skipped only when a full computation would certainly pick the same
// centroid: labels, centroids and inertia are bit-identical with and without
// bounds.
type lloyd struct {
	p       *points
	k       int
	threads int
	bounds  bool
	maxIter int
	tol     float64 // scaled centre-shift tolerance; negative disables
	scr     []stripScratch

	labels  []int
	upper   []float64 // ≥ true distance to the assigned centroid
	lower   []float64 // ≤ true distance to every other centroid
	changed []int     // per row range
	gamma   float64

	// Tightening an upper bound costs a dot product; it pays only when it
	// often lets a point skip the full computation. These per-range counts of
	// the last E step decide whether the next one tightens (a rule that
	// depends on the data only, never on the threads).
	tried, saved, cheap []int
	tighten             bool

	nsuper int       // number of fixed row ranges for centroid sums
	sums   []float64 // nsuper partial sums, k×d each
	counts []int     // nsuper partial counts, k each
}

func newLloyd(p *points, k, threads int, bounds bool) *lloyd {
	e := &lloyd{p: p, k: k, threads: threads, bounds: bounds}
	e.scr = make([]stripScratch, threads)
	e.labels = make([]int, p.n)
	e.upper = make([]float64, p.n)
	e.lower = make([]float64, p.n)
	e.changed = make([]int, 32)
	e.tried, e.saved, e.cheap = make([]int, 32), make([]int, 32), make([]int, 32)
	e.gamma = dotErr(p.d)
	// Partial centroid sums are kept for a fixed number of row ranges that depends
	// only on the data shape, never on the thread count.
	e.nsuper = min(max(p.n/1024, 1), 32)
	if lim := (64 << 20) / max(8*k*p.d, 1); e.nsuper > lim {
		e.nsuper = max(lim, 1)
	}
	e.sums = make([]float64, e.nsuper*k*p.d)
	e.counts = make([]int, e.nsuper*k)
	return e
}

// delta bounds the error of a tile-kernel squared distance from row i.
func (e *lloyd) delta(i int, cmax float64) float64 {
	p := e.p
	return 2*e.gamma*p.scale(i)*math.Sqrt(p.xn[i])*cmax + 1e-13*(p.base(i)+cmax*cmax)
}

// separated reports whether every other centroid, at least L away, is certainly
// farther than the assigned one, at most u away, even after rounding.
func separated(u, L, delta float64) bool {
	return L > u && (L-u)*(L+u) > 2*delta
}

// assign is the E step. first (or no bounds) computes every distance; otherwise
// half holds half the distance from each centroid to its nearest other centroid.
// With sums set it also adds every row to its cluster's partial sum while the
// row is still in cache (the M step's work, fused). It returns how many labels
// changed.
func (e *lloyd) assign(cs *centers, first bool, half []float64, sums bool) int {
	p := e.p
	k, d, ns := e.k, p.d, e.nsuper
	if sums {
		clear(e.sums)
		clear(e.counts)
	}
	parallelFor(e.threads, ns, func(w, s int) {
		sc := &e.scr[w]
		changed, tried, saved, cheap := 0, 0, 0, 0
		lo, hi := s*p.n/ns, (s+1)*p.n/ns
		for blo := lo; blo < hi; blo += assignBlock {
			bhi := min(blo+assignBlock, hi)
			full := sc.full[:0]
			for i := blo; i < bhi; i++ {
				if first || !e.bounds {
					full = append(full, i)
					continue
				}
				a := e.labels[i]
				u := e.upper[i]
				dl := e.delta(i, cs.cmax)
				if separated(u, max(e.lower[i], 2*half[a]-u), dl) {
					cheap++
					continue
				}
				if e.tighten {
					tried++
					d2 := p.dist2(cs, i, a)
					u = math.Sqrt(d2+1e-14*(p.base(i)+cs.cn[a])) * (1 + 1e-15)
					e.upper[i] = u
					if separated(u, max(e.lower[i], 2*half[a]-u), dl) {
						saved++
						continue
					}
				}
				full = append(full, i)
			}
			sc.full = full
			p.nearest(cs, full, sc, func(i, best int, d2b, d2s float64) {
				if first || e.labels[i] != best {
					changed++
				}
				e.labels[i] = best
				if e.bounds {
					dl := e.delta(i, cs.cmax)
					e.upper[i] = math.Sqrt(d2b + dl)
					e.lower[i] = math.Sqrt(max(d2s-dl, 0))
				}
			})
			if sums {
				sum := e.sums[s*k*d : (s+1)*k*d]
				cnt := e.counts[s*k : (s+1)*k]
				for i := blo; i < bhi; i++ {
					a := e.labels[i]
					cnt[a]++
					axpy64(sum[a*d:(a+1)*d], p.scale(i), row(p.x, i))
				}
			}
		}
		e.changed[s], e.tried[s], e.saved[s], e.cheap[s] = changed, tried, saved, cheap
	})
	total, tried, saved, cheap := 0, 0, 0, 0
	for s := 0; s < ns; s++ {
		total += e.changed[s]
		tried += e.tried[s]
		saved += e.saved[s]
		cheap += e.cheap[s]
	}
	// Tighten next time if it saved at least one full computation in ten
	// tries, or, when it was off, once the cheap test starts to pass.
	if e.tighten {
		e.tighten = 10*saved >= tried
	} else {
		e.tighten = 20*cheap >= p.n
	}
	return total
}

// assignBlock is the number of rows labelled before they are added to the
// centroid sums: small enough that the rows are still in L2 cache.
const assignBlock = 32

// halfGaps returns, per centroid, half the distance to its nearest other centroid,
// rounded down past the kernel's error.
func (e *lloyd) halfGaps(cs *centers, half []float64) {
	k, d := cs.k, cs.d
	if k == 1 {
		half[0] = math.Inf(1)
		return
	}
	cp := &points{x: cs.general(), n: k, d: d, xn: cs.cn}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	dc := 2*e.gamma*cs.cmax*cs.cmax + 1e-13*2*cs.cmax*cs.cmax
	cp.forStrips(cs, idx, &e.scr[0], func(rows *[4]int, nr int, out []float32) {
		for r := 0; r < nr; r++ {
			i := rows[r]
			m := math.Inf(1)
			for j := 0; j < k; j++ {
				if j != i {
					m = min(m, cs.cn[i]+cs.cn[j]-2*float64(dotAt(out, r, j)))
				}
			}
			half[i] = 0.5 * math.Sqrt(max(m-dc, 0))
		}
	})
}

// assignedDist2 returns, for every row, the squared distance to its assigned
// centroid exactly as nearest computes it (the same kernel, the same rounding).
func (e *lloyd) assignedDist2(cs *centers) []float64 {
	p := e.p
	d2 := make([]float64, p.n)
	parallelFor(e.threads, numChunks(p.n), func(w, c int) {
		lo, hi := chunkRange(c, p.n)
		sc := &e.scr[w]
		p.forStrips(cs, sc.rangeIdx(lo, hi), sc, func(rows *[4]int, nr int, out []float32) {
			for r := 0; r < nr; r++ {
				i := rows[r]
				a := e.labels[i]
				d2[i] = max(p.base(i)+(cs.cn[a]-float64(2*p.scale(i)*float64(dotAt(out, r, a)))), 0)
			}
		})
	})
	return d2
}

// update is the M step: new centroids from the labels, into next. An empty
// cluster takes the point farthest from its centroid (ties to the lower index)
// among clusters that can spare one; that point's label changes and its bounds
// are reset. It reports whether any label changed.
func (e *lloyd) update(cur, next *centers) bool {
	p := e.p
	k, d, n := e.k, p.d, e.p.n
	counts := e.reduceCounts()
	relocated := false
	if slices.Contains(counts, 0) {
		d2 := e.assignedDist2(cur)
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case d2[a] > d2[b]:
				return -1
			case d2[a] < d2[b]:
				return 1
			}
			return 0
		})
		q := 0
		for j := 0; j < k; j++ {
			if counts[j] != 0 {
				continue
			}
			for q < n && counts[e.labels[order[q]]] <= 1 {
				q++
			}
			if q == n {
				break
			}
			i := order[q]
			q++
			counts[e.labels[i]]--
			counts[j]++
			e.labels[i] = j
			e.upper[i] = math.Inf(1)
			e.lower[i] = 0
			relocated = true
		}
		if relocated {
			e.sumLabels()
			counts = e.reduceCounts()
		}
	}
	ns := e.nsuper
	total := e.sums[:k*d]
	for s := 1; s < ns; s++ {
		part := e.sums[s*k*d : (s+1)*k*d]
		for t, v := range part {
			total[t] += v
		}
	}
	for j := 0; j < k; j++ {
		src := total[j*d : (j+1)*d]
		dst := next.row(j)
		if counts[j] == 0 {
			copy(dst, cur.row(j))
			continue
		}
		var f float64
		if p.inv != nil {
			nrm := 0.0
			for _, v := range src {
				nrm += v * v
			}
			if nrm == 0 {
				copy(dst, cur.row(j))
				continue
			}
			f = 1 / math.Sqrt(nrm)
		} else {
			f = 1 / float64(counts[j])
		}
		for t, v := range src {
			dst[t] = float32(v * f)
		}
	}
	next.refresh()
	return relocated
}

// sumLabels recomputes the partial sums and counts from the labels.
func (e *lloyd) sumLabels() {
	p := e.p
	k, d, n, ns := e.k, p.d, p.n, e.nsuper
	clear(e.sums)
	clear(e.counts)
	parallelFor(e.threads, ns, func(_, s int) {
		sum := e.sums[s*k*d : (s+1)*k*d]
		cnt := e.counts[s*k : (s+1)*k]
		for i := s * n / ns; i < (s+1)*n/ns; i++ {
			a := e.labels[i]
			cnt[a]++
			axpy64(sum[a*d:(a+1)*d], p.scale(i), row(p.x, i))
		}
	})
}

// reduceCounts combines the partial counts.
func (e *lloyd) reduceCounts() []int {
	k := e.k
	out := make([]int, k)
	for s := 0; s < e.nsuper; s++ {
		for j, c := range e.counts[s*k : (s+1)*k] {
			out[j] += c
		}
	}
	return out
}

// shift returns Σ_j ‖next_j − cur_j‖² and writes ‖next_j − cur_j‖, rounded up,
// into move.
func shift(cur, next *centers, move []float64) float64 {
	tot := 0.0
	for j := 0; j < cur.k; j++ {
		a, b := cur.row(j), next.row(j)
		s := 0.0
		for t := range a {
			v := float64(b[t]) - float64(a[t])
			s += v * v
		}
		tot += s
		move[j] = math.Sqrt(s)*(1+1e-12) + 1e-300
	}
	return tot
}

// loosen widens the bounds by how far the centroids moved.
func (e *lloyd) loosen(move []float64) {
	m1, m2, arg := 0.0, 0.0, -1
	for j, v := range move {
		if v > m1 {
			m1, m2, arg = v, m1, j
		} else if v > m2 {
			m2 = v
		}
	}
	parallelFor(e.threads, numChunks(e.p.n), func(_, c int) {
		lo, hi := chunkRange(c, e.p.n)
		for i := lo; i < hi; i++ {
			a := e.labels[i]
			e.upper[i] += move[a]
			if a == arg {
				e.lower[i] -= m2
			} else {
				e.lower[i] -= m1
			}
		}
	})
}

// run iterates from init (which it does not modify) in the order scikit-learn's
// Lloyd uses: assign, update, stop if no label changed or the centres moved less
// than the tolerance; then assign once more so labels match the final centroids.
func (e *lloyd) run(init *centers) *Result {
	k, d := e.k, e.p.d
	cur, next := newCenters(k, d), newCenters(k, d)
	cur.copyFrom(init)
	half := make([]float64, k)
	move := make([]float64, k)
	strict, converged := false, false
	iter := 0
	e.tighten = true
	for iter < e.maxIter {
		if e.bounds && iter > 0 {
			e.halfGaps(cur, half)
		}
		changed := e.assign(cur, iter == 0, half, true)
		relocated := e.update(cur, next)
		s := shift(cur, next, move)
		cur, next = next, cur
		iter++
		if changed == 0 && !relocated && iter > 1 {
			strict, converged = true, true
			break
		}
		if e.bounds {
			e.loosen(move)
		}
		if e.tol >= 0 && s <= e.tol {
			converged = true
			break
		}
	}
	if !strict {
		if e.bounds && iter > 0 {
			e.halfGaps(cur, half)
		}
		e.assign(cur, iter == 0, half, false)
	}
	return &Result{
		Centroids:  cur.general(),
		Labels:     slices.Clone(e.labels),
		Inertia:    e.inertia(cur),
		Iterations: iter,
		Converged:  converged,
	}
}

// inertia is Σ‖x_i − c_{label i}‖² in Euclidean geometry and Σ(1 − cos(x_i, c))
// in cosine geometry, from exact products and float64 sums, reduced in chunk order.
func (e *lloyd) inertia(cs *centers) float64 {
	return inertiaOf(e.p, cs, e.labels, e.threads)
}

func inertiaOf(p *points, cs *centers, labels []int, threads int) float64 {
	nc := numChunks(p.n)
	part := make([]float64, nc)
	parallelFor(threads, nc, func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		s := 0.0
		for i := lo; i < hi; i++ {
			a := labels[i]
			if p.inv != nil {
				s += 1 - dotF64(row(p.x, i), cs.row(a))*p.inv[i]/math.Sqrt(cs.cn[a])
			} else {
				s += p.dist2(cs, i, a)
			}
		}
		part[c] = s
	})
	tot := 0.0
	for _, v := range part {
		tot += v
	}
	return tot
}
