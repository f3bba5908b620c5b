package layout

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"
)

// PlaceOptions tunes Place. The zero value is the documented default of
// each field.
type PlaceOptions struct {
	// Neighbors is how many laid-out papers place each new one; 0 means 15.
	Neighbors int
	// Epochs is the number of refining passes of each new paper after its
	// start at the weighted mean; 0 means 30 (umap-learn's transform uses
	// a third of the layout's epochs, 30 or more), a negative value none.
	Epochs int
	// Seed seeds the negative samples of the refining passes.
	Seed uint64
}

// Place puts new papers on an existing map without moving the others: each
// row of fresh goes to the mean position of its Neighbors most similar rows
// of known (cosine similarity), weighted by UMAP's membership strength
// exp(−(d − ρ)/σ) with ρ the nearest distance and σ the mean distance
// above it, so the nearest papers pull hardest; then, as umap-learn's
// transform, Epochs passes of the layout's optimisation move the new paper
// alone (its neighbours pull it in proportion to their strength, random
// laid-out papers push it away, from a learning rate of 1/4 falling to 0),
// so that it settles where the papers it is like settled rather than at
// their mean. knownXY holds 2 values per row of known; the result holds 2
// per row of fresh. The cost is one exact scan of known per new paper.
func Place(known blas32.General, knownXY []float32, fresh blas32.General, opts PlaceOptions) ([]float32, error) {
	if len(knownXY) != 2*known.Rows {
		return nil, fmt.Errorf("layout: place: %d coordinates for %d laid-out rows", len(knownXY), known.Rows)
	}
	if fresh.Rows > 0 && known.Rows == 0 {
		return nil, fmt.Errorf("layout: place: no laid-out rows to place %d new ones by", fresh.Rows)
	}
	if fresh.Rows > 0 && fresh.Cols != known.Cols {
		return nil, fmt.Errorf("layout: place: new rows have %d dimensions, laid-out rows %d", fresh.Cols, known.Cols)
	}
	if err := checkFinite(fresh); err != nil {
		return nil, err
	}
	k := opts.Neighbors
	if k <= 0 {
		k = 15
	}
	k = min(k, known.Rows)
	ku, fu := normalizeRows(known), normalizeRows(fresh)
	d := ku.Cols
	out := make([]float32, 2*fresh.Rows)
	epochs := opts.Epochs
	if epochs == 0 {
		epochs = 30
	}
	def := Options{}.withDefaults(known.Rows)
	negRate, l := def.NegativeRate, lossOf(def)
	near := make([]idxDist, 0, k)
	w := make([]float64, k)
	for i := 0; i < fresh.Rows; i++ {
		ri := fu.Data[i*d : (i+1)*d]
		near = near[:0]
		for j := 0; j < known.Rows; j++ {
			near = offer(near, k, idxDist{j, 1 - float64(dot(ri, ku.Data[j*d:(j+1)*d]))})
		}
		rho := near[0].d
		var spread float64
		for _, c := range near {
			spread += c.d - rho
		}
		sigma := spread / float64(len(near))
		var sx, sy, sw float64
		for t, c := range near {
			j := c.i
			w[t] = 1
			if sigma > 0 {
				w[t] = math.Exp(-(c.d - rho) / sigma)
			}
			sx += w[t] * float64(knownXY[2*j])
			sy += w[t] * float64(knownXY[2*j+1])
			sw += w[t]
		}
		cx, cy := float32(sx/sw), float32(sy/sw)
		if epochs > 0 {
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(i)))
			cx, cy = settle(cx, cy, near, w[:len(near)], knownXY, epochs, negRate, l, rng)
		}
		out[2*i], out[2*i+1] = cx, cy
	}
	return out, nil
}

// settle runs epochs passes of the layout's gradient steps on one new point
// at (cx, cy) against fixed laid-out points: each neighbour near[t] is
// sampled in proportion to its strength w[t] (every epoch for the
// strongest) and pulls the point, negRate random points per sample push it
// (umap-learn's optimize_layout_euclidean with move_other off). The pull is
// doubled as in optimize, where a laid-out paper is pulled from both ends
// of its edges: with a single pull, twins of laid-out papers settled 1.3×
// farther from their originals than the weighted mean put them, with the
// double pull 0.45× as far (TestPlaceTwinSettlesByOriginal).
func settle(cx, cy float32, near []idxDist, w []float64, knownXY []float32, epochs, negRate int, l loss, rng *rand.Rand) (float32, float32) {
	var maxW float64
	for _, v := range w {
		maxW = max(maxW, v)
	}
	n := len(knownXY) / 2
	next := make([]float64, len(near))
	for ep := 0; ep < epochs; ep++ {
		alpha := float32(0.25 * (1 - float64(ep)/float64(epochs)))
		for t, c := range near {
			if w[t] < maxW/float64(epochs) || next[t] > float64(ep) {
				continue
			}
			next[t] += maxW / w[t]
			dx, dy := cx-knownXY[2*c.i], cy-knownXY[2*c.i+1]
			if d2 := float64(dx*dx + dy*dy); d2 > 0 {
				coef := float32(l.attract(d2))
				cx += 2 * clip(coef*dx) * alpha
				cy += 2 * clip(coef*dy) * alpha
			}
			for p := 0; p < negRate; p++ {
				o := rng.IntN(n)
				dx, dy := cx-knownXY[2*o], cy-knownXY[2*o+1]
				d2 := float64(dx*dx + dy*dy)
				if d2 <= 0 {
					continue // the point's own twin: no direction to push
				}
				coef := float32(l.repel(d2))
				cx += clip(coef*dx) * alpha
				cy += clip(coef*dy) * alpha
			}
		}
	}
	return cx, cy
}
