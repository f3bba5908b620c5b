package cluster

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// KScore is the evaluation of one number of clusters by ChooseK.
type KScore struct {
	K int
	// Stability is the mean adjusted Rand index (ARI) between the labellings
	// of the rows by k-means fits on different subsamples with different
	// seeds (each fit labels every row by its nearest centroid).
	Stability float64
	// NullStability is the same on reference data of the same size, mean
	// and covariance but without clusters (see ChooseK).
	NullStability float64
	// Score is Stability minus the null stability made non-increasing in k
	// (see Choose), what ChooseK maximises.
	Score float64
}

// ChooseK picks the number of clusters by how much more stable the k-means
// partitions of the data are than those of data without clusters: the
// Clest procedure of Dudoit and Fridlyand (2002), with the subsample
// stability of Ben-Hur et al. (2002) and Lange et al. (2004) as the
// statistic. Stability alone favours k = 2 (any elongated cloud splits the
// same way every time), and the mean silhouette of text embeddings keeps
// growing with k; their difference from a reference without clusters does
// neither by construction.
//
// The zero value of every field means the documented default.
type ChooseK struct {
	// Min and Max bound the k tried. Defaults 2 and min(30, ⌊√(n/2)⌋), never
	// above n−1.
	Min, Max int
	// Resamples is the number of subsample fits per k, compared pairwise.
	// Default 5.
	Resamples int
	// SampleRows caps the rows each fit clusters: a subsample of 80% of the
	// rows, at most SampleRows. Default 5,000.
	SampleRows int
	// EvalRows caps the rows the fits' labellings are compared on (a seeded
	// sample of the rows; all of them when fewer). Default 20,000.
	EvalRows int
	// Restarts is the number of k-means seedings per fit. Default 1: each fit
	// is one draw, as the stability it measures is that of one run.
	Restarts int
	// Seed drives the subsamples, the fits and the reference data.
	Seed uint64
	// KMeans is the template for every fit; its K, Restarts and Seed are
	// ignored and its Init must be nil. Spherical clusters directions. Its
	// Threads caps the goroutines of the whole choice, whose fits run
	// concurrently, one thread each; the scores do not depend on it.
	KMeans KMeans
}

func (c ChooseK) withDefaults(n int) ChooseK {
	if c.Min <= 0 {
		c.Min = 2
	}
	if c.Max <= 0 {
		c.Max = min(30, int(math.Sqrt(float64(n)/2)))
	}
	c.Max = max(min(c.Max, n-1), c.Min)
	if c.Resamples <= 0 {
		c.Resamples = 5
	}
	if c.SampleRows <= 0 {
		c.SampleRows = 5000
	}
	if c.EvalRows <= 0 {
		c.EvalRows = 20000
	}
	if c.Restarts <= 0 {
		c.Restarts = 1
	}
	return c
}

// Choose scores every k in [Min, Max] and returns the chosen k with every
// score, in increasing k. The rule: the highest Score wins, and among the
// k whose Score and Stability are both within 0.01 of its, the largest; when no Score reaches 0.05 (no
// partition is more stable than one of data without clusters) the smallest
// k is returned.
func (c ChooseK) Choose(x blas32.General) (best int, scores []KScore, err error) {
	checkGeneral(x)
	n := x.Rows
	if c.KMeans.Init != nil {
		return 0, nil, fmt.Errorf("choose k with a fixed init: %w", ErrBadOption)
	}
	if n < max(c.Min, 2)+1 {
		return 0, nil, fmt.Errorf("choose k among %d rows: %w", n, ErrTooFewPoints)
	}
	c = c.withDefaults(n)
	if c.Max > n-1 {
		return 0, nil, fmt.Errorf("k up to %d for %d rows: %w", c.Max, n, ErrTooFewPoints)
	}
	if err := checkFinite(x); err != nil {
		return 0, nil, err
	}
	ev := x
	if n > c.EvalRows {
		ev = sampleRows(x, c.EvalRows, c.Seed)
	}
	null := nullLike(ev, c.KMeans.Spherical, c.Seed)
	// The stabilities of every k, on the data and on the reference, are
	// independent: they are computed concurrently, one per goroutine of
	// the pool, each fit on one thread (thousands of rows per fit leave
	// little for threads within it to share). Every fit is seeded by its
	// k, stream and resample, and no fit depends on its thread count, so
	// the scores are those of one thread, bit for bit. Items are handed
	// out from the largest k, the longest, so that the shortest come last.
	nk := c.Max - c.Min + 1
	stab := make([]float64, 2*nk)
	errs := make([]error, 2*nk)
	one := c
	one.KMeans.Threads = 1
	parallelFor(threadCount(c.KMeans.Threads), 2*nk, func(_, it int) {
		j, stream := nk-1-it/2, it%2
		data := ev
		if stream == 1 {
			data = null
		}
		stab[2*j+stream], errs[2*j+stream] = one.stability(data, c.Min+j, uint64(stream))
	})
	for j := 0; j < nk; j++ {
		for _, err := range errs[2*j : 2*j+2] {
			if err != nil {
				return 0, nil, err
			}
		}
		s, s0 := stab[2*j], stab[2*j+1]
		scores = append(scores, KScore{K: c.Min + j, Stability: s, NullStability: s0, Score: s - s0})
	}
	return chooseFrom(scores), scores, nil
}

// Tolerances of the rule in chooseFrom.
const (
	// scoreTie is the difference of scores below which the larger k wins.
	scoreTie = 0.01
	// minScore is the best score below which no k is more stable than the
	// reference without clusters: the smallest k is returned.
	minScore = 0.05
)

// chooseFrom applies ChooseK's rule to scores in increasing k: the null
// stabilities are first made non-increasing in k (the least-squares
// isotonic fit: a cloud without clusters splits less reproducibly into more
// parts, and what departs from that is noise of the estimate) and the
// scores recomputed; the k with the highest score wins, and among the k
// whose score and stability are both within scoreTie of its, the largest (a
// partition as stable as a coarser one says more). When no score reaches minScore the smallest k is chosen.
func chooseFrom(scores []KScore) int {
	null := make([]float64, len(scores))
	for i, s := range scores {
		null[i] = s.NullStability
	}
	null = isotonicDecreasing(null)
	for i := range scores {
		scores[i].Score = scores[i].Stability - null[i]
	}
	top := 0
	for i, s := range scores {
		if s.Score > scores[top].Score {
			top = i
		}
	}
	if scores[top].Score < minScore {
		return scores[0].K
	}
	best := top
	for i := top + 1; i < len(scores); i++ {
		if scores[i].Score >= scores[top].Score-scoreTie && scores[i].Stability >= scores[top].Stability-scoreTie {
			best = i
		}
	}
	return scores[best].K
}

// isotonicDecreasing returns the non-increasing sequence nearest to y in
// least squares (pool adjacent violators).
func isotonicDecreasing(y []float64) []float64 {
	type block struct {
		sum float64
		n   int
	}
	var bs []block
	for _, v := range y {
		bs = append(bs, block{v, 1})
		for len(bs) > 1 {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			if a.sum/float64(a.n) >= b.sum/float64(b.n) {
				break
			}
			bs = append(bs[:len(bs)-2], block{a.sum + b.sum, a.n + b.n})
		}
	}
	out := make([]float64, 0, len(y))
	for _, b := range bs {
		for range b.n {
			out = append(out, b.sum/float64(b.n))
		}
	}
	return out
}

// stability is the mean pairwise ARI of the resample labellings of x.
func (c ChooseK) stability(x blas32.General, k int, stream uint64) (float64, error) {
	labs, err := c.resample(x, x, k, stream)
	if err != nil {
		return 0, err
	}
	s, pairs := 0.0, 0
	for a := range labs {
		for b := a + 1; b < len(labs); b++ {
			s += ARI(labs[a], labs[b])
			pairs++
		}
	}
	return s / float64(pairs), nil
}

// resample fits k-means with k clusters on Resamples subsamples of fit and
// returns, for each, the nearest-centroid labels of the rows of label.
func (c ChooseK) resample(fit, label blas32.General, k int, stream uint64) ([][]int, error) {
	m := min(fit.Rows*4/5, c.SampleRows)
	m = max(m, min(k+1, fit.Rows))
	out := make([][]int, c.Resamples)
	for r := range out {
		sub := fit
		if m < fit.Rows {
			sub = sampleRows(fit, m, c.Seed^(stream<<32|uint64(r+1)*0x9e3779b9))
		}
		km := c.KMeans
		km.K, km.Restarts, km.Seed = k, c.Restarts, c.Seed+uint64(r)+stream*1000003
		res, err := km.Fit(sub)
		if err != nil {
			return nil, err
		}
		out[r], _ = assign(label, res.Centroids, km.Spherical, threadCount(km.Threads))
	}
	return out, nil
}

// ThemeStability returns, for each of the k clusters of labels (a partition
// of the rows of x), its stability: the mean over Resamples k-means fits on
// subsamples (as ChooseK makes them) of the best Jaccard index between the
// cluster's rows and one cluster of the fit's labelling (Hennig 2007's
// clusterboot measure). Hennig reads below 0.5 as a cluster that dissolves,
// above 0.75 as a real one. Rows with a negative label are left out.
func (c ChooseK) ThemeStability(x blas32.General, labels []int, k int) ([]float64, error) {
	checkGeneral(x)
	if len(labels) != x.Rows {
		panic("cluster: ThemeStability label count mismatch")
	}
	c = c.withDefaults(x.Rows)
	ev, evLabels := x, labels
	if x.Rows > c.EvalRows {
		idx := sampleIndex(x.Rows, c.EvalRows, c.Seed)
		ev = gatherRows(x, idx)
		evLabels = make([]int, len(idx))
		for q, i := range idx {
			evLabels[q] = labels[i]
		}
	}
	if ev.Rows <= k {
		out := make([]float64, k)
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	labs, err := c.resample(ev, ev, k, 2)
	if err != nil {
		return nil, err
	}
	out := make([]float64, k)
	for _, l := range labs {
		for t, j := range bestJaccard(evLabels, l, k, k) {
			out[t] += j / float64(len(labs))
		}
	}
	return out, nil
}

// bestJaccard returns, for each cluster of a (ka clusters), the best Jaccard
// index with a cluster of b (kb clusters). Negative labels are skipped.
func bestJaccard(a, b []int, ka, kb int) []float64 {
	inter := make([]int, ka*kb)
	sa, sb := make([]int, ka), make([]int, kb)
	for i := range a {
		if a[i] < 0 || b[i] < 0 {
			continue
		}
		inter[a[i]*kb+b[i]]++
		sa[a[i]]++
		sb[b[i]]++
	}
	out := make([]float64, ka)
	for i := 0; i < ka; i++ {
		for j := 0; j < kb; j++ {
			if u := sa[i] + sb[j] - inter[i*kb+j]; u > 0 {
				out[i] = max(out[i], float64(inter[i*kb+j])/float64(u))
			}
		}
	}
	return out
}

// nullLike returns reference data without clusters for x: as many rows, each
// the mean of x plus a Gaussian combination of 20 random centred rows of x
// scaled by 1/√20, so that the rows have x's mean and covariance and are
// close to Gaussian (Tibshirani et al. 2001's reference aligned with the
// principal components, without computing them); in cosine geometry they
// are then normalised.
func nullLike(x blas32.General, spherical bool, seed uint64) blas32.General {
	const m = 20
	n, d := x.Rows, x.Cols
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		axpy64(mean, 1/float64(n), row(x, i))
	}
	rng := newRand(seed, 0x6e756c6c) // "null"
	out := newGeneral(n, d)
	acc := make([]float64, d)
	inv := 1 / math.Sqrt(m)
	for i := 0; i < n; i++ {
		copy(acc, mean)
		for j := 0; j < m; j++ {
			g := rng.NormFloat64() * inv
			r := row(x, rng.IntN(n))
			for t, v := range r {
				acc[t] += g * (float64(v) - mean[t])
			}
		}
		s := 1.0
		if spherical {
			s = 0
			for _, v := range acc {
				s += v * v
			}
			s = 1 / math.Sqrt(s)
		}
		o := row(out, i)
		for t, v := range acc {
			o[t] = float32(v * s)
		}
	}
	return out
}

// checkFinite returns ErrNotFinite for a NaN or infinite entry.
func checkFinite(x blas32.General) error {
	for i := 0; i < x.Rows; i++ {
		for _, v := range row(x, i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("row %d: %w", i, ErrNotFinite)
			}
		}
	}
	return nil
}
