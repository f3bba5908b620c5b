// Command citations measures papermap's search on the development split of
// the ACM citation benchmark (../shared/data/acm-cr): each query is a
// paragraph of a paper, and the answers are the ACM papers it cites, among
// the 20,000 of citations-collection-ids.txt. It builds that collection
// (title and abstract of each ID, from acm-dl-docs.jsonl.gz) in a work
// directory outside the repository, ingests it into a lexical store with the
// papermap CLI, runs `papermap search --queries` once per mode (dense,
// sparse, hybrid) and prints recall@10 and MRR@10 for each; with scikit-learn
// installed it runs sklearn_tfidf.py on the same files and prints its
// figures in the same table.
//
//	go run ./bench/citations                    # data from ../shared/data/acm-cr
//	go run ./bench/citations -tune              # grid of fusion settings, stemmed or not (dev split only)
//
// Recall@10 is, per query, the share of its cited papers among the first 10
// results, averaged over the queries; MRR@10 the mean of 1/rank of the
// first cited paper in the first 10 (0 when none is). Both are in percent.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore/sparse"
)

func main() {
	data := flag.String("data", "../shared/data/acm-cr", "directory of acm-dl-docs.jsonl.gz, citations-collection-ids.txt and citations-dev.jsonl")
	work := flag.String("work", filepath.Join(os.TempDir(), "papermap-citations"), "work directory (collection, store, answers); kept between runs")
	bin := flag.String("papermap", "", "papermap binary (default: go build ./cmd/papermap into the work directory)")
	tune := flag.Bool("tune", false, "also try a grid of fusion settings through the library (dev split only)")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	if err := os.MkdirAll(*work, 0o700); err != nil {
		log.Fatal(err)
	}
	coll := filepath.Join(*work, "collection.jsonl")
	if _, err := os.Stat(coll); err != nil {
		n, err := buildCollection(*data, coll)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("collection: %d papers in %s", n, coll)
	}
	if *bin == "" {
		*bin = filepath.Join(*work, "papermap")
		run("go", "build", "-o", *bin, "./cmd/papermap")
	}
	store := filepath.Join(*work, "store")
	if _, err := os.Stat(filepath.Join(store, "manifest.json")); err != nil {
		t := time.Now()
		run(*bin, "ingest", "--store", store, "--embedder", "lexical", coll)
		log.Printf("ingest: %v", time.Since(t).Round(time.Second))
	}
	devPath := filepath.Join(*data, "citations-dev.jsonl")
	dev, err := readQueries(devPath)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Printf("%-28s %9s %7s %9s\n", "method (dev split, 100 queries)", "recall@10", "MRR@10", "time")
	for _, mode := range []string{"dense", "sparse", "hybrid"} {
		out := filepath.Join(*work, "answers-"+mode+".jsonl")
		t := time.Now()
		run(*bin, "search", "--store", store, "--mode", mode, "-k", "10", "--queries", devPath, ">", out)
		took := time.Since(t)
		ans, err := readAnswers(out)
		if err != nil {
			log.Fatal(err)
		}
		r, m := score(dev, ans)
		fmt.Printf("%-28s %9.1f %7.1f %9v\n", "papermap --mode "+mode, r, m, took.Round(time.Millisecond))
	}
	if py3 := pythonWithSklearn(); py3 != "" {
		py := exec.Command(py3, "bench/citations/sklearn_tfidf.py", coll, devPath)
		py.Stderr = os.Stderr
		outb, err := py.Output()
		if err != nil {
			log.Fatalf("sklearn_tfidf.py: %v", err)
		}
		fmt.Print(string(outb))
	} else {
		fmt.Println("(scikit-learn not installed: python3-sklearn for its TF-IDF beside these)")
	}

	if *tune {
		tuneGrid(ctx, store, dev)
		if err := tuneTerms(coll, dev); err != nil {
			log.Fatal(err)
		}
	}
}

// pythonWithSklearn returns a python3 that imports sklearn (the first
// python3 on PATH may be a pyenv one without the Debian packages), or "".
func pythonWithSklearn() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import sklearn").Run() == nil {
			return p
		}
	}
	return ""
}

// run runs a command, with "> FILE" as its last two arguments sending its
// standard output to FILE.
func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if n := len(args); n >= 2 && args[n-2] == ">" {
		f, err := os.Create(args[n-1])
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		cmd.Args = append([]string{name}, args[:n-2]...)
		cmd.Stdout = f
	}
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

// buildCollection writes the title and abstract of every collection ID as
// JSON Lines.
func buildCollection(dir, out string) (int, error) {
	want := map[string]bool{}
	ids, err := os.ReadFile(filepath.Join(dir, "citations-collection-ids.txt"))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Fields(string(ids)) {
		want[strings.ToLower(l)] = true
	}
	f, err := os.Open(filepath.Join(dir, "acm-dl-docs.jsonl.gz"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	w, err := os.Create(out + ".tmp")
	if err != nil {
		return 0, err
	}
	defer w.Close()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var d struct{ ID, Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return 0, err
		}
		if !want[strings.ToLower(d.ID)] {
			continue
		}
		delete(want, strings.ToLower(d.ID))
		if err := enc.Encode(map[string]string{"id": d.ID, "title": d.Title, "abstract": d.Abstract}); err != nil {
			return 0, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if len(want) > 0 {
		return 0, fmt.Errorf("%d collection IDs are not in acm-dl-docs.jsonl.gz", len(want))
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(out+".tmp", out)
}

type devQuery struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Relevant []string `json:"relevant"`
}

func readQueries(path string) ([]devQuery, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []devQuery
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var q devQuery
		if err := json.Unmarshal([]byte(l), &q); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// readAnswers reads `papermap search --queries` output: query ID → result IDs.
func readAnswers(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a struct {
			Query   string `json:"query"`
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			return nil, err
		}
		for _, r := range a.Results {
			out[a.Query] = append(out[a.Query], r.ID)
		}
	}
	return out, nil
}

// score returns recall@10 and MRR@10 in percent.
func score(qs []devQuery, ans map[string][]string) (recall, mrr float64) {
	for _, q := range qs {
		rel := map[string]bool{}
		for _, r := range q.Relevant {
			rel[strings.ToLower(r)] = true
		}
		got := ans[q.ID]
		hit, first := 0, 0
		for i, id := range got[:min(10, len(got))] {
			if rel[strings.ToLower(id)] {
				hit++
				if first == 0 {
					first = i + 1
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

// tuneGrid scores fusion settings through the library, on the dev split.
func tuneGrid(ctx context.Context, store string, dev []devQuery) {
	c, err := corpus.Open(ctx, store, corpus.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	texts := make([]string, len(dev))
	for i, q := range dev {
		texts[i] = q.Text
	}
	try := func(name string, o corpus.SearchOptions) {
		res, err := c.SearchMany(ctx, texts, 10, o)
		if err != nil {
			log.Fatal(err)
		}
		ans := map[string][]string{}
		for i, rs := range res {
			for _, r := range rs {
				ans[dev[i].ID] = append(ans[dev[i].ID], r.ID)
			}
		}
		r, m := score(dev, ans)
		fmt.Printf("%-50s %6.1f %6.1f\n", name, r, m)
	}
	for _, sc := range []sparse.Scoring{sparse.TFIDF, sparse.BM25} {
		for _, mindf := range []int{1, 2} {
			for _, maxdf := range []float64{0.1, 0.5, 1} {
				so := sparse.Options{Scoring: sc, MinDF: mindf, MaxDF: maxdf}
				try(fmt.Sprintf("sparse scoring=%d mindf=%d maxdf=%g", sc, mindf, maxdf), corpus.SearchOptions{Mode: corpus.ModeSparse, Sparse: so})
			}
		}
	}
	for _, w := range []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6} {
		try(fmt.Sprintf("hybrid weighted w=%.1f", w), corpus.SearchOptions{Fuse: sparse.FuseOptions{DenseWeight: w}})
	}
	for _, k := range []float64{10, 30, 60} {
		try(fmt.Sprintf("hybrid rrf k=%g", k), corpus.SearchOptions{Fuse: sparse.FuseOptions{RRF: true, RRFK: k}})
	}
}

// tuneTerms scores exact-term indexes of the collection built with and
// without stemming (the store's own index is stemmed), sparse mode only.
func tuneTerms(coll string, dev []devQuery) error {
	f, err := os.Open(coll)
	if err != nil {
		return err
	}
	defer f.Close()
	var ids, texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var d struct{ ID, Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("%s:%d: %w", coll, line, err)
		}
		ids = append(ids, d.ID)
		texts = append(texts, paper.Paper{Title: d.Title, Abstract: d.Abstract}.Text())
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, t := range []struct {
		name  string
		terms func(string, func([]byte))
	}{{"stemmed (sparse.StemmedTerms, the default)", sparse.StemmedTerms}, {"unstemmed (lexical.EachTerm)", lexical.EachTerm}} {
		x := sparse.New(sparse.Options{Terms: t.terms})
		x.Add(ids, texts)
		ans := map[string][]string{}
		for _, q := range dev {
			hits, _ := x.Search(q.Text, 10, nil, nil)
			for _, h := range hits {
				ans[q.ID] = append(ans[q.ID], h.ID)
			}
		}
		r, m := score(dev, ans)
		fmt.Printf("%-50s %6.1f %6.1f\n", "sparse terms "+t.name, r, m)
	}
	return nil
}
