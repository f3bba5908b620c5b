package topicmap

import (
	"math/rand/v2"
	"testing"
)

func TestStaticFrame(t *testing.T) {
	// blob appends n points around (cx, cy) with standard deviation s.
	blob := func(xs, ys []float64, rng *rand.Rand, n int, cx, cy, s float64) ([]float64, []float64) {
		for range n {
			xs = append(xs, cx+s*rng.NormFloat64())
			ys = append(ys, cy+s*rng.NormFloat64())
		}
		return xs, ys
	}
	share := func(f frameBox, xs, ys []float64) float64 {
		in := 0
		for i := range xs {
			if f.contains(xs[i], ys[i]) {
				in++
			}
		}
		return float64(in) / float64(len(xs))
	}
	tests := []struct {
		name string
		// body, island, strays: points of a main blob at (0,0) s=1, a
		// second blob at (ix, iy) s=0.3, and uniform strays in ±50.
		body, island, strays int
		ix, iy               float64
		wantIsland           bool
	}{
		// A front-matter island of 3 % at 4 body widths: left out.
		{"small far island", 10000, 300, 0, 8, -8, false},
		// The same with 20 strays scattered over a 100-wide square: the
		// strays neither bridge nor stretch.
		{"small far island and strays", 10000, 300, 20, 8, -8, false},
		// A region of a third of the papers is a theme, wherever it is.
		{"large far region", 6000, 3000, 0, 8, -8, true},
		// A small island touching the body costs no area: kept.
		{"small near island", 10000, 300, 0, 3.2, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 1))
			var xs, ys []float64
			xs, ys = blob(xs, ys, rng, tt.body, 0, 0, 1)
			bx, by := xs[:tt.body:tt.body], ys[:tt.body:tt.body]
			xs, ys = blob(xs, ys, rng, tt.island, tt.ix, tt.iy, 0.3)
			ix, iy := xs[tt.body:], ys[tt.body:]
			for range tt.strays {
				xs = append(xs, rng.Float64()*100-50)
				ys = append(ys, rng.Float64()*100-50)
			}
			f := staticFrame(xs, ys)
			// The body, cut at 0.5 % per axis end, stays in: at least 98 %.
			if s := share(f, bx, by); s < 0.98 {
				t.Errorf("frame %+v holds %.3f of the main body, want ≥ 0.98", f, s)
			}
			got := share(f, ix, iy)
			// A kept region at the edge of the map loses the 0.5 % of all
			// points trimmed at that end (57 of the near island's 300).
			if tt.wantIsland && got < 0.8 {
				t.Errorf("frame %+v holds %.3f of the region at (%g, %g), want it in (≥ 0.8)", f, got, tt.ix, tt.iy)
			}
			if !tt.wantIsland && got > 0.05 {
				t.Errorf("frame %+v holds %.3f of the island at (%g, %g), want it out (≤ 0.05)", f, got, tt.ix, tt.iy)
			}
			// Strays never set the scale: the frame is at most 8 body
			// widths (8 standard deviations) plus the kept region.
			if w := f.maxX - f.minX; w > 8+max(0, tt.ix)+1 {
				t.Errorf("frame %+v is %.1f wide", f, w)
			}
		})
	}
	t.Run("few points: all of them", func(t *testing.T) {
		xs, ys := []float64{0, 1, 100}, []float64{0, 1, -100}
		f := staticFrame(xs, ys)
		if s := share(f, xs, ys); s != 1 {
			t.Errorf("frame %+v holds %.2f of 3 points, want all", f, s)
		}
	})
}
