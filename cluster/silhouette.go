package cluster

import (
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Silhouette returns the mean silhouette coefficient (Rousseeuw 1987) of the
// labelling, over sampleSize rows drawn without replacement with seed (all rows
// when sampleSize ≤ 0 or ≥ n), as scikit-learn's silhouette_score: for each
// row, a is the mean distance to the other members of its cluster, b the
// smallest mean distance to another cluster, and s = (b − a)/max(a, b), 0 for
// a cluster of one. Clusters are those present in the sample. Distances are
// Euclidean, or 1 − cos with cosine set. It returns 0 when the sample holds
// fewer than two clusters. It panics if len(labels) != x.Rows.
func Silhouette(x blas32.General, labels []int, sampleSize int, seed uint64, cosine bool) float64 {
	m, _ := silhouette(x, labels, sampleSize, seed, cosine, threadCount(0))
	return m
}

// silhouette returns the mean and the standard error of the mean.
func silhouette(x blas32.General, labels []int, sampleSize int, seed uint64, cosine bool, threads int) (mean, stderr float64) {
	checkGeneral(x)
	n, d := x.Rows, x.Cols
	if len(labels) != n {
		panic("cluster: Silhouette label count mismatch")
	}
	idx := silhouetteSample(n, sampleSize, seed)
	m := len(idx)
	lab := make([]int, m)
	for q, i := range idx {
		lab[q] = labels[i]
	}
	lab, nl := relabel(lab)
	if nl < 2 || nl == m {
		return 0, 0
	}
	// The sample, gathered densely, serves both as points and as "centroids".
	s := newGeneral(m, d)
	for q, i := range idx {
		copy(row(s, q), row(x, i))
	}
	p := loosePoints(s, false, threads)
	cs := newCenters(m, d)
	copy(cs.c, s.Data)
	cs.refresh()
	size := make([]float64, nl)
	for _, l := range lab {
		size[l]++
	}
	// Each pair is computed once: range s handles the pairs (i, j > i) for its
	// rows i, adding the distance to row i's sums (rowAcc, owned by the range)
	// and to row j's (colAcc[s][class of i][j], one array per range). The ranges split the
	// triangle into nearly equal work and depend on m only, and their arrays are
	// combined in range order, so the result does not depend on the threads.
	ns := min(8, max(m/256, 1))
	bounds := make([]int, ns+1)
	for q := 1; q < ns; q++ {
		// Row where the cumulative work i·m − i²/2 reaches q/ns of the total.
		f := float64(q) / float64(ns)
		bounds[q] = int(float64(m) * (1 - math.Sqrt(1-f)))
	}
	bounds[ns] = m
	rowAcc := make([]float64, m*nl)
	colAcc := make([]float64, ns*m*nl)
	scr := make([]stripScratch, threads)
	invn := make([]float64, m) // 1/‖x_j‖ for the cosine distance
	for j, v := range p.xn {
		if v > 0 {
			invn[j] = 1 / math.Sqrt(v)
		}
	}
	parallelFor(threads, ns, func(w, q int) {
		lo, hi := bounds[q], bounds[q+1]
		col := colAcc[q*m*nl : (q+1)*m*nl]
		sc := &scr[w]
		var rows [4][]float32
		for i0 := lo; i0 < hi; i0 += 4 {
			nr := min(4, hi-i0)
			for r := range rows {
				rows[r] = row(s, i0+min(r, nr-1))
			}
			t0 := i0 / 3
			out := sc.ensure(cs.ntri - t0)
			dotStrip(&rows, cs.c[3*t0*d:], d, cs.ntri-t0, d, out, nil)
			for r := 0; r < nr; r++ {
				i := i0 + r
				a := rowAcc[i*nl : (i+1)*nl]
				cl := col[lab[i]*m : (lab[i]+1)*m] // row i's class, for every j
				if cosine {
					ni := invn[i]
					for j := i + 1; j < m; j++ {
						v := 1 - float64(dotAt(out, r, j-3*t0))*ni*invn[j]
						a[lab[j]] += v
						cl[j] += v
					}
					continue
				}
				xi := p.xn[i]
				for j := i + 1; j < m; j++ {
					v := math.Sqrt(max(xi+p.xn[j]-2*float64(dotAt(out, r, j-3*t0)), 0))
					a[lab[j]] += v
					cl[j] += v
				}
			}
		}
	})
	sil := make([]float64, m)
	for i := 0; i < m; i++ {
		a := rowAcc[i*nl : (i+1)*nl]
		for q := 0; q < ns; q++ {
			col := colAcc[q*m*nl : (q+1)*m*nl]
			for l := range a {
				a[l] += col[l*m+i]
			}
		}
		own := lab[i]
		if size[own] == 1 {
			continue
		}
		ai := a[own] / (size[own] - 1)
		bi := math.Inf(1)
		for l, v := range a {
			if l != own {
				bi = min(bi, v/size[l])
			}
		}
		if den := max(ai, bi); den > 0 {
			sil[i] = (bi - ai) / den
		}
	}
	for _, v := range sil {
		mean += v
	}
	mean /= float64(m)
	for _, v := range sil {
		stderr += (v - mean) * (v - mean)
	}
	stderr = math.Sqrt(stderr/float64(max(m-1, 1))) / math.Sqrt(float64(m))
	return mean, stderr
}

// silhouetteSample returns the rows Silhouette looks at: sampleSize of the
// n rows drawn without replacement with seed, in the order drawn (all rows,
// in order, when sampleSize ≤ 0 or ≥ n).
func silhouetteSample(n, sampleSize int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if sampleSize > 0 && sampleSize < n {
		rng := newRand(seed, 0x5117)
		for q := 0; q < sampleSize; q++ {
			r := q + rng.IntN(n-q)
			idx[q], idx[r] = idx[r], idx[q]
		}
		idx = idx[:sampleSize]
	}
	return idx
}
