// Command weaviate measures papermap's Weaviate store beside its local
// store on the same vectors (issue 15): ingest rate, and the median and
// 99th percentile of one search (top 10) with its recall@10 against the
// exact answer, for each HNSW ef given.
//
//	scripts/weaviate-test-server exec go run ./bench/weaviate \
//	    -addr 'weaviate://127.0.0.1:35600/Bench?grpc=35601' -n 200000 -ef 64,128,256,512
//
// The vectors are random unit vectors (uniform on the sphere, seeded):
// the hardest case for a graph index, as nothing clusters; the queries are
// other such vectors. The search times of the Weaviate store include
// papermap's completeness check (two calls to /v1/nodes, see
// weaviate.Store.CheckComplete), whose own median is printed too.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

func main() {
	addr := flag.String("addr", "", "Weaviate store address of a collection that does not exist yet")
	n := flag.Int("n", 200000, "vectors")
	dim := flag.Int("dim", 384, "dimensions")
	nq := flag.Int("queries", 200, "searches")
	efs := flag.String("ef", "64,128,256,512", "HNSW ef values to measure, comma-separated")
	local := flag.String("local", "", "local store directory to build beside it (empty: a temporary one)")
	flag.Parse()
	if *addr == "" {
		log.Fatal("-addr is required")
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
	recs := make([]vectorstore.Record, *n)
	for i := range recs {
		recs[i] = vectorstore.Record{ID: fmt.Sprintf("p%07d", i), Content: "paper " + strconv.Itoa(i), Embedding: vec()}
	}
	qs := make([][]float32, *nq)
	for i := range qs {
		qs[i] = vec()
	}
	info := embed.Info{Backend: "bench", Model: "random", Dimensions: *dim}

	dir := *local
	if dir == "" {
		d, err := os.MkdirTemp("", "papermap-bench-weaviate")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d + "/store"
	}
	ls, err := vectorstore.Open(ctx, dir, vectorstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer ls.Close()
	must(ls.SetEmbedder(info))
	t0 := time.Now()
	for start := 0; start < len(recs); start += 5000 {
		_, err := ls.Add(ctx, recs[start:min(start+5000, len(recs))])
		must(err)
	}
	lingest := time.Since(t0)
	exact := make([][]vectorstore.Hit, len(qs))
	var ltimes []time.Duration
	for i, q := range qs {
		t := time.Now()
		exact[i], err = ls.Query(ctx, q, 10, vectorstore.QueryOptions{})
		ltimes = append(ltimes, time.Since(t))
		must(err)
	}
	fmt.Printf("local store: %d x %d ingested in %.1f s (%.0f vectors/s); search median %.2f ms, p99 %.2f ms, recall@10 1 (exact)\n",
		*n, *dim, lingest.Seconds(), float64(*n)/lingest.Seconds(), ms(pct(ltimes, 50)), ms(pct(ltimes, 99)))

	ws, err := weaviate.Open(ctx, *addr, weaviate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()
	if ws.Len() != 0 {
		log.Fatalf("%s already holds %d papers: give a new collection", *addr, ws.Len())
	}
	must(ws.SetEmbedder(info))
	t0 = time.Now()
	for start := 0; start < len(recs); start += 5000 {
		_, err := ws.Add(ctx, recs[start:min(start+5000, len(recs))])
		must(err)
	}
	wingest := time.Since(t0)
	fmt.Printf("weaviate %s: ingested in %.1f s (%.0f vectors/s)\n", *addr, wingest.Seconds(), float64(*n)/wingest.Seconds())
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
		var times []time.Duration
		recall := 0.0
		for i, q := range qs {
			t := time.Now()
			hits, err := ws.Query(ctx, q, 10, vectorstore.QueryOptions{})
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
		recall /= float64(10 * len(qs))
		fmt.Printf("weaviate ef %d: search median %.2f ms, p99 %.2f ms, recall@10 %.4f\n", ef, ms(pct(times, 50)), ms(pct(times, 99)), recall)
	}
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
