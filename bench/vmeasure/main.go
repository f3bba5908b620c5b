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
//
// With -store DIR, the papers of an existing store (opened read-only) are
// used instead of a file; with -no-names, the themes are fitted by
// cluster.FitThemes on the store's vectors without naming them (the
// partitions do not depend on the keywords, which on 100,000 papers take as
// long as the rest):
//
//	go run ./bench/vmeasure -store S -label venue -k 20 -seeds 3 -large 50000 -fit 20000 -no-names
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
	"gonum.org/v1/gonum/blas/blas32"
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
	store := flag.String("store", "", "use the papers of this store (opened read-only) instead of ingesting FILE")
	noNames := flag.Bool("no-names", false, "fit the themes without keywords and labels (cluster.FitThemes on the vectors)")
	flag.Parse()
	if (*store == "") != (flag.NArg() == 1) {
		log.Fatal("usage: vmeasure [flags] FILE.jsonl | vmeasure -store DIR [flags]")
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
	var c *corpus.Corpus
	var err error
	source := *store
	if *store != "" {
		if c, err = corpus.Open(ctx, *store, corpus.Options{ReadOnly: true}); err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		fmt.Printf("%s: %d papers, embedder %+v, k=%d\n", *store, c.Len(), c.Embedder().Info(), *k)
	} else {
		source = flag.Arg(0)
		papers, skipped, err := paper.ReadFile(source, paper.Options{})
		if err != nil {
			log.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "vmeasure")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		c, err = corpus.Open(ctx, dir+"/store", corpus.Options{Embedder: backend.Settings{Backend: embed.BackendLexical, Lexical: lexical.Options{Dimensions: *dims}}})
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
		fmt.Printf("%s: %d papers (%d skipped), embedder %+v, k=%d\n", source, st.Stored(), len(skipped)+len(st.Skipped), st.Embedder, *k)
	}
	ids, data, dim := c.Store().Matrix()
	n := len(ids)
	classes := map[string]int{}
	truth := make([]int, n)
	for i, id := range ids {
		p, _ := c.Paper(id)
		l := p.Extra[*label]
		if _, ok := classes[l]; !ok {
			classes[l] = len(classes)
		}
		truth[i] = classes[l]
	}
	// compute returns the chosen level's labels in the order of ids.
	compute := func(opts corpus.ThemeOptions) (*cluster.ThemeModel, []int) {
		if *noNames {
			m, err := cluster.FitThemes(cluster.ThemeInput{Vectors: blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}}, opts)
			if err != nil {
				log.Fatal(err)
			}
			return m, m.Levels[m.Chosen].Labels
		}
		m, err := c.ComputeThemes(ctx, opts)
		if err != nil {
			log.Fatal(err)
		}
		if !slices.Equal(m.IDs, ids) {
			log.Fatal("the theme model's papers are not the store's")
		}
		return m.ThemeModel, m.Levels[m.Chosen].Labels
	}
	score := func(pred []int) (v, nmi, a float64) {
		_, _, v = cluster.VMeasure(truth, pred)
		return v, cluster.NMI(truth, pred), cluster.ARI(truth, pred)
	}
	var sumV, sumN, sumA float64
	sumL, sumLN, sumLA := make([]float64, len(fits)), make([]float64, len(fits)), make([]float64, len(fits))
	for s := 0; s < *seeds; s++ {
		opts := corpus.ThemeOptions{K: *k, Seed: uint64(s), Restarts: *restarts}
		if *large > 0 {
			// The full path whatever the size.
			opts.MiniBatchRows = max(n, 50_000) + 1
			opts.FitRows = -1
		}
		m, pred := compute(opts)
		v, nmi, a := score(pred)
		fmt.Printf("seed %d: V-measure %.2f  NMI %.2f  ARI %.3f  (silhouette %.3f)\n", s, 100*v, 100*nmi, a, m.Silhouette)
		sumV, sumN, sumA = sumV+v, sumN+nmi, sumA+a
		if *large == 0 {
			continue
		}
		for q, fit := range fits {
			opts.MiniBatchRows = *large
			opts.KSampleRows = min(20_000, *large*3/5)
			opts.RefineIter = *refine
			opts.FitRows = fit
			lm, pred := compute(opts)
			if !lm.MiniBatch && lm.FitSample == 0 {
				log.Fatalf("-large %d: the large-corpus path was not taken", *large)
			}
			lv, ln, la := score(pred)
			fitted := n
			if lm.FitSample > 0 {
				fitted = lm.FitSample
			}
			fmt.Printf("        large-corpus path (fitted on %d): V-measure %.2f  NMI %.2f  ARI %.3f  (silhouette %.3f); V gap %+.2f\n", fitted, 100*lv, 100*ln, la, lm.Silhouette, 100*(lv-v))
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
