// Command bleve measures bleve v2.6.3 (github.com/blevesearch/bleve) against
// papermap's own exact-term index (vectorstore/sparse) on the 20,000 papers
// of the ACM citation benchmark and its development split: time to index,
// size on disk, median query latency, recall@10 and MRR@10. It is its own
// module (bench/bleve/go.mod) so that papermap itself does not depend on
// bleve.
//
// It reads the collection that bench/citations writes; run that first:
//
//	go run ./bench/citations
//	cd bench/bleve && go run . -collection /tmp/papermap-citations/collection.jsonl
//
// bleve indexes one field, the title and abstract joined as papermap
// indexes them, with its English analyser ("en": Unicode words, possessives,
// lower case, English stop words, Porter stemmer) and answers each query
// paragraph with a match query (a disjunction of its analysed terms), scored
// by its default TF-IDF and by BM25 (two indexes). papermap's index uses its
// defaults (StemmedTerms, sublinear TF-IDF cosine).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore/sparse"
)

func main() {
	coll := flag.String("collection", filepath.Join(os.TempDir(), "papermap-citations", "collection.jsonl"), "the collection written by bench/citations")
	dev := flag.String("queries", "../../../shared/data/acm-cr/citations-dev.jsonl", "citations-dev.jsonl")
	work := flag.String("work", filepath.Join(os.TempDir(), "papermap-bleve"), "directory for the bleve indexes (replaced)")
	flag.Parse()
	log.SetFlags(0)

	ids, texts, err := readCollection(*coll)
	if err != nil {
		log.Fatal(err)
	}
	qs, err := readQueries(*dev)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d papers, %d queries\n", len(ids), len(qs))
	fmt.Printf("%-34s %10s %10s %12s %12s %9s %7s\n", "index", "index time", "size MB", "query median", "query p90", "recall@10", "MRR@10")

	// papermap's own index.
	t := time.Now()
	x := sparse.New(sparse.Options{})
	x.Add(ids, texts)
	var buf strings.Builder
	x.WriteTo(&buf)
	took := time.Since(t)
	ans, lat := answer(qs, func(q string) []string {
		hits, _ := x.Search(q, 10, nil, nil)
		out := make([]string, len(hits))
		for i, h := range hits {
			out[i] = h.ID
		}
		return out
	})
	row("papermap vectorstore/sparse", took, int64(buf.Len()), lat, qs, ans)

	for _, model := range []string{index.TFIDFScoring, index.BM25Scoring} {
		dir := filepath.Join(*work, model)
		os.RemoveAll(dir)
		os.MkdirAll(*work, 0o700)
		m := bleve.NewIndexMapping()
		m.DefaultAnalyzer = en.AnalyzerName
		m.ScoringModel = model
		m.DefaultMapping.AddFieldMappingsAt("text", textField())
		t := time.Now()
		idx, err := bleve.New(dir, m)
		if err != nil {
			log.Fatal(err)
		}
		b := idx.NewBatch()
		for i, id := range ids {
			if err := b.Index(id, map[string]string{"text": texts[i]}); err != nil {
				log.Fatal(err)
			}
			if b.Size() == 1000 {
				if err := idx.Batch(b); err != nil {
					log.Fatal(err)
				}
				b.Reset()
			}
		}
		if err := idx.Batch(b); err != nil {
			log.Fatal(err)
		}
		if err := idx.Close(); err != nil {
			log.Fatal(err)
		}
		took := time.Since(t)
		size := dirSize(dir)
		if idx, err = bleve.Open(dir); err != nil {
			log.Fatal(err)
		}
		ans, lat := answer(qs, func(q string) []string {
			mq := bleve.NewMatchQuery(q)
			mq.SetField("text")
			req := bleve.NewSearchRequestOptions(mq, 10, 0, false)
			res, err := idx.Search(req)
			if err != nil {
				log.Fatal(err)
			}
			out := make([]string, len(res.Hits))
			for i, h := range res.Hits {
				out[i] = h.ID
			}
			return out
		})
		idx.Close()
		row("bleve v2.6.3 en analyser, "+model, took, size, lat, qs, ans)
	}
}

func textField() *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = en.AnalyzerName
	f.Store = false
	f.IncludeInAll = false
	f.IncludeTermVectors = false
	return f
}

func row(name string, took time.Duration, size int64, lat []time.Duration, qs []query, ans [][]string) {
	slices.Sort(lat)
	r, m := score(qs, ans)
	fmt.Printf("%-34s %10v %10.1f %12v %12v %9.1f %7.1f\n", name, took.Round(time.Millisecond), float64(size)/1e6,
		lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*9/10].Round(10*time.Microsecond), r, m)
}

// answer runs every query twice (the first round warms caches) and returns
// the answers and the latencies of the second round.
func answer(qs []query, search func(string) []string) ([][]string, []time.Duration) {
	ans := make([][]string, len(qs))
	lat := make([]time.Duration, len(qs))
	for round := range 2 {
		for i, q := range qs {
			t := time.Now()
			ans[i] = search(q.Text)
			if round == 1 {
				lat[i] = time.Since(t)
			}
		}
	}
	return ans, lat
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

type query struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Relevant []string `json:"relevant"`
}

func readQueries(path string) ([]query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []query
	for i, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var q query
		if err := json.Unmarshal([]byte(l), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, q)
	}
	return out, nil
}

// readCollection returns the IDs and texts (paper.Paper.Text: the text
// papermap indexes) of the collection.
func readCollection(path string) (ids, texts []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (run `go run ./bench/citations` first)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var d struct{ ID, Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		ids = append(ids, d.ID)
		texts = append(texts, paper.Paper{Title: d.Title, Abstract: d.Abstract}.Text())
	}
	return ids, texts, sc.Err()
}

// score returns recall@10 and MRR@10 in percent (as bench/citations).
func score(qs []query, ans [][]string) (recall, mrr float64) {
	for i, q := range qs {
		rel := map[string]bool{}
		for _, r := range q.Relevant {
			rel[strings.ToLower(r)] = true
		}
		hit, first := 0, 0
		for j, id := range ans[i][:min(10, len(ans[i]))] {
			if rel[strings.ToLower(id)] {
				hit++
				if first == 0 {
					first = j + 1
				}
			}
		}
		recall += float64(hit) / float64(len(rel))
		if first > 0 {
			mrr += 1 / float64(first)
		}
	}
	n := float64(len(qs))
	return 100 * recall / n, 100 * mrr / n
}
