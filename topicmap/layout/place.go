package layout

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// PlaceOptions tunes Place. The zero value means 15 neighbours.
type PlaceOptions struct {
	// Neighbors is how many laid-out papers place each new one; 0 means 15.
	Neighbors int
}

// Place puts new papers on an existing map without moving the others: each
// row of fresh goes to the mean position of its Neighbors most similar rows
// of known (cosine similarity), weighted by UMAP's membership strength
// exp(−(d − ρ)/σ) with ρ the nearest distance and σ the mean distance
// above it, so the nearest papers pull hardest. knownXY holds 2 values per
// row of known; the result holds 2 per row of fresh. This is umap-learn's
// transform without its refining epochs: cheap (one exact scan of known per
// new paper), and a paper lands inside the region of the papers it is like.
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
	near := make([]idxDist, 0, k)
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
		for _, c := range near {
			j := c.i
			w := 1.0
			if sigma > 0 {
				w = math.Exp(-(c.d - rho) / sigma)
			}
			sx += w * float64(knownXY[2*j])
			sy += w * float64(knownXY[2*j+1])
			sw += w
		}
		out[2*i], out[2*i+1] = float32(sx/sw), float32(sy/sw)
	}
	return out, nil
}
