// Package kernel holds papermap's one dense numerical kernel: the dot
// products of four float32 rows with a run of other rows, the inner loop of
// k-means, PCA, silhouettes (package cluster) and exact vector search
// (package vectorstore).
//
// # Use
//
// Dot4x3 takes four rows x[0..3] and ntriples·3 rows of c (row i starts at
// c[i*cstride]) and writes out[12*t+4*j+r] = x[r]·c[3t+j]:
//
//	var x [4][]float32 // four rows of length d
//	out := make([]float32, 12*ntriples)
//	kernel.Dot4x3(&x, c, d, ntriples, d, out, nil)
//
// A caller with a multiple of three rows in c walks its data four rows at a
// time; one with another count pads c with zero rows. The tile (4 rows of x
// against 3 rows of c, 12 accumulators) keeps c in cache while x streams
// from memory once, so a batch of queries costs little more memory traffic
// than one.
//
// # Invariants
//
// Every dot product is computed by the same sequence of operations,
// whichever tile position (r, j) and whichever call it falls in: a result
// never depends on how rows were grouped into tiles, hence never on the
// number of threads or on the size of a batch. The sequence is that of the
// AVX2+FMA assembly kernel (8 lanes, fused multiply-add in index order, a
// fixed reduction tree, then the d mod 8 tail in index order) on amd64 CPUs
// with AVX2 and FMA, and that of a portable Go loop elsewhere (or with the
// noasm build tag); the two round differently, so results are reproducible
// on one machine and build, and equal to within float32 rounding across
// them.
//
// Dot4x3 panics ("kernel: ...") when a buffer or a row is too short.
package kernel
