package cluster

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// points is the data seen by the distance code: the rows of x with their squared
// norms and, in cosine geometry, the reciprocal norms. In cosine geometry every
// distance is between the unit vector x_i/‖x_i‖ and a centroid, so callers never
// need to normalise (or copy) the data.
type points struct {
	x   blas32.General
	n   int
	d   int
	xn  []float64 // ‖x_i‖², summed in float64
	inv []float64 // 1/‖x_i‖ in cosine geometry, else nil
}

// newPoints computes row norms in parallel and checks the data: a NaN or an
// infinity gives ErrNotFinite, a zero row in cosine geometry ErrZeroVector.
func newPoints(x blas32.General, spherical bool, threads int) (*points, error) {
	checkGeneral(x)
	p := &points{x: x, n: x.Rows, d: x.Cols, xn: make([]float64, x.Rows)}
	if spherical {
		p.inv = make([]float64, x.Rows)
	}
	nc := numChunks(p.n)
	bad := make([]int, nc)
	parallelFor(threads, nc, func(_, c int) {
		lo, hi := chunkRange(c, p.n)
		bad[c] = -1
		for i := lo; i < hi; i++ {
			r := row(x, i)
			s := dotF64(r, r)
			p.xn[i] = s
			if math.IsNaN(s) || math.IsInf(s, 0) {
				if bad[c] < 0 {
					bad[c] = i
				}
				continue
			}
			if spherical {
				if s == 0 {
					if bad[c] < 0 {
						bad[c] = i
					}
					continue
				}
				p.inv[i] = 1 / math.Sqrt(s)
			}
		}
	})
	for _, i := range bad {
		if i < 0 {
			continue
		}
		if s := p.xn[i]; math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("row %d: %w", i, ErrNotFinite)
		}
		return nil, fmt.Errorf("row %d: %w", i, ErrZeroVector)
	}
	return p, nil
}

// base is ‖x̃_i‖² for the point as the geometry sees it (1 in cosine geometry).
func (p *points) base(i int) float64 {
	if p.inv != nil {
		return 1
	}
	return p.xn[i]
}

// scale is the factor applied to x_i·c (1/‖x_i‖ in cosine geometry).
func (p *points) scale(i int) float64 {
	if p.inv != nil {
		return p.inv[i]
	}
	return 1
}

// centers holds k centroids padded to a multiple of three rows for the tile
// kernel, with their squared norms.
type centers struct {
	k, d, ntri int
	c          []float32 // 3·ntri rows of d values; rows k.. are zero
	cn         []float64 // ‖c_j‖²
	cnPad      []float64 // cn followed by +Inf up to 3·ntri (padding never wins)
	cmax       float64   // max_j ‖c_j‖
}

func newCenters(k, d int) *centers {
	ntri := (k + 2) / 3
	pad := make([]float64, 3*ntri)
	return &centers{k: k, d: d, ntri: ntri, c: make([]float32, 3*ntri*d), cn: pad[:k], cnPad: pad}
}

func (cs *centers) row(j int) []float32 { return cs.c[j*cs.d : (j+1)*cs.d] }

// refresh recomputes the norms after the rows changed.
func (cs *centers) refresh() {
	cs.cmax = 0
	for j := 0; j < cs.k; j++ {
		r := cs.row(j)
		cs.cn[j] = dotF64(r, r)
		cs.cmax = max(cs.cmax, math.Sqrt(cs.cn[j]))
	}
	for j := cs.k; j < len(cs.cnPad); j++ {
		cs.cnPad[j] = math.Inf(1)
	}
}

// general returns the centroids as a k×d matrix (a copy).
func (cs *centers) general() blas32.General {
	g := newGeneral(cs.k, cs.d)
	copy(g.Data, cs.c[:cs.k*cs.d])
	return g
}

func (cs *centers) copyFrom(o *centers) {
	copy(cs.c, o.c)
	copy(cs.cnPad, o.cnPad)
	cs.cmax = o.cmax
}

// kernelDepth bounds the number of rounding steps in one float32 dot product of
// length d as the tile kernel computes it.
func kernelDepth(d int) int {
	if useAVX2 {
		return d/8 + d%8 + 3
	}
	return d
}

// dotErr returns γ such that |fl(x·c) − x·c| ≤ γ‖x‖‖c‖ for the tile kernel, with
// a safety factor of two over the textbook bound (Higham, Accuracy and Stability
// of Numerical Algorithms, §3.1).
func dotErr(d int) float64 {
	const u = 1.0 / (1 << 24)
	m := float64(kernelDepth(d) + 2)
	return 2 * m * u / (1 - m*u)
}

// stripScratch is one worker's buffer for the tile kernel.
type stripScratch struct {
	out  []float32
	idx  []int
	full []int
}

func (s *stripScratch) ensure(ntri int) []float32 {
	if cap(s.out) < 12*ntri {
		s.out = make([]float32, 12*ntri)
	}
	return s.out[:12*ntri]
}

// rangeIdx fills the scratch index buffer with lo..hi-1.
func (s *stripScratch) rangeIdx(lo, hi int) []int {
	if cap(s.idx) < hi-lo {
		s.idx = make([]int, hi-lo)
	}
	idx := s.idx[:hi-lo]
	for q := range idx {
		idx[q] = lo + q
	}
	return idx
}

// forStrips runs the tile kernel on the rows idx (taken four at a time, the last
// strip padded by repeating its last row) against every centroid in cs, and
// calls fn with the rows of the strip, how many are real, and the dot products,
// read with dotAt.
func (p *points) forStrips(cs *centers, idx []int, sc *stripScratch, fn func(rows *[4]int, nr int, out []float32)) {
	out := sc.ensure(cs.ntri)
	var rows, nextRows [4]int
	var xs, next [4][]float32
	fill := func(q int, r *[4]int, v *[4][]float32) int {
		nr := min(4, len(idx)-q)
		for t := 0; t < 4; t++ {
			r[t] = idx[q+min(t, nr-1)]
			v[t] = row(p.x, r[t])
		}
		return nr
	}
	if len(idx) == 0 {
		return
	}
	nr := fill(0, &rows, &xs)
	for q := 0; q < len(idx); q += 4 {
		nnr := nr
		if q+4 < len(idx) {
			nnr = fill(q+4, &nextRows, &next)
		} else {
			next = xs
		}
		dotStrip(&xs, cs.c, cs.d, cs.ntri, cs.d, out, &next)
		fn(&rows, nr, out)
		rows, xs, nr = nextRows, next, nnr
	}
}

// dotAt reads x_{rows[r]}·c_j from a strip result.
func dotAt(out []float32, r, j int) float32 {
	return out[12*(j/3)+4*(j%3)+r]
}

// nearest finds, for every row in idx, the nearest centroid and the squared
// distances to the nearest and second nearest (+Inf when k = 1). Distances are
// ‖x‖² + (‖c‖² − 2x·c) with the dot product from the tile kernel and the rest in
// float64, each operation rounded separately (no fused multiply-add, so the Go
// and assembly argmin agree); ties go to the lower centroid index. The result
// for a row depends on nothing but that row and the centroids.
func (p *points) nearest(cs *centers, idx []int, sc *stripScratch, fn func(i, best int, d2best, d2second float64)) {
	k := cs.k
	p.forStrips(cs, idx, sc, func(rows *[4]int, nr int, out []float32) {
		if useAVX2 {
			var s2, bv, sv [4]float64
			var bj [4]int64
			for r := range s2 {
				s2[r] = 2 * p.scale(rows[r])
			}
			argmin4AVX2(&out[0], cs.ntri, &cs.cnPad[0], &s2[0], &bv[0], &sv[0], &bj[0])
			for r := 0; r < nr; r++ {
				b := p.base(rows[r])
				fn(rows[r], int(bj[r]), max(b+bv[r], 0), max(b+sv[r], 0))
			}
			return
		}
		for r := 0; r < nr; r++ {
			i := rows[r]
			s2 := 2 * p.scale(i)
			best, bv, sv := 0, math.Inf(1), math.Inf(1)
			for j := 0; j < k; j++ {
				v := cs.cn[j] - float64(s2*float64(dotAt(out, r, j)))
				if v < bv {
					best, sv, bv = j, bv, v
				} else if v < sv {
					sv = v
				}
			}
			b := p.base(i)
			fn(i, best, max(b+bv, 0), max(b+sv, 0))
		}
	})
}

// dist2 returns an accurate squared distance from row i to centroid j (products
// exact, float64 sums): used where a bound, not a tie decision, is needed.
func (p *points) dist2(cs *centers, i, j int) float64 {
	dot := dotF64(row(p.x, i), cs.row(j))
	return max(p.base(i)+cs.cn[j]-2*p.scale(i)*dot, 0)
}

// subset is a list of row indices; nil means all rows 0..n-1.
type subset []int

func (s subset) len(n int) int {
	if s == nil {
		return n
	}
	return len(s)
}

// rows returns the row indices at positions lo..hi-1.
func (s subset) rows(lo, hi int, sc *stripScratch) []int {
	if s == nil {
		return sc.rangeIdx(lo, hi)
	}
	return s[lo:hi]
}
