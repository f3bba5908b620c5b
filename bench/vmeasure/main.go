// Command vmeasure measures how well papermap's themes recover known labels:
// it ingests a JSON Lines file with the offline (lexical) embedder into a
// fresh store, computes themes with k fixed, and scores them against a
// label field (V-measure, NMI, ARI) for several seeds, through the same
// library calls as `papermap ingest` and `papermap themes`.
//
//	go run ./bench/vmeasure -k 18 -label archive testdata/arxiv-2007-04-2000.jsonl
//
// With -large N, each seed is also run on the large-corpus path (the one
// `themes` takes above cluster.ThemeSettings.MiniBatchRows papers:
// mini-batch k-means, stabilities and keywords on samples) with that
// threshold lowered to N, at the same k, and the gap between the two paths
// is printed; the full path then fits on all papers whatever their number
// (FitRows -1). -fit F1,F2,... runs the large-corpus path once per value of
// FitRows (above it, the themes are fitted on a sample of FitRows papers and
// the others placed; 0 is the default, 100,000):
//
//	go run ./bench/vmeasure -k 18 -seeds 5 -large 1000 testdata/arxiv-2007-04-2000.jsonl
//	go run ./bench/vmeasure -k 18 -seeds 5 -large 2001 -fit 1000,1800 testdata/arxiv-2007-04-2000.jsonl
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"

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
	refine := flag.Int("refine", 0, "Lloyd iterations after mini-batch k-means on the large-corpus path (0 = papermap's default, negative = none)")
	large := flag.Int("large", 0, "if > 0, also run the large-corpus path with MiniBatchRows lowered to this")
	fitList := flag.String("fit", "0", "with -large: fit the themes on a sample of this many papers and place the others (ThemeSettings.FitRows; 0 = papermap's default, negative = all papers); a comma-separated list runs the large-corpus path once per value")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: vmeasure [flags] FILE.jsonl")
	}
	var fits []int
	for _, f := range strings.Split(*fitList, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("bad -fit %q", *fitList)
		}
		fits = append(fits, v)
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
	score := func(m *corpus.ThemeModel) (v, n, a float64) {
		var truth, pred []int
		classes := map[string]int{}
		var ids []string
		theme := map[string]int{}
		for _, t := range m.Themes {
			ids = append(ids, t.Members...)
			for _, id := range t.Members {
				theme[id] = t.ID
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
		_, _, v = cluster.VMeasure(truth, pred)
		return v, cluster.NMI(truth, pred), cluster.ARI(truth, pred)
	}
	var sumV, sumN, sumA float64
	sumL, sumLN, sumLA := make([]float64, len(fits)), make([]float64, len(fits)), make([]float64, len(fits))
	for s := 0; s < *seeds; s++ {
		opts := corpus.ThemeOptions{K: *k, Seed: uint64(s), Restarts: *restarts}
		if *large > 0 {
			// The full path whatever the size.
			opts.MiniBatchRows = max(st.Stored(), 50_000) + 1
			opts.FitRows = -1
		}
		m, err := c.ComputeThemes(ctx, opts)
		if err != nil {
			log.Fatal(err)
		}
		v, n, a := score(m)
		fmt.Printf("seed %d: V-measure %.2f  NMI %.2f  ARI %.3f  (silhouette %.3f)\n", s, 100*v, 100*n, a, m.Silhouette)
		sumV, sumN, sumA = sumV+v, sumN+n, sumA+a
		if *large == 0 {
			continue
		}
		for q, fit := range fits {
			opts.MiniBatchRows = *large
			opts.KSampleRows = min(20_000, *large*3/5)
			opts.RefineIter = *refine
			opts.FitRows = fit
			lm, err := c.ComputeThemes(ctx, opts)
			if err != nil {
				log.Fatal(err)
			}
			if !lm.MiniBatch && lm.FitSample == 0 {
				log.Fatalf("-large %d: the large-corpus path was not taken", *large)
			}
			lv, ln, la := score(lm)
			fmt.Printf("        large-corpus path (fitted on %d): V-measure %.2f  NMI %.2f  ARI %.3f  (silhouette %.3f); V gap %+.2f\n", fitted(lm), 100*lv, 100*ln, la, lm.Silhouette, 100*(lv-v))
			sumL[q], sumLN[q], sumLA[q] = sumL[q]+lv, sumLN[q]+ln, sumLA[q]+la
		}
	}
	f := float64(*seeds)
	fmt.Printf("mean over %d seeds: V-measure %.2f  NMI %.2f  ARI %.3f\n", *seeds, 100*sumV/f, 100*sumN/f, sumA/f)
	for q, fit := range fits {
		if *large > 0 {
			fmt.Printf("large-corpus path, -fit %d, mean over %d seeds: V-measure %.2f  NMI %.2f  ARI %.3f; V gap %+.2f points\n", fit, *seeds, 100*sumL[q]/f, 100*sumLN[q]/f, sumLA[q]/f, 100*(sumL[q]-sumV)/f)
		}
	}
}

// fitted is the number of papers the themes were fitted on.
func fitted(m *corpus.ThemeModel) int {
	if m.FitSample > 0 {
		return m.FitSample
	}
	return len(m.IDs)
}
