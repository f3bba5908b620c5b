package ann

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// BatchOptions tunes the batch build (CodeOptions.Batch). The zero value
// gives the defaults stated on each field, measured on the 1M corpus's
// real 384-dim embeddings (bench/RESULTS.md, "The index build in batch").
type BatchOptions struct {
	// Lists is the number of partition lists a node joins (those of its
	// nearest pivots). The default is 4.
	Lists int
	// PerPivot is the number of nodes per pivot: the lists hold about
	// Lists·PerPivot nodes each. The default is 500.
	PerPivot int
	// K is the number of nearest nodes a node keeps from each of its
	// lists. The default is 32.
	K int
	// Alpha relaxes the neighbour heuristic of the bottom layer as
	// Vamana's RobustPrune does (S. Jayaram Subramanya et al., "DiskANN:
	// fast accurate billion-point nearest neighbor search on a single
	// node", NeurIPS 2019): a candidate c is turned down only when a kept
	// neighbour k is nearer it than Alpha times its distance to the node,
	// α·‖c−k‖ ≤ ‖c−q‖, which keeps some longer links. Over unit vectors
	// (similarities s) that is s(c,k) > 1 − (1 − s(q,c))/α². 1 is HNSW's
	// own heuristic. The default is 1.2.
	Alpha float64
	// Keep is the number of candidates a node keeps from all its lists
	// together (the best, each node once), which its neighbours are
	// picked from. The default is 64.
	Keep int
	// From is the smallest Build of an empty index done in batch;
	// smaller ones insert node by node. The default is 50,000 (where
	// a store starts to use its index, DefaultIndexThreshold in
	// vectorstore).
	From int
}

// Defaults of BatchOptions.
const (
	DefaultBatchLists    = 4
	DefaultBatchPerPivot = 500
	DefaultBatchK        = 32
	DefaultBatchKeep     = 64
	DefaultBatchAlpha    = 1.2
	DefaultBatchFrom     = 50_000
)

func (b BatchOptions) withDefaults() BatchOptions {
	if b.Lists <= 0 {
		b.Lists = DefaultBatchLists
	}
	if b.PerPivot <= 0 {
		b.PerPivot = DefaultBatchPerPivot
	}
	if b.K <= 0 {
		b.K = DefaultBatchK
	}
	if b.Alpha <= 0 {
		b.Alpha = DefaultBatchAlpha
	}
	if b.Keep <= 0 {
		b.Keep = DefaultBatchKeep
	}
	if b.From <= 0 {
		b.From = DefaultBatchFrom
	}
	return b
}

// batchProbe is the number of coarse groups a node's pivots are looked
// for in, per list it joins.
const batchProbe = 3

// batchMaxList bounds a list searched whole, in units of the average
// list (Lists·PerPivot nodes).
const batchMaxList = 8

// batchTile is the number of codes of a list scored together (96 KB of
// 384-dim codes).
const batchTile = 256

// BuildsInBatch reports whether Build(n, ·) would build in batch: the
// index is empty, set for it (CodeOptions.Batch) and n is at least
// BatchOptions.From.
// A caller that builds in slices (to check a context, or save progress,
// in between) builds such an index in one Build instead: a batch build is
// not split.
func (x *Index) BuildsInBatch(n int) bool {
	return len(x.level) == 0 && x.batch != nil && n >= x.batch.From
}

// buildBatch builds the graph of nodes 0..n-1 of an empty index over its
// codes without walking it for each node: an insertion's walk reads
// thousands of codes at random places, and a build node by node is bound
// by those reads (bench/RESULTS.md, "The index build at 1M × 384":
// prefetch stalls are its largest item). Instead:
//
//  1. The upper layers: the nodes drawn to a layer above the bottom one
//     (1/M of them) are inserted as usual, on their upper layers only.
//  2. A partition: n/PerPivot pivots drawn from the seed; each node joins
//     the lists of its Lists nearest pivots (found through √P coarse pivots).
//  3. The exact K nearest of each node within each of its lists,
//     over the codes of the list copied side by side (they stay in the
//     CPU's caches while the list is scored).
//  4. Each node's M neighbours picked from its best Keep candidates by
//     the neighbour heuristic (Malkov & Yashunin's Algorithm 4, relaxed
//     by Alpha as Vamana's), then its bottom list: the heuristic again
//     over those and the nodes that picked it (the reverse edges an
//     insertion adds), up to 2M.
//
// Steps 2-3 give an approximate k-nearest-neighbour graph by exact
// search within overlapping partitions, as Wang et al. do with random
// partition trees ("Scalable k-NN graph construction for visual
// descriptors", CVPR 2012) and SPTAG after them; step 4 turns it into a
// navigable graph as NSG and Vamana do (Fu et al., "Fast approximate
// nearest neighbor search with the navigating spreading-out graph", VLDB
// 2019), with HNSW's heuristic and layers. The result is an ordinary graph:
// the same file format, searched and extended by Add as any other.
//
// It returns early when x.stop (BuildContext's) reports true: the index is
// then not usable.
func (x *Index) buildBatch(n, workers int) {
	codes, cqs := x.codes, x.cqs
	dim := x.qz.Dim()
	x.skeleton(n, workers)
	if x.stopped() {
		return
	}

	// 2. The partition.
	rng := rand.New(rand.NewPCG(x.seed, 0x6261746368))
	np := max(2, n/x.batch.PerPivot)
	pivots := make([]int32, np)
	for i, p := range rng.Perm(n)[:np] {
		pivots[i] = int32(p)
	}
	// A node's nearest pivots are looked for among those of its
	// batchProbe·Lists nearest coarse pivots' groups, the codes of each
	// group side by side.
	nc := max(1, int(math.Sqrt(float64(np))))
	group := make([][]int32, nc) // pivots (their indices) by their nearest coarse pivot
	coarseRows := make([]byte, 0, nc*dim)
	for _, p := range pivots[:nc] {
		coarseRows = append(coarseRows, codes.Code(p)...)
	}
	{
		var q rowQuery
		sims := make([]float32, nc)
		for i, p := range pivots {
			cqs.prepareRows(&q, codes.Code(p))
			q.simRows(coarseRows, dim, sims)
			best := 0
			for c, v := range sims {
				if v > sims[best] {
					best = c
				}
			}
			group[best] = append(group[best], int32(i))
		}
	}
	groupRows := make([][]byte, nc)
	for c, g := range group {
		for _, i := range g {
			groupRows[c] = append(groupRows[c], codes.Code(pivots[i])...)
		}
	}
	nl := x.batch.Lists
	probe := min(nc, batchProbe*nl)
	piv := make([]int32, nl*n) // per node its nl lists (pivot indices), -1 for none
	parallelFor(n, workers, func(node int, s *searcher) {
		if cap(s.rqs) == 0 {
			s.rqs = make([]rowQuery, 1)
		}
		q := &s.rqs[0]
		cqs.prepareRows(q, codes.Code(int32(node)))
		sims := slices.Grow(s.sims[:0], max(nc, np/nc*4))[:nc]
		q.simRows(coarseRows, dim, sims)
		top := s.sel[:0]
		for c, v := range sims {
			top = keepBest(top, Result{Node: int32(c), Sim: v}, probe)
		}
		best := s.shrink[:0]
		for _, c := range top {
			g := group[c.Node]
			gs := slices.Grow(sims[:0], len(g))[:len(g)]
			q.simRows(groupRows[c.Node], dim, gs)
			for j, v := range gs {
				best = keepBest(best, Result{Node: g[j], Sim: v}, nl)
			}
			sims = gs
		}
		sortDesc(best)
		for i := range nl {
			piv[nl*node+i] = -1
		}
		for i, r := range best {
			piv[nl*node+i] = r.Node
		}
		s.sel, s.shrink, s.sims = top, best, sims
	}, x)
	start := make([]int32, np+1)
	for _, p := range piv {
		if p >= 0 {
			start[p+1]++
		}
	}
	for p := range np {
		start[p+1] += start[p]
	}
	members := make([]int32, start[np])
	fill := slices.Clone(start[:np])
	for i, p := range piv {
		if p >= 0 {
			members[fill[p]] = int32(i / nl)
			fill[p]++
		}
	}

	if x.stopped() {
		return
	}
	// 3. The nearest within each list, the largest lists first.
	k, keep := x.batch.K, x.batch.Keep
	cand := make([]Result, n*keep) // per node, best first
	candN := make([]uint16, n)
	if x.locks == nil {
		x.locks = make([]sync.Mutex, nLocks)
	}
	// A list longer than batchMaxList (many nodes with one vector, say)
	// is cut into parts searched apart, so that no list costs the
	// square of a large share of the nodes.
	maxList := batchMaxList * nl * x.batch.PerPivot
	type part struct{ lo, hi int32 }
	var parts []part
	for p := range np {
		lo, hi := start[p], start[p+1]
		for c := int32(0); c < (hi-lo+int32(maxList)-1)/int32(maxList); c++ {
			n := (hi - lo + int32(maxList) - 1) / int32(maxList)
			parts = append(parts, part{lo + (hi-lo)*c/n, lo + (hi-lo)*(c+1)/n})
		}
	}
	slices.SortStableFunc(parts, func(a, b part) int { return int(b.hi-b.lo) - int(a.hi-a.lo) })
	parallelFor(len(parts), workers, func(i int, s *searcher) {
		mem := members[parts[i].lo:parts[i].hi]
		for _, m := range mem[:min(len(mem), 64)] {
			prefetchBytes(codes.Code(m))
		}
		rows := s.rows[:0]
		for i, m := range mem {
			if i+64 < len(mem) {
				prefetchBytes(codes.Code(mem[i+64]))
			}
			rows = append(rows, codes.Code(m)...)
		}
		s.rows = rows
		// Each pair once: a's prepared query scores every later member,
		// and the score counts for both (the decodings' dot product).
		nm := len(mem)
		heaps := slices.Grow(s.res[:0], nm*k)[:nm*k]
		hn := slices.Grow(s.hn[:0], nm)[:nm]
		clear(hn)
		s.hn = hn
		// thr[a] is the score a pair must beat to enter a's heap (its
		// worst once full), in an array small enough for the L1 cache.
		thr := slices.Grow(s.thr[:0], nm)[:nm]
		for a := range thr {
			thr[a] = float32(math.Inf(-1))
		}
		s.thr = thr
		push := func(a int, r Result) {
			h := heaps[a*k : a*k+int(hn[a])]
			if len(h) < k {
				h = heapPush(h, r, false)
				hn[a]++
				if len(h) < k {
					return
				}
			} else {
				replaceMin(h, r)
			}
			thr[a] = h[0].Sim
		}
		// The pairs by tiles of batchTile codes, so that the codes
		// scored, and their heaps, stay in the CPU's L2 cache while every
		// earlier member's query passes over them.
		sims := slices.Grow(s.sims[:0], batchTile)[:min(nm, batchTile)]
		s.sims = sims
		if cap(s.rqs) < nm {
			s.rqs = make([]rowQuery, nm)
		}
		qs := s.rqs[:nm]
		for a := range nm {
			cqs.prepareRows(&qs[a], rows[a*dim:(a+1)*dim])
		}
		for t0 := 0; t0 < nm; t0 += batchTile {
			t1 := min(nm, t0+batchTile)
			for a := 0; a < t1-1; a++ {
				lo := max(a+1, t0)
				rest := sims[:t1-lo]
				qs[a].simRows(rows[lo*dim:], dim, rest)
				for i, sim := range rest {
					b := lo + i
					if sim > thr[a] {
						push(a, Result{Node: mem[b], Sim: sim})
					}
					if sim > thr[b] {
						push(b, Result{Node: mem[a], Sim: sim})
					}
				}
			}
		}
		for a, node := range mem {
			mu := &x.locks[int(node)&(nLocks-1)]
			mu.Lock()
			c := cand[int(node)*keep : int(node)*keep+keep]
			s.keep = mergeBest(s.keep, c[:candN[node]], heaps[a*k:a*k+int(hn[a])], keep)
			candN[node] = uint16(copy(c, s.keep))
			mu.Unlock()
		}
		s.res = heaps
	}, x)

	if x.stopped() {
		return
	}
	if a := x.batch.Alpha; a != 1 {
		x.pruneInv = float32(1 / (a * a))
		defer func() { x.pruneInv = 0 }()
	}
	// 4. Each node's M neighbours from its candidates...
	m := x.m
	out := make([]Result, n*m)
	outN := make([]int32, n)
	parallelFor(n, workers, func(node int, s *searcher) {
		nb := x.selectOnCodes(cand[node*keep:node*keep+int(candN[node])], m, s)
		outN[node] = int32(copy(out[node*m:], nb))
	}, x)
	cand, candN = nil, nil
	if x.stopped() {
		return
	}
	// ... and the nodes that picked it: its bottom list.
	inStart := make([]int32, n+1)
	for node := range n {
		for _, r := range out[node*m : node*m+int(outN[node])] {
			inStart[r.Node+1]++
		}
	}
	for i := range n {
		inStart[i+1] += inStart[i]
	}
	in := make([]Result, inStart[n])
	at := slices.Clone(inStart[:n])
	for node := range n {
		for _, r := range out[node*m : node*m+int(outN[node])] {
			in[at[r.Node]] = Result{Node: int32(node), Sim: r.Sim}
			at[r.Node]++
		}
	}
	parallelFor(n, workers, func(node int, s *searcher) {
		c := mergeBest(s.keep, out[node*m:node*m+int(outN[node])], in[inStart[node]:inStart[node+1]], math.MaxInt)
		nb := x.selectOnCodes(c, x.m0, s)
		cnt, slots := x.list(int32(node), 0)
		for i, r := range nb {
			slots[i] = r.Node
		}
		*cnt = int32(len(nb))
		s.keep = c
	}, x)
}

// skeleton inserts the nodes of 0..n-1 drawn to an upper layer, on their
// upper layers only (step 1 of buildBatch); with none, node 0 is the
// entry.
func (x *Index) skeleton(n, workers int) {
	var up []int32
	for node := range n {
		if x.level[node] > 0 {
			up = append(up, int32(node))
		}
	}
	if len(up) == 0 {
		x.entry, x.top = 0, 0
		return
	}
	s := x.searcher()
	head := min(len(up), 8*workers)
	for _, node := range up[:head] {
		x.insertDown(s, node, 1)
	}
	x.pool.Put(s)
	if workers > 1 {
		x.parallel = true
		if x.locks == nil {
			x.locks = make([]sync.Mutex, nLocks)
		}
	}
	rest := up[head:]
	parallelFor(len(rest), workers, func(i int, s *searcher) { x.insertDown(s, rest[i], 1) }, x)
	x.parallel = false
}

// parallelFor calls fn(i, s) for i in 0..n-1 on the given number of
// goroutines, each with its own searcher, taking i in chunks; it stops
// taking them when x.stopped().
func parallelFor(n, workers int, fn func(i int, s *searcher), x *Index) {
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			s := x.searcher()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n || x.stopped() {
					break
				}
				for i := lo; i < min(n, lo+chunk); i++ {
					fn(i, s)
				}
			}
			x.pool.Put(s)
		})
	}
	wg.Wait()
}

// keepBest adds r to best, which keeps the k most similar (unsorted).
func keepBest(best []Result, r Result, k int) []Result {
	if len(best) < k {
		return append(best, r)
	}
	worst := 0
	for i := range best {
		if best[i].Sim < best[worst].Sim {
			worst = i
		}
	}
	if r.Sim > best[worst].Sim {
		best[worst] = r
	}
	return best
}

// mergeBest returns in buf the best keep of dst (distinct nodes) and src
// (distinct nodes), best first, each node once with its highest
// similarity (a pair scored in two lists may differ in the last bits).
func mergeBest(buf, dst, src []Result, keep int) []Result {
	buf = append(buf[:0], dst...)
	nd := len(buf)
	for _, r := range src {
		dup := false
		for i := range buf[:nd] {
			if buf[i].Node == r.Node {
				buf[i].Sim = max(buf[i].Sim, r.Sim)
				dup = true
				break
			}
		}
		if !dup {
			buf = append(buf, r)
		}
	}
	sortDesc(buf)
	return buf[:min(len(buf), keep)]
}

// replaceMin replaces the root of h, a min-heap on Sim, with r and
// restores the heap (heapPop then heapPush in one sift).
func replaceMin(h []Result, r Result) {
	h[0] = r
	for i := 0; ; {
		m, l, rr := i, 2*i+1, 2*i+2
		if l < len(h) && h[l].Sim < h[m].Sim {
			m = l
		}
		if rr < len(h) && h[rr].Sim < h[m].Sim {
			m = rr
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// stopped reports whether BuildContext's context is done.
func (x *Index) stopped() bool { return x.stop != nil && x.stop() }

// BuildContext is Build, except that a build in batch (BuildsInBatch)
// returns ctx's error soon after ctx is done, within a fraction of a
// second: the index is then not usable, and is to be built again. Other
// builds are not interrupted (a caller that must stop them builds in
// slices).
func (x *Index) BuildContext(ctx context.Context, n int, workers int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !x.BuildsInBatch(n) {
		x.Build(n, workers)
		return nil
	}
	x.stop = func() bool { return ctx.Err() != nil }
	defer func() { x.stop = nil }()
	x.Build(n, workers)
	return ctx.Err()
}
