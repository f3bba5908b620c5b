package main

import "github.com/papermap/papermap/bench/internal/rawf32"

// readVectors reads the first n rows of path, a file of raw little-endian
// float32 rows of dim values each (as bench/ann/embed writes them), one
// slice per row. The file must hold whole rows, and at least n of them.
func readVectors(path string, n, dim int) ([][]float32, error) {
	if n == 0 {
		return nil, nil
	}
	x, n, err := rawf32.Read(path, n, dim)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = x[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out, nil
}
