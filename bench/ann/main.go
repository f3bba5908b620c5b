// Command ann measures package vectorstore/ann alone on a row-major float32
// file of unit vectors (bench/cluster/gen.py's blobs-N.f32, or a store's
// matrix dumped by bench/side): build time, and for each ef the recall@10
// against the exact top 10 and the median and p99 time of one query.
//
//	go run ./bench/ann -x blobs-100000.f32 -q queries-1000.f32 [-dim 384] [-nq 200] [-ef 32,64,128] [-m 16] [-efc 100]
//
// It prints one JSON object per line, like faiss_ann.py (FAISS on the same
// files): first the build, then one line per ef. bench/compare's case 7
// runs both.
//
// With -store DIR it measures the product path instead: a store opened
// read-only, its saved index (index.hnsw) loaded at the first query, and
// nq "similar" queries (a seeded sample of stored papers' own vectors, the
// paper itself excluded) answered by the exact scan and through the index
// at each -ef (0: the store's default, vectorstore.DefaultIndexEf):
// recall@10, median and p99 per query, the first query's time (which
// loads the index) and the open time.
//
//	go run ./bench/ann -store DIR [-nq 200] [-threshold N] [-ef 0,256,512]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/papermap/papermap/bench/internal/cpuprof"
	"github.com/papermap/papermap/bench/internal/rawf32"

	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/ann"
)

type rows struct {
	x   []float32
	dim int
}

func (r rows) Vec(n int32) []float32 { return r.x[int(n)*r.dim : int(n+1)*r.dim] }

// load reads the first limit rows (0: all) of a row-major float32 file,
// and no more of it (so that the peak memory is that of the rows used).
func load(path string, dim, limit int) []float32 {
	x, _, err := rawf32.Read(path, limit, dim)
	if err != nil {
		log.Fatal(err)
	}
	return x
}

func main() {
	xpath := flag.String("x", "", "data file (float32 rows)")
	qpath := flag.String("q", "", "query file (float32 rows)")
	dim := flag.Int("dim", 384, "dimensions")
	n := flag.Int("n", 0, "use the first n rows (0: all)")
	nq := flag.Int("nq", 200, "queries")
	workers := flag.Int("workers", 0, "build goroutines (0: GOMAXPROCS)")
	efs := flag.String("ef", "16,32,64,128,256", "ef values to measure")
	m := flag.Int("m", 0, "M (0: the package default)")
	efc := flag.Int("efc", 0, "efConstruction (0: the package default)")
	store := flag.String("store", "", "measure Query on this store instead")
	threshold := flag.Int("threshold", 0, "with -store: vectorstore.Options.IndexThreshold (0: the default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the build to this file")
	flag.Parse()
	if *store != "" {
		measureStore(*store, *nq, *threshold, *efs)
		return
	}
	x := load(*xpath, *dim, *n)
	q := load(*qpath, *dim, *nq)
	r := rows{x: x, dim: *dim}
	rowsN := len(x) / *dim
	nQ := len(q) / *dim

	// The exact top 10 by brute force, split between the CPUs.
	exact := make([][]int32, nQ)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < nQ; i += runtime.GOMAXPROCS(0) {
				qv := q[i**dim : (i+1)**dim]
				all := make([]ann.Result, rowsN)
				for j := range rowsN {
					var s float32
					for t, v := range r.Vec(int32(j)) {
						s += v * qv[t]
					}
					all[j] = ann.Result{Node: int32(j), Sim: s}
				}
				slices.SortFunc(all, func(a, b ann.Result) int {
					if a.Sim > b.Sim {
						return -1
					}
					if a.Sim < b.Sim {
						return 1
					}
					return 0
				})
				for _, a := range all[:10] {
					exact[i] = append(exact[i], a.Node)
				}
			}
		})
	}
	wg.Wait()

	stopProfile := cpuprof.Start(*cpuprofile)
	t0, c0 := time.Now(), cpuSeconds()
	idx := ann.New(r, ann.Options{M: *m, EfConstruction: *efc, Seed: 1})
	idx.Build(rowsN, *workers)
	build, buildCPU := time.Since(t0), cpuSeconds()-c0
	stopProfile()
	emit(map[string]any{"tool": "papermap-hnsw", "n": rowsN, "dim": *dim, "m": idxM(*m), "efc": idxEfc(*efc),
		"build_s": build.Seconds(), "build_cpu_s": buildCPU, "index_heap_mb": float64(idx.Bytes()) / (1 << 20),
		"peak_rss_mb": peakRSS(), "threads": runtime.GOMAXPROCS(0)})
	for _, f := range strings.Split(*efs, ",") {
		ef, _ := strconv.Atoi(f)
		var times []float64
		var rec float64
		c0 := cpuSeconds()
		for i := range nQ {
			qv := q[i**dim : (i+1)**dim]
			t := time.Now()
			res := idx.Search(qv, 10, ef, nil)
			times = append(times, time.Since(t).Seconds()*1000)
			hit := 0
			for _, h := range res {
				if slices.Contains(exact[i], h.Node) {
					hit++
				}
			}
			rec += float64(hit) / 10
		}
		cpu := cpuSeconds() - c0
		slices.Sort(times)
		emit(map[string]any{"tool": "papermap-hnsw", "ef": ef, "recall": rec / float64(nQ),
			"median_ms": times[len(times)/2], "p99_ms": times[len(times)*99/100], "cpu_per_query_ms": 1000 * cpu / float64(nQ)})
	}
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func idxM(m int) int {
	if m <= 0 {
		return ann.DefaultM
	}
	return m
}

func idxEfc(e int) int {
	if e <= 0 {
		return ann.DefaultEfConstruction
	}
	return e
}

// cpuSeconds returns the CPU time (user and system) the process has used:
// on a shared machine, the figure a loaded moment does not inflate.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSS returns the process's peak resident set (VmHWM) in MiB.
func peakRSS() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return math.NaN()
}

func measureStore(dir string, nq, threshold int, efs string) {
	ctx := context.Background()
	t0 := time.Now()
	s, err := vectorstore.Open(ctx, dir, vectorstore.Options{ReadOnly: true, IndexThreshold: threshold,
		Notice: func(m string) { fmt.Fprintln(os.Stderr, m) }})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	open := time.Since(t0)
	ids := s.IDs()
	rng := rand.New(rand.NewPCG(1, 2))
	var pick []vectorstore.Record
	for range nq {
		r, _ := s.Get(ids[rng.IntN(len(ids))])
		pick = append(pick, r)
	}
	// The first query loads the index (with the default ef).
	t := time.Now()
	if _, err := s.Query(ctx, pick[0].Embedding, 10, vectorstore.QueryOptions{Exclude: []string{pick[0].ID}}); err != nil {
		log.Fatal(err)
	}
	first := time.Since(t).Seconds() * 1000
	want := make([][]vectorstore.Hit, nq)
	var tExact []float64
	for i, r := range pick {
		t := time.Now()
		want[i], err = s.Query(ctx, r.Embedding, 10, vectorstore.QueryOptions{Exclude: []string{r.ID}, Exact: true})
		if err != nil {
			log.Fatal(err)
		}
		tExact = append(tExact, time.Since(t).Seconds()*1000)
	}
	slices.Sort(tExact)
	emit(map[string]any{"tool": "papermap-store", "records": len(ids), "queries": nq, "open_ms": open.Seconds() * 1000,
		"first_query_ms": first, "exact_median_ms": tExact[len(tExact)/2], "exact_p99_ms": tExact[len(tExact)*99/100],
		"default_ef": vectorstore.DefaultIndexEf(len(ids)), "threads": runtime.GOMAXPROCS(0)})
	for _, f := range strings.Split(efs, ",") {
		ef, _ := strconv.Atoi(f)
		var tIdx []float64
		var rec float64
		for i, r := range pick {
			t := time.Now()
			got, err := s.Query(ctx, r.Embedding, 10, vectorstore.QueryOptions{Exclude: []string{r.ID}, IndexEf: ef})
			if err != nil {
				log.Fatal(err)
			}
			tIdx = append(tIdx, time.Since(t).Seconds()*1000)
			hit := 0
			for _, g := range got {
				for _, w := range want[i] {
					if g.ID == w.ID {
						hit++
					}
				}
			}
			rec += float64(hit) / float64(len(want[i]))
		}
		slices.Sort(tIdx)
		if ef == 0 {
			ef = vectorstore.DefaultIndexEf(len(ids))
		}
		emit(map[string]any{"tool": "papermap-store", "ef": ef, "recall": rec / float64(nq),
			"median_ms": tIdx[len(tIdx)/2], "p99_ms": tIdx[len(tIdx)*99/100], "peak_rss_mb": peakRSS()})
	}
}
