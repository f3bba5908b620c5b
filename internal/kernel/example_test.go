package kernel_test

import (
	"fmt"

	"github.com/papermap/papermap/internal/kernel"
)

// Four rows against three: each output is one dot product.
func ExampleDot4x3() {
	x := [4][]float32{{1, 0}, {0, 1}, {1, 1}, {2, -1}}
	c := []float32{
		1, 0, // c0
		0, 1, // c1
		3, 4, // c2
	}
	out := make([]float32, 12)
	kernel.Dot4x3(&x, c, 2, 1, 2, out, nil)
	for r := range x {
		fmt.Println(out[r], out[4+r], out[8+r]) // x[r]·c0, x[r]·c1, x[r]·c2
	}
	// Output:
	// 1 0 3
	// 0 1 4
	// 1 1 7
	// 2 -1 2
}
