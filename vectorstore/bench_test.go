package vectorstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Benchmarks at two corpus sizes and two embedding sizes (the lexical
// model's 256 and a 384-dim sentence model), with seeded random unit
// vectors. Stores are built once per process in benchDir and reused.

var benchSizes = []struct{ n, dim int }{{10_000, 256}, {10_000, 384}, {100_000, 256}, {100_000, 384}}

var (
	benchDir    string
	benchMu     sync.Mutex
	benchStores = map[[2]int]string{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchStore returns the directory of a closed store of n random records
// of the given dimension, building it on first use.
func benchStore(b *testing.B, n, dim int) (string, []Record) {
	b.Helper()
	recs := makeRecords(uint64(n*1000+dim), "p", n, dim)
	benchMu.Lock()
	defer benchMu.Unlock()
	if dir, ok := benchStores[[2]int{n, dim}]; ok {
		return dir, recs
	}
	if benchDir == "" {
		d, err := os.MkdirTemp("", "vectorstore-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	}
	dir := filepath.Join(benchDir, fmt.Sprintf("n%d-d%d", n, dim))
	s := openStore(b, dir, dim)
	for lo := 0; lo < n; lo += 1000 {
		mustAdd(b, s, recs[lo:min(lo+1000, n)])
	}
	mustClose(b, s)
	benchStores[[2]int{n, dim}] = dir
	return dir, recs
}

func benchName(n, dim int) string { return fmt.Sprintf("n=%d/dim=%d", n, dim) }

// BenchmarkAdd adds n records to a new store, 1,000 per Add (each synced).
func BenchmarkAdd(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(benchName(sz.n, sz.dim), func(b *testing.B) {
			recs := makeRecords(uint64(sz.n), "p", sz.n, sz.dim)
			root := b.TempDir()
			i := 0
			for b.Loop() {
				dir := filepath.Join(root, fmt.Sprint(i))
				i++
				s := openStore(b, dir, sz.dim)
				for lo := 0; lo < sz.n; lo += 1000 {
					mustAdd(b, s, recs[lo:min(lo+1000, sz.n)])
				}
				mustClose(b, s)
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sz.n), "ns/record")
		})
	}
}

// BenchmarkOpen reopens a store read-only: reading and checking the log,
// building the matrix (not the chromem-go collection: Collection builds
// that at its first call).
func BenchmarkOpen(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(benchName(sz.n, sz.dim), func(b *testing.B) {
			dir, _ := benchStore(b, sz.n, sz.dim)
			b.SetBytes(logSize(b, dir))
			for b.Loop() {
				s, err := Open(context.Background(), dir, Options{ReadOnly: true, IndexThreshold: -1})
				if err != nil {
					b.Fatal(err)
				}
				if s.Len() != sz.n {
					b.Fatalf("%d records", s.Len())
				}
				s.Close()
			}
		})
	}
}

// benchQueries returns 64 seeded random unit queries.
func benchQueries(dim int) [][]float32 {
	rng := rand.New(rand.NewPCG(99, uint64(dim)))
	qs := make([][]float32, 64)
	for i := range qs {
		qs[i] = randUnit(rng, dim)
	}
	return qs
}

// BenchmarkQuery compares top-10 search by the flat scan (Query) and by
// chromem-go's QueryEmbedding on the same collection, without and with a
// metadata filter (venue matches 1/3 of the records, venue+year 1/21).
func BenchmarkQuery(b *testing.B) {
	filters := []struct {
		name  string
		where Filter
	}{
		{"all", nil},
		{"where=venue", Filter{"venue": "kdd"}},
		{"where=venue+year", Filter{"venue": "kdd", "year": "2003"}},
	}
	for _, sz := range benchSizes {
		for _, f := range filters {
			for _, engine := range []string{"flat", "chromem"} {
				b.Run(fmt.Sprintf("%s/%s/%s", benchName(sz.n, sz.dim), f.name, engine), func(b *testing.B) {
					dir, _ := benchStore(b, sz.n, sz.dim)
					s, err := Open(context.Background(), dir, Options{ReadOnly: true, IndexThreshold: -1})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					qs := benchQueries(sz.dim)
					ctx, opts := context.Background(), QueryOptions{Where: f.where}
					i := 0
					for b.Loop() {
						q := qs[i%len(qs)]
						i++
						var err error
						if engine == "flat" {
							_, err = s.Query(ctx, q, 10, opts)
						} else {
							_, err = s.queryChromem(ctx, q, 10, opts)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkQueryBatch runs 64 top-10 queries in one QueryBatch call;
// ns/query is the figure to compare with BenchmarkQuery.
func BenchmarkQueryBatch(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(benchName(sz.n, sz.dim)+"/batch=64", func(b *testing.B) {
			dir, _ := benchStore(b, sz.n, sz.dim)
			s, err := Open(context.Background(), dir, Options{ReadOnly: true, IndexThreshold: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			qs := benchQueries(sz.dim)
			for b.Loop() {
				if _, err := s.QueryBatch(context.Background(), qs, 10, QueryOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(qs)), "ns/query")
		})
	}
}

// BenchmarkMatrix copies all vectors out, sorted by ID (what clustering
// starts from).
func BenchmarkMatrix(b *testing.B) {
	for _, sz := range benchSizes[:2] {
		b.Run(benchName(sz.n, sz.dim), func(b *testing.B) {
			dir, _ := benchStore(b, sz.n, sz.dim)
			s, err := Open(context.Background(), dir, Options{ReadOnly: true, IndexThreshold: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for b.Loop() {
				s.Matrix()
			}
		})
	}
}
