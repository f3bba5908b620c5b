// Command weaviate measures papermap's Weaviate store beside its local
// store on the same vectors (issue 15): ingest rate, and the median and
// 99th percentile of one search (top 10) with its recall@10 against the
// exact answer, for each HNSW ef given.
//
//	scripts/weaviate-test-server exec go run ./bench/weaviate \
//	    -addr 'weaviate://127.0.0.1:35600/Bench?grpc=35601' -n 200000 -ef 64,128,256,512
//
// With -vectors FILE the stored vectors are the first -n rows of FILE, raw
// little-endian float32 rows of -dim values (e.g. bench/ann/embed's x.f32,
// real papers embedded by the lexical model), and with -query-vectors the
// queries are the first -queries rows of such a file (e.g. its q.f32,
// papers not in x.f32). Without them the vectors are random unit vectors
// (uniform on the sphere, seeded): the hardest case for a graph index, as
// nothing clusters, and the queries are other such vectors. The exact answer is the local store's full scan
// (QueryOptions.Exact); the local store's default search (its HNSW index
// from vectorstore.DefaultIndexThreshold records on, built at the first
// search, whose time is printed) is measured too. The search times of the
// Weaviate store include papermap's completeness check (two calls to
// /v1/nodes, see weaviate.Store.CheckComplete), whose own median is
// printed too. With -pids (the servers' process IDs, e.g. from
// scripts/weaviate-test-server status) it prints the CPU seconds the
// servers spent during the ingest, which a loaded machine does not
// inflate as it does the wall-clock time, and their peak resident memory
// after the searches.
//
// With -ingest-for D the Weaviate ingest stops after D (at a 5,000-vector
// step) and the searches run on what it stored, the local store and the
// exact answers remade for those vectors: a cluster too slow to take -n in
// a time limit still gets its search figures. Without -addr only the local
// store is measured; -local-ef sweeps its index's candidate list.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

func main() {
	addr := flag.String("addr", "", "Weaviate store address of a collection that does not exist yet (empty: only the local store)")
	n := flag.Int("n", 200000, "vectors")
	dim := flag.Int("dim", 384, "dimensions")
	nq := flag.Int("queries", 200, "searches")
	efs := flag.String("ef", "64,128,256,512", "HNSW ef values to measure, comma-separated")
	localDir := flag.String("local", "", "directory in which to make the local store beside it (empty: the system's temporary directory)")
	ingestFor := flag.Duration("ingest-for", 0, "stop the Weaviate ingest after this long (at a 5,000-vector step) and search what is stored, with the local store and exact answers remade for those vectors (0: no limit)")
	efc := flag.Int("efc", 0, "HNSW efConstruction of the new collection (0: weaviate.DefaultEfConstruction)")
	maxConn := flag.Int("m", 0, "HNSW maxConnections of the new collection (0: weaviate.DefaultMaxConnections)")
	inflight := flag.Int("inflight", 0, "write batches in flight (0: weaviate.DefaultInFlight)")
	batch := flag.Int("batch", 0, "objects per write batch (0: 500)")
	ingestOnly := flag.Bool("ingest-only", false, "only the Weaviate ingest (no local store, no searches): a long ingest, then -resume to search")
	resume := flag.Bool("resume", false, "continue an ingest into -addr that a time limit stopped (the rate counts only the vectors this run writes)")
	localIndex := flag.Bool("local-index", true, "measure the local store's approximate index too (from vectorstore.DefaultIndexThreshold vectors)")
	localEfs := flag.String("local-ef", "", "candidate lists (QueryOptions.IndexEf) of the local approximate index to measure, comma-separated (empty: vectorstore.DefaultIndexEf only)")
	pids := flag.String("pids", "", "comma-separated process IDs of the Weaviate servers, to report their CPU time during the ingest")
	vfile := flag.String("vectors", "", "file of raw little-endian float32 rows of -dim values: store its first -n rows (empty: random unit vectors)")
	qfile := flag.String("query-vectors", "", "file like -vectors: search with its first -queries rows (empty: random unit vectors)")
	flag.Parse()
	if *addr == "" && *ingestOnly {
		log.Fatal("-ingest-only needs -addr")
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, *dim)
		var ss float64
		for i := range v {
			x := rng.NormFloat64()
			v[i] = float32(x)
			ss += x * x
		}
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(ss))
		}
		return v
	}
	model := "random"
	var rows [][]float32
	if *vfile != "" {
		var err error
		if rows, err = readVectors(*vfile, *n, *dim); err != nil {
			log.Fatal(err)
		}
		model = filepath.Base(*vfile)
	}
	recs := make([]vectorstore.Record, *n)
	for i := range recs {
		v := vec
		if rows != nil {
			v = func() []float32 { return rows[i] }
		}
		recs[i] = vectorstore.Record{ID: fmt.Sprintf("p%07d", i), Content: "paper " + strconv.Itoa(i), Embedding: v()}
	}
	var qs [][]float32
	if *qfile != "" {
		var err error
		if qs, err = readVectors(*qfile, *nq, *dim); err != nil {
			log.Fatal(err)
		}
	} else {
		qs = make([][]float32, *nq)
		for i := range qs {
			qs[i] = vec()
		}
	}
	info := embed.Info{Backend: "bench", Model: model, Dimensions: *dim}
	var cleanup []func()

	var (
		exact   [][]vectorstore.Hit
		ls      *vectorstore.Store
		lingest time.Duration
	)
	// local builds the local store of recs in a new directory under dir
	// (a temporary one if empty) and the exact answers to qs.
	local := func(recs []vectorstore.Record) {
		if ls != nil {
			ls.Close()
		}
		d, err := os.MkdirTemp(*localDir, "papermap-bench-weaviate")
		if err != nil {
			log.Fatal(err)
		}
		cleanup = append(cleanup, func() { os.RemoveAll(d) })
		// Without -local-index no index at all: the store would otherwise
		// build one at Close.
		var lopts vectorstore.Options
		if !*localIndex {
			lopts.IndexThreshold = -1
		}
		ls, err = vectorstore.Open(ctx, d+"/store", lopts)
		if err != nil {
			log.Fatal(err)
		}
		must(ls.SetEmbedder(info))
		t0 := time.Now()
		for start := 0; start < len(recs); start += 5000 {
			_, err := ls.Add(ctx, recs[start:min(start+5000, len(recs))])
			must(err)
		}
		lingest = time.Since(t0)
		exact = make([][]vectorstore.Hit, len(qs))
		var ltimes []time.Duration
		for i, q := range qs {
			t := time.Now()
			exact[i], err = ls.Query(ctx, q, 10, vectorstore.QueryOptions{Exact: true})
			ltimes = append(ltimes, time.Since(t))
			must(err)
		}
		fmt.Printf("local store: %d x %d ingested in %.1f s (%.0f vectors/s); exact search median %.2f ms, p99 %.2f ms, recall@10 1\n",
			len(recs), *dim, lingest.Seconds(), float64(len(recs))/lingest.Seconds(), ms(pct(ltimes, 50)), ms(pct(ltimes, 99)))
	}
	defer func() {
		if ls != nil {
			ls.Close()
		}
		for _, f := range cleanup {
			f()
		}
	}()
	if !*ingestOnly {
		local(recs)
	}

	if *addr != "" {
		ws, err := weaviate.Open(ctx, *addr, weaviate.Options{EfConstruction: *efc, MaxConnections: *maxConn, InFlight: *inflight, BatchSize: *batch})
		if err != nil {
			log.Fatal(err)
		}
		defer ws.Close()
		had := ws.Len()
		if had != 0 && !*resume {
			log.Fatalf("%s already holds %d papers: give a new collection (or -resume)", *addr, had)
		}
		if had != 0 {
			fmt.Printf("weaviate %s: resuming, %d of the %d vectors already stored (not counted in the rate below)\n", *addr, had, *n)
		}
		must(ws.SetEmbedder(info))
		cpu0 := cpuSeconds(*pids)
		t0 := time.Now()
		step := max(5000, *n/10)
		for start := 0; start < len(recs); start += 5000 {
			end := min(start+5000, len(recs))
			_, err := ws.Add(ctx, recs[start:end])
			must(err)
			if *ingestFor > 0 && time.Since(t0) > *ingestFor && end < len(recs) {
				fmt.Printf("  -ingest-for %v reached: %d of %d stored; searching those\n", *ingestFor, end, *n)
				recs = recs[:end]
				break
			}
			// Progress, so that a run stopped by a time limit still says what
			// it measured.
			if end%step == 0 && end < len(recs) {
				el := time.Since(t0)
				fmt.Printf("  %d of %d stored after %.1f s (%.0f vectors/s so far)", end, *n, el.Seconds(), float64(ws.Len()-had)/el.Seconds())
				if *pids != "" {
					fmt.Printf("; servers' CPU %.1f s", cpuSeconds(*pids)-cpu0)
				}
				fmt.Println()
			}
		}
		wingest := time.Since(t0)
		fmt.Printf("weaviate %s: ingested %d in %.1f s (%.0f vectors/s)", *addr, len(recs)-had, wingest.Seconds(), float64(len(recs)-had)/wingest.Seconds())
		if *pids != "" {
			fmt.Printf("; servers' CPU %.1f s", cpuSeconds(*pids)-cpu0)
		}
		fmt.Println()
		if *ingestOnly {
			return
		}
		if len(recs) < *n {
			*n = len(recs)
			local(recs)
		}
		var ctimes []time.Duration
		for range 50 {
			t := time.Now()
			must(ws.CheckComplete(ctx))
			ctimes = append(ctimes, time.Since(t))
		}
		fmt.Printf("completeness check alone: median %.2f ms\n", ms(pct(ctimes, 50)))
		for _, f := range strings.Split(*efs, ",") {
			ef, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				log.Fatalf("-ef: %v", err)
			}
			must(ws.SetEf(ctx, ef))
			times, recall := measure(qs, exact, func(q []float32) ([]vectorstore.Hit, error) {
				return ws.Query(ctx, q, 10, vectorstore.QueryOptions{})
			})
			fmt.Printf("weaviate ef %d: search median %.2f ms, p99 %.2f ms, recall@10 %.4f\n", ef, ms(pct(times, 50)), ms(pct(times, 99)), recall)
		}
		if *pids != "" {
			fmt.Printf("servers' peak RSS so far: %s\n", peakRSS(*pids))
		}
	}
	// The local store's approximate index last: its build may be what a
	// time limit stops.
	if *localIndex && *n >= vectorstore.DefaultIndexThreshold {
		t := time.Now()
		_, err := ls.Query(ctx, qs[0], 10, vectorstore.QueryOptions{})
		must(err)
		build := time.Since(t)
		fmt.Printf("local store, approximate index: built at the first search in %.1f s (ingest with it: %.0f vectors/s)\n",
			build.Seconds(), float64(*n)/(lingest+build).Seconds())
		efs := []int{0}
		if *localEfs != "" {
			efs = efs[:0]
			for _, f := range strings.Split(*localEfs, ",") {
				ef, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil {
					log.Fatalf("-local-ef: %v", err)
				}
				efs = append(efs, ef)
			}
		}
		for _, ef := range efs {
			times, recall := measure(qs, exact, func(q []float32) ([]vectorstore.Hit, error) {
				return ls.Query(ctx, q, 10, vectorstore.QueryOptions{IndexEf: ef})
			})
			if ef == 0 {
				ef = vectorstore.DefaultIndexEf(*n)
			}
			fmt.Printf("local store, approximate index ef %d: search median %.2f ms, p99 %.2f ms, recall@10 %.4f\n", ef, ms(pct(times, 50)), ms(pct(times, 99)), recall)
		}
	}
}

// measure runs search on each query and returns its times and the mean
// recall@10 against exact.
func measure(qs [][]float32, exact [][]vectorstore.Hit, search func([]float32) ([]vectorstore.Hit, error)) ([]time.Duration, float64) {
	var times []time.Duration
	recall := 0.0
	for i, q := range qs {
		t := time.Now()
		hits, err := search(q)
		times = append(times, time.Since(t))
		must(err)
		in := map[string]bool{}
		for _, h := range exact[i] {
			in[h.ID] = true
		}
		for _, h := range hits {
			if in[h.ID] {
				recall++
			}
		}
	}
	return times, recall / float64(10*len(qs))
}

// procFiles reads /proc/PID/name (Linux) for each process ID in pids
// (comma-separated), in order.
func procFiles(pids, name string) (pidList []string, files []string) {
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		b, err := os.ReadFile("/proc/" + p + "/" + name)
		if err != nil {
			log.Fatalf("-pids: %v", err)
		}
		pidList = append(pidList, p)
		files = append(files, string(b))
	}
	return pidList, files
}

// cpuSeconds sums the user and system CPU time of the processes in pids
// (comma-separated); 0 when pids is empty.
func cpuSeconds(pids string) float64 {
	total := 0.0
	_, stats := procFiles(pids, "stat")
	for _, b := range stats {
		// Fields after the command name (which may hold spaces): utime and
		// stime are the 14th and 15th of the line, in clock ticks (100 a
		// second on Linux).
		f := strings.Fields(b[strings.LastIndexByte(b, ')')+2:])
		u, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (u + st) / 100
	}
	return total
}

// peakRSS lists the peak resident set size (VmHWM) of each process in pids
// (comma-separated).
func peakRSS(pids string) string {
	var out []string
	ps, statuses := procFiles(pids, "status")
	for i, b := range statuses {
		for _, l := range strings.Split(b, "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				out = append(out, ps[i]+" "+strings.TrimSpace(v))
			}
		}
	}
	return strings.Join(out, ", ")
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct returns the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
