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

// prefetch asks the CPU to bring v into the cache: the search computes
// the similarities of a node's neighbours after asking for all their
// vectors, so that their memory latencies overlap instead of adding up
// (hnswlib does the same).
func prefetch(v []float32) {
	if useAVX2 && len(v) > 0 {
		prefetchAVX2(unsafe.Pointer(unsafe.SliceData(v)), (len(v)+15)/16)
	}
}

// prefetchList asks the CPU to bring a neighbour list into the cache.
func prefetchList(l []int32) {
	if useAVX2 && len(l) > 0 {
		prefetchAVX2(unsafe.Pointer(unsafe.SliceData(l)), (len(l)+15)/16)
	}
}
