package layout

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// blobs returns n unit rows in d dimensions around c well-separated centres,
// and each row's centre as its label.
func blobs(n, d, c int, seed uint64) (blas32.General, []string) {
	x, labels := noisyBlobs(n, d, c, 0.15, seed)
	return normalizeRows(x), labels
}

// Expected values from scikit-learn 1.2.1:
// sklearn.manifold.trustworthiness(X, Y, n_neighbors=k, metric="cosine").
func TestTrustworthinessMatchesScikitLearn(t *testing.T) {
	x := blas32.General{Rows: 10, Cols: 3, Stride: 3, Data: []float32{
		1, 0, 0, 0.9, 0.1, 0, 0.8, 0.3, 0.1, 0, 1, 0, 0.1, 0.9, 0.2,
		0, 0, 1, 0.2, 0.1, 0.95, 0.5, 0.5, 0.5, 0.3, 0.7, 0.1, 0.6, 0.1, 0.7,
	}}
	xy := []float32{0, 0, 5, 5, 0.2, 0.1, 1, 1, 1.1, 0.9, 3, 0, 3.1, 0.2, 0.5, 2, 1, 0, 2, 2}
	for _, tc := range []struct {
		k    int
		want float64
	}{{2, 0.6846153846153846}, {3, 0.6599999999999999}} {
		got, err := Trustworthiness(x, xy, tc.k, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("k=%d: trustworthiness %v, scikit-learn %v", tc.k, got, tc.want)
		}
	}
}

func TestUMAPSeparatesBlobsAndKeepsNeighbours(t *testing.T) {
	x, labels := blobs(600, 20, 6, 3)
	pca, err := PCA2(x, 7)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := Trustworthiness(x, pca, 10, 0, 1)
	ap, _ := LabelAgreement(pca, labels, 10, 0, 1)
	for _, tc := range []struct {
		name  string
		noise float64
	}{{"umap loss", 0}, {"neg-t-sne", 0.1}} {
		t.Run(tc.name, func(t *testing.T) {
			xy, err := UMAP(x, Options{Seed: 7, Epochs: 200, NoiseWeight: tc.noise})
			if err != nil {
				t.Fatal(err)
			}
			tu, _ := Trustworthiness(x, xy, 10, 0, 1)
			au, _ := LabelAgreement(xy, labels, 10, 0, 1)
			t.Logf("layout: trust %.3f agree %.3f; pca: trust %.3f agree %.3f", tu, au, tp, ap)
			// Six blobs in 20 dimensions: two principal components mix
			// their edges (agreement 0.956), a neighbour-preserving layout
			// keeps them apart (1.000 with either loss at this seed).
			if au < 0.99 {
				t.Errorf("label agreement %.3f, want >= 0.99", au)
			}
			if tu <= tp {
				t.Errorf("trustworthiness %.3f not above pca's %.3f", tu, tp)
			}
		})
	}
}

func TestUMAPDeterministic(t *testing.T) {
	x, _ := blobs(300, 10, 3, 1)
	a, err := UMAP(x, Options{Seed: 5, Epochs: 50, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := UMAP(x, Options{Seed: 5, Epochs: 50, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("same seed, different layouts")
	}
	c, _ := UMAP(x, Options{Seed: 6, Epochs: 50})
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same layout")
	}
}

func TestUMAPSmallAndBad(t *testing.T) {
	for n := 0; n <= 3; n++ {
		x := blas32.General{Rows: n, Cols: 2, Stride: 2, Data: make([]float32, 2*n)}
		for i := range x.Data {
			x.Data[i] = float32(i%3) + 1
		}
		xy, err := UMAP(x, Options{})
		if err != nil || len(xy) != 2*n {
			t.Errorf("n=%d: %d coordinates, %v", n, len(xy), err)
		}
		for _, v := range xy {
			if math.IsNaN(float64(v)) {
				t.Errorf("n=%d: NaN coordinate", n)
			}
		}
	}
	x := blas32.General{Rows: 4, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, float32(math.NaN()), 1, 1, 1}}
	if _, err := UMAP(x, Options{}); err == nil {
		t.Error("NaN input accepted")
	}
}

func TestPlacePutsNewPapersAmongTheirNeighbours(t *testing.T) {
	x, labels := blobs(400, 12, 4, 9)
	known := blas32.General{Rows: 360, Cols: 12, Stride: 12, Data: x.Data[:360*12]}
	fresh := blas32.General{Rows: 40, Cols: 12, Stride: 12, Data: x.Data[360*12:]}
	for _, tc := range []struct {
		name string
		lay  func() ([]float32, error)
	}{
		{"umap", func() ([]float32, error) { return UMAP(known, Options{Seed: 1, Epochs: 150}) }},
		// t-SNE's map is wider (±24 here against UMAP's ±17): Place
		// works from the neighbours' positions, at any scale.
		{"tsne", func() ([]float32, error) { return TSNE(known, TSNEOptions{Seed: 1, Iterations: 500}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xy, err := tc.lay()
			if err != nil {
				t.Fatal(err)
			}
			nxy, err := Place(known, xy, fresh, PlaceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			all := append(slices.Clone(xy), nxy...)
			// Each new paper's nearest laid-out paper on the map has its label.
			hit := 0
			for i := 0; i < 40; i++ {
				best, bd := -1, math.Inf(1)
				for j := 0; j < 360; j++ {
					dx, dy := float64(all[2*(360+i)]-xy[2*j]), float64(all[2*(360+i)+1]-xy[2*j+1])
					if d := dx*dx + dy*dy; d < bd {
						best, bd = j, d
					}
				}
				if labels[best] == labels[360+i] {
					hit++
				}
			}
			if hit < 38 {
				t.Errorf("%d of 40 placed papers landed by a paper of their own blob, want >= 38", hit)
			}
			if _, err := Place(known, xy[:10], fresh, PlaceOptions{}); err == nil {
				t.Error("wrong coordinate count accepted")
			}
		})
	}
}

func TestPow(t *testing.T) {
	for _, x := range []float64{1e-9, 0.001, 0.3, 1, 2.5, 77, 1e6} {
		for _, y := range []float64{curveB, curveB - 1, 0.5, 2} {
			got, want := pow(x, y), math.Pow(x, y)
			if math.Abs(got-want) > 1e-5*want {
				t.Errorf("pow(%g, %g) = %g, want %g", x, y, got, want)
			}
		}
	}
}

// Above SampleRows papers, a laid-out sample places the others, and the
// whole graph is refined: the blobs stay apart, the layout keeps most of
// the direct layout's trustworthiness, and it does not depend on the
// number of threads (2,500 rows are three optimisation tasks).
func TestUMAPFromSample(t *testing.T) {
	x, labels := blobs(2500, 20, 6, 4)
	direct, err := UMAP(x, Options{Seed: 3, SampleRows: -1, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	a, err := UMAP(x, Options{Seed: 3, SampleRows: 300, Epochs: 100, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := UMAP(x, Options{Seed: 3, SampleRows: 300, Epochs: 100, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("1 and 2 threads gave different layouts")
	}
	td, _ := Trustworthiness(x, direct, 10, 500, 1)
	ts, _ := Trustworthiness(x, a, 10, 500, 1)
	ag, _ := LabelAgreement(a, labels, 10, 500, 1)
	t.Logf("direct trust %.3f; from a sample: trust %.3f agree %.3f", td, ts, ag)
	if ag < 0.95 {
		t.Errorf("label agreement %.3f from a sample, want >= 0.95", ag)
	}
	// Tolerance: 0.02 below the direct layout (a 10 % sample lost 0.01 on
	// ACM 20,000, bench/RESULTS.md).
	if ts < td-0.02 {
		t.Errorf("trustworthiness %.3f from a sample, direct %.3f", ts, td)
	}
}

// An exact copy of a laid-out paper lands nearer its original with the
// settling passes than at the weighted mean of their shared neighbours.
func TestPlaceTwinSettlesByOriginal(t *testing.T) {
	x, _ := blobs(400, 12, 4, 2)
	xy, err := UMAP(x, Options{Seed: 1, Epochs: 150})
	if err != nil {
		t.Fatal(err)
	}
	twins := blas32.General{Rows: 40, Cols: 12, Stride: 12, Data: x.Data[:40*12]}
	mean := func(epochs int) float64 {
		p, err := Place(x, xy, twins, PlaceOptions{Epochs: epochs, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i := 0; i < twins.Rows; i++ {
			dx, dy := float64(p[2*i]-xy[2*i]), float64(p[2*i+1]-xy[2*i+1])
			s += math.Sqrt(dx*dx + dy*dy)
		}
		return s / float64(twins.Rows)
	}
	settled, atMean := mean(0), mean(-1)
	t.Logf("mean distance of a twin from its original: %.3f settled, %.3f at the weighted mean", settled, atMean)
	if settled >= atMean {
		t.Errorf("settled twins lie %.3f from their originals on average, at the mean %.3f", settled, atMean)
	}
}

// The size-dependent defaults, at each side of their thresholds (values from
// Options' documentation); above SampleRows they must stay those of the 1M
// layout measured in bench/RESULTS.md ("Map layout III"): 10 neighbours,
// PCA-50, 10 negatives, 200 epochs for the sample.
func TestDefaultsBySize(t *testing.T) {
	for _, tc := range []struct {
		n                            int
		neighbors, dims, neg, epochs int
	}{
		{2000, 20, 100, 20, 500},
		{10000, 20, 100, 20, 500},
		{10001, 10, 100, 20, 500},
		{20000, 10, 100, 20, 500},
		{20001, 10, 100, 10, 200},
		{100000, 10, 100, 10, 200},
		{100001, 10, 50, 10, 200},
		{1000000, 10, 50, 10, 200},
	} {
		o := Options{}.withDefaults(tc.n)
		got := [4]int{o.Neighbors, o.PCADims, o.NegativeRate, o.epochs(tc.n)}
		if want := [4]int{tc.neighbors, tc.dims, tc.neg, tc.epochs}; got != want {
			t.Errorf("n = %d: neighbours, PCA dims, negatives, epochs = %v, want %v", tc.n, got, want)
		}
	}
	o := Options{Neighbors: 7, PCADims: 30, NegativeRate: 3, Epochs: 40}.withDefaults(2000)
	if got := [4]int{o.Neighbors, o.PCADims, o.NegativeRate, o.epochs(2000)}; got != [4]int{7, 30, 3, 40} {
		t.Errorf("explicit options replaced by defaults: %v", got)
	}
}

// The steps optimize takes are the negative gradients of the losses the
// package documentation states: checked against central finite differences
// of each loss (in float64 with math.Pow) at distances r along one axis,
// where the step coefficient c of c·(yᵢ − yⱼ) is −(dL/dr)/r.
func TestLossGradients(t *testing.T) {
	phi := func(r float64) float64 { return 1 / (1 + curveA*math.Pow(r*r, curveB)) }
	coef := func(f func(r float64) float64, r float64) float64 {
		h := 1e-6 * r
		return -(f(r+h) - f(r-h)) / (2 * h) / r
	}
	for _, tc := range []struct {
		name          string
		nu            float64
		attract, push func(r float64) float64 // the losses of an edge and of a negative sample
		tol           float64
	}{
		// umap-learn's repulsion adds 0.001 to d²: 1e-3 relative at d ≥ 1.
		{"umap", -1, func(r float64) float64 { return -math.Log(phi(r)) },
			func(r float64) float64 { return -math.Log(1 - phi(r)) }, 2e-3},
		{"neg nu=1", 1, func(r float64) float64 { return -math.Log(phi(r) / (phi(r) + 1)) },
			func(r float64) float64 { return -math.Log(1 / (phi(r) + 1)) }, 1e-4},
		{"neg nu=0.1", 0.1, func(r float64) float64 { return -math.Log(phi(r) / (phi(r) + 0.1)) },
			func(r float64) float64 { return -math.Log(0.1 / (phi(r) + 0.1)) }, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := loss{nu: tc.nu}
			for _, r := range []float64{1, 1.7, 3, 8} {
				if got, want := l.attract(r*r), coef(tc.attract, r); math.Abs(got-want) > tc.tol*math.Abs(want) {
					t.Errorf("r = %g: attraction %g, finite difference %g", r, got, want)
				}
				if got, want := l.repel(r*r), coef(tc.push, r); math.Abs(got-want) > tc.tol*math.Abs(want) {
					t.Errorf("r = %g: repulsion %g, finite difference %g", r, got, want)
				}
			}
		})
	}
	// Neg-t-SNE's attraction tends to UMAP's as ν grows (Damrich et al.
	// 2023: UMAP is the high-ν end of the spectrum).
	if a, u := (loss{nu: 1e9}).attract(2), (loss{nu: -1}).attract(2); math.Abs(a-u) > 1e-6*math.Abs(u) {
		t.Errorf("attraction at ν = 1e9: %g, UMAP's %g", a, u)
	}
}
