// Command fit times lexical.Fit on a JSON-lines file of abstracts and
// prints one JSON object: documents, terms, dimensions, seconds to read and
// to fit, CPU seconds and peak resident memory of the process. It is the Go
// half of bench/lexical/compare.sh.
//
// Usage:
//
//	go run ./bench/lexical/fit [-dims 256] [-iters N] [-limit N] [-model out.bin] [-sv out.json] FILE.jsonl[.gz]
//
// -sv writes the model's singular values (largest first) as a JSON array,
// for bench/lexical/accuracy.sh.
//
// Records with an abstract of over 100 characters are used, as
// title + ". " + abstract.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/papermap/papermap/embed/lexical"
)

func main() {
	dims := flag.Int("dims", 256, "LSA dimensions")
	iters := flag.Int("iters", 0, "power iterations (0: default)")
	model := flag.String("model", "", "write the fitted model to this file")
	limit := flag.Int("limit", 0, "use only the first N abstracts (0: all)")
	svOut := flag.String("sv", "", "write the singular values to this file (JSON array)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: fit [-dims N] [-limit N] [-model FILE] FILE.jsonl[.gz]")
	}
	t0 := time.Now()
	texts, err := read(flag.Arg(0), *limit)
	if err != nil {
		log.Fatal(err)
	}
	t1 := time.Now()
	l, _, err := lexical.Fit(context.Background(), texts, lexical.Options{Dimensions: *dims, PowerIters: *iters})
	if err != nil && !errors.Is(err, lexical.ErrNoKnownTerms) {
		log.Fatal(err)
	}
	t2 := time.Now()
	var modelBytes int64
	if *model != "" {
		f, err := os.Create(*model)
		if err != nil {
			log.Fatal(err)
		}
		if modelBytes, err = l.WriteTo(f); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	if *svOut != "" {
		b, _ := json.Marshal(l.SingularValues())
		if err := os.WriteFile(*svOut, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	out, _ := json.Marshal(map[string]any{
		"tool": "papermap-lexical", "docs": len(texts), "terms": len(l.Vocabulary()), "dims": l.Info().Dimensions,
		"read_s": round(t1.Sub(t0).Seconds()), "fit_s": round(t2.Sub(t1).Seconds()),
		"cpu_s": round(cpu.Seconds()), "maxrss_mb": ru.Maxrss / 1024, "model_bytes": modelBytes,
	})
	fmt.Println(string(out))
}

func round(x float64) float64 { return float64(int(x*100+0.5)) / 100 }

func read(path string, limit int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(r); err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(r)
	var texts []string
	for {
		var rec struct{ Title, Abstract string }
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			return texts, nil
		} else if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(rec.Abstract) > 100 {
			texts = append(texts, rec.Title+". "+rec.Abstract)
			if len(texts) == limit {
				return texts, nil
			}
		}
	}
}
