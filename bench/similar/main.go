// Command similar measures whether `papermap similar` should fuse the
// exact-term ranking with the dense one, as `search` does. Two labelled
// tasks, each answered by corpus.Similar in the three modes (dense, sparse,
// hybrid) with k = 10:
//
//   - labelled papers, each set ingested into a temporary lexical store:
//     arXiv 2,000 (../shared/data/arxiv-2007-04-2000.jsonl, label the arXiv
//     archive: astro-ph, math, ...) and ACM venues-10 (acm-venues-10.jsonl,
//     4,000 abstracts of 10 venues, label the venue). For every paper, the
//     share of its 10 similar papers with its label, averaged over the
//     papers.
//
//   - co-citation, on the citation benchmark's development split and the
//     20,000-paper lexical store bench/citations builds: for every query
//     citing at least two papers of the collection, and every such cited
//     paper, the share of the other papers cited by the same paragraph
//     among its 10 similar papers (recall@10), and the MRR@10 of the first.
//
// Run it after bench/citations, which builds the store:
//
//	go run ./bench/citations            # builds /tmp/papermap-citations/store
//	go run ./bench/similar
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

var modes = []string{corpus.ModeDense, corpus.ModeSparse, corpus.ModeHybrid}

func main() {
	arxiv := flag.String("arxiv", "../shared/data/arxiv-2007-04-2000.jsonl", "arXiv papers with an archive field")
	venues := flag.String("venues", "../shared/data/acm-cr/acm-venues-10.jsonl", "ACM papers with a label field (the venue)")
	store := flag.String("store", filepath.Join(os.TempDir(), "papermap-citations", "store"), "the 20,000-paper store of bench/citations")
	dev := flag.String("queries", "../shared/data/acm-cr/citations-dev.jsonl", "citations-dev.jsonl")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	if err := agreement(ctx, *arxiv, "archive"); err != nil {
		log.Fatal(err)
	}
	if err := agreement(ctx, *venues, "label"); err != nil {
		log.Fatal(err)
	}
	if err := cocitation(ctx, *store, *dev); err != nil {
		log.Fatal(err)
	}
}

func agreement(ctx context.Context, path, field string) error {
	ps, _, err := paper.ReadFile(path, paper.Options{})
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "papermap-similar-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c, err := corpus.Open(ctx, filepath.Join(tmp, "store"), corpus.Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Ingest(ctx, ps, corpus.IngestOptions{}); err != nil {
		return err
	}
	label := map[string]string{}
	for _, p := range ps {
		label[p.ID] = p.Extra[field]
		if label[p.ID] == "" {
			return fmt.Errorf("%s: paper %s has no %q", path, p.ID, field)
		}
	}
	fmt.Printf("%s, %d papers: share of the 10 similar papers with the paper's %s (mean over papers)\n", filepath.Base(path), len(ps), field)
	for _, mode := range modes {
		t := time.Now()
		var sum float64
		for _, p := range ps {
			res, err := c.Similar(ctx, p.ID, 10, corpus.SearchOptions{Mode: mode})
			if err != nil {
				return err
			}
			same := 0
			for _, r := range res {
				if label[r.ID] == label[p.ID] {
					same++
				}
			}
			sum += float64(same) / 10
		}
		fmt.Printf("  %-7s %5.1f %%   (%v per paper)\n", mode, 100*sum/float64(len(ps)), (time.Since(t) / time.Duration(len(ps))).Round(time.Microsecond))
	}
	return nil
}

func cocitation(ctx context.Context, store, dev string) error {
	c, err := corpus.Open(ctx, store, corpus.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%w (run `go run ./bench/citations` first)", err)
	}
	defer c.Close()
	b, err := os.ReadFile(dev)
	if err != nil {
		return err
	}
	type pair struct {
		from   string
		others map[string]bool
	}
	var pairs []pair
	for i, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var q struct{ Relevant []string }
		if err := json.Unmarshal([]byte(l), &q); err != nil {
			return fmt.Errorf("%s:%d: %w", dev, i+1, err)
		}
		var in []string
		for _, r := range q.Relevant {
			if p, ok := c.Paper(r); ok {
				in = append(in, p.ID)
			}
		}
		if len(in) < 2 {
			continue
		}
		for _, from := range in {
			others := map[string]bool{}
			for _, o := range in {
				if o != from {
					others[strings.ToLower(o)] = true
				}
			}
			pairs = append(pairs, pair{from, others})
		}
	}
	fmt.Printf("co-citation: %d cited papers as the query, the papers cited beside them as the answers\n", len(pairs))
	for _, mode := range modes {
		var rec, mrr float64
		for _, p := range pairs {
			res, err := c.Similar(ctx, p.from, 10, corpus.SearchOptions{Mode: mode})
			if err != nil {
				return err
			}
			hit, first := 0, 0
			for i, r := range res {
				if p.others[strings.ToLower(r.ID)] {
					hit++
					if first == 0 {
						first = i + 1
					}
				}
			}
			rec += float64(hit) / float64(len(p.others))
			if first > 0 {
				mrr += 1 / float64(first)
			}
		}
		n := float64(len(pairs))
		fmt.Printf("  %-7s recall@10 %5.1f   MRR@10 %5.1f\n", mode, 100*rec/n, 100*mrr/n)
	}
	return nil
}
