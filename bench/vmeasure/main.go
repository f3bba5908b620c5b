// Command vmeasure measures how well papermap's themes recover known labels:
// it ingests a JSON Lines file with the offline (lexical) embedder into a
// fresh store, computes themes with k fixed, and scores them against a
// label field (V-measure, NMI, ARI) for several seeds, through the same
// library calls as `papermap ingest` and `papermap themes`.
//
//	go run ./bench/vmeasure -k 18 -label archive testdata/arxiv-2007-04-2000.jsonl
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
)

func main() {
	k := flag.Int("k", 18, "number of themes")
	label := flag.String("label", "archive", "field holding the true label")
	seeds := flag.Int("seeds", 3, "seeds 0..N-1")
	dims := flag.Int("dims", 0, "lexical dimensions (0 = papermap's default)")
	restarts := flag.Int("restarts", 0, "k-means restarts (0 = papermap's default)")
	fitSample := flag.Int("fit-sample", 0, "fit the lexical model on a sample of this many papers, as a large ingest does (0 = on all)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: vmeasure [flags] FILE.jsonl")
	}
	ctx := context.Background()
	papers, skipped, err := paper.ReadFile(flag.Arg(0), paper.Options{})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "vmeasure")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := corpus.Open(ctx, dir+"/store", corpus.Options{Embedder: backend.Settings{Backend: embed.BackendLexical, Lexical: lexical.Options{Dimensions: *dims}}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var st corpus.IngestStats
	if *fitSample > 0 {
		// The path of an ingest of more than FitSample papers.
		in := func(ctx context.Context, yield func(paper.Paper, *paper.RecordError) error) error {
			for _, p := range papers {
				if err := yield(p, nil); err != nil {
					return err
				}
			}
			return nil
		}
		st, err = c.IngestStream(ctx, in, corpus.IngestOptions{FitSample: *fitSample})
		fmt.Printf("lexical model fitted on %d papers\n", c.FittedOn())
	} else {
		st, err = c.Ingest(ctx, papers, corpus.IngestOptions{})
	}
	if err != nil {
		log.Fatal(err)
	}
	truthOf := map[string]string{}
	for _, p := range papers {
		truthOf[p.ID] = p.Extra[*label]
	}
	fmt.Printf("%s: %d papers (%d skipped), embedder %+v, k=%d\n", flag.Arg(0), st.Stored(), len(skipped)+len(st.Skipped), st.Embedder, *k)
	var sumV, sumN, sumA float64
	for s := 0; s < *seeds; s++ {
		m, err := c.ComputeThemes(ctx, corpus.ThemeOptions{K: *k, Seed: uint64(s), Restarts: *restarts})
		if err != nil {
			log.Fatal(err)
		}
		var truth, pred []int
		classes := map[string]int{}
		var ids []string
		for _, t := range m.Themes {
			ids = append(ids, t.Members...)
		}
		sort.Strings(ids)
		theme := map[string]int{}
		for _, t := range m.Themes {
			for _, id := range t.Members {
				theme[id] = t.ID
			}
		}
		for _, id := range ids {
			l := truthOf[id]
			if _, ok := classes[l]; !ok {
				classes[l] = len(classes)
			}
			truth = append(truth, classes[l])
			pred = append(pred, theme[id])
		}
		_, _, v := cluster.VMeasure(truth, pred)
		n, a := cluster.NMI(truth, pred), cluster.ARI(truth, pred)
		fmt.Printf("seed %d: V-measure %.2f  NMI %.2f  ARI %.3f  (silhouette %.3f)\n", s, 100*v, 100*n, a, m.Silhouette)
		sumV, sumN, sumA = sumV+v, sumN+n, sumA+a
	}
	f := float64(*seeds)
	fmt.Printf("mean over %d seeds: V-measure %.2f  NMI %.2f  ARI %.3f\n", *seeds, 100*sumV/f, 100*sumN/f, sumA/f)
}
