package layout

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// mapNeighbors returns the k nearest other rows of row i on the map
// (squared Euclidean distance, ties to the lower index).
func mapNeighbors(xy []float32, i, k int, buf []idxDist) []int {
	n := len(xy) / 2
	buf = buf[:0]
	for j := 0; j < n; j++ {
		if j == i {
			continue
		}
		dx, dy := float64(xy[2*i]-xy[2*j]), float64(xy[2*i+1]-xy[2*j+1])
		buf = append(buf, idxDist{j, dx*dx + dy*dy})
	}
	return smallest(buf, k)
}

type idxDist struct {
	i int
	d float64
}

// smallest returns the indices of the k entries of buf with the smallest d
// (ties to the lower index), nearest first.
func smallest(buf []idxDist, k int) []int {
	less := func(a, b idxDist) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	}
	k = min(k, len(buf))
	// Partial selection: sort is fine for the sizes measured (n ≤ 10⁵ per
	// query), and keeps the ranks exact.
	slices.SortFunc(buf, less)
	out := make([]int, k)
	for t := range out {
		out[t] = buf[t].i
	}
	return out
}

// sampleQueries returns the rows quality figures are computed for: all of
// them up to max (or when max ≤ 0), otherwise max rows drawn with seed.
func sampleQueries(n, limit int, seed uint64) []int {
	if limit <= 0 || n <= limit {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	rng := rand.New(rand.NewPCG(seed, 0x71))
	out := rng.Perm(n)[:limit]
	slices.Sort(out)
	return out
}

// Trustworthiness returns the trustworthiness of the layout xy (2 values per
// row) at k neighbours against the rows of x compared by cosine similarity,
// as scikit-learn's sklearn.manifold.trustworthiness with metric "cosine":
//
//	T(k) = 1 − 2/(q·k·(2n − 3k − 1)) · Σᵢ Σ_{j ∈ Uᵢ} (r(i, j) − k)
//
// where Uᵢ are i's k nearest papers on the map that are not among its k
// nearest in x, and r(i, j) is j's rank among i's neighbours in x. It is 1
// when every map neighbourhood holds only true neighbours. The sum runs over
// q query rows: all n when queries ≤ 0 or n ≤ queries, else that many drawn
// with seed (the cost is O(q·n·d)).
func Trustworthiness(x blas32.General, xy []float32, k, queries int, seed uint64) (float64, error) {
	n := x.Rows
	if len(xy) != 2*n {
		return 0, fmt.Errorf("layout: trustworthiness: %d coordinates for %d rows", len(xy), n)
	}
	if k <= 0 || 2*n-3*k-1 <= 0 {
		return 0, fmt.Errorf("layout: trustworthiness: k = %d is too large for %d rows", k, n)
	}
	unit := normalizeRows(x)
	d := unit.Cols
	qs := sampleQueries(n, queries, seed)
	buf := make([]idxDist, 0, n)
	rank := make([]int32, n)
	var sum float64
	for _, i := range qs {
		buf = buf[:0]
		ri := unit.Data[i*d : (i+1)*d]
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			buf = append(buf, idxDist{j, -float64(dot(ri, unit.Data[j*d:(j+1)*d]))})
		}
		order := smallest(buf, n-1)
		for r, j := range order {
			rank[j] = int32(r + 1)
		}
		for _, j := range mapNeighbors(xy, i, k, buf) {
			if r := int(rank[j]); r > k {
				sum += float64(r - k)
			}
		}
	}
	q := float64(len(qs))
	return 1 - 2/(q*float64(k)*(2*float64(n)-3*float64(k)-1))*sum, nil
}

// LabelAgreement returns the share of each row's k nearest rows on the map
// that carry the row's own label, averaged over the rows (all of them, or
// queries rows drawn with seed as in Trustworthiness). Rows labelled "" are
// neither queried nor counted as matches.
func LabelAgreement(xy []float32, labels []string, k, queries int, seed uint64) (float64, error) {
	n := len(labels)
	if len(xy) != 2*n {
		return 0, fmt.Errorf("layout: label agreement: %d coordinates for %d labels", len(xy), n)
	}
	if k <= 0 || k >= n {
		return 0, fmt.Errorf("layout: label agreement: k = %d for %d rows", k, n)
	}
	buf := make([]idxDist, 0, n)
	var hit, total int
	for _, i := range sampleQueries(n, queries, seed) {
		if labels[i] == "" {
			continue
		}
		for _, j := range mapNeighbors(xy, i, k, buf) {
			total++
			if labels[j] == labels[i] {
				hit++
			}
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("layout: label agreement: no labelled rows")
	}
	return float64(hit) / float64(total), nil
}
