package cluster

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// looseCenters copies centroids into the kernel layout, normalising them in
// cosine geometry (a zero centroid stays zero).
func looseCenters(c blas32.General, spherical bool) *centers {
	checkGeneral(c)
	cs := newCenters(c.Rows, c.Cols)
	for j := 0; j < c.Rows; j++ {
		dst := cs.row(j)
		copy(dst, row(c, j))
		if spherical {
			if s := dotF64(dst, dst); s > 0 {
				f := 1 / math.Sqrt(s)
				for t, v := range dst {
					dst[t] = float32(float64(v) * f)
				}
			}
		}
	}
	cs.refresh()
	return cs
}

// loosePoints is newPoints without the checks: a zero row in cosine geometry
// gets scale 0 (cosine 0 with every centroid).
func loosePoints(x blas32.General, spherical bool, threads int) *points {
	checkGeneral(x)
	p := &points{x: x, n: x.Rows, d: x.Cols, xn: make([]float64, x.Rows)}
	if spherical {
		p.inv = make([]float64, x.Rows)
	}
	parallelFor(threads, numChunks(p.n), func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		for i := lo; i < hi; i++ {
			r := row(x, i)
			p.xn[i] = dotF64(r, r)
			if spherical && p.xn[i] > 0 {
				p.inv[i] = 1 / math.Sqrt(p.xn[i])
			}
		}
	})
	return p
}

// distTo returns the accurate distance from row i to centroid j as the geometry
// reports it: ‖x_i − c_j‖² (Euclidean) or 1 − cos(x_i, c_j) (cosine).
func (p *points) distTo(cs *centers, i, j int) float64 {
	if p.inv != nil {
		if cs.cn[j] == 0 {
			return 1
		}
		return 1 - dotF64(row(p.x, i), cs.row(j))*p.inv[i]/math.Sqrt(cs.cn[j])
	}
	return p.dist2(cs, i, j)
}

// Assign returns, for every row of x, the nearest centroid (ties to the lower
// index) and its distance: the squared Euclidean distance, or 1 − cos in cosine
// geometry (spherical), so that the distances sum to the inertia. Centroids need
// not be normalised. A zero row in cosine geometry is at distance 1 from every
// centroid. It panics if the column counts differ or there are no centroids.
func Assign(x, centroids blas32.General, spherical bool) (labels []int, dist []float32) {
	return assign(x, centroids, spherical, threadCount(0))
}

// assign is Assign on at most threads goroutines (the result does not
// depend on their number).
func assign(x, centroids blas32.General, spherical bool, threads int) (labels []int, dist []float32) {
	checkGeneral(x)
	if centroids.Rows == 0 || centroids.Cols != x.Cols {
		panic("cluster: Assign shape mismatch")
	}
	p := loosePoints(x, spherical, threads)
	cs := looseCenters(centroids, spherical)
	labels = make([]int, p.n)
	nearestAll(p, cs, nil, threads, make([]stripScratch, threads), labels, nil)
	dist = make([]float32, p.n)
	parallelFor(threads, numChunks(p.n), func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		for i := lo; i < hi; i++ {
			dist[i] = float32(p.distTo(cs, i, labels[i]))
		}
	})
	return labels, dist
}

// Representatives returns, for every cluster j < centroids.Rows, the indices of
// at most n of its members nearest its centroid, nearest first (ties to the
// lower index). Distances are as in Assign. Rows with a negative label are
// ignored; a label ≥ centroids.Rows panics, as does a length mismatch.
func Representatives(x blas32.General, labels []int, centroids blas32.General, n int, spherical bool) [][]int {
	checkGeneral(x)
	if len(labels) != x.Rows || centroids.Cols != x.Cols {
		panic("cluster: Representatives shape mismatch")
	}
	cs := looseCenters(centroids, spherical)
	dist := make([]float64, x.Rows)
	memberDistances(x, labels, cs, spherical, dist)
	return nearestMembers(labels, dist, centroids.Rows, n)
}

// memberDistances sets dist[i] to row i's distance to the centroid of its
// label (as Assign measures it), for the rows with a label ≥ 0. A label
// beyond the centroids panics.
func memberDistances(x blas32.General, labels []int, cs *centers, spherical bool, dist []float64) {
	k := cs.k
	p := loosePoints(x, spherical, threadCount(0))
	parallelFor(threadCount(0), numChunks(p.n), func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		for i := lo; i < hi; i++ {
			if a := labels[i]; a >= 0 {
				if a >= k {
					panic("cluster: label out of range")
				}
				dist[i] = p.distTo(cs, i, a)
			}
		}
	})
}

// nearestMembers returns, for each of the k labels, at most n of its rows
// with the smallest dist, smallest first (ties to the lower row).
func nearestMembers(labels []int, dist []float64, k, n int) [][]int {
	members := make([][]int, k)
	for i, a := range labels {
		if a >= 0 {
			members[a] = append(members[a], i)
		}
	}
	out := make([][]int, k)
	for j, m := range members {
		slices.SortStableFunc(m, func(a, b int) int {
			switch {
			case dist[a] < dist[b]:
				return -1
			case dist[a] > dist[b]:
				return 1
			}
			return 0
		})
		out[j] = slices.Clip(m[:min(n, len(m))])
	}
	return out
}
