package cluster

import (
	"math"
	"slices"
)

// contingency counts how often each (true class, predicted cluster) pair occurs.
// Labels are arbitrary integers; classes are numbered in increasing label order.
type contingency struct {
	n      int
	a, b   []int // class sizes, cluster sizes
	nc, nk int
	// n_ij, dense (dense[i*nk+j]) when nc·nk ≤ denseCells, else the
	// nonzero ones in cells.
	dense []int
	cells map[[2]int]int
}

// denseCells is the largest contingency table kept as a dense array (a
// variable for the tests of the other path).
var denseCells = 1 << 20

// each calls f for every nonzero n_ij, by class then cluster.
func (c *contingency) each(f func(i, j, nij int)) {
	if c.dense != nil {
		for q, v := range c.dense {
			if v != 0 {
				f(q/c.nk, q%c.nk, v)
			}
		}
		return
	}
	keys := make([][2]int, 0, len(c.cells))
	for k := range c.cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int) int {
		if x[0] != y[0] {
			return x[0] - y[0]
		}
		return x[1] - y[1]
	})
	for _, k := range keys {
		f(k[0], k[1], c.cells[k])
	}
}

func newContingency(truth, pred []int) *contingency {
	if len(truth) != len(pred) {
		panic("cluster: label slices of different lengths")
	}
	ti, tn := relabel(truth)
	pi, pn := relabel(pred)
	c := &contingency{n: len(truth), a: make([]int, tn), b: make([]int, pn), nc: tn, nk: pn}
	if tn*pn <= denseCells {
		c.dense = make([]int, tn*pn)
	} else {
		c.cells = map[[2]int]int{}
	}
	for i := range ti {
		c.a[ti[i]]++
		c.b[pi[i]]++
		if c.dense != nil {
			c.dense[ti[i]*pn+pi[i]]++
		} else {
			c.cells[[2]int{ti[i], pi[i]}]++
		}
	}
	return c
}

// relabel maps labels to 0..m-1 in increasing label order.
func relabel(l []int) ([]int, int) {
	u := slices.Clone(l)
	slices.Sort(u)
	u = slices.Compact(u)
	out := make([]int, len(l))
	for i, v := range l {
		out[i], _ = slices.BinarySearch(u, v)
	}
	return out, len(u)
}

func entropy(sizes []int, n int) float64 {
	h := 0.0
	for _, s := range sizes {
		if s > 0 {
			p := float64(s) / float64(n)
			h -= p * math.Log(p)
		}
	}
	return max(h, 0)
}

// mutualInfo is I(C;K) in nats, summed over cells in a fixed order.
func (c *contingency) mutualInfo() float64 {
	n := float64(c.n)
	mi := 0.0
	c.each(func(i, j, v int) {
		nij := float64(v)
		mi += nij / n * math.Log(n*nij/(float64(c.a[i])*float64(c.b[j])))
	})
	return max(mi, 0)
}

// VMeasure returns homogeneity (each cluster holds one class), completeness
// (each class sits in one cluster) and their harmonic mean, the V-measure
// (Rosenberg and Hirschberg 2007), as scikit-learn's
// homogeneity_completeness_v_measure computes them. Labels are arbitrary
// integers. It panics if the slices differ in length.
func VMeasure(truth, pred []int) (homogeneity, completeness, v float64) {
	if len(truth) != len(pred) {
		panic("cluster: label slices of different lengths")
	}
	if len(truth) == 0 {
		return 1, 1, 1
	}
	c := newContingency(truth, pred)
	hc, hk := entropy(c.a, c.n), entropy(c.b, c.n)
	mi := c.mutualInfo()
	homogeneity, completeness = 1, 1
	if hc != 0 {
		homogeneity = mi / hc
	}
	if hk != 0 {
		completeness = mi / hk
	}
	if homogeneity+completeness == 0 {
		return homogeneity, completeness, 0
	}
	return homogeneity, completeness, 2 * homogeneity * completeness / (homogeneity + completeness)
}

// NMI is the normalised mutual information with the arithmetic mean of the two
// entropies as normaliser (scikit-learn's normalized_mutual_info_score default);
// for this normaliser it equals the V-measure.
func NMI(truth, pred []int) float64 {
	c := newContingency(truth, pred)
	if c.nc == c.nk && c.nc <= 1 {
		return 1
	}
	mi := c.mutualInfo()
	if mi == 0 {
		return 0
	}
	h := (entropy(c.a, c.n) + entropy(c.b, c.n)) / 2
	return mi / h
}

// ARI is the adjusted Rand index (Hubert and Arabie 1985), computed from the
// pair confusion matrix as scikit-learn's adjusted_rand_score does: 1 for
// identical partitions, about 0 for independent ones, and negative below chance.
func ARI(truth, pred []int) float64 {
	c := newContingency(truth, pred)
	n := float64(c.n)
	sq := 0.0
	c.each(func(_, _, v int) { sq += float64(v) * float64(v) })
	sa, sb := 0.0, 0.0
	for _, v := range c.a {
		sa += float64(v) * float64(v)
	}
	for _, v := range c.b {
		sb += float64(v) * float64(v)
	}
	tp := sq - n
	fp := sb - sq
	fn := sa - sq
	tn := n*n - fp - fn - sq
	if fn == 0 && fp == 0 {
		return 1
	}
	return 2 * (tp*tn - fn*fp) / ((tp+fn)*(fn+tn) + (tp+fp)*(fp+tn))
}
