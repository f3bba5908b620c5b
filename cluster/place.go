package cluster

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"
)

// refineAll labels every row of x with k themes fitted on a sample of it:
// from the mean directions of the sample's themes (fx, the sampled rows, and
// their labels), at most iter Lloyd iterations of spherical k-means on all
// rows (with Hamerly's bounds most cost a fraction of the first), or with a
// negative iter only the nearest of those directions. It returns the labels
// of all rows and their inertia.
func refineAll(x, fx blas32.General, labels []int, k, iter int) ([]int, float64, error) {
	init := meanDirections(fx, labels, k)
	if iter < 0 {
		lab, dist := Assign(x, init, true)
		s := 0.0
		for _, d := range dist {
			s += float64(d)
		}
		return lab, s, nil
	}
	res, err := KMeans{Init: &init, MaxIter: iter, Spherical: true}.Fit(x)
	if err != nil {
		return nil, 0, fmt.Errorf("k-means with k = %d on all papers: %w", k, err)
	}
	return res.Labels, res.Inertia, nil
}

// placeFine extends the sub-themes fine of the sampled rows (fx, the rows
// pick of x, in row order; fk sub-themes, with stabilities stab) to every
// row of x, whose themes are theme. A sampled row keeps its sub-theme;
// any other row goes to the sub-theme of its own theme whose sampled
// members' mean direction is nearest its vector. A theme without sampled
// members (possible once Lloyd iterations on all rows have moved the
// themes) becomes one sub-theme of its own, of stability 1 as a theme that
// is not split. It returns the labels, their number and the stabilities.
func placeFine(x, fx blas32.General, pick, theme, fine []int, k, fk int, stab []float64) ([]int, int, []float64) {
	n := x.Rows
	out := make([]int, n)
	for i := range out {
		out[i] = -1
	}
	kids := make([][]int, k)
	seen := make([]bool, fk)
	for q, i := range pick {
		f := fine[q]
		out[i] = f
		if !seen[f] {
			seen[f] = true
			kids[theme[i]] = append(kids[theme[i]], f)
		}
	}
	for c := range kids {
		slices.Sort(kids[c])
		if len(kids[c]) == 0 {
			kids[c] = []int{fk}
			stab = append(stab, 1)
			fk++
		}
	}
	cent := meanDirections(fx, fine, fk)
	// Rows are placed a block at a time, theme by theme, so that no copy
	// of all of x is made.
	const block = 1 << 16
	rest := make([][]int, k)
	for lo := 0; lo < n; lo += block {
		for c := range rest {
			rest[c] = rest[c][:0]
		}
		for i := lo; i < min(lo+block, n); i++ {
			if out[i] < 0 {
				rest[theme[i]] = append(rest[theme[i]], i)
			}
		}
		for c, rows := range rest {
			switch {
			case len(rows) == 0:
			case len(kids[c]) == 1:
				for _, i := range rows {
					out[i] = kids[c][0]
				}
			default:
				sub, _ := Assign(gatherRows(x, rows), gatherRows(cent, kids[c]), true)
				for q, i := range rows {
					out[i] = kids[c][sub[q]]
				}
			}
		}
	}
	return out, fk, stab
}
