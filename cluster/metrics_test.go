package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		name        string
		truth, pred []int
		h, c, v     float64
		nmi, ari    float64
		source      string
	}{
		{
			name: "split", truth: []int{0, 0, 0, 1, 1, 1}, pred: []int{0, 0, 1, 1, 2, 2},
			// By hand: h = 1 − (⅓·ln2)/ln2 = 2/3; ARI = (2 − 6·3/15)/((6+3)/2 − 6·3/15) = 0.8/3.3.
			// c, v, NMI from scikit-learn 1.2.1 homogeneity_completeness_v_measure and
			// normalized_mutual_info_score.
			h: 2.0 / 3, c: 0.420619835714305, v: 0.5158037429793889,
			nmi: 0.5158037429793889, ari: 0.8 / 3.3,
		},
		{
			// scikit-learn 1.2.1 (homogeneity_completeness_v_measure,
			// normalized_mutual_info_score, adjusted_rand_score); arbitrary label values.
			name: "arbitrary", truth: []int{5, 5, -1, -1, 3, 3, 3, 5}, pred: []int{1, 1, 1, 0, 0, 0, 2, 2},
			h: 0.3987478202411471, c: 0.3987478202411471, v: 0.3987478202411471,
			nmi: 0.3987478202411471, ari: 0.047619047619047616,
		},
		{
			// By hand: one cluster holding two classes is complete but not homogeneous.
			name: "merged", truth: []int{0, 0, 1, 1}, pred: []int{0, 0, 0, 0},
			h: 0, c: 1, v: 0, nmi: 0, ari: 0,
		},
		{
			// By hand: a relabelled copy is a perfect match.
			name: "permuted", truth: []int{0, 0, 1, 1, 2, 2}, pred: []int{7, 7, 3, 3, 5, 5},
			h: 1, c: 1, v: 1, nmi: 1, ari: 1,
		},
		{
			// scikit-learn 1.2.1, truth i%4, pred (i*7)%5 if i%3 else i%4, i < 40.
			name: "larger", truth: seq(40, func(i int) int { return i % 4 }),
			pred: seq(40, func(i int) int {
				if i%3 != 0 {
					return (i * 7) % 5
				}
				return i % 4
			}),
			h: 0.13313569898231334, c: 0.11538301439690223, v: 0.1236252840966353,
			nmi: 0.12362528409663529, ari: 0.038910505836575876,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const tol = 1e-12
			h, c, v := VMeasure(tc.truth, tc.pred)
			for _, q := range []struct {
				what      string
				got, want float64
			}{{"homogeneity", h, tc.h}, {"completeness", c, tc.c}, {"v", v, tc.v},
				{"nmi", NMI(tc.truth, tc.pred), tc.nmi}, {"ari", ARI(tc.truth, tc.pred), tc.ari}} {
				if math.Abs(q.got-q.want) > tol {
					t.Errorf("%s = %v, want %v", q.what, q.got, q.want)
				}
			}
		})
	}
}

func seq(n int, f func(int) int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
}

func TestSilhouette(t *testing.T) {
	pts := [][2]float32{{0, 0}, {0.5, 0.2}, {0.1, 0.8}, {5, 5}, {5.5, 4.8}, {4.7, 5.3}, {9, 0}, {9.2, 0.4}, {8.8, -0.3}, {1, 1}}
	x := newGeneral(len(pts), 2)
	shifted := newGeneral(len(pts), 2)
	for i, p := range pts {
		copy(row(x, i), p[:])
		row(shifted, i)[0], row(shifted, i)[1] = p[0]+0.1, p[1]+0.1
	}
	for _, tc := range []struct {
		name   string
		x      [2]bool // shifted?, cosine?
		labels []int
		want   float64
	}{
		// scikit-learn 1.2.1 silhouette_score(X, labels) on the same float32 points.
		{"euclidean", [2]bool{false, false}, []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 0}, 0.88855106},
		// silhouette_score(X + 0.1, labels, metric="cosine").
		{"cosine", [2]bool{true, true}, []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 0}, 0.2829515},
		// A singleton cluster scores 0 for its point.
		{"singleton", [2]bool{false, false}, []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3}, 0.6443486},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := x
			if tc.x[0] {
				data = shifted
			}
			got := Silhouette(data, tc.labels, 0, 1, tc.x[1])
			// sklearn's value is float32; allow its rounding.
			if math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("one-cluster", func(t *testing.T) {
		if got := Silhouette(x, make([]int, x.Rows), 0, 1, false); got != 0 {
			t.Errorf("got %v, want 0 for a single cluster", got)
		}
	})
	t.Run("sample-deterministic", func(t *testing.T) {
		xb, truth := Blobs(3000, 8, 3, 4, 1, false, 2)
		a := Silhouette(xb, truth, 500, 7, false)
		b := Silhouette(xb, truth, 500, 7, false)
		full := Silhouette(xb, truth, 0, 7, false)
		if a != b {
			t.Errorf("same seed, different results: %v %v", a, b)
		}
		for _, th := range []int{1, 3} {
			if c, _ := silhouette(xb, truth, 2000, 7, false, th); c != Silhouette(xb, truth, 2000, 7, false) {
				t.Errorf("threads=%d changed the result", th)
			}
		}
		// A 500-row sample estimates the full mean within a few standard errors.
		if math.Abs(a-full) > 0.05 {
			t.Errorf("sample %v far from full %v", a, full)
		}
	})
}

func TestContingencyDenseAndSparseAgree(t *testing.T) {
	// Small tables are dense arrays, large ones maps of the nonzero
	// cells: the same labels through both give the same figures.
	rng := rand.New(rand.NewPCG(5, 5))
	truth, pred := make([]int, 3000), make([]int, 3000)
	for i := range truth {
		truth[i] = rng.IntN(40) * 7
		pred[i] = truth[i]/7%13 + 100*rng.IntN(3) - 50
	}
	h, c, v := VMeasure(truth, pred)
	nmi, ari := NMI(truth, pred), ARI(truth, pred)
	old := denseCells
	denseCells = 0
	defer func() { denseCells = old }()
	h2, c2, v2 := VMeasure(truth, pred)
	if h != h2 || c != c2 || v != v2 || nmi != NMI(truth, pred) || ari != ARI(truth, pred) {
		t.Errorf("dense: %v %v %v %v %v; sparse: %v %v %v %v %v", h, c, v, nmi, ari, h2, c2, v2, NMI(truth, pred), ARI(truth, pred))
	}
	if v <= 0 || v >= 1 || ari <= 0 || ari >= 1 {
		t.Errorf("V-measure %v, ARI %v: want partial agreement", v, ari)
	}
}
