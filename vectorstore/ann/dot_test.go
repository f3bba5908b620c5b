package ann

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDot checks the kernels against a float64 sum, for lengths that
// exercise their 32-wide loops, 8-wide loops and scalar tails: dot (float
// against float) and dotU8 (float against the bytes of a code, terms up
// to 255 in size). The tolerance is float32 rounding over d terms of the
// given size (d·size·2^-24, about 1e-5·size for d = 384, with margin).
func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 256, 384, 1000} {
		a, b, c := make([]float32, d), make([]float32, d), make([]byte, d)
		for i := range a {
			a[i], b[i], c[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), byte(rng.IntN(256))
		}
		var want, wantU8 float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
			wantU8 += float64(a[i]) * float64(c[i])
		}
		tol := 1e-4 * math.Max(1, math.Sqrt(float64(d)))
		if got := dot(a, b); math.Abs(float64(got)-want) > tol {
			t.Errorf("d=%d: dot = %g, want %g", d, got, want)
		}
		if got := dotU8(a, c); math.Abs(float64(got)-wantU8) > 255*tol {
			t.Errorf("d=%d: dotU8 = %g, want %g", d, got, wantU8)
		}
	}
}

// TestDotI16U8 checks the VNNI kernel of the walk over codes against an
// integer sum, which it must match exactly (32-bit integer arithmetic),
// with the largest values a prepared query has (±qiMax against 255) and
// lengths that exercise its 128-wide and 32-wide loops and the tail. On a
// CPU without AVX-512 VNNI the kernel is not used (codedQuery.sim keeps
// the float kernel, which TestDot covers) and the test is skipped.
func TestDotI16U8(t *testing.T) {
	if !useVNNI {
		t.Skip("no AVX-512 VNNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{0, 1, 31, 32, 33, 64, 127, 128, 129, 160, 256, 384, 514} {
		for _, extreme := range []bool{false, true} {
			a, c := make([]int16, d), make([]byte, d)
			var want int64
			for i := range a {
				a[i], c[i] = int16(rng.IntN(2*qiMax+1)-qiMax), byte(rng.IntN(256))
				if extreme {
					a[i], c[i] = qiMax, 255
				}
				want += int64(a[i]) * int64(c[i])
			}
			if got := dotI16U8(a, c); int64(got) != want {
				t.Errorf("d=%d extreme=%v: dotI16U8 = %d, want %d", d, extreme, got, want)
			}
		}
	}
}

// TestPrepareKernels checks the AVX-512 kernels that prepare a query for
// the VNNI kernel against their scalar definitions: quantI16AVX512 (via
// codedQuery.round) must round exactly as math.RoundToEven does, and
// decodeScaleAVX512 (via codeQueries.prepare) must give a[i] + b[i]·c[i]
// to within a float32 rounding (it fuses the multiply and the add) and
// the largest |value| among them, for lengths with and without a tail.
func TestPrepareKernels(t *testing.T) {
	if !useVNNI {
		t.Skip("no AVX-512 VNNI on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{1, 15, 16, 17, 40, 384} {
		var cq codedQuery
		top := float32(0)
		for range d {
			v := float32(rng.NormFloat64())
			cq.qs = append(cq.qs, v)
			top = max(top, float32(math.Abs(float64(v))))
		}
		cq.round(top)
		inv := qiMax / top
		for i, v := range cq.qs {
			if want := int16(math.RoundToEven(float64(v * inv))); cq.qi[i] != want {
				t.Fatalf("d=%d: value %d = %g rounds to %d, want %d", d, i, v, cq.qi[i], want)
			}
		}
		cqs := &codeQueries{a: make([]float32, d), b: make([]float32, d)}
		code := make([]byte, d)
		for i := range d {
			cqs.a[i], cqs.b[i], code[i] = float32(rng.NormFloat64()), float32(rng.Float64()), byte(rng.IntN(256))
		}
		cqs.prepare(&cq, code)
		var wantTop float32
		for i, v := range cq.qs {
			want := cqs.a[i] + cqs.b[i]*float32(code[i])
			if math.Abs(float64(v-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("d=%d: decoded value %d = %g, want %g", d, i, v, want)
			}
			wantTop = max(wantTop, float32(math.Abs(float64(v))))
		}
		if got := cq.scale * qiMax; math.Abs(float64(got-wantTop)) > 1e-6*float64(wantTop) {
			t.Fatalf("d=%d: largest |value| %g, want %g", d, got, wantTop)
		}
	}
}

// TestSimRows checks the block kernel against sim code by code, exactly
// (the same integer sums, the same float arithmetic after them).
func TestSimRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{32, 256, 384, 40} {
		n := 37
		x := make([]float32, n*dim)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		r := rows{x: x, dim: dim}
		qz := TrainQuantizer(r, n, dim)
		codes := EncodeRows(qz, r, n)
		var cq codedQuery
		qz.prepare(&cq, r.Vec(5))
		got := make([]float32, n)
		cq.simRows(codes.Bytes(), dim, got)
		for i := range n {
			if want := cq.sim(codes.Code(int32(i))); got[i] != want {
				t.Fatalf("dim %d row %d: simRows %v, sim %v", dim, i, got[i], want)
			}
		}
	}
}

// TestRowQuery checks the 8-bit block kernel exactly against an integer
// sum of the rounded query, and the rounding against its bound: each
// score within scale/2·Σ code[d] of the unrounded query's (sim with the
// float kernel, itself exact to float32 rounding).
func TestRowQuery(t *testing.T) {
	if !useVNNI {
		t.Skip("no AVX-512 VNNI: rowQuery is the 16-bit query (TestSimRows)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{64, 256, 384} {
		n := 41
		x := make([]float32, n*dim)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		r := rows{x: x, dim: dim}
		qz := TrainQuantizer(r, n, dim)
		codes := EncodeRows(qz, r, n)
		cqs := newCodeQueries(qz)
		var rq rowQuery
		cqs.prepareRows(&rq, codes.Code(3))
		got := make([]float32, n)
		rq.simRows(codes.Bytes(), dim, got)
		for i := range n {
			c := codes.Code(int32(i))
			var sum, csum int64
			for d := range dim {
				sum += int64(rq.q8[d]) * int64(c[d])
				csum += int64(c[d])
			}
			if want := rq.cq.bias + rq.scale*float32(sum); got[i] != want {
				t.Fatalf("dim %d row %d: kernel %v, integer sum %v", dim, i, got[i], want)
			}
			exactSim := float64(rq.cq.bias + dotU8(rq.cq.qs, c))
			if bound := float64(rq.scale)/2*float64(csum) + 1e-3*math.Abs(exactSim) + 1e-4; math.Abs(float64(got[i])-exactSim) > bound {
				t.Fatalf("dim %d row %d: 8-bit score %v, unrounded %v, bound %v", dim, i, got[i], exactSim, bound)
			}
		}
	}
}
