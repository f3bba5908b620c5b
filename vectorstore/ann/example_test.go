package ann_test

import (
	"fmt"
	"math"

	"github.com/papermap/papermap/vectorstore/ann"
)

// matrix is a Vectors over a row-major matrix.
type matrix struct {
	x   []float32
	dim int
}

func (m matrix) Vec(n int32) []float32 { return m.x[int(n)*m.dim : int(n+1)*m.dim] }

// Twelve unit vectors on a circle, 30° apart: the nearest neighbours of
// the direction 95° are the points at 90° and 120°.
func Example() {
	const n = 12
	m := matrix{x: make([]float32, 2*n), dim: 2}
	for i := range n {
		a := float64(i) * math.Pi / 6
		m.x[2*i], m.x[2*i+1] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	idx := ann.New(m, ann.Options{Seed: 1})
	idx.Build(n, 1)
	a := 95 * math.Pi / 180
	for _, r := range idx.Search([]float32{float32(math.Cos(a)), float32(math.Sin(a))}, 2, 16, nil) {
		fmt.Printf("node %d at %d°, similarity %.3f\n", r.Node, 30*r.Node, r.Sim)
	}
	// Output:
	// node 3 at 90°, similarity 0.996
	// node 4 at 120°, similarity 0.906
}

// The same search walking over 8-bit codes of the vectors: the best nodes
// it finds are scored again from the vectors, so the similarities are
// exact.
func ExampleIndex_UseCodes() {
	const n = 12
	m := matrix{x: make([]float32, 2*n), dim: 2}
	for i := range n {
		a := float64(i) * math.Pi / 6
		m.x[2*i], m.x[2*i+1] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	idx := ann.New(m, ann.Options{Seed: 1})
	qz := ann.TrainQuantizer(m, n, 2)
	idx.UseCodes(qz, ann.EncodeRows(qz, m, n), ann.CodeOptions{Build: true})
	idx.Build(n, 1)
	a := 95 * math.Pi / 180
	for _, r := range idx.Search([]float32{float32(math.Cos(a)), float32(math.Sin(a))}, 2, 16, nil) {
		fmt.Printf("node %d at %d°, similarity %.3f\n", r.Node, 30*r.Node, r.Sim)
	}
	// Output:
	// node 3 at 90°, similarity 0.996
	// node 4 at 120°, similarity 0.906
}
