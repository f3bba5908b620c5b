package cluster

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// The tests of this file check KMeans against answers it did not compute:
// the exact optimum found by trying every partition, and scikit-learn's.
// (kmeans_test.go checks the bounds-accelerated path against the plain one,
// which catches a wrong bound but not a wrong algorithm.)

// partitions calls f with every partition of n items into exactly k
// non-empty groups, as a restricted growth string: labels[0] = 0 and each
// label is at most one more than the largest before it.
func partitions(n, k int, f func(labels []int)) {
	labels := make([]int, n)
	var rec func(i, used int)
	rec = func(i, used int) {
		if n-i < k-used {
			return // too few items left to open the missing groups
		}
		if i == n {
			f(labels)
			return
		}
		for l := 0; l <= used && l < k; l++ {
			labels[i] = l
			rec(i+1, max(used, l+1))
		}
	}
	rec(0, 0)
}

// inertia64 is the inertia of a partition with the best centroid of each
// group, in float64: the mean (Euclidean), or the normalised mean of the
// unit rows (cosine), which maximises the sum of the cosines.
func inertia64(x [][]float64, labels []int, k int, spherical bool) float64 {
	d := len(x[0])
	sum := make([][]float64, k)
	for j := range sum {
		sum[j] = make([]float64, d)
	}
	count := make([]int, k)
	for i, row := range x {
		for c, v := range row {
			sum[labels[i]][c] += v
		}
		count[labels[i]]++
	}
	total := 0.0
	for j := range sum {
		if spherical {
			norm := 0.0
			for _, v := range sum[j] {
				norm += v * v
			}
			// Σ(1 − x·c) with c = s/‖s‖ is n_j − ‖s‖ for unit rows.
			total += float64(count[j]) - math.Sqrt(norm)
			continue
		}
		for c := range sum[j] {
			sum[j][c] /= float64(count[j])
		}
	}
	if spherical {
		return total
	}
	for i, row := range x {
		for c, v := range row {
			dv := v - sum[labels[i]][c]
			total += dv * dv
		}
	}
	return total
}

// samePartition reports whether two labellings group the items alike,
// whatever the numbering of the groups.
func samePartition(a, b []int) bool {
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if l, ok := ab[a[i]]; ok && l != b[i] {
			return false
		}
		if l, ok := ba[b[i]]; ok && l != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

// TestKMeansFindsExactOptimum: on small seeded data sets, KMeans with
// restarts reaches the partition of least inertia, found by trying all of
// them (S(11, 3) = 28,501 and S(10, 4) = 34,105 partitions), and reports
// that partition's inertia as computed here in float64.
func TestKMeansFindsExactOptimum(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, d, k   int
		blobs     int
		spread    float64
		spherical bool
		seed      uint64
	}{
		{"euclidean n=11 k=3", 11, 3, 3, 3, 1.5, false, 1},
		{"euclidean n=10 k=4 overlapping", 10, 2, 4, 3, 2.5, false, 2},
		{"cosine n=11 k=3", 11, 4, 3, 3, 0.8, true, 3},
		{"cosine n=10 k=4 overlapping", 10, 3, 4, 2, 1.2, true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 20261206))
			centres := make([][]float64, tc.blobs)
			for j := range centres {
				centres[j] = make([]float64, tc.d)
				for c := range centres[j] {
					centres[j][c] = 3 * rng.NormFloat64()
				}
			}
			x := make([][]float64, tc.n)
			data := make([]float32, tc.n*tc.d)
			for i := range x {
				x[i] = make([]float64, tc.d)
				norm := 0.0
				for c := range x[i] {
					x[i][c] = float64(float32(centres[i%tc.blobs][c] + tc.spread*rng.NormFloat64()))
					norm += x[i][c] * x[i][c]
				}
				if tc.spherical { // unit rows, so that both sides use the same points
					for c := range x[i] {
						x[i][c] = float64(float32(x[i][c] / math.Sqrt(norm)))
					}
				}
				for c, v := range x[i] {
					data[i*tc.d+c] = float32(v)
				}
			}

			best, second := math.Inf(1), math.Inf(1)
			var bestLabels []int
			partitions(tc.n, tc.k, func(l []int) {
				v := inertia64(x, l, tc.k, tc.spherical)
				switch {
				case v < best:
					best, second = v, best
					bestLabels = append(bestLabels[:0], l...)
				case v < second:
					second = v
				}
			})
			// The optimum must be clear of the runner-up for the labels to
			// be a fair check in float32.
			if second-best < 1e-4*max(best, 1) {
				t.Fatalf("optimum %v and runner-up %v too close to tell apart; choose another seed", best, second)
			}

			res, err := KMeans{K: tc.k, Restarts: 20, Seed: 7, Spherical: tc.spherical}.Fit(blas32.General{Rows: tc.n, Cols: tc.d, Stride: tc.d, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if !samePartition(res.Labels, bestLabels) {
				t.Errorf("labels %v, want the optimal partition %v (inertia %v; got %v)", res.Labels, bestLabels, best, inertia64(x, res.Labels, tc.k, tc.spherical))
			}
			// float32 arithmetic against float64: 1e-5 relative.
			if math.Abs(res.Inertia-best) > 1e-5*max(best, 1) {
				t.Errorf("inertia %v, want the optimum %v", res.Inertia, best)
			}
		})
	}
}

// Reference answer of scikit-learn 1.2.1 (Debian's python3-sklearn, numpy
// 1.24.2), made on 2026-12-06 by this program run with /usr/bin/python3:
//
//	import numpy as np
//	from sklearn.cluster import KMeans
//	rng = np.random.default_rng(20261206)
//	centers = rng.normal(0, 3, size=(4, 5))
//	x = np.vstack([c + rng.normal(0, 3.2, size=(12, 5)) for c in centers]).astype(np.float32)
//	x = np.round(x, 3)
//	init = x[[0, 1, 2, 3]]  # first four rows, all from the first blob: Lloyd has to move
//	km = KMeans(n_clusters=4, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=0).fit(x.astype(np.float64))
//	fmt = lambda a: "{" + ", ".join(f"{v:.3f}" for v in a) + "}"
//	print("x:")
//	for r in x: print("\t" + fmt(r) + ",")
//	print("labels:", ", ".join(str(l) for l in km.labels_))
//	print("centroids:")
//	for c in km.cluster_centers_: print("\t{" + ", ".join(f"{v:.9g}" for v in c) + "},")
//	print("inertia: %.9g" % km.inertia_, "n_iter:", km.n_iter_)
//
// 48 rows in 5 dimensions around 4 seeded centres with wide noise, so that
// the clusters overlap and some rows change sides; Lloyd starts from the
// first four rows, all of the first blob, and converges in 5 iterations.
var skRefX = [][]float32{
	{-4.584, 0.818, 4.649, 4.504, 0.623},
	{-3.413, 1.216, 6.663, -7.010, 3.890},
	{-3.524, -4.729, 1.421, -0.008, -4.027},
	{-3.246, 1.507, -0.636, 3.143, 3.043},
	{-3.429, -4.199, 1.182, 0.782, 2.525},
	{-3.285, 0.068, -3.334, -1.370, 1.379},
	{-7.735, 1.895, 0.332, -2.277, 0.479},
	{0.998, 0.086, 5.846, 0.882, -0.118},
	{-6.268, 3.423, 1.706, 3.479, 1.565},
	{-3.260, -0.990, 6.613, 0.885, -4.851},
	{-1.473, 3.271, 5.883, -1.751, 2.852},
	{2.075, 8.599, 6.009, 0.650, 3.675},
	{-3.403, -0.912, -6.882, -4.072, -2.831},
	{2.222, -1.588, -2.869, 0.252, -4.207},
	{8.707, -6.681, -5.828, -6.412, -8.332},
	{3.989, 2.073, -1.837, 2.785, -9.229},
	{4.106, 2.200, -8.515, -0.079, -1.325},
	{9.869, -0.406, -3.450, -3.153, -6.809},
	{0.703, 7.008, -5.779, 1.788, -4.138},
	{2.131, 3.568, -3.179, -0.257, -5.826},
	{2.177, -0.304, -7.226, -2.278, -9.524},
	{0.612, 6.003, -4.977, -3.019, -2.854},
	{1.247, 2.766, -4.649, 5.570, -6.330},
	{0.002, 0.340, -3.483, -1.897, -1.130},
	{-6.168, -4.996, -1.118, 6.562, 10.118},
	{-3.844, -3.005, 0.859, 3.640, 4.649},
	{-8.500, -2.717, 2.977, 2.823, 14.687},
	{-6.904, 1.022, -0.651, 1.331, 6.704},
	{-3.803, -4.969, 1.234, -1.814, 5.957},
	{-3.508, -9.609, 0.926, 7.518, 6.485},
	{-9.299, -2.471, 4.483, 0.833, 4.271},
	{-7.791, -1.461, 1.110, -3.239, 12.259},
	{-2.869, -3.166, -4.149, 0.360, 11.488},
	{-8.948, -7.312, 7.268, -3.037, 9.882},
	{-11.338, -5.580, -1.078, 0.731, 6.111},
	{-5.027, -6.367, -0.903, 5.475, 15.065},
	{7.928, -0.155, 5.958, -4.957, -6.326},
	{10.214, 5.436, 4.123, 0.067, 0.020},
	{6.451, 5.806, -3.325, -4.201, -6.744},
	{10.371, 6.963, 3.352, -2.638, -2.548},
	{4.092, 0.961, 3.805, -3.137, -5.262},
	{10.079, 5.071, 0.136, -7.251, 1.403},
	{4.712, 4.286, 1.074, -0.471, -6.527},
	{11.212, 5.835, 3.891, -1.084, -2.488},
	{6.900, 2.949, 7.071, -5.396, -2.415},
	{1.146, 3.673, 2.571, -0.034, -8.020},
	{7.551, 5.171, 5.023, -1.053, -4.607},
	{10.190, 4.412, 5.595, -5.256, -3.725},
}

var (
	skRefLabels    = []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2, 1, 1}
	skRefCentroids = [][]float64{
		{-3.56536368, 0.215090905, 2.7568182, 0.114454542, 0.669090948},
		{8.06120002, 4.52419999, 4.49629999, -3.00549997, -2.22730001},
		{2.97806668, 1.85546664, -3.89026669, -1.03186669, -5.58840004},
		{-6.49991665, -4.21924997, 0.913166647, 1.76524999, 8.97299997},
	}
	skRefInertia = 2011.85342
)

// TestKMeansMatchesScikitLearn: from the same initial centroids, KMeans
// (Lloyd, no tolerance test) ends with scikit-learn's labels, centroids and
// inertia.
func TestKMeansMatchesScikitLearn(t *testing.T) {
	n, d := len(skRefX), len(skRefX[0])
	x := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, 0, n*d)}
	for _, r := range skRefX {
		x.Data = append(x.Data, r...)
	}
	k := len(skRefCentroids)
	init := blas32.General{Rows: k, Cols: d, Stride: d, Data: append([]float32(nil), x.Data[:k*d]...)}
	for _, bounds := range []bool{true, false} {
		t.Run(map[bool]string{true: "Hamerly bounds", false: "no bounds"}[bounds], func(t *testing.T) {
			res, err := KMeans{Init: &init, MaxIter: 300, Tol: -1, noBounds: !bounds}.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range res.Labels {
				if l != skRefLabels[i] {
					t.Fatalf("labels %v, want scikit-learn's %v", res.Labels, skRefLabels)
				}
			}
			for j, want := range skRefCentroids {
				for c, w := range want {
					if got := float64(res.Centroids.Data[j*res.Centroids.Stride+c]); math.Abs(got-w) > 1e-5*max(math.Abs(w), 1) {
						t.Errorf("centroid %d[%d] = %v, want %v", j, c, got, w)
					}
				}
			}
			if math.Abs(res.Inertia-skRefInertia) > 1e-5*skRefInertia {
				t.Errorf("inertia %v, want %v", res.Inertia, skRefInertia)
			}
		})
	}
}
