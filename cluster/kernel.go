package cluster

import (
	"unsafe"

	"github.com/papermap/papermap/internal/kernel"
)

// The numerical core of the package is one tile kernel, internal/kernel's
// Dot4x3: the dot products of four rows of x with three consecutive rows of c,
// over the full row length. Everything that is O(n·k·d) (k-means assignment,
// k-means++ seeding, PCA covariance and projection, silhouette distances) goes
// through dotStrip. Each dot product is computed by the same instruction sequence
// whatever its position in a tile, so a result never depends on how rows were
// grouped into tiles, and so never on the number of threads.

// dotStrip sets out[12*t+4*j+r] = x[r]·c_{3t+j} for t < ntriples, r < 4, j < 3, where
// c_i = c[i*cstride : i*cstride+d]. Every x[r] must hold at least d values.
// next, if not nil, holds the rows of the caller's next call: the kernel prefetches
// them into cache while it works. See kernel.Dot4x3.
func dotStrip(x *[4][]float32, c []float32, cstride, ntriples, d int, out []float32, next *[4][]float32) {
	kernel.Dot4x3(x, c, cstride, ntriples, d, out, next)
}

// dotF64 returns Σ float64(x[i])·float64(y[i]) over len(x) elements. Products of
// float32 values are exact in float64, so the only rounding is in the float64 sum.
func dotF64(x, y []float32) float64 {
	if len(y) < len(x) {
		panic("cluster: dotF64 length mismatch")
	}
	if len(x) == 0 {
		return 0
	}
	if useAVX2 {
		return dotF64AVX2(unsafe.SliceData(x), unsafe.SliceData(y), len(x))
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i]) * float64(y[i])
		s1 += float64(x[i+1]) * float64(y[i+1])
		s2 += float64(x[i+2]) * float64(y[i+2])
		s3 += float64(x[i+3]) * float64(y[i+3])
	}
	s := (s0 + s1) + (s2 + s3)
	for ; i < len(x); i++ {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// axpy64 sets dst[i] += alpha·float64(src[i]) for i < len(src).
func axpy64(dst []float64, alpha float64, src []float32) {
	if len(dst) < len(src) {
		panic("cluster: axpy64 length mismatch")
	}
	if len(src) == 0 {
		return
	}
	if useAVX2 {
		axpy64AVX2(unsafe.SliceData(dst), alpha, unsafe.SliceData(src), len(src))
		return
	}
	for i, v := range src {
		dst[i] += alpha * float64(v)
	}
}

// sub sets dst[i] = a[i] − b[i] for i < len(dst).
func sub(dst, a, b []float32) {
	if len(a) < len(dst) || len(b) < len(dst) {
		panic("cluster: sub length mismatch")
	}
	if useAVX2 && len(dst) > 0 {
		subAVX2(unsafe.SliceData(dst), unsafe.SliceData(a), unsafe.SliceData(b), len(dst))
		return
	}
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}
