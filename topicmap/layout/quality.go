package layout

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/internal/parallel"
)

// mapNeighbors returns the k nearest other rows of row i on the map
// (squared Euclidean distance, ties to the lower index), nearest first.
func mapNeighbors(xy []float32, i, k int, top []idxDist) []idxDist {
	n := len(xy) / 2
	top = top[:0]
	for j := 0; j < n; j++ {
		if j == i {
			continue
		}
		dx, dy := float64(xy[2*i]-xy[2*j]), float64(xy[2*i+1]-xy[2*j+1])
		top = offer(top, k, idxDist{j, dx*dx + dy*dy})
	}
	return top
}

type idxDist struct {
	i int
	d float64
}

// before orders entries by d, then by index.
func (a idxDist) before(b idxDist) bool {
	return a.d < b.d || (a.d == b.d && a.i < b.i)
}

// offer inserts c into top, the (at most k) smallest entries seen so far in
// increasing order, and returns the updated slice. Selecting the k nearest
// of n entries costs O(n) for the few that enter the list plus O(n) compares.
func offer(top []idxDist, k int, c idxDist) []idxDist {
	if len(top) == k {
		if !c.before(top[k-1]) {
			return top
		}
		top = top[:k-1]
	}
	p := len(top)
	top = append(top, c)
	for p > 0 && c.before(top[p-1]) {
		top[p] = top[p-1]
		p--
	}
	top[p] = c
	return top
}

// sampleQueries returns the rows quality figures are computed for: all of
// them up to max (or when max ≤ 0), otherwise max rows drawn with seed.
func sampleQueries(n, limit int, seed uint64) []int {
	if limit <= 0 || n <= limit {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	rng := rand.New(rand.NewPCG(seed, 0x71))
	out := rng.Perm(n)[:limit]
	slices.Sort(out)
	return out
}

// Trustworthiness returns the trustworthiness of the layout xy (2 values per
// row) at k neighbours against the rows of x compared by cosine similarity,
// as scikit-learn's sklearn.manifold.trustworthiness with metric "cosine":
//
//	T(k) = 1 − 2/(q·k·(2n − 3k − 1)) · Σᵢ Σ_{j ∈ Uᵢ} (r(i, j) − k)
//
// where Uᵢ are i's k nearest papers on the map that are not among its k
// nearest in x, and r(i, j) is j's rank among i's neighbours in x. It is 1
// when every map neighbourhood holds only true neighbours. The sum runs over
// q query rows: all n when queries ≤ 0 or n ≤ queries, else that many drawn
// with seed (the cost is O(q·n·d)).
func Trustworthiness(x blas32.General, xy []float32, k, queries int, seed uint64) (float64, error) {
	n := x.Rows
	if len(xy) != 2*n {
		return 0, fmt.Errorf("layout: trustworthiness: %d coordinates for %d rows", len(xy), n)
	}
	if k <= 0 || 2*n-3*k-1 <= 0 {
		return 0, fmt.Errorf("layout: trustworthiness: k = %d is too large for %d rows", k, n)
	}
	unit := normalizeRows(x)
	d := unit.Cols
	qs := sampleQueries(n, queries, seed)
	// One partial sum per query, added in query order: the same figure on
	// any number of goroutines.
	part := make([]float64, len(qs))
	shareQueries(len(qs), func(next func() (int, bool)) {
		dist := make([]float64, n)
		top := make([]idxDist, 0, k)
		for t, ok := next(); ok; t, ok = next() {
			i := qs[t]
			ri := unit.Data[i*d : (i+1)*d]
			for j := 0; j < n; j++ {
				dist[j] = -float64(dot(ri, unit.Data[j*d:(j+1)*d]))
			}
			for _, c := range mapNeighbors(xy, i, k, top) {
				// c's rank among i's neighbours in x: 1 + the rows
				// before it (by distance, then index), i excluded.
				j, dj := c.i, dist[c.i]
				r := 1
				for l, dl := range dist {
					if dl < dj || (dl == dj && l < j) {
						r++
					}
				}
				if l := i; dist[l] < dj || (dist[l] == dj && l < j) {
					r--
				}
				if r > k {
					part[t] += float64(r - k)
				}
			}
		}
	})
	var sum float64
	for _, p := range part {
		sum += p
	}
	q := float64(len(qs))
	return 1 - 2/(q*float64(k)*(2*float64(n)-3*float64(k)-1))*sum, nil
}

// shareQueries runs work on GOMAXPROCS goroutines (parallel.For, one item
// per goroutine); each calls next for the items 0..n-1 it takes (ok false
// when none are left), so each keeps its scratch buffers for all its items.
func shareQueries(n int, work func(next func() (int, bool))) {
	var counter atomic.Int64
	next := func() (int, bool) {
		t := int(counter.Add(1)) - 1
		return t, t < n
	}
	w := min(n, threadCount(0))
	parallel.For(w, w, func(int, int) { work(next) })
}

// LabelAgreement returns the share of each row's k nearest rows on the map
// that carry the row's own label, averaged over the rows (all of them, or
// queries rows drawn with seed as in Trustworthiness). Rows labelled "" are
// neither queried nor counted as matches.
func LabelAgreement(xy []float32, labels []string, k, queries int, seed uint64) (float64, error) {
	n := len(labels)
	if len(xy) != 2*n {
		return 0, fmt.Errorf("layout: label agreement: %d coordinates for %d labels", len(xy), n)
	}
	if k <= 0 || k >= n {
		return 0, fmt.Errorf("layout: label agreement: k = %d for %d rows", k, n)
	}
	qs := sampleQueries(n, queries, seed)
	hits, totals := make([]int, len(qs)), make([]int, len(qs))
	shareQueries(len(qs), func(next func() (int, bool)) {
		top := make([]idxDist, 0, k)
		for t, ok := next(); ok; t, ok = next() {
			i := qs[t]
			if labels[i] == "" {
				continue
			}
			for _, c := range mapNeighbors(xy, i, k, top) {
				totals[t]++
				if labels[c.i] == labels[i] {
					hits[t]++
				}
			}
		}
	})
	var hit, total int
	for t := range qs {
		hit, total = hit+hits[t], total+totals[t]
	}
	if total == 0 {
		return 0, fmt.Errorf("layout: label agreement: no labelled rows")
	}
	return float64(hit) / float64(total), nil
}
