// Command cluster times papermap's cluster package on the files gen.py writes
// and prints one JSON object per measurement, in the format compare.py uses for
// scikit-learn and FAISS, so that ratios.py can put them side by side. run.sh
// runs the three.
//
//	go run ./bench/cluster -dir /tmp/papermap-bench -n 100000 -runs 5
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
)

func main() {
	dir := flag.String("dir", "/tmp/papermap-bench", "directory with blobs-N.f32 and init-N.f32")
	n := flag.Int("n", 100_000, "rows")
	runs := flag.Int("runs", 5, "runs per task (the median is reported)")
	only := flag.String("only", "", "comma-separated tasks (default all)")
	tag := flag.String("tag", "", "data variant: reads blobs-N-TAG.f32 (gen.py's name for another noise)")
	flag.Parse()
	if err := run(*dir, *n, *runs, *only, *tag); err != nil {
		fmt.Fprintln(os.Stderr, "cluster bench:", err)
		os.Exit(1)
	}
}

const d, k = 384, 50

// load reads a little-endian float32 matrix straight into its final slice (no
// second copy: at 1M rows the data alone is 1.5 GB).
func load(path string, rows int) (blas32.General, error) {
	f, err := os.Open(path)
	if err != nil {
		return blas32.General{}, err
	}
	defer f.Close()
	data := make([]float32, rows*d)
	if _, err := io.ReadFull(f, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))); err != nil {
		return blas32.General{}, fmt.Errorf("%s: %w", path, err)
	}
	return blas32.General{Rows: rows, Cols: d, Stride: d, Data: data}, nil
}

func run(dir string, n, runs int, only, tag string) error {
	x, err := load(fmt.Sprintf("%s/blobs-%d%s.f32", dir, n, tag), n)
	if err != nil {
		return err
	}
	init, err := load(fmt.Sprintf("%s/init-%d%s.f32", dir, n, tag), k)
	if err != nil {
		return err
	}
	want := func(t string) bool { return only == "" || slices.Contains(strings.Split(only, ","), t) }
	emit := func(task string, secs float64, extra map[string]any) {
		m := map[string]any{"tool": "papermap", "task": task, "n": fmt.Sprint(n, tag), "seconds": math.Round(secs*1e4) / 1e4,
			"runs": runs, "threads": runtime.GOMAXPROCS(0)}
		for key, v := range extra {
			m[key] = v
		}
		b, _ := json.Marshal(m)
		fmt.Println(string(b))
	}
	timed := func(f func() error) (float64, error) {
		var ts []float64
		for i := 0; i < runs; i++ {
			t := time.Now()
			if err := f(); err != nil {
				return 0, err
			}
			ts = append(ts, time.Since(t).Seconds())
		}
		slices.Sort(ts)
		return ts[len(ts)/2], nil
	}
	var res *cluster.Result
	fit := func(f func() (*cluster.Result, error)) func() error {
		return func() error {
			var err error
			res, err = f()
			return err
		}
	}
	if want("lloyd20") {
		for _, sph := range []bool{false, true} {
			km := cluster.KMeans{Init: &init, MaxIter: 20, Tol: -1, Spherical: sph}
			s, err := timed(fit(func() (*cluster.Result, error) { return km.Fit(x) }))
			if err != nil {
				return err
			}
			task := "lloyd20"
			if sph {
				task = "lloyd20-spherical"
			}
			emit(task, s, map[string]any{"inertia": res.Inertia, "iters": res.Iterations})
		}
	}
	if want("kmeans") {
		km := cluster.KMeans{K: k, Seed: 1}
		s, err := timed(fit(func() (*cluster.Result, error) { return km.Fit(x) }))
		if err != nil {
			return err
		}
		emit("kmeans", s, map[string]any{"inertia": res.Inertia, "iters": res.Iterations})
	}
	if want("minibatch") {
		mb := cluster.MiniBatchKMeans{K: k, Seed: 1}
		s, err := timed(fit(func() (*cluster.Result, error) { return mb.Fit(x) }))
		if err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		emit("minibatch", s, map[string]any{"inertia": res.Inertia, "iters": res.Iterations,
			"heap_sys_mb": ms.HeapSys >> 20})
	}
	for _, c := range []int{2, 50} {
		if !want(fmt.Sprintf("pca%d", c)) {
			continue
		}
		var p *cluster.PCA
		s, err := timed(func() error {
			var err error
			p, err = cluster.FitPCA(x, c, cluster.PCAOptions{})
			return err
		})
		if err != nil {
			return err
		}
		sum := 0.0
		for _, v := range p.Variance {
			sum += v
		}
		emit(fmt.Sprintf("pca%d", c), s, map[string]any{"explained": sum})
		s, err = timed(func() error {
			p, err := cluster.FitPCA(x, c, cluster.PCAOptions{})
			if err == nil {
				p.Transform(x)
			}
			return err
		})
		if err != nil {
			return err
		}
		emit(fmt.Sprintf("pca%d+transform", c), s, nil)
	}
	if want("silhouette") {
		lab := make([]int, n)
		for i := range lab {
			lab[i] = i % k
		}
		var v float64
		s, _ := timed(func() error { v = cluster.Silhouette(x, lab, 2000, 0, false); return nil })
		emit("silhouette2000", s, map[string]any{"value": v})
	}
	return nil
}
