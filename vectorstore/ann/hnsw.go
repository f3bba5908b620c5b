package ann

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// Vectors gives the index the vector of each node. The index never copies
// vectors: Vec(node) must return the same dim values for as long as the
// node is in the index (a store may keep them in a memory-mapped file).
type Vectors interface {
	Vec(node int32) []float32
}

// Options tunes an index. The zero value gives the defaults stated on each
// field.
type Options struct {
	// M is the number of neighbours a node keeps on the layers above the
	// bottom one; the bottom layer keeps 2M. The default is 16.
	M int
	// EfConstruction is the size of the candidate list when a node is
	// inserted. The default is 100.
	EfConstruction int
	// Seed draws the nodes' layers. The same seed, vectors and order of
	// insertion give the same graph when the build is sequential (see
	// Build).
	Seed uint64
}

// Defaults of Options.
const (
	DefaultM              = 16
	DefaultEfConstruction = 100
)

// maxLevel caps a node's layer (a layer above 15 has probability 16^-16).
const maxLevel = 15

// Result is a node found by Search and its similarity (dot product) with
// the query.
type Result struct {
	Node int32
	Sim  float32
}

// Index is an HNSW graph over nodes 0..Len()-1.
//
// Search may run concurrently with other Searches; Add and Delete must
// not run concurrently with anything else (the caller serialises them).
type Index struct {
	vecs         Vectors
	m, m0        int
	efC          int
	seed         uint64
	ml           float64
	l0           []int32 // node·(m0+1): count, then up to m0 neighbours
	up           []int32 // the lists of layers ≥ 1, node after node
	upOff        []int32 // per node: its lists in up, layer l ≥ 1 at upOff+(l-1)·(m+1)
	level        []uint8
	deleted      []uint64 // bitset
	nDeleted     int
	entry        int32 // -1 when empty
	top          int   // layer of entry
	pool         sync.Pool
	parallel     bool         // Build's workers are running: lock lists
	locks        []sync.Mutex // striped by node while parallel
	gmu          sync.Mutex   // entry and top while parallel
	qz           *Quantizer   // with codes: Search walks over them (UseCodes)
	codes        Codes
	rerank       int
	buildOnCodes bool
	cqs          *codeQueries  // with buildOnCodes: the heuristic's
	batch        *BatchOptions // with buildOnCodes: CodeOptions.Batch, defaults set
	stop         func() bool   // BuildContext's, during a batch build
	pruneInv     float32       // 1/α² of the batch build's heuristic (BatchOptions.Alpha), 0 for HNSW's
	lazy         *lazyLists    // LoadFlatLazy's checks, which a walk over codes asks for itself
}

const nLocks = 1 << 12

// New returns an empty index over vecs.
func New(vecs Vectors, opts Options) *Index {
	m := opts.M
	if m <= 0 {
		m = DefaultM
	}
	if m > 255 {
		panic("ann: M above 255")
	}
	efC := opts.EfConstruction
	if efC <= 0 {
		efC = DefaultEfConstruction
	}
	return &Index{vecs: vecs, m: m, m0: 2 * m, efC: max(efC, m), seed: opts.Seed,
		ml: 1 / math.Log(float64(m)), entry: -1}
}

// M returns the graph's degree (Options.M; the bottom layer keeps 2M).
func (x *Index) M() int { return x.m }

// Len returns the number of nodes, deleted ones included.
func (x *Index) Len() int { return len(x.level) }

// Deleted returns the number of nodes marked deleted.
func (x *Index) Deleted() int { return x.nDeleted }

// IsDeleted reports whether node is marked deleted.
func (x *Index) IsDeleted(node int32) bool { return x.deleted[node>>6]&(1<<(node&63)) != 0 }

// Delete marks node deleted: it still routes searches but is never
// returned. It is idempotent.
func (x *Index) Delete(node int32) {
	if !x.IsDeleted(node) {
		x.deleted[node>>6] |= 1 << (node & 63)
		x.nDeleted++
	}
}

// levelOf draws node's layer from the seed and the node alone (so that a
// parallel build draws the same layers as a sequential one): the
// exponentially decaying distribution of Malkov & Yashunin, with
// normalisation 1/ln M.
func (x *Index) levelOf(node int32) int {
	z := x.seed ^ (uint64(node)+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := (float64(z>>11) + 0.5) / (1 << 53) // in (0, 1)
	return min(int(-math.Log(u)*x.ml), maxLevel)
}

// grow adds room for nodes up to n-1, with their layers drawn.
func (x *Index) grow(n int) {
	for node := len(x.level); node < n; node++ {
		lv := x.levelOf(int32(node))
		x.level = append(x.level, uint8(lv))
		x.upOff = append(x.upOff, int32(len(x.up)))
		x.up = append(x.up, make([]int32, lv*(x.m+1))...)
	}
	if need := n * (x.m0 + 1); need > len(x.l0) {
		x.l0 = slices.Grow(x.l0, need-len(x.l0))[:need]
	}
	for len(x.deleted)*64 < n {
		x.deleted = append(x.deleted, 0)
	}
}

// list returns the neighbour list of node on layer l: its count cell and
// its slots.
func (x *Index) list(node int32, l int) (cnt *int32, slots []int32) {
	if l == 0 {
		b := int(node) * (x.m0 + 1)
		return &x.l0[b], x.l0[b+1 : b+1+x.m0]
	}
	b := int(x.upOff[node]) + (l-1)*(x.m+1)
	return &x.up[b], x.up[b+1 : b+1+x.m]
}

// neighbours copies node's list on layer l into buf.
func (x *Index) neighbours(node int32, l int, buf []int32) []int32 {
	if x.parallel {
		mu := &x.locks[int(node)&(nLocks-1)]
		mu.Lock()
		defer mu.Unlock()
	}
	cnt, slots := x.list(node, l)
	return append(buf[:0], slots[:*cnt]...)
}

// Add inserts node, whose vector vecs.Vec(node) must be ready. Nodes are
// added in increasing order without gaps: node must be Len().
func (x *Index) Add(node int32) {
	if int(node) != len(x.level) {
		panic("ann: Add of a node out of order")
	}
	x.grow(int(node) + 1)
	s := x.searcher()
	x.insert(s, node)
	x.pool.Put(s)
}

// Build inserts nodes Len()..n-1 with the given number of goroutines (0:
// GOMAXPROCS). With more than one the graph depends on the scheduling (its
// quality does not); with one it depends only on the seed and the vectors.
func (x *Index) Build(n int, workers int) {
	first := len(x.level)
	if n <= first {
		return
	}
	batch := x.BuildsInBatch(n)
	x.grow(n)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if batch {
		x.buildBatch(n, workers) // batch.go
		return
	}
	// A few nodes one by one, so that the workers start from a graph.
	next := first
	s := x.searcher()
	for ; next < n && (next < first+min(1000, 8*workers) || workers == 1); next++ {
		x.insert(s, int32(next))
	}
	x.pool.Put(s)
	if next == n {
		return
	}
	x.parallel = true
	if x.locks == nil {
		x.locks = make([]sync.Mutex, nLocks)
	}
	// Each worker takes the next node of its own share of the order, and
	// then of the others' shares from their ends: workers that took
	// consecutive nodes of a grouped order (localOrder) would insert
	// neighbours of each other at the same time and wait for each
	// other's locks.
	order := x.localOrder(next, n, workers)
	parts := make([]struct {
		mu     sync.Mutex
		lo, hi int
	}, workers)
	for w := range parts {
		parts[w].lo, parts[w].hi = w*len(order)/workers, (w+1)*len(order)/workers
	}
	take := func(p int, own bool) (int32, bool) {
		pt := &parts[p]
		pt.mu.Lock()
		defer pt.mu.Unlock()
		if pt.lo == pt.hi {
			return 0, false
		}
		if own {
			pt.lo++
			return order[pt.lo-1], true
		}
		pt.hi--
		return order[pt.hi], true
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := x.searcher()
			for k := range workers {
				p := (w + k) % workers
				for {
					node, ok := take(p, k == 0)
					if !ok {
						break
					}
					x.insert(s, node)
				}
			}
			x.pool.Put(s)
		})
	}
	wg.Wait()
	x.parallel = false
}

// Locality of the build's insertions (localOrder). Variables for the
// tests.
var (
	localWindow = 1 << 14 // nodes reordered together
	localGroup  = 256     // nodes per pivot, on average
	localFrom   = 1 << 14 // nodes in the graph before any reordering
)

// localOrder returns nodes lo..n-1 in the order Build inserts them with
// more than one worker (one inserts them in node order, so that its
// graph depends only on the seed and the vectors). When
// the build walks over codes and the graph already has localFrom nodes,
// each window of localWindow nodes is grouped by the nearest of
// window/localGroup pivots drawn from it (scored over the codes), so
// that consecutive insertions walk the same part of the graph and find
// its lists and codes still in the CPU's caches, instead of a random
// part of a graph much larger than the caches. The windows stay in node
// order: across them the insertion order is the nodes' own.
func (x *Index) localOrder(lo, n, workers int) []int32 {
	out := make([]int32, 0, n-lo)
	for w := lo; w < n; {
		hi := min(n, w+localWindow)
		if !x.buildOnCodes || w < localFrom || hi-w < 4*localGroup {
			for i := w; i < hi; i++ {
				out = append(out, int32(i))
			}
			w = hi
			continue
		}
		out = x.groupByPivot(out, w, hi, workers)
		w = hi
	}
	return out
}

// groupByPivot appends nodes lo..hi-1 to out, grouped by their nearest
// pivot.
func (x *Index) groupByPivot(out []int32, lo, hi, workers int) []int32 {
	np := (hi - lo) / localGroup
	pq := make([]codedQuery, np)
	for p := range pq {
		// Pivots drawn from the seed, not evenly spaced: nodes whose
		// order follows a pattern (sources interleaved) would alias.
		z := (x.seed + uint64(lo+p) + 1) * 0x9e3779b97f4a7c15
		z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9
		z ^= z >> 29
		x.cqs.prepare(&pq[p], x.codes.Code(int32(lo+int(z%uint64(hi-lo)))))
	}
	near := make([]int32, hi-lo)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			for i := lo + k; i < hi; i += workers {
				c := x.codes.Code(int32(i))
				best, bs := 0, float32(math.Inf(-1))
				for p := range pq {
					if v := pq[p].sim(c); v > bs {
						best, bs = p, v
					}
				}
				near[i-lo] = int32(best)
			}
		})
	}
	wg.Wait()
	start := make([]int, np+1)
	for _, p := range near {
		start[p+1]++
	}
	for p := range np {
		start[p+1] += start[p]
	}
	base := len(out)
	out = out[:base+hi-lo]
	for i, p := range near {
		out[base+start[p]] = int32(lo + i)
		start[p]++
	}
	return out
}

// insert links node into the graph (Algorithm 1 of Malkov & Yashunin).
func (x *Index) insert(s *searcher, node int32) { x.insertDown(s, node, 0) }

// insertDown is insert on layers low and above only.
func (x *Index) insertDown(s *searcher, node int32, low int) {
	q := x.vecs.Vec(node)
	lv := int(x.level[node])
	if x.parallel {
		x.gmu.Lock()
	}
	entry, top := x.entry, x.top
	if entry < 0 {
		x.entry, x.top = node, lv
		if x.parallel {
			x.gmu.Unlock()
		}
		return
	}
	// A node that raises the top layer holds gmu throughout, so that no
	// other node enters the graph through it before it is linked.
	raises := lv > top
	if x.parallel && !raises {
		x.gmu.Unlock()
	}
	// With codes the walk scores them, and its candidates are scored
	// again from their vectors before the heuristic picks among them.
	var cq *codedQuery
	if x.codes != nil && x.buildOnCodes {
		cq = &s.cq
		x.qz.prepare(cq, q)
	}
	ep := Result{Node: entry, Sim: x.score(q, cq, entry)}
	for l := top; l > lv; l-- {
		ep = x.greedy(s, q, cq, ep, l)
	}
	eps := []Result{ep}
	for l := min(lv, top); l >= low; l-- {
		w := x.searchLayer(s, q, cq, eps, x.efC, l, nil)
		if cq != nil {
			x.rescore(s, q, w)
		}
		keep := x.m
		nb := append(s.keep[:0], x.selectNeighbours(q, w, keep, s)...)
		s.keep = nb
		x.setList(node, l, nb)
		maxN := x.m
		if l == 0 {
			maxN = x.m0
		}
		for _, e := range nb {
			x.link(e.Node, node, e.Sim, l, maxN, s)
		}
		eps = append(eps[:0], w...)
	}
	if raises {
		x.entry, x.top = node, lv
		if x.parallel {
			x.gmu.Unlock()
		}
	}
}

// setList sets node's list on layer l.
func (x *Index) setList(node int32, l int, nb []Result) {
	if x.parallel {
		mu := &x.locks[int(node)&(nLocks-1)]
		mu.Lock()
		defer mu.Unlock()
	}
	cnt, slots := x.list(node, l)
	for i, r := range nb {
		slots[i] = r.Node
	}
	*cnt = int32(len(nb))
}

// link adds node to e's list on layer l, shrinking the list by the
// heuristic when it is full.
func (x *Index) link(e, node int32, sim float32, l, maxN int, s *searcher) {
	if x.parallel {
		mu := &x.locks[int(e)&(nLocks-1)]
		mu.Lock()
		defer mu.Unlock()
	}
	cnt, slots := x.list(e, l)
	n := int(*cnt)
	if slices.Contains(slots[:n], node) {
		return
	}
	if n < maxN {
		slots[n] = node
		*cnt = int32(n + 1)
		return
	}
	ev := x.vecs.Vec(e)
	cand := s.shrink[:0]
	cand = append(cand, Result{Node: node, Sim: sim})
	if x.buildOnCodes {
		// e's neighbours scored over their codes (6 cache lines each at
		// 384 dimensions, where their vectors take 24), as FAISS's
		// IndexHNSWSQ builds.
		x.qz.prepare(&s.eq, ev)
		for _, o := range slots[:n] {
			prefetchBytes(x.codes.Code(o))
		}
		for _, o := range slots[:n] {
			cand = append(cand, Result{Node: o, Sim: s.eq.sim(x.codes.Code(o))})
		}
	} else {
		s.vs = s.vs[:0]
		for _, o := range slots[:n] {
			v := x.vecs.Vec(o)
			prefetch(v)
			s.vs = append(s.vs, v)
		}
		for i, o := range slots[:n] {
			cand = append(cand, Result{Node: o, Sim: dot(ev, s.vs[i])})
		}
	}
	sortDesc(cand)
	nb := x.selectNeighbours(ev, cand, maxN, s)
	for i, r := range nb {
		slots[i] = r.Node
	}
	*cnt = int32(len(nb))
	s.shrink = cand
}

// selectNeighbours keeps up to m of the candidates (sorted best first)
// by the heuristic of Algorithm 4: a candidate is kept when it is closer
// to q than to every neighbour kept before it, so that the links spread
// in all directions instead of crowding into the nearest cluster.
//
// When the build walks over codes, a candidate's similarity with each
// kept neighbour is scored over the candidate's code against the kept
// one's decoded code, prepared as a query (selectOnCodes): the heuristic
// then reads no vector at all, and each comparison is one pass of the
// code kernel (FAISS's IndexHNSWSQ builds its graph entirely over codes
// the same way).
func (x *Index) selectNeighbours(q []float32, cand []Result, m int, s *searcher) []Result {
	if x.buildOnCodes {
		return x.selectOnCodes(cand, m, s)
	}
	out := s.sel[:0]
	for _, c := range cand {
		if len(out) == m {
			break
		}
		cv := x.vecs.Vec(c.Node)
		ok := true
		for _, r := range out {
			if dot(cv, x.vecs.Vec(r.Node)) > c.Sim {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	s.sel = out
	return out
}

// selectOnCodes is selectNeighbours over the codes. A kept neighbour is
// prepared as a query when a later candidate is first compared with it:
// most candidates are turned down by one of the first neighbours kept, so
// the last ones kept are often never compared with anything.
func (x *Index) selectOnCodes(cand []Result, m int, s *searcher) []Result {
	for _, c := range cand {
		prefetchBytes(x.codes.Code(c.Node))
	}
	out := s.sel[:0]
	ready := 0
	for _, c := range cand {
		if len(out) == m {
			break
		}
		code := x.codes.Code(c.Node)
		ok := true
		bar := c.Sim // HNSW's heuristic, or Vamana's with α (pruneInv)
		if x.pruneInv != 0 {
			bar = 1 - (1-c.Sim)*x.pruneInv
		}
		for i := range out {
			if i == ready {
				if len(s.kq) == i {
					s.kq = append(s.kq, codedQuery{})
				}
				x.cqs.prepare(&s.kq[i], x.codes.Code(out[i].Node))
				ready++
			}
			if s.kq[i].sim(code) > bar {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	s.sel = out
	return out
}

// score returns the similarity of q with node: over its code when cq is
// not nil (q prepared for the codes), else over its vector.
func (x *Index) score(q []float32, cq *codedQuery, node int32) float32 {
	if cq != nil {
		x.gate(node)
		return cq.sim(x.codes.Code(node))
	}
	return dot(q, x.vecs.Vec(node))
}

// gate checks node's chunk of lists in a graph loaded by LoadFlatLazy
// before a walk over codes reads them: such a walk does not ask for the
// node's vector, where the check otherwise happens (lazyLists.Vec).
func (x *Index) gate(node int32) {
	if x.lazy != nil {
		x.lazy.ensure(node)
	}
}

// greedy walks layer l from ep to the node most similar to q (scored as
// by score).
func (x *Index) greedy(s *searcher, q []float32, cq *codedQuery, ep Result, l int) Result {
	for changed := true; changed; {
		changed = false
		s.nb = x.neighbours(ep.Node, l, s.nb)
		for _, o := range s.nb {
			if sim := x.score(q, cq, o); sim > ep.Sim {
				ep, changed = Result{Node: o, Sim: sim}, true
			}
		}
	}
	return ep
}

// Search returns up to k nodes most similar to q, best first, found with
// a candidate list of ef (raised to k). Deleted nodes and, when accept is
// not nil, nodes it refuses route the search but are not returned.
//
// With codes (UseCodes), the walk scores the codes, and the best
// max(k, rerank) nodes it finds are scored again from their vectors and
// put in that order: those results carry exact similarities, any later
// ones (k above rerank) the codes' approximate ones, in the codes' order.
func (x *Index) Search(q []float32, k, ef int, accept func(int32) bool) []Result {
	if x.entry < 0 || k <= 0 {
		return nil
	}
	s := x.searcher()
	defer x.pool.Put(s)
	var cq *codedQuery
	if x.codes != nil {
		cq = &s.cq
		x.qz.prepare(cq, q)
	}
	ep := Result{Node: x.entry, Sim: x.score(q, cq, x.entry)}
	for l := x.top; l > 0; l-- {
		ep = x.greedy(s, q, cq, ep, l)
	}
	filter := accept
	if x.nDeleted > 0 {
		filter = func(n int32) bool { return !x.IsDeleted(n) && (accept == nil || accept(n)) }
	}
	w := x.searchLayer(s, q, cq, []Result{ep}, max(ef, k), 0, filter)
	if cq != nil {
		x.rescore(s, q, w[:min(len(w), max(k, x.rerank))])
	}
	return slices.Clone(w[:min(k, len(w))])
}

// rescore scores r again from the vectors and sorts it.
func (x *Index) rescore(s *searcher, q []float32, r []Result) {
	s.vs = s.vs[:0]
	for _, c := range r {
		v := x.vecs.Vec(c.Node)
		prefetch(v)
		s.vs = append(s.vs, v)
	}
	for i := range r {
		r[i].Sim = dot(q, s.vs[i])
	}
	sortDesc(r)
}

// CodeOptions tunes the use of codes (UseCodes). The zero value gives the
// defaults stated on each field.
type CodeOptions struct {
	// Rerank is how many of the best nodes of a Search's walk over the
	// codes are scored again from their vectors (at least k). The
	// default is DefaultRerank.
	Rerank int
	// Build makes Build and Add walk over the codes too (the candidates
	// of a new node are then scored again from their vectors before the
	// neighbour heuristic picks among them). By default they walk over
	// the vectors.
	Build bool
	// Batch, with Build, makes a Build of an empty index of
	// BatchOptions.From nodes or more construct the bottom layer in batch (see
	// BatchOptions) instead of node by node. Later Builds and Adds insert
	// as usual. By default (nil) every Build inserts node by node.
	Batch *BatchOptions
}

// DefaultRerank is the default of CodeOptions.Rerank.
const DefaultRerank = 64

// UseCodes makes Search walk the graph over 8-bit codes instead of the
// vectors, then score again the best max(k, opts.Rerank) nodes from their
// vectors. codes.Code(node) must give qz's code of node's vector for
// every node, those added later included (before their Add).
// UseCodes(nil, nil, CodeOptions{}) goes back to the vectors. Like Add, it
// must not run concurrently with anything else.
func (x *Index) UseCodes(qz *Quantizer, codes Codes, opts CodeOptions) {
	if (qz == nil) != (codes == nil) {
		panic("ann: UseCodes with a quantizer and no codes, or codes and no quantizer")
	}
	if opts.Rerank <= 0 {
		opts.Rerank = DefaultRerank
	}
	x.qz, x.codes, x.rerank, x.buildOnCodes = qz, codes, opts.Rerank, opts.Build && codes != nil
	x.cqs, x.batch = nil, nil
	if x.buildOnCodes {
		x.cqs = newCodeQueries(qz)
		if opts.Batch != nil {
			b := opts.Batch.withDefaults()
			x.batch = &b
		}
	}
}

// searchLayer is Algorithm 2: the ef nodes of layer l most similar to q
// reachable from eps, best first. Nodes refused by accept are visited but
// not kept. The result lives in s until its next use.
func (x *Index) searchLayer(s *searcher, q []float32, cq *codedQuery, eps []Result, ef, l int, accept func(int32) bool) []Result {
	s.next()
	cand := s.cand[:0] // max-heap on Sim
	res := s.res[:0]   // min-heap on Sim, at most ef
	for _, e := range eps {
		s.visit(e.Node)
		cand = heapPush(cand, e, true)
		if accept == nil || accept(e.Node) {
			res = heapPush(res, e, false)
		}
	}
	for len(cand) > 0 {
		c := cand[0]
		if len(res) >= ef && c.Sim < res[0].Sim {
			break
		}
		cand = heapPop(cand, true)
		if l == 0 && len(cand) > 0 {
			// The next candidate's list, while this one's neighbours
			// are scored (hnswlib does the same).
			b := int(cand[0].Node) * (x.m0 + 1)
			prefetchList(x.l0[b : b+x.m0+1])
		}
		s.nb = x.neighbours(c.Node, l, s.nb)
		s.vs, s.cs = s.vs[:0], s.cs[:0]
		fresh := s.nb[:0] // the unvisited neighbours, in place
		for _, o := range s.nb {
			if !s.visited(o) {
				s.visit(o)
				fresh = append(fresh, o)
				if cq != nil {
					x.gate(o)
					c := x.codes.Code(o)
					prefetchBytes(c)
					s.cs = append(s.cs, c)
				} else {
					v := x.vecs.Vec(o)
					prefetch(v)
					s.vs = append(s.vs, v)
				}
			}
		}
		for i, o := range fresh {
			var sim float32
			if cq != nil {
				sim = cq.sim(s.cs[i])
			} else {
				sim = dot(q, s.vs[i])
			}
			if len(res) < ef || sim > res[0].Sim {
				cand = heapPush(cand, Result{Node: o, Sim: sim}, true)
				if accept == nil || accept(o) {
					res = heapPush(res, Result{Node: o, Sim: sim}, false)
					if len(res) > ef {
						res = heapPop(res, false)
					}
				}
			}
		}
	}
	s.cand = cand
	sortDesc(res)
	s.res = res
	return res
}

// sortDesc sorts by decreasing similarity, ties by node.
func sortDesc(r []Result) {
	slices.SortFunc(r, func(a, b Result) int {
		switch {
		case a.Sim > b.Sim:
			return -1
		case a.Sim < b.Sim:
			return 1
		}
		return int(a.Node) - int(b.Node)
	})
}

// heapPush adds r to h, a max-heap on Sim when max, else a min-heap.
func heapPush(h []Result, r Result, max bool) []Result {
	h = append(h, r)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if (h[i].Sim > h[p].Sim) != max || h[i].Sim == h[p].Sim {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// heapPop removes the root of h.
func heapPop(h []Result, max bool) []Result {
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && (h[l].Sim > h[m].Sim) == max && h[l].Sim != h[m].Sim {
			m = l
		}
		if r < len(h) && (h[r].Sim > h[m].Sim) == max && h[r].Sim != h[m].Sim {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return h
}

// searcher is the scratch space of one search: the visited marks (a
// bitset, with the words set since the last search, so that clearing them
// costs what the search touched) and the heaps. A bitset of a million
// nodes takes 125 KB, which fits the CPU's L2 cache, where a 32-bit mark
// per node took 4 MB (the gain was not measurable on the loaded machine
// of 2026-12-06: bench/RESULTS.md, "search at 1M").
type searcher struct {
	mark    []uint64
	touched []int32 // words of mark that are not zero
	cand    []Result
	res     []Result
	nb      []int32
	sel     []Result
	keep    []Result
	shrink  []Result
	vs      [][]float32
	cs      [][]byte
	cq      codedQuery
	eq      codedQuery   // link's node, over codes
	kq      []codedQuery // selectOnCodes's kept neighbours
	rqs     []rowQuery   // the batch build's, per member of a list (batch.go)
	rows    []byte       // the batch build's codes of a list
	hn      []int32      // the batch build's heap sizes
	thr     []float32    // the batch build's heap thresholds
	sims    []float32    // the batch build's scores of a tile
}

func (x *Index) searcher() *searcher {
	s, _ := x.pool.Get().(*searcher)
	if s == nil {
		s = &searcher{}
	}
	if n := (len(x.level) + 63) / 64; len(s.mark) < n {
		s.mark = slices.Grow(s.mark, n-len(s.mark))[:n]
	}
	return s
}

func (s *searcher) next() {
	for _, w := range s.touched {
		s.mark[w] = 0
	}
	s.touched = s.touched[:0]
}

func (s *searcher) visit(n int32) {
	w := n >> 6
	if s.mark[w] == 0 {
		s.touched = append(s.touched, w)
	}
	s.mark[w] |= 1 << (n & 63)
}

func (s *searcher) visited(n int32) bool { return s.mark[n>>6]&(1<<(n&63)) != 0 }

// Bytes returns the memory the graph takes (its lists, layers and marks;
// not the vectors, which it does not hold).
func (x *Index) Bytes() int64 {
	return int64(len(x.l0))*4 + int64(len(x.level)) + int64(len(x.deleted))*8 + int64(len(x.up))*4 + int64(len(x.upOff))*4
}
