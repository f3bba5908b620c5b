package ann

import "unsafe"

// dot returns a·b over the first len(a) values (b is at least as long).
// It uses the AVX2+FMA kernel where the CPU has it; the index only ranks
// candidates with it (the store scores its results with its own kernel).
func dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s float32
	i := 0
	if useAVX2 && n >= 8 {
		i = n &^ 7
		s = dotAVX2(unsafe.SliceData(a), unsafe.SliceData(b), n/8)
	}
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}
