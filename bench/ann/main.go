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
// -store-settings builds and walks the index as a store does
// (vectorstore.IndexSettings: its M and efConstruction, the graph built
// over 8-bit codes, the walk over them), the settings bench/side's case 7
// measures.
//
// -walk float,sq8 measures each ef twice on the same graph: walking over
// the float32 rows, and over 8-bit codes (ann.UseCodes, with -rerank of
// the best rescored from the rows; the quantizer is trained on all n
// rows, its time reported). -graph FILE saves the built graph (flat
// layout) or, when FILE exists, loads it instead of building, and -gt FILE
// does the same for the exact top 10 of the queries, so that a sweep of
// search settings at 1M does not pay for the build or the brute force
// again. -qprofile writes a CPU profile of the queries.
//
// With -store DIR it measures the product path instead: a store opened
// read-only, its saved index (index.hnsw) loaded at the first query, and
// nq "similar" queries (a seeded sample of stored papers' own vectors, the
// paper itself excluded) answered by the exact scan and through the index
// at each -ef (0: the default for the loaded graph, Store.IndexEf):
// recall@10, median and p99 per query, the first query's time (which
// loads the index) and the open time.
//
//	go run ./bench/ann -store DIR [-nq 200] [-threshold N] [-ef 0,256,512]
package main

import (
	"bufio"
	"context"
	"encoding/binary"
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
	"unsafe"

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
	qprofile := flag.String("qprofile", "", "write a CPU profile of the queries to this file")
	walks := flag.String("walk", "float", "walks to measure at each ef: float (the rows), sq8 (8-bit codes, rescored)")
	rerank := flag.Int("rerank", 0, "with -walk sq8: results rescored from the rows (0: ann.DefaultRerank)")
	graphPath := flag.String("graph", "", "save the built graph here, or load it from here if the file exists")
	buildCodes := flag.Bool("buildcodes", false, "build the graph walking over 8-bit codes (ann.CodeOptions.Build)")
	thp := flag.Bool("thp", false, "copy the codes and the rows into memory advised for transparent huge pages before the queries (and with -buildcodes the build's codes before the build)")
	gtOnly := flag.Bool("gtonly", false, "stop after the exact top 10 (to save it with -gt)")
	gtPath := flag.String("gt", "", "save the exact top 10 here, or load it from here if the file exists")
	batch := flag.Bool("batch", false, "with -buildcodes: build the bottom layer in batch (ann.CodeOptions.Batch)")
	batchLists := flag.Int("batchlists", 0, "with -batch: lists a node joins (ann.BatchOptions.Lists; 0: its default)")
	batchPer := flag.Int("batchper", 0, "with -batch: nodes per pivot (ann.BatchOptions.PerPivot; 0: its default)")
	batchK := flag.Int("batchk", 0, "with -batch: nearest kept per node and list (ann.BatchOptions.K; 0: its default)")
	batchKeep := flag.Int("batchkeep", 0, "with -batch: candidates kept per node (ann.BatchOptions.Keep; 0: its default)")
	batchAlpha := flag.Float64("batchalpha", 0, "with -batch: the heuristic's α (ann.BatchOptions.Alpha; 0: its default)")
	storeSettings := flag.Bool("store-settings", false, "build and walk the index as a store does (vectorstore.IndexSettings: its M, efConstruction, a graph built over 8-bit codes; -walk sq8 unless given); not with -m, -efc, -buildcodes")
	flag.Parse()
	var codeOpts ann.CodeOptions
	if *storeSettings {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["m"] || set["efc"] || set["buildcodes"] || set["batch"] || set["batchlists"] || set["batchper"] || set["batchk"] || set["batchkeep"] || set["batchalpha"] {
			log.Fatal("-store-settings takes the store's M, efConstruction, codes and batch build: drop -m, -efc, -buildcodes, -batch*")
		}
		var opts ann.Options
		opts, codeOpts = vectorstore.IndexSettings()
		*m, *efc, *buildCodes = opts.M, opts.EfConstruction, codeOpts.Build
		if !set["walk"] {
			*walks = "sq8"
		}
	}
	if *store != "" {
		measureStore(*store, *nq, *threshold, *efs)
		return
	}
	x := load(*xpath, *dim, *n)
	q := load(*qpath, *dim, *nq)
	r := &rows{x: x, dim: *dim} // a pointer: -thp moves the rows under the index
	rowsN := len(x) / *dim
	nQ := len(q) / *dim

	exact := groundTruth(*gtPath, r, rowsN, q, nQ, *dim)
	if *gtOnly {
		return
	}

	stopProfile := cpuprof.Start(*cpuprofile)
	t0, c0 := time.Now(), cpuSeconds()
	idx, built := loadGraph(*graphPath, r, rowsN)
	if !built {
		idx = ann.New(r, ann.Options{M: *m, EfConstruction: *efc, Seed: 1})
		if *buildCodes {
			// The quantizer's training and encoding are part of the build.
			qz := ann.TrainQuantizer(r, rowsN, *dim)
			codes := ann.EncodeRows(qz, r, rowsN)
			if *thp {
				codes = ann.CodeRowsOf(qz, hugeCopy(codes.Bytes()))
			}
			co := ann.CodeOptions{Build: true, Rerank: codeOpts.Rerank, Batch: codeOpts.Batch}
			if *batch {
				co.Batch = &ann.BatchOptions{Lists: *batchLists, PerPivot: *batchPer, K: *batchK, Keep: *batchKeep, Alpha: *batchAlpha}
			}
			idx.UseCodes(qz, codes, co)
		}
		idx.Build(rowsN, *workers)
	}
	build, buildCPU := time.Since(t0), cpuSeconds()-c0
	stopProfile()
	if !built && *graphPath != "" {
		saveGraph(*graphPath, idx)
	}
	emit(map[string]any{"tool": "papermap-hnsw", "n": rowsN, "dim": *dim, "m": idxM(*m), "efc": idxEfc(*efc),
		"build_s": build.Seconds(), "build_cpu_s": buildCPU, "index_heap_mb": float64(idx.Bytes()) / (1 << 20),
		"peak_rss_mb": peakRSS(), "threads": runtime.GOMAXPROCS(0), "graph_loaded": built, "build_on_codes": *buildCodes && !built,
		"batch":          batchLabel(*batch || codeOpts.Batch != nil, ann.BatchOptions{Lists: *batchLists, PerPivot: *batchPer, K: *batchK, Keep: *batchKeep, Alpha: *batchAlpha}, codeOpts.Batch),
		"store_settings": *storeSettings})
	var codes *ann.CodeRows
	var qz *ann.Quantizer
	if strings.Contains(*walks, "sq8") {
		t0, c0 := time.Now(), cpuSeconds()
		qz = ann.TrainQuantizer(r, rowsN, *dim)
		codes = ann.EncodeRows(qz, r, rowsN)
		emit(map[string]any{"tool": "papermap-hnsw", "codes": "sq8", "encode_s": time.Since(t0).Seconds(),
			"encode_cpu_s": cpuSeconds() - c0, "codes_mb": float64(len(codes.Bytes())) / (1 << 20), "peak_rss_mb": peakRSS()})
	}
	if *thp {
		if codes != nil {
			codes = ann.CodeRowsOf(qz, hugeCopy(codes.Bytes()))
		}
		if strings.Contains(*walks, "float") {
			r.x = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(hugeCopy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(r.x))), 4*len(r.x)))))), len(r.x))
		}
	}
	stopQ := cpuprof.Start(*qprofile)
	defer stopQ()
	for _, f := range strings.Split(*efs, ",") {
		ef, _ := strconv.Atoi(f)
		for _, walk := range strings.Split(*walks, ",") {
			switch walk {
			case "float":
				idx.UseCodes(nil, nil, ann.CodeOptions{})
			case "sq8":
				idx.UseCodes(qz, codes, ann.CodeOptions{Rerank: max(*rerank, codeOpts.Rerank)})
			default:
				log.Fatalf("-walk %q: float or sq8", walk)
			}
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
			out := map[string]any{"tool": "papermap-hnsw", "ef": ef, "recall": rec / float64(nQ),
				"median_ms": times[len(times)/2], "p99_ms": times[len(times)*99/100], "cpu_per_query_ms": 1000 * cpu / float64(nQ)}
			if walk != "float" {
				out["walk"], out["rerank"] = walk, max(*rerank, 0)
				if *rerank <= 0 {
					out["rerank"] = ann.DefaultRerank
				}
			}
			emit(out)
		}
	}
}

// groundTruth returns the exact top 10 of each query by brute force, or
// reads it from path when path names a file written by an earlier run
// with the same numbers of rows and queries (and writes it there if not).
func groundTruth(path string, r *rows, rowsN int, q []float32, nQ, dim int) [][]int32 {
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			if len(b) == 8+nQ*40 && int(binary.LittleEndian.Uint32(b)) == rowsN && int(binary.LittleEndian.Uint32(b[4:])) == nQ {
				exact := make([][]int32, nQ)
				for i := range exact {
					for j := range 10 {
						exact[i] = append(exact[i], int32(binary.LittleEndian.Uint32(b[8+40*i+4*j:])))
					}
				}
				return exact
			}
			log.Fatalf("-gt %s: not the top 10 of %d queries over %d rows", path, nQ, rowsN)
		}
	}
	exact := bruteForce(r, rowsN, q, nQ, dim)
	if path != "" {
		b := binary.LittleEndian.AppendUint32(nil, uint32(rowsN))
		b = binary.LittleEndian.AppendUint32(b, uint32(nQ))
		for _, e := range exact {
			for _, v := range e {
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			}
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	return exact
}

// loadGraph returns the graph saved at path, if there is one, over r.
func loadGraph(path string, r *rows, rowsN int) (*ann.Index, bool) {
	if path == "" {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		log.Fatal(err)
	}
	idx, _, err := ann.LoadFlat(b, r)
	if err != nil {
		log.Fatalf("-graph %s: %v", path, err)
	}
	if idx.Len() != rowsN {
		log.Fatalf("-graph %s: a graph of %d nodes, not %d", path, idx.Len(), rowsN)
	}
	return idx, true
}

func saveGraph(path string, idx *ann.Index) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := idx.WriteFlat(w); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// bruteForce returns the exact top 10 of each query, split between the CPUs.
func bruteForce(r *rows, rowsN int, q []float32, nQ, dim int) [][]int32 {
	exact := make([][]int32, nQ)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < nQ; i += runtime.GOMAXPROCS(0) {
				qv := q[i*dim : (i+1)*dim]
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
	return exact
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
		"default_ef": s.IndexEf(), "threads": runtime.GOMAXPROCS(0)})
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
			ef = s.IndexEf() // the loaded graph's default (an M 16 graph's is twice the store's)
		}
		emit(map[string]any{"tool": "papermap-store", "ef": ef, "recall": rec / float64(nq),
			"median_ms": tIdx[len(tIdx)/2], "p99_ms": tIdx[len(tIdx)*99/100], "peak_rss_mb": peakRSS()})
	}
}

// hugeCopy returns a copy of b in anonymous memory advised for transparent
// huge pages (MADV_HUGEPAGE), 2 MiB aligned.
func hugeCopy(b []byte) []byte {
	const huge = 2 << 20
	m, err := syscall.Mmap(-1, 0, len(b)+huge, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		log.Fatal(err)
	}
	off := (huge - int(uintptr(unsafe.Pointer(&m[0]))%huge)) % huge
	m = m[off : off+len(b)]
	if err := syscall.Madvise(m, 14); err != nil { // MADV_HUGEPAGE
		log.Fatal(err)
	}
	copy(m, b)
	return m
}

// batchLabel describes the batch build's settings for the JSON line
// (nil: no batch build): the store's when set, else the flags', zeros
// given their defaults.
func batchLabel(on bool, flags ann.BatchOptions, store *ann.BatchOptions) any {
	if !on {
		return nil
	}
	b := flags
	if store != nil {
		b = *store
	}
	or := func(v, d int) int {
		if v > 0 {
			return v
		}
		return d
	}
	alpha := b.Alpha
	if alpha <= 0 {
		alpha = ann.DefaultBatchAlpha
	}
	return map[string]any{"lists": or(b.Lists, ann.DefaultBatchLists), "per_pivot": or(b.PerPivot, ann.DefaultBatchPerPivot),
		"k": or(b.K, ann.DefaultBatchK), "keep": or(b.Keep, ann.DefaultBatchKeep), "alpha": alpha}
}
