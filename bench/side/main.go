// Command side is papermap's half of bench/compare: a worker that loads
// float32 matrices once and then times one repetition of a task per request,
// so that the driver (driver.py) can interleave its repetitions with those of
// scikit-learn and FAISS (peer.py) on the same data.
//
// It reads one JSON object per line on stdin and answers each with one JSON
// object on stdout (log lines go to stderr):
//
//	{"op":"load","name":"x","path":"blobs.f32","rows":100000,"cols":384}
//	{"op":"lloyd","x":"x","init":"c0","iters":20}          Lloyd from given centroids, tolerance off
//	{"op":"kmeans","x":"x","k":50,"seed":1}                full k-means (k-means++, 4 restarts)
//	{"op":"minibatch","x":"x","k":50,"seed":1}             mini-batch k-means, its defaults
//	{"op":"sample","x":"x","k":50,"seed":1,"iters":20}     FAISS's recipe: k-means on 256·k random rows, then Assign every row
//	{"op":"pca","x":"x","k":2}                             FitPCA + Transform
//	{"op":"store","x":"x"}                                 build a vectorstore and a chromem-go collection of x's rows
//	{"op":"query","q":"q","n":1000,"engine":"flat"}        n single top-10 queries (engine flat or chromem)
//	{"op":"batch","q":"q"}                                 all rows of q in one QueryBatch
//	{"op":"quit"}
//
// Every answer has "seconds" (wall) and "cpu_s" (user+system time of the
// process) of the timed part, and "peak_rss_mb" (VmHWM) of the process so far.
//
//	go build -o /tmp/side ./bench/side && /tmp/side
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/philippgille/chromem-go"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
)

type request struct {
	Op     string `json:"op"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
	X      string `json:"x"`
	Init   string `json:"init"`
	Q      string `json:"q"`
	Iters  int    `json:"iters"`
	K      int    `json:"k"`
	Seed   uint64 `json:"seed"`
	N      int    `json:"n"`
	Engine string `json:"engine"`
	TopK   int    `json:"topk"`
	Keep   int    `json:"keep"` // queries whose hits are returned (for recall)
}

type worker struct {
	mats  map[string]blas32.General
	store *vectorstore.Store
	coll  *chromem.Collection
	tmp   string
}

func main() {
	w := &worker{mats: map[string]blas32.General{}}
	defer func() {
		if w.store != nil {
			w.store.Close()
		}
		if w.tmp != "" {
			os.RemoveAll(w.tmp)
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			out.Encode(map[string]any{"error": err.Error()})
			continue
		}
		if req.Op == "quit" {
			return
		}
		res, err := w.do(req)
		if err != nil {
			res = map[string]any{"error": fmt.Sprintf("%s: %v", req.Op, err)}
		}
		res["peak_rss_mb"] = peakRSSMB()
		out.Encode(res)
	}
}

// timed runs f once after a collection of the previous request's garbage
// and returns its wall and CPU seconds.
func timed(f func() error) (wall, cpu float64, err error) {
	runtime.GC()
	c0, t0 := cpuSeconds(), time.Now()
	err = f()
	return time.Since(t0).Seconds(), cpuSeconds() - c0, err
}

func (w *worker) mat(name string) (blas32.General, error) {
	m, ok := w.mats[name]
	if !ok {
		return m, fmt.Errorf("no matrix %q loaded", name)
	}
	return m, nil
}

func (w *worker) do(req request) (map[string]any, error) {
	switch req.Op {
	case "load":
		m, err := load(req.Path, req.Rows, req.Cols)
		if err != nil {
			return nil, err
		}
		w.mats[req.Name] = m
		return map[string]any{"loaded": req.Name, "threads": runtime.GOMAXPROCS(0), "go": runtime.Version()}, nil
	case "lloyd", "kmeans", "minibatch":
		x, err := w.mat(req.X)
		if err != nil {
			return nil, err
		}
		var res *cluster.Result
		var fit func() error
		switch req.Op {
		case "lloyd":
			c0, err := w.mat(req.Init)
			if err != nil {
				return nil, err
			}
			km := cluster.KMeans{Init: &c0, MaxIter: req.Iters, Tol: -1}
			fit = func() (err error) { res, err = km.Fit(x); return }
		case "kmeans":
			km := cluster.KMeans{K: req.K, Seed: req.Seed}
			fit = func() (err error) { res, err = km.Fit(x); return }
		default:
			mb := cluster.MiniBatchKMeans{K: req.K, Seed: req.Seed}
			fit = func() (err error) { res, err = mb.Fit(x); return }
		}
		wall, cpu, err := timed(fit)
		if err != nil {
			return nil, err
		}
		return map[string]any{"seconds": wall, "cpu_s": cpu, "inertia": res.Inertia, "iters": res.Iterations}, nil
	case "sample":
		x, err := w.mat(req.X)
		if err != nil {
			return nil, err
		}
		var inertia float64
		var iters int
		wall, cpu, err := timed(func() error {
			// 256 distinct random rows per centroid (FAISS's
			// max_points_per_centroid), copied to one matrix.
			m := min(256*req.K, x.Rows)
			rng := rand.New(rand.NewPCG(req.Seed, 0x5a3))
			perm := rng.Perm(x.Rows)[:m]
			slices.Sort(perm)
			sample := blas32.General{Rows: m, Cols: x.Cols, Stride: x.Cols, Data: make([]float32, m*x.Cols)}
			for i, r := range perm {
				copy(sample.Data[i*x.Cols:(i+1)*x.Cols], x.Data[r*x.Stride:r*x.Stride+x.Cols])
			}
			res, err := cluster.KMeans{K: req.K, Restarts: 1, MaxIter: req.Iters, Tol: -1, Seed: req.Seed}.Fit(sample)
			if err != nil {
				return err
			}
			_, dist := cluster.Assign(x, res.Centroids, false)
			inertia, iters = 0, res.Iterations
			for _, v := range dist {
				inertia += float64(v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"seconds": wall, "cpu_s": cpu, "inertia": inertia, "iters": iters}, nil
	case "pca":
		x, err := w.mat(req.X)
		if err != nil {
			return nil, err
		}
		var p *cluster.PCA
		wall, cpu, err := timed(func() (err error) {
			if p, err = cluster.FitPCA(x, req.K, cluster.PCAOptions{}); err == nil {
				p.Transform(x)
			}
			return
		})
		if err != nil {
			return nil, err
		}
		sum := 0.0
		for _, v := range p.Variance {
			sum += v
		}
		return map[string]any{"seconds": wall, "cpu_s": cpu, "explained_variance": sum,
			"explained_ratio": sum / p.TotalVariance, "solver": "papermap default (exact: covariance + Lanczos)"}, nil
	case "store":
		x, err := w.mat(req.X)
		if err != nil {
			return nil, err
		}
		return w.build(x)
	case "query":
		return w.query(req)
	case "batch":
		return w.batch(req)
	}
	return nil, fmt.Errorf("unknown op %q", req.Op)
}

func id(i int) string { return fmt.Sprintf("p%07d", i) }

// build adds the rows of x to a new store (1,000 per Add, as an ingest does)
// and to a separate in-memory chromem-go collection, as a chromem-go user
// would build it.
func (w *worker) build(x blas32.General) (map[string]any, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "papermap-side-")
	if err != nil {
		return nil, err
	}
	w.tmp = dir
	t0 := time.Now()
	s, err := vectorstore.Open(ctx, filepath.Join(dir, "store"), vectorstore.Options{})
	if err != nil {
		return nil, err
	}
	w.store = s
	if err := s.SetEmbedder(embed.Info{Backend: "bench", Model: "blobs", Dimensions: x.Cols}); err != nil {
		return nil, err
	}
	for lo := 0; lo < x.Rows; lo += 1000 {
		hi := min(lo+1000, x.Rows)
		recs := make([]vectorstore.Record, 0, hi-lo)
		for i := lo; i < hi; i++ {
			recs = append(recs, vectorstore.Record{ID: id(i), Embedding: x.Data[i*x.Stride : i*x.Stride+x.Cols]})
		}
		if _, err := s.Add(ctx, recs); err != nil {
			return nil, err
		}
	}
	storeS := time.Since(t0).Seconds()

	t0 = time.Now()
	db := chromem.NewDB()
	coll, err := db.CreateCollection("bench", nil, func(context.Context, string) ([]float32, error) {
		return nil, fmt.Errorf("no embedding function")
	})
	if err != nil {
		return nil, err
	}
	docs := make([]chromem.Document, x.Rows)
	for i := range docs {
		docs[i] = chromem.Document{ID: id(i), Embedding: slices.Clone(x.Data[i*x.Stride : i*x.Stride+x.Cols])}
	}
	if err := coll.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	w.coll = coll
	return map[string]any{"store_s": storeS, "chromem_s": time.Since(t0).Seconds(), "records": s.Len()}, nil
}

func rowOf(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "p"))
	if err != nil {
		return -1
	}
	return n
}

// query times req.N single queries (rows of q, in order) one at a time and
// returns the median latency, with the hits of the first req.Keep queries.
func (w *worker) query(req request) (map[string]any, error) {
	q, err := w.mat(req.Q)
	if err != nil {
		return nil, err
	}
	if w.store == nil {
		return nil, fmt.Errorf("no store built")
	}
	ctx := context.Background()
	topk := max(req.TopK, 10)
	n := min(req.N, q.Rows)
	lat := make([]float64, n)
	var kept [][]int
	runtime.GC()
	c0, t0 := cpuSeconds(), time.Now()
	for i := 0; i < n; i++ {
		v := q.Data[i*q.Stride : i*q.Stride+q.Cols]
		var ids []string
		s := time.Now()
		switch req.Engine {
		case "flat":
			hits, err := w.store.Query(ctx, v, topk, vectorstore.QueryOptions{})
			if err != nil {
				return nil, err
			}
			lat[i] = time.Since(s).Seconds()
			for _, h := range hits {
				ids = append(ids, h.ID)
			}
		case "chromem":
			res, err := w.coll.QueryEmbedding(ctx, v, topk, nil, nil)
			if err != nil {
				return nil, err
			}
			lat[i] = time.Since(s).Seconds()
			for _, r := range res {
				ids = append(ids, r.ID)
			}
		default:
			return nil, fmt.Errorf("unknown engine %q", req.Engine)
		}
		if i < req.Keep {
			rows := make([]int, len(ids))
			for j, id := range ids {
				rows[j] = rowOf(id)
			}
			kept = append(kept, rows)
		}
	}
	total, cpu := time.Since(t0).Seconds(), cpuSeconds()-c0
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	return map[string]any{"seconds": median(sorted), "p90_s": sorted[n*9/10], "total_s": total, "cpu_s": cpu / float64(n),
		"queries": n, "hits": kept}, nil
}

// batch times one QueryBatch of every row of q.
func (w *worker) batch(req request) (map[string]any, error) {
	q, err := w.mat(req.Q)
	if err != nil {
		return nil, err
	}
	qs := make([][]float32, q.Rows)
	for i := range qs {
		qs[i] = q.Data[i*q.Stride : i*q.Stride+q.Cols]
	}
	topk := max(req.TopK, 10)
	var hits [][]vectorstore.Hit
	wall, cpu, err := timed(func() (err error) {
		hits, err = w.store.QueryBatch(context.Background(), qs, topk, vectorstore.QueryOptions{})
		return
	})
	if err != nil {
		return nil, err
	}
	var kept [][]int
	for i := 0; i < min(req.Keep, len(hits)); i++ {
		rows := make([]int, len(hits[i]))
		for j, h := range hits[i] {
			rows[j] = rowOf(h.ID)
		}
		kept = append(kept, rows)
	}
	return map[string]any{"seconds": wall, "cpu_s": cpu, "queries": len(qs), "qps": float64(len(qs)) / wall, "hits": kept}, nil
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// load reads a little-endian float32 matrix straight into its final slice
// (at 1M rows the data alone is 1.5 GB: no second copy).
func load(path string, rows, cols int) (blas32.General, error) {
	f, err := os.Open(path)
	if err != nil {
		return blas32.General{}, err
	}
	defer f.Close()
	data := make([]float32, rows*cols)
	if _, err := io.ReadFull(f, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))); err != nil {
		return blas32.General{}, fmt.Errorf("%s: %w", path, err)
	}
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data}, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSMB returns the process's peak resident set (VmHWM), in MiB.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return float64(ru.Maxrss) / 1024
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
