package cluster

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

func sameResult(t *testing.T, name string, a, b *Result) {
	t.Helper()
	if !slices.Equal(a.Labels, b.Labels) {
		t.Errorf("%s: labels differ", name)
	}
	if !slices.Equal(a.Centroids.Data, b.Centroids.Data) {
		t.Errorf("%s: centroids differ", name)
	}
	if a.Inertia != b.Inertia || a.Iterations != b.Iterations || a.Converged != b.Converged {
		t.Errorf("%s: inertia/iterations differ: %v/%d/%v vs %v/%d/%v", name,
			a.Inertia, a.Iterations, a.Converged, b.Inertia, b.Iterations, b.Converged)
	}
}

func TestKMeansBoundsAndThreadsDoNotChangeResult(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, d, k   int
		noise     float64
		spherical bool
	}{
		{"separated", 2000, 16, 5, 0.3, false},
		{"overlapping", 3000, 24, 12, 2.0, false},
		{"odd-dimension", 1500, 13, 7, 1.5, false},
		{"spherical", 3000, 32, 10, 1.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := Blobs(tc.n, tc.d, tc.k, 1, tc.noise, tc.spherical, 3)
			base := KMeans{K: tc.k, Seed: 11, Spherical: tc.spherical, Tol: -1, MaxIter: 60}
			ref := base
			ref.noBounds, ref.Threads = true, 1
			want, err := ref.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			for _, th := range []int{1, 2, 3, 7} {
				km := base
				km.Threads = th
				got, err := km.Fit(x)
				if err != nil {
					t.Fatal(err)
				}
				sameResult(t, "threads", want, got)
			}
		})
	}
}

func TestKMeansInertiaNeverIncreases(t *testing.T) {
	for _, spherical := range []bool{false, true} {
		x, _ := Blobs(2000, 20, 8, 1, 2.5, spherical, 5)
		seed, err := KMeans{K: 8, Seed: 2, MaxIter: 1, Spherical: spherical, Restarts: 1}.Fit(x)
		if err != nil {
			t.Fatal(err)
		}
		init := seed.Centroids
		prev := math.Inf(1)
		for it := 1; it <= 25; it++ {
			r, err := KMeans{Init: &init, MaxIter: it, Tol: -1, Spherical: spherical}.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			// Lloyd's steps never increase the objective; allow float64 rounding.
			if r.Inertia > prev*(1+1e-12) {
				t.Fatalf("spherical=%v: inertia rose at iteration %d: %v > %v", spherical, it, r.Inertia, prev)
			}
			prev = r.Inertia
		}
	}
}

func TestKMeansRecoversBlobs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, d, k   int
		spherical bool
	}{
		{"euclidean", 1200, 10, 4, false},
		{"cosine", 1500, 32, 6, true},
		{"many", 5000, 50, 25, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Centres ~N(0, 10²) per coordinate, noise N(0, 1): far apart.
			x, truth := Blobs(tc.n, tc.d, tc.k, 10, 1, tc.spherical, 1)
			r, err := KMeans{K: tc.k, Seed: 3, Spherical: tc.spherical}.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			if ari := ARI(truth, r.Labels); ari != 1 {
				t.Errorf("ARI = %v, want 1", ari)
			}
			if !r.Converged {
				t.Errorf("did not converge in %d iterations", r.Iterations)
			}
			if tc.spherical {
				for j := 0; j < tc.k; j++ {
					c := row(r.Centroids, j)
					if nrm := math.Sqrt(dotF64(c, c)); math.Abs(nrm-1) > 1e-6 {
						t.Errorf("centroid %d has norm %v", j, nrm)
					}
				}
			}
			// Inertia is what Assign's distances add up to.
			_, dist := Assign(x, r.Centroids, tc.spherical)
			s := 0.0
			for _, v := range dist {
				s += float64(v)
			}
			if math.Abs(s-r.Inertia) > 1e-5*r.Inertia {
				t.Errorf("Σ Assign distances = %v, inertia = %v", s, r.Inertia)
			}
		})
	}
}

func TestKMeansErrors(t *testing.T) {
	x, _ := Blobs(10, 3, 2, 1, 1, false, 1)
	nan := cloneGeneral(x)
	nan.Data[7] = float32(math.NaN())
	zero := cloneGeneral(x)
	clear(row(zero, 4))
	wrong := newGeneral(3, 4)
	for _, tc := range []struct {
		name string
		km   KMeans
		x    blas32.General
		want error
	}{
		{"k=0", KMeans{}, x, ErrBadOption},
		{"k>n", KMeans{K: 11}, x, ErrTooFewPoints},
		{"nan", KMeans{K: 2}, nan, ErrNotFinite},
		{"zero-row-cosine", KMeans{K: 2, Spherical: true}, zero, ErrZeroVector},
		{"init-shape", KMeans{K: 3, Init: &wrong}, x, ErrBadOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.km.Fit(tc.x)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("zero-row-euclidean-is-fine", func(t *testing.T) {
		if _, err := (KMeans{K: 2}).Fit(zero); err != nil {
			t.Error(err)
		}
	})
}

// TestKMeansEmptyClusterRelocation starts with three copies of one centroid, so
// clusters 1 and 2 are empty after the first assignment: they must take the
// farthest and second-farthest points, and no cluster may end empty.
func TestKMeansEmptyClusterRelocation(t *testing.T) {
	x, _ := Blobs(600, 5, 3, 10, 1, false, 4)
	init := newGeneral(3, 5)
	for j := 0; j < 3; j++ {
		copy(row(init, j), row(x, 0))
	}
	// The two rows farthest from row 0, by hand.
	far := []int{-1, -1}
	best := []float64{-1, -1}
	for i := 0; i < x.Rows; i++ {
		s := 0.0
		for t, v := range row(x, i) {
			dv := float64(v) - float64(row(x, 0)[t])
			s += dv * dv
		}
		if s > best[0] {
			far[1], best[1], far[0], best[0] = far[0], best[0], i, s
		} else if s > best[1] {
			far[1], best[1] = i, s
		}
	}
	for _, nb := range []bool{false, true} {
		one, err := KMeans{Init: &init, MaxIter: 1, noBounds: nb}.Fit(x)
		if err != nil {
			t.Fatal(err)
		}
		for j := 1; j < 3; j++ {
			if !slices.Equal(row(one.Centroids, j), row(x, far[j-1])) {
				t.Errorf("noBounds=%v: centroid %d is not row %d", nb, j, far[j-1])
			}
		}
		r, err := KMeans{Init: &init, noBounds: nb}.Fit(x)
		if err != nil {
			t.Fatal(err)
		}
		size := make([]int, 3)
		for _, l := range r.Labels {
			size[l]++
		}
		if slices.Contains(size, 0) {
			t.Errorf("noBounds=%v: empty cluster, sizes %v", nb, size)
		}
	}
}

func TestKMeansSeedMatters(t *testing.T) {
	x, _ := Blobs(2000, 8, 6, 1, 1.2, false, 8)
	a, _ := KMeans{K: 6, Seed: 1, Restarts: 1}.Fit(x)
	b, _ := KMeans{K: 6, Seed: 1, Restarts: 1}.Fit(x)
	sameResult(t, "same seed", a, b)
	c, _ := KMeans{K: 6, Seed: 2, Restarts: 1}.Fit(x)
	if slices.Equal(a.Centroids.Data, c.Centroids.Data) {
		t.Error("different seeds gave identical centroids")
	}
}

func TestMiniBatchKMeans(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spherical bool
	}{{"euclidean", false}, {"cosine", true}} {
		t.Run(tc.name, func(t *testing.T) {
			x, truth := Blobs(20000, 16, 8, 10, 1, tc.spherical, 6)
			mb := MiniBatchKMeans{K: 8, BatchSize: 512, Seed: 1, Spherical: tc.spherical}
			r, err := mb.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Labels) != x.Rows {
				t.Fatalf("%d labels for %d rows", len(r.Labels), x.Rows)
			}
			if ari := ARI(truth, r.Labels); ari < 0.99 {
				t.Errorf("ARI = %v, want ≥ 0.99", ari)
			}
			full, err := KMeans{K: 8, Seed: 1, Spherical: tc.spherical}.Fit(x)
			if err != nil {
				t.Fatal(err)
			}
			// On separated blobs mini-batch lands within 1% of full k-means.
			if r.Inertia > full.Inertia*1.01 {
				t.Errorf("mini-batch inertia %v vs full %v", r.Inertia, full.Inertia)
			}
			for _, th := range []int{1, 3} {
				m2 := mb
				m2.Threads = th
				r2, err := m2.Fit(x)
				if err != nil {
					t.Fatal(err)
				}
				sameResult(t, "threads", r, r2)
			}
		})
	}
}

func TestAssignAndRepresentatives(t *testing.T) {
	x := newGeneral(6, 2)
	for i, p := range [][2]float32{{0, 0}, {1, 0}, {0.2, 0}, {10, 10}, {11, 10}, {10, 10.1}} {
		copy(row(x, i), p[:])
	}
	c := newGeneral(2, 2)
	copy(row(c, 0), []float32{0.4, 0})
	copy(row(c, 1), []float32{10, 10})
	labels, dist := Assign(x, c, false)
	// By hand: squared distances to the nearest centroid.
	wantL := []int{0, 0, 0, 1, 1, 1}
	wantD := []float64{0.16, 0.36, 0.04, 0, 1, 0.01}
	if !slices.Equal(labels, wantL) {
		t.Errorf("labels %v, want %v", labels, wantL)
	}
	for i := range wantD {
		if math.Abs(float64(dist[i])-wantD[i]) > 1e-6 {
			t.Errorf("dist[%d] = %v, want %v", i, dist[i], wantD[i])
		}
	}
	reps := Representatives(x, labels, c, 2, false)
	if want := [][]int{{2, 0}, {3, 5}}; !slices.EqualFunc(reps, want, slices.Equal[[]int]) {
		t.Errorf("representatives %v, want %v", reps, want)
	}
	// Cosine: (1,0) and (0.2,0) have the same direction as centroid 0.
	_, cd := Assign(x, c, true)
	if cd[1] > 1e-7 || cd[2] > 1e-7 {
		t.Errorf("cosine distances %v", cd)
	}
}

func TestChooseK(t *testing.T) {
	// Well-separated blobs (Blobs: centres drawn with scale 10, unit noise)
	// at k = 3, 8 and 20 in Euclidean and cosine geometry: the criterion
	// finds k, and it is not the top of the range tried.
	for _, tc := range []struct {
		name      string
		n, d, k   int
		max       int
		spherical bool
	}{
		{"3-blobs", 600, 12, 3, 12, false},
		{"8-blobs", 1600, 16, 8, 16, false},
		{"20-blobs", 4000, 32, 20, 30, false},
		{"8-directions", 1600, 16, 8, 16, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := Blobs(tc.n, tc.d, tc.k, 10, 1, tc.spherical, 10)
			best, scores, err := ChooseK{Max: tc.max, Seed: 1, KMeans: KMeans{Spherical: tc.spherical}}.Choose(x)
			if err != nil {
				t.Fatal(err)
			}
			if best != tc.k {
				t.Errorf("chose %d, want %d; scores %+v", best, tc.k, scores)
			}
			if len(scores) != tc.max-1 || scores[0].K != 2 || scores[len(scores)-1].K != tc.max {
				t.Errorf("scores should cover k = 2..%d: %+v", tc.max, scores)
			}
			for _, s := range scores {
				if s.Score > s.Stability-s.NullStability+0.5 || s.Score < s.Stability-1 {
					t.Errorf("k = %d: score %v is not stability %v − null %v", s.K, s.Score, s.Stability, s.NullStability)
				}
			}
		})
	}
}

func TestChooseKThreadsDoNotChangeScores(t *testing.T) {
	// Every fit is seeded by its k and k-means does not depend on its
	// thread count, so one thread and four give the same scores, bit for
	// bit.
	x, _ := Blobs(800, 16, 6, 1, 1, true, 3)
	var got [][]KScore
	for _, threads := range []int{1, 4} {
		_, scores, err := ChooseK{Max: 10, Seed: 2, KMeans: KMeans{Spherical: true, Threads: threads}}.Choose(x)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, scores)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("scores with 1 thread %+v\nwith 4 %+v", got[0], got[1])
	}
}

func TestChooseKNoise(t *testing.T) {
	// Uniform noise in a cube and on the sphere has no clusters: the
	// criterion must not find many, and its best score stays small
	// (structure as stable as in the Gaussian reference).
	for _, spherical := range []bool{false, true} {
		rng := newRand(3, 3)
		x := newGeneral(2000, 10)
		for i := range x.Data {
			x.Data[i] = float32(rng.Float64()*2 - 1)
		}
		best, scores, err := ChooseK{Max: 20, Seed: 1, KMeans: KMeans{Spherical: spherical}}.Choose(x)
		if err != nil {
			t.Fatal(err)
		}
		if best > 5 {
			t.Errorf("spherical %v: %d clusters in uniform noise; scores %+v", spherical, best, scores)
		}
	}
}

func TestThemeStability(t *testing.T) {
	// Real blobs are stable (Jaccard near 1); the same k forced on noise
	// gives clusters that dissolve from one subsample to the next.
	x, truth := Blobs(1200, 12, 6, 10, 1, false, 4)
	st, err := ChooseK{Seed: 1}.ThemeStability(x, truth, 6)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range st {
		if v < 0.95 {
			t.Errorf("blob %d: stability %.3f, want ≥ 0.95", i, v)
		}
	}
	rng := newRand(5, 5)
	noise := newGeneral(1200, 12)
	for i := range noise.Data {
		noise.Data[i] = float32(rng.NormFloat64())
	}
	res, err := KMeans{K: 12, Seed: 1}.Fit(noise)
	if err != nil {
		t.Fatal(err)
	}
	st, err = ChooseK{Seed: 1}.ThemeStability(noise, res.Labels, 12)
	if err != nil {
		t.Fatal(err)
	}
	mean := 0.0
	for _, v := range st {
		mean += v / 12
	}
	if mean > 0.6 {
		t.Errorf("12 clusters of Gaussian noise: mean stability %.3f, want < 0.6", mean)
	}
}
