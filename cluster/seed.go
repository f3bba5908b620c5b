package cluster

import (
	"math"
	"math/rand/v2"
)

// newRand returns the generator for one stream of random choices: the same seed
// and stream give the same sequence on every machine.
func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream^0x9e3779b97f4a7c15))
}

// setPoint stores row i of the data as centroid j (normalised in cosine geometry).
func (p *points) setPoint(cs *centers, j, i int) {
	dst := cs.row(j)
	copy(dst, row(p.x, i))
	if p.inv != nil {
		s := float32(p.inv[i])
		for t := range dst {
			dst[t] *= s
		}
	}
}

// seedPlusPlus chooses k initial centroids for each of len(rngs) independent
// runs by greedy k-means++ (Arthur and Vassilvitskii 2007, with the greedy local
// trials scikit-learn uses: 2+⌊ln k⌋ candidates drawn in proportion to D², keeping
// the one that lowers the potential most; ties to the earlier candidate). Run r
// draws only from rngs[r], so its result does not depend on the other runs.
//
// Each step of k-means++ reads the whole data set for a handful of distances, so
// it is bound by memory bandwidth; the runs advance in lockstep, sharing each pass
// over the data.
func seedPlusPlus(p *points, k int, rngs []*rand.Rand, threads int, scr []stripScratch) []*centers {
	n, runs := p.n, len(rngs)
	trials := 2 + int(math.Log(float64(k)))
	out := make([]*centers, runs)
	for r := range out {
		out[r] = newCenters(k, p.d)
	}
	cand := newCenters(runs*trials, p.d)
	nc := numChunks(n)
	// Distances are kept as float32: ample for sampling, half the memory.
	closest := make([]float32, runs*n)
	dc := make([]float32, runs*trials*n)
	pots := make([]float64, nc*runs*trials)
	chunkSum := make([]float64, runs*nc)
	pot := make([]float64, runs)

	// pass computes, for every candidate u (run u/w), dc[u*n+q] = min(closest,
	// d²(q, u)) (or, when first, closest itself from candidate r of run r) and
	// the per-chunk potentials.
	pass := func(w int, first bool) {
		nu := runs * w
		parallelFor(threads, nc, func(wk, c int) {
			lo, hi := chunkRange(c, n)
			pc := pots[c*runs*trials : c*runs*trials+nu]
			clear(pc)
			sc := &scr[wk]
			p.forStrips(cand, sc.rangeIdx(lo, hi), sc, func(rows *[4]int, nr int, o []float32) {
				for r := 0; r < nr; r++ {
					i := rows[r]
					b, s2 := p.base(i), 2*p.scale(i)
					for run := 0; run < runs; run++ {
						cl := &closest[run*n+i]
						for t := 0; t < w; t++ {
							u := run*w + t
							d2 := float32(max(b+(cand.cn[u]-float64(s2*float64(dotAt(o, r, u)))), 0))
							if first {
								*cl = d2
							} else {
								d2 = min(d2, *cl)
								dc[u*n+i] = d2
							}
							pc[u] += float64(d2)
						}
					}
				}
			})
		})
	}

	// sample draws a row of run r with probability proportional to closest.
	sample := func(r int) int {
		rng := rngs[r]
		cl := closest[r*n : (r+1)*n]
		cs := chunkSum[r*nc : (r+1)*nc]
		if !(pot[r] > 0) {
			return rng.IntN(n)
		}
		x := rng.Float64() * pot[r]
		last := -1
		for c := 0; c < nc; c++ {
			if cs[c] > 0 {
				last = c
			}
			if x < cs[c] {
				lo, hi := chunkRange(c, n)
				lastq := -1
				for q := lo; q < hi; q++ {
					v := float64(cl[q])
					if v > 0 {
						lastq = q
					}
					if x < v {
						return q
					}
					x -= v
				}
				if lastq >= 0 {
					return lastq
				}
			}
			x -= cs[c]
		}
		// Rounding carried x past the end: the last row with weight.
		lo, hi := chunkRange(last, n)
		for q := hi - 1; q >= lo; q-- {
			if cl[q] > 0 {
				return q
			}
		}
		return n - 1
	}

	cand.k = runs
	for r := range rngs {
		first := rngs[r].IntN(n)
		p.setPoint(out[r], 0, first)
		p.setPoint(cand, r, first)
	}
	cand.refresh()
	pass(1, true)
	for r := 0; r < runs; r++ {
		pot[r] = 0
		for c := 0; c < nc; c++ {
			chunkSum[r*nc+c] = pots[c*runs*trials+r]
			pot[r] += chunkSum[r*nc+c]
		}
	}
	cand.k = runs * trials
	for j := 1; j < k; j++ {
		for r := 0; r < runs; r++ {
			for t := 0; t < trials; t++ {
				p.setPoint(cand, r*trials+t, sample(r))
			}
		}
		cand.refresh()
		pass(trials, false)
		for r := 0; r < runs; r++ {
			best, bestPot := 0, math.Inf(1)
			for t := 0; t < trials; t++ {
				u := r*trials + t
				s := 0.0
				for c := 0; c < nc; c++ {
					s += pots[c*runs*trials+u]
				}
				if s < bestPot {
					best, bestPot = t, s
				}
			}
			u := r*trials + best
			copy(closest[r*n:(r+1)*n], dc[u*n:(u+1)*n])
			for c := 0; c < nc; c++ {
				chunkSum[r*nc+c] = pots[c*runs*trials+u]
			}
			pot[r] = bestPot
			copy(out[r].row(j), cand.row(u))
		}
	}
	for _, cs := range out {
		cs.refresh()
	}
	return out
}
