// Command search measures what a user waits for on a large store: how long
// opening it takes (what every command pays first) and how long one
// free-text search takes once it is open (embedding the query and scanning
// every vector), as the median of many queries.
//
//	go run ./bench/search -store /tmp/acmstore -queries 100 -mode dense
//	go run ./bench/search -store /tmp/acmstore -queries 100 -mode hybrid
//	go run ./bench/search -store /tmp/acmstore -queries 100 -mode hybrid -similar
//
// With -similar it times corpus.Similar instead, from the first result of
// each query (a stored paper).
//
// With -cpuprofile FILE the open and the first search (what a one-query
// `papermap search` process does) are profiled into FILE; -queries 0 then
// stops there.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/papermap/papermap/bench/internal/cpuprof"
	"github.com/papermap/papermap/corpus"
)

// queries are typical short searches over computer-science abstracts.
var queries = []string{
	"query expansion for information retrieval",
	"collaborative filtering recommender systems",
	"user study of touch screen interaction",
	"graph neural networks for link prediction",
	"privacy preserving data mining",
	"click models for web search",
	"crowdsourcing quality control",
	"topic models for short texts",
	"visualization of large networks",
	"learning to rank with implicit feedback",
}

func main() {
	store := flag.String("store", "", "store directory (made by papermap ingest)")
	n := flag.Int("queries", 100, "number of searches")
	k := flag.Int("k", 10, "results per search")
	mode := flag.String("mode", "", "search mode: hybrid (default), dense or sparse")
	similar := flag.Bool("similar", false, "time `similar` from stored papers instead of free-text searches")
	cpuprofile := flag.String("cpuprofile", "", "profile the open and the first search into this file")
	flag.Parse()
	ctx := context.Background()
	stopProfile := cpuprof.Start(*cpuprofile)
	t0 := time.Now()
	c, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	open := time.Since(t0)
	defer c.Close()
	// The first search of a process loads (or builds) the exact-term
	// index; it is timed apart from the others.
	t1 := time.Now()
	if _, err := c.Search(ctx, queries[0], *k, corpus.SearchOptions{Mode: *mode}); err != nil {
		log.Fatal(err)
	}
	first := time.Since(t1)
	stopProfile()
	fmt.Printf("store %s: %d papers, opened in %v\n", *store, c.Len(), open.Round(time.Millisecond))
	fmt.Printf("mode %q: first search %v (loads the exact-term index)\n", *mode, first.Round(time.Millisecond))
	if *n <= 0 {
		return
	}
	var from []string // the papers similar starts from
	if *similar {
		for _, q := range queries {
			res, err := c.Search(ctx, q, 10, corpus.SearchOptions{})
			if err != nil {
				log.Fatal(err)
			}
			for _, r := range res {
				from = append(from, r.ID)
			}
		}
	}
	var lat []time.Duration
	for i := 0; i < *n; i++ {
		t := time.Now()
		var err error
		if *similar {
			_, err = c.Similar(ctx, from[i%len(from)], *k, corpus.SearchOptions{Mode: *mode})
		} else {
			_, err = c.Search(ctx, queries[i%len(queries)], *k, corpus.SearchOptions{Mode: *mode})
		}
		if err != nil {
			log.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	what := "search"
	if *similar {
		what = "similar"
	}
	fmt.Printf("%s top-%d: median %v, p90 %v, max %v over %d queries\n", what, *k,
		lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*9/10].Round(10*time.Microsecond),
		lat[len(lat)-1].Round(10*time.Microsecond), len(lat))
}
