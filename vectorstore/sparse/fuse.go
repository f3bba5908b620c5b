package sparse

import (
	"slices"
)

// FuseOptions say how Fuse combines two rankings. The zero value is the
// default, tuned on the development split of the ACM citation benchmark
// (bench/citations).
type FuseOptions struct {
	// DenseWeight is the weight w of the dense score in
	// w·dense' + (1−w)·sparse', where each score is first divided by its
	// largest value among the candidates. The default value is 0.2.
	DenseWeight float64
	// RRF fuses by reciprocal rank instead: Σ 1/(RRFK + rank).
	RRF bool
	// RRFK is the rank offset of RRF. The default value is 60.
	RRFK float64
}

// Default values of FuseOptions.
const (
	DefaultDenseWeight = 0.2
	DefaultRRFK        = 60
)

// Fuse ranks the candidate documents ids by a combination of their dense
// scores (cosine similarities) and sparse scores (as Index.Scores gives
// them), and returns the k best, best first, ties broken by increasing ID.
// The three slices have one entry per candidate; Fuse panics otherwise.
func Fuse(ids []string, dense, sparse []float32, k int, opts FuseOptions) []Hit {
	if len(dense) != len(ids) || len(sparse) != len(ids) {
		panic("sparse: Fuse with slices of different lengths")
	}
	if opts.DenseWeight <= 0 || opts.DenseWeight > 1 {
		opts.DenseWeight = DefaultDenseWeight
	}
	if opts.RRFK <= 0 {
		opts.RRFK = DefaultRRFK
	}
	hits := make([]Hit, len(ids))
	if opts.RRF {
		dr, sr := ranks(ids, dense), ranks(ids, sparse)
		for i, id := range ids {
			s := 1/(opts.RRFK+float64(dr[i])) + 1/(opts.RRFK+float64(sr[i]))
			hits[i] = Hit{ID: id, Score: float32(s)}
		}
	} else {
		dmax, smax := maxOf(dense), maxOf(sparse)
		w := float32(opts.DenseWeight)
		for i, id := range ids {
			var s float32
			if dmax > 0 {
				s += w * dense[i] / dmax
			}
			if smax > 0 {
				s += (1 - w) * sparse[i] / smax
			}
			hits[i] = Hit{ID: id, Score: s}
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	return hits[:min(k, len(hits))]
}

func maxOf(v []float32) float32 {
	var m float32
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// ranks returns the 1-based rank of each entry by decreasing score (ties by
// ID); entries with a score of 0 or less rank last.
func ranks(ids []string, score []float32) []int {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ha, hb := Hit{ids[a], score[a]}, Hit{ids[b], score[b]}
		switch {
		case better(ha, hb):
			return -1
		case better(hb, ha):
			return 1
		}
		return 0
	})
	r := make([]int, len(ids))
	for pos, i := range order {
		r[i] = pos + 1
		if score[i] <= 0 {
			r[i] = len(ids) * 10 // effectively absent from this ranking
		}
	}
	return r
}
