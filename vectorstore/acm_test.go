package vectorstore

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/philippgille/chromem-go"
)

// TestReopenCount100k checks the exact count after reopening a store of
// 100,000 records with DOI-like IDs: the count chromem-go's own
// persistence gets wrong (it names files after 32 bits of a hash of the
// ID, so about one pair in 100,000 IDs collides).
func TestReopenCount100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 records; skipped with -short")
	}
	const n, dim = 100_000, 8
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(40, 40))
	ids := make(map[string]bool, n)
	recs := make([]Record, 0, n)
	for len(recs) < n {
		id := fmt.Sprintf("10.1145/%d.%d", 1_000_000+rng.IntN(9_000_000), rng.IntN(100_000))
		if ids[id] {
			continue
		}
		ids[id] = true
		recs = append(recs, Record{ID: id, Content: "x", Embedding: randUnit(rng, dim)})
	}
	dir := t.TempDir()
	s := openStore(t, dir, dim)
	for lo := 0; lo < n; lo += 1000 {
		mustAdd(t, s, recs[lo:lo+1000])
	}
	mustClose(t, s)
	r, err := Open(ctx, dir, Options{ReadOnly: true, IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != n {
		t.Fatalf("%d records after reopening, want %d", r.Len(), n)
	}
	got := r.IDs()
	want := slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	if !slices.Equal(got, want) {
		t.Fatal("the reopened IDs differ from those added")
	}
}

// The ACM benchmark compares papermap's store with chromem-go's two ways
// of persisting (one file per document, and Export/Import of the whole DB)
// on the 98,442 ACM records with an abstract over 100 characters, with
// seeded random unit vectors of 256 dims standing in for embeddings. Each
// phase runs in its own child process, so that its peak RSS is its own.
//
//	PAPERMAP_ACM_BENCH=1 go test -run '^TestACMBench$' -v -timeout 60m ./vectorstore/
//
// It is skipped unless PAPERMAP_ACM_BENCH is set, and when the data file
// (PAPERMAP_ACM_DOCS, default ../../shared/data/acm-cr/acm-dl-docs.jsonl.gz
// relative to this package) is absent.

const (
	acmChildEnv = "VECTORSTORE_ACM_PHASE"
	acmDirEnv   = "VECTORSTORE_ACM_DIR"
	acmDim      = 256
)

func acmDocsPath() string {
	if p := os.Getenv("PAPERMAP_ACM_DOCS"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "data", "acm-cr", "acm-dl-docs.jsonl.gz")
}

// loadACM reads the ACM records with an abstract over 100 characters and
// gives each a seeded random unit vector.
func loadACM(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(98442, 256))
	var recs []Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var d struct {
			ID, Venue, Year, Title, Abstract, Keywords, Booktitle string
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(d.Abstract) <= 100 {
			continue
		}
		recs = append(recs, Record{
			ID:      d.ID,
			Content: d.Title + "\n" + d.Abstract,
			Metadata: map[string]string{
				"title": d.Title, "year": d.Year, "venue": d.Venue, "doi": d.ID,
				"keywords": d.Keywords, "booktitle": d.Booktitle,
			},
			Embedding: randUnit(rng, acmDim),
		})
	}
	return recs, sc.Err()
}

// acmResult is what a phase reports, as one JSON line "RESULT {...}".
type acmResult struct {
	Phase    string             `json:"phase"`
	Count    int                `json:"count"`
	Seconds  float64            `json:"seconds"`
	Bytes    int64              `json:"bytes,omitempty"`
	Files    int                `json:"files,omitempty"`
	PeakRSS  int64              `json:"peak_rss"`
	Extra    map[string]float64 `json:"extra,omitempty"`
	Comments string             `json:"comments,omitempty"`
}

func peakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func dirSize(dir string) (bytes int64, files int) {
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				bytes += fi.Size()
				files++
			}
		}
		return nil
	})
	return bytes, files
}

// medianQuery returns the median time of fn over the queries.
func medianQuery(qs [][]float32, fn func(q []float32) error) (time.Duration, error) {
	ds := make([]time.Duration, len(qs))
	for i, q := range qs {
		start := time.Now()
		if err := fn(q); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// TestACMChild runs one phase of the ACM benchmark; TestACMBench starts it.
func TestACMChild(t *testing.T) {
	phase, work := os.Getenv(acmChildEnv), os.Getenv(acmDirEnv)
	if phase == "" {
		t.Skip("run by TestACMBench")
	}
	ctx := context.Background()
	res := acmResult{Phase: phase, Extra: map[string]float64{}}
	storeDir := filepath.Join(work, "papermap")
	chromemDir := filepath.Join(work, "chromem")
	exportPath := filepath.Join(work, "export.gob.gz")
	qs := benchQueries(acmDim)[:50]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

	load := func() []Record {
		recs, err := loadACM(acmDocsPath())
		if err != nil {
			t.Fatal(err)
		}
		// What the benchmark's own copy of the data costs, before the
		// phase proper.
		res.Extra["rss_after_load_mb"] = float64(peakRSS()) / 1e6
		return recs
	}
	switch phase {
	case "papermap-add":
		recs := load()
		start := time.Now()
		s := openStore(t, storeDir, acmDim)
		for lo := 0; lo < len(recs); lo += 1000 {
			mustAdd(t, s, recs[lo:min(lo+1000, len(recs))])
		}
		mustClose(t, s)
		res.Seconds = time.Since(start).Seconds()
		res.Count = len(recs)
		res.Bytes, res.Files = dirSize(storeDir)

	case "papermap-open":
		start := time.Now()
		s, err := Open(ctx, storeDir, Options{ReadOnly: true, IndexThreshold: -1})
		if err != nil {
			t.Fatal(err)
		}
		res.Seconds = time.Since(start).Seconds()
		res.Count = s.Len()
		first := time.Now()
		if _, err := s.Query(ctx, qs[0], 10, QueryOptions{}); err != nil {
			t.Fatal(err)
		}
		res.Extra["first_query_ms"] = ms(time.Since(first))
		med, err := medianQuery(qs, func(q []float32) error { _, err := s.Query(ctx, q, 10, QueryOptions{}); return err })
		if err != nil {
			t.Fatal(err)
		}
		res.Extra["query_median_ms"] = ms(med)
		where := QueryOptions{Where: Filter{"venue": "sigir"}}
		if med, err = medianQuery(qs, func(q []float32) error { _, err := s.Query(ctx, q, 10, where); return err }); err != nil {
			t.Fatal(err)
		}
		res.Extra["query_where_median_ms"] = ms(med)
		if med, err = medianQuery(qs[:20], func(q []float32) error { _, err := s.queryChromem(ctx, q, 10, QueryOptions{}); return err }); err != nil {
			t.Fatal(err)
		}
		res.Extra["chromem_query_median_ms"] = ms(med)
		if med, err = medianQuery(qs[:20], func(q []float32) error { _, err := s.queryChromem(ctx, q, 10, where); return err }); err != nil {
			t.Fatal(err)
		}
		res.Extra["chromem_query_where_median_ms"] = ms(med)
		batch := benchQueries(acmDim)
		for len(batch) < 512 {
			batch = append(batch, batch...)
		}
		start = time.Now()
		if _, err := s.QueryBatch(ctx, batch, 10, QueryOptions{}); err != nil {
			t.Fatal(err)
		}
		res.Extra["batch_queries_per_s"] = float64(len(batch)) / time.Since(start).Seconds()
		start = time.Now()
		s.Matrix()
		res.Extra["matrix_ms"] = ms(time.Since(start))
		s.Close()

	case "papermap-compact":
		s, err := Open(ctx, storeDir, Options{IndexThreshold: -1})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		res.Seconds = time.Since(start).Seconds()
		res.Count = s.Len()
		mustClose(t, s)

	case "chromem-persistent-add":
		recs := load()
		start := time.Now()
		db, err := chromem.NewPersistentDB(chromemDir, false)
		if err != nil {
			t.Fatal(err)
		}
		coll, err := db.CreateCollection("papers", nil, noEmbedding)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < len(recs); lo += 1000 {
			docs := make([]chromem.Document, 0, 1000)
			for _, r := range recs[lo:min(lo+1000, len(recs))] {
				docs = append(docs, chromem.Document{ID: r.ID, Metadata: r.Metadata, Content: r.Content, Embedding: r.Embedding})
			}
			if err := coll.AddDocuments(ctx, docs, runtime.NumCPU()); err != nil {
				t.Fatal(err)
			}
		}
		res.Seconds = time.Since(start).Seconds()
		res.Count = coll.Count()
		res.Bytes, res.Files = dirSize(chromemDir)

	case "chromem-persistent-open":
		start := time.Now()
		db, err := chromem.NewPersistentDB(chromemDir, false)
		if err != nil {
			t.Fatal(err)
		}
		coll := db.GetCollection("papers", noEmbedding)
		res.Seconds = time.Since(start).Seconds()
		res.Count = coll.Count()
		med, err := medianQuery(qs[:20], func(q []float32) error { _, err := coll.QueryEmbedding(ctx, q, 10, nil, nil); return err })
		if err != nil {
			t.Fatal(err)
		}
		res.Extra["query_median_ms"] = ms(med)

	case "chromem-export":
		recs := load()
		db := chromem.NewDB()
		coll, err := db.CreateCollection("papers", nil, noEmbedding)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < len(recs); lo += 1000 {
			docs := make([]chromem.Document, 0, 1000)
			for _, r := range recs[lo:min(lo+1000, len(recs))] {
				docs = append(docs, chromem.Document{ID: r.ID, Metadata: r.Metadata, Content: r.Content, Embedding: r.Embedding})
			}
			if err := coll.AddDocuments(ctx, docs, runtime.NumCPU()); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		if err := db.ExportToFile(exportPath, true, ""); err != nil {
			t.Fatal(err)
		}
		res.Seconds = time.Since(start).Seconds()
		res.Count = coll.Count()
		if fi, err := os.Stat(exportPath); err == nil {
			res.Bytes, res.Files = fi.Size(), 1
		}

	case "chromem-import":
		start := time.Now()
		db := chromem.NewDB()
		if err := db.ImportFromFile(exportPath, ""); err != nil {
			t.Fatal(err)
		}
		res.Seconds = time.Since(start).Seconds()
		res.Count = db.GetCollection("papers", noEmbedding).Count()

	default:
		t.Fatalf("unknown phase %q", phase)
	}
	res.PeakRSS = peakRSS()
	b, _ := json.Marshal(res)
	fmt.Printf("RESULT %s\n", b)
}

func TestACMBench(t *testing.T) {
	if os.Getenv("PAPERMAP_ACM_BENCH") == "" {
		t.Skip("set PAPERMAP_ACM_BENCH=1 to run the ACM store benchmark (several minutes)")
	}
	if _, err := os.Stat(acmDocsPath()); err != nil {
		t.Skipf("ACM data not available: %v", err)
	}
	work := t.TempDir()
	if d := os.Getenv("PAPERMAP_ACM_WORKDIR"); d != "" {
		work = d
	}
	phases := []string{
		"papermap-add", "papermap-open", "papermap-compact", "papermap-open",
		"chromem-export", "chromem-import",
		"chromem-persistent-add", "chromem-persistent-open",
	}
	if p := os.Getenv("PAPERMAP_ACM_PHASES"); p != "" {
		phases = strings.Split(p, ",")
	}
	var results []acmResult
	for _, phase := range phases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestACMChild$", "-test.count=1", "-test.timeout=0")
		cmd.Env = append(os.Environ(), acmChildEnv+"="+phase, acmDirEnv+"="+work)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("phase %s: %v\n%s", phase, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "RESULT "); ok {
				var r acmResult
				if err := json.Unmarshal([]byte(v), &r); err != nil {
					t.Fatal(err)
				}
				results = append(results, r)
				t.Logf("%s", v)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| phase | records | seconds | size on disk | files | peak RSS | other |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		var extra []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range r.Extra {
				if !yield(k) {
					return
				}
			}
		}) {
			extra = append(extra, fmt.Sprintf("%s %.1f", k, r.Extra[k]))
		}
		size := ""
		if r.Bytes > 0 {
			size = fmt.Sprintf("%.1f MB", float64(r.Bytes)/1e6)
		}
		files := ""
		if r.Files > 0 {
			files = strconv.Itoa(r.Files)
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %s | %s | %.0f MB | %s |\n", r.Phase, r.Count, r.Seconds, size, files, float64(r.PeakRSS)/1e6, strings.Join(extra, ", "))
	}
	t.Logf("\n%s", b.String())
	if p := os.Getenv("PAPERMAP_ACM_BENCH_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
