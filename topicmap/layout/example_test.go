package layout_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/topicmap/layout"
)

// threeGroups returns 300 papers in 8 dimensions, in three groups around
// the first three axes, and each paper's group.
func threeGroups() (blas32.General, []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d = 300, 8
	x := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, n*d)}
	labels := make([]string, n)
	for i := 0; i < n; i++ {
		g := i % 3
		labels[i] = fmt.Sprint("group ", g)
		for j := 0; j < d; j++ {
			x.Data[i*d+j] = float32(0.2 * rng.NormFloat64())
		}
		x.Data[i*d+g] += 1
	}
	return x, labels
}

// Three groups of papers in 8 dimensions, laid out in 2: every paper's
// nearest papers on the map are from its own group.
func ExampleUMAP() {
	x, labels := threeGroups()
	xy, err := layout.UMAP(x, layout.Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	agree, _ := layout.LabelAgreement(xy, labels, 10, 0, 1)
	fmt.Printf("%d coordinates; neighbours in the same group: %.0f%%\n", len(xy), 100*agree)
	// Output: 600 coordinates; neighbours in the same group: 100%
}

// The same groups laid out by t-SNE, the map's default up to
// layout.TSNEMaxRows papers.
func ExampleTSNE() {
	x, labels := threeGroups()
	xy, err := layout.TSNE(x, layout.TSNEOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	agree, _ := layout.LabelAgreement(xy, labels, 10, 0, 1)
	fmt.Printf("%s for %d papers; neighbours in the same group: %.0f%%\n", layout.DefaultMethod(x.Rows), x.Rows, 100*agree)
	// Output: tsne for 300 papers; neighbours in the same group: 100%
}
