package cluster

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// TestPairsMatchBruteForce: SimilarPairs over all rows finds exactly the
// pairs a double loop finds (the expected set is computed here, pair by
// pair), and NeighborPairs with every other row as a neighbour finds the
// same set once each.
func TestPairsMatchBruteForce(t *testing.T) {
	const n, dim, threshold = 700, 8, 0.9 // n > one 512-row block
	rng := rand.New(rand.NewPCG(1, 2))
	x := blas32.General{Rows: n, Cols: dim, Stride: dim, Data: make([]float32, n*dim)}
	for i := range n {
		row := x.Data[i*dim : (i+1)*dim]
		var s float64
		for j := range row {
			row[j] = float32(rng.NormFloat64())
			s += float64(row[j]) * float64(row[j])
		}
		for j := range row {
			row[j] /= float32(math.Sqrt(s))
		}
	}
	want := map[[2]int]bool{}
	for a := range n {
		for b := a + 1; b < n; b++ {
			if Dot(x.Data[a*dim:(a+1)*dim], x.Data[b*dim:(b+1)*dim]) >= threshold {
				want[[2]int{a, b}] = true
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no pair above the threshold: the test data checks nothing")
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	check := func(name string, got []Pair) {
		t.Helper()
		seen := map[[2]int]bool{}
		for _, p := range got {
			k := [2]int{p.A, p.B}
			if p.A >= p.B || !want[k] || seen[k] {
				t.Errorf("%s: unexpected or repeated pair %+v", name, p)
			}
			seen[k] = true
		}
		if len(seen) != len(want) {
			t.Errorf("%s: %d pairs, want %d", name, len(seen), len(want))
		}
	}
	check("SimilarPairs", SimilarPairs(x, rows, threshold))
	nbrs := make([]int32, 0, n*(n-1))
	for i := range n {
		for j := range n {
			if j != i {
				nbrs = append(nbrs, int32(j))
			}
		}
	}
	got := NeighborPairs(x, nbrs, n-1, threshold)
	check("NeighborPairs", got)
	SortPairs(got)
	for i := 1; i < len(got); i++ {
		if got[i].Cosine > got[i-1].Cosine {
			t.Fatalf("SortPairs: %v before %v", got[i-1], got[i])
		}
	}
}
