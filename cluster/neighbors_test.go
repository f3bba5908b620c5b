package cluster

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// unitRows returns n seeded random unit vectors of dimension d, drawn around
// a few directions so that neighbourhoods are meaningful.
func unitRows(n, d int, seed uint64) blas32.General {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, 12)
	for c := range centres {
		centres[c] = make([]float64, d)
		for t := range centres[c] {
			centres[c][t] = rng.NormFloat64()
		}
	}
	x := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, n*d)}
	for i := 0; i < n; i++ {
		c := centres[rng.IntN(len(centres))]
		var s float64
		r := x.Data[i*d : (i+1)*d]
		for t := range r {
			v := c[t] + 1.5*rng.NormFloat64()
			r[t] = float32(v)
			s += v * v
		}
		for t := range r {
			r[t] /= float32(math.Sqrt(s))
		}
	}
	return x
}

// bruteKNN is the reference: every pair's dot product in float64, best first,
// ties by index.
func bruteKNN(x blas32.General, k int) [][]int {
	n, d := x.Rows, x.Cols
	out := make([][]int, n)
	for i := 0; i < n; i++ {
		type c struct {
			s float64
			j int
		}
		var cs []c
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			var s float64
			for t := 0; t < d; t++ {
				s += float64(x.Data[i*d+t]) * float64(x.Data[j*d+t])
			}
			cs = append(cs, c{s, j})
		}
		sort.Slice(cs, func(a, b int) bool {
			if cs[a].s != cs[b].s {
				return cs[a].s > cs[b].s
			}
			return cs[a].j < cs[b].j
		})
		for _, e := range cs[:min(k, len(cs))] {
			out[i] = append(out[i], e.j)
		}
	}
	return out
}

func TestKNN(t *testing.T) {
	tests := []struct {
		name       string
		n, d, k    int
		opts       KNN
		wantRecall float64 // fraction of the reference neighbours found
	}{
		{"exact small", 50, 16, 5, KNN{}, 0.98},
		{"exact odd sizes", 301, 37, 10, KNN{}, 0.98},
		{"fewer rows than k", 4, 8, 10, KNN{}, 1},
		{"approximate index", 3000, 64, 10, KNN{ExactRows: 500, Seed: 3}, 0.85},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := unitRows(tc.n, tc.d, 1)
			tc.opts.K = tc.k
			got, err := tc.opts.Search(x)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteKNN(x, tc.k)
			found, total := 0, 0
			for i := 0; i < tc.n; i++ {
				row := got[i*tc.k : (i+1)*tc.k]
				set := map[int]bool{}
				for q, j := range row {
					if int(j) == i {
						t.Fatalf("row %d is its own neighbour", i)
					}
					if j < 0 {
						if q < len(want[i]) && tc.opts.ExactRows == 0 {
							t.Fatalf("row %d: missing neighbour %d of %d", i, q, len(want[i]))
						}
						continue
					}
					set[int(j)] = true
				}
				for _, j := range want[i] {
					total++
					if set[j] {
						found++
					}
				}
			}
			// Exact search can differ from the float64 reference only where
			// float32 rounding reorders near-ties at the k-th place.
			if r := float64(found) / float64(max(total, 1)); r < tc.wantRecall {
				t.Errorf("recall %.3f, want at least %.2f", r, tc.wantRecall)
			}
		})
	}
}

func TestKNNDeterministicAcrossThreads(t *testing.T) {
	x := unitRows(2500, 48, 2)
	for _, exact := range []int{0, 1000} {
		var first []int32
		for _, th := range []int{1, 2, 3} {
			got, err := KNN{K: 7, ExactRows: exact, Threads: th, Seed: 5}.Search(x)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				if got[i] != first[i] {
					t.Fatalf("exactRows %d: threads %d differ from 1 thread at %d", exact, th, i)
				}
			}
		}
	}
}

func TestSmooth(t *testing.T) {
	// Hand calculation: rows e1, e2 and (e1+e2)/√2; row 0 with neighbour 2 at
	// weight 1 becomes e1 + (e1+e2)/√2 = (1+1/√2, 1/√2), normalised.
	s := float32(1 / math.Sqrt2)
	x := blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, s, s}}
	nbrs := []int32{2, -1, 2, -1, 0, 1}
	y := Smooth(x, nbrs, 2, 1)
	a, b := 1+1/math.Sqrt2, 1/math.Sqrt2
	nrm := math.Hypot(a, b)
	want := []float64{a / nrm, b / nrm, b / nrm, a / nrm, 1 / math.Sqrt2, 1 / math.Sqrt2}
	for i, w := range want {
		if math.Abs(float64(y.Data[i])-w) > 1e-6 {
			t.Errorf("y[%d] = %v, want %v", i, y.Data[i], w)
		}
	}
}

func BenchmarkKNN(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		x := unitRows(n, 256, 9)
		b.Run("n="+itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := (KNN{K: 10}).Search(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return itoa(n/1000) + "k"
	}
	s := ""
	for n > 0 || s == "" {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
