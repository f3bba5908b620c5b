package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randRows(rng *rand.Rand, n, d int) []float32 {
	v := make([]float32, n*d)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func TestDotStrip(t *testing.T) {
	for _, d := range []int{1, 7, 8, 9, 16, 33, 384} {
		rng := rand.New(rand.NewPCG(1, uint64(d)))
		x := randRows(rng, 4, d)
		const ntri = 3
		c := randRows(rng, 3*ntri, d+5) // stride larger than d
		var rows [4][]float32
		for r := range rows {
			rows[r] = x[r*d : r*d+d]
		}
		out := make([]float32, 12*ntri)
		dotStrip(&rows, c, d+5, ntri, d, out, nil)
		for tr := 0; tr < ntri; tr++ {
			for r := 0; r < 4; r++ {
				for j := 0; j < 3; j++ {
					want := dotF64(rows[r], c[(3*tr+j)*(d+5):(3*tr+j)*(d+5)+d])
					got := dotAt(out, r, 3*tr+j)
					if math.Abs(float64(got)-want) > 1e-5*float64(d) {
						t.Fatalf("d=%d t=%d r=%d j=%d: got %v want %v", d, tr, r, j, got, want)
					}
					// The same product in another tile position must be bit-identical.
					var perm [4][]float32
					for q := range perm {
						perm[q] = rows[(r+1)%4]
					}
					perm[3-r] = rows[r]
					one := make([]float32, 12)
					row := c[(3*tr+j)*(d+5) : (3*tr+j)*(d+5)+d]
					c3 := append(append(append([]float32{}, row...), row...), row...)
					dotStrip(&perm, c3, d, 1, d, one, &rows)
					if dotAt(one, 3-r, 0) != got {
						t.Fatalf("d=%d: tile position changed the result: %v vs %v", d, dotAt(one, 3-r, 0), got)
					}
				}
			}
		}
	}
}

func BenchmarkDotStrip(b *testing.B) {
	const n, d, k = 4096, 384, 51
	rng := rand.New(rand.NewPCG(1, 2))
	x := randRows(rng, n, d)
	c := randRows(rng, k, d)
	out := make([]float32, 12*k/3)
	b.SetBytes(0)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		rows := [4][]float32{x[0:], x[d:], x[2*d:], x[3*d:]}
		for i := 0; i < n; i += 4 {
			next := rows
			if i+4 < n {
				next = [4][]float32{x[(i+4)*d:], x[(i+5)*d:], x[(i+6)*d:], x[(i+7)*d:]}
			}
			dotStrip(&rows, c, d, k/3, d, out, &next)
			rows = next
		}
	}
	b.ReportMetric(float64(2*n*d*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func TestTransposeCentered(t *testing.T) {
	for _, tc := range []struct{ n, d, lo, hi int }{
		{300, 384, 0, 256}, {300, 21, 256, 300}, {40, 5, 3, 30}, {20, 16, 0, 17},
	} {
		rng := rand.New(rand.NewPCG(2, uint64(tc.d)))
		stride := tc.d + 3
		x := newGeneral(tc.n, stride)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		x.Cols = tc.d
		mean := make([]float32, tc.d)
		for i := range mean {
			mean[i] = float32(rng.NormFloat64())
		}
		T := make([]float32, (tc.d+11)/12*12*covBlock)
		for i := range T {
			T[i] = 99 // must be overwritten or cleared
		}
		transposeCentered(x, tc.lo, tc.hi, mean, T)
		for f := 0; f < tc.d; f++ {
			for b := 0; b < covBlock; b++ {
				want := float32(0)
				if b < tc.hi-tc.lo {
					want = row(x, tc.lo+b)[f] - mean[f]
				}
				if got := T[f*covBlock+b]; got != want {
					t.Fatalf("%+v: T[%d][%d] = %v, want %v", tc, f, b, got, want)
				}
			}
		}
	}
}
