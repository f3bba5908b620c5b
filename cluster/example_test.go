package cluster_test

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
)

func ExampleKMeans() {
	// Six points in two obvious groups.
	x := blas32.General{Rows: 6, Cols: 2, Stride: 2, Data: []float32{
		0, 0, 0.2, 0.1, 0.1, 0.3,
		5, 5, 5.2, 4.9, 4.8, 5.1,
	}}
	res, err := cluster.KMeans{K: 2, Seed: 1}.Fit(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Cluster numbers are arbitrary; compare partitions, not numbers.
	fmt.Println("same group:", res.Labels[0] == res.Labels[2], res.Labels[3] == res.Labels[5])
	fmt.Println("different groups:", res.Labels[0] != res.Labels[3])
	fmt.Printf("inertia: %.3f\n", res.Inertia)
	// Output:
	// same group: true true
	// different groups: true
	// inertia: 0.167
}

func ExampleVMeasure() {
	truth := []int{0, 0, 0, 1, 1, 1}
	pred := []int{0, 0, 1, 1, 2, 2} // class 0 split, one mixed cluster
	h, c, v := cluster.VMeasure(truth, pred)
	fmt.Printf("homogeneity %.3f completeness %.3f v %.3f\n", h, c, v)
	fmt.Printf("ARI %.3f\n", cluster.ARI(truth, pred))
	// Output:
	// homogeneity 0.667 completeness 0.421 v 0.516
	// ARI 0.242
}

func ExampleFitPCA() {
	// Points on the line y = 2x, plus a little noise off it.
	x := blas32.General{Rows: 5, Cols: 2, Stride: 2, Data: []float32{
		0, 0.1, 1, 1.9, 2, 4.1, 3, 5.9, 4, 8,
	}}
	p, err := cluster.FitPCA(x, 1, cluster.PCAOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := p.Components.Data
	fmt.Printf("direction (%.2f, %.2f), explains %.4f\n", c[0], c[1], p.Variance[0]/p.TotalVariance)
	// Output:
	// direction (0.45, 0.89), explains 0.9999
}

func ExampleLabel() {
	docs := [][]string{
		strings.Fields("control variates reduce the variance of monte carlo estimators"),
		strings.Fields("control variates and variance reduction for monte carlo integration"),
		strings.Fields("variance reduction with control variates"),
		strings.Fields("graph neural networks learn node embeddings"),
		strings.Fields("message passing graph neural networks"),
	}
	kw := cluster.Keywords(docs, []int{0, 0, 0, 1, 1}, 2, cluster.KeywordOptions{Bigrams: true})
	fmt.Println(cluster.Label(kw[0], 2))
	fmt.Println(cluster.Label(kw[1], 2))
	// Output:
	// control variates / monte carlo
	// graph neural networks
}
