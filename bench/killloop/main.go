// Command killloop is the outside check of issue 5: it kills `papermap
// ingest` with SIGKILL at seeded random moments while it ingests the first
// N ACM abstracts, reruns it, and prints each kill and the final verdict:
// whether every store ended with exactly the papers of an undisturbed run.
// The checks are those of internal/testharness/killloop (see its documentation).
//
// The ACM records are copyrighted: they are written to a temporary
// directory, never into the repository. Run it through scripts/kill-loop,
// which builds the binary:
//
//	scripts/kill-loop                 # 20,000 abstracts, 20 kills, seed 1
//	scripts/kill-loop -n 5000 -kills 30 -seed 7
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/papermap/papermap/internal/testharness/killloop"
)

func main() {
	bin := flag.String("papermap", "", "papermap binary (required)")
	src := flag.String("acm", "/work/shared/data/acm-cr/acm-dl-docs.jsonl.gz", "ACM records (JSON Lines, gzip)")
	n := flag.Int("n", 20000, "how many records to ingest")
	kills := flag.Int("kills", 20, "SIGKILLs to deliver")
	chain := flag.Int("chain", 3, "kills per store before a rerun finishes it")
	seed := flag.Uint64("seed", 1, "seed of the kill moments")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "killloop: -papermap BINARY is required (scripts/kill-loop builds it)")
		os.Exit(2)
	}
	if _, err := os.Stat(*src); err != nil {
		fmt.Printf("SKIP: %v\n", err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, *bin, *src, *n, *kills, *chain, *seed, *keep))
}

func run(ctx context.Context, bin, src string, n, kills, chain int, seed uint64, keep bool) int {
	dir, err := os.MkdirTemp("", "papermap-kill-loop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "killloop:", err)
		return 1
	}
	if keep {
		fmt.Println("work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	input := filepath.Join(dir, fmt.Sprintf("acm-%d.jsonl", n))
	got, err := firstLines(src, input, n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "killloop:", err)
		return 1
	}
	start := time.Now()
	fmt.Printf("kill loop: %d ACM records (%s), %d SIGKILLs, seed %d, %s, %s\n",
		got, src, kills, seed, time.Now().UTC().Format(time.RFC3339), bin)
	rep, err := killloop.Run(ctx, killloop.Config{
		Binary:   bin,
		Input:    input,
		Args:     []string{"--embedder", "lexical"},
		Dir:      dir,
		Kills:    kills,
		MaxChain: chain,
		Seed:     seed,
		Logf: func(format string, args ...any) {
			fmt.Printf("[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
		},
	})
	if rep != nil {
		fmt.Println("summary:", rep.Summary())
		fmt.Println("states left by the kills:", rep.States())
	}
	if err != nil {
		fmt.Println("VERDICT: FAIL:", err)
		return 1
	}
	fmt.Printf("VERDICT: PASS: after %d SIGKILLs and %d reruns, every store holds exactly %d papers (the undisturbed count), no duplicate, none missing, none half-written\n",
		len(rep.Kills), rep.Reruns, rep.Expected)
	return 0
}

// firstLines copies the first n lines of the gzip file src to dst.
func firstLines(src, dst string, n int) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(out)
	r := bufio.NewReader(zr)
	got := 0
	for ; got < n; got++ {
		line, err := r.ReadBytes('\n')
		w.Write(line)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Close()
			return got, err
		}
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return got, err
	}
	return got, out.Close()
}
