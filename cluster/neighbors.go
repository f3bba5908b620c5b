package cluster

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// KNN finds, for every row of a matrix of unit vectors, its nearest other
// rows by cosine similarity (the dot product). The zero value (with K set)
// searches exactly up to DefaultExactRows rows and approximately (an
// inverted-file index over k-means cells) above.
type KNN struct {
	// K is the number of neighbours per row (required, > 0).
	K int
	// ExactRows is the largest number of rows searched exhaustively;
	// 0 means DefaultExactRows, a negative value always searches exactly.
	ExactRows int
	// Cells is the number of k-means cells of the approximate index;
	// 0 means √n. Probes is how many of the nearest cells each row
	// searches; 0 means 5.
	Cells, Probes int
	// Seed seeds the k-means of the approximate index.
	Seed uint64
	// Threads caps the goroutines; 0 means runtime.GOMAXPROCS(0).
	Threads int
}

// DefaultExactRows is the size up to which KNN searches exhaustively: n² dot
// products of 256 floats take about a second at 20,000 rows on two cores.
const DefaultExactRows = 20000

// Search returns the neighbours as a flat slice: row i's neighbours are
// out[i*K : (i+1)*K], most similar first, ties broken by the lower index.
// A row is never its own neighbour. With fewer than K+1 rows, the missing
// entries are -1. The result does not depend on Threads.
func (o KNN) Search(x blas32.General) ([]int32, error) {
	checkGeneral(x)
	if o.K <= 0 {
		panic("cluster: KNN.K must be positive")
	}
	n := x.Rows
	if n == 0 {
		return nil, fmt.Errorf("knn of no rows: %w", ErrTooFewPoints)
	}
	for i := 0; i < n; i++ {
		for _, v := range row(x, i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("row %d: %w", i, ErrNotFinite)
			}
		}
	}
	threads := threadCount(o.Threads)
	exact := o.ExactRows
	if exact == 0 {
		exact = DefaultExactRows
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if exact < 0 || n <= exact {
		top := newTopK(n, 1, o.K)
		scanCell(x, all, all, func(int) int { return 0 }, top, threads)
		return top.merge(1), nil
	}

	// Approximate: rows are grouped into k-means cells; each row searches
	// the members of its Probes nearest cells.
	cells := o.Cells
	if cells <= 0 {
		cells = max(2, int(math.Sqrt(float64(n))))
	}
	probes := o.Probes
	if probes <= 0 {
		probes = 5
	}
	probes = min(probes, cells)
	sample := sampleRows(x, min(n, 40*cells), o.Seed)
	res, err := KMeans{K: cells, MaxIter: 10, Restarts: 1, Seed: o.Seed, Spherical: true, Threads: threads}.Fit(sample)
	if err != nil {
		return nil, fmt.Errorf("cluster: knn index: %w", err)
	}
	// Each row's nearest cells, by the same exact search against the
	// centroids (a row of the data is never a centroid, so nothing to skip).
	cent := res.Centroids
	near := newTopK(n, 1, probes)
	cidx := make([]int, cells)
	for i := range cidx {
		cidx[i] = i
	}
	scanAgainst(x, all, cent, cidx, func(int) int { return 0 }, near, threads, false)
	probe := near.merge(1)

	members := make([][]int, cells)
	queries := make([][]int, cells)
	slot := make([]map[int]int, cells)
	for i := 0; i < n; i++ {
		members[probe[i*probes]] = append(members[probe[i*probes]], i)
		for s := 0; s < probes; s++ {
			c := probe[i*probes+s]
			if c < 0 {
				continue
			}
			queries[c] = append(queries[c], i)
			if slot[c] == nil {
				slot[c] = make(map[int]int)
			}
			slot[c][i] = s
		}
	}
	top := newTopK(n, probes, o.K)
	for c := 0; c < cells; c++ {
		if len(members[c]) == 0 || len(queries[c]) == 0 {
			continue
		}
		sl := slot[c]
		scanCell(x, queries[c], members[c], func(i int) int { return sl[i] }, top, threads)
	}
	return top.merge(probes), nil
}

// sampleRows returns up to m rows of x chosen with a seeded generator, in
// index order.
func sampleRows(x blas32.General, m int, seed uint64) blas32.General {
	if m >= x.Rows {
		return x
	}
	return gatherRows(x, sampleIndex(x.Rows, m, seed))
}

// sampleIndex returns m of the indices 0..n-1 (all when m ≥ n) chosen with a
// seeded generator, in increasing order.
func sampleIndex(n, m int, seed uint64) []int {
	if m >= n {
		pick := make([]int, n)
		for i := range pick {
			pick[i] = i
		}
		return pick
	}
	rng := newRand(seed, 0x6b6e6e)
	pick := rng.Perm(n)[:m]
	slices.Sort(pick)
	return pick
}

// gatherRows copies the rows idx of x into a new matrix.
func gatherRows(x blas32.General, idx []int) blas32.General {
	out := blas32.General{Rows: len(idx), Cols: x.Cols, Stride: x.Cols, Data: make([]float32, 0, len(idx)*x.Cols)}
	for _, i := range idx {
		out.Data = append(out.Data, row(x, i)...)
	}
	return out
}

// topK holds, for every row and search slot, the best K (similarity, index)
// pairs found so far, best first.
type topK struct {
	k, slots int
	sim      []float32
	idx      []int32
}

func newTopK(n, slots, k int) *topK {
	t := &topK{k: k, slots: slots, sim: make([]float32, n*slots*k), idx: make([]int32, n*slots*k)}
	for i := range t.sim {
		t.sim[i] = float32(math.Inf(-1))
		t.idx[i] = -1
	}
	return t
}

// better orders candidates: higher similarity, then lower index.
func better(s float32, i int32, ts float32, ti int32) bool {
	return s > ts || (s == ts && ti >= 0 && i < ti) || (s == ts && ti < 0)
}

// offer considers candidate j with similarity s for row i in slot.
func (t *topK) offer(i, slot int, s float32, j int32) {
	base := (i*t.slots + slot) * t.k
	sim, idx := t.sim[base:base+t.k], t.idx[base:base+t.k]
	last := t.k - 1
	if !better(s, j, sim[last], idx[last]) {
		return
	}
	p := last
	for p > 0 && better(s, j, sim[p-1], idx[p-1]) {
		sim[p], idx[p] = sim[p-1], idx[p-1]
		p--
	}
	sim[p], idx[p] = s, j
}

// merge combines the slots of every row into one best-first list of K,
// dropping indices seen in several slots.
func (t *topK) merge(slots int) []int32 {
	n := len(t.sim) / (t.slots * t.k)
	out := make([]int32, n*t.k)
	type cand struct {
		s float32
		i int32
	}
	var buf []cand
	for r := 0; r < n; r++ {
		buf = buf[:0]
		base := r * t.slots * t.k
		for q := 0; q < slots*t.k; q++ {
			if t.idx[base+q] >= 0 {
				buf = append(buf, cand{t.sim[base+q], t.idx[base+q]})
			}
		}
		slices.SortFunc(buf, func(a, b cand) int {
			switch {
			case a.s > b.s:
				return -1
			case a.s < b.s:
				return 1
			}
			return int(a.i) - int(b.i)
		})
		w := 0
		for q, c := range buf {
			if q > 0 && c.i == buf[q-1].i {
				continue
			}
			if w == t.k {
				break
			}
			out[r*t.k+w] = c.i
			w++
		}
		for ; w < t.k; w++ {
			out[r*t.k+w] = -1
		}
	}
	return out
}

// scanCell offers every target row to every query row (never a row to
// itself), through the tile kernel.
func scanCell(x blas32.General, queries, targets []int, slotOf func(int) int, top *topK, threads int) {
	// Gather targets contiguously so the kernel reads them in place.
	d := x.Cols
	tgt := blas32.General{Rows: len(targets), Cols: d, Stride: d, Data: make([]float32, len(targets)*d)}
	for q, i := range targets {
		copy(tgt.Data[q*d:(q+1)*d], row(x, i))
	}
	scanAgainst(x, queries, tgt, targets, slotOf, top, threads, true)
}

// targetBlock is the number of target rows kept hot in cache while every
// query strip of a chunk passes over them (a multiple of three: the kernel
// takes targets three at a time).
const targetBlock = 288

// scanAgainst offers the rows of tgt (whose indices are ids) to the query
// rows of x. With skipSelf, a query is not offered its own index.
func scanAgainst(x blas32.General, queries []int, tgt blas32.General, ids []int, slotOf func(int) int, top *topK, threads int, skipSelf bool) {
	d := x.Cols
	nt := tgt.Rows
	// Pad the targets to a multiple of three with copies of the last row;
	// padded results are ignored.
	ntri := (nt + 2) / 3
	data := tgt.Data
	if ntri*3 != nt {
		data = make([]float32, ntri*3*d)
		for q := 0; q < nt; q++ {
			copy(data[q*d:(q+1)*d], tgt.Data[q*tgt.Stride:q*tgt.Stride+d])
		}
		for q := nt; q < ntri*3; q++ {
			copy(data[q*d:(q+1)*d], data[(nt-1)*d:nt*d])
		}
	} else if tgt.Stride != d {
		data = make([]float32, nt*d)
		for q := 0; q < nt; q++ {
			copy(data[q*d:(q+1)*d], tgt.Data[q*tgt.Stride:q*tgt.Stride+d])
		}
	}
	const chunk = 256
	nchunks := (len(queries) + chunk - 1) / chunk
	parallelFor(threads, nchunks, func(_, c int) {
		qs := queries[c*chunk : min((c+1)*chunk, len(queries))]
		out := make([]float32, 12*(targetBlock/3))
		for b := 0; b < ntri*3; b += targetBlock {
			bt := min(targetBlock, ntri*3-b) / 3
			block := data[b*d:]
			for q := 0; q < len(qs); q += 4 {
				var xs [4][]float32
				var rows [4]int
				nr := min(4, len(qs)-q)
				for r := 0; r < 4; r++ {
					rows[r] = qs[q+min(r, nr-1)]
					xs[r] = row(x, rows[r])
				}
				dotStrip(&xs, block, d, bt, d, out, nil)
				for r := 0; r < nr; r++ {
					i := rows[r]
					s := slotOf(i)
					last := (i*top.slots+s)*top.k + top.k - 1
					thr := top.sim[last]
					lim := min(3*bt, nt-b)
					for j := 0; j < lim; j++ {
						v := dotAt(out, r, j)
						if v < thr {
							continue // the common case: not among the best
						}
						id := ids[b+j]
						if skipSelf && id == i {
							continue
						}
						top.offer(i, s, v, int32(id))
						thr = top.sim[last]
					}
				}
			}
		}
	})
}

// Smooth returns the rows of x each averaged with its neighbours:
// y_i = x_i + weight·mean_j x_j over the neighbours j of i (nbrs as returned
// by KNN.Search with k per row; -1 entries are skipped), scaled to unit
// length. One such step of graph smoothing pulls each point toward its
// neighbourhood, which makes clusters of short, noisy texts tighter.
func Smooth(x blas32.General, nbrs []int32, k int, weight float32) blas32.General {
	checkGeneral(x)
	n, d := x.Rows, x.Cols
	if len(nbrs) != n*k {
		panic("cluster: Smooth: neighbour list does not match the rows")
	}
	out := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, n*d)}
	parallelFor(threadCount(0), numChunks(n), func(_, c int) {
		lo, hi := chunkRange(c, n)
		for i := lo; i < hi; i++ {
			smoothRow(out.Data[i*d:(i+1)*d], x, i, nbrs[i*k:(i+1)*k], weight)
		}
	})
	return out
}

// smoothRow sets y to row i of x plus weight times the mean of its
// neighbours nb (-1 entries skipped), scaled to unit length.
func smoothRow(y []float32, x blas32.General, i int, nb []int32, weight float32) {
	copy(y, row(x, i))
	cnt := 0
	for _, j := range nb {
		if j >= 0 {
			cnt++
		}
	}
	if cnt > 0 {
		w := weight / float32(cnt)
		for _, j := range nb {
			if j < 0 {
				continue
			}
			for t, v := range row(x, int(j)) {
				y[t] += w * v
			}
		}
	}
	var s float64
	for _, v := range y {
		s += float64(v) * float64(v)
	}
	if s > 0 {
		inv := float32(1 / math.Sqrt(s))
		for t := range y {
			y[t] *= inv
		}
	}
}
