// Command embed writes bench/ann's vectors from a corpus of papers: the
// lexical model (package embed/lexical) fitted on a seeded sample, then
// every paper embedded, as a row-major float32 file of unit vectors, and a
// query file: the papers of -qin (papers that are not rows, e.g. from
// bench/million with another seed: "papers like this new one"), or else
// the titles of a seeded sample of the papers (a title is near its
// paper's vector but is not a row). bench/compare's case 7 uses them
// (--ann-x, --ann-q) for FAISS and papermap alike.
//
//	go run ./bench/ann/embed -in million.jsonl -dims 384 -sample 50000 -x X.f32 -q Q.f32 [-qin new.jsonl] [-nq 1000]
//
// Papers whose text has no term of the model are left out (counted on
// stderr).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
)

type rec struct {
	Title    string `json:"title"`
	Abstract string `json:"abstract"`
}

func main() {
	in := flag.String("in", "", "JSON lines of papers (title, abstract)")
	dims := flag.Int("dims", 384, "dimensions")
	sample := flag.Int("sample", 50_000, "papers the model is fitted on (a seeded sample)")
	xout := flag.String("x", "", "output: the papers' vectors")
	qout := flag.String("q", "", "output: the query vectors (titles)")
	nq := flag.Int("nq", 1000, "queries")
	qin := flag.String("qin", "", "JSON lines of papers to embed as the queries (default: titles of -in's papers)")
	flag.Parse()
	ctx := context.Background()

	texts, titles := read(*in)
	n := len(texts)
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(n)
	fit := make([]string, 0, min(*sample, n))
	for _, i := range perm[:min(*sample, n)] {
		fit = append(fit, texts[i])
	}
	m, _, err := lexical.Fit(ctx, fit, lexical.Options{Dimensions: *dims, Seed: 1})
	if err != nil && m == nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "fitted on %d papers, %d dims\n", len(fit), *dims)

	write := func(path string, texts []string, task embed.Task) int {
		out, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriterSize(out, 1<<20)
		rows, skipped := 0, 0
		var b []byte
		for lo := 0; lo < len(texts); lo += 20_000 {
			vecs, _ := m.Embed(ctx, texts[lo:min(lo+20_000, len(texts))], task)
			for _, v := range vecs {
				if v == nil {
					skipped++
					continue
				}
				b = b[:0]
				for _, x := range v {
					b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
				}
				w.Write(b)
				rows++
			}
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := out.Close(); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "%s: %d rows, %d without a known term left out\n", path, rows, skipped)
		return rows
	}
	write(*xout, texts, embed.Document)
	var qs []string
	if *qin != "" {
		qs, _ = read(*qin)
		qs = qs[:min(*nq, len(qs))]
	} else {
		for _, i := range perm[len(perm)-min(*nq, n):] {
			qs = append(qs, titles[i])
		}
	}
	texts = nil
	write(*qout, qs, embed.Query)
}

// read returns the texts (title and abstract) and titles of the papers in
// a JSON lines file.
func read(path string) (texts, titles []string) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatalf("%s:%d: %v", path, len(texts)+1, err)
		}
		texts = append(texts, paper.Paper{Title: r.Title, Abstract: r.Abstract}.Text())
		titles = append(titles, r.Title)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return texts, titles
}
