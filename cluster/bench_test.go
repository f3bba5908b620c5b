package cluster

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// Benchmark data: 50 Gaussian blobs in 384 dimensions, noise comparable to the
// spread of the centres, rows normalised (like text embeddings), fixed seed.
var benchData = struct {
	sync.Mutex
	m map[int]blas32.General
}{m: map[int]blas32.General{}}

func benchBlobs(n int) blas32.General {
	benchData.Lock()
	defer benchData.Unlock()
	if x, ok := benchData.m[n]; ok {
		return x
	}
	x, _ := Blobs(n, 384, 50, 1, 5, true, 42)
	benchData.m[n] = x
	return x
}

// loop runs f b.N times and reports CPU milliseconds per run besides wall time.
func loop(b *testing.B, f func()) {
	b.Helper()
	c0 := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(n), "cpu-ms/op")
	}
}

// benchInit is a fixed set of initial centroids: the first 50 rows.
func benchInit(x blas32.General, k int) *blas32.General {
	c := cloneGeneral(blas32.General{Rows: k, Cols: x.Cols, Stride: x.Stride, Data: x.Data})
	return &c
}

func BenchmarkLloyd20(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := benchBlobs(n)
		init := benchInit(x, 50)
		for _, v := range []struct {
			name      string
			spherical bool
			noBounds  bool
		}{{"hamerly", false, false}, {"plain", false, true}, {"spherical", true, false}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, v.name), func(b *testing.B) {
				km := KMeans{Init: init, MaxIter: 20, Tol: -1, Spherical: v.spherical, noBounds: v.noBounds}
				var r *Result
				loop(b, func() {
					var err error
					if r, err = km.Fit(x); err != nil {
						b.Fatal(err)
					}
				})
				b.ReportMetric(r.Inertia, "inertia")
				b.ReportMetric(float64(r.Iterations), "iters")
			})
		}
	}
}

func BenchmarkKMeans(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := benchBlobs(n)
		for _, spherical := range []bool{false, true} {
			b.Run(fmt.Sprintf("n=%d/spherical=%v", n, spherical), func(b *testing.B) {
				km := KMeans{K: 50, Seed: 1, Spherical: spherical}
				var r *Result
				loop(b, func() {
					var err error
					if r, err = km.Fit(x); err != nil {
						b.Fatal(err)
					}
				})
				b.ReportMetric(r.Inertia, "inertia")
				b.ReportMetric(float64(r.Iterations), "iters")
			})
		}
	}
}

func BenchmarkPCA(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := benchBlobs(n)
		for _, k := range []int{2, 50} {
			for _, m := range []struct {
				name string
				m    PCAMethod
			}{{"exact", Exact}, {"randomized", Randomized}} {
				b.Run(fmt.Sprintf("n=%d/k=%d/%s", n, k, m.name), func(b *testing.B) {
					loop(b, func() {
						if _, err := FitPCA(x, k, PCAOptions{Method: m.m}); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		}
	}
}

func BenchmarkPCATransform(b *testing.B) {
	x := benchBlobs(100_000)
	for _, k := range []int{2, 50} {
		p, err := FitPCA(x, k, PCAOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=100000/k=%d", k), func(b *testing.B) {
			loop(b, func() { p.Transform(x) })
		})
	}
}

func BenchmarkMiniBatchKMeans(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := benchBlobs(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			mb := MiniBatchKMeans{K: 50, Seed: 1}
			var r *Result
			loop(b, func() {
				var err error
				if r, err = mb.Fit(x); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(r.Inertia, "inertia")
			b.ReportMetric(float64(r.Iterations), "steps")
		})
	}
}

// BenchmarkMiniBatch1M needs 1.5 GB for its data; it runs only with
// PAPERMAP_BENCH_1M=1. It reports mini-batch inertia relative to full k-means
// from the same seed (the full run is not timed).
func BenchmarkMiniBatch1M(b *testing.B) {
	if os.Getenv("PAPERMAP_BENCH_1M") == "" {
		b.Skip("set PAPERMAP_BENCH_1M=1 to run")
	}
	x := benchBlobs(1_000_000)
	mb := MiniBatchKMeans{K: 50, Seed: 1}
	var r *Result
	loop(b, func() {
		var err error
		if r, err = mb.Fit(x); err != nil {
			b.Fatal(err)
		}
	})
	b.StopTimer()
	full, err := KMeans{K: 50, Seed: 1}.Fit(x)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.Inertia/full.Inertia, "inertia/full")
	b.ReportMetric(float64(r.Iterations), "steps")
}

func BenchmarkSilhouette(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := benchBlobs(n)
		labels := make([]int, n)
		for i := range labels {
			labels[i] = i % 50
		}
		for _, cosine := range []bool{false, true} {
			b.Run(fmt.Sprintf("n=%d/sample=2000/cosine=%v", n, cosine), func(b *testing.B) {
				loop(b, func() { Silhouette(x, labels, 2000, 1, cosine) })
			})
		}
	}
}

func BenchmarkAssign(b *testing.B) {
	x := benchBlobs(100_000)
	c := benchInit(x, 50)
	b.Run("n=100000/k=50", func(b *testing.B) {
		loop(b, func() { Assign(x, *c, true) })
	})
}
