// Command refit measures what the automatic refit of the lexical model
// buys: it ingests the seed corpus, then the arXiv papers, into one store
// (the second ingest refits the model, as `papermap ingest` does), and
// compares the themes' V-measure on the arXiv papers (labels: the
// "archive" field) with a store that ingested the arXiv papers alone, and
// with the same two ingests without the refit (RefitGrowth -1, the model
// of the seed papers kept). Same library calls as `papermap ingest` and
// `papermap themes --k 18`.
//
//	go run ./bench/refit -k 18 testdata/seed-abstracts.txt ../shared/data/arxiv-2007-04-2000.jsonl
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

func main() {
	k := flag.Int("k", 18, "number of themes")
	label := flag.String("label", "archive", "field of the labelled file holding the true label")
	seeds := flag.Int("seeds", 3, "theme seeds 0..N-1")
	flag.Parse()
	if flag.NArg() != 2 {
		log.Fatal("usage: refit [flags] FIRST LABELLED.jsonl")
	}
	first := read(flag.Arg(0))
	labelled := read(flag.Arg(1))
	truthOf := map[string]string{}
	for _, p := range labelled {
		truthOf[p.ID] = p.Extra[*label]
	}
	tmp, err := os.MkdirTemp("", "refit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	for _, run := range []struct {
		name   string
		ingest [][]paper.Paper
		growth float64
	}{
		{"labelled alone", [][]paper.Paper{labelled}, 0},
		{"first, then labelled (automatic refit)", [][]paper.Paper{first, labelled}, 0},
		{"first, then labelled (no refit)", [][]paper.Paper{first, labelled}, -1},
	} {
		ctx := context.Background()
		c, err := corpus.Open(ctx, filepath.Join(tmp, fmt.Sprint(len(run.name), run.growth)), corpus.Options{
			Embedder: backend.Settings{Backend: embed.BackendLexical}, Notice: os.Stdout})
		if err != nil {
			log.Fatal(err)
		}
		start := time.Now()
		for _, ps := range run.ingest {
			if _, err := c.Ingest(ctx, ps, corpus.IngestOptions{RefitGrowth: run.growth}); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("== %s: %d papers, %d dims, fitted on %d (ingest %v)\n", run.name, c.Len(), c.Embedder().Info().Dimensions, c.FittedOn(), time.Since(start).Round(time.Millisecond))
		var sum float64
		for s := 0; s < *seeds; s++ {
			m, err := c.ComputeThemes(ctx, corpus.ThemeOptions{K: *k, Seed: uint64(s)})
			if err != nil {
				log.Fatal(err)
			}
			var truth, pred []int
			classes := map[string]int{}
			var ids []string
			theme := map[string]int{}
			for _, t := range m.Themes {
				for _, id := range t.Members {
					if _, ok := truthOf[id]; ok {
						ids = append(ids, id)
						theme[id] = t.ID
					}
				}
			}
			sort.Strings(ids)
			for _, id := range ids {
				l := truthOf[id]
				if _, ok := classes[l]; !ok {
					classes[l] = len(classes)
				}
				truth = append(truth, classes[l])
				pred = append(pred, theme[id])
			}
			_, _, v := cluster.VMeasure(truth, pred)
			fmt.Printf("seed %d: V-measure %.2f on %d labelled papers\n", s, 100*v, len(ids))
			sum += v
		}
		fmt.Printf("mean over %d seeds: V-measure %.2f\n", *seeds, 100*sum/float64(*seeds))
		c.Close()
	}
}

func read(path string) []paper.Paper {
	ps, _, err := paper.ReadFile(path, paper.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return ps
}
