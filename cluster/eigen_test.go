package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTopEigen compares Lanczos against gonum's dense EigenSym on covariance-like
// matrices, including a rank-deficient one and one with repeated eigenvalues.
func TestTopEigen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		d, rank int
		k       int
		decay   float64
	}{
		{"full-rank", 120, 300, 10, 0.97},
		{"rank-deficient", 100, 30, 20, 0.9},
		{"flat", 80, 400, 40, 1.0},
		{"all", 60, 200, 60, 0.95},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, uint64(tc.d)))
			// a = Σ_r s_r g_r g_rᵀ with decaying scales.
			a := make([]float64, tc.d*tc.d)
			g := make([]float64, tc.d)
			sc := 1.0
			for r := 0; r < tc.rank; r++ {
				for i := range g {
					g[i] = rng.NormFloat64()
				}
				for i := range g {
					for j := range g {
						a[i*tc.d+j] += sc * g[i] * g[j]
					}
				}
				sc *= tc.decay
			}
			wv, wvec := denseEigen(a, tc.d, tc.k)
			gv, gvec := topEigen(a, tc.d, tc.k, 1)
			for i := 0; i < tc.k; i++ {
				if math.Abs(gv[i]-wv[i]) > 1e-9*wv[0] {
					t.Fatalf("value %d: %v want %v", i, gv[i], wv[i])
				}
				// Residual ‖a y − θ y‖ is the test that holds for repeated values too.
				res := 0.0
				for r := 0; r < tc.d; r++ {
					s := -gv[i] * gvec[i*tc.d+r]
					for c := 0; c < tc.d; c++ {
						s += a[r*tc.d+c] * gvec[i*tc.d+c]
					}
					res += s * s
				}
				if math.Sqrt(res) > 1e-7*wv[0] {
					t.Fatalf("vector %d: residual %v", i, math.Sqrt(res))
				}
				// Where the eigenvalue is well separated the vector matches up to sign.
				sep := math.Inf(1)
				if i > 0 {
					sep = wv[i-1] - wv[i]
				}
				if i+1 < tc.d && i+1 < len(wv) {
					sep = min(sep, wv[i]-wv[i+1])
				}
				if sep > 1e-3*wv[0] {
					dot := 0.0
					for r := 0; r < tc.d; r++ {
						dot += gvec[i*tc.d+r] * wvec[i*tc.d+r]
					}
					if math.Abs(math.Abs(dot)-1) > 1e-6 {
						t.Fatalf("vector %d: |cos| = %v", i, math.Abs(dot))
					}
				}
			}
			// Orthonormal rows.
			for i := 0; i < tc.k; i++ {
				for j := 0; j <= i; j++ {
					dot := 0.0
					for r := 0; r < tc.d; r++ {
						dot += gvec[i*tc.d+r] * gvec[j*tc.d+r]
					}
					want := 0.0
					if i == j {
						want = 1
					}
					if math.Abs(dot-want) > 1e-8 {
						t.Fatalf("rows %d,%d: dot %v", i, j, dot)
					}
				}
			}
		})
	}
}
