package ann

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDot checks the kernel against a float64 sum, for lengths that
// exercise the 32-wide loop, the 8-wide loop and the scalar tail. The
// tolerance is float32 rounding over d terms of size ≤ 1 (d·2^-24 ≈ 1e-5
// for d = 384, with margin).
func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 256, 384, 1000} {
		a, b := make([]float32, d), make([]float32, d)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
		}
		got := dot(a, b)
		if math.Abs(float64(got)-want) > 1e-4*math.Max(1, math.Sqrt(float64(d))) {
			t.Errorf("d=%d: dot = %g, want %g", d, got, want)
		}
	}
}
