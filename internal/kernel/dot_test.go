package kernel

import (
	"fmt"
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

// dot64 is the reference: float32 products are exact in float64.
func dot64(x, y []float32) float64 {
	s := 0.0
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return s
}

func TestDot4x3(t *testing.T) {
	type dotFunc func(x *[4][]float32, c []float32, cstride, ntriples, d int, out []float32, next *[4][]float32)
	impls := []struct {
		name string
		f    dotFunc
	}{
		{"Dot4x3", Dot4x3}, // the assembly kernel where the CPU has AVX2 and FMA
		{"portable", func(x *[4][]float32, c []float32, cstride, ntriples, d int, out []float32, _ *[4][]float32) {
			dot4x3Go(x, c, cstride, ntriples, d, out)
		}},
	}
	for _, impl := range impls {
		for _, d := range []int{1, 7, 8, 9, 16, 33, 384} {
			t.Run(fmt.Sprintf("%s/d=%d", impl.name, d), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(d)))
				x := randRows(rng, 4, d)
				const ntri = 3
				stride := d + 5 // rows of c need not be contiguous
				c := randRows(rng, 3*ntri, stride)
				var rows [4][]float32
				for r := range rows {
					rows[r] = x[r*d : r*d+d]
				}
				out := make([]float32, 12*ntri)
				impl.f(&rows, c, stride, ntri, d, out, nil)
				for tr := 0; tr < ntri; tr++ {
					for r := 0; r < 4; r++ {
						for j := 0; j < 3; j++ {
							crow := c[(3*tr+j)*stride : (3*tr+j)*stride+d]
							want := dot64(rows[r], crow)
							got := out[12*tr+4*j+r]
							// float32 accumulation of d products of N(0,1) values:
							// a relative error of a few ulps per term at most.
							if math.Abs(float64(got)-want) > 1e-5*float64(d) {
								t.Fatalf("t=%d r=%d j=%d: got %v, want %v", tr, r, j, got, want)
							}
							// The same product in another tile position is bit-identical.
							var perm [4][]float32
							for q := range perm {
								perm[q] = rows[(r+1)%4]
							}
							perm[3-r] = rows[r]
							c3 := append(append(append([]float32{}, crow...), crow...), crow...)
							one := make([]float32, 12)
							impl.f(&perm, c3, d, 1, d, one, &rows)
							for jj := 0; jj < 3; jj++ {
								if one[4*jj+3-r] != got {
									t.Fatalf("tile position (%d,%d) gave %v, (%d,%d) gave %v", 3-r, jj, one[4*jj+3-r], r, j, got)
								}
							}
						}
					}
				}
			})
		}
	}
}

func TestDot4x3Panics(t *testing.T) {
	x := [4][]float32{make([]float32, 8), make([]float32, 8), make([]float32, 8), make([]float32, 7)}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short row", func() { Dot4x3(&x, make([]float32, 24), 8, 1, 8, make([]float32, 12), nil) }},
		{"short out", func() { Dot4x3(&x, make([]float32, 24), 8, 1, 7, make([]float32, 11), nil) }},
		{"short c", func() { Dot4x3(&x, make([]float32, 22), 8, 1, 7, make([]float32, 12), nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}

// BenchmarkDot4x3 streams n rows of x against k rows of c (c stays in
// cache), as a k-means assignment or a batch of k queries does.
func BenchmarkDot4x3(b *testing.B) {
	for _, sz := range []struct{ n, d, k int }{{4096, 384, 3}, {4096, 384, 51}, {4096, 256, 66}, {65536, 384, 66}} {
		b.Run(fmt.Sprintf("n=%d/d=%d/k=%d", sz.n, sz.d, sz.k), func(b *testing.B) {
			n, d, k := sz.n, sz.d, sz.k
			rng := rand.New(rand.NewPCG(1, 2))
			x := randRows(rng, n, d)
			c := randRows(rng, k, d)
			out := make([]float32, 12*k/3)
			for b.Loop() {
				rows := [4][]float32{x[0:], x[d:], x[2*d:], x[3*d:]}
				for i := 0; i < n; i += 4 {
					next := rows
					if i+4 < n {
						next = [4][]float32{x[(i+4)*d:], x[(i+5)*d:], x[(i+6)*d:], x[(i+7)*d:]}
					}
					Dot4x3(&rows, c, d, k/3, d, out, &next)
					rows = next
				}
			}
			b.ReportMetric(float64(2*n*d*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
