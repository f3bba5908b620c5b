package cluster

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// correlated returns n rows whose covariance has a decaying spectrum, shifted
// away from the origin.
func correlated(n, d int, seed uint64) blas32.General {
	rng := rand.New(rand.NewPCG(seed, 3))
	mix := make([]float64, d*d)
	for i := range mix {
		mix[i] = rng.NormFloat64()
	}
	x := newGeneral(n, d)
	z := make([]float64, d)
	for i := 0; i < n; i++ {
		for t := range z {
			z[t] = rng.NormFloat64() * math.Pow(0.8, float64(t))
		}
		r := row(x, i)
		for c := range r {
			s := 3.0 + float64(c)*0.1
			for t := range z {
				s += mix[t*d+c] * z[t]
			}
			r[c] = float32(s)
		}
	}
	return x
}

func toDense(x blas32.General) *mat.Dense {
	m := mat.NewDense(x.Rows, x.Cols, nil)
	for i := 0; i < x.Rows; i++ {
		for j, v := range row(x, i) {
			m.Set(i, j, float64(v))
		}
	}
	return m
}

// TestPCAAgainstGonum checks variances and components (up to sign) against
// gonum's stat.PC (an SVD of the centred data in float64).
func TestPCAAgainstGonum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n, d   int
		k      int
		method PCAMethod
		tol    float64
	}{
		{"exact-small-d", 200, 12, 5, Exact, 1e-4},
		{"exact-lanczos", 600, 70, 8, Exact, 1e-4},
		{"randomized", 600, 70, 2, Randomized, 1e-4},
		{"exact-k=d", 100, 9, 9, Exact, 1e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := correlated(tc.n, tc.d, 9)
			var pc stat.PC
			if !pc.PrincipalComponents(toDense(x), nil) {
				t.Fatal("stat.PC failed")
			}
			wantVar := pc.VarsTo(nil)
			var vecs mat.Dense
			pc.VectorsTo(&vecs)
			got, err := FitPCA(x, tc.k, PCAOptions{Method: tc.method, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			totalWant := 0.0
			for _, v := range wantVar {
				totalWant += v
			}
			if math.Abs(got.TotalVariance-totalWant) > 1e-5*totalWant {
				t.Errorf("total variance %v, want %v", got.TotalVariance, totalWant)
			}
			for i := 0; i < tc.k; i++ {
				if math.Abs(got.Variance[i]-wantVar[i]) > tc.tol*wantVar[0] {
					t.Errorf("variance %d: %v, want %v", i, got.Variance[i], wantVar[i])
				}
				// Components agree up to sign where the variance is separated.
				if i+1 < tc.d && wantVar[i]-wantVar[i+1] < 1e-2*wantVar[0] {
					continue
				}
				dot := 0.0
				for c := 0; c < tc.d; c++ {
					dot += float64(got.Components.Data[i*tc.d+c]) * vecs.At(c, i)
				}
				if math.Abs(math.Abs(dot)-1) > 1e-4 {
					t.Errorf("component %d: |cos| = %v", i, math.Abs(dot))
				}
			}
		})
	}
}

// TestRandomizedMatchesExact compares the two methods on the two leading
// components of data whose spectrum has a clear gap after them.
func TestRandomizedMatchesExact(t *testing.T) {
	x := correlated(3000, 200, 5)
	ex, err := FitPCA(x, 2, PCAOptions{Method: Exact})
	if err != nil {
		t.Fatal(err)
	}
	rz, err := FitPCA(x, 2, PCAOptions{Method: Randomized, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if math.Abs(rz.Variance[i]-ex.Variance[i]) > 1e-5*ex.Variance[i] {
			t.Errorf("variance %d: randomized %v, exact %v", i, rz.Variance[i], ex.Variance[i])
		}
		dot := 0.0
		for c := 0; c < 200; c++ {
			dot += float64(rz.Components.Data[i*200+c]) * float64(ex.Components.Data[i*200+c])
		}
		// Same sign convention, so the same vector, not just up to sign.
		if dot < 1-1e-5 {
			t.Errorf("component %d: cos = %v", i, dot)
		}
	}
	if math.Abs(rz.TotalVariance-ex.TotalVariance) > 1e-6*ex.TotalVariance {
		t.Errorf("total variance %v vs %v", rz.TotalVariance, ex.TotalVariance)
	}
}

// TestPCATransform checks that projections are centred and have the fitted
// variances, and that components are orthonormal with a positive largest entry.
func TestPCATransform(t *testing.T) {
	x := correlated(2000, 30, 8)
	p, err := FitPCA(x, 4, PCAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	y := p.Transform(x)
	for j := 0; j < 4; j++ {
		mean, sq := 0.0, 0.0
		for i := 0; i < y.Rows; i++ {
			mean += float64(y.Data[i*4+j])
		}
		mean /= float64(y.Rows)
		for i := 0; i < y.Rows; i++ {
			v := float64(y.Data[i*4+j]) - mean
			sq += v * v
		}
		// float32 projections: relative 1e-4.
		if math.Abs(mean) > 1e-4*math.Sqrt(p.Variance[0]) {
			t.Errorf("component %d: projection mean %v", j, mean)
		}
		if v := sq / float64(y.Rows-1); math.Abs(v-p.Variance[j]) > 1e-4*p.Variance[j] {
			t.Errorf("component %d: projected variance %v, fitted %v", j, v, p.Variance[j])
		}
		big := 0
		r := row(p.Components, j)
		for c := range r {
			if math.Abs(float64(r[c])) > math.Abs(float64(r[big])) {
				big = c
			}
		}
		if r[big] < 0 {
			t.Errorf("component %d: largest entry negative", j)
		}
		for i := 0; i <= j; i++ {
			dot := dotF64(r, row(p.Components, i))
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(dot-want) > 1e-6 {
				t.Errorf("components %d,%d: dot %v", i, j, dot)
			}
		}
	}
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			x    blas32.General
			k    int
			want error
		}{
			{"k=0", x, 0, ErrBadOption},
			{"k>d", x, 31, ErrBadOption},
			{"one-row", blas32.General{Rows: 1, Cols: 30, Stride: 30, Data: x.Data[:30]}, 2, ErrTooFewPoints},
		} {
			if _, err := FitPCA(tc.x, tc.k, PCAOptions{}); !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}
